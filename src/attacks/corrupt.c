/* corrupt: a share of the matched packets gets one bit flipped in its
 * transport payload (in the transport header when it carries none), so that
 * the receiver's checksum fails and the packet is discarded there, as with
 * a bad link or NIC. Parity: netem corrupt, Chaos Mesh corrupt, ChaosBlade
 * `network corrupt`. */
#include "net/net.h"

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all", "egress"),
    {"percent", FL_PARAM_PERCENT, FL_PARAM_REQUIRED, NULL, "0.01%", "100%", NULL,
     "share of matched packets corrupted, e.g. 10%"},
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    fl_net_use_engine(p, spec, FL_ENGINE_CORRUPT);
    p->engine.probability = fl_spec_pct(spec, "percent") / 100.0;
    return 0;
}

const fl_attack fl_attack_corrupt = {
    .info = {.name = "corrupt",
             .summary = "flip a bit in a share of the matched packets (their checksum fails at the receiver)",
             .details = "The packet engine flips one random bit in the transport payload (the transport header "
                        "when there is no payload) of each matched packet with probability --percent. The IP "
                        "header stays valid, so the packet is delivered and discarded by the receiver's TCP or "
                        "UDP checksum (a UDP datagram sent without a checksum arrives altered). Egress: the "
                        "original is dropped and the altered copy sent in its place; ingress: the kernel takes "
                        "the altered bytes. Undo deletes the table and stops the engine; fails open.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
