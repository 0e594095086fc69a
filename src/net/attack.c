/* The part every network attack shares: validate the matching parameters,
 * print the plan, apply (engine, journal, table, resolver) and verify with a
 * probe packet. An attack file only says what matched packets get. */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESOLVE_INTERVAL_US (2 * 1000000LL)
#define DEFAULT_MAX_HELD_BYTES (64ULL << 20)

static void free_plan(void *data) {
    fl_net_plan *p = data;
    if (!p)
        return;
    fl_net_match_free(&p->match);
    fl_engine_stats_unmap(p->engine.shared);
    free(p);
}

fl_net_plan *fl_net_validate(fl_spec *spec, uint16_t default_port, fl_error *err) {
    fl_net_plan *p = fl_xcalloc(1, sizeof(*p));
    spec->data = p;
    spec->free_data = free_plan;
    if (fl_net_match_parse(spec, &p->match, err) != 0)
        return NULL;
    fl_net_match *m = &p->match;
    if (default_port && m->n_ports == 0) {
        m->ports[m->n_ports++] = (fl_net_ports){default_port, default_port};
        if (m->all_protocols) {
            m->all_protocols = false;
            m->protocols = FL_NET_TCP | FL_NET_UDP;
        } else if (m->protocols == FL_NET_ICMP) {
            fl_fail(err, FL_EINVAL, "protocol", "protocol: icmp cannot carry this attack's port %u", default_port);
            return NULL;
        }
    }
    fl_net_match_claims(spec, &p->match);
    p->engine.netns = p->match.netns;
    p->passive = strcmp(fl_spec_str(spec, "verify"), "passive") == 0;
    return p;
}

void fl_net_use_engine(fl_net_plan *p, const fl_spec *spec, fl_engine_mode mode) {
    p->action.verdict = FL_NET_QUEUE;
    p->uses_engine = true;
    p->engine.mode = mode;
    p->engine.directions = p->match.directions;
    p->engine.max_held_bytes = DEFAULT_MAX_HELD_BYTES;
    /* Kinds that copy packets need them whole, and the kernel copies at
     * most 65531 bytes into a queue message: new TCP connections of the
     * matched flows get an MSS that keeps their segments below that (only
     * loopback's 64 KiB MTU allows larger ones). */
    if (mode != FL_ENGINE_LOSS && mode != FL_ENGINE_DNS && (p->match.protocols & FL_NET_TCP))
        p->action.clamp_mss = FL_NET_COPY_MSS;
    if (fl_attack_param(fl_spec_kind(spec), "max-held-bytes"))
        p->engine.max_held_bytes = fl_spec_u64(spec, "max-held-bytes");
}

/* ---- plan (dry run) ---- */
static void table_for_plan(const fl_spec *spec, char *buf, size_t len) {
    char id[64];
    snprintf(id, sizeof(id), "%s-XXXXXXXX", fl_spec_kind(spec));
    fl_net_table_name(id, buf, len);
}

static void engine_summary(const fl_net_plan *p, char *buf, size_t len) {
    const fl_engine_config *c = &p->engine;
    char a[32], b[32], cap[32];
    fl_format_size(c->max_held_bytes, cap, sizeof(cap));
    switch (c->mode) {
    case FL_ENGINE_DELAY: {
        char corr[48] = "";
        if (c->correlation > 0)
            snprintf(corr, sizeof(corr), ", correlation %.0f%%", c->correlation * 100);
        if (c->jitter_us)
            snprintf(buf, len, "delay %s, jitter %s (%s%s), at most %s held",
                     fl_format_duration(c->delay_us, a, sizeof(a)), fl_format_duration(c->jitter_us, b, sizeof(b)),
                     c->distribution == FL_JITTER_NORMAL ? "normal" : "uniform", corr, cap);
        else
            snprintf(buf, len, "delay %s, at most %s held", fl_format_duration(c->delay_us, a, sizeof(a)), cap);
        break;
    }
    case FL_ENGINE_RATE:
        snprintf(buf, len, "a %.0f bit/s link each way, at most %s held", c->rate_bits_per_s, cap);
        break;
    case FL_ENGINE_LOSS:
        if (c->probability >= 1.0)
            snprintf(buf, len, "drop every packet");
        else if (c->burst > 1.0)
            snprintf(buf, len, "drop %.2f%% of packets in runs of %.1f on average", c->probability * 100, c->burst);
        else
            snprintf(buf, len, "drop %.2f%% of packets, independently", c->probability * 100);
        break;
    case FL_ENGINE_CORRUPT: snprintf(buf, len, "flip one bit in %.2f%% of packets", c->probability * 100); break;
    case FL_ENGINE_DUPLICATE: snprintf(buf, len, "send %.2f%% of packets twice", c->probability * 100); break;
    case FL_ENGINE_REORDER:
        snprintf(buf, len, "let the next %u packet(s) of its flow overtake %.2f%% of packets (waiting at most %s)",
                 c->gap, c->probability * 100, fl_format_duration(c->reorder_wait_us, a, sizeof(a)));
        break;
    case FL_ENGINE_DNS:
        snprintf(buf, len, "%s DNS queries (UDP and TCP) for %s", c->refuse ? "answer REFUSED to" : "drop",
                 c->domain[0] ? c->domain : "any name");
        break;
    }
}

void fl_net_plan_steps(const fl_spec *spec, fl_plan_cb step, void *user) {
    const fl_net_plan *p = spec->data;
    char table[128], op[600], inv[256];
    table_for_plan(spec, table, sizeof(table));
    fl_net_action a = p->action;
    if (p->uses_engine) {
        char what[300];
        engine_summary(p, what, sizeof(what));
        a.queue_out = p->engine.queue_base;
        a.queue_in = (uint16_t)(p->engine.queue_base + 1);
        a.engine_stamp = 1;
        a.queue_expr = fl_nft_queue_expr_available(&p->match.netns);
        snprintf(op, sizeof(op), "create the engine's counters file STATE/faults/<id>.engine");
        step(user, op, "remove it");
        snprintf(op, sizeof(op), "start the packet engine (%s) on free nfnetlink queues from %u%s%s", what, a.queue_out,
                 p->match.netns.set ? " in " : "", p->match.netns.set ? p->match.netns.path : "");
        step(user, op, "kill the engine (SIGTERM first: held packets are released)");
    }
    char *text = fl_net_rules_text(&p->match, &a, table);
    bool first = true;
    for (char *line = text, *next; *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        snprintf(op, sizeof(op), "nft %s", line);
        if (first)
            snprintf(inv, sizeof(inv), "nft delete table inet %s (with everything in it)", table);
        step(user, op, first ? inv : "(deleted with the table)");
        first = false;
    }
    free(text);
    for (int dir = 0; p->uses_engine && !a.queue_expr && dir < 2; dir++) {
        if (!(p->match.directions & (dir ? FL_NET_INGRESS : FL_NET_EGRESS)))
            continue;
        snprintf(op, sizeof(op),
                 "libnftnl: add rule inet %s %s counter xt NFQUEUE --queue-num %u --queue-bypass "
                 "(this kernel lacks the nft queue expression: xtables target via nft_compat)",
                 table, dir ? "fl_in" : "fl_out", dir ? a.queue_in : a.queue_out);
        step(user, op, "(deleted with the table)");
    }
    for (size_t i = 0; i < p->match.n_hostnames; i++) {
        snprintf(op, sizeof(op), "re-resolve %s every %llds while active, adding new addresses to the sets",
                 p->match.hostnames[i], RESOLVE_INTERVAL_US / 1000000);
        step(user, op, "kill the resolver");
    }
}

/* ---- the resolver: a dependency behind DNS stays covered ---- */
typedef struct resolver_arg {
    fl_net_match *match;
    char table[128];
} resolver_arg;

static void resolver_main(void *varg) {
    resolver_arg *r = varg;
    fl_net_match *m = r->match;
    fl_worker_ready();
    for (;;) {
        fl_sleep_us(RESOLVE_INTERVAL_US);
        for (size_t i = 0; i < m->n_hostnames; i++) {
            fl_net_prefix *fresh = NULL;
            size_t n = 0;
            if (fl_net_resolve(m->hostnames[i], &fresh, &n) != 0)
                continue; /* a failed lookup keeps what we had */
            for (size_t j = 0; j < n; j++) {
                bool known = false;
                for (size_t k = 0; k < m->n_hosts && !known; k++)
                    known = memcmp(&m->hosts[k], &fresh[j], sizeof(fresh[j])) == 0;
                if (known)
                    continue;
                /* Addresses are only added: pooled connections to the old
                 * one stay covered too. */
                char cmd[300], addr[64];
                snprintf(cmd, sizeof(cmd), "add element inet %s %s { %s }\n", r->table,
                         fresh[j].family == AF_INET ? "dst4" : "dst6",
                         fl_net_format_prefix(&fresh[j], addr, sizeof(addr)));
                fl_error err;
                if (fl_nft_run(&m->netns, cmd, false, NULL, &err) == 0) {
                    m->hosts = fl_xreallocarray(m->hosts, m->n_hosts + 1, sizeof(*m->hosts));
                    m->hosts[m->n_hosts++] = fresh[j];
                }
            }
            free(fresh);
        }
    }
}

/* ---- apply ---- */
static int start_engine(fl_ctx *ctx, fl_net_plan *p, const char *id, fl_net_action *a, fl_error *err) {
    char path[1200];
    fl_engine_stats_path(id, path, sizeof(path));
    /* Journaled first, so that its removal is the rollback's last step:
     * the engine's final numbers are in it until then. */
    if (fl_ctx_journal_undo(ctx, fl_undo_unlink(path), err) != 0)
        return -1;
    if (!(p->engine.shared = fl_engine_stats_create(path, err)))
        return -1;
    p->engine.shared->max_held_bytes = p->engine.max_held_bytes;
    p->engine.stamp = p->engine.shared->stamp = fl_engine_next_stamp();
    fl_net_table_name(id, p->engine.table, sizeof(p->engine.table));
    /* Spread faults over queue numbers; the engine skips taken ones. */
    uint32_t h = 2166136261u;
    for (const char *c = id; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    p->engine.queue_base = (uint16_t)(20000 + h % 20000);
    pid_t pid;
    if (fl_ctx_spawn(ctx, "fl-net-engine", fl_engine_main, &p->engine, 5000, &pid, err) != 0) {
        if (p->engine.shared->error[0])
            fl_fail(err, FL_EAPPLY, "engine", "the packet engine could not start: %s", p->engine.shared->error);
        return -1;
    }
    if (fl_ctx_journal_undo(ctx, fl_undo_engine_drain(pid), err) != 0)
        return -1;
    int q_out = atomic_load(&p->engine.shared->queue_out), q_in = atomic_load(&p->engine.shared->queue_in);
    a->queue_out = (uint16_t)q_out;
    a->queue_in = (uint16_t)q_in;
    a->engine_stamp = p->engine.stamp;
    a->queue_expr = fl_nft_queue_expr_available(&p->match.netns);
    char what[300];
    engine_summary(p, what, sizeof(what));
    char queues[64];
    if ((p->match.directions & FL_NET_EGRESS) && (p->match.directions & FL_NET_INGRESS))
        snprintf(queues, sizeof(queues), "queues %u (egress) and %u (ingress)", a->queue_out, a->queue_in);
    else
        snprintf(queues, sizeof(queues), "queue %u",
                 (p->match.directions & FL_NET_EGRESS) ? a->queue_out : a->queue_in);
    fl_ctx_applied(ctx, "packet engine pid %d on nfnetlink %s: %s", (int)pid, queues, what);
    return 0;
}

int fl_net_apply(fl_ctx *ctx, fl_error *err) {
    fl_net_plan *p = ctx->spec->data;
    const char *id = json_string_value(json_object_get(ctx->rec, "id"));
    char table[128];
    fl_net_table_name(id, table, sizeof(table));
    fl_net_action a = p->action;
    const fl_netns *ns = &p->match.netns;

    if (p->uses_engine && start_engine(ctx, p, id, &a, err) != 0)
        return -1;
    if (fl_ctx_journal_undo(ctx, fl_undo_nft_delete_table(table, ns->set ? ns->path : NULL, ns->dev, ns->ino), err) !=
        0)
        return -1;
    bool owned;
    if (fl_nft_own_table(ns, table, fl_spec_duration_us(ctx->spec), &owned, err) != 0)
        return -1;
    fl_ctx_applied(ctx, "%s",
                   owned ? "kernel-owned table: removed by the kernel the moment this supervisor dies"
                         : "this kernel has no owned tables (Linux < 5.12): the journal alone removes it");
    int compat_rules = 0;
    for (int dir = 0; p->uses_engine && !a.queue_expr && dir < 2; dir++) {
        if (!(p->match.directions & (dir ? FL_NET_INGRESS : FL_NET_EGRESS)))
            continue;
        /* The queue rules first, so that no matching rule ever jumps to an
         * empty chain. "add" is idempotent: the full text repeats these. */
        const char *chain = dir ? "fl_in" : "fl_out";
        char head[300];
        snprintf(head, sizeof(head), "add table inet %s\nadd chain inet %s %s\n", table, table, chain);
        if (fl_nft_run(ns, head, false, NULL, err) != 0 ||
            fl_nft_add_compat_queue(ns, table, chain, dir ? a.queue_in : a.queue_out, err) != 0)
            return -1;
        compat_rules++;
    }
    if (!fl_spec_bool(ctx->spec, "include-controller"))
        fl_net_find_controllers(&p->match, false); /* sessions opened since validation */
    char *text = fl_net_rules_text(&p->match, &a, table);
    int rc = fl_nft_run(ns, text, false, NULL, err);
    size_t rules = 0;
    for (const char *c = text; (c = strstr(c, "add rule ")); c++)
        rules++;
    free(text);
    if (rc != 0) {
        if (strstr(err->message, "No such file or directory") || strstr(err->message, "Operation not supported"))
            snprintf(err->message + strlen(err->message), sizeof(err->message) - strlen(err->message),
                     " (the kernel lacks an nftables feature these rules need; see docs/network.md)");
        return -1;
    }
    fl_ctx_applied(ctx, "nftables table inet %s%s%s: %zu rules%s", table, ns->set ? " in " : "",
                   ns->set ? ns->path : "", rules + (size_t)compat_rules,
                   p->uses_engine ? (a.queue_expr ? " (nft queue)" : " (xt NFQUEUE via nft_compat)") : "");
    for (size_t i = 0; i < p->match.n_controllers; i++) {
        char c[64];
        fl_ctx_applied(ctx, "excluded the SSH session from %s:%u (to port %u)",
                       fl_net_format_prefix(&p->match.controllers[i].peer, c, sizeof(c)),
                       p->match.controllers[i].peer_port, p->match.controllers[i].own_port);
    }

    if (p->match.n_hostnames) {
        static resolver_arg r; /* read by the forked resolver only */
        r.match = &p->match;
        snprintf(r.table, sizeof(r.table), "%s", table);
        pid_t pid;
        if (fl_ctx_spawn(ctx, "fl-net-resolve", resolver_main, &r, 5000, &pid, err) != 0)
            return -1;
        fl_ctx_applied(ctx, "resolver pid %d re-resolves %zu hostname(s) every %llds", (int)pid, p->match.n_hostnames,
                       RESOLVE_INTERVAL_US / 1000000);
    }
    return 0;
}

/* ---- verify: send one packet the rules must match, and look ---- */
typedef struct probe_target {
    bool ok;
    fl_net_prefix addr;
    uint16_t port;
    int proto; /* FL_NET_TCP or FL_NET_UDP */
} probe_target;

static probe_target pick_probe(const fl_net_plan *p) {
    probe_target t = {0};
    const fl_net_match *m = &p->match;
    /* A probe from here leaves by the egress hook; an interface other than
     * loopback would need a route we cannot be sure of. */
    if (!(m->directions & FL_NET_EGRESS) || m->any_host || (m->ifname[0] && strcmp(m->ifname, "lo") != 0))
        return t;
    for (size_t i = 0; i < m->n_hosts && !t.ok; i++)
        if (m->hosts[i].len == (m->hosts[i].family == AF_INET ? 32 : 128)) {
            t.addr = m->hosts[i];
            t.ok = true;
        }
    if (!t.ok || !(m->protocols & (FL_NET_TCP | FL_NET_UDP)))
        return (probe_target){0};
    t.proto = (m->protocols & FL_NET_TCP) ? FL_NET_TCP : FL_NET_UDP;
    t.port = m->n_ports ? m->ports[0].lo : 9;
    for (size_t i = 0; i < m->n_excluded_ports; i++)
        if (t.port >= m->excluded_ports[i].lo && t.port <= m->excluded_ports[i].hi)
            return (probe_target){0};
    return t;
}

typedef struct probe_result {
    int64_t elapsed_us;
    int error;      /* errno of the connect, 0 if it completed */
    bool completed; /* an answer (connect done or refused) within the wait */
} probe_result;

/* One TCP connect (or UDP datagram), waiting up to wait_ms for an answer. */
static int send_probe(const fl_netns *ns, const probe_target *t, int wait_ms, probe_result *r, fl_error *err) {
    int saved;
    if (fl_netns_enter(ns, &saved, err) != 0)
        return -1;
    struct sockaddr_storage ss = {0};
    socklen_t slen;
    if (t->addr.family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(t->port);
        memcpy(&in->sin_addr, t->addr.addr, 4);
        slen = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(t->port);
        memcpy(&in6->sin6_addr, t->addr.addr, 16);
        slen = sizeof(*in6);
    }
    int fd =
        socket(t->addr.family, (t->proto == FL_NET_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    fl_netns_leave(saved);
    if (fd < 0)
        return fl_fail(err, FL_EAPPLY, "verify", "probe socket: %s", strerror(errno));
    int64_t t0 = fl_mono_us();
    *r = (probe_result){0};
    if (t->proto == FL_NET_UDP) {
        /* Connected, so an ICMP unreachable comes back as an error. */
        if (connect(fd, (struct sockaddr *)&ss, slen) == 0)
            send(fd, "f", 1, 0);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, wait_ms) > 0) {
            char c;
            r->completed = true;
            if (recv(fd, &c, 1, MSG_DONTWAIT) < 0)
                r->error = errno;
        }
    } else if (connect(fd, (struct sockaddr *)&ss, slen) != 0 && errno == EINPROGRESS) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, wait_ms) > 0) {
            int e = 0;
            socklen_t elen = sizeof(e);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen);
            r->completed = true;
            r->error = e;
        }
    } else {
        r->completed = true;
        r->error = errno;
    }
    r->elapsed_us = fl_mono_us() - t0;
    close(fd);
    return 0;
}

static uint64_t engine_matched(const fl_net_plan *p) {
    return atomic_load_explicit(&p->engine.shared->counters[FL_EC_MATCHED], memory_order_relaxed);
}

int fl_net_verify(fl_ctx *ctx, fl_error *err) {
    fl_net_plan *p = ctx->spec->data;
    const fl_netns *ns = &p->match.netns;
    char table[128];
    fl_net_table_name(json_string_value(json_object_get(ctx->rec, "id")), table, sizeof(table));
    uint64_t before = 0, after = 0;
    if (fl_nft_table_packets(ns, table, &before, err) != 0) {
        char why[sizeof(err->message)];
        snprintf(why, sizeof(why), "%s", err->message);
        return fl_fail(err, FL_EAPPLY, "verify", "the table %s is not there after applying: %.300s", table, why);
    }
    probe_target t = p->passive ? (probe_target){0} : pick_probe(p);
    uint64_t engine_before = p->uses_engine ? engine_matched(p) : 0;
    char seen[700] = "";
    if (t.ok) {
        /* The rule counter moves while connect()/send() runs, so a drop
         * needs no wait; a reset answers at once; a delay must be waited out
         * to be measured. */
        int wait_ms = p->action.verdict == FL_NET_RESET ? 150 : 20;
        if (p->uses_engine && p->engine.mode == FL_ENGINE_DELAY)
            wait_ms = (int)((p->engine.delay_us + 3 * p->engine.jitter_us) / 1000) + 500;
        if (wait_ms > 5000)
            wait_ms = 5000;
        probe_result r = {0};
        if (send_probe(ns, &t, wait_ms, &r, err) != 0)
            return -1;
        if (fl_nft_table_packets(ns, table, &after, err) != 0)
            return -1;
        char addr[64];
        fl_net_format_prefix(&t.addr, addr, sizeof(addr));
        if (after == before)
            /* Our own packet to the target went through the hook without
             * matching: the fault is certainly not in effect. */
            return fl_fail(err, FL_EAPPLY, "verify", "a probe %s packet to %s port %u was not matched by the rules",
                           t.proto == FL_NET_TCP ? "TCP" : "UDP", addr, t.port);
        char outcome[200];
        if (!r.completed)
            snprintf(outcome, sizeof(outcome), "no answer within %d ms", wait_ms);
        else if (r.error)
            snprintf(outcome, sizeof(outcome), "%s after %.2f ms", strerror(r.error), (double)r.elapsed_us / 1000.0);
        else
            snprintf(outcome, sizeof(outcome), "answered after %.2f ms", (double)r.elapsed_us / 1000.0);
        snprintf(seen, sizeof(seen), "probe %s to %s port %u matched (%s)",
                 t.proto == FL_NET_TCP ? "TCP connect" : "UDP datagram", addr, t.port, outcome);
        /* The engine reads its queue on its own time: give it a moment. */
        for (int i = 0; p->uses_engine && i < 250 && engine_matched(p) == engine_before; i++)
            fl_sleep_us(2000);
        if (p->uses_engine && engine_matched(p) == engine_before)
            return fl_fail(err, FL_EAPPLY, "verify", "the rules matched a probe but the packet engine saw nothing");
    } else {
        fl_nft_table_packets(ns, table, &after, NULL);
        if (!p->passive)
            snprintf(seen, sizeof(seen),
                     "rules in place (no probe possible for this match: %s); %llu packets matched so far",
                     p->match.any_host ? "no single host" : "ingress only, a CIDR or another interface",
                     (unsigned long long)after);
        else
            snprintf(seen, sizeof(seen),
                     "passive: no probe sent; rules in place, %llu packets matched so far; the engine's counters "
                     "(faultline status) show the fault at work once matched traffic flows",
                     (unsigned long long)after);
    }
    if (p->uses_engine) {
        fl_engine_counters c;
        fl_engine_stats_read(p->engine.shared, &c);
        size_t used = strlen(seen);
        snprintf(seen + used, sizeof(seen) - used, "; engine: %llu matched, %llu held, %llu released, %llu dropped",
                 (unsigned long long)c.matched, (unsigned long long)c.held, (unsigned long long)(c.released + c.late),
                 (unsigned long long)c.dropped);
    }
    snprintf(ctx->verified, sizeof(ctx->verified), "%s", seen);
    return 0;
}
