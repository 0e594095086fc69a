#!/bin/bash
# Experiments on a fleet: `targets:` selects ssh hosts of an
# inventory by tags; every host's fault appears in result.json and the
# report; a host that fails to apply is named and max-errors decides; load
# can come from selected hosts; kill -9 of `faultline run` ends every
# remote fault within the lease.
. "$FL_TESTS/../lib.sh"
. "$FL_TESTS/fleet_lib.sh"
fleet_skip_unless_ready
command -v python3 >/dev/null || skip "needs python3 (an HTTP server for the load)"
trap 'fleet_teardown; fl_cleanup' EXIT
trap 'exit 143' TERM INT
N=4
fleet_up "$N"
INV=$FL_TMP/inventory.yaml
{
    fleet_inventory_head
    fleet_host broken 1 "service: api, broken: yes" /nonexistent/faultline
    for i in $(seq 1 $N); do fleet_host "h$i" "$i" "service: api, zone: z$((i % 2))"; done
} >"$INV"
r() { jq -r "$1" "$FL_TMP/out/result.json"; }

# A probe that always holds, so the verdict depends on the faults only.
experiment() { # file mode select max-errors [extra yaml]
    cat >"$1" <<YAML
title: cpu on part of the fleet
duration: 5s
targets:
  inventory: inventory.yaml
  select: "$3"
  mode: $2
  seed: 11
  max-errors: $4
  lease: 3s
probes:
  - {name: up, command: ["true"], interval: 500ms}
method:
  - {name: cpu-burn, attack: cpu, with: {load: 5%, workers: 1}, start: 1s, duration: 3s}
hypothesis:
  - {name: probe holds, probe: up, phase: all}
${5:-}
YAML
}

# 1. count(2) of service=api without the broken host: 2 hosts, each applied,
#    verified and rolled back; the report names them.
experiment "$FL_TMP/count.yaml" 'count(2)' 'service=api,broken!=yes' 0
rc=0
fl_ctl run "$FL_TMP/count.yaml" --out "$FL_TMP/out" >"$FL_TMP/stdout" 2>&1 || rc=$?
check "count(2): exit 0 (got $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$FL_TMP/stdout"
check "count(2): verdict pass" [ "$(r .verdict)" = pass ]
check "count(2): 2 hosts in the fault's hosts" [ "$(r '.faults[0].hosts | length')" = 2 ]
check "count(2): both applied with an id" [ "$(r '[.faults[0].hosts[] | select(.result == "applied" and (.id | startswith("cpu-")))] | length')" = 2 ]
check "count(2): both verified on the host" [ "$(r '[.faults[0].hosts[] | select(.verified | length > 0)] | length')" = 2 ]
check "count(2): both rolled back" [ "$(r '[.faults[0].hosts[] | select(.end_state == "rolled_back")] | length')" = 2 ]
check "count(2): targets name the seed and the selection" [ "$(r '.faults[0].targets | "\(.kind) \(.seed) \(.matched) \(.selected)"')" = "ssh 11 4 2" ]
hosts=$(r '[.faults[0].hosts[].name] | join(" ")')
check "count(2): the report shows every host ($hosts)" sh -c "for h in $hosts; do grep -q \">\$h<\" '$FL_TMP/out/report.html' || exit 1; done"
check "count(2): no fault left on any host" [ "$(hosts_with_faults)" = 0 ]
fl_ctl run "$FL_TMP/count.yaml" --dry-run >"$FL_TMP/plan" 2>&1 || true
check "dry run: the seeded selection lists the same hosts ($hosts)" \
    sh -c "for h in $hosts; do grep -q \"hosts:.*\$h (\" '$FL_TMP/plan' || exit 1; done"

# 2. all api hosts, the broken one included, max-errors 0: exit 4, the host
#    is named, nothing is left behind.
experiment "$FL_TMP/strict.yaml" all 'service=api' 0
rc=0
fl_ctl run "$FL_TMP/strict.yaml" --out "$FL_TMP/out" >"$FL_TMP/stdout" 2>&1 || rc=$?
check "max-errors 0 with a broken host: exit 4 (got $rc)" [ "$rc" = 4 ]
check "max-errors 0: verdict error" [ "$(r .verdict)" = error ]
check "max-errors 0: the abort reason names the host" sh -c "r() { jq -r \"\$1\" '$FL_TMP/out/result.json'; }; r .abort_reason | grep -q 'broken'"
check "max-errors 0: the broken host's row says failed" [ "$(r '.faults[0].hosts[] | select(.name == "broken") | .result')" = failed ]
check "max-errors 0: no fault left on any host" [ "$(hosts_with_faults)" = 0 ]

# 3. the same with max-errors 1: the run goes on without it and passes.
experiment "$FL_TMP/lenient.yaml" all 'service=api' 1
rc=0
fl_ctl run "$FL_TMP/lenient.yaml" --out "$FL_TMP/out" >"$FL_TMP/stdout" 2>&1 || rc=$?
check "max-errors 1: exit 0 (got $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$FL_TMP/stdout"
check "max-errors 1: 4 applied, 1 failed" [ "$(r '[.faults[0].hosts[].result] | sort | join(",")')" = "applied,applied,applied,applied,failed" ]
check "max-errors 1: the timeline names the failed host" sh -c "jq -r '.timeline[].detail' '$FL_TMP/out/result.json' | grep -q 'broken'"

# 4. load from 2 selected hosts against an HTTP server on the controller's
#    bridge: the merged series carries the whole rate.
ip netns exec "${FLEET_NS}c" python3 -m http.server 8089 --bind "$FLEET_NET.1" -d "$FL_TMP" >/dev/null 2>&1 &
FL_PIDS+=("$!")
wait_for 10 ip netns exec "${FLEET_NS}c" bash -c "exec 3<>/dev/tcp/$FLEET_NET.1/8089" 2>/dev/null
cat >"$FL_TMP/load.yaml" <<YAML
title: load from two hosts
duration: 5s
targets: {inventory: inventory.yaml, select: "broken!=yes", mode: count(1), seed: 3, lease: 3s}
load:
  http: {url: "http://$FLEET_NET.1:8089/inventory.yaml", rate: 40/s, connections: 4, timeout: 2s}
  from: {select: "broken!=yes", mode: count(2), seed: 5}
method:
  - {attack: cpu, with: {load: 5%, workers: 1}, start: 1s, duration: 2s}
hypothesis:
  - {name: no errors, metric: load.errors.ratio, phase: all, below: 1%}
  - {name: rate held, metric: load.rate, phase: all, above: 30/s}
YAML
rc=0
fl_ctl run "$FL_TMP/load.yaml" --out "$FL_TMP/out" >"$FL_TMP/stdout" 2>&1 || rc=$?
check "load from hosts: exit 0 (got $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || { cat "$FL_TMP/stdout"; jq .load "$FL_TMP/out/result.json"; }
check "load from hosts: 2 hosts sent" [ "$(r '[.load.hosts[] | select(.result == "sent")] | length')" = 2 ]
check "load from hosts: 20/s each" [ "$(r .load.rate_per_host)" = 20/s ]
sent=$(r '[.series.windows[].sent] | add')
check "load from hosts: ~200 requests in the merged series (got $sent)" within "$sent" 180 210

# 5. kill -9 of `faultline run` while the hosts hold a 60 s fault under a
#    3 s lease: every fault gone within lease + 2 s.
experiment "$FL_TMP/long.yaml" all 'broken!=yes' 0
sed -i 's/^duration: 5s/duration: 70s/; s/duration: 3s}/duration: 60s}/' "$FL_TMP/long.yaml"
ip netns exec "${FLEET_NS}c" "$FAULTLINE" run "$FL_TMP/long.yaml" --out "$FL_TMP/out-long" >/dev/null 2>&1 &
ctl=$!
wait_for 20 faults_at_least $N || true
during=$(hosts_with_faults)
kill -KILL "$ctl"
t0=$(date +%s%N)
wait_for 10 no_faults || true
gone_ms=$((($(date +%s%N) - t0) / 1000000))
check "kill -9 of run: $N hosts held the fault (got $during)" [ "$during" = "$N" ]
check "kill -9 of run: every remote fault gone within lease + 2 s (took ${gone_ms} ms)" \
    sh -c "[ $(hosts_with_faults) = 0 ] && [ $gone_ms -le 5000 ]"
echo "kill -9 of run: remote faults gone in ${gone_ms} ms (lease 3 s)"

# 6. SIGTERM to `faultline run` while hosts hold the fault: every host rolls
#    back and confirms before it exits 3.
ip netns exec "${FLEET_NS}c" "$FAULTLINE" run "$FL_TMP/long.yaml" --out "$FL_TMP/out-term" >/dev/null 2>&1 &
ctl=$!
wait_for 20 faults_at_least $N || true
kill -TERM "$ctl"
rc=0; wait "$ctl" || rc=$?
left=$(hosts_with_faults)
check "SIGTERM: exit 3 (got $rc)" [ "$rc" = 3 ]
check "SIGTERM: no fault left when run has exited (got $left)" [ "$left" = 0 ]
check "SIGTERM: every host confirmed its rollback" \
    [ "$(jq '[.faults[0].hosts[] | select(.end_state == "rolled_back")] | length' "$FL_TMP/out-term/result.json")" = "$N" ]

# 7. kill -9 at random points of the run (before, while the hosts apply,
#    while they hold): nothing left within lease + 2 s each time.
for trial in 1 2 3 4; do
    delay_ms=$((RANDOM % 2500))
    ip netns exec "${FLEET_NS}c" "$FAULTLINE" run "$FL_TMP/long.yaml" --out "$FL_TMP/out-k$trial" >/dev/null 2>&1 &
    ctl=$!
    sleep "$(awk -v ms="$((500 + delay_ms))" 'BEGIN { print ms / 1000 }')"
    kill -KILL "$ctl" 2>/dev/null || true
    wait "$ctl" 2>/dev/null || true
    wait_for 5 no_faults || true
    sleep 1 # and nothing comes back: no ssh client of the dead run connects late
    check "kill -9 at $((500 + delay_ms)) ms into the run (the step starts at 1 s): nothing left, for good" \
        [ "$(hosts_with_faults)" = 0 ]
done
finish
