#!/usr/bin/env bash
# An experiment that must PASS: nginx under load while an unrelated process
# (started here) is frozen and a light cpu hog runs after it (after:);
# latency, errors and the probes stay within bounds. Also the command load
# (a program run in a loop) and a rollback action.
. "$(dirname "$0")/ns.sh"
start_nginx
sleep 300 &
BYSTANDER=$!
FL_PIDS+=("$BYSTANDER")
OUT=$FL_TMP/out
cat >"$FL_TMP/pass.yaml" <<YAML
title: nginx unaffected by a frozen bystander
duration: 7s
load:
  http: {url: "http://127.0.0.1:8080/index.html", rate: 100/s, connections: 8, timeout: 1s}
probes:
  - {name: home, http: {url: "http://127.0.0.1:8080/index.html", status: 200, body: "hello"}, interval: 500ms}
  - {name: port, tcp: {host: 127.0.0.1, port: 8080}}
  - {name: files, command: [ls, /], interval: 1s}
method:
  - name: freeze-bystander
    attack: process-pause
    with: {pid: $BYSTANDER}
    start: 2s
    duration: 2s
  - {name: light-cpu, attack: cpu, with: {load: 20%, workers: 1}, after: freeze-bystander, start: 200ms, duration: 1s}
hypothesis:
  - {name: p99 under 200ms, metric: load.latency.p99, during: attack, below: 200ms}
  - {name: no errors, metric: load.errors.ratio, phase: all, below: 0.1%}
  - {name: rate held, metric: load.rate, during: freeze-bystander, above: 90/s}
  - {name: home page up, probe: home, phase: all}
  - {name: port open, metric: probe.port.latency, phase: during, below: 100ms}
  - {name: command probe ok, metric: probe.files.exit, phase: all, below: 1}
stop-when:
  - {metric: load.errors.ratio, above: 50%, for: 2s}
rollback:
  - run: [touch, $FL_TMP/rollback-ran]
YAML
rc=0
"$FAULTLINE" run "$FL_TMP/pass.yaml" --out "$OUT" >"$FL_TMP/stdout" 2>"$FL_TMP/stderr" || rc=$?
cat "$FL_TMP/stdout"
check "exit 0 (pass)" [ "$rc" = 0 ]
check "verdict pass" [ "$(r .verdict)" = pass ]
check "every hypothesis passed" [ "$(r '[.hypotheses[].verdict] | unique | join(",")')" = pass ]
check "both faults verified" [ "$(r '[.faults[].verified] | all')" = true ]
check "after: started once the first ended" \
    within "$(r '.faults[1].applied_ms - .faults[0].rolled_back_ms')" 150 600
check "the bystander runs again" [ "$(proc_state "$BYSTANDER")" != T ]
check "rollback action ran" [ -e "$FL_TMP/rollback-ran" ]
check "probe series recorded" [ "$(r '[.series.metrics[].name] | index("probe.home.ok") != null')" = true ]
check "phases before/during/after" [ "$(r '[.phases[].name] | join(",")')" = before,during,after ]
check "progress on stderr" grep -q "phase" "$FL_TMP/stderr"
check "journal empty" [ "$(journal_count)" -eq 0 ]
if [ -f "$OUT/junit.xml" ]; then pass "junit.xml written"; fi

# The command load: a program run in a loop; --json prints the document.
cat >"$FL_TMP/cmd.yaml" <<'YAML'
title: command load
duration: 3s
load: {command: [bash, -c, "exec 3<>/dev/tcp/127.0.0.1/8080"], interval: 50ms}
method:
  - {attack: cpu, with: {load: 10%, workers: 1}, start: 1s, duration: 1s}
hypothesis:
  - {metric: load.errors.ratio, phase: all, below: 1%}
  - {metric: load.latency.max, during: attack, below: 500ms}
YAML
rc=0
"$FAULTLINE" run "$FL_TMP/cmd.yaml" --out "$FL_TMP/cmd-out" --json --quiet >"$FL_TMP/cmd.json" || rc=$?
check "command load passes" [ "$rc" = 0 ]
check "command runs counted" within "$(jq -r '.load.runs' "$FL_TMP/cmd.json")" 10 100
finish
