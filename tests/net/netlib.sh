# Shared by the network test scripts. Source it first thing:
#   . "$FL_TESTS/netlib.sh"
# It re-runs the script inside a private user + network + mount namespace
# (unshare -Urnm), where this process is root, only loopback exists and no
# rule can reach the host's own network; then it sources ../lib.sh.
if [ -z "${FL_NET_SANDBOXED:-}" ]; then
    command -v unshare >/dev/null || { echo "skip: no unshare"; exit 77; }
    unshare -Urnm true 2>/dev/null || { echo "skip: user namespaces unavailable"; exit 77; }
    export FL_NET_SANDBOXED=1
    exec unshare -Urnm bash "$0" "$@"
fi
. "$FL_TESTS/../lib.sh"
: "${NETPROBE:?NETPROBE must point at the netprobe helper}"
ip link set lo up

# The whole network state a fault may touch, for before/after comparison.
net_state() { nft list ruleset; echo "--- qdiscs"; tc qdisc show; echo "--- links"; ip -o link show; }

# Starts a redis-server on 127.0.0.1 and ::1, bound to this script's life.
start_redis() { # port
    local port=$1 args=()
    command -v redis-server >/dev/null || skip "redis-server is not installed"
    if setpriv --help 2>&1 | grep -q pdeathsig; then args=(setpriv --pdeathsig KILL); fi
    fl_spawn "${args[@]}" redis-server --port "$port" --bind 127.0.0.1 ::1 --save '' --appendonly no \
        --daemonize no --logfile /dev/null
    wait_for 10 sh -c "'$NETPROBE' connect 127.0.0.1 $port 200 | grep -qx ok"
}

# Value of key=value in a line of netprobe output.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" | head -1; }

# Waits until a fault id appears in the journal; prints it.
wait_fault_id() {
    local f
    wait_for 20 sh -c "ls '$FAULTLINE_STATE_DIR/faults/' 2>/dev/null | grep -q '\\.json\$'" || return 1
    f=$(ls "$FAULTLINE_STATE_DIR/faults/" | grep '\.json$' | head -1)
    echo "${f%.json}"
}
