# cpu --load 50% --workers 1, measured from /proc over 3 s: 45-55% of a core.
. "$FL_TESTS/lib.sh"

hz=$(getconf CLK_TCK)
"$FAULTLINE" attack cpu --load 50% --workers 1 --duration 20s --detach --json >"$FL_TMP/out.json"
pid=$(python3 -c 'import json,sys,re; d=json.load(open(sys.argv[1])); print(re.search(r"pid (\d+)", d["applied"][0]).group(1))' "$FL_TMP/out.json")
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
sleep 0.5
t0=$(ticks); s0=$(date +%s.%N)
sleep 3
t1=$(ticks); s1=$(date +%s.%N)
share=$(awk -v a="$t0" -v b="$t1" -v s="$s0" -v e="$s1" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz / (e - s) }')
echo "measured cpu share of the worker: $share"
check "worker uses 45-55% of one core" within "$share" 0.45 0.55
"$FAULTLINE" stop --all >/dev/null
check "worker gone after stop" wait_for 2 sh -c "! test -e /proc/$pid/stat || grep -q ') Z' /proc/$pid/stat"
check "journal empty after stop" test "$(journal_count)" -eq 0
finish
