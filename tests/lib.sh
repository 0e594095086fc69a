# Shared helpers for the integration scripts. Source it first:
#   . "$FL_TESTS/lib.sh"
# Every script gets its own journal directory and cleans up after itself.
# Processes are only ever killed by the PIDs the script started.
set -euo pipefail
: "${FAULTLINE:?FAULTLINE must point at the faultline binary}"
export FAULTLINE_STATE_DIR
FAULTLINE_STATE_DIR=$(mktemp -d /tmp/fl-test-XXXXXX)
FL_TMP=$FAULTLINE_STATE_DIR.tmp
mkdir -p "$FL_TMP"
FL_PIDS=()
FL_FAILS=0

fl_cleanup() {
    local pid
    "$FAULTLINE" recover --all >/dev/null 2>&1 || true
    for pid in "${FL_PIDS[@]:-}"; do
        [ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null || true
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$FAULTLINE_STATE_DIR" "$FL_TMP"
}
trap fl_cleanup EXIT

# Starts a background command and remembers its pid for cleanup.
fl_spawn() { "$@" & FL_PIDS+=("$!"); }

pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; FL_FAILS=$((FL_FAILS + 1)); }
skip() { echo "skip: $*"; exit 77; }
check() { # check "description" command...
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
    if [ "$FL_FAILS" -ne 0 ]; then echo "$FL_FAILS check(s) failed" >&2; exit 1; fi
    echo "all checks passed"
}

# Exit code of a command, without tripping set -e.
rc_of() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo "$rc"; }

# Number of journaled faults.
journal_count() { find "$FAULTLINE_STATE_DIR/faults" -name '*.json' 2>/dev/null | wc -l; }

# Float comparison helper: within "value" "low" "high"
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

# Waits up to $1 seconds for a command to succeed.
wait_for() {
    local secs=$1; shift
    local end=$((SECONDS + secs))
    until "$@"; do
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.05
    done
}

# Share of one core a process used over SECONDS, from /proc/PID/stat.
cpu_share() { # pid seconds
    local pid=$1 secs=$2 hz t0 t1 s0 s1
    hz=$(getconf CLK_TCK)
    t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat"); s0=$(date +%s.%N)
    sleep "$secs"
    t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat"); s1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v s="$s0" -v e="$s1" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz / (e - s) }'
}

# The pid of the first worker a --json attack reports ("... pid N ...").
first_worker_pid() { python3 -c 'import json,sys,re; d=json.load(open(sys.argv[1])); print(re.search(r"pid (\d+)", d["applied"][0]).group(1))' "$1"; }
