#!/usr/bin/env bash
# bench/net: what the network faults cost, against peers measured in the
# same run, inside a private user + network namespace (never the host's).
#   1. packets per second the packet engine holds and releases on time,
#      pinned to one core, at 1 ms and 2 s of delay: a UDP sender paced at
#      50k to 200k datagrams/s on loopback (sender and receiver on the other
#      core), counting those that arrived within 2% of the delay, with the
#      engine's peak packets and bytes held and what it bypassed or let be
#      late, beside the same run's unfaulted rate; then what one UDP socket
#      sending as fast as it can achieves with and without 2 s of delay;
#   2. time to apply and to revert a blackhole of one host:port, the
#      faultline CLI (journal + supervisor + guardian + verification probe
#      included) vs the same rules with `nft -f` / `nft delete table`, and
#      vs one `iptables-nft -A` / `-D` rule; printed as ratios.
# usage: bench/net/bench_net.sh [path/to/faultline]   (default build/ci/faultline)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
FAULTLINE=${1:-$here/../../build/ci/faultline}
FAULTLINE=$(cd "$(dirname "$FAULTLINE")" && pwd)/$(basename "$FAULTLINE")
if [ -z "${FL_BENCH_SANDBOXED:-}" ]; then
    export FL_BENCH_SANDBOXED=1
    exec unshare -Urnm bash "$0" "$FAULTLINE"
fi
ip link set lo up
work=$(mktemp -d /tmp/fl-bench-net-XXXXXX)
export FAULTLINE_STATE_DIR=$work/state
trap '"$FAULTLINE" recover --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cc -O2 -o "$work/udp_blast" "$here/udp_blast.c"
cc -O2 -o "$work/netprobe" "$here/../../tests/net/netprobe.c"
ncpu=$(nproc)
on0() { if [ "$ncpu" -gt 1 ]; then taskset -c 0 "$@"; else "$@"; fi; }
engine_stats() { # id: the engine's counters, from faultline status --json
    "$FAULTLINE" status --json | python3 -c 'import json,sys
e=[f for f in json.load(sys.stdin)["faults"] if f["id"]==sys.argv[1]][0]["engine"]
print("peak_held_packets=%d peak_held_bytes=%d bypassed=%d late=%d" % (e["peak_held_packets"], e["peak_held_bytes"], e["bypassed"], e["late"]))' "$1"
}

echo "== packet engine throughput (UDP 16-byte datagrams from 512 sockets on loopback, $ncpu cpus; engine on cpu 1)"
echo "   held: datagrams that arrived at least 90% of the delay after they were sent (not passed undelayed)"
echo "no fault (peer, same run): $(on0 "$work/udp_blast" 7110 2 0)"
for delay in 1ms:1000 2s:2000000; do
    d=${delay%%:*} us=${delay##*:}
    out=$("$FAULTLINE" attack latency --host 127.0.0.1 --port 7110 --protocol udp --delay "$d" --duration 2m --detach)
    id=$(sed -n 's/^\(latency-[0-9a-f]*\) applied.*/\1/p' <<<"$out")
    engine=$(sed -n 's/.*packet engine pid \([0-9]*\).*/\1/p' <<<"$out")
    [ "$ncpu" -gt 1 ] && taskset -pc 1 "$engine" >/dev/null
    t0=$(awk '{ print $14 + $15 }' "/proc/$engine/stat")
    r=$(on0 "$work/udp_blast" 7110 4 "$us")
    t1=$(awk '{ print $14 + $15 }' "/proc/$engine/stat")
    stats=$(engine_stats "$id")
    "$FAULTLINE" stop --all >/dev/null
    busy=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v s="$((4 + us / 1000000))" 'BEGIN { printf "%.0f", (b - a) / hz / s * 100 }')
    echo "delay $d: $r engine_cpu=${busy}% $stats"
done

echo "== packet engine capacity at 2 s of delay: one UDP sender pacing N datagrams/s for 2 s (traffic on cpu 0, engine on cpu 1)"
echo "   on time: datagrams that arrived 2 s +- 2% after they were sent"
peer=$(on0 "$work/netprobe" udp-paced 127.0.0.1 7100 400000 2 1000 100000)
echo "no fault (peer, same run), asked 400000/s: $peer"
for delay in 2s:2000000; do
    d=${delay%%:*} us=${delay##*:}
    tol=$(awk -v us="$us" 'BEGIN { t = us * 0.02; if (t < 500) t = 500; printf "%.4f", t / us * 100 }')
    for rate in 50000 100000 150000; do
        out=$("$FAULTLINE" attack latency --host 127.0.0.1 --port 7100 --protocol udp --delay "$d" --duration 2m --detach)
        id=$(sed -n 's/^\(latency-[0-9a-f]*\) applied.*/\1/p' <<<"$out")
        engine=$(sed -n 's/.*packet engine pid \([0-9]*\).*/\1/p' <<<"$out")
        [ "$ncpu" -gt 1 ] && taskset -pc 1 "$engine" >/dev/null
        t0=$(awk '{ print $14 + $15 }' "/proc/$engine/stat")
        r=$(on0 "$work/netprobe" udp-paced 127.0.0.1 7100 "$rate" 2 "$us" "$tol")
        t1=$(awk '{ print $14 + $15 }' "/proc/$engine/stat")
        stats=$(engine_stats "$id")
        "$FAULTLINE" stop --all >/dev/null
        busy=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v s="$((2 + us / 1000000))" 'BEGIN { printf "%.0f", (b - a) / hz / s * 100 }')
        ontime=$(awk -v rcv="$(sed -n 's/.*received=\([0-9]*\).*/\1/p' <<<"$r")" -v off="$(sed -n 's/.* off=\([0-9]*\).*/\1/p' <<<"$r")" \
            'BEGIN { printf "%.0f", (rcv - off) / 2 }')
        echo "delay $d, $rate/s asked: held on time $ontime/s, sent $(sed -n 's/.*send_rate=\([0-9]*\).*/\1/p' <<<"$r")/s, engine_cpu=${busy}% $stats"
    done
done

echo "== one UDP socket sending as fast as it can (sendto() per second)"
free=$(on0 "$work/netprobe" udp-rate 127.0.0.1 7101 2)
out=$("$FAULTLINE" attack latency --host 127.0.0.1 --port 7101 --protocol udp --delay 2s --duration 2m --detach)
[ "$ncpu" -gt 1 ] && taskset -pc 1 "$(sed -n 's/.*packet engine pid \([0-9]*\).*/\1/p' <<<"$out")" >/dev/null
held=$(on0 "$work/netprobe" udp-rate 127.0.0.1 7101 2)
"$FAULTLINE" stop --all >/dev/null
echo "no fault:        $free"
echo "under 2 s delay: $held"
awk -v a="$(sed -n 's/.*send_rate=\([0-9]*\).*/\1/p' <<<"$held")" -v b="$(sed -n 's/.*send_rate=\([0-9]*\).*/\1/p' <<<"$free")" \
    'BEGIN { printf "ratio under 2 s / no fault: %.2f\n", a / b }'

echo "== apply / revert time (median of 15, ms)"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms_of() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo "scale=3; ($t1 - $t0) / 1000000" | bc; }
"$FAULTLINE" attack blackhole --host 127.0.0.1 --port 7200 --duration 1m --dry-run |
    sed -n 's/^ *[0-9]*\. nft \(add .*\)$/\1/p' | sed 's/XXXXXXXX/cli/' >"$work/rules.nft"
: >"$work/fa" ; : >"$work/fr"; : >"$work/na"; : >"$work/nr"; : >"$work/ia"; : >"$work/ir"
for i in $(seq 15); do
    t0=$(date +%s%N)
    id=$("$FAULTLINE" attack blackhole --host 127.0.0.1 --port 7200 --duration 1m --detach | sed -n 's/^\([a-z-]*-[0-9a-f]*\) applied.*/\1/p')
    t1=$(date +%s%N)
    "$FAULTLINE" stop "$id" >/dev/null
    t2=$(date +%s%N)
    echo "scale=3; ($t1 - $t0) / 1000000" | bc >>"$work/fa"
    echo "scale=3; ($t2 - $t1) / 1000000" | bc >>"$work/fr"
    ms_of nft -f "$work/rules.nft" >>"$work/na"
    ms_of nft delete table inet faultline_blackhole_cli >>"$work/nr"
    ms_of iptables-nft -A OUTPUT -p tcp -d 127.0.0.1 --dport 7200 -j DROP >>"$work/ia"
    ms_of iptables-nft -D OUTPUT -p tcp -d 127.0.0.1 --dport 7200 -j DROP >>"$work/ir"
done
fa=$(median <"$work/fa") fr=$(median <"$work/fr") na=$(median <"$work/na") nr=$(median <"$work/nr")
ia=$(median <"$work/ia") ir=$(median <"$work/ir")
printf '%-44s %8s %8s\n' "" apply revert
printf '%-44s %8.2f %8.2f\n' "faultline blackhole (journal+verify+procs)" "$fa" "$fr"
printf '%-44s %8.2f %8.2f\n' "nft -f (same table, same rules)" "$na" "$nr"
printf '%-44s %8.2f %8.2f\n' "iptables-nft -A/-D (one rule)" "$ia" "$ir"
printf 'ratio faultline/nft:      apply %.2f  revert %.2f\n' "$(echo "$fa / $na" | bc -l)" "$(echo "$fr / $nr" | bc -l)"
printf 'ratio faultline/iptables: apply %.2f  revert %.2f\n' "$(echo "$fa / $ia" | bc -l)" "$(echo "$fr / $ir" | bc -l)"
