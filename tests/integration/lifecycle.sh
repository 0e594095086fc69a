# detach, status, stop, recover, expiry, signals, dry run, JSON output.
. "$FL_TESTS/lib.sh"

json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

out=$("$FAULTLINE" attack cpu --workers 1 --load 10% --duration 30s --detach --json)
id=$(json_field 'd["id"]' <<<"$out")
check "detach prints an id" test -n "$id"
st=$("$FAULTLINE" status --json)
check "status lists it as active" test "$(json_field 'd["faults"][0]["state"]' <<<"$st")" = active
check "status shows params" test "$(json_field 'd["faults"][0]["params"]["load"]' <<<"$st")" = 10%
check "status shows the owner alive" test "$(json_field 'd["faults"][0]["owner_alive"]' <<<"$st")" = True
check "status shows RFC 3339 times" grep -Eq '"expires":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"' <<<"$st"
check "stop <id> exits 0" test "$(rc_of "$FAULTLINE" stop "$id")" -eq 0
check "journal empty after stop" test "$(journal_count)" -eq 0
check "stop of the same id again exits 2" test "$(rc_of "$FAULTLINE" stop "$id")" -eq 2

# expiry of a detached fault
"$FAULTLINE" attack cpu --workers 1 --load 10% --duration 1s --detach >/dev/null
check "detached fault expires by itself" wait_for 4 sh -c "test \$(find '$FAULTLINE_STATE_DIR/faults' -name '*.json' | wc -l) -eq 0"

# SIGTERM to a foreground attack rolls back at once and exits 3
"$FAULTLINE" attack cpu --workers 1 --load 10% --duration 30s >/dev/null &
fg=$!
wait_for 5 sh -c "test \$(find '$FAULTLINE_STATE_DIR/faults' -name '*.json' | wc -l) -eq 1"
sleep 0.5
t0=$(date +%s%N)
kill -TERM "$fg"
rc=0; wait "$fg" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "SIGTERM to rolled back in ${ms} ms"
check "SIGTERM exits 3" test "$rc" -eq 3
check "SIGTERM rollback within 1s" test "$ms" -lt 1000
check "journal empty after SIGTERM" test "$(journal_count)" -eq 0

# stop --all, recover --all
"$FAULTLINE" attack cpu --workers 1 --load 5% --duration 30s --detach >/dev/null
"$FAULTLINE" attack memory --size 8M --duration 30s --detach >/dev/null
check "two faults active" test "$(journal_count)" -eq 2
check "recover leaves live faults alone" test "$("$FAULTLINE" recover --json)" = '{"recovered":[]}'
check "recover --all rolls back live faults" test "$("$FAULTLINE" recover --all --json | json_field 'len(d["recovered"])')" -eq 2
check "journal empty" test "$(journal_count)" -eq 0

# dry run applies nothing and shows every undo
dry=$("$FAULTLINE" attack cpu --workers 2 --duration 5s --dry-run --json)
check "dry run lists each operation with its undo" test "$(json_field 'sum(1 for o in d["operations"] if o["undo"])' <<<"$dry")" -eq 2
check "dry run journals nothing" test "$(journal_count)" -eq 0

# instant attack
fl_spawn sleep 300
victim=${FL_PIDS[-1]}
kout=$("$FAULTLINE" attack process-kill --pid "$victim" --signal KILL --json)
check "process-kill reports the exit" test "$(json_field 'd["verified"]' <<<"$kout")" = "1 of 1 processes exited after SIGKILL"

# catalog
check "attacks --json lists 6+ kinds" test "$("$FAULTLINE" attacks --json | json_field 'len(d["attacks"])')" -ge 6
check "attacks cpu shows --load's range" grep -q "range 1%..100%" <<<"$("$FAULTLINE" attacks cpu)"
finish
