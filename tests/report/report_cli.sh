#!/usr/bin/env bash
# faultline report: regenerates junit.xml and report.html next to result.json
# or in --out DIR; usage errors exit 2; the JUnit XML and the SVG charts are
# well-formed XML (python3's xml.etree), with the expected counts.
. "$FL_TESTS/../lib.sh"
data=$FL_TESTS/data

# Usage and input errors.
check "--help teaches" bash -c '"$FAULTLINE" report --help | grep -q "junit.xml" && "$FAULTLINE" report --help | grep -q -- "--out DIR"'
check "listed in the command table" bash -c '"$FAULTLINE" --help | grep -q "^  report "'
check "no argument: exit 2" test "$(rc_of "$FAULTLINE" report)" -eq 2
check "unknown option: exit 2" test "$(rc_of "$FAULTLINE" report "$data/pass.json" --frobnicate)" -eq 2
check "missing file: exit 2" test "$(rc_of "$FAULTLINE" report "$FL_TMP/nope.json")" -eq 2
printf '{"schema_version": 1, "verdict": "pass", "faults": {"oops": 1}}' >"$FL_TMP/bad.json"
rc=0
"$FAULTLINE" report "$FL_TMP/bad.json" 2>"$FL_TMP/err" || rc=$?
check "malformed document: exit 2" test "$rc" -eq 2
check "malformed document: names the member" grep -q "'faults'" "$FL_TMP/err"
check "malformed document: nothing written" test ! -e "$FL_TMP/report.html"
mkdir -p "$FL_TMP/ro" && cp "$data/pass.json" "$FL_TMP/ro/result.json" && chmod 0555 "$FL_TMP/ro"
if [ "$(id -u)" -ne 0 ]; then
    check "unwritable directory: exit 4" test "$(rc_of "$FAULTLINE" report "$FL_TMP/ro/result.json")" -eq 4
fi
check "unwritable --out: exit 4" test "$(rc_of "$FAULTLINE" report "$data/pass.json" --out /proc/self/fl)" -eq 4

# Next to result.json.
cp "$data/fail.json" "$FL_TMP/result.json"
check "next to result.json: exit 0 on a failed experiment" "$FAULTLINE" report "$FL_TMP/result.json"
check "next to result.json: both files" test -s "$FL_TMP/junit.xml" -a -s "$FL_TMP/report.html"

# XML checks in python3: junit counts, and every inline <svg> parses as XML.
xml_check() { # xml_check DIR tests failures skipped errors
    python3 - "$@" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
d, tests, failures, skipped, errors = sys.argv[1], *map(int, sys.argv[2:])
root = ET.parse(d + "/junit.xml").getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1, len(suites)
cases = suites[0].findall("testcase")
got = (len(cases), sum(len(c.findall("failure")) for c in cases), sum(len(c.findall("skipped")) for c in cases),
       sum(len(c.findall("error")) for c in cases))
assert got == (tests, failures, skipped, errors), got
s = suites[0].attrib
assert (int(s["tests"]), int(s["failures"]), int(s["skipped"]), int(s["errors"])) == got, s
html = open(d + "/report.html", encoding="utf-8").read()
svgs = re.findall(r"<svg.*?</svg>", html, re.S)
assert svgs, "no svg"
for svg in svgs:
    ET.fromstring(svg)  # raises on malformed markup
print("%d testcases, %d svg charts parse" % (len(cases), len(svgs)))
PY
}
check "fail: junit 5 testcases, 2 failures; svg well-formed" xml_check "$FL_TMP" 5 2 0 0

# --out DIR: created, and gets all three files.
for doc in pass:6:0:0:0 aborted:7:1:3:1 minimal:3:1:1:1 hostile:3:1:0:0; do
    IFS=: read -r name tests failures skipped errors <<<"$doc"
    out=$FL_TMP/out/$name/deep
    check "$name: --out" "$FAULTLINE" report "$data/$name.json" --out "$out"
    check "$name: result.json copied as is" cmp -s "$data/$name.json" "$out/result.json"
    check "$name: junit $tests/$failures/$skipped/$errors; svg well-formed" xml_check "$out" "$tests" "$failures" "$skipped" "$errors"
done
check "hostile: no injected markup" bash -c '! grep -q "<img\|<script\|<iframe\|onload=alert(3)>" "$1"' _ "$FL_TMP/out/hostile/deep/report.html"
finish
