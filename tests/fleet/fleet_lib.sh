# A test fleet: N hosts, each a network namespace with its own address and
# its own sshd (Debian openssh-server), on a bridge in a controller namespace.
# Everything is created here with names unique to this run and deleted on
# exit; the host's own interfaces, routes and firewall are never touched.
# Needs root (ip netns); source after lib.sh.

FLEET_NS=flt$$
FLEET_NET=10.203.0
FLEET_DIR=$FL_TMP/fleet
FLEET_SSHD_PIDS=()
FLEET_N=0

fleet_skip_unless_ready() {
    [ "$(id -u)" = 0 ] || skip "needs root for ip netns"
    [ -x /usr/sbin/sshd ] || skip "needs /usr/sbin/sshd (openssh-server)"
    command -v ssh >/dev/null || skip "needs ssh (openssh-client)"
    command -v ip >/dev/null || skip "needs ip (iproute2)"
    command -v jq >/dev/null || skip "needs jq"
}

fleet_teardown() {
    local ns pid
    for ns in "${FLEET_NS}c" $(seq -f "${FLEET_NS}h%g" 1 "$FLEET_N"); do
        # Only processes inside namespaces this run created: sshd and its
        # sessions, ssh masters, faultline supervisors.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    done
    for ns in "${FLEET_NS}c" $(seq -f "${FLEET_NS}h%g" 1 "$FLEET_N"); do
        ip netns del "$ns" 2>/dev/null || true
    done
}

# fleet_up N: controller namespace with a bridge, N host namespaces, N sshds.
fleet_up() {
    local n=$1 i ns addr
    FLEET_N=$n
    mkdir -p "$FLEET_DIR" /run/sshd
    chmod 700 "$FLEET_DIR"
    mkdir -m 700 "$FLEET_DIR/ssh"
    export FAULTLINE_SSH_DIR=$FLEET_DIR/ssh
    ssh-keygen -q -t ed25519 -N '' -f "$FLEET_DIR/client_key"
    ssh-keygen -q -t ed25519 -N '' -f "$FLEET_DIR/host_key"
    cp "$FLEET_DIR/client_key.pub" "$FLEET_DIR/authorized_keys"
    : >"$FLEET_DIR/empty_rc"
    ip netns add "${FLEET_NS}c"
    ip -n "${FLEET_NS}c" link set lo up
    ip -n "${FLEET_NS}c" link add br0 type bridge
    ip -n "${FLEET_NS}c" addr add "$FLEET_NET.1/24" dev br0
    ip -n "${FLEET_NS}c" link set br0 up
    for i in $(seq 1 "$n"); do
        ns=${FLEET_NS}h$i
        addr=$FLEET_NET.$((10 + i))
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip -n "${FLEET_NS}c" link add "v$i" type veth peer name eth0 netns "$ns"
        ip -n "${FLEET_NS}c" link set "v$i" master br0 up
        ip -n "$ns" addr add "$addr/24" dev eth0
        ip -n "$ns" link set eth0 up
        mkdir -p "$FLEET_DIR/h$i"; mkdir -m 700 "$FLEET_DIR/h$i/state"
        cat >"$FLEET_DIR/h$i/sshd_config" <<CFG
ListenAddress $addr
Port 22
HostKey $FLEET_DIR/host_key
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AuthorizedKeysFile $FLEET_DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 200
MaxSessions 200
LogLevel ERROR
CFG
        # A host of its own: root's ~/.bashrc on this machine (which bash
        # reads for ssh commands) is hidden by an empty file in the host's
        # private mount namespace (ip netns exec makes one), so the test does
        # not run, or get stuck in, whatever this machine's shell setup does.
        ip netns exec "$ns" sh -c '[ ! -e "$HOME/.bashrc" ] || mount --bind "$1" "$HOME/.bashrc"; exec "$2" -D -e -f "$3"' \
            sh "$FLEET_DIR/empty_rc" /usr/sbin/sshd "$FLEET_DIR/h$i/sshd_config" 2>>"$FLEET_DIR/h$i/sshd.log" &
        FLEET_SSHD_PIDS+=("$!")
    done
    for i in $(seq 1 "$n"); do
        wait_for 10 ip netns exec "${FLEET_NS}c" bash -c "exec 3<>/dev/tcp/$FLEET_NET.$((10 + i))/22" ||
            { echo "sshd on host $i did not start" >&2; cat "$FLEET_DIR/h$i/sshd.log" >&2; return 1; }
    done
}

# fleet_inventory FILE: header with defaults; callers append hosts.
fleet_inventory_head() {
    cat <<INV
defaults:
  user: root
  identity: $FLEET_DIR/client_key
  known_hosts: /dev/null
  host_key_checking: "no"
  connect_timeout: 3s
  faultline: $FAULTLINE
hosts:
INV
}

# fleet_host NAME I TAGS [FAULTLINE]: one host entry (host namespace I).
fleet_host() {
    echo "  $1:"
    echo "    address: $FLEET_NET.$((10 + $2))"
    echo "    tags: {$3}"
    echo "    env: {FAULTLINE_STATE_DIR: $FLEET_DIR/h$2/state}"
    [ -z "${4:-}" ] || echo "    faultline: $4"
}

# Controller: faultline in the controller namespace.
fl_ctl() { ip netns exec "${FLEET_NS}c" "$FAULTLINE" "$@"; }

# Journaled faults on host I (read directly: no recovery side effects).
host_faults() { find "$FLEET_DIR/h$1/state/faults" -name '*.json' 2>/dev/null | wc -l; }
# Journaled faults on all hosts together, and conditions for wait_for.
faults_total() { find "$FLEET_DIR"/h*/state/faults -name '*.json' 2>/dev/null | wc -l; }
faults_at_least() { [ "$(faults_total)" -ge "$1" ]; }
no_faults() { [ "$(faults_total)" = 0 ]; }
host_holds_fault() { [ "$(host_faults "$1")" -ge 1 ]; }
host_clear() { [ "$(host_faults "$1")" = 0 ]; }
hosts_with_faults() {
    local i c=0
    for i in $(seq 1 "$FLEET_N"); do [ "$(host_faults "$i")" -eq 0 ] || c=$((c + 1)); done
    echo "$c"
}
