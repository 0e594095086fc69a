# Issue 16, item 11: a 1 MiB file of nested '[' (libyaml's scanner is
# quadratic in nesting depth: 200,000 levels took over a minute) is refused
# in under a second with exit 2, as an experiment and as an inventory.
. "$FL_TESTS/lib.sh"
python3 -c 'import sys; sys.stdout.write("[" * (1 << 20))' >"$FL_TMP/bomb.yaml"
python3 -c 'import sys; sys.stdout.write("hosts:\n  a: " + "{x: " * 200000)' >"$FL_TMP/inv.yaml"
t0=$(date +%s.%N)
rc=0
timeout 60 "$FAULTLINE" validate "$FL_TMP/bomb.yaml" 2>"$FL_TMP/v.err" || rc=$?
el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
check "validate: 1 MiB nesting bomb refused with exit 2 (got $rc)" [ "$rc" = 2 ]
check "in under a second (${el}s)" awk "BEGIN { exit !($el < 1.0) }"
check "naming line:column and the bound: $(cat "$FL_TMP/v.err")" grep -q "bomb.yaml:1:65: nested deeper than 64 levels" "$FL_TMP/v.err"
t0=$(date +%s.%N)
rc=0
timeout 60 "$FAULTLINE" status --inventory "$FL_TMP/inv.yaml" 2>"$FL_TMP/i.err" || rc=$?
el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
check "inventory: nesting bomb refused with exit 2 (got $rc) in ${el}s" sh -c "[ $rc = 2 ] && awk 'BEGIN { exit !($el < 1.0) }'"
check "naming the inventory's line:column: $(head -c 200 "$FL_TMP/i.err")" grep -q "inv.yaml:2:.*nested deeper than 64 levels" "$FL_TMP/i.err"
finish
