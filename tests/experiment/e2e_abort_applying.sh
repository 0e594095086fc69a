#!/usr/bin/env bash
# Stop conditions are watched while a fault is being applied. 2 s of latency
# on nginx's port: applying it takes one delayed round trip (the library
# verifies it with a TCP connect, 2 s), and the experiment's own check
# another. Requests time out after 300 ms, so the error ratio crosses 50% in
# the first second of the fault, long before the fault is verified: the run
# must abort then, not after the fault was applied and verified (a runner
# that blocks while applying sees the breach about 4 s late). The fault is
# rolled back as soon as the library hands it over.
. "$(dirname "$0")/ns.sh"
start_nginx
OUT=$FL_TMP/out
cat >"$FL_TMP/exp.yaml" <<YAML
title: abort while the fault is still being applied
duration: 12s
load:
  http: {url: "$FL_NGINX_URL", rate: 100/s, connections: 16, timeout: 300ms}
method:
  - {name: slow, attack: latency, with: {host: 127.0.0.1, port: $FL_NGINX_PORT, delay: 2s}, start: 1s, duration: 8s}
stop-when:
  - {name: errors over half, metric: load.errors.ratio, above: 50%}
YAML
rc=0
"$FAULTLINE" run "$FL_TMP/exp.yaml" --out "$OUT" --quiet >"$FL_TMP/stdout" 2>&1 || rc=$?
cat "$FL_TMP/stdout"
check "exit 3 (aborted)" [ "$rc" = 3 ]
check "the stop condition is the reason" grep -q "errors over half" <<<"$(r .abort_reason)"
applied=$(r '.faults[0].applied_ms')
done_ms=$(r '[.timeline[] | select(.event == "stop_condition")][0].t_ms')
breach=$(awk -v d="$done_ms" -v r="$(r .reaction_ms)" 'BEGIN { printf "%d", d - r }')
echo "applying began at ${applied} ms; breach at ${breach} ms; every fault rolled back at ${done_ms} ms"
check "the breach was seen within 1.5 s of applying (while the fault was being applied)" \
    within "$((breach - applied))" 0 1500
check "the fault was never reported verified" [ "$(r '.faults[0].verified_ms')" = null ]
check "it says it was stopped while being applied" grep -q "stopped while being applied" <<<"$(r '.faults[0].error')"
check "rolled back once the library handed it over (within 3 s of applying)" \
    within "$(r '.faults[0].rolled_back_ms - .faults[0].applied_ms')" 0 3000
check "nothing left in the journal" [ "$(journal_count)" -eq 0 ]
finish
