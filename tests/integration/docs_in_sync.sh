# docs/attacks.md lists exactly what the binary accepts.
. "$FL_TESTS/lib.sh"
root=$(cd "$FL_TESTS/.." && pwd)
python3 "$root/scripts/gen-attacks-doc.py" "$FAULTLINE" >"$FL_TMP/attacks.md"
if diff -u "$root/docs/attacks.md" "$FL_TMP/attacks.md"; then
    pass "docs/attacks.md is up to date"
else
    fail "docs/attacks.md is stale: run scripts/gen-attacks-doc.py build/ci/faultline > docs/attacks.md"
fi
finish
