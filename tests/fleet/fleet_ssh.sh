# A fleet of 8 hosts (network namespaces, each with its own address and its
# own sshd) driven over ssh: selection modes, max-errors, and the lease
# (dead-man's switch) when the controller dies or its path to a host is cut.
. "$FL_TESTS/../lib.sh"
. "$FL_TESTS/fleet_lib.sh"
fleet_skip_unless_ready
trap 'fleet_teardown; fl_cleanup' EXIT
trap 'exit 143' TERM INT # so the EXIT trap tears the fleet down
N=8
fleet_up "$N"
INV=$FL_TMP/inventory.yaml
{
    fleet_inventory_head
    # Two hosts whose faultline is missing, first in inventory order.
    fleet_host broken1 1 "canary: yes" /nonexistent/faultline
    fleet_host broken2 2 "canary: yes" /nonexistent/faultline
    for i in $(seq 1 $N); do
        if [ "$i" -le 6 ]; then svc=api; else svc=db; fi
        fleet_host "h$i" "$i" "service: $svc, zone: z$((i % 2))"
    done
    echo "groups:"
    echo "  canary_ok: [h3, h4]"
} >"$INV"
sed -i 's/^    tags: {service: api, zone: z1}$/&/' "$INV"
for i in 3 4; do sed -i "/^  h$i:/,/^    tags/ s/^    tags: {\(.*\)}$/    tags: {\1, canary: yes}/" "$INV"; done
CPU=(cpu --load 5% --workers 1)

api_hosts() { jq -r '.hosts[].name' "$1" | sort | tr '\n' ' '; }

# 1. count(3) of service=api: exactly 3 distinct api hosts, each applied and verified.
rc=0
fl_ctl attack "${CPU[@]}" --duration 2s --inventory "$INV" --select service=api --mode 'count(3)' --seed 7 \
    --json >"$FL_TMP/count.json" 2>"$FL_TMP/count.err" || rc=$?
check "count(3): exit 0 (got $rc)" [ "$rc" = 0 ]
check "count(3): 3 hosts in the result" [ "$(jq '.hosts | length' "$FL_TMP/count.json")" = 3 ]
check "count(3): all 3 applied with an id" [ "$(jq '[.hosts[] | select(.result == "ok" and (.id | startswith("cpu-")))] | length' "$FL_TMP/count.json")" = 3 ]
check "count(3): only api hosts (h1..h6): $(api_hosts "$FL_TMP/count.json")" \
    sh -c "! jq -r '.hosts[].name' '$FL_TMP/count.json' | grep -qv '^h[1-6]\$'"
check "count(3): each rolled back at the end" [ "$(jq '[.hosts[] | select(.end_state == "rolled_back")] | length' "$FL_TMP/count.json")" = 3 ]
check "count(3): the seed is printed" grep -q "seed 7 (repeat with --seed 7)" "$FL_TMP/count.err"
first=$(api_hosts "$FL_TMP/count.json")
fl_ctl attack "${CPU[@]}" --duration 1s --inventory "$INV" --select service=api --mode 'count(3)' --seed 7 \
    --json >"$FL_TMP/count2.json" 2>/dev/null || true
check "count(3): the same seed selects the same hosts ($first)" [ "$(api_hosts "$FL_TMP/count2.json")" = "$first" ]
check "no fault left on any host" [ "$(hosts_with_faults)" = 0 ]

# 2. percent(50) of the 8 service hosts: 4, seen on the hosts while it runs.
ip netns exec "${FLEET_NS}c" "$FAULTLINE" attack "${CPU[@]}" --duration 60s --inventory "$INV" --select 'zone=*' \
    --mode 'percent(50)' --json >"$FL_TMP/pct.json" 2>/dev/null &
ctl=$!
wait_for 20 faults_at_least 4 || true
during=$(hosts_with_faults)
fl_ctl status --inventory "$INV" --select 'zone=*' --json >"$FL_TMP/status.json" 2>/dev/null || true
kill -INT "$ctl" # Ctrl-C: the controller ends every remote fault now
rc=0; wait "$ctl" || rc=$?
check "percent(50) then Ctrl-C: exit 3 (got $rc)" [ "$rc" = 3 ]
check "Ctrl-C: every host reports its fault rolled back" \
    [ "$(jq '[.hosts[] | select(.end_state == "rolled_back")] | length' "$FL_TMP/pct.json")" = 4 ]
check "percent(50): 4 of 8 hosts held a fault while it ran (got $during)" [ "$during" = 4 ]
check "percent(50): 4 applied in the result" [ "$(jq '.applied' "$FL_TMP/pct.json")" = 4 ]
check "status --inventory: 4 hosts report an active fault ($(jq -c '[.hosts[] | (.faults | length)]' "$FL_TMP/status.json"))" \
    [ "$(jq '[.hosts[] | select((.faults | length) > 0)] | length' "$FL_TMP/status.json")" = 4 ]
check "no fault left on any host" [ "$(hosts_with_faults)" = 0 ]

# 3. max-errors: canary=yes is broken1, broken2, h3, h4 (in that order), one at a
#    time; max-errors 1: two failures stop the fan-out, h3 and h4 are skipped.
rc=0
fl_ctl attack "${CPU[@]}" --duration 1s --inventory "$INV" --select canary=yes --max-concurrency 1 \
    --max-errors 1 --json >"$FL_TMP/maxerr.json" 2>/dev/null || rc=$?
check "max-errors: exit 4 (got $rc)" [ "$rc" = 4 ]
check "max-errors: 2 errors, 2 skipped, 0 applied ($(jq -c '[.errors, .skipped, .applied]' "$FL_TMP/maxerr.json"))" \
    [ "$(jq -c '[.errors, .skipped, .applied]' "$FL_TMP/maxerr.json")" = "[2,2,0]" ]
check "max-errors: the failed hosts are named" \
    [ "$(jq -r '[.hosts[] | select(.result == "failed") | .name] | join(",")' "$FL_TMP/maxerr.json")" = "broken1,broken2" ]
rc=0
fl_ctl attack "${CPU[@]}" --duration 1s --inventory "$INV" --select canary=yes --max-concurrency 1 \
    --max-errors 2 --json >"$FL_TMP/maxerr2.json" 2>/dev/null || rc=$?
check "max-errors 2: the fan-out goes on, 2 applied (exit 4 for the failures)" \
    [ "$rc/$(jq -c '[.errors, .skipped, .applied]' "$FL_TMP/maxerr2.json")" = "4/[2,0,2]" ]
check "invalid mode: exit 2, nothing sent" \
    [ "$(rc_of fl_ctl attack "${CPU[@]}" --duration 1s --inventory "$INV" --mode 'count(0)')" = 2 ]
check "invalid attack parameter: exit 2, nothing sent" \
    [ "$(rc_of fl_ctl attack cpu --load 500% --duration 1s --inventory "$INV")" = 2 ]
check "no fault left on any host" [ "$(hosts_with_faults)" = 0 ]

# 4. kill -9 of the controller mid-attack (60 s faults, 3 s lease): every
#    remote fault is gone within lease + 2 s.
LEASE=3
ip netns exec "${FLEET_NS}c" "$FAULTLINE" attack "${CPU[@]}" --duration 60s --lease ${LEASE}s --inventory "$INV" --select 'zone=*' \
    >"$FL_TMP/kill.txt" 2>&1 &
ctl=$!
FL_PIDS+=("$ctl")
wait_for 30 faults_at_least $N || true
check "kill -9: all $N hosts hold the fault" [ "$(hosts_with_faults)" = "$N" ]
t0=$(date +%s.%N)
kill -KILL "$ctl"
wait_for $((LEASE + 10)) no_faults || true
t1=$(date +%s.%N)
gone=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "kill -9: all remote faults gone ${gone}s after the controller died (lease ${LEASE}s)"
check "kill -9: all remote faults gone within lease + 2 s (${gone}s)" within "$gone" 0 $((LEASE + 2))

# 5. Cut the controller's path to one host (its bridge port down): that host's
#    fault ends within the lease, others' are unaffected until the controller ends.
LEASE=4
ip netns exec "${FLEET_NS}c" "$FAULTLINE" attack "${CPU[@]}" --duration 60s --lease ${LEASE}s --inventory "$INV" --select 'name=h5' \
    >"$FL_TMP/cut.txt" 2>&1 &
ctl=$!
FL_PIDS+=("$ctl")
wait_for 30 host_holds_fault 5 || true
check "cut: h5 holds the fault" [ "$(host_faults 5)" = 1 ]
sleep 1
ip -n "${FLEET_NS}c" link set v5 down
t0=$(date +%s.%N)
wait_for $((LEASE + 10)) host_clear 5 || true
t1=$(date +%s.%N)
gone=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "cut: h5's fault gone ${gone}s after its path was cut (lease ${LEASE}s)"
check "cut: h5's fault ended within the lease (${gone}s <= ${LEASE}s + 0.5s polling)" within "$gone" 0 $((LEASE)).5
rc=0; wait "$ctl" || rc=$?
check "cut: the controller reports the lost host and exits 4 (got $rc)" [ "$rc" = 4 ]
ip -n "${FLEET_NS}c" link set v5 up
check "no fault left on any host" [ "$(hosts_with_faults)" = 0 ]
finish
