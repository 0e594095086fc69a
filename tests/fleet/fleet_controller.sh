# Issue 16, item 6: a network fault never cuts the host's live SSH sessions,
# even when faultline runs without $SSH_CONNECTION (sudo with env_reset,
# su -, cron, a tmux started from an earlier login). A host namespace with
# its own sshd (fleet_lib.sh); the controller namespace holds a live ssh
# session into it; faultline on the host blackholes the controller's
# address with no SSH_CONNECTION in its environment.
. "$FL_TESTS/../lib.sh"
. "$FL_TESTS/fleet_lib.sh"
fleet_skip_unless_ready
command -v nft >/dev/null || skip "needs nft to look at the rules"
trap 'fleet_teardown; fl_cleanup' EXIT
trap 'exit 143' TERM INT # so the EXIT trap tears the fleet down
fleet_up 1
host=$FLEET_NET.11
ctl=$FLEET_NET.1
ticks=$FL_TMP/ticks
# The operator's session: prints a line every 100 ms for as long as it lives.
ip netns exec "${FLEET_NS}c" ssh -T -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o ServerAliveInterval=1 -o ServerAliveCountMax=2 -i "$FLEET_DIR/client_key" "root@$host" \
    'while :; do echo tick; sleep 0.1; done' >"$ticks" 2>/dev/null &
FL_PIDS+=("$!")
wait_for 10 test -s "$ticks" || { fail "the ssh session did not start"; finish; }

# faultline on the host, outside any ssh session: no SSH_CONNECTION.
rc=0
ip netns exec "${FLEET_NS}h1" env -u SSH_CONNECTION FAULTLINE_STATE_DIR="$FLEET_DIR/h1/state" \
    "$FAULTLINE" attack blackhole --host "$ctl" --direction both --duration 4s >"$FL_TMP/a.out" 2>"$FL_TMP/a.err" &
attack=$!
sleep 1.5
before=$(wc -l <"$ticks")
# A new connection from the controller is blackholed: the fault is in place.
if ip netns exec "${FLEET_NS}c" timeout 1 bash -c "exec 3<>/dev/tcp/$host/22" 2>/dev/null; then
    fail "a new connection from the controller got through: the fault is not in place"
else
    pass "a new connection from the controller is blackholed"
fi
sleep 1.5
after=$(wc -l <"$ticks")
check "the live SSH session kept running through the blackhole ($before -> $after lines)" [ "$after" -gt $((before + 5)) ]
wait "$attack" || rc=$?
check "the attack ran and ended by itself (exit $rc: $(tail -2 "$FL_TMP/a.err"))" [ "$rc" = 0 ]
check "stderr says which session was left alone: $(grep -o 'leaving.*' "$FL_TMP/a.err" | head -1)" \
    grep -Eq "leaving 1 SSH session\\(s\\) alone \\($ctl:[0-9]+->22\\)" "$FL_TMP/a.err"
check "the applied lines say it too" grep -q "excluded the SSH session from $ctl" "$FL_TMP/a.out"
check "the host's journal is empty" [ "$(host_faults 1)" = 0 ]
finish
