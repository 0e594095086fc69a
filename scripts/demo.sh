#!/usr/bin/env bash
# The main job: the Prime Video case study in one command. Installs what it
# needs, builds faultline and the demo service, then, inside a private user
# and network namespace (nothing touches the host's network), starts Redis and
# the service, and runs examples/cache-timeout/experiment.yaml against the
# buggy and then the fixed service: 1000 req/s, 2 s of latency on the
# service->Redis path for 12 s, hypothesis "capped at the 40 ms timeout".
# Prints both verdicts and where the HTML reports are.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh --demo >/dev/null
echo "building faultline..." >&2
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DFAULTLINE_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
fl=$PWD/build/release/faultline
out=${FAULTLINE_DEMO_OUT:-$PWD/out/demo}
rm -rf "$out"
mkdir -p "$out"
echo "running the experiment against the buggy and the fixed service (about 50 s)..." >&2
"$fl" sandbox -- examples/cache-timeout/run-demo.sh "$fl" "$PWD/build/release/examples/cache-timeout/cache-timeout-service" \
    "$out" both >"$out/summary.txt"
echo
cat "$out/summary.txt"
echo
echo "The buggy service waits the full 2 s on its pooled Redis connections (only its connect"
echo "timeout is set); the fixed one gives up at 40 ms and answers from its fallback."
echo "reports: $out/buggy/report.html  $out/fixed/report.html"
echo "binary:  $fl   (try: $fl attacks; $fl run --help)"
