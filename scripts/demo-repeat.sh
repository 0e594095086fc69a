#!/usr/bin/env bash
# The demo, N times over: is each verdict the truth run after run?
#   scripts/demo-repeat.sh [N] [OUT_DIR]     (N defaults to 10: about 12 minutes)
# Builds like scripts/demo.sh, runs the cache-timeout experiment N times
# against the buggy and N times against the fixed service (one private
# namespace, one Redis), then prints, per hypothesis and mode, the verdict
# counts and the minimum, median and maximum of the measured value, as a
# Markdown table (docs/demo-repeat.md keeps one). Exit 1 when a run's
# verdict was not the expected one (buggy: fail on every hypothesis meant
# to catch the bug; fixed: pass on all).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
out=${2:-$PWD/out/demo-repeat}
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/demo-repeat.sh [N] [OUT_DIR]" >&2; exit 2; }
./scripts/deps.sh --demo >/dev/null
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DFAULTLINE_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
fl=$PWD/build/release/faultline
rm -rf "$out"
mkdir -p "$out"
echo "running the experiment $runs times against each service (about $((runs * 70 / 60 + 1)) minutes)..." >&2
"$fl" sandbox -- examples/cache-timeout/run-demo.sh "$fl" "$PWD/build/release/examples/cache-timeout/cache-timeout-service" \
    "$out" both "$runs" >"$out/summary.txt" || true
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
# Every hypothesis of the demo is meant to catch the bug, except the
# steady state before the fault (it holds for both services).
catches_bug = lambda name: not name.startswith("steady state")
rows, wrong = {}, []
for mode in ("buggy", "fixed"):
    for run in range(1, runs + 1):
        path = f"{out}/{mode}-{run}/result.json" if runs > 1 else f"{out}/{mode}/result.json"
        try:
            doc = json.load(open(path))
        except (OSError, ValueError) as e:
            wrong.append(f"{mode} run {run}: no result ({e})")
            continue
        for h in doc["hypotheses"]:
            r = rows.setdefault((h["name"], mode), {"values": [], "verdicts": {}, "unit": h["unit"], "lower": 0})
            r["verdicts"][h["verdict"]] = r["verdicts"].get(h["verdict"], 0) + 1
            if h["measured"] is not None:
                r["values"].append(h["measured"])
            r["lower"] += bool(h.get("measured_is_lower_bound"))
            want = "fail" if mode == "buggy" and catches_bug(h["name"]) else "pass"
            if h["verdict"] != want:
                wrong.append(f"{mode} run {run}: {h['name']}: {h['verdict']} ({h['measured_text']}), expected {want}")
def fmt(v, unit):
    if unit == "ms":
        return f"{v / 1000:.3f} s" if v >= 1000 else f"{v:.1f} ms"
    if unit == "ratio":
        return f"{v * 100:.3g}%"
    return f"{v:.4g}"
print(f"| hypothesis | service | verdicts ({runs} runs) | min | median | max |")
print("|---|---|---|---|---|---|")
for (name, mode), r in rows.items():
    v = sorted(r["values"])
    verdicts = ", ".join(f"{n} {k}" for k, n in sorted(r["verdicts"].items()))
    cells = [fmt(v[0], r["unit"]), fmt(statistics.median(v), r["unit"]), fmt(v[-1], r["unit"])] if v else ["-"] * 3
    note = f" ({r['lower']} lower bounds)" if r["lower"] else ""
    print(f"| {name} | {mode} | {verdicts}{note} | " + " | ".join(cells) + " |")
if wrong:
    print("\nnot as expected:", *wrong, sep="\n  ")
    sys.exit(1)
print(f"\nevery buggy run failed every hypothesis meant to catch the bug; every fixed run passed ({runs} of each)")
PY
