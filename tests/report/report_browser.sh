#!/usr/bin/env bash
# The report opens in headless Chromium: the screenshot is not blank (many
# colours, a real share of non-white pixels), the rendered DOM has the charts
# and the tables, the console shows no error, and the hostile document's
# markup stays text in the live DOM. Skipped (77) only when Chromium is
# missing and cannot be installed.
. "$FL_TESTS/../lib.sh"
data=$FL_TESTS/data

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || true
    fi
    command -v chromium >/dev/null 2>&1 || skip "chromium is not installed and cannot be installed"
fi

# Headless, offline, no first-run work, a throwaway profile.
chrome() {
    local profile
    profile=$(mktemp -d "$FL_TMP/profile-XXXXXX")
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}

for name in fail hostile; do
    "$FAULTLINE" report "$data/$name.json" --out "$FL_TMP/$name" >/dev/null
done
page=file://$FL_TMP/fail/report.html

# The picture.
chrome --screenshot="$FL_TMP/shot.png" --window-size=1280,2000 "$page" >/dev/null 2>"$FL_TMP/shot.log" || true
check "screenshot written" test -s "$FL_TMP/shot.png"
read -r width height colours ink < <(python3 "$FL_TESTS/png_tool.py" stats "$FL_TMP/shot.png" || echo "0 0 0 0")
echo "screenshot: ${width}x${height}, $colours colours, non-white share $ink"
check "screenshot is 1280x2000" test "$width" -eq 1280 -a "$height" -eq 2000
check "screenshot has many colours (charts, badges, shading)" test "$colours" -ge 40
check "screenshot is not blank" within "$ink" 0.05 0.95
if [ -n "${FL_REPORT_SCREENSHOT:-}" ]; then cp "$FL_TMP/shot.png" "$FL_REPORT_SCREENSHOT"; fi

# The DOM as the browser built it.
chrome --dump-dom "$page" >"$FL_TMP/dom.html" 2>"$FL_TMP/dom.log" || true
has() { grep -q -- "$1" "$FL_TMP/dom.html"; }
check "DOM: latency chart" has 'id="chart-latency"'
check "DOM: throughput and errors charts" bash -c 'grep -q "id=\"chart-throughput\"" "$1" && grep -q "id=\"chart-errors\"" "$1"' _ "$FL_TMP/dom.html"
check "DOM: metric chart" has 'id="chart-metric-0"'
check "DOM: timeline" has 'id="chart-timeline"'
check "DOM: p50/p99/max paths" bash -c 'for s in p50 p99 max; do grep -q "class=\"series series-$s\"" "$1" || exit 1; done' _ "$FL_TMP/dom.html"
check "DOM: shaded fault windows" has '<rect class="fault-window"'
check "DOM: hypotheses table with its rows" bash -c '[ "$(grep -o "<tr class=\"hypothesis hyp-" "$1" | wc -l)" -eq 3 ]' _ "$FL_TMP/dom.html"
check "DOM: faults table" has '<tr class="fault">'
check "DOM: verdict badge" has 'id="verdict">FAIL<'
check "console: no uncaught error" bash -c '! grep -qi "uncaught" "$1" "$2"' _ "$FL_TMP/shot.log" "$FL_TMP/dom.log"
check "console: no console error" bash -c '! grep -i "CONSOLE" "$1" "$2" | grep -qi "error"' _ "$FL_TMP/shot.log" "$FL_TMP/dom.log"

# Hostile strings: text in the live DOM, never elements.
chrome --dump-dom "file://$FL_TMP/hostile/report.html" >"$FL_TMP/hostile.html" 2>"$FL_TMP/hostile.log" || true
check "hostile: page rendered" grep -q 'id="chart-latency"' "$FL_TMP/hostile.html"
check "hostile: title is text" grep -q '&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;' "$FL_TMP/hostile.html"
check "hostile: no injected element" bash -c '! grep -q "<img\|<script\|<iframe\|<svg onload\|<svg/onload" "$1"' _ "$FL_TMP/hostile.html"
check "hostile: nothing ran" bash -c '! grep -qi "uncaught\|alert" "$1"' _ "$FL_TMP/hostile.log"
finish
