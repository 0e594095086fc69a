#!/usr/bin/env bash
# bench: how fast a cpu fault is applied and reverted, and what a detached
# supervisor costs in memory; stress-ng (the tool the seed and FIS use for
# cpu stress) is measured in the same run as the peer for start time.
# Usage: bench/core/attack_lifecycle.sh [build dir]   (default build/release)
set -euo pipefail
build=$(realpath -m "${1:-$(dirname "$0")/../../build/release}")
cd "$(dirname "$0")/../.."
if [ ! -x "$build/faultline" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build "$build" -j"$(nproc)" >/dev/null
fi
command -v stress-ng >/dev/null || { apt-get install -y -qq stress-ng >/dev/null 2>&1 || true; }
fl=$build/faultline
export FAULTLINE_STATE_DIR
FAULTLINE_STATE_DIR=$(mktemp -d /tmp/fl-bench-XXXXXX)
trap '"$fl" recover --all >/dev/null 2>&1; rm -rf "$FAULTLINE_STATE_DIR"' EXIT
runs=${RUNS:-10}
now_ms() { echo $(( $(date +%s%N) / 1000 )); } # microseconds, despite the name's habit
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

applied=() ; reverted=() ; rss=() ; peer=()
for _ in $(seq $runs); do
    t0=$(now_ms)
    out=$("$fl" attack cpu --workers 1 --load 100% --duration 1m --detach --json)
    t1=$(now_ms)
    applied+=($((t1 - t0)))
    sup=$(sed -E 's/.*"supervisor_pid":([0-9]+).*/\1/' <<<"$out")
    rss+=($(awk '/^VmRSS/ { print $2 }' /proc/"$sup"/status))
    id=$(sed -E 's/.*"id":"([^"]+)".*/\1/' <<<"$out")
    t2=$(now_ms)
    "$fl" stop "$id" >/dev/null
    t3=$(now_ms)
    reverted+=($((t3 - t2)))
    if command -v stress-ng >/dev/null; then
        t6=$(now_ms)
        stress-ng --cpu 1 --cpu-load 100 --timeout 60s >/dev/null 2>&1 &
        sng=$!
        until [ -n "$(pgrep -P "$sng" 2>/dev/null)" ]; do :; done
        t7=$(now_ms)
        peer+=($((t7 - t6)))
        kill -INT "$sng"; wait "$sng" 2>/dev/null || true
    fi
done
ms() { awk -v u="$1" 'BEGIN { printf "%.1f ms", u / 1000 }'; }
m_applied=$(printf '%s\n' "${applied[@]}" | median)
m_rev=$(printf '%s\n' "${reverted[@]}" | median)
m_rss=$(printf '%s\n' "${rss[@]}" | median)
echo "faultline attack cpu, median of $runs runs on $(nproc) cores:"
echo "  invocation -> applied+verified (--detach): $(ms "$m_applied")  (includes a 300 ms measurement of the load)"
echo "  faultline stop -> reverted:                $(ms "$m_rev")"
echo "  detached supervisor RSS:                   ${m_rss} kB (target < 5120 kB)"
if [ "${#peer[@]}" -gt 0 ]; then
    m_peer=$(printf '%s\n' "${peer[@]}" | median)
    echo "  peer: stress-ng --cpu 1, invocation -> stressor running: $(ms "$m_peer")"
    awk -v a="$m_applied" -v b="$m_peer" 'BEGIN { printf "  ratio faultline (applied AND verified) / stress-ng (started): %.2f\n", a / b }'
fi
