# Fleet commands validate everything before any connection: exit 2, the field
# named (file:line:col for the inventory), nothing sent. No root, no network:
# the inventory's hosts do not exist, so anything that tried to connect would
# fail with exit 4, not 2.
. "$FL_TESTS/../lib.sh"
export FAULTLINE_SSH_DIR=$FL_TMP/ssh
INV=$FL_TMP/inv.yaml
cat >"$INV" <<'YAML'
hosts:
  a1: {address: 192.0.2.1, tags: {service: api}}
  a2: {address: 192.0.2.2, tags: {service: api}}
YAML
BAD=$FL_TMP/bad.yaml
printf 'hosts:\n  a1: {address: 192.0.2.1, port: 0}\n' >"$BAD"

expect2() { # expect2 "text that stderr must contain" args...
    local want=$1 rc=0; shift
    "$FAULTLINE" "$@" >"$FL_TMP/out" 2>"$FL_TMP/err" || rc=$?
    if [ "$rc" = 2 ] && grep -qF -- "$want" "$FL_TMP/err"; then pass "exit 2 ($want): $*"
    else fail "expected exit 2 and '$want' for: $* (got $rc: $(head -c 300 "$FL_TMP/err"))"; fi
}
CPU=(attack cpu --load 5% --duration 5s)
expect2 "bad.yaml:2:" "${CPU[@]}" --inventory "$BAD"
expect2 "hosts.a1.port" "${CPU[@]}" --inventory "$BAD"
expect2 "cannot read" "${CPU[@]}" --inventory "$FL_TMP/missing.yaml"
expect2 "matches no host" "${CPU[@]}" --inventory "$INV" --select service=db
expect2 "--mode" "${CPU[@]}" --inventory "$INV" --mode 'count(0)'
expect2 "--max-errors" "${CPU[@]}" --inventory "$INV" --max-errors 1.5
expect2 "--max-concurrency" "${CPU[@]}" --inventory "$INV" --max-concurrency 0
expect2 "--seed" "${CPU[@]}" --inventory "$INV" --seed -1
expect2 "--lease" "${CPU[@]}" --inventory "$INV" --lease 10ms
expect2 "--select" "${CPU[@]}" --inventory "$INV" --select 'service'
expect2 "--detach" "${CPU[@]}" --inventory "$INV" --detach
expect2 "load" attack cpu --load 500% --duration 5s --inventory "$INV"
expect2 "duration" attack cpu --load 5% --inventory "$INV"
expect2 "instantaneous" attack process-kill --name x --inventory "$INV"
expect2 "unexpected argument" status --inventory "$INV" --all
expect2 "unexpected argument" stop 'x;reboot' --inventory "$INV"
expect2 "--inventory needs a value" status --inventory=
check "nothing journaled here" [ "$(journal_count)" = 0 ]
finish
