# Drops are silent to the sender, as on a real network: under packet-loss,
# blackhole (100%) and dns drop, UDP sendto() never fails, on egress and
# ingress, IPv4 and IPv6, loopback and a real (veth) interface. Loss in
# bursts has the asked mean run; corrupt, duplicate and reorder hit the
# asked share. DNS over TCP is covered; dns drop makes lookups time out.
. "$FL_TESTS/netlib.sh"

before=$(net_state)
attack() { "$FAULTLINE" attack "$@" --duration 2m --detach >"$FL_TMP/out" 2>&1 || { cat "$FL_TMP/out" >&2; return 1; }; }
stop_all() { "$FAULTLINE" stop --all >/dev/null; }
share() { # what min max (a percentage from the last netprobe line)
    local v
    v=$(field "$1" <"$FL_TMP/udp")
    within "$v" "$2" "$3"
}
udp() { "$NETPROBE" udp "$@" >"$FL_TMP/udp"; cat "$FL_TMP/udp"; }
no_failed_send() { test "$(field send_failed <"$FL_TMP/udp")" = 0; }

# -- packet-loss 30% over 10,000 datagrams: none refused, 27-33% lost.
attack packet-loss --host 127.0.0.1 --port 7101 --protocol udp --percent 30%
udp 127.0.0.1 7101 10000
check "packet-loss 30%: 0 failed sendto()" no_failed_send
check "packet-loss 30%: 27-33% not delivered" share lost_pct 27 33
stop_all

# -- in bursts of 5: runs of losses average 4-6, the share stays 27-33%.
attack packet-loss --host 127.0.0.1 --port 7102 --protocol udp --percent 30% --burst 5
udp 127.0.0.1 7102 10000
check "packet-loss 30% --burst 5: 0 failed sendto()" no_failed_send
check "packet-loss --burst 5: 27-33% not delivered" share lost_pct 27 33
check "packet-loss --burst 5: mean run of losses 4-6" share mean_loss_run 4 6
stop_all

# -- 100% and blackhole on loopback, IPv4 and IPv6, egress and ingress.
for args in "packet-loss --percent 100% --host 127.0.0.1" "blackhole --host 127.0.0.1" "blackhole --host ::1" \
    "blackhole --direction ingress --host 127.0.0.1" "blackhole --direction ingress --host ::1"; do
    # shellcheck disable=SC2086
    attack $args --protocol udp
    host=127.0.0.1
    case $args in *::1*) host=::1 ;; esac
    udp "$host" 7103 2000
    check "$args: 0 failed sendto()" no_failed_send
    check "$args: 0 delivered" test "$(field received <"$FL_TMP/udp")" = 0
    stop_all
done

# -- TCP under blackhole: a connect hangs (its SYNs are retransmitted).
attack blackhole --host 127.0.0.1 --port 7104 --protocol tcp
got=$("$NETPROBE" connect 127.0.0.1 7104 1500)
check "blackhole: a TCP connect hangs ($got)" test "$got" = ETIMEDOUT
stop_all

# -- a real interface: a veth pair to a second namespace, IPv4 and IPv6.
fl_spawn unshare -n sleep 600
peer=${FL_PIDS[-1]}
wait_for 5 bash -c "[ \"\$(readlink /proc/$peer/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
ip link add flv0 type veth peer name flv1
ip link set flv1 netns "$peer"
ip addr add 10.77.0.1/24 dev flv0
ip -6 addr add fd77::1/64 dev flv0 nodad
ip link set flv0 up
nsenter --net="/proc/$peer/ns/net" sh -c 'ip link set lo up; ip addr add 10.77.0.2/24 dev flv1;
    ip -6 addr add fd77::2/64 dev flv1 nodad; ip link set flv1 up'
reaches() { [ "$(NETPROBE_RX_NS=/proc/$peer/ns/net "$NETPROBE" udp "$1" 7199 20 | field received)" = 20 ]; }
check "veth: 10.77.0.2 reachable before" wait_for 5 reaches 10.77.0.2
check "veth: fd77::2 reachable before" wait_for 5 reaches fd77::2
before=$(net_state) # with the veth pair, which stays
for dir in egress ingress; do
    for host in 10.77.0.2 fd77::2; do
        attack blackhole --host "$host" --direction "$dir" --protocol udp --interface flv0
        if [ "$dir" = egress ]; then
            NETPROBE_RX_NS=/proc/$peer/ns/net udp "$host" 7105 2000
        else # sent by the peer to this side's address
            mine=10.77.0.1
            [ "$host" = fd77::2 ] && mine=fd77::1
            NETPROBE_TX_NS=/proc/$peer/ns/net udp "$mine" 7105 2000
        fi
        check "veth $dir $host: blackhole: 0 failed sendto()" no_failed_send
        check "veth $dir $host: blackhole: 0 delivered" test "$(field received <"$FL_TMP/udp")" = 0
        stop_all
    done
done
attack packet-loss --host 10.77.0.2 --protocol udp --percent 30%
NETPROBE_RX_NS=/proc/$peer/ns/net udp 10.77.0.2 7106 5000
check "veth: packet-loss 30%: 0 failed sendto(), 26-34% lost" bash -c "[ $(field send_failed <"$FL_TMP/udp") = 0 ]" &&
    check "veth: packet-loss 30%: 26-34% not delivered" share lost_pct 26 34
stop_all
check "veth: ruleset identical after" test "$(net_state)" = "$before"

# -- corrupt, duplicate, reorder: 10% of 10,000 datagrams, 8-12%, both ways.
for dir in egress ingress; do
    port=--port; [ "$dir" = ingress ] && port= # ingress: packets from 127.0.0.1, whatever the port
    attack corrupt --host 127.0.0.1 ${port:+--port 7107} --protocol udp --percent 10% --direction "$dir"
    udp 127.0.0.1 7107 10000
    bad=$(awk -v a="$(field lost_pct <"$FL_TMP/udp")" -v b="$(field altered_pct <"$FL_TMP/udp")" 'BEGIN { print a + b }')
    check "corrupt 10% ($dir): $bad% failed their checksum or arrived altered (8-12)" within "$bad" 8 12
    stop_all
    attack duplicate --host 127.0.0.1 ${port:+--port 7108} --protocol udp --percent 10% --direction "$dir"
    udp 127.0.0.1 7108 10000
    check "duplicate 10% ($dir): 8-12% more delivered than sent" share dup_pct 8 12
    check "duplicate 10% ($dir): none lost" share lost_pct 0 0
    stop_all
    attack reorder --host 127.0.0.1 ${port:+--port 7109} --protocol udp --percent 10% --direction "$dir"
    udp 127.0.0.1 7109 10000
    check "reorder 10% ($dir): 8-12% arrive after a later-sent one" share reordered_pct 8 12
    check "reorder 10% ($dir): none lost" share lost_pct 0 0
    stop_all
done

# -- DNS: over TCP too, and drop makes lookups time out.
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$FL_TMP/resolv.conf"
printf 'hosts: files dns\n' >"$FL_TMP/nsswitch.conf"
mount --bind "$FL_TMP/resolv.conf" /etc/resolv.conf
mount --bind "$FL_TMP/nsswitch.conf" /etc/nsswitch.conf
fl_spawn "$NETPROBE" dns-server 127.0.0.1 53 >/dev/null
wait_for 5 bash -c 'getent hosts api.example.com >/dev/null'
lookup_ms() { # name: how long a failing lookup took, or "resolved"
    local t0
    t0=$(date +%s%N)
    if getent hosts "$1" >/dev/null; then echo resolved; else echo $((($(date +%s%N) - t0) / 1000000)); fi
}
attack dns --mode drop
ms=$(lookup_ms other.org)
check "dns --mode drop: a lookup times out (${ms} ms, resolver timeout 1 s)" within "$ms" 900 5000
stop_all
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1 use-vc\n' >"$FL_TMP/resolv.conf"
check "dns over TCP: resolves before" bash -c 'getent hosts api.example.com | grep -q 10.9.8.7'
attack dns --domain example.com --mode refuse
ms=$(lookup_ms api.example.com)
check "dns over TCP, refuse: api.example.com fails at once (${ms} ms < 500)" within "$ms" 0 500
check "dns over TCP, refuse: other.org still resolves" bash -c 'getent hosts other.org | grep -q 10.9.8.7'
stop_all
attack dns --domain example.com --mode drop
# glibc waits on a TCP query until TCP gives up: the lookup hangs.
rc=$(rc_of timeout 2 getent hosts api.example.com)
check "dns over TCP, drop: api.example.com gets no answer in 2 s (rc $rc)" test "$rc" = 124
check "dns over TCP, drop: other.org still resolves" bash -c 'getent hosts other.org | grep -q 10.9.8.7'
stop_all
check "ruleset identical at the end" test "$(net_state)" = "$before"
finish
