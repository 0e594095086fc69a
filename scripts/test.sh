#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs dependencies, builds with
# -Werror, runs every test; then builds with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang) and runs the suite again; then the
# bounded fuzz runs. Every network test runs in a namespace the test creates.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh

jobs=$(nproc)
echo "== build (gcc, -Werror)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_WERROR=ON >/dev/null
cmake --build build/ci -j"$jobs"
echo "== tests"
(cd build/ci && ctest --output-on-failure -j1)

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
CC=clang cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_WERROR=ON -DFAULTLINE_SANITIZE=ON >/dev/null
cmake --build build/asan -j"$jobs"
echo "== tests under ASan + UBSan"
# Everything but the kill -9 trials and the 6-run demo, which exercise the
# same code paths as the other tests many times over and take most of the
# time (they ran above, in the gcc build).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build/asan && ctest --output-on-failure -j1 -E '^(net_crash|crash_safety|cache_timeout_demo)$')

echo "== fuzz (libFuzzer, 30 s per target)"
bash tests/fuzz.sh 30
echo "== all test stages passed"
