#!/bin/bash
# SSM calls retried on throttling, 5xx and transport failures,
# against the fake endpoint on 127.0.0.1 (listener.py with FL_SSM_FAULTS):
# a throttled SendCommand succeeds after retries, a ValidationException or
# AccessDenied is not retried, retries stop after 5 attempts, a SendCommand
# whose reply is lost is not sent twice, polling rides out throttling, and
# every attempt is signed (validate_requests.py).
. "$FL_TESTS/ssm_lib.sh" retry
need_botocore
count() { # log op [status] -> number of requests
    $PY - "$@" <<'PYEOF'
import json, sys
log, op = sys.argv[1], sys.argv[2]
status = int(sys.argv[3]) if len(sys.argv) > 3 else None
n = 0
for line in open(log):
    r = json.loads(line)
    if r["target"] == "AmazonSSM." + op and (status is None or r["status"] == status):
        n += 1
print(n)
PYEOF
}
export FAULTLINE_SSM_RETRY_BASE_MS=2 # short waits; the policy is the same
send() { # name args... -> RC, output in $T/name.out/.err
    local name=$1; shift
    "$FAULTLINE" ssm send "$@" --endpoint-url "http://127.0.0.1:$PORT" --poll 20ms >"$T/$name.out" 2>"$T/$name.err"
    RC=$?
}

# 1. SendCommand throttled 3 times (HTTP 400 ThrottlingException): succeeds at the 4th attempt
FL_SSM_FAULTS=SendCommand:3:400:ThrottlingException start_listener throttled 1
send throttled cpu --duration 1m --tag service=api
[ $RC = 0 ] || fail "throttled SendCommand: exit $RC (want 0): $(cat "$T/throttled.err")"
n=$(count "$T/throttled.log" SendCommand); n400=$(count "$T/throttled.log" SendCommand 400)
[ "$n" = 4 ] && [ "$n400" = 3 ] || fail "throttled SendCommand: $n requests, $n400 throttled (want 4, 3)"
grep -q "i-0123456789abcdef0 Success exit 0" "$T/throttled.out" || fail "throttled: no per-instance result: $(cat "$T/throttled.out")"
echo "throttled SendCommand: $n requests ($n400 answered ThrottlingException), exit $RC"

# 2. throttled 5 times: gives up after 5 attempts, exit 4, says so
FL_SSM_FAULTS=SendCommand:5:400:ThrottlingException start_listener exhausted 1
send exhausted cpu --duration 1m --tag service=api
[ $RC = 4 ] || fail "5 throttles: exit $RC (want 4)"
n=$(count "$T/exhausted.log" SendCommand)
[ "$n" = 5 ] || fail "5 throttles: $n SendCommand requests (want 5)"
grep -q "ThrottlingException: Rate exceeded (after 5 attempts)" "$T/exhausted.err" || fail "5 throttles: message: $(cat "$T/exhausted.err")"
[ "$(count "$T/exhausted.log" ListCommandInvocations)" = 0 ] || fail "5 throttles: polled a command that was never sent"

# 3. not retried: ValidationException, AccessDeniedException (HTTP 400)
for typ in ValidationException AccessDeniedException; do
    FL_SSM_FAULTS=SendCommand:*:400:$typ start_listener "no-$typ" 1
    send "no-$typ" cpu --duration 1m --tag service=api
    [ $RC != 0 ] || fail "$typ: exit 0"
    n=$(count "$T/no-$typ.log" SendCommand)
    [ "$n" = 1 ] || fail "$typ: $n SendCommand requests (want 1: not retried)"
    grep -q "HTTP 400 $typ" "$T/no-$typ.err" || fail "$typ: message: $(cat "$T/no-$typ.err")"
    grep -q "attempts" "$T/no-$typ.err" && fail "$typ: retried: $(cat "$T/no-$typ.err")"
    echo "$typ: $n request, exit $RC"
done

# 4. HTTP 429 and 5xx are retried too (a prefix on the type is ignored)
FL_SSM_FAULTS=SendCommand:1:429:TooManyRequestsException,ListCommandInvocations:2:503:ServiceUnavailable,ListCommands:1:400:com.amazonaws.ssm#ThrottlingException,GetCommandInvocation:1:500:InternalServerError \
    start_listener mixed 1
send mixed latency --delay 2s --duration 1m --tag service=api
[ $RC = 0 ] || fail "429/5xx: exit $RC: $(cat "$T/mixed.err")"
grep -q "still polling" "$T/mixed.err" && fail "429/5xx: a poll failed although its retries succeeded"
for want in "SendCommand 429 1" "SendCommand 200 1" "ListCommandInvocations 503 2" "ListCommands 400 1" "GetCommandInvocation 500 1"; do
    set -- $want
    got=$(count "$T/mixed.log" "$1" "$2")
    [ "$got" = "$3" ] || fail "429/5xx: $got $1 requests answered $2 (want $3)"
done
echo "429/5xx: $(wc -l <"$T/mixed.log") requests, 5 of them answered 429, 503, 400 or 500 and retried, exit $RC"
[ "$(grep -c " exit 0" "$T/mixed.out")" = 2 ] || fail "429/5xx: per-instance results: $(cat "$T/mixed.out")"

# 5. polling throttled beyond 5 attempts: reported, polling goes on, the command still ends well
FL_SSM_FAULTS=ListCommands:6:400:ThrottlingException start_listener poll 1
send poll cpu --duration 1m --tag service=api
[ $RC = 0 ] || fail "throttled polling: exit $RC: $(cat "$T/poll.err")"
[ "$(grep -c "ThrottlingException: Rate exceeded (after 5 attempts) (still polling)" "$T/poll.err")" = 1 ] \
    || fail "throttled polling: not reported once: $(cat "$T/poll.err")"
n=$(count "$T/poll.log" ListCommands)
[ "$n" -ge 7 ] || fail "throttled polling: $n ListCommands requests (want at least 7)"
echo "throttled polling: $n ListCommands requests, 6 throttled, exit $RC"

# 6. a lost reply: SendCommand is not sent twice (it may have run); a lost
# ListCommands reply is retried
FL_SSM_FAULTS=SendCommand:1:0:lost start_listener lost 1
send lost cpu --duration 1m --tag service=api
[ $RC = 4 ] || fail "lost SendCommand reply: exit $RC (want 4)"
[ "$(count "$T/lost.log" SendCommand)" = 1 ] || fail "lost SendCommand reply: $(count "$T/lost.log" SendCommand) requests (want 1)"
FL_SSM_FAULTS=ListCommands:2:0:lost start_listener lostpoll 1
send lostpoll cpu --duration 1m --tag service=api
[ $RC = 0 ] || fail "lost ListCommands replies: exit $RC: $(cat "$T/lostpoll.err")"
grep -q "still polling" "$T/lostpoll.err" && fail "lost ListCommands replies: not retried"

# 7. nothing listening (connection refused): retried 5 times, exit 4
free_port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$FAULTLINE" ssm send cpu --duration 1m --tag a=b --endpoint-url "http://127.0.0.1:$free_port" >/dev/null 2>"$T/refused.err"
rc=$?
[ $rc = 4 ] || fail "connection refused: exit $rc (want 4)"
grep -q "SendCommand: http://127.0.0.1:$free_port: .*(after 5 attempts)" "$T/refused.err" || fail "connection refused: $(cat "$T/refused.err")"

# 8. invalid input is still refused before anything is sent (no retry loop)
FL_SSM_FAULTS= start_listener invalid 1
send invalid cpu --duration 1500ms --tag service=api
[ $RC = 2 ] && [ ! -s "$T/invalid.log" ] || fail "invalid input: exit $RC, $(wc -l <"$T/invalid.log") requests"

# every attempt was a well-formed, correctly signed request
cat "$T"/*.log >"$T/all.log"
total=$(wc -l <"$T/all.log")
$PY "$FL_TESTS/validate_requests.py" "$T/all.log" "$AWS_ACCESS_KEY_ID=$AWS_SECRET_ACCESS_KEY" >"$T/validate.out" \
    || fail "requests invalid against the botocore model or not signed right: $(tail -n 5 "$T/validate.out")"
echo "$total requests, each signed and valid against the model"
[ $fails = 0 ] && echo "ssm retry: all checks passed"
exit $((fails > 0))
