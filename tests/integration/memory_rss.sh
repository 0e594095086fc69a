# memory --size 256M raises the RSS of the hog by 256M +- 5%.
. "$FL_TESTS/lib.sh"

"$FAULTLINE" attack memory --size 256M --duration 20s --detach --json >"$FL_TMP/out.json"
pid=$(first_worker_pid "$FL_TMP/out.json")
rss_kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
# The worker is a fork of the supervisor: its RSS before allocating is the
# supervisor's (shared pages); the increase is the difference.
sup=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["supervisor_pid"])' "$FL_TMP/out.json")
base_kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$sup/status")
delta_mb=$(awk -v r="$rss_kb" -v b="$base_kb" 'BEGIN { printf "%.1f", (r - b) / 1024 }')
echo "hog RSS ${rss_kb} kB, supervisor RSS ${base_kb} kB, increase ${delta_mb} MiB"
if [ "${FL_SANITIZED:-0}" = 1 ]; then
    # AddressSanitizer maps one shadow byte per 8 bytes the hog writes.
    check "RSS increase is 256M (+ 1/8 ASan shadow) +- 5%" within "$delta_mb" 243.2 302.4
else
    check "RSS increase is 256M +- 5%" within "$delta_mb" 243.2 268.8
fi
"$FAULTLINE" stop --all >/dev/null
check "hog gone after stop" wait_for 2 sh -c "! test -e /proc/$pid/stat || grep -q ') Z' /proc/$pid/stat"
finish
