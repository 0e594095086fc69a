#!/bin/bash
# faultline ssm send against a fake SSM endpoint on 127.0.0.1 (listener.py):
# every request validates against botocore's SSM model, SendCommand matches
# what the aws CLI sends for the same parameters, invalid input sends
# nothing (exit 2), and SIGTERM sends CancelCommand + faultline stop --tag (the command's own faults).
. "$FL_TESTS/ssm_lib.sh" send
need_botocore

start_listener main 2
EP=http://127.0.0.1:$PORT
ok() { # args... : must exit 0
    "$FAULTLINE" ssm send "$@" --endpoint-url "$EP" --poll 20ms >"$T/out" 2>"$T/err" || { fail "exit $? for ssm send $*"; cat "$T/err"; }
}
ok latency --host 10.0.0.5 --host redis.internal --port 6379 --delay 2s --jitter 10ms --duration 5m --tag service=api \
   --max-concurrency 2 --max-errors 1 --alarm api-5xx-rate --log-group /faultline/ssm
ok cpu --load 80% --cpus 0-1 --duration 30s --instance-ids i-0123456789abcdef0,i-0fedcba9876543210
ok memory --size 512M --force --duration 1m --tag service=api --tag env=staging --max-concurrency 50%
ok process-kill --name nginx --signal KILL --tag role=web --max-errors 10%
ok blackhole --host 10.1.0.0/16 --protocol tcp --direction both --duration 12h --tag service=api
ok io-stress --path=/var/tmp --mode=read --duration=30s --tag=service=api
ok disk-fill --path /var/tmp --percent 90% --duration 10m --tag service=api --document-name my-disk-fill
"$FAULTLINE" attack packet-loss --percent 7% --duration 2m --ssm --tag service=api --endpoint-url "$EP" --poll 20ms \
    >"$T/out" 2>"$T/err" || fail "attack --ssm: exit $?: $(cat "$T/err")"
grep -q "i-0123456789abcdef0 Success exit 0" "$T/out" || fail "no per-instance result in: $(cat "$T/out")"
"$FAULTLINE" ssm send dns --domain example.com --duration 1m --tag a=b --endpoint-url "$EP" --poll 20ms --json >"$T/json" 2>/dev/null
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["command_id"] and len(d["instances"])==2 and d["instances"][0]["status"]=="Success", d' "$T/json" || fail "--json result"

# temporary credentials: the session token is sent and signed
AWS_SESSION_TOKEN=FwoGZXIvYXdzEXAMPLETOKEN ok cpu --duration 1m --tag a=b --no-wait
tail -n 1 "$T/main.log" | grep -q '"x-amz-security-token", "FwoGZXIvYXdzEXAMPLETOKEN"' || fail "no X-Amz-Security-Token header"
tail -n 1 "$T/main.log" | grep -q 'SignedHeaders=[a-z;-]*x-amz-security-token' || fail "the session token is not signed"

# invalid input: exit 2, nothing sent
before=$(wc -l <"$T/main.log")
bad() { # expected-field args...
    local field=$1; shift
    "$FAULTLINE" ssm send "$@" --endpoint-url "$EP" >/dev/null 2>"$T/err"; local rc=$?
    [ $rc = 2 ] || fail "exit $rc (want 2) for: $*"
    grep -q -- "$field" "$T/err" || fail "error for '$*' does not name $field: $(cat "$T/err")"
}
bad --host latency --host 'a;reboot' --delay 1s --duration 1m --tag a=b
bad --host latency --host '$(id)' --delay 1s --duration 1m --tag a=b
bad --delay latency --delay 2 --duration 1m --tag a=b
bad --delay latency --duration 1m --tag a=b
bad --duration cpu --duration 1500ms --tag a=b
bad --duration cpu --duration 13h --tag a=b
bad --duration cpu --tag a=b
bad targets cpu --duration 1m
bad --tag cpu --duration 1m --tag 'a;b'
bad --instance-ids cpu --duration 1m --instance-ids 'i-123;reboot'
bad --max-concurrency cpu --duration 1m --tag a=b --max-concurrency 0
bad --max-errors cpu --duration 1m --tag a=b --max-errors 101%
bad --alarm cpu --duration 1m --tag a=b --alarm 'x y'
bad --path disk-fill --path 'relative' --duration 1m --tag a=b
bad --signal process-kill --name x --signal NOPE --tag a=b
bad --region cpu --duration 1m --tag a=b --region 'eu west'
bad --nope cpu --duration 1m --tag a=b --nope 1
AWS_ACCESS_KEY_ID= bad credentials cpu --duration 1m --tag a=b
after=$(wc -l <"$T/main.log")
[ "$before" = "$after" ] || fail "invalid input sent $((after - before)) requests"

# credentials and region from the shared files (profile)
mkdir -p "$T/aws"
printf '[ci]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = secretfromfile\n' >"$T/aws/credentials"
printf '[profile ci]\nregion = ap-south-1\n' >"$T/aws/config"
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_REGION= AWS_SHARED_CREDENTIALS_FILE=$T/aws/credentials AWS_CONFIG_FILE=$T/aws/config \
    ok cpu --duration 1m --tag a=b --profile ci
tail -n 1 "$T/main.log" | grep -q 'Credential=AKIDFROMFILE/[0-9]*/ap-south-1/ssm/aws4_request' \
    || fail "profile credentials/region not used: $(tail -n 1 "$T/main.log" | cut -c1-200)"

# stop: SIGTERM while polling -> CancelCommand + faultline stop --tag <this command's tag>, exit 3
start_listener stop 0
"$FAULTLINE" ssm send latency --delay 2s --duration 10m --tag service=api --endpoint-url "http://127.0.0.1:$PORT" --poll 20ms >"$T/stop.out" 2>"$T/stop.err" &
fl=$!
for _ in $(seq 200); do grep -q ListCommandInvocations "$T/stop.log" && break; sleep 0.05; done
kill -TERM $fl
wait $fl; rc=$?
[ $rc = 3 ] || fail "SIGTERM: exit $rc (want 3)"
grep -q '"target": "AmazonSSM.CancelCommand"' "$T/stop.log" || fail "no CancelCommand after SIGTERM"
grep '"target": "AmazonSSM.SendCommand"' "$T/stop.log" | tail -n 1 | grep -Eq 'AWS-RunShellScript.*faultline stop --tag ssm-[0-9a-f]{16}' \
    || fail "no faultline stop --tag command after SIGTERM"

# an instance fails: exit 4, and the failure is reported per instance
start_listener failing 1 fail
"$FAULTLINE" ssm send cpu --duration 1m --tag service=api --endpoint-url "http://127.0.0.1:$PORT" --poll 20ms >"$T/f.out" 2>"$T/f.err"
rc=$?
[ $rc = 4 ] || fail "a failed instance: exit $rc (want 4)"
grep -q "i-0fedcba9876543210: Failed" "$T/f.err" || fail "the failed instance is not reported: $(cat "$T/f.err")"

# SSM stops the command when its alarm fires: the alarm is named
start_listener alarm 1 alarm
"$FAULTLINE" ssm send cpu --duration 1m --tag service=api --alarm api-5xx-rate --endpoint-url "http://127.0.0.1:$PORT" --poll 20ms >"$T/a.out" 2>"$T/a.err"
rc=$?
[ $rc = 4 ] || fail "alarm triggered: exit $rc (want 4)"
grep -q "Cancelled; alarm triggered: api-5xx-rate" "$T/a.err" || fail "the triggered alarm is not named: $(cat "$T/a.err")"

# a command that reaches no instance ends (exit 4) instead of polling forever
FL_SSM_NO_INSTANCES=1 start_listener none 1
timeout 20 "$FAULTLINE" ssm send cpu --duration 1m --tag service=none --endpoint-url "http://127.0.0.1:$PORT" --poll 20ms >"$T/n.out" 2>"$T/n.err"
rc=$?
[ $rc = 4 ] || fail "no instance: exit $rc (want 4)"
grep -q "with no instance listed" "$T/n.err" || fail "no instance: not said: $(cat "$T/n.err")"

# every request body against botocore's SSM model
cat "$T/main.log" "$T/stop.log" "$T/failing.log" "$T/alarm.log" "$T/none.log" >"$T/all.log"
$PY "$FL_TESTS/validate_requests.py" "$T/all.log" "$AWS_ACCESS_KEY_ID=$AWS_SECRET_ACCESS_KEY" AKIDFROMFILE=secretfromfile \
    || fail "requests invalid against the botocore model or not signed right"

# the validator itself refuses a body that breaks the model
printf '%s\n' '{"target": "AmazonSSM.SendCommand", "content_type": "application/x-amz-json-1.1", "authorization": "AWS4-HMAC-SHA256 Credential=A/1/r/ssm/aws4_request", "amz_date": "", "body": "{\"MaxConcurrency\": \"0x\", \"TimeoutSeconds\": 5, \"Bogus\": 1}"}' >"$T/badreq.log"
$PY "$FL_TESTS/validate_requests.py" "$T/badreq.log" >"$T/badreq.out" && fail "the validator accepted an invalid body"
for want in "DocumentName: required" "MaxConcurrency: '0x' does not match" "TimeoutSeconds: below 30" "Bogus: not a member"; do
    grep -q "$want" "$T/badreq.out" || fail "validator did not report '$want'"
done

# the same SendCommand from the aws CLI (Debian awscli) and from faultline
if [ -x /usr/bin/aws ]; then
    start_listener cmp 1
    AWS_PAGER= /usr/bin/aws ssm send-command --endpoint-url "http://127.0.0.1:$PORT" --region eu-west-1 \
        --targets Key=tag:service,Values=api --document-name faultline-latency --timeout-seconds 600 \
        --comment "faultline latency" --max-concurrency 2 --max-errors 1 \
        --parameters '{"Host":["10.0.0.5,redis.internal"],"Port":["6379"],"Delay":["2s"],"DurationSeconds":["300"]}' \
        --cloud-watch-output-config CloudWatchLogGroupName=/faultline/ssm,CloudWatchOutputEnabled=true \
        --alarm-configuration 'IgnorePollAlarmFailure=false,Alarms=[{Name=api-5xx-rate}]' >/dev/null 2>"$T/aws.err" \
        || fail "aws ssm send-command: $(cat "$T/aws.err")"
    "$FAULTLINE" ssm send latency --host 10.0.0.5 --host redis.internal --port 6379 --delay 2s --duration 5m \
        --tag service=api --max-concurrency 2 --max-errors 1 --alarm api-5xx-rate --log-group /faultline/ssm \
        --endpoint-url "http://127.0.0.1:$PORT" --no-wait >/dev/null 2>"$T/cmp.err" || fail "faultline send for comparison: $(cat "$T/cmp.err")"
    $PY - "$T/cmp.log" <<'PYEOF' || fail "faultline's SendCommand differs from the aws CLI's"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
sends = [r for r in reqs if r["target"].endswith(".SendCommand")]
assert len(sends) == 2, f"{len(sends)} SendCommand requests"
aws, fl = sends
ok = True
for k in ("target", "content_type"):
    if aws[k] != fl[k]:
        print(f"{k}: aws {aws[k]!r}, faultline {fl[k]!r}"); ok = False
a, f = json.loads(aws["body"]), json.loads(fl["body"])
# faultline tags the faults of each command (an abort stops those only)
import re
tag = f.get("Parameters", {}).pop("FaultlineTag", [""])[0]
if not re.fullmatch(r"ssm-[0-9a-f]{16}", tag):
    print(f"FaultlineTag {tag!r}"); ok = False
# members the aws CLI sets on its own (e.g. default values) are shown if they differ
for k in sorted(set(a) | set(f)):
    if a.get(k) != f.get(k):
        print(f"member {k}: aws {a.get(k)!r}, faultline {f.get(k)!r}"); ok = False
if ok:
    print(f"SendCommand: same X-Amz-Target, Content-Type and {len(a)} JSON members as the aws CLI ({', '.join(sorted(a))})")
sys.exit(0 if ok else 1)
PYEOF
    # the verifier accepts the aws CLI's own signature (so it computes SigV4
    # as AWS does) and refuses a request whose body was changed after signing
    $PY "$FL_TESTS/validate_requests.py" "$T/cmp.log" "$AWS_ACCESS_KEY_ID=$AWS_SECRET_ACCESS_KEY" >"$T/cmp.out" \
        || fail "SigV4/model check of the aws CLI's and faultline's requests: $(cat "$T/cmp.out")"
    head -n 1 "$T/cmp.log" | sed 's/faultline-latency/faultline-latencX/' >"$T/tampered.log"
    $PY "$FL_TESTS/validate_requests.py" "$T/tampered.log" "$AWS_ACCESS_KEY_ID=$AWS_SECRET_ACCESS_KEY" | grep -q "signature does not verify" \
        || fail "a tampered request still verifies"
else
    echo "aws CLI (Debian awscli) not installed: comparison skipped"
fi
[ $fails = 0 ] && echo "ssm send: all checks passed"
exit $((fails > 0))
