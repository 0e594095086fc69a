# Issue 16, items 1-3: faultline acts only on a journal no one else could
# have written, never on a record from outside it, and never ignores one it
# cannot read. Each attack is reproduced first: a forged record, `stop ../x`,
# a newline in a table name, a truncated record.
. "$FL_TESTS/lib.sh"
command -v setpriv >/dev/null || skip "needs setpriv"
[ "$(id -u)" = 0 ] || skip "needs root (a second user)"
S=$FAULTLINE_STATE_DIR
nobody=$(id -u nobody)

# A record faultline would write, for a dead owner, with one undo operation.
record() { # id kind undo-json
    printf '{"id":"%s","kind":"%s","state":"active","owner":{"pid":4194304,"start":1},"started_us":1,"expires_us":2,"undo":[%s]}\n' "$1" "$2" "$3"
}

# 1. A root-owned 0777 directory: anyone can put a record there. Another
#    user running status must not execute it.
shared=$FL_TMP/shared
mkdir -m 0777 "$shared"
victim_dir=$FL_TMP/victims
mkdir -m 0777 "$victim_dir"
victim=$victim_dir/faultline-fill-disk-fill-0000000a.tmp
setpriv --reuid="$nobody" --regid="$nobody" --clear-groups touch "$victim"
mkdir -m 0777 "$shared/faults"
record disk-fill-0000000a disk-fill "{\"op\":\"unlink\",\"path\":\"$victim\"}" >"$shared/faults/disk-fill-0000000a.json"
rc=0
setpriv --reuid="$nobody" --regid="$nobody" --clear-groups env FAULTLINE_STATE_DIR="$shared" "$FAULTLINE" status \
    >"$FL_TMP/s.out" 2>"$FL_TMP/s.err" || rc=$?
check "a forged record in a 0777 directory is not executed by status" test -e "$victim"
check "status refuses that directory (exit 4, got $rc)" [ "$rc" = 4 ]
check "and says why" grep -q "mode 0700" "$FL_TMP/s.err"
rc=0
FAULTLINE_STATE_DIR=$shared "$FAULTLINE" recover >/dev/null 2>&1 || rc=$?
check "root's recover refuses it too (exit 4, got $rc)" sh -c "[ $rc = 4 ] && test -e '$victim'"
# A symlink to a private directory is not the directory.
ln -s "$S" "$FL_TMP/link"
rc=0
FAULTLINE_STATE_DIR=$FL_TMP/link "$FAULTLINE" status >/dev/null 2>"$FL_TMP/l.err" || rc=$?
check "a symlinked state directory is refused (exit $rc)" sh -c "[ $rc = 4 ] && grep -q symlink '$FL_TMP/l.err'"

# 2. stop ../../x: ids never name files outside the journal.
mkdir -p -m 700 "$S/faults"
outside=$FL_TMP/outside
record cpu-0000000b cpu "{\"op\":\"unlink\",\"path\":\"$victim\"}" >"$outside.json"
rc=0
"$FAULTLINE" stop "../../../../../../..$outside" >/dev/null 2>"$FL_TMP/stop.err" || rc=$?
check "stop ../x: exit 2 (got $rc), not a fault id" sh -c "[ $rc = 2 ] && grep -q 'not a fault id' '$FL_TMP/stop.err'"
check "stop ../x: its undo was not run" test -e "$victim"
rc=$(rc_of "$FAULTLINE" stop a/b)
check "stop a/b: exit 2 (got $rc)" [ "$rc" = 2 ]
"$FAULTLINE" stop a/b 2>"$FL_TMP/ab.err" || true
check "stop a/b says: not a fault id (not 'no active fault')" grep -q "not a fault id" "$FL_TMP/ab.err"

# 3. A newline in a journaled table name would inject nft commands.
if unshare -Urn true 2>/dev/null && command -v nft >/dev/null; then
    inj=$FL_TMP/inj
    mkdir -m 700 "$inj" "$inj/faults"
    record blackhole-0000000c blackhole '{"op":"nft_delete_table","family":"inet","name":"faultline_a\nadd table inet injected_by_journal"}' \
        >"$inj/faults/blackhole-0000000c.json"
    # faultline_a exists, so "delete table inet faultline_a" would succeed
    # and the injected line after it would run.
    unshare -Urn sh -c "nft add table inet faultline_a; FAULTLINE_STATE_DIR='$inj' '$FAULTLINE' status >/dev/null 2>&1; nft list tables" >"$FL_TMP/tables" 2>&1
    check "no table injected through a journaled name" sh -c "! grep -q injected_by_journal '$FL_TMP/tables'"
fi

# 4. A truncated record: reported by status, by recover (exit 4, the file
#    named), kept aside, and what it names after its id undone.
rm -f "$S"/faults/*.json
fill=$FL_TMP/faultline-fill-disk-fill-0000000d.tmp
echo x >"$fill"
full=$(record disk-fill-0000000d disk-fill "{\"op\":\"unlink\",\"path\":\"$fill\"}")
printf '%s' "${full%]*}" >"$S/faults/disk-fill-0000000d.json" # the end is lost
rc=0
"$FAULTLINE" status >"$FL_TMP/st.out" 2>"$FL_TMP/st.err" || rc=$?
check "status shows the corrupt record (exit 4, got $rc)" sh -c "[ $rc = 4 ] && grep -q 'CORRUPT.*disk-fill-0000000d.json' '$FL_TMP/st.out'"
check "status says so on stderr, not 'no active faults'" sh -c "grep -q corrupt '$FL_TMP/st.err'"
rc=0
"$FAULTLINE" recover >"$FL_TMP/r.out" 2>"$FL_TMP/r.err" || rc=$?
check "recover: exit 4 (got $rc), naming the file" sh -c "[ $rc = 4 ] && grep -q 'disk-fill-0000000d.json' '$FL_TMP/r.out' '$FL_TMP/r.err'"
check "recover kept it aside for inspection" test -e "$S/corrupt/disk-fill-0000000d.json"
check "recover undid what it names (its fill file)" test ! -e "$fill"
rc=$(rc_of "$FAULTLINE" recover)
check "recover keeps failing (4) while it is kept (got $rc)" [ "$rc" = 4 ]
rm -f "$S/corrupt/disk-fill-0000000d.json"
check "once inspected and removed: recover exits 0" [ "$(rc_of "$FAULTLINE" recover)" = 0 ]
finish
