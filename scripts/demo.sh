#!/usr/bin/env bash
# The main job: installs dependencies, builds faultline, and runs a short
# tour on this host inside a private sandbox journal: a CPU fault held and
# rolled back, a detached memory fault listed and stopped, a process paused
# and resumed, and a dry run. Every fault is bounded and rolled back.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh >/dev/null
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
fl=$PWD/build/release/faultline
export FAULTLINE_STATE_DIR
FAULTLINE_STATE_DIR=$(mktemp -d /tmp/faultline-demo-XXXXXX)
victim=
cleanup() {
    "$fl" recover --all >/dev/null 2>&1 || true
    [ -n "$victim" ] && kill "$victim" 2>/dev/null || true
    rm -rf "$FAULTLINE_STATE_DIR"
}
trap cleanup EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
say faultline attack cpu --load 50% --workers 1 --duration 3s
"$fl" attack cpu --load 50% --workers 1 --duration 3s

say faultline attack memory --size 128M --duration 1m --detach
"$fl" attack memory --size 128M --duration 1m --detach
say faultline status
"$fl" status
say faultline stop --all
"$fl" stop --all

sleep 600 &
victim=$!
say faultline attack process-pause --pid "$victim" --duration 2s
"$fl" attack process-pause --pid "$victim" --duration 2s
echo "victim state after rollback: $(awk '{ print $3 }' /proc/$victim/stat) (S = running again)"

say faultline attack disk-fill --path /tmp --size 1G --duration 10s --dry-run
"$fl" attack disk-fill --path /tmp --size 1G --duration 10s --dry-run || true

say faultline status
"$fl" status
echo
echo "demo done: every fault above was journaled before it was applied and rolled back."
echo "binary: $fl  (try: $fl attacks, $fl attack --help)"
