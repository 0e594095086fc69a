#!/usr/bin/env bash
# A fault that falls short is never a pass. 2 s of latency on nginx's port
# under 500 requests/s, with the packet engine allowed to hold only 64 KiB:
# past that, matched packets pass undelayed (fail-open) and are counted as
# bypassed, so the fault is degraded. The hypothesis alone would pass (no
# request fails: delayed or not, each answers within its timeout): the run
# must end `error`, exit 4,
# with the engine's numbers in the reason, the counters in result.json and
# the report. verify: passive, so nothing is sent to the dependency to check
# it (neither by the library nor by the experiment).
. "$(dirname "$0")/ns.sh"
start_nginx
OUT=$FL_TMP/out
cat >"$FL_TMP/exp.yaml" <<YAML
title: a latency fault past its engine's memory cap
duration: 8s
load:
  http: {url: "$FL_NGINX_URL", rate: 300/s, connections: 700, timeout: 5s}
method:
  - name: slow
    attack: latency
    with: {host: 127.0.0.1, port: $FL_NGINX_PORT, delay: 2s, max-held-bytes: 64K, verify: passive}
    start: 1s
    duration: 5s
hypothesis:
  - {name: no request fails, metric: load.errors.ratio, phase: all, below: 50%}
YAML
rc=0
"$FAULTLINE" run "$FL_TMP/exp.yaml" --out "$OUT" --quiet >"$FL_TMP/stdout" 2>&1 || rc=$?
cat "$FL_TMP/stdout"
check "exit 4: a degraded fault is an error" [ "$rc" = 4 ]
check "verdict error" [ "$(r .verdict)" = error ]
check "the reason names the degraded fault with its numbers" \
    bash -c "jq -r .abort_reason '$OUT/result.json' | grep -Eq '^fault slow was degraded: .*[0-9]+ of [0-9]+ matched'"
check "its counters are in result.json (bypassed > 0)" [ "$(r '.faults[0].engine.bypassed > 0 and .faults[0].degraded')" = true ]
check "the timeline says so" [ "$(r '[.timeline[].event] | index("fault_degraded") != null')" = true ]
check "the report marks it DEGRADED, with the counters" bash -c "grep -q 'DEGRADED' '$OUT/report.html' && grep -q 'engine: matched' '$OUT/report.html'"
check "nothing left in the journal" [ "$(journal_count)" -eq 0 ]
finish
