#!/usr/bin/env bash
# Rate accuracy: against nginx on a private loopback, the achieved rate is
# within 1% of the target at 1,000 and 10,000 req/s over 10 s, and every
# scheduled request is accounted for (requests == rate x duration).
. "$(dirname "$0")/ns_nginx.sh"
start_nginx

for rate in 1000 10000; do
    out=$FL_TMP/rate-$rate.json
    "$FAULTLINE" load "$FL_NGINX_URL" --rate "$rate/s" --duration 10s --connections 64 --json --quiet >"$out"
    achieved=$(json "$out" .rate_achieved)
    echo "rate $rate/s: achieved $achieved/s, requests $(json "$out" .requests), late $(json "$out" .late)," \
        "errors $(json "$out" .errors.total), p99 $(json "$out" .latency_ms.p99) ms"
    check "$rate/s: achieved rate within 1% ($achieved)" within "$achieved" "$(echo "$rate" | awk '{print $1 * 0.99}')" \
        "$(echo "$rate" | awk '{print $1 * 1.01}')"
    check "$rate/s: requests == rate x duration" test "$(json "$out" .requests)" -eq $((rate * 10))
    check "$rate/s: no errors" test "$(json "$out" .errors.total)" -eq 0
    check "$rate/s: ten 1 s windows" test "$(json "$out" '.series | length')" -ge 10
done
finish
