# Issue 16, item 7: lifetimes are measured on the boot clock. A wall clock
# step (faked for one process with tests/fakeclock.c) neither makes status
# stop a healthy supervisor as "hung" nor keeps a fault past its lease; a
# status run in another time namespace (its own boot clock and start times)
# does not take live supervisors for dead ones.
. "$FL_TESTS/lib.sh"
: "${FL_FAKECLOCK:?FL_FAKECLOCK must point at the fake clock library}"
clock=$FL_TMP/clock
echo 0 >"$clock"
fake() { # run a command with the wall clock stepped by $(cat $clock) seconds
    local asan=${ASAN_OPTIONS:-}
    [ "${FL_SANITIZED:-0}" != 1 ] || asan="${asan:+$asan:}verify_asan_link_order=0"
    ASAN_OPTIONS=$asan LD_PRELOAD=$FL_FAKECLOCK FL_FAKE_REALTIME_FILE=$clock "$@"
}
fault_alive() { [ "$(journal_count)" = 1 ] && kill -0 "$(jq -r .supervisor_pid "$FL_TMP/f.json")" 2>/dev/null; }

"$FAULTLINE" attack cpu --load 5% --workers 1 --duration 30s --detach --json >"$FL_TMP/f.json"
# 1. The wall clock jumps an hour ahead for status: the fault's expiry is
#    "long past" by that clock, but its supervisor is healthy.
echo 3600 >"$clock"
fake "$FAULTLINE" status >"$FL_TMP/s1" 2>&1 || true
check "wall clock +1h: status left the healthy fault alone" fault_alive
check "and does not call it expired" sh -c "! grep -q expired '$FL_TMP/s1'"
fake "$FAULTLINE" recover >/dev/null 2>&1 || true
check "wall clock +1h: recover left it alone too" fault_alive

# 2. status in a time namespace whose boot and monotonic clocks are a day
#    ahead: start times read there are shifted too.
if unshare -T --boottime 86400 --monotonic 86400 true 2>/dev/null; then
    unshare -T --boottime 86400 --monotonic 86400 "$FAULTLINE" status >"$FL_TMP/s2" 2>&1 || true
    check "other time namespace: status left the fault alone" fault_alive
    check "and sees it active, not orphaned" grep -Eq '^cpu-[0-9a-f]{8} +cpu +active' "$FL_TMP/s2"
else
    echo "note: no time namespaces here (unshare -T); that part is not checked"
fi
"$FAULTLINE" stop --all >/dev/null

# 3. The wall clock steps back an hour while a 1.5 s lease runs: it still
#    ends after 1.5 s, not an hour later (the fault would then run its 8 s).
echo 0 >"$clock"
t0=$(date +%s.%N)
rc=0
(sleep 0.8; echo -3600 >"$clock") &
fake "$FAULTLINE" attack cpu --load 5% --workers 1 --duration 8s --lease 1500ms </dev/null >/dev/null 2>&1 \
    < <(exec sleep 10) || rc=$?
el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
check "wall clock -1h during a 1.5s lease: it expires on time (exit 3, got $rc, after ${el}s)" \
    sh -c "[ $rc = 3 ] && awk 'BEGIN { exit !($el < 6) }'"
check "journal empty" [ "$(journal_count)" = 0 ]
finish
