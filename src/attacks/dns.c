/* dns: name resolution fails. Without --domain, queries to port 53 are
 * dropped (timeouts) or rejected (immediate failure) in the kernel; with
 * --domain, the packet engine reads each UDP query and drops it, or answers
 * it with rcode REFUSED, only for that name and its subdomains. Parity:
 * ChaosBlade dns/dnsdown, Chaos Mesh DNSChaos error, Gremlin DNS. */
#include "net/net.h"

#include <ctype.h>
#include <string.h>

static const fl_param_spec params[] = {
    FL_NET_MATCH_PARAMS("all"),
    {"mode", FL_PARAM_ENUM, 0, "drop", NULL, NULL, "drop|refuse",
     "drop: queries time out; refuse: they fail at once (REFUSED with --domain, else ICMP unreachable)"},
    {"domain", FL_PARAM_STRING, 0, NULL, NULL, NULL, NULL,
     "only this name and its subdomains (UDP queries); default: every query"},
};

static int validate(fl_spec *spec, fl_error *err) {
    fl_net_plan *p = fl_net_validate(spec, 53, err);
    if (!p)
        return -1;
    bool refuse = strcmp(fl_spec_str(spec, "mode"), "refuse") == 0;
    if (!fl_spec_given(spec, "domain")) {
        p->action.verdict = refuse ? FL_NET_RESET : FL_NET_DROP;
        return 0;
    }
    const char *domain = fl_spec_str(spec, "domain");
    size_t n = strlen(domain);
    bool ok = n > 0 && n < sizeof(p->engine.domain) && domain[0] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)domain[i]) || strchr("-._", domain[i]);
    if (!ok)
        return fl_fail(err, FL_EINVAL, "domain", "domain: '%s' is not a domain name", domain);
    p->action.verdict = FL_NET_QUEUE;
    p->uses_engine = true;
    p->engine.mode = FL_ENGINE_DNS;
    p->engine.refuse = refuse;
    snprintf(p->engine.domain, sizeof(p->engine.domain), "%s", domain);
    return 0;
}

const fl_attack fl_attack_dns = {
    .info = {.name = "dns",
             .summary = "make name resolution fail (all names, or one --domain)",
             .details = "Matches DNS traffic (port 53 unless --port; to the servers given by --host, else any). "
                        "Without --domain: drop (timeouts) or reject (ICMP unreachable / TCP RST) in nftables. "
                        "With --domain: the packet engine parses each UDP query and drops it, or answers REFUSED "
                        "from the server's address, when the name is the domain or below it; other queries pass. "
                        "Undo deletes the table (and stops the engine). /etc/hosts is never touched.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "nftables; with --domain also nfnetlink_queue and nft_queue or nft_compat + xt_NFQUEUE"},
    .validate = validate,
    FL_NET_ATTACK_OPS,
};
