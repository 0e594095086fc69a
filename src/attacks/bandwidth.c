/* bandwidth: the link to the dependency runs at --rate, each way: matched
 * packets are paced by the packet engine as a link of that speed would pace
 * them (a backlog beyond 100 ms of the link, at least 24 KiB, is dropped, as
 * by a router's queue). By default both directions are limited, so that a
 * download from the dependency is as slow as an upload to it. Works without
 * tc; fails open like latency. Parity: netem/tbf rate, Toxiproxy bandwidth,
 * Chaos Mesh bandwidth. */
#include "net/net.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all", "both"),
    {"rate", FL_PARAM_STRING, FL_PARAM_REQUIRED, NULL, NULL, NULL, NULL,
     "link speed, each way: 512kbit, 1mbit, 10mbit, 1gbit (bits/s, powers of 1000) or 100kbps, 1mbps (bytes/s)"},
    FL_NET_HELD_BYTES_PARAM,
};

/* Below this rate, new TCP connections get an Ethernet-sized MSS: on
 * loopback (MTU 64 KiB) one packet would otherwise hold a 1 Mbit/s link for
 * half a second, and TCP would time out on a link that is merely slow. */
#define CLAMP_BELOW_BITS 50e6
#define CLAMP_MSS 1460

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
    fl_net_use_engine(p, spec, FL_ENGINE_RATE);
    if (parse_rate(fl_spec_str(spec, "rate"), &p->engine.rate_bits_per_s, err) != 0)
        return -1;
    if (p->engine.rate_bits_per_s < CLAMP_BELOW_BITS && p->action.clamp_mss)
        p->action.clamp_mss = CLAMP_MSS;
    return 0;
}

const fl_attack fl_attack_bandwidth = {
    .info = {.name = "bandwidth",
             .summary = "limit the link to the dependency to a rate, each way (user-space engine; no tc needed)",
             .details = "Matched packets go through the packet engine, which releases them at the pace of a "
                        "link of --rate (IP bytes) shared by all matched flows, one link per direction; a packet "
                        "that would wait beyond 100 ms of the link (at least 24 KiB) is dropped, as by a router's "
                        "queue. The default --direction both limits downloads from the dependency (ingress) and "
                        "uploads to it (egress); egress or ingress limits one way only. Below 50 Mbit/s, new TCP "
                        "connections get an MSS of 1460 bytes (an Ethernet link's), so that a link on loopback is "
                        "not paced in 64 KiB packets. Fails open if the engine dies. Undo deletes the table, then "
                        "stops the engine.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES " (and nft_exthdr below 50 Mbit/s)"},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
