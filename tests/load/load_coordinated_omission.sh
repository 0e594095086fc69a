#!/usr/bin/env bash
# Coordinated omission: at 1000 req/s for 6 s, the nginx process (by the PID
# this script started) is stopped with SIGSTOP for 1 s in the middle. The
# latency from the intended send time must show the stall (p99 >= 900 ms),
# the service time must not (much lower), and no request may be skipped:
# requests == rate x duration.
. "$(dirname "$0")/ns_nginx.sh"
start_nginx

out=$FL_TMP/co.json
csv=$FL_TMP/co.csv
"$FAULTLINE" load "$FL_NGINX_URL" --rate 1000/s --duration 6s --json --out "$csv" >"$out" 2>"$FL_TMP/progress" &
load_pid=$!
FL_PIDS+=("$load_pid")
sleep 2.5
kill -STOP "$FL_NGINX_PID"
sleep 1
kill -CONT "$FL_NGINX_PID"
wait "$load_pid"

p99=$(json "$out" .latency_ms.p99)
service_p99=$(json "$out" .service_time_ms.p99)
echo "latency p99 $p99 ms, service-time p99 $service_p99 ms, requests $(json "$out" .requests)," \
    "late $(json "$out" .late), errors $(json "$out" .errors.total)"
check "latency p99 >= 900 ms ($p99)" within "$p99" 900 100000
check "service-time p99 much lower (< 100 ms: $service_p99)" within "$service_p99" 0 100
check "requests == 1000/s x 6 s" test "$(json "$out" .requests)" -eq 6000
check "the stalled requests are counted late" within "$(json "$out" .late)" 500 6000
check "no errors" test "$(json "$out" .errors.total)" -eq 0
check "progress lines on stderr (not a terminal)" test "$(grep -c 'req/s' "$FL_TMP/progress")" -ge 5
check "series CSV: header and one line per window" test "$(wc -l <"$csv")" -ge 7
check "the stall is in one window's max" test "$(awk -F, 'NR > 1 && $13 >= 900 { n++ } END { print n + 0 }' "$csv")" -ge 1
finish
