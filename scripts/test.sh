#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs dependencies, builds with
# -Werror, runs every test; then builds with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang) and runs the suite again; then the
# bounded fuzz runs. Every network test runs in a namespace the test creates.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

echo "== format (clang-format --dry-run --Werror, .clang-format)"
mapfile -d '' -t format_files < <(git ls-files -z -- '*.c' '*.h')
clang-format --dry-run --Werror "${format_files[@]}"
echo "${#format_files[@]} files formatted as .clang-format says"

jobs=$(nproc)
echo "== build (gcc, -Werror)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_WERROR=ON >/dev/null
cmake --build build/ci -j"$jobs"
echo "== tests (optimized build): unit tests, the tests that measure time, the kill -9 trials, the demo"
# The tests that measure time (label "timing": a rate, a delay, a reaction
# time, a CPU share) run alone; the others share the 2 cores. The other
# script tests run once, below, under ASan + UBSan (tests/CMakeLists.txt
# says which is which).
(cd build/ci && ctest --output-on-failure -j4 -L '^(unit|timing|optimized)$')

echo "== install into a scratch prefix; build the embedding example with pkg-config"
prefix=$(mktemp -d /tmp/faultline-prefix-XXXXXX)
cmake --install build/ci --prefix "$prefix" >/dev/null
PKG_CONFIG_PATH=$prefix/lib/pkgconfig cc -std=c17 -Wall -Werror examples/embed/embed.c \
    $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs faultline) -Wl,-rpath,"$prefix/lib" \
    -o "$prefix/embed"
FAULTLINE_STATE_DIR=$prefix/state "$prefix/embed"
test -s "$prefix/share/man/man1/faultline.1"
"$prefix/bin/faultline" --version
rm -rf "$prefix"

echo "== build (clang, ASan + UBSan)"
# The same build carries the libFuzzer targets (their sources get coverage
# instrumentation on top of the sanitizers): one clang build, not two.
CC=clang cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_WERROR=ON -DFAULTLINE_SANITIZE=ON \
    -DFAULTLINE_FUZZ=ON >/dev/null
cmake --build build/asan -j"$jobs"
echo "== tests under ASan + UBSan: everything but the tests that only run optimized"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build/asan && ctest --output-on-failure -j3 -LE '^optimized$')

echo "== fuzz (libFuzzer, 12 s per target)"
FL_FUZZ_BUILD=$PWD/build/asan bash tests/fuzz.sh 12
echo "== all test stages passed"
