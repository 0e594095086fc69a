/* latency: matched packets are held for --delay (+ --jitter) by the packet
 * engine, then released. Works without sch_netem; fails open (queue bypass)
 * if the engine dies. Held packets do not slow their sender (the engine
 * holds copies of egress packets). Parity: FIS/SSM latency, netem delay
 * (with jitter, distribution and correlation), Toxiproxy latency, Gremlin
 * Latency. */
#include "net/net.h"

#include <string.h>

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all", "egress"),
    {"delay", FL_PARAM_DURATION, FL_PARAM_REQUIRED, NULL, "1us", "60s", NULL,
     "added to every matched packet, e.g. 40ms or 2s"},
    {"jitter", FL_PARAM_DURATION, 0, "0us", "0us", "60s", NULL,
     "random variation: standard deviation (normal) or half-width (uniform)"},
    {"distribution", FL_PARAM_ENUM, 0, "normal", NULL, NULL, "normal|uniform", "shape of the jitter"},
    {"correlation", FL_PARAM_PERCENT, 0, "0%", "0%", "99%", NULL,
     "how much each packet's jitter follows the previous one's (0%: independent)"},
    FL_NET_HELD_BYTES_PARAM,
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    fl_net_use_engine(p, spec, FL_ENGINE_DELAY);
    p->engine.delay_us = fl_spec_i64(spec, "delay");
    p->engine.jitter_us = fl_spec_i64(spec, "jitter");
    p->engine.distribution =
        strcmp(fl_spec_str(spec, "distribution"), "uniform") == 0 ? FL_JITTER_UNIFORM : FL_JITTER_NORMAL;
    p->engine.correlation = fl_spec_pct(spec, "correlation") / 100.0;
    p->engine.egress_kernel_hold = p->engine.delay_us + 3 * p->engine.jitter_us <= FL_NET_KERNEL_HOLD_MAX_US;
    if (p->engine.egress_kernel_hold)
        p->action.clamp_mss = 0; /* nothing is copied */
    if (fl_spec_given(spec, "distribution") && p->engine.jitter_us == 0)
        return fl_fail(err, FL_EINVAL, "distribution", "distribution: it shapes the jitter; give jitter too");
    if (fl_spec_given(spec, "correlation") && p->engine.jitter_us == 0)
        return fl_fail(err, FL_EINVAL, "correlation",
                       "correlation: it relates successive jitter values; give jitter too");
    return 0;
}

const fl_attack fl_attack_latency = {
    .info = {.name = "latency",
             .summary = "delay matched packets (user-space engine; no netem needed)",
             .details = "Matched packets are sent by the fault's nftables table to an nfnetlink queue and held "
                        "by the packet engine for --delay (+ --jitter, optionally --correlation'ed), keeping each "
                        "flow's order, then released. An egress packet is held as a copy and its original "
                        "dropped, so the sender is not slowed: sendto() keeps its pace, TCP sends what its window "
                        "allows. Memory held is capped by --max-held-bytes (beyond: undelayed, counted bypassed). "
                        "Connections already open are hit too. The queue rules have `bypass`: if the engine dies, "
                        "traffic flows undelayed at once (fail-open). Undo deletes the table, then stops the "
                        "engine, which releases what it holds.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES,
             .observe = FL_OBSERVE_DELAY},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
