# blackhole, packet-loss, reset: what passes during and after, on loopback,
# for UDP counts and real TCP connections; every kind leaves the ruleset
# identical afterwards; dry runs apply nothing; bad input exits 2 naming
# the field. (Silent drops and the new kinds' shares: net_silent.sh.)
. "$FL_TESTS/netlib.sh"

before=$(net_state)
start_redis 6379

# -- blackhole: 0 of 500 UDP datagrams pass during, all pass after.
"$FAULTLINE" attack blackhole --host 127.0.0.1 --port 7001 --protocol udp --duration 30s --detach >"$FL_TMP/out" 2>&1
id=$(sed -n 's/^\(blackhole-[0-9a-f]*\) applied.*/\1/p' "$FL_TMP/out")
check "blackhole applied and verified" grep -q "verified: probe UDP datagram to 127.0.0.1 port 7001 matched" "$FL_TMP/out"
got=$("$NETPROBE" udp 127.0.0.1 7001 500 | field received)
check "blackhole: 0 of 500 datagrams pass during (got $got)" test "$got" -eq 0
got=$("$NETPROBE" udp 127.0.0.1 7002 500 | field received)
check "blackhole: another port is untouched ($got of 500)" test "$got" -eq 500
"$FAULTLINE" stop "$id" >/dev/null
got=$("$NETPROBE" udp 127.0.0.1 7001 500 | field received)
check "blackhole: all 500 pass after (got $got)" test "$got" -eq 500
check "blackhole: ruleset identical after stop" test "$(net_state)" = "$before"

# -- blackhole on TCP hits a connection opened before it.
"$NETPROBE" reset-open 127.0.0.1 6379 "$FL_TMP/go" >"$FL_TMP/open" &
client=$!
wait_for 5 grep -q open "$FL_TMP/open"
"$FAULTLINE" attack blackhole --host 127.0.0.1 --port 6379 --duration 30s --detach >/dev/null
touch "$FL_TMP/go"
wait "$client"
check "blackhole: an open connection's request times out ($(tail -1 "$FL_TMP/open"))" \
    test "$(tail -1 "$FL_TMP/open")" = ETIMEDOUT
"$FAULTLINE" stop --all >/dev/null
rm -f "$FL_TMP/go"

# -- packet-loss 30% over 10,000 datagrams: 27-33% lost.
"$FAULTLINE" attack packet-loss --host 127.0.0.1 --port 7003 --protocol udp --percent 30% --duration 60s --detach >/dev/null
lost=$("$NETPROBE" udp 127.0.0.1 7003 10000 | field lost_pct)
check "packet-loss 30%: $lost% of 10000 lost (27-33)" within "$lost" 27 33
"$FAULTLINE" stop --all >/dev/null
lost=$("$NETPROBE" udp 127.0.0.1 7003 2000 | field lost_pct)
check "packet-loss: nothing lost after ($lost%)" within "$lost" 0 0
check "packet-loss: ruleset identical after stop" test "$(net_state)" = "$before"

# -- reset: a new connection is refused, an open one is reset.
"$NETPROBE" reset-open 127.0.0.1 6379 "$FL_TMP/go" >"$FL_TMP/open" &
client=$!
wait_for 5 grep -q open "$FL_TMP/open"
"$FAULTLINE" attack reset --host 127.0.0.1 --port 6379 --duration 30s --detach >"$FL_TMP/out" 2>&1
check "reset verified by its probe" grep -q "Connection refused" "$FL_TMP/out"
got=$("$NETPROBE" connect 127.0.0.1 6379 1000)
check "reset: a new connection fails with ECONNREFUSED (got $got)" test "$got" = ECONNREFUSED
touch "$FL_TMP/go"
wait "$client"
check "reset: an open connection fails with ECONNRESET ($(tail -1 "$FL_TMP/open"))" \
    test "$(tail -1 "$FL_TMP/open")" = ECONNRESET
"$FAULTLINE" stop --all >/dev/null
got=$("$NETPROBE" connect 127.0.0.1 6379 1000)
check "reset: connections work after ($got)" test "$got" = ok
check "reset: ruleset identical after stop" test "$(net_state)" = "$before"

# -- every kind rolls back to the identical ruleset (and qdiscs).
# (Holding kinds verify passively here: on a busy machine one late probe
# packet would make the fault degraded, exit 4; accuracy has its own tests.)
for args in "blackhole --host ::1 --direction both" "packet-loss --port 1-1024 --percent 5%" \
    "reset --host 127.0.0.0/8 --port 6379 --protocol all" \
    "latency --host 127.0.0.1 --port 6380 --delay 5ms --jitter 1ms --correlation 25% --verify passive" \
    "bandwidth --port 6380 --rate 10mbit --verify passive" "dns --mode refuse" "dns --domain example.com --mode refuse" \
    "blackhole --exclude-host 10.0.0.0/8 --exclude-port 22 --interface lo --direction ingress" \
    "packet-loss --host 127.0.0.1 --percent 10% --burst 3 --direction both" "corrupt --port 6380 --percent 5%" \
    "duplicate --host ::1 --percent 5% --direction both" "reorder --port 6380 --percent 5% --gap 2 --verify passive" \
    "dns --mode drop"; do
    # shellcheck disable=SC2086
    rc=$(rc_of "$FAULTLINE" attack $args --duration 1s)
    check "$args: ran (rc $rc) and left the ruleset identical" test "$rc" = 0 -a "$(net_state)" = "$before"
done

# -- two faults on the same packets compose: each packet gets each once
#    (a copy the latency engine re-sends is not lost twice).
"$FAULTLINE" attack latency --host 127.0.0.1 --port 7004 --protocol udp --delay 50ms --verify passive \
    --duration 1m --detach >/dev/null
"$FAULTLINE" attack packet-loss --protocol udp --percent 30% --verify passive --duration 1m --detach >/dev/null
"$NETPROBE" udp-paced 127.0.0.1 7004 2000 1 50000 20 >"$FL_TMP/both"
lost=$(awk -v r="$(field received <"$FL_TMP/both")" 'BEGIN { printf "%.1f", 100 - r / 20 }')
check "latency + packet-loss: $lost% lost once (26-34)" within "$lost" 26 34
check "latency + packet-loss: every datagram delayed ($(field delay_min_us <"$FL_TMP/both") us >= 50 ms)" \
    test "$(field delay_min_us <"$FL_TMP/both")" -ge 50000
"$FAULTLINE" stop --all >/dev/null

# -- dry run: the exact rules and their inverses, nothing applied.
"$FAULTLINE" attack latency --host 127.0.0.1 --port 6379 --delay 40ms --duration 5s --dry-run >"$FL_TMP/dry"
# (the table is faultline_<8 hex digits naming this journal>_latency_<id>)
check "dry run prints the nft rules" grep -Eq "nft add rule inet faultline_[0-9a-f]{8}_latency_XXXXXXXX egress ip daddr @dst4 meta l4proto tcp th dport \\{ 6379 \\} counter goto fl_out" "$FL_TMP/dry"
check "dry run prints the inverse" grep -Eq "undo: nft delete table inet faultline_[0-9a-f]{8}_latency_XXXXXXXX" "$FL_TMP/dry"
check "dry run applied nothing" test "$(net_state)" = "$before"

# -- bad input: exit 2, the field named, nothing applied.
bad() { # field args...
    local field=$1 out rc=0
    shift
    out=$("$FAULTLINE" attack "$@" --duration 5s 2>&1) || rc=$?
    if [ "$rc" = 2 ] && echo "$out" | grep -q -- "--$field"; then pass "bad --$field: exit 2 naming it"; else fail "bad --$field: rc=$rc: $out"; fi
}
bad host blackhole --host 10.0.0.300
bad host blackhole --host 'a;b'
bad port blackhole --port 0
bad port latency --port 10-5 --delay 1ms
bad protocol reset --protocol gre
bad direction blackhole --direction up
bad interface blackhole --interface nosuch0
bad exclude-host blackhole --exclude-host 1.2.3.4/99
bad exclude-port blackhole --exclude-port 70000
bad netns blackhole --netns /nonexistent
bad percent packet-loss --percent 101%
bad delay latency --delay fast
bad jitter latency --delay 1ms --jitter -3ms
bad rate bandwidth --rate 1mbps/s
bad domain dns --domain 'x y'
bad mode dns --mode nxdomain
bad percent packet-loss --percent 0%
bad burst packet-loss --percent 90% --burst 2
bad correlation latency --delay 1ms --correlation 10%
bad max-held-bytes latency --delay 1ms --max-held-bytes 10
bad percent corrupt --percent 150%
bad percent duplicate
bad gap reorder --percent 10% --gap 0
bad max-wait reorder --percent 10% --max-wait 20s
bad verify blackhole --verify none
check "bad input applied nothing" test "$(net_state)" = "$before"
finish
