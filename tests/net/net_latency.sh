# latency against a real redis-server: the median extra PING round trip
# equals the injected delay within max(0.5 ms, 2%) at 1 ms, 40 ms and 2 s;
# a connection opened before the fault sees it; an unmatched port sees no
# change (< 0.2 ms); kill -9 of the engine or of the supervisor lets traffic
# flow again within 1 s, before any recover.
. "$FL_TESTS/netlib.sh"

before=$(net_state)
start_redis 6379
start_redis 6380

accuracy() { # delay delay_us pings
    local delay=$1 delay_us=$2 n=$3 base during other_before other_during extra tol
    base=$("$NETPROBE" rtt 127.0.0.1 6379 "$n" | field rtt_median_us)
    other_before=$("$NETPROBE" rtt 127.0.0.1 6380 200 | field rtt_median_us)
    "$FAULTLINE" attack latency --host 127.0.0.1 --port 6379 --protocol tcp --delay "$delay" --duration 5m \
        --detach >"$FL_TMP/out" 2>&1 || { fail "latency $delay: did not apply: $(cat "$FL_TMP/out")"; return; }
    during=$("$NETPROBE" rtt 127.0.0.1 6379 "$n" | field rtt_median_us)
    other_during=$("$NETPROBE" rtt 127.0.0.1 6380 200 | field rtt_median_us)
    "$FAULTLINE" stop --all >/dev/null
    extra=$((during - base))
    tol=$((delay_us / 50 > 500 ? delay_us / 50 : 500))
    echo "latency $delay: base ${base}us during ${during}us extra ${extra}us (tolerance ${tol}us)" \
        "unmatched port ${other_before}us -> ${other_during}us"
    check "latency $delay: median extra RTT ${extra}us = ${delay_us}us +- ${tol}us" \
        within "$extra" $((delay_us - tol)) $((delay_us + tol))
    check "latency $delay: unmatched port changed by < 0.2 ms (${other_before} -> ${other_during}us)" \
        within $((other_during - other_before)) -200 200
}
accuracy 1ms 1000 300
accuracy 40ms 40000 40
accuracy 2s 2000000 5
check "latency: ruleset identical after the accuracy runs" test "$(net_state)" = "$before"

# A connection opened before the fault sees it (pooled connections).
"$NETPROBE" rtt-around 127.0.0.1 6379 30 "$FL_TMP/go" >"$FL_TMP/around" &
client=$!
wait_for 10 grep -q before_median "$FL_TMP/around"
"$FAULTLINE" attack latency --host 127.0.0.1 --port 6379 --delay 40ms --duration 1m --detach >/dev/null
touch "$FL_TMP/go"
wait "$client"
b=$(field before_median_us <"$FL_TMP/around")
d=$(field during_median_us <"$FL_TMP/around")
check "latency: a connection opened before sees it (${b}us -> ${d}us)" within $((d - b)) 39500 40800
"$FAULTLINE" stop --all >/dev/null

# Fail-open: kill -9 the engine, then (another fault) the supervisor.
for victim in engine supervisor; do
    "$FAULTLINE" attack latency --host 127.0.0.1 --port 6379 --delay 2s --duration 5m --detach >"$FL_TMP/out" 2>&1
    engine=$(sed -n 's/.*packet engine pid \([0-9]*\).*/\1/p' "$FL_TMP/out")
    supervisor=$(sed -n 's/.*(supervisor pid \([0-9]*\)).*/\1/p' "$FL_TMP/out")
    r=$("$NETPROBE" rtt 127.0.0.1 6379 1 | field rtt_median_us)
    check "fail-open ($victim): the delay is on before the kill (${r}us)" test "$r" -gt 1900000
    if [ "$victim" = engine ]; then kill -9 "$engine"; else kill -9 "$supervisor"; fi
    ms=$("$NETPROBE" recovers 127.0.0.1 6379 5000 3000 | field recovered_ms)
    check "fail-open: kill -9 of the $victim: PINGs flow again after ${ms} ms (< 1000)" within "$ms" 0 1000
    if [ "$victim" = supervisor ]; then
        # The namespace had no tables before: the guardian must leave none.
        check "fail-open: the guardian removed the rules by itself (no recover)" \
            wait_for 5 bash -c '[ -z "$(nft list tables)" ]'
    fi
    "$FAULTLINE" recover --all >/dev/null
    check "fail-open ($victim): ruleset identical after recover" test "$(net_state)" = "$before"
done
finish
