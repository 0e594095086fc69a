# bandwidth limits what users mean, within 5%, from 100 kbit/s to 1 Gbit/s,
# in every direction: a download from the dependency (ingress), an upload
# to it (egress), both with the default --direction both. The rate is that
# of IP packets (headers included, as a link's); netprobe measures a TCP
# transfer's goodput at the receiver and adds the headers of its segments.
. "$FL_TESTS/netlib.sh"

before=$(net_state)
rate() { # rate way(down|up) seconds warmup [--direction D]
    local r=$1 way=$2 secs=$3 warm=$4 bits want got
    shift 4
    "$FAULTLINE" attack bandwidth --host 127.0.0.1 --port 7300 --rate "$r" "$@" --duration 1m --detach >/dev/null
    "$NETPROBE" rate 127.0.0.1 7300 "$secs" "$way" "$warm" >"$FL_TMP/rate"
    echo "$r $way ${*:-(default direction)}: $(cat "$FL_TMP/rate"); $("$FAULTLINE" status | grep engine:)"
    "$FAULTLINE" stop --all >/dev/null
    case $r in *kbit) bits=$((${r%kbit} * 1000)) ;; *mbit) bits=$((${r%mbit} * 1000000)) ;; *gbit) bits=$((${r%gbit} * 1000000000)) ;; esac
    got=$(field ip_bits_per_s <"$FL_TMP/rate")
    check "bandwidth $r, ${way}load ${*:-(default: both ways)}: $got bit/s within 5%" \
        within "$got" $((bits * 95 / 100)) $((bits * 105 / 100))
}
# The default limits a download from the dependency's port (it used not to).
rate 100kbit down 6 1.5
rate 100kbit up 6 1.5 --direction egress
rate 1mbit down 4 1 --direction ingress
rate 10mbit up 4 1
rate 1gbit up 4 1 --direction egress
rate 1gbit down 4 1 --direction ingress
got=$("$NETPROBE" rate 127.0.0.1 7300 2 down 0.5 | field ip_bits_per_s)
check "bandwidth: unlimited after ($got bit/s > 2 Gbit/s)" within "$got" 2000000000 1e15
check "bandwidth: ruleset identical after" test "$(net_state)" = "$before"
finish
