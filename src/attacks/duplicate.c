/* duplicate: a share of the matched packets arrives twice, as when a link
 * layer retransmits a frame whose acknowledgement was lost. Parity: netem
 * duplicate, Chaos Mesh duplicate, ChaosBlade `network duplicate`. */
#include "net/net.h"

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all", "egress"),
    {"percent", FL_PARAM_PERCENT, FL_PARAM_REQUIRED, NULL, "0.01%", "100%", NULL,
     "share of matched packets sent twice, e.g. 10%"},
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    fl_net_use_engine(p, spec, FL_ENGINE_DUPLICATE);
    p->engine.probability = fl_spec_pct(spec, "percent") / 100.0;
    return 0;
}

const fl_attack fl_attack_duplicate = {
    .info = {.name = "duplicate",
             .summary = "send a share of the matched packets twice",
             .details = "The packet engine lets each matched packet through and, with probability --percent, "
                        "sends an identical copy right after it through a raw socket (egress: out of the same "
                        "device, with the packet's mark; ingress: towards this host, delivered like the original "
                        "but through the loopback device). Undo deletes the table and stops the engine; fails "
                        "open.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
