#!/usr/bin/env bash
# Builds the libFuzzer target for the experiment parser with clang in its
# own build directory and runs it for a bounded time:  tests/experiment/run-fuzz.sh 30
# Seeds: the examples and the invalid files (copied; the repository is never
# written to). A crash leaves its input in the build directory and fails.
set -euo pipefail
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build-fuzz-experiment
command -v clang >/dev/null || { echo "skip: clang is not installed"; exit 77; }
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzz_experiment -j"$(nproc)" >/dev/null
corpus=$(mktemp -d /tmp/fl-fuzz-exp-XXXXXX)
trap 'rm -rf "$corpus"' EXIT
cp "$here"/invalid/*.yaml "$root"/examples/*.yaml "$corpus"/ 2>/dev/null || true
cd "$build"
./tests/experiment/fuzz_experiment -max_total_time="$seconds" -max_len=8192 -timeout=10 -print_final_stats=1 \
    "$corpus" 2>&1 | tail -n 12
echo "fuzz_experiment: no crash in ${seconds}s"
