/* packet-loss: a random share of the matched packets is dropped, decided per
 * packet in the kernel (nft numgen). Parity: FIS/SSM packet loss, netem
 * loss, ChaosBlade `network loss`, Pumba `iptables loss`. */
#include "net/net.h"

#include <math.h>

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all"),
    {"percent", FL_PARAM_PERCENT, FL_PARAM_REQUIRED, NULL, "0.01%", "100%", NULL,
     "share of matched packets dropped, e.g. 30% (resolution 0.01%)"},
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    p->action.verdict = FL_NET_LOSS;
    p->action.loss_per_10000 = (unsigned)lround(fl_spec_pct(spec, "percent") * 100.0);
    return 0;
}

const fl_attack fl_attack_packet_loss = {
    .info = {.name = "packet-loss",
             .summary = "drop a random share of the matched packets",
             .details = "Each matched packet is dropped with probability --percent (nft `numgen random`), "
                        "independently, in the kernel. Undo deletes the fault's nftables table.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "nftables (nf_tables, nft_numgen, nft_counter); no binaries"},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
