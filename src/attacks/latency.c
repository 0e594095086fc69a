/* latency: matched packets are held for --delay (+ --jitter) by the packet
 * engine, a user-space process on an nfnetlink queue, then released. Works
 * without sch_netem; fails open (queue bypass) if the engine dies. Parity:
 * FIS/SSM latency, netem delay, Toxiproxy latency, Gremlin Latency. */
#include "net/net.h"

#include <string.h>

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all"),
    {"delay", FL_PARAM_DURATION, FL_PARAM_REQUIRED, NULL, "1us", "60s", NULL,
     "added to every matched packet, e.g. 40ms or 2s"},
    {"jitter", FL_PARAM_DURATION, 0, "0us", "0us", "60s", NULL,
     "random variation: standard deviation (normal) or half-width (uniform)"},
    {"distribution", FL_PARAM_ENUM, 0, "normal", NULL, NULL, "normal|uniform", "shape of the jitter"},
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    p->action.verdict = FL_NET_QUEUE;
    p->uses_engine = true;
    p->engine.mode = FL_ENGINE_DELAY;
    p->engine.delay_us = fl_spec_i64(spec, "delay");
    p->engine.jitter_us = fl_spec_i64(spec, "jitter");
    p->engine.distribution =
        strcmp(fl_spec_str(spec, "distribution"), "uniform") == 0 ? FL_JITTER_UNIFORM : FL_JITTER_NORMAL;
    if (fl_spec_given(spec, "distribution") && p->engine.jitter_us == 0)
        return fl_fail(err, FL_EINVAL, "distribution", "distribution: it shapes the jitter; give jitter too");
    return 0;
}

const fl_attack fl_attack_latency = {
    .info = {.name = "latency",
             .summary = "delay matched packets (user-space engine; no netem needed)",
             .details = "Matched packets are sent by the fault's nftables table to an nfnetlink queue and held "
                        "by the packet engine for --delay (+ --jitter), keeping each flow's order, then "
                        "released. Connections already open are hit too. The queue rule has `bypass`: if the "
                        "engine dies, traffic flows undelayed at once (fail-open). Undo deletes the table, then "
                        "stops the engine, which releases what it holds.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES,
             .observe = FL_OBSERVE_DELAY},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
