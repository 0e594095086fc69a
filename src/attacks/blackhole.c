/* blackhole: matched packets are dropped, in the directions asked for.
 * Parity: Gremlin Blackhole, ChaosBlade `network drop`, Chaos Mesh partition.
 * Mechanism and host requirements: docs/network.md. */
#include "net/net.h"

static const fl_param_spec params[] = {FL_NET_MATCH_PARAMS("all")};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    p->action.verdict = FL_NET_DROP;
    return 0;
}

const fl_attack fl_attack_blackhole = {
    .info = {.name = "blackhole",
             .summary = "drop every matched packet (the dependency is unreachable)",
             .details = "Drops the packets to (egress) and/or from (ingress) the dependency chosen by --host, "
                        "--port and --protocol, including those of connections already open. The rules live in "
                        "their own nftables table (inet faultline_<id>); undo deletes that table, journaled before "
                        "it was created; `faultline recover` also deletes faultline_* tables no journal mentions.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "nftables (nf_tables, nft_counter); no binaries",
             .observe = FL_OBSERVE_CUT},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
