/* bandwidth: matched packets leave at most at --rate, paced by the packet
 * engine as a link of that speed would (a backlog beyond 500 ms, or two
 * 64 KiB packets, is dropped). Works without tc; fails open like latency.
 * Parity: netem/tbf rate, Toxiproxy bandwidth, Chaos Mesh bandwidth. */
#include "net/net.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all"),
    {"rate", FL_PARAM_STRING, FL_PARAM_REQUIRED, NULL, NULL, NULL, NULL,
     "link speed: 512kbit, 1mbit, 10mbit, 1gbit (bits/s, powers of 1000) or 100kbps, 1mbps (bytes/s)"},
};

/* tc's units: kbit/mbit/gbit are bits per second; kbps/mbps/gbps bytes. */
static int parse_rate(const char *text, double *bits, fl_error *err) {
    static const struct {
        const char *unit;
        double factor;
    } units[] = {{"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9},
                 {"bps", 8}, {"kbps", 8e3}, {"mbps", 8e6}, {"gbps", 8e9}};
    char *end;
    double value = strtod(text, &end);
    if (end == text || !isdigit((unsigned char)text[0]))
        return fl_fail(err, FL_EINVAL, "rate", "rate: '%s' is not a rate like 1mbit or 100kbps", text);
    for (size_t i = 0; i < FL_ARRAY_LEN(units); i++)
        if (strcasecmp(end, units[i].unit) == 0) {
            *bits = value * units[i].factor;
            if (*bits < 8000 || *bits > 100e9)
                return fl_fail(err, FL_EINVAL, "rate", "rate: %s is outside 8kbit..100gbit", text);
            return 0;
        }
    return fl_fail(err, FL_EINVAL, "rate",
                   "rate: '%s': the unit must be one of bit, kbit, mbit, gbit, bps, kbps, "
                   "mbps, gbps",
                   text);
}

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 0, err);
    if (!p)
        return -1;
    p->action.verdict = FL_NET_QUEUE;
    p->uses_engine = true;
    p->engine.mode = FL_ENGINE_RATE;
    return parse_rate(fl_spec_str(spec, "rate"), &p->engine.rate_bits_per_s, err);
}

const fl_attack fl_attack_bandwidth = {
    .info = {.name = "bandwidth",
             .summary = "limit matched traffic to a rate (user-space engine; no tc needed)",
             .details = "Matched packets go through the packet engine, which releases them at the pace of a "
                        "link of --rate shared by all matched flows, dropping what would wait beyond 500 ms "
                        "(like a router queue). Fails open if the engine dies. Undo deletes the table, then "
                        "stops the engine.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
