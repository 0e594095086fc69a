# cpu --load 50% --workers 1, measured from /proc over 3 s: 45-55% of a core.
. "$FL_TESTS/lib.sh"

"$FAULTLINE" attack cpu --load 50% --workers 1 --duration 20s --detach --json >"$FL_TMP/out.json"
pid=$(first_worker_pid "$FL_TMP/out.json")
sleep 0.5
share=$(cpu_share "$pid" 3)
echo "measured cpu share of the worker: $share"
check "worker uses 45-55% of one core" within "$share" 0.45 0.55
"$FAULTLINE" stop --all >/dev/null
check "worker gone after stop" wait_for 2 sh -c "! test -e /proc/$pid/stat || grep -q ') Z' /proc/$pid/stat"
check "journal empty after stop" test "$(journal_count)" -eq 0
finish
