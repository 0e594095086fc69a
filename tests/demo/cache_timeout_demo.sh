# The main job end to end: the cache-timeout experiment twice against the
# buggy service (always FAIL, the Redis call at ~2 s) and twice against the
# fixed one (always PASS, capped near 40 ms), all inside a private
# user+network namespace. scripts/demo-repeat.sh runs it N times over and
# prints the spread (docs/demo-repeat.md keeps a 10-run table).
. "$FL_TESTS/../lib.sh"
command -v redis-server >/dev/null || skip "redis-server is not installed"
unshare -Urn true 2>/dev/null || skip "no user+network namespaces"
root=$(cd "$FL_TESTS/../.." && pwd)
service=${FL_DEMO_SERVICE:?FL_DEMO_SERVICE must point at cache-timeout-service}

"$FAULTLINE" sandbox -- "$root/examples/cache-timeout/run-demo.sh" "$FAULTLINE" "$service" "$FL_TMP/out" both 2 \
    >"$FL_TMP/summary.txt" || true
cat "$FL_TMP/summary.txt"
check "2 buggy runs" test "$(grep -c '^buggy:' "$FL_TMP/summary.txt")" -eq 2
check "2 fixed runs" test "$(grep -c '^fixed:' "$FL_TMP/summary.txt")" -eq 2
check "buggy always FAILs (exit 1)" test "$(grep -c '^buggy: FAIL  (exit 1)' "$FL_TMP/summary.txt")" -eq 2
check "fixed always PASSes (exit 0)" test "$(grep -c '^fixed: PASS  (exit 0)' "$FL_TMP/summary.txt")" -eq 2
for run in 1 2; do
    python3 - "$FL_TMP/out/buggy-$run/result.json" "$FL_TMP/out/fixed-$run/result.json" <<'PY' || fail "run $run: measured values"
import json, sys
def worst(path, name):
    d = json.load(open(path))
    return next(h for h in d["hypotheses"] if h["name"].startswith(name))["measured"]
buggy = worst(sys.argv[1], "slowest service->redis")
fixed = worst(sys.argv[2], "slowest service->redis")
assert buggy is not None and fixed is not None, ("slowest call not measured", buggy, fixed)
print(f"slowest service->redis call: buggy {buggy:.1f} ms, fixed {fixed:.1f} ms")
assert 1900 <= buggy <= 2600, buggy     # the full 2 s injected
assert fixed < 100, fixed               # capped near the 40 ms timeout
# Every hypothesis meant to catch the bug fails on the buggy service on its
# own measured values, and every one passes on the fixed service with the
# coverage it needs; none rests on too little data.
for path, want in ((sys.argv[1], "fail"), (sys.argv[2], "pass")):
    for h in json.load(open(path))["hypotheses"]:
        expect = "pass" if h["name"].startswith("steady state") else want
        assert h["verdict"] == expect, (path, h["name"], h["verdict"], h["coverage"]["text"])
        assert h["coverage"]["ratio"] >= 0.5, (path, h["name"], h["coverage"]["text"])
PY
    check "run $run: both reports written" test -s "$FL_TMP/out/buggy-$run/report.html" -a -s "$FL_TMP/out/fixed-$run/junit.xml"
done
check "no fault left in the journal" test "$(journal_count)" -eq 0
finish
