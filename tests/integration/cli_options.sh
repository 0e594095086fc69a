# The option parser every command shares (src/cli/options.c): --name value
# and --name=value are one thing, a repeated single-valued option is refused
# naming it, a repeatable one accumulates, a flag takes no value, the help is
# generated from the same tables, library errors come back as --name, and a
# multi-line event keeps the run's progress log one event per time stamp.
. "$FL_TESTS/lib.sh"

usage_error() { # usage_error "text stderr must contain" args...
    local want=$1 rc=0
    shift
    "$FAULTLINE" "$@" >/dev/null 2>"$FL_TMP/err" || rc=$?
    if [ "$rc" = 2 ] && grep -q -- "$want" "$FL_TMP/err"; then
        pass "faultline $* -> 2, names '$want'"
    else
        fail "faultline $* -> $rc, want 2 naming '$want': $(cat "$FL_TMP/err")"
    fi
}

# A single-valued option given twice: refused, named, exit 2 (load took the
# last one before).
usage_error "--rate" load http://127.0.0.1:9/ --rate 5/s --rate 10/s --duration 1s
usage_error "--rate" load http://127.0.0.1:9/ --rate=5/s --rate 10/s --duration 1s
usage_error "--load" attack cpu --load 5% --load=6% --duration 1s --dry-run
usage_error "--out" run --out a --out b x.yaml
usage_error "--format" ssm document cpu --format yaml --format json
usage_error "--json" status --json --json
usage_error "--select" status --inventory /nonexistent --select a=b --select c=d
# Flags take no value; values are required; unknown options are named.
usage_error "--dry-run" attack cpu --load 5% --duration 1s --dry-run=yes
usage_error "--duration needs a value" attack cpu --load 5% --duration
usage_error "--bogus" attacks --bogus
usage_error "--frobnicate" run x.yaml --frobnicate
# A library error about a parameter comes back in CLI syntax.
usage_error "faultline: --load: " attack cpu --load 150% --duration 1s
usage_error "faultline: --duration: " load http://127.0.0.1:9/ --rate 5/s --duration 10

# --name=value is --name value.
"$FAULTLINE" attack cpu --load 20% --workers 2 --duration 1s --dry-run >"$FL_TMP/spaced"
"$FAULTLINE" attack cpu --load=20% --workers=2 --duration=1s --dry-run >"$FL_TMP/joined"
check "--name=value and --name value give the same plan" cmp -s "$FL_TMP/spaced" "$FL_TMP/joined"
check "the plan is there" grep -q "busy 20%" "$FL_TMP/joined"
# A repeatable option accumulates.
fl_spawn sleep 30
a=$!
fl_spawn sleep 30
b=$!
"$FAULTLINE" attack process-pause --pid "$a" --pid="$b" --duration 1s --dry-run >"$FL_TMP/pids"
check "a repeatable option given twice takes both" bash -c 'grep -q "pid $1" "$3" && grep -q "pid $2" "$3"' _ "$a" "$b" \
    "$FL_TMP/pids"

# Help: generated from the tables, reachable as `help <command>`.
for cmd in attack status stop recover attacks sandbox load run validate report ssm; do
    check "$cmd --help exits 0 and shows its usage" bash -c '"$1" "$2" --help | grep -q "^usage: faultline $2"' _ \
        "$FAULTLINE" "$cmd"
done
check "help attack is attack's help" bash -c 'cmp -s <("$1" help attack) <("$1" attack --help)' _ "$FAULTLINE"
check "help attack is not the top-level help" bash -c '! "$1" help attack | grep -q "^commands:"' _ "$FAULTLINE"
check "load --help lists every option" bash -c 'h=$("$1" load --help); for o in rate duration connections method \
    header body timeout late-after window json stream held out quiet; do grep -q -- "--$o" <<<"$h" || exit 1; done' \
    _ "$FAULTLINE"
"$FAULTLINE" attacks latency >"$FL_TMP/latency"
check "a long type does not run into its description" grep -qx '  --protocol tcp|udp|icmp|all' "$FL_TMP/latency"
check "no line of the parameter list is wider than 80 columns" \
    bash -c '! sed -n "/^parameters:/,/^$/p" "$1" | awk "length > 80" | grep -q .' _ "$FL_TMP/latency"

# A multi-line event (an attack with two workers applies two operations):
# every line of the progress log starts with a time stamp, or continues the
# event above it, indented under its text.
cat >"$FL_TMP/two.yaml" <<'YAML'
title: two workers
duration: 2s
load:
  command: [true]
  interval: 100ms
method:
  - {name: burn, attack: cpu, with: {load: 5%, workers: 2}, start: 500ms, duration: 500ms}
YAML
rc=0
"$FAULTLINE" run "$FL_TMP/two.yaml" --out "$FL_TMP/out" >/dev/null 2>"$FL_TMP/progress" || rc=$?
check "the run passes" test "$rc" = 0
check "the applied event has its two operations" grep -q "fault_applied burn" "$FL_TMP/progress"
check "the second operation continues the event, indented" grep -qE '^ {10}cpu worker 1: pid' "$FL_TMP/progress"
check "every progress line is a time-stamped line or a continuation" \
    bash -c '! grep -vE "^ *[0-9]+\.[0-9]s  |^ {10}[^ ]" "$1"' _ "$FL_TMP/progress"
finish
