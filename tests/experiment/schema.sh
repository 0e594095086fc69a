#!/usr/bin/env bash
# Every file in invalid/ must be refused by `faultline validate` and by
# `faultline run` with exit 2, a file:line:column prefix, and the text its
# first line announces ("# expect: ..."), usually the field path. Nothing
# may be applied (the journal stays empty). The examples must validate.
FL_EXP_TESTS=$(cd "$(dirname "$0")" && pwd)
. "$FL_EXP_TESTS/../lib.sh"

n=0
for f in "$FL_EXP_TESTS"/invalid/*.yaml; do
    n=$((n + 1))
    want=$(sed -n '1s/^# expect: //p' "$f")
    name=$(basename "$f")
    rc=0
    out=$("$FAULTLINE" validate "$f" 2>&1) || rc=$?
    if [ "$rc" -ne 2 ]; then fail "$name: validate exit $rc, want 2 ($out)"; continue; fi
    if ! grep -qE "^$f:[0-9]+:[0-9]+: " <<<"$out"; then fail "$name: no file:line:column in: $out"; continue; fi
    if ! grep -qF -- "$want" <<<"$out"; then fail "$name: '$want' not in: $out"; continue; fi
    rc=0
    "$FAULTLINE" run "$f" --out "$FL_TMP/out-$name" >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || fail "$name: run exit $rc, want 2"
    [ ! -e "$FL_TMP/out-$name" ] || fail "$name: run wrote output for an invalid file"
done
[ "$n" -ge 20 ] || fail "only $n invalid files"
pass "$n invalid files refused with file:line:column and the field"
[ "$(journal_count)" -eq 0 ] || fail "an invalid file applied something"

# Usage errors name the option.
check "unknown option exits 2" [ "$(rc_of "$FAULTLINE" run --bogus x.yaml)" = 2 ]
check "missing file exits 2" [ "$(rc_of "$FAULTLINE" run)" = 2 ]
check "missing file on disk exits 2" [ "$(rc_of "$FAULTLINE" validate "$FL_TMP/nope.yaml")" = 2 ]

# A valid file that needs no running service: validate and dry run.
cat >"$FL_TMP/ok.yaml" <<'YAML'
title: cpu for a second
duration: 3s
load:
  command: [true]
  interval: 100ms
method:
  - {name: burn, attack: cpu, with: {load: 10%, workers: 1}, start: 1s, duration: 1s}
  - {attack: cpu, with: {load: 10%, workers: 1}, after: burn, duration: 500ms}
hypothesis:
  - {metric: load.errors.ratio, during: burn, below: 1%}
stop-when:
  - {metric: load.errors.ratio, above: 50%, for: 2s}
rollback:
  - run: [true]
YAML
check "valid file validates" [ "$(rc_of "$FAULTLINE" validate "$FL_TMP/ok.yaml")" = 0 ]
plan=$("$FAULTLINE" run --dry-run "$FL_TMP/ok.yaml")
check "dry run shows the timeline" grep -q "burn: cpu for 1s" <<<"$plan"
check "dry run shows the after: step" grep -q "after burn ends" <<<"$plan"
check "dry run shows operations with undo" grep -q "undo:" <<<"$plan"
check "dry run applies nothing" [ "$(journal_count)" -eq 0 ]
check "dry run --json is JSON" bash -c "'$FAULTLINE' run --dry-run --json '$FL_TMP/ok.yaml' | jq -e '.plan | length > 5' >/dev/null"
# The examples that need nothing running on this host validate, and the
# fleet example's dry run shows its selection (names resolve on the hosts).
root=$(cd "$FL_EXP_TESTS/../.." && pwd)
for f in redis-latency.yaml cache-timeout/experiment.yaml fleet/cache-latency.yaml; do
    check "examples/$f validates" "$FAULTLINE" validate "$root/examples/$f"
done
# --offline: the file only. nginx-pause.yaml names a process (nginx) this
# host need not run: the host check refuses it, --offline accepts it; an
# invalid file is still refused.
rc=0
"$FAULTLINE" validate "$root/examples/nginx-pause.yaml" >/dev/null 2>"$FL_TMP/host.err" || rc=$?
if pgrep -x nginx >/dev/null 2>&1; then
    pass "host check of nginx-pause.yaml not shown (an nginx runs on this host)"
else
    check "the host check refuses nginx-pause.yaml without nginx" bash -c "[ $rc -eq 2 ] && grep -q 'no process matches nginx' '$FL_TMP/host.err'"
fi
check "validate --offline accepts it" "$FAULTLINE" validate --offline "$root/examples/nginx-pause.yaml"
check "validate --offline still refuses an invalid file" [ "$(rc_of "$FAULTLINE" validate --offline "$FL_EXP_TESTS/invalid/$(ls "$FL_EXP_TESTS/invalid" | head -1)")" = 2 ]
"$FAULTLINE" run "$root/examples/fleet/cache-latency.yaml" --dry-run >"$FL_TMP/fleet-plan" 2>&1 || true
check "fleet example: the dry run shows the selection" grep -q "over ssh: 1 of 3 matching host(s) of inventory.yaml" "$FL_TMP/fleet-plan"
check "fleet example: operations are decided on each host" grep -q "decided by faultline on each host" "$FL_TMP/fleet-plan"
finish
