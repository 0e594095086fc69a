/* blackhole: matched packets are dropped, in the directions asked for, by
 * the packet engine's verdict on packets the kernel has already taken from
 * their sender: as behind a real blackhole, sendto() succeeds and TCP
 * retransmits until it gives up. Parity: Gremlin Blackhole, ChaosBlade
 * `network drop`, Chaos Mesh partition. Mechanism: docs/network.md. */
#include "net/net.h"

static const fl_param_spec params[] = {FL_NET_MATCH_PARAMS("all", "egress")};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    fl_net_use_engine(p, spec, FL_ENGINE_LOSS);
    p->engine.probability = 1.0;
    return 0;
}

const fl_attack fl_attack_blackhole = {
    .info = {.name = "blackhole",
             .summary = "drop every matched packet, silently (the dependency is unreachable)",
             .details = "Drops the packets to (egress) and/or from (ingress) the dependency chosen by --host, "
                        "--port and --protocol, including those of connections already open. The drop is the "
                        "packet engine's verdict on a packet the kernel already took from its sender, so the "
                        "sender sees what a real blackhole gives: sendto() succeeds, a TCP connect or request "
                        "hangs and retransmits. The rules live in their own nftables table (inet faultline_<id>); "
                        "undo deletes that table and stops the engine; `faultline recover` also deletes "
                        "faultline_* tables no journal mentions. If the engine dies, traffic flows (fail-open).",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES,
             .observe = FL_OBSERVE_CUT},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
