#!/usr/bin/env bash
# An experiment that must FAIL: nginx frozen for 3 s under load; the
# hypothesis "p99 under 100ms while paused" fails and is the one named, the
# steady-state hypotheses pass, nginx runs again afterwards.
. "$(dirname "$0")/ns.sh"
start_nginx
OUT=$FL_TMP/out
rc=0
"$FAULTLINE" run "$FL_TESTS/../../examples/nginx-pause.yaml" --out "$OUT" --quiet >"$FL_TMP/stdout" 2>&1 || rc=$?
cat "$FL_TMP/stdout"
check "exit 1 (a hypothesis failed)" [ "$rc" = 1 ]
check "verdict fail" [ "$(r .verdict)" = fail ]
check "the failed hypothesis is named" [ "$(r .failed_hypothesis)" = "p99 under 100ms while paused" ]
check "it failed on its measured value" [ "$(r '.hypotheses[1].verdict')" = fail ]
check "measured p99 shown next to the bound" within "$(r '.hypotheses[1].measured')" 100 100000
check "steady state before passed" [ "$(r '.hypotheses[0].verdict')" = pass ]
check "the probe passed after" [ "$(r '.hypotheses[2].verdict')" = pass ]
check "fault verified" [ "$(r '.faults[0].verified')" = true ]
check "fault rolled back" [ "$(r '.faults[0].rolled_back_ms')" != null ]
check "held about 3 s" within "$(r '.faults[0].rolled_back_ms - .faults[0].applied_ms')" 2900 3400
check "nginx runs again" [ "$(proc_state "$FL_NGINX_PID")" != T ]
check "nothing left in the journal" [ "$(journal_count)" -eq 0 ]
check "summary names FAIL" grep -q "FAIL    p99 under 100ms while paused" "$FL_TMP/stdout"
check "windows in the series" within "$(r '.series.windows | length')" 8 12
check "load result embedded" [ "$(r '.load.rate_target')" = 200 ]
finish
