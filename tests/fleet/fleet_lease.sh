# The lease (dead-man's switch) of an attached attack, on this host:
# no heartbeat -> rolled back when the lease runs out; EOF -> at once;
# heartbeats -> held for the whole duration. No root, no network.
. "$FL_TESTS/../lib.sh"

# 1. Nobody renews: stdin open (a sleeping writer) but silent.
t0=$(date +%s.%N)
rc=0
"$FAULTLINE" attack cpu --load 5% --workers 1 --duration 30s --lease 1500ms --json >"$FL_TMP/a.json" \
    < <(exec sleep 8) || rc=$?
t1=$(date +%s.%N)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
check "silent lease ends the fault: exit 3 (got $rc)" [ "$rc" = 3 ]
check "rolled back after the 1.5s lease, well before 30s (${el}s; apply included)" within "$el" 1.4 6
check "first JSON line: active with an id" [ "$(head -1 "$FL_TMP/a.json" | jq -r .state)" = active ]
check "second JSON line: rolled_back" [ "$(tail -1 "$FL_TMP/a.json" | jq -r .state)" = rolled_back ]
check "journal empty" [ "$(journal_count)" = 0 ]

# 2. The holder goes away: EOF on stdin ends it at once.
t0=$(date +%s.%N)
rc=0
"$FAULTLINE" attack cpu --load 5% --workers 1 --duration 30s --lease 10s </dev/null >"$FL_TMP/b.txt" || rc=$?
t1=$(date +%s.%N)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
check "EOF ends a 10s lease at once: exit 3 (got $rc), ${el}s" sh -c "[ $rc = 3 ] && awk 'BEGIN{exit !($el < 5)}'"
check "the reason is printed" grep -q "stdin closed" "$FL_TMP/b.txt"

# 3. Renewed every 300ms: the fault runs its full 2.5s despite a 1s lease.
rc=0
t0=$(date +%s.%N)
"$FAULTLINE" attack cpu --load 5% --workers 1 --duration 2500ms --lease 1s --json >"$FL_TMP/c.json" \
    < <(for _ in $(seq 1 40); do echo || exit 0; sleep 0.3; done) || rc=$?
t1=$(date +%s.%N)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
check "renewed lease: ends by itself, exit 0 (got $rc) after ${el}s" sh -c "[ $rc = 0 ] && awk 'BEGIN{exit !($el >= 2.5)}'"

# 4. Invalid leases: exit 2, nothing applied.
check "--lease 10ms rejected (2)" [ "$(rc_of "$FAULTLINE" attack cpu --load 5% --duration 5s --lease 10ms)" = 2 ]
check "--lease with --detach rejected (2)" [ "$(rc_of "$FAULTLINE" attack cpu --load 5% --duration 5s --lease 5s --detach)" = 2 ]
check "journal empty" [ "$(journal_count)" = 0 ]
finish
