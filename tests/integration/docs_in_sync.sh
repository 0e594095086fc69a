# docs/attacks.md lists exactly what the binary accepts.
. "$FL_TESTS/lib.sh"
root=$(cd "$FL_TESTS/.." && pwd)
python3 "$root/scripts/gen-attacks-doc.py" "$FAULTLINE" >"$FL_TMP/attacks.md"
if diff -u "$root/docs/attacks.md" "$FL_TMP/attacks.md"; then
    pass "docs/attacks.md is up to date"
else
    fail "docs/attacks.md is stale: run scripts/gen-attacks-doc.py build/ci/faultline > docs/attacks.md"
fi
# A parameter's help does not say what its flags already say: the catalog
# adds "(required, repeatable)" itself ("(repeatable) (repeatable)" once).
"$FAULTLINE" attacks --json >"$FL_TMP/catalog.json"
cat >"$FL_TMP/repeats.jq" <<'JQ'
[.attacks[].params[] | select((.repeatable and (.help | test("\\(repeatable\\)")))
                              or (.required and (.help | test("\\(required\\)"))))] | length == 0
JQ
check "no parameter's help repeats its flags" jq -e -f "$FL_TMP/repeats.jq" "$FL_TMP/catalog.json"
# The experiment shown in the README is valid.
python3 - "$root/README.md" "$FL_TMP/readme.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
start = text.index("```yaml\n") + len("```yaml\n")
open(sys.argv[2], "w").write(text[start:text.index("```", start)])
PY
check "the README's experiment validates" "$FAULTLINE" validate "$FL_TMP/readme.yaml"
finish
