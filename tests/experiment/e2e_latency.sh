#!/usr/bin/env bash
# A network fault in an experiment: 100 ms of latency on the calls to nginx
# (127.0.0.1:8080). The runner's own verification (TCP connect before and
# during) must see it, and the load's p50 during the step must show it.
. "$(dirname "$0")/ns.sh"
"$FAULTLINE" attacks latency >/dev/null 2>&1 || skip "the latency attack is not built"
start_nginx
OUT=$FL_TMP/out
cat >"$FL_TMP/lat.yaml" <<'YAML'
title: latency on nginx shows in the load's latency
duration: 6s
load:
  http: {url: "http://127.0.0.1:8080/index.html", rate: 50/s, connections: 8, timeout: 2s}
method:
  - {name: slow, attack: latency, with: {host: 127.0.0.1, port: 8080, delay: 100ms}, start: 2s, duration: 2s}
hypothesis:
  - {name: slowed, metric: load.latency.p50, during: slow, above: 90ms}
  - {name: fast before, metric: load.latency.p99, phase: before, below: 50ms}
  - {name: fast after, metric: load.latency.p50, phase: after, below: 50ms}
YAML
rc=0
"$FAULTLINE" run "$FL_TMP/lat.yaml" --out "$OUT" --quiet >"$FL_TMP/stdout" 2>&1 || rc=$?
cat "$FL_TMP/stdout"
[ "$rc" = 4 ] && grep -q "nfnetlink\|nftables\|queue" "$FL_TMP/stdout" && skip "this kernel cannot hold packets"
check "exit 0 (pass)" [ "$rc" = 0 ]
check "verified by a TCP connect measurement" grep -q "TCP connect to 127.0.0.1:8080: .* before, .* during" <<<"$(r '.faults[0].verification')"
check "p50 during about the delay" within "$(r '.hypotheses[0].measured')" 90 400
check "journal empty" [ "$(journal_count)" -eq 0 ]
finish
