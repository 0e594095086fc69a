#!/usr/bin/env bash
# SIGTERM to `faultline run` mid-attack rolls back and exits 3: nginx frozen
# for what would be 20 s; the signal comes 2 s into the attack.
. "$(dirname "$0")/ns.sh"
start_nginx
OUT=$FL_TMP/out
cat >"$FL_TMP/term.yaml" <<YAML
title: interrupted
duration: 25s
load:
  http: {url: "http://127.0.0.1:8080/index.html", rate: 50/s, connections: 4, timeout: 5s}
method:
  - {name: freeze, attack: process-pause, with: {pid: $FL_NGINX_PID}, start: 1s, duration: 20s}
YAML
"$FAULTLINE" run "$FL_TMP/term.yaml" --out "$OUT" >"$FL_TMP/stdout" 2>"$FL_TMP/stderr" &
RUN=$!
FL_PIDS+=("$RUN")
wait_for 10 bash -c "[ \"\$(awk '{print \$3}' /proc/$FL_NGINX_PID/stat)\" = T ]" || fail "nginx never paused"
sleep 2
sent=$(date +%s%N)
kill -TERM "$RUN"
rc=0
wait "$RUN" || rc=$?
exit_ms=$((($(date +%s%N) - sent) / 1000000))
cat "$FL_TMP/stdout"
check "exit 3 after SIGTERM" [ "$rc" = 3 ]
check "nginx runs again" [ "$(proc_state "$FL_NGINX_PID")" != T ]
check "reason: the signal" [ "$(r .abort_reason)" = "signal SIGTERM" ]
reaction=$(r .reaction_ms)
echo "SIGTERM: rolled back ${reaction} ms after the signal was seen; process exited ${exit_ms} ms after kill"
check "rolled back within 1 s" within "$reaction" 0 1000
check "exited within 3 s of the signal" within "$exit_ms" 0 3000
check "journal empty" [ "$(journal_count)" -eq 0 ]
check "result written" [ -s "$OUT/result.json" ]
finish
