/* reset: matched TCP packets are answered with a RST (the connection
 * fails with ECONNRESET, a new one with ECONNREFUSED); UDP gets ICMP port
 * unreachable. Parity: Toxiproxy reset_peer, Litmus http reset-peer. */
#include "net/net.h"

static const fl_param_spec params[] = {FL_NET_MATCH_PARAMS("tcp", "egress")};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    if (p->match.protocols == FL_NET_ICMP)
        return fl_fail(err, FL_EINVAL, "protocol", "protocol: reset needs tcp, udp or all (ICMP has no connection)");
    p->action.verdict = FL_NET_RESET;
    return 0;
}

const fl_attack fl_attack_reset = {
    .info = {.name = "reset",
             .summary = "reset matched TCP connections (RST); UDP gets port unreachable",
             .details = "Matched TCP packets are dropped and answered with a TCP RST (nft `reject with tcp "
                        "reset`), so open connections fail with ECONNRESET and new ones with ECONNREFUSED; "
                        "UDP gets ICMP port unreachable. The reset goes to the sender of the matched packet: "
                        "with egress (default) that is this host's client. Undo deletes the fault's table.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "nftables (nf_tables, nft_reject_inet); no binaries",
             .observe = FL_OBSERVE_CUT},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
