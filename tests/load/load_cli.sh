#!/usr/bin/env bash
# The command line: usage errors exit 2 and name the option; --json is one
# document on stdout; --out writes the series; --rate max runs closed loop.
. "$(dirname "$0")/ns_nginx.sh"

usage_error() { # usage_error "expected text" args...
    local want=$1; shift
    local rc=0
    "$FAULTLINE" load "$@" >/dev/null 2>"$FL_TMP/err" || rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$want" "$FL_TMP/err"
}
url=http://127.0.0.1:8080/
check "no URL" usage_error "which URL" --rate 1/s --duration 1s
check "bad rate" usage_error "--rate:" "$url" --rate fast --duration 1s
check "missing rate" usage_error "--rate" "$url" --duration 1s
check "bad duration" usage_error "--duration:" "$url" --rate 1/s --duration 10
check "bad connections" usage_error "--connections:" "$url" --rate 1/s --duration 1s --connections 0
check "bad header" usage_error "--header:" "$url" --rate 1/s --duration 1s --header nocolon
check "missing body file" usage_error "--body:" "$url" --rate 1/s --duration 1s --body @/nonexistent
check "https" usage_error "https" https://127.0.0.1/ --rate 1/s --duration 1s
check "unknown option" usage_error "--frobnicate" "$url" --rate 1/s --duration 1s --frobnicate 1
check "bad --out" usage_error "--out:" "$url" --rate 1/s --duration 1s --out series.txt
check "help" test "$("$FAULTLINE" load --help | grep -c 'coordinated')" -ge 1

start_nginx
printf '{"order": 1}' >"$FL_TMP/body.json"
"$FAULTLINE" load "$FL_NGINX_URL" --rate max --duration 1s --connections 8 --json --out "$FL_TMP/s.json" \
    2>/dev/null >"$FL_TMP/max.json"
check "--json is one document" jq -e '.mode == "closed_loop" and .rate_target == null' "$FL_TMP/max.json"
check "closed loop sends many" within "$(json "$FL_TMP/max.json" .requests)" 500 100000000
check "--out .json series" jq -e 'length >= 1 and .[0].latency_ms.p99 >= 0' "$FL_TMP/s.json"
check "JSON keys" jq -e '[.requests, .rate_achieved, .late, .errors.total, .errors.timeout, .latency_ms.p999,
    .service_time_ms.p50, .series[0].errors.total] | all(. != null)' "$FL_TMP/max.json"
"$FAULTLINE" load "$FL_NGINX_URL" --rate 100/s --duration 1s --method POST --header 'Content-Type: application/json' \
    --body @"$FL_TMP/body.json" --json 2>/dev/null >"$FL_TMP/post.json"
# nginx answers POST to a static file with 405: an http_4xx error, counted.
check "POST with a body: 100 requests, 4xx counted" jq -e '.requests == 100 and .errors.http_4xx == 100' \
    "$FL_TMP/post.json"
"$FAULTLINE" load "$FL_NGINX_URL" --rate 50/s --duration 1s >"$FL_TMP/human.txt" 2>/dev/null
check "human summary has the percentile spectrum" grep -q 'p99.99' "$FL_TMP/human.txt"

# Truth about failure: nothing listens on port 8081 in this namespace.
rc=0
"$FAULTLINE" load http://127.0.0.1:8081/ --rate 20/s --duration 1s --json >"$FL_TMP/none.json" 2>/dev/null || rc=$?
check "nothing listens, no threshold: exit 0" [ "$rc" -eq 0 ]
check "nothing listens: latency is absent, not 0 ms" jq -e '.latency_ms == null and .service_time_ms == null and
    .errors.connect == 20 and ([.series[].latency_ms] | all(. == null))' "$FL_TMP/none.json"
"$FAULTLINE" load http://127.0.0.1:8081/ --rate 20/s --duration 1s >"$FL_TMP/none.txt" 2>/dev/null || true
check "nothing listens: the text shows '-', never 0.00ms" bash -c "grep 'latency (from' '$FL_TMP/none.txt' | grep -qv '0.00ms' &&
    grep -q 'no request got a response' '$FL_TMP/none.txt'"
rc=0
"$FAULTLINE" load http://127.0.0.1:8081/ --rate 20/s --duration 1s --max-p99 100ms --quiet >/dev/null \
    2>"$FL_TMP/th.err" || rc=$?
check "--max-p99 with nothing measured: exit 1, said why" bash -c "[ $rc -eq 1 ] && grep -q 'threshold broken: latency p99: no request' '$FL_TMP/th.err'"
# Every request an HTTP error: the POST above gets 405 from nginx.
rc=0
"$FAULTLINE" load "$FL_NGINX_URL" --rate 50/s --duration 1s --method POST --max-errors 1% --quiet >/dev/null \
    2>"$FL_TMP/th.err" || rc=$?
check "--max-errors 1% with 100% 4xx: exit 1" bash -c "[ $rc -eq 1 ] && grep -q 'errors 100% (50 of 50) above 1%' '$FL_TMP/th.err'"
rc=0
"$FAULTLINE" load "$FL_NGINX_URL" --rate 50/s --duration 1s --max-errors 1% --max-p99 1s --quiet >/dev/null \
    2>&1 || rc=$?
check "thresholds that hold: exit 0" [ "$rc" -eq 0 ]
check "a bad threshold names it" usage_error "--max-p99:" "$url" --rate 1/s --duration 1s --max-p99 fast
check "a repeated threshold is refused" usage_error "--max-errors" "$url" --rate 1/s --duration 1s --max-errors 1% --max-errors 2%
finish
