#!/usr/bin/env bash
# Benchmark of `faultline load` against its peers, on one nginx in a private
# network namespace, in the same run (numbers from different runs or
# machines are not comparable; ratios within one run are):
#   1. closed-loop throughput: faultline --rate max vs wrk, same connections
#      and same thread count (faultline drives its connections from one
#      thread, so wrk -t1; wrk -t2 is shown too), median of alternating runs;
#   2. CPU seconds (user + sys) per 1,000 requests at a fixed 1,000 req/s:
#      faultline vs hey (-c 10 -q 100: hey's -q is per worker).
# Not a test: it prints numbers and ratios and asserts nothing.
# usage: bench/load/load_vs_wrk_hey.sh [seconds per run (5)] [runs (3)] [connections (50)]
# FAULTLINE may point at the binary (default: build-load/faultline, then build/ci/faultline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${FAULTLINE:-}" ]; then
    for candidate in "$root/build-load/faultline" "$root/build/ci/faultline"; do
        [ -x "$candidate" ] && FAULTLINE=$candidate && break
    done
fi
: "${FAULTLINE:?build faultline first (cmake --build build-load) or set FAULTLINE}"
export FAULTLINE
for tool in wrk hey jq; do
    command -v "$tool" >/dev/null || { echo "missing $tool (scripts/deps.sh installs it)"; exit 1; }
done
SECONDS_PER_RUN=${1:-5}
RUNS=${2:-3}
CONNECTIONS=${3:-50}
export SECONDS_PER_RUN RUNS CONNECTIONS

# Into a namespace with nginx (helpers shared with the load tests).
. "$root/tests/load/ns_nginx.sh"
start_nginx
url=$FL_NGINX_URL

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

faultline_max() {
    local out=$FL_TMP/max.json
    "$FAULTLINE" load "$url" --rate max --duration "${SECONDS_PER_RUN}s" --connections "$CONNECTIONS" --json --quiet >"$out"
    jq -r '.requests / (.elapsed_ms / 1000)' "$out"
}
wrk_max() { # threads
    wrk -t"$1" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$url" | awk '/^Requests\/sec:/ { print $2 }'
}

echo "== closed-loop throughput, $CONNECTIONS connections, ${SECONDS_PER_RUN}s x $RUNS runs (nginx and client share $(nproc) cores)"
: >"$FL_TMP/fl" ; : >"$FL_TMP/wrk1" ; : >"$FL_TMP/wrk2"
for run in $(seq "$RUNS"); do
    f=$(faultline_max); w1=$(wrk_max 1); w2=$(wrk_max 2)
    echo "$f" >>"$FL_TMP/fl"; echo "$w1" >>"$FL_TMP/wrk1"; echo "$w2" >>"$FL_TMP/wrk2"
    printf '  run %d: faultline %10.0f req/s   wrk -t1 %10.0f req/s   wrk -t2 %10.0f req/s\n' "$run" "$f" "$w1" "$w2"
done
fl=$(median <"$FL_TMP/fl"); w1=$(median <"$FL_TMP/wrk1"); w2=$(median <"$FL_TMP/wrk2")
printf '  median: faultline %.0f, wrk -t1 %.0f, wrk -t2 %.0f req/s\n' "$fl" "$w1" "$w2"
awk -v f="$fl" -v a="$w1" -v b="$w2" 'BEGIN { printf "  ratio faultline / wrk -t1 = %.2f   faultline / wrk -t2 = %.2f\n", f / a, f / b }'

echo "== CPU per 1,000 requests at 1,000 req/s, 10 connections, ${SECONDS_PER_RUN}s"
TIMEFORMAT='%U %S'
cpu_of() { # command...: prints "user sys" of the command's process tree
    { time "$@" >"$FL_TMP/cpu.out" 2>/dev/null; } 2>&1 | tail -n 1
}
read -r fu fs < <(cpu_of "$FAULTLINE" load "$url" --rate 1000/s --duration "${SECONDS_PER_RUN}s" --connections 10 --json --quiet)
f_requests=$(jq -r .requests "$FL_TMP/cpu.out")
f_p99=$(jq -r .latency_ms.p99 "$FL_TMP/cpu.out")
read -r hu hs < <(cpu_of hey -z "${SECONDS_PER_RUN}s" -c 10 -q 100 "$url")
h_requests=$(awk '/\[[0-9]+\][ \t]+[0-9]+ responses/ { n += $2 } END { print n + 0 }' "$FL_TMP/cpu.out")
h_p99=$(awk '/99% in/ { print $3 * 1000 }' "$FL_TMP/cpu.out")
awk -v fu="$fu" -v fs="$fs" -v fr="$f_requests" -v hu="$hu" -v hs="$hs" -v hr="$h_requests" -v fp="$f_p99" -v hp="$h_p99" 'BEGIN {
    f = (fu + fs) / fr * 1000; h = (hu + hs) / hr * 1000
    printf "  faultline: %d requests, %.2fs user + %.2fs sys = %.4f CPU s per 1,000 requests (p99 %.2f ms)\n", fr, fu, fs, f, fp
    printf "  hey:       %d requests, %.2fs user + %.2fs sys = %.4f CPU s per 1,000 requests (p99 %.2f ms)\n", hr, hu, hs, h, hp
    printf "  ratio faultline / hey CPU per request = %.2f (below 1: cheaper)\n", f / h
}'
