#!/usr/bin/env bash
# A stop condition aborts the run and rolls back within 1 s of the breach:
# nginx frozen for what would be 15 s; requests time out after 200 ms, so
# the error ratio crosses 50%; "for: 1s" makes it a breach at the end of the
# second bad window. Exit 3, nginx running again long before the 15 s.
. "$(dirname "$0")/ns.sh"
start_nginx
OUT=$FL_TMP/out
cat >"$FL_TMP/stop.yaml" <<YAML
title: abort when most requests fail
duration: 20s
load:
  http: {url: "http://127.0.0.1:8080/index.html", rate: 100/s, connections: 8, timeout: 200ms}
method:
  - {name: freeze, attack: process-pause, with: {pid: $FL_NGINX_PID}, start: 2s, duration: 15s}
hypothesis:
  - {metric: load.latency.p99, during: freeze, below: 100ms}
stop-when:
  - {name: errors over half, metric: load.errors.ratio, above: 50%, for: 1s}
YAML
start=$(date +%s%N)
rc=0
"$FAULTLINE" run "$FL_TMP/stop.yaml" --out "$OUT" --quiet >"$FL_TMP/stdout" 2>&1 || rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
cat "$FL_TMP/stdout"
check "exit 3 (aborted)" [ "$rc" = 3 ]
check "verdict aborted" [ "$(r .verdict)" = aborted ]
check "the stop condition is the reason" grep -q "errors over half" <<<"$(r .abort_reason)"
reaction=$(r .reaction_ms)
echo "stop condition: rolled back ${reaction} ms after the breach; run took ${elapsed_ms} ms"
check "rolled back within 1 s of the breach" within "$reaction" 0 1000
check "aborted early (not 20 s)" within "$elapsed_ms" 2000 9000
check "fault rolled back" [ "$(r '.faults[0].rolled_back_ms')" != null ]
check "nginx runs again" [ "$(proc_state "$FL_NGINX_PID")" != T ]
check "journal empty" [ "$(journal_count)" -eq 0 ]
check "stop condition in the timeline" [ "$(r '[.timeline[].event] | index("stop_condition") != null')" = true ]
finish
