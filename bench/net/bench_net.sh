#!/usr/bin/env bash
# bench/net: what the network faults cost, against peers measured in the
# same run, inside a private user + network namespace (never the host's).
#   1. packets per second the packet engine holds and releases, pinned to
#      one core, at ~0 (1 ms: a datagram counts only if it really was held,
#      which tells it from one that bypassed a full queue) and 2 s delay,
#      UDP on loopback (sender and receiver on the other core);
#   2. time to apply and to revert a blackhole of one host:port, the
#      faultline CLI (journal + supervisor + guardian + verification probe
#      included) vs the same rules with `nft -f` / `nft delete table`, and
#      vs one `iptables-nft -A` / `-D` rule; printed as ratios.
# usage: bench/net/bench_net.sh [path/to/faultline]   (default build-net/faultline)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
FAULTLINE=${1:-$here/../../build-net/faultline}
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
ncpu=$(nproc)

echo "== packet engine throughput (UDP 16-byte datagrams on loopback, $ncpu cpus)"
for delay in 1ms:1000 2s:2000000; do
    d=${delay%%:*} us=${delay##*:}
    out=$("$FAULTLINE" attack latency --host 127.0.0.1 --port 7100 --protocol udp --delay "$d" --duration 2m --detach)
    engine=$(sed -n 's/.*packet engine pid \([0-9]*\).*/\1/p' <<<"$out")
    [ "$ncpu" -gt 1 ] && taskset -pc 1 "$engine" >/dev/null
    t0=$(awk '{ print $14 + $15 }' "/proc/$engine/stat")
    if [ "$ncpu" -gt 1 ]; then r=$(taskset -c 0 "$work/udp_blast" 7100 4 "$us"); else r=$("$work/udp_blast" 7100 4 "$us"); fi
    t1=$(awk '{ print $14 + $15 }' "/proc/$engine/stat")
    "$FAULTLINE" stop --all >/dev/null
    busy=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v s="$((4 + us / 1000000))" 'BEGIN { printf "%.0f", (b - a) / hz / s * 100 }')
    echo "delay $d: $r engine_cpu=${busy}%"
done
base=$("$work/udp_blast" 7100 2 0)
echo "no fault (peer): $base"

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
