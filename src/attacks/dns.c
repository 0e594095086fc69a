/* dns: name resolution fails. Queries to port 53 (UDP and TCP) go through
 * the packet engine: without --domain, --mode drop drops every query
 * (silently: lookups time out); with --domain, the engine reads each query
 * (UDP, and TCP streams) and drops it, or answers it with rcode REFUSED,
 * only for that name and its subdomains. --mode refuse without --domain is
 * done in the kernel (ICMP unreachable / TCP RST: lookups fail at once).
 * Parity: ChaosBlade dns/dnsdown, Chaos Mesh DNSChaos error, Gremlin DNS. */
#include "net/net.h"

#include <ctype.h>
#include <string.h>

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all", "egress"),
    {"mode", FL_PARAM_ENUM, 0, "drop", NULL, NULL, "drop|refuse",
     "drop: queries time out; refuse: they fail at once (REFUSED with --domain, else ICMP unreachable/RST)"},
    {"domain", FL_PARAM_STRING, 0, NULL, NULL, NULL, NULL,
     "only this name and its subdomains (UDP and TCP queries); default: every query"},
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 53, err);
    if (!p)
        return -1;
    bool refuse = strcmp(fl_spec_str(spec, "mode"), "refuse") == 0;
    if (!fl_spec_given(spec, "domain")) {
        if (refuse) {
            p->action.verdict = FL_NET_RESET;
        } else {
            fl_net_use_engine(p, spec, FL_ENGINE_LOSS);
            p->engine.probability = 1.0;
        }
        return 0;
    }
    const char *domain = fl_spec_str(spec, "domain");
    size_t n = strlen(domain);
    bool ok = n > 0 && n < sizeof(p->engine.domain) && domain[0] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)domain[i]) || strchr("-._", domain[i]);
    if (!ok)
        return fl_fail(err, FL_EINVAL, "domain", "domain: '%s' is not a domain name", domain);
    fl_net_use_engine(p, spec, FL_ENGINE_DNS);
    p->engine.refuse = refuse;
    snprintf(p->engine.domain, sizeof(p->engine.domain), "%s", domain);
    return 0;
}

const fl_attack fl_attack_dns = {
    .info = {.name = "dns",
             .summary = "make name resolution fail (all names, or one --domain)",
             .details = "Matches DNS traffic (port 53 unless --port, UDP and TCP; to the servers given by --host, "
                        "else any). --mode drop: queries are dropped by the packet engine, silently, so lookups "
                        "time out as with an unreachable server. With --domain, the engine reads each query (UDP "
                        "datagrams, and TCP streams) and drops it, or answers REFUSED from the server's address, "
                        "when the name is the domain or below it; other queries pass. --mode refuse without "
                        "--domain rejects in the kernel (ICMP unreachable / TCP RST: lookups fail at once). Undo "
                        "deletes the table (and stops the engine). /etc/hosts is never touched.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = FL_NET_ENGINE_REQUIRES " (--mode refuse without --domain: nftables and nft_reject_inet)"},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
