# What the architecture promises (docs/architecture.md), checked on the tree
# and the built library:
#  - libfaultline.so exports exactly the FL_API functions of the public
#    headers, all fl_*: nothing internal leaks to an embedding program;
#  - an attack kind is its file plus one line of src/attacks/catalog.h;
#  - every command is declared in src/cli/cli.h, none locally;
#  - no function in src/cli/ is longer than 80 lines;
#  - one allocation policy, one monotonic clock, one JSON writer: every
#    allocation goes through fl_xmalloc and its family, clocks are read in
#    src/core/util.c only, no JSON is written by hand.
. "$FL_TESTS/lib.sh"
root=$(cd "$FL_TESTS/.." && pwd)
: "${FL_LIBRARY:?FL_LIBRARY must point at libfaultline.so}"

nm -D --defined-only "$FL_LIBRARY" | awk '{ print $3 }' | sort >"$FL_TMP/exported"
grep -ho '^FL_API .*\bfl_[a-z0-9_]*(' "$root"/include/faultline.h "$root"/include/faultline/*.h |
    grep -o 'fl_[a-z0-9_]*($' | tr -d '(' | sort >"$FL_TMP/declared"
check "every function of the public headers is marked FL_API" bash -c '! grep -n \
    "^\(const \|unsigned \|struct \)\?[a-z][a-z0-9_]*[ *]\+\**fl_[a-z0-9_]*(" "$@"' _ \
    "$root"/include/faultline.h "$root"/include/faultline/*.h
check "the library exports symbols" test -s "$FL_TMP/exported"
check "every exported symbol is fl_*" bash -c '! grep -v "^fl_" "$1"' _ "$FL_TMP/exported"
if diff -u "$FL_TMP/declared" "$FL_TMP/exported" >"$FL_TMP/symbols.diff"; then
    pass "exported = the FL_API functions of the public headers ($(wc -l <"$FL_TMP/exported"))"
else
    fail "exported symbols differ from the FL_API declarations: $(cat "$FL_TMP/symbols.diff")"
fi

sed -n '/#define FL_ATTACKS(X)/,/^$/p' "$root/src/attacks/catalog.h" | grep -o 'X([a-z0-9_]*)' |
    sed 's/X(\(.*\))/\1/' | sort >"$FL_TMP/listed"
grep -l '^const fl_attack fl_attack_' "$root"/src/attacks/*.c | xargs -n1 basename | sed 's/\.c$//' |
    sort >"$FL_TMP/files"
if diff -u "$FL_TMP/listed" "$FL_TMP/files" >"$FL_TMP/kinds.diff"; then
    pass "every attack file is one line of src/attacks/catalog.h, and every line a file ($(wc -l <"$FL_TMP/files"))"
else
    fail "src/attacks/catalog.h and the attack files differ: $(cat "$FL_TMP/kinds.diff")"
fi
check "catalog order = faultline attacks order" test "$("$FAULTLINE" attacks --json | jq -r '.attacks[].name' |
    tr - _ | tr '\n' ' ')" = "$(sed -n '/#define FL_ATTACKS(X)/,/^$/p' "$root/src/attacks/catalog.h" |
    grep -o 'X([a-z0-9_]*)' | sed 's/X(\(.*\))/\1/' | tr '\n' ' ')"

defined=$(grep -ho '^int cmd_[a-z_]*(' "$root"/src/cli/*.c | sort -u)
declared=$(grep -ho '^int cmd_[a-z_]*(' "$root/src/cli/cli.h" | sort -u)
check "every cmd_* is declared in cli.h" test "$defined" = "$declared"
check "no prototype is declared locally in src/cli/*.c" \
    bash -c '! grep -n "^\(int\|bool\|void\) \(cmd\|cli\)_[a-z_]*([^{]*);$" "$@"' _ "$root"/src/cli/*.c

if python3 "$root/scripts/function-lengths.py" --max 80 --top 1 "$root"/src/cli/*.c >"$FL_TMP/longest"; then
    pass "no function in src/cli/ over 80 lines (longest: $(cat "$FL_TMP/longest"))"
else
    fail "a function in src/cli/ is over 80 lines: $(python3 "$root/scripts/function-lengths.py" --top 5 "$root"/src/cli/*.c)"
fi
mapfile -t lib_sources < <(find "$root/src" -name '*.[ch]' | sort)
if python3 "$root/scripts/alloc-census.py" --max-raw 0 "${lib_sources[@]}" >"$FL_TMP/census"; then
    pass "every allocation goes through fl_xmalloc and its family ($(cat "$FL_TMP/census"))"
else
    fail "raw allocator calls: $(python3 "$root/scripts/alloc-census.py" --list raw "${lib_sources[@]}")"
fi
clock_read='clock_gettime\(CLOCK_(MONOTONIC|BOOTTIME|REALTIME)'
json_by_hand='[\]"[a-z_]+[\]":'
check "clocks are read in src/core/util.c only" bash -c '! grep -nE "$1" "${@:2}" | grep -v "/src/core/util.c:"' _ \
    "$clock_read" "${lib_sources[@]}"
check "no JSON written by hand (jansson writes it)" bash -c '! grep -nE "$1" "${@:2}"' _ "$json_by_hand" "${lib_sources[@]}"
finish
