# process-pause leaves the target in state T and resumes it.
. "$FL_TESTS/lib.sh"

# A uniquely named copy of sleep, so --name cannot match anyone else's.
name=zzsleep$$
cp "$(command -v sleep)" "$FL_TMP/$name"
fl_spawn "$FL_TMP/$name" 60
target=${FL_PIDS[-1]}
state() { awk '{ print $3 }' "/proc/$target/stat"; }
"$FAULTLINE" attack process-pause --pid "$target" --duration 2s >"$FL_TMP/out" &
fg=$!
wait_for 5 sh -c "test \"\$(awk '{print \$3}' /proc/$target/stat)\" = T"
check "target is stopped (T) during the fault" test "$(state)" = T
check "a second pause of the same pid is refused (exit 4)" \
    test "$(rc_of "$FAULTLINE" attack process-pause --pid "$target" --duration 1s)" -eq 4
wait "$fg"
check "foreground attack exits 0 at expiry" test $? -eq 0
check "target resumed (S) after the fault" test "$(state)" = S
# By name, detached, stopped early.
"$FAULTLINE" attack process-pause --name "$name" --pattern " 60$" --duration 30s --detach >/dev/null
check "stopped by --name/--pattern" test "$(state)" = T
"$FAULTLINE" stop --all >/dev/null
check "resumed by stop" test "$(state)" = S
finish
