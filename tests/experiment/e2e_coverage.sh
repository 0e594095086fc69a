#!/usr/bin/env bash
# A hypothesis rests on enough data. nginx serves a metrics page; it is
# frozen (process-pause) for 5 s of an 8 s fault window, so most scrapes
# during the fault time out. The hypothesis on that metric ends no-data,
# with its coverage in the reason, never PASS (exit 1), although every
# scrape that got through read a value far below the bound; the same
# hypothesis with min-coverage: 0% is evaluated on what came (PASS).
. "$(dirname "$0")/ns.sh"
start_nginx
printf '# TYPE app_queue_depth gauge\napp_queue_depth 3\n' >"$FL_TMP/nginx/www/metrics"
OUT=$FL_TMP/out
cat >"$FL_TMP/exp.yaml" <<YAML
title: a metric that goes dark during the fault
duration: 10s
prometheus: {interval: 500ms, timeout: 300ms}
method:
  - name: window
    attack: cpu
    with: {load: 5%, workers: 1}
    start: 1s
    duration: 8s
  - name: stall
    attack: process-pause
    with: {pid: $FL_NGINX_PID}
    start: 2s
    duration: 5s
hypothesis:
  - name: queue depth under 10
    metric: "prometheus:http://127.0.0.1:$FL_NGINX_PORT/metrics#app_queue_depth"
    during: window
    below: 10
  - name: queue depth under 10, whatever came
    metric: "prometheus:http://127.0.0.1:$FL_NGINX_PORT/metrics#app_queue_depth"
    during: window
    below: 10
    min-coverage: 0%
YAML
rc=0
"$FAULTLINE" run "$FL_TMP/exp.yaml" --out "$OUT" --quiet >"$FL_TMP/stdout" 2>&1 || rc=$?
cat "$FL_TMP/stdout"
check "exit 1: no data is not a pass" [ "$rc" = 1 ]
check "verdict fail" [ "$(r .verdict)" = fail ]
check "the first hypothesis has no data" [ "$(r '.hypotheses[0].verdict')" = no-data ]
check "its values were all good" within "$(r '.hypotheses[0].measured')" 3 3
check "about 16 scrapes expected" within "$(r '.hypotheses[0].coverage.expected')" 15 17
check "most of them timed out" within "$(r '.hypotheses[0].coverage.missing_by.timeout')" 8 12
check "coverage under 80%" within "$(r '.hypotheses[0].coverage.ratio')" 0.2 0.6
check "the reason gives the coverage" bash -c "jq -r '.hypotheses[0].reason' '$OUT/result.json' | grep -Eq '^[0-9]+ of 1[5-7] scrapes \\([0-9]+%\\): [0-9]+ timed out.*at least 80% needed'"
check "the summary says NO-DATA with the coverage" grep -Eq "NO-DATA queue depth under 10: .* [0-9]+ of 1[5-7] scrapes" "$FL_TMP/stdout"
check "min-coverage 0%: evaluated on what came" [ "$(r '.hypotheses[1].verdict')" = pass ]
check "missing scrapes are marked in the series" [ "$(r '[.series.metrics[0].points[] | select(.gap == "timeout")] | length')" -ge 8 ]
check "nginx runs again" [ "$(proc_state "$FL_NGINX_PID")" != T ]
check "nothing left in the journal" [ "$(journal_count)" -eq 0 ]
finish
