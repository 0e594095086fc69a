#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in one build directory (build/fuzz,
# or FL_FUZZ_BUILD: the test suite reuses its ASan build, configured with
# -DFAULTLINE_FUZZ=ON) and runs each for a bounded time. Seed corpora are
# copied, so the repository is never written to; a crash leaves its input in
# the build directory and fails the script.
# usage: tests/fuzz.sh SECONDS [http_response|experiment|journal|dns_packet]...   (default: all)
set -euo pipefail
seconds=${1:-30}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(http_response experiment journal dns_packet)
command -v clang >/dev/null || { echo "skip: clang is not installed"; exit 77; }
build=${FL_FUZZ_BUILD:-$root/build/fuzz}
[ -n "${FL_FUZZ_BUILD:-}" ] ||
    CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_FUZZ=ON -DFAULTLINE_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
for target in "${targets[@]}"; do
    corpus=$(mktemp -d /tmp/fl-fuzz-XXXXXX)
    case $target in
    http_response) cp "$root"/tests/load/fuzz_corpus/* "$corpus"/; dir=load; max_len=4096 ;;
    experiment) cp "$root"/tests/experiment/invalid/*.yaml "$root"/examples/*.yaml "$root"/examples/*/*.yaml "$corpus"/
                dir=experiment; max_len=8192 ;;
    journal) cp "$root"/tests/unit/journal_corpus/* "$corpus"/; dir=.; max_len=4096 ;;
    dns_packet) cp "$root"/tests/net/fuzz_corpus/* "$corpus"/; dir=net; max_len=2048 ;;
    *) echo "unknown fuzz target $target" >&2; exit 2 ;;
    esac
    (cd "$build" && "./tests/$dir/fuzz_$target" -max_total_time="$seconds" -max_len=$max_len -timeout=10 \
        -print_final_stats=1 "$corpus" 2>&1 | tail -n 4)
    rm -rf "$corpus"
    echo "fuzz_$target: no crash in ${seconds}s"
done
