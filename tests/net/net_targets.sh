# Targets: a hostname mapped to two addresses (hosts file in this mount
# namespace) is covered on both, and a third address added while the fault
# is active gets covered; dns fails resolution for one domain only
# (bandwidth: net_bandwidth.sh); --netns injects into another
# namespace (by pid and by name) with nothing run inside it.
. "$FL_TESTS/netlib.sh"

before=$(net_state)

# -- hostname: both addresses, then re-resolution.
printf '127.0.0.1 localhost\n::1 localhost\n127.0.0.2 cache.test\n127.0.0.3 cache.test\n' >"$FL_TMP/hosts"
mount --bind "$FL_TMP/hosts" /etc/hosts
"$FAULTLINE" attack blackhole --host cache.test --port 7010 --protocol udp --duration 1m --detach >/dev/null
for a in 127.0.0.2 127.0.0.3; do
    got=$("$NETPROBE" udp "$a" 7010 200 | field received)
    check "hostname: $a (cache.test) is blackholed ($got of 200 pass)" test "$got" -eq 0
done
got=$("$NETPROBE" udp 127.0.0.4 7010 200 | field received)
check "hostname: 127.0.0.4 is not cache.test yet ($got of 200 pass)" test "$got" -eq 200
echo "127.0.0.4 cache.test" >>"$FL_TMP/hosts"
check "hostname: re-resolved within 5 s, 127.0.0.4 is covered too" \
    wait_for 5 bash -c "[ \"\$('$NETPROBE' udp 127.0.0.4 7010 50 | sed -n 's/.*received=\\([0-9]*\\).*/\\1/p')\" = 0 ]"
"$FAULTLINE" stop --all >/dev/null
check "hostname: ruleset identical after" test "$(net_state)" = "$before"

# -- dns: a resolver of our own, one domain refused or dropped, others fine.
# (getent hosts, not ahosts: AI_ADDRCONFIG ignores a loopback-only namespace.)
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$FL_TMP/resolv.conf"
printf 'hosts: files dns\n' >"$FL_TMP/nsswitch.conf"
mount --bind "$FL_TMP/resolv.conf" /etc/resolv.conf
mount --bind "$FL_TMP/nsswitch.conf" /etc/nsswitch.conf
fl_spawn "$NETPROBE" dns-server 127.0.0.1 53 >/dev/null
wait_for 5 bash -c 'getent hosts api.example.com >/dev/null'
check "dns: resolves before" bash -c 'getent hosts api.example.com | grep -q 10.9.8.7'
for mode in refuse drop; do
    "$FAULTLINE" attack dns --domain example.com --mode "$mode" --duration 1m --detach >/dev/null
    start=$(date +%s%N)
    check "dns --mode $mode: api.example.com fails" bash -c '! getent hosts api.example.com'
    took=$((($(date +%s%N) - start) / 1000000))
    check "dns --mode $mode: other.org still resolves" bash -c 'getent hosts other.org | grep -q 10.9.8.7'
    "$FAULTLINE" stop --all >/dev/null
    if [ "$mode" = refuse ]; then check "dns refuse fails at once (${took} ms < 500)" test "$took" -lt 500; fi
done
"$FAULTLINE" attack dns --mode drop --duration 1m --detach >/dev/null
check "dns without --domain: every name fails" bash -c '! getent hosts other.org'
"$FAULTLINE" stop --all >/dev/null
check "dns: resolves after" bash -c 'getent hosts api.example.com | grep -q 10.9.8.7'
check "dns: ruleset identical after" test "$(net_state)" = "$before"

# -- --netns: a "container" namespace with redis in it and no tools of ours.
fl_spawn unshare -n sleep 600
holder=${FL_PIDS[-1]}
wait_for 5 bash -c "[ \"\$(readlink /proc/$holder/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
inside() { nsenter --net="/proc/$holder/ns/net" "$@"; }
inside ip link set lo up
inside_before=$(inside nft list ruleset)
fl_spawn nsenter --net="/proc/$holder/ns/net" redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no \
    --logfile /dev/null
wait_for 10 bash -c "nsenter --net=/proc/$holder/ns/net '$NETPROBE' connect 127.0.0.1 6390 200 | grep -qx ok"
"$FAULTLINE" attack latency --netns "$holder" --host 127.0.0.1 --port 6390 --delay 20ms --duration 1m --detach \
    >"$FL_TMP/out" 2>&1
r=$(inside "$NETPROBE" rtt 127.0.0.1 6390 20 | field rtt_median_us)
check "netns by pid: latency inside the namespace (${r}us ~ 20ms)" within "$r" 19500 21500
check "netns by pid: our own namespace has no rules" test "$(net_state)" = "$before"
"$FAULTLINE" stop --all >/dev/null
check "netns by pid: the namespace's ruleset identical after" test "$(inside nft list ruleset)" = "$inside_before"

# By name, as `ip netns` would have it (in a private /run of this mount namespace).
mount -t tmpfs tmpfs /run
mkdir -p /run/netns && touch /run/netns/fltest
mount --bind "/proc/$holder/ns/net" /run/netns/fltest
"$FAULTLINE" attack blackhole --netns fltest --port 7030 --protocol udp --duration 1m --detach >/dev/null
got=$(inside "$NETPROBE" udp 127.0.0.1 7030 200 | field received)
check "netns by name: blackholed inside ($got of 200 pass)" test "$got" -eq 0
got=$("$NETPROBE" udp 127.0.0.1 7030 200 | field received)
check "netns by name: our namespace untouched ($got of 200 pass)" test "$got" -eq 200
# Crash: supervisor and guardian killed; recover finds the namespace from the journal.
rec=$(find "$FAULTLINE_STATE_DIR/faults" -name '*.json' | head -1)
for who in guardian owner; do
    kill -9 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["pid"])' "$rec" "$who")"
done
"$FAULTLINE" recover >/dev/null
check "netns: recover after kill -9 cleans the namespace" test "$(inside nft list ruleset)" = "$inside_before"
finish
