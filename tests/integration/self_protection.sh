# Issue 16, items 5, 12 and 13: faultline never hits its own processes, says
# what is wrong with the input it was given, and leaves nothing behind.
. "$FL_TESTS/lib.sh"

# 5. process-pause/-kill never choose faultline's workers or supervisors
#    (pausing a worker would change the fault; pausing the engine turns a
#    latency fault into a blackhole).
"$FAULTLINE" attack memory --size 8M --duration 30s --detach --json >"$FL_TMP/m.json"
worker=$(first_worker_pid "$FL_TMP/m.json")
sup=$(jq -r .supervisor_pid "$FL_TMP/m.json")
"$FAULTLINE" attack process-pause --name fl-memory --duration 3s >"$FL_TMP/p.out" 2>"$FL_TMP/p.err" &
pause_pid=$!
sleep 1
check "the memory worker was not paused" sh -c "[ \"\$(awk '{print \$3}' /proc/$worker/stat)\" != T ]"
rc=0
wait "$pause_pid" || rc=$?
check "process-pause --name fl-memory: refused, exit 2 (got $rc)" [ "$rc" = 2 ]
rc=$(rc_of "$FAULTLINE" attack process-pause --pid "$worker" --duration 2s)
check "process-pause --pid <worker>: refused, exit 2 (got $rc)" [ "$rc" = 2 ]
rc=$(rc_of "$FAULTLINE" attack process-kill --pid "$sup")
check "process-kill --pid <supervisor>: refused, exit 2 (got $rc)" [ "$rc" = 2 ]
rc=$(rc_of "$FAULTLINE" attack process-kill --pattern "fl-memory|fl-supervisor|fl-guardian" --dry-run)
check "process-kill --pattern on our names: nothing to choose (got $rc)" [ "$rc" = 2 ]
check "the fault is intact" kill -0 "$worker"
"$FAULTLINE" stop --all >/dev/null

# 12. Messages that say what is wrong with what was given.
"$FAULTLINE" attack cpu --duration 1e3s 2>"$FL_TMP/d.err" || true
check "--duration 1e3s: no 'e.g. 1e3s'" sh -c "! grep -q 'e.g. 1e3s' '$FL_TMP/d.err' && grep -q \"'e3s' is not a unit\" '$FL_TMP/d.err'"
"$FAULTLINE" attack memory --size 16000000T --duration 1s 2>"$FL_TMP/s.err" || true
check "--size 16000000T: names 16000000T, no other number" sh -c "grep -q '16000000T' '$FL_TMP/s.err' && ! grep -q 8388608T '$FL_TMP/s.err'"
rc=0
"$FAULTLINE" validate /tmp 2>"$FL_TMP/v.err" || rc=$?
check "validate /tmp: exit 2 (got $rc), a directory, not 'empty'" sh -c "[ $rc = 2 ] && grep -q 'is a directory' '$FL_TMP/v.err'"
"$FAULTLINE" attack cpu --load 5% --workers 1 --duration 20s --detach --json >"$FL_TMP/c.json"
"$FAULTLINE" status --json >"$FL_TMP/status.json"
g=$(jq -r '.faults[0].guardian_pid' "$FL_TMP/status.json")
check "status --json lists the guardian pid ($g), alive" sh -c "[ '$g' -gt 1 ] && [ \"\$(cat /proc/$g/comm)\" = fl-guardian ] && [ \"\$(jq -r '.faults[0].guardian_alive' '$FL_TMP/status.json')\" = true ]"
"$FAULTLINE" stop --all >/dev/null

# 13. The sandbox removes its private journal; a non-root run says nothing
#     about nftables.
d=$(env -u FAULTLINE_STATE_DIR "$FAULTLINE" sandbox -- sh -c 'echo "$FAULTLINE_STATE_DIR"; "$0" attack cpu --load 5% --workers 1 --duration 30s --detach >/dev/null' "$FAULTLINE")
check "sandbox: its state directory ($d) is gone after the run" sh -c "[ -n '$d' ] && [ ! -e '$d' ]"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    nb=$FL_TMP/nobody
    mkdir -m 0777 "$nb"
    setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups env FAULTLINE_STATE_DIR="$nb/state" \
        "$FAULTLINE" status >/dev/null 2>"$FL_TMP/nobody.err" || true
    check "non-root status: nothing on stderr ($(head -c 100 "$FL_TMP/nobody.err"))" test ! -s "$FL_TMP/nobody.err"
fi
finish
