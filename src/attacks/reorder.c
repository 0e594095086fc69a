/* reorder: a share of the matched packets is overtaken by the next --gap
 * packets of its flow, as when packets of one flow take paths of different
 * lengths. Parity: netem reorder (with gap), Chaos Mesh reorder, ChaosBlade
 * `network reorder`. */
#include "net/net.h"

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all", "egress"),
    {"percent", FL_PARAM_PERCENT, FL_PARAM_REQUIRED, NULL, "0.01%", "100%", NULL,
     "share of matched packets that the next ones of their flow overtake, e.g. 10%"},
    {"gap", FL_PARAM_INT, 0, "1", "1", "1000", NULL, "how many later packets of the flow overtake one"},
    {"max-wait", FL_PARAM_DURATION, 0, "20ms", "1ms", "10s", NULL,
     "the longest a packet waits for them (a quiet flow's packet then goes alone)"},
    FL_NET_HELD_BYTES_PARAM,
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    fl_net_use_engine(p, spec, FL_ENGINE_REORDER);
    p->engine.probability = fl_spec_pct(spec, "percent") / 100.0;
    p->engine.gap = (unsigned)fl_spec_i64(spec, "gap");
    p->engine.reorder_wait_us = fl_spec_i64(spec, "max-wait");
    return 0;
}

const fl_attack fl_attack_reorder = {
    .info = {.name = "reorder",
             .summary = "let later packets of a flow overtake a share of the matched packets",
             .details = "The packet engine holds each matched packet with probability --percent until the next "
                        "--gap packets of its flow (same addresses, protocol and ports) have gone, then releases "
                        "it right after them; a packet whose flow falls quiet goes alone after --max-wait. The "
                        "receiver sees it arrive after packets sent later; TCP counts duplicate "
                        "acknowledgements and may retransmit, as on a real reordering path. Undo deletes the "
                        "table and stops the engine (which releases what it holds); fails open.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
