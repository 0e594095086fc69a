#!/bin/bash
# targets: {ssm: ...} in an experiment, against a fake SSM endpoint on
# 127.0.0.1 (listener.py): the step is one SendCommand of the kind's document
# with the step's parameters and DurationSeconds, polled per instance; the
# step's end sends CancelCommand and `faultline stop --tag T` (T: the command's own tag); an alarm that
# SSM reports as triggered ends the run as a stop condition (exit 3); a
# hostile parameter is refused at the file's line:column (exit 2, nothing sent).
. "$FL_TESTS/ssm_lib.sh" exp
command -v jq >/dev/null || { echo "needs jq"; exit 77; }
ok() { echo "ok: $*"; }
export FAULTLINE_STATE_DIR=$T/state
unset AWS_REGION # the experiment names its region

ops() { jq -r '.target | sub(".*\\."; "")' "$1" | tr '\n' ' '; }
body_of() { jq -c "select(.target | endswith(\"$2\")) | .body | fromjson" "$1"; }

experiment() { # file port [extra step keys]
    cat >"$1" <<YAML
title: latency to the cache on the api instances, through SSM
duration: 4s
targets:
  ssm:
    region: eu-west-1
    endpoint-url: http://127.0.0.1:$2
    tags: {service: api}
    max-concurrency: "50%"
    max-errors: "1"
    alarm: api-5xx-rate
    poll: 50ms
probes:
  - {name: up, command: ["true"], interval: 500ms}
method:
  - name: cache-latency
    attack: latency
    with: {host: 10.0.0.5, port: 6379, delay: 2s}
    start: 1s
    duration: 2s
hypothesis:
  - {name: probe holds, probe: up, phase: all}
YAML
}

# 1. The step held for its duration, then cancelled and stopped.
start_listener main 0
experiment "$T/exp.yaml" "$PORT"
rc=0
"$FAULTLINE" run "$T/exp.yaml" --out "$T/out" >"$T/stdout" 2>&1 || rc=$?
[ $rc = 0 ] && ok "ssm step: exit 0" || { fail "ssm step: exit $rc"; cat "$T/stdout"; }
r() { jq -r "$1" "$T/out/result.json"; }
send=$(body_of "$T/main.log" SendCommand | head -n 1)
[ "$(echo "$send" | jq -r .DocumentName)" = faultline-latency ] && ok "document faultline-latency" || fail "document: $send"
[ "$(echo "$send" | jq -c '.Parameters | del(.FaultlineTag)')" = '{"Host":["10.0.0.5"],"Port":["6379"],"Delay":["2s"],"DurationSeconds":["2"]}' ] &&
    ok "parameters and DurationSeconds" || fail "parameters: $(echo "$send" | jq -c .Parameters)"
[ "$(echo "$send" | jq -c .Targets)" = '[{"Key":"tag:service","Values":["api"]}]' ] && ok "targets by tag" || fail "targets: $send"
[ "$(echo "$send" | jq -r '"\(.MaxConcurrency) \(.MaxErrors) \(.AlarmConfiguration.Alarms[0].Name)"')" = "50% 1 api-5xx-rate" ] &&
    ok "MaxConcurrency, MaxErrors, AlarmConfiguration" || fail "limits: $send"
seq=$(ops "$T/main.log")
case "$seq" in
*CancelCommand\ SendCommand*) ok "the step's end: CancelCommand then SendCommand (faultline stop --tag)" ;;
*) fail "no CancelCommand + stop: $seq" ;;
esac
stop=$(body_of "$T/main.log" SendCommand | tail -n 1)
send_tag=$(echo "$send" | jq -r '.Parameters.FaultlineTag[0]')
[ "$(echo "$stop" | jq -r '.Parameters.commands[0]')" = "faultline stop --tag $send_tag" ] &&
    echo "$send_tag" | grep -Eq '^ssm-[0-9a-f]{16}$' && ok "stop command to the same targets, for this command's faults only" ||
    fail "stop: $stop (tag $send_tag)"
[ "$(r '.faults[0].targets.kind')" = ssm ] && ok "result: targets.kind ssm" || fail "targets: $(r .faults[0].targets)"
[ "$(r '.faults[0].hosts | length')" = 2 ] && ok "result: a row per instance" || fail "hosts: $(r .faults[0].hosts)"
[ "$(r '.faults[0].targets.cancelled')" = true ] && ok "result: cancelled at the step's end" || fail "cancelled: $(r .faults[0].targets)"
grep -q "i-0123456789abcdef0" "$T/out/report.html" && ok "report names the instances" || fail "report has no instance"
[ "$(r '.faults[0].verified')" = true ] && ok "verified: running on the instances" || fail "not verified: $(r .faults[0].verification)"

# 2. SSM's alarm stops the command: a stop condition (exit 3).
start_listener alarm 2 alarm
experiment "$T/alarm.yaml" "$PORT"
sed -i 's/duration: 2s/duration: 2s/' "$T/alarm.yaml"
rc=0
"$FAULTLINE" run "$T/alarm.yaml" --out "$T/out" >"$T/stdout" 2>&1 || rc=$?
[ $rc = 3 ] && ok "alarm: exit 3" || { fail "alarm: exit $rc (want 3)"; cat "$T/stdout"; }
r .abort_reason | grep -q "api-5xx-rate" && ok "alarm: named in the abort reason" || fail "abort reason: $(r .abort_reason)"

# 3. A hostile parameter: exit 2 at its line:column, nothing sent.
start_listener bad 0
experiment "$T/bad.yaml" "$PORT"
sed -i 's/host: 10.0.0.5/host: "a;reboot"/' "$T/bad.yaml"
rc=0
"$FAULTLINE" run "$T/bad.yaml" --out "$T/out-bad" >"$T/stdout" 2>&1 || rc=$?
[ $rc = 2 ] && ok "hostile host: exit 2" || fail "hostile host: exit $rc"
grep -q "bad.yaml:[0-9]*:[0-9]*: method\[0\].with.host" "$T/stdout" && ok "the error names method[0].with.host at line:col" || fail "error: $(cat "$T/stdout")"
[ ! -s "$T/bad.log" ] && ok "nothing sent" || fail "requests were sent: $(ops "$T/bad.log")"

# 4. No credentials: exit 2 before anything runs.
rc=0
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$FAULTLINE" run "$T/exp.yaml" --out "$T/out-cred" >"$T/stdout" 2>&1 || rc=$?
[ $rc = 2 ] && ok "no credentials: exit 2" || fail "no credentials: exit $rc: $(cat "$T/stdout")"

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all checks passed"
