#!/bin/bash
# Time to apply one attack on 8 hosts: faultline's parallel fan-out vs the
# same hosts one after another (ssh + `faultline attack --detach`, the usual
# loop). Same fleet, same run: 8 network namespaces with their own sshd
# (tests/fleet/fleet_lib.sh). Fresh ssh connections for every round (a new
# ControlPath directory), so both sides pay the ssh handshake.
#   sudo FAULTLINE=build/faultline bench/fleet/bench.sh [ROUNDS]
FL_TESTS=$(cd "$(dirname "$0")/../../tests/fleet" && pwd)
export FL_TESTS
: "${FAULTLINE:?set FAULTLINE to the faultline binary}"
FAULTLINE=$(realpath "$FAULTLINE")
. "$FL_TESTS/../lib.sh"
. "$FL_TESTS/fleet_lib.sh"
fleet_skip_unless_ready
trap 'fleet_teardown; fl_cleanup' EXIT
trap 'exit 143' TERM INT # so the EXIT trap tears the fleet down
ROUNDS=${1:-3}
N=8
fleet_up $N
INV=$FL_TMP/inventory.yaml
{ fleet_inventory_head; for i in $(seq 1 $N); do fleet_host "h$i" "$i" "bench: yes"; done; } >"$INV"
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
par=() ser=()
for r in $(seq 1 "$ROUNDS"); do
    # Parallel: time until the last host reports its fault applied.
    export FAULTLINE_SSH_DIR=$FLEET_DIR/ssh-p$r; mkdir -m 700 "$FAULTLINE_SSH_DIR"
    fl_ctl attack cpu --load 5% --workers 1 --duration 1s --inventory "$INV" --json >"$FL_TMP/p$r.json" 2>/dev/null
    p=$(jq '[.hosts[].apply_ms] | max' "$FL_TMP/p$r.json")
    [ "$(jq .applied "$FL_TMP/p$r.json")" = $N ] || { echo "parallel round $r: not all applied" >&2; exit 1; }
    # Serial: one ssh per host, each waiting for the previous to be applied.
    t0=$(now)
    for i in $(seq 1 $N); do
        ip netns exec "${FLEET_NS}c" ssh -T -o BatchMode=yes -o LogLevel=ERROR -i "$FLEET_DIR/client_key" \
            -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -l root -- "$FLEET_NET.$((10 + i))" \
            env "FAULTLINE_STATE_DIR=$FLEET_DIR/h$i/state" "$FAULTLINE" attack cpu --load 5% --workers 1 \
            --duration 1s --detach --json >/dev/null
    done
    s=$(ms "$t0" "$(now)")
    par+=("$p") ser+=("$s")
    echo "round $r: parallel ${p} ms, serial ${s} ms"
    sleep 1.5 # the detached faults expire
done
med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mp=$(med "${par[@]}") msr=$(med "${ser[@]}")
echo "8 hosts, time until every host has the fault applied and verified (median of $ROUNDS):"
echo "  parallel (faultline --inventory):          ${mp} ms"
echo "  one after another (ssh ... --detach loop): ${msr} ms"
awk -v p="$mp" -v s="$msr" 'BEGIN { printf "  ratio serial/parallel: %.1fx\n", s / p }'
