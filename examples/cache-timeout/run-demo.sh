#!/usr/bin/env bash
# Runs the cache-timeout experiment against the buggy and the fixed service.
# Meant to run inside `faultline sandbox` (a private user+network namespace:
# Redis, the service, the load and the fault never touch the host's network).
# Usage: run-demo.sh FAULTLINE SERVICE OUT_DIR [buggy|fixed|both] [runs]
set -euo pipefail
fl=$1 service=$2 out=$3 modes=${4:-both} runs=${5:-1}
here=$(cd "$(dirname "$0")" && pwd)
[ "$modes" = both ] && modes="buggy fixed"
pids=()
cleanup() {
    "$fl" recover --all >/dev/null 2>&1 || true
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

ready() { # host port
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on $1:$2" >&2
    return 1
}

redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >/dev/null &
pids+=($!)
ready 127.0.0.1 6379
redis-cli -p 6379 set item:1 '{"name":"the one item"}' >/dev/null

summary=()
for mode in $modes; do
    "$service" --mode "$mode" --listen 8080 2>/dev/null &
    svc=$!
    pids+=("$svc")
    ready 127.0.0.1 8080
    for run in $(seq "$runs"); do
        dir=$out/$mode
        [ "$runs" -gt 1 ] && dir=$out/$mode-$run
        echo "== $mode service, run $run: faultline run examples/cache-timeout/experiment.yaml --out $dir" >&2
        rc=0
        "$fl" run "$here/experiment.yaml" --out "$dir" --quiet >/dev/null || rc=$?
        line=$(python3 - "$dir/result.json" "$mode" "$rc" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def h(name):
    for x in d["hypotheses"]:
        if x["name"].startswith(name):
            return x
def shown(x):  # a hypothesis that was not evaluated says why (e.g. the steady state failed first)
    return x["measured_text"] or f'not measured ({x["reason"] or x["verdict"]})'
cache = h("service->redis p99")
slowest = h("slowest service->redis")
p99 = h("client p99")
print(f'{sys.argv[2]}: {d["verdict"].upper():5} (exit {sys.argv[3]})  service->redis p99 {shown(cache)} '
      f'(bound {cache["threshold_text"]}), max {shown(slowest)}, client p99 {shown(p99)} (bound {p99["threshold_text"]})  '
      f'report: {sys.argv[1].rsplit("/", 1)[0]}/report.html')
PY
)
        echo "$line" >&2
        summary+=("$line")
    done
    kill "$svc"
    wait "$svc" 2>/dev/null || true
done
printf '%s\n' "${summary[@]}"
