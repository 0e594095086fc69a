# kill -9 at random points, 27 trials over every network kind (each kind
# three times, once per victim), then `faultline recover`: `nft list
# ruleset`, `tc qdisc show` and the links identical to before, no engine or
# resolver left, no counters file left. (faultline loads no BPF program.) Then a faultline_* table that no
# journal mentions is removed by recover.
. "$FL_TESTS/netlib.sh"

before=$(net_state)
record() { find "$FAULTLINE_STATE_DIR/faults" -name '*.json' 2>/dev/null | head -1; }
json_pid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["pid"])' "$1" "$2" 2>/dev/null; }
our_procs() {
    local p
    for p in /proc/[0-9]*; do
        grep -qz "^FAULTLINE_STATE_DIR=$FAULTLINE_STATE_DIR\$" "$p/environ" 2>/dev/null || continue
        case "$(cat "$p/comm" 2>/dev/null)" in fl-*) grep -q ') Z' "$p/stat" 2>/dev/null || echo "${p#/proc/}" ;; esac
    done
}
kinds=("blackhole --host 127.0.0.1 --port 6379" "packet-loss --port 7000-7100 --percent 30% --burst 4"
    "reset --host ::1 --port 6379" "latency --host 127.0.0.1 --port 6379 --delay 10ms"
    "bandwidth --host localhost --rate 1mbit" "dns --domain example.com --mode refuse"
    "corrupt --host 127.0.0.1 --percent 10% --direction both" "duplicate --port 6379 --percent 10%"
    "reorder --host ::1 --percent 10% --gap 3")
for trial in $(seq 1 27); do
    args=${kinds[$((trial % ${#kinds[@]}))]}
    # shellcheck disable=SC2086
    "$FAULTLINE" attack $args --duration 30s >/dev/null 2>&1 &
    cli=$!
    wait_for 10 sh -c "test -n \"\$(find '$FAULTLINE_STATE_DIR/faults' -name '*.json' 2>/dev/null)\"" || true
    sleep "0.$((RANDOM % 300))"
    rec=$(record)
    case $(((trial / ${#kinds[@]}) % 3)) in
    0) who=cli; kill -9 "$cli" 2>/dev/null || true ;;
    1) who="supervisor+guardian"
       g=$(json_pid "$rec" guardian); s=$(json_pid "$rec" owner)
       [ -n "$g" ] && kill -9 "$g" 2>/dev/null; [ -n "$s" ] && kill -9 "$s" 2>/dev/null; kill -9 "$cli" 2>/dev/null || true ;;
    2) who=supervisor; s=$(json_pid "$rec" owner); [ -n "$s" ] && kill -9 "$s" 2>/dev/null || true ;;
    esac
    wait "$cli" 2>/dev/null || true
    "$FAULTLINE" recover >/dev/null 2>&1 || true
    wait_for 3 sh -c "test -z \"\$(find '$FAULTLINE_STATE_DIR/faults' -name '*.json')\"" || true
    procs=$(our_procs)
    left=$(find "$FAULTLINE_STATE_DIR/faults" -type f 2>/dev/null)
    if [ "$(net_state)" = "$before" ] && [ -z "$procs" ] && [ "$(journal_count)" -eq 0 ] && [ -z "$left" ]; then
        pass "trial $trial: ${args%% *}, kill -9 $who, recover: ruleset identical, nothing left"
    else
        fail "trial $trial: ${args%% *}, kill -9 $who: procs=[$procs] journal=$(journal_count) files=[$left]"
        net_state | head -20 >&2
        "$FAULTLINE" recover --all >/dev/null 2>&1 || true
        nft flush ruleset
    fi
done

# A table of ours that no journal record owns (the state directory wiped):
# recover deletes it, and touches nobody else's table.
# Its name carries this journal's state directory (FNV-1a of its real path).
ours=faultline_$(python3 -c 'import os, sys
h = 2166136261
for c in os.path.realpath(sys.argv[1]).encode(): h = ((h ^ c) * 16777619) & 0xffffffff
print("%08x" % h)' "$FAULTLINE_STATE_DIR")_blackhole_deadbeef
nft add table inet "$ours"
nft add table inet someone_else
nft add table inet faultline_blackhole_deadbeef # no journal named: not ours to remove
out=$("$FAULTLINE" recover 2>&1)
check "recover removes an unjournaled table of this journal ($out)" bash -c "! nft list tables | grep -q $ours"
check "recover leaves other tables alone" bash -c 'nft list tables | grep -q someone_else && nft list tables | grep -qw faultline_blackhole_deadbeef'
nft delete table inet someone_else
nft delete table inet faultline_blackhole_deadbeef
check "ruleset identical at the end" test "$(net_state)" = "$before"
finish
