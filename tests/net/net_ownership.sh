# Issue 16, items 8 and 9 (and 5 for the packet engine): a fault's nftables
# table belongs to the process holding the fault (the kernel removes it when
# that process dies) and to its state directory (a sweep from another
# journal leaves it alone).
. "$FL_TESTS/netlib.sh"
A=$FAULTLINE_STATE_DIR
B=$FL_TMP/state-b
mkdir -m 700 "$B"
fnv() { python3 -c 'import os,sys
h = 2166136261
for c in os.path.realpath(sys.argv[1]).encode(): h = ((h ^ c) * 16777619) & 0xffffffff
print("%08x" % h)' "$1"; }
tables() { nft list tables inet | awk '{print $3}'; }

"$FAULTLINE" attack latency --host 127.0.0.1 --port 7001 --delay 50ms --duration 2m --detach --json >"$FL_TMP/f.json"
id=$(jq -r .id "$FL_TMP/f.json")
table=$(tables | grep "_${id//-/_}\$" || true)
check "the fault's table carries its state directory ($table)" [ "$table" = "faultline_$(fnv "$A")_${id//-/_}" ]

# 5. The engine is faultline's own: never paused (that would turn the delay
#    into a blackhole).
rc=$(rc_of "$FAULTLINE" attack process-pause --name fl-net-engine --duration 2s)
check "process-pause --name fl-net-engine: refused, exit 2 (got $rc)" [ "$rc" = 2 ]

# 8. Another journal in the same namespace: its sweep removes only its own
#    leftovers, and another journal's tables only when that journal is gone
#    and the table has outlived any fault.
ha=$(fnv "$A") hb=$(fnv "$B")
nft add table inet "faultline_${hb}_cpu_0000000f"                                    # B's, unjournaled
nft add table inet "faultline_${ha}_blackhole_0000000e" "{ comment \"faultline state=$A until=999999999\"; }" # A's, young
nft add table inet "faultline_1234abcd_blackhole_0000000d" "{ comment \"faultline state=$FL_TMP/gone until=1\"; }"    # journal gone, old
nft add table inet "faultline_1234abcd_blackhole_0000000c" "{ comment \"faultline state=$FL_TMP/gone until=999999999\"; }" # journal gone, young
FAULTLINE_STATE_DIR=$B "$FAULTLINE" status >/dev/null 2>&1 || true
FAULTLINE_STATE_DIR=$B "$FAULTLINE" attack blackhole --host 127.0.0.2 --duration 1s --dry-run >/dev/null 2>&1 || true
tables >"$FL_TMP/after"
check "B's sweep left A's live table" grep -qx "$table" "$FL_TMP/after"
check "B's sweep left A's other table" grep -qx "faultline_${ha}_blackhole_0000000e" "$FL_TMP/after"
check "B's sweep removed B's own leftover" sh -c "! grep -qx 'faultline_${hb}_cpu_0000000f' '$FL_TMP/after'"
check "B's sweep removed an old table of a removed journal" sh -c "! grep -qx faultline_1234abcd_blackhole_0000000d '$FL_TMP/after'"
check "B's sweep left a young table of a removed journal" grep -qx faultline_1234abcd_blackhole_0000000c "$FL_TMP/after"
nft delete table inet "faultline_${ha}_blackhole_0000000e"
nft delete table inet faultline_1234abcd_blackhole_0000000c

# 9. Supervisor, guardian and engine killed at once: the kernel removes the
#    table within a second, with no faultline command run.
sup=$(jq -r .supervisor_pid "$FL_TMP/f.json")
guardian=$(jq -r '.faults[0].guardian.pid // empty' "$A/faults/$id.json" 2>/dev/null || true)
[ -n "$guardian" ] || guardian=$(jq -r .guardian.pid "$A/faults/$id.json")
engine=$(jq -r '.applied[]' "$FL_TMP/f.json" | sed -n 's/^packet engine pid \([0-9]*\).*/\1/p')
check "supervisor $sup, guardian $guardian and engine $engine found" [ -n "$sup" ] && [ -n "$guardian" ] && [ -n "$engine" ]
kill -KILL "$sup" "$guardian" "$engine"
t0=$(date +%s.%N)
gone() { ! tables | grep -qx "$table"; }
wait_for 1 gone || true
el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
check "the table is gone ${el}s after the kill, without recover" sh -c "! nft list tables inet | grep -q '$table' && awk 'BEGIN { exit !($el <= 1.0) }'"
"$FAULTLINE" recover >/dev/null 2>&1 || true
check "recover then finds the record and nothing left" [ "$(journal_count)" = 0 ]
finish
