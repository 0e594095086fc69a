#!/usr/bin/env bash
# Builds the libFuzzer target for HTTP response parsing with clang in its own
# build directory and runs it for a bounded time:  tests/load/run-fuzz.sh 30
# The seed corpus is copied, so the repository is never written to; a crash
# leaves its input in the build directory and fails the script.
set -euo pipefail
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build-fuzz-load
command -v clang >/dev/null || { echo "skip: clang is not installed"; exit 77; }
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzz_http_response -j"$(nproc)" >/dev/null
corpus=$(mktemp -d /tmp/fl-fuzz-corpus-XXXXXX)
trap 'rm -rf "$corpus"' EXIT
cp "$here"/fuzz_corpus/* "$corpus"/
cd "$build"
./tests/load/fuzz_http_response -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
    "$corpus" 2>&1 | tail -n 12
echo "fuzz_http_response: no crash in ${seconds}s"
