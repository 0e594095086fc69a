/* packet-loss: a share of the matched packets is dropped, independently or
 * in bursts (a Gilbert model), by the packet engine: silently, as on a
 * lossy path (sendto() succeeds, TCP retransmits). Parity: FIS/SSM packet
 * loss, netem loss (random, and gemodel for bursts), ChaosBlade `network
 * loss`, Pumba `iptables loss`. */
#include "net/net.h"

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all", "egress"),
    {"percent", FL_PARAM_PERCENT, FL_PARAM_REQUIRED, NULL, "0.01%", "100%", NULL,
     "share of matched packets dropped, e.g. 30% (100%: every one)"},
    {"burst", FL_PARAM_INT, 0, "1", "1", "10000", NULL,
     "losses come in runs of this many packets on average (1: each packet independently)"},
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    fl_net_use_engine(p, spec, FL_ENGINE_LOSS);
    p->engine.probability = fl_spec_pct(spec, "percent") / 100.0;
    p->engine.burst = (double)fl_spec_i64(spec, "burst");
    /* Runs of n losses average n only if good runs can average at least
     * one packet: the share lost is then at most n/(n+1). */
    double n = p->engine.burst;
    if (n > 1 && p->engine.probability < 1.0 && p->engine.probability > n / (n + 1) + 1e-12)
        return fl_fail(err, FL_EINVAL, "burst",
                       "burst: losing %.2f%% of packets in runs of %.0f on average is impossible (at most %.2f%%); "
                       "give a longer burst or a smaller percent",
                       p->engine.probability * 100, n, 100.0 * n / (n + 1));
    return 0;
}

const fl_attack fl_attack_packet_loss = {
    .info = {.name = "packet-loss",
             .summary = "drop a share of the matched packets, silently, independently or in bursts",
             .details = "Each matched packet is dropped with probability --percent by the packet engine (100% "
                        "drops every one). With --burst N, losses come in runs of N packets on average (a Gilbert "
                        "model: a loss-free state and a losing state, left with probability 1/N), the long-run "
                        "share staying --percent. The sender sees a lossy path: sendto() succeeds, TCP "
                        "retransmits. Undo deletes the fault's nftables table and stops the engine; if the engine "
                        "dies, nothing is lost any more (fail-open).",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
