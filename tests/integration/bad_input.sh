# Invalid invocations: each exits 2, names the parameter, applies nothing.
. "$FL_TESTS/lib.sh"

before_procs=$(ls /proc | grep -c '^[0-9]')
n=0
expect_invalid() { # expect_invalid <word the message must name> args...
    local want=$1; shift
    local out rc=0
    out=$("$FAULTLINE" "$@" 2>&1 >/dev/null) || rc=$?
    n=$((n + 1))
    if [ "$rc" -ne 2 ]; then
        fail "faultline $* -> exit $rc, want 2 ($out)"
    elif ! grep -q -- "$want" <<<"$out"; then
        fail "faultline $* -> message does not name '$want': $out"
    else
        pass "faultline $* -> 2: $out"
    fi
}

expect_invalid "kind"        attack nope --duration 1s
expect_invalid "--foo"       attack cpu --foo 1 --duration 1s
expect_invalid "--duration"  attack cpu --load 50%
expect_invalid "--duration"  attack cpu --duration 5
expect_invalid "--duration"  attack cpu --duration 13h
expect_invalid "--duration"  attack cpu --duration -1s
expect_invalid "--load"      attack cpu --load 150% --duration 1s
expect_invalid "--load"      attack cpu --load abc --duration 1s
expect_invalid "--load"      attack cpu --load 0% --duration 1s
expect_invalid "--workers"   attack cpu --workers -2 --duration 1s
expect_invalid "--cpus"      attack cpu --cpus 0-1 --workers 2 --duration 1s
expect_invalid "--cpus"      attack cpu --cpus 3-1 --duration 1s
expect_invalid "--cpus"      attack cpu --cpus 4000 --duration 1s
expect_invalid "--load"      attack cpu --load 50% --load 60% --duration 1s
expect_invalid "--load"      attack cpu --duration 1s --load
expect_invalid "--size"      attack memory --size 12X --duration 1s
expect_invalid "--percent"   attack memory --size 1M --percent 5% --duration 1s
expect_invalid "--size"      attack memory --duration 1s
expect_invalid "--size"      attack memory --size 100T --duration 1s
expect_invalid "--reserve"   attack memory --size 1M --reserve 5x --duration 1s
expect_invalid "--path"      attack disk-fill --percent 50% --duration 1s
expect_invalid "--path"      attack disk-fill --path relative/dir --size 1M --duration 1s
expect_invalid "--path"      attack disk-fill --path /nonexistent-dir --size 1M --duration 1s
expect_invalid "--percent"   attack disk-fill --path "$FL_TMP" --percent 1% --duration 1s
expect_invalid "--mode"      attack io-stress --path "$FL_TMP" --mode sideways --duration 1s
expect_invalid "--block"     attack io-stress --path "$FL_TMP" --block 1M --size 1M --block 2M --duration 1s
expect_invalid "--signal"    attack process-kill --pid 99999 --signal SIGNOPE
expect_invalid "--pid"       attack process-kill --pid 4194000
expect_invalid "--duration"  attack process-kill --name nothing-like-this --duration 1s
expect_invalid "--name"      attack process-pause --name no-such-process-xyz --duration 1s
expect_invalid "--pattern"   attack process-pause --pattern '([' --duration 1s
expect_invalid "--pid"       attack process-pause --duration 1s
expect_invalid "--cgroup"    attack cpu --cgroup /nonexistent --duration 1s
expect_invalid "--detach"    attack cpu --duration 1s --detach --dry-run
expect_invalid "unexpected"  attack cpu stray --duration 1s
expect_invalid "unknown command" frobnicate
expect_invalid "unknown option"  status --bogus
expect_invalid "stop"        stop
expect_invalid "id"          stop no-such-id

echo "$n invalid invocations checked"
check "at least 20 invalid invocations" test "$n" -ge 20
check "nothing was journaled" test "$(journal_count)" -eq 0
check "no fill or io files were created" test -z "$(ls "$FL_TMP")"
finish
