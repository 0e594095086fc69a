/* The packet engine: a worker process bound to an nfnetlink queue that the
 * fault's nftables rules feed. It gives each packet a verdict later than the
 * kernel would: after --delay (+ jitter) for latency, at the link's pace for
 * bandwidth; or drops/answers DNS queries for a domain.
 *
 * Fail-open: the queue rule carries `bypass`, so once no process is bound to
 * the queue (this worker died: kill -9, crash, its supervisor's death via
 * PDEATHSIG) the kernel accepts matching packets again at once. Packets held
 * at that instant are dropped by the kernel and retransmitted by TCP; an
 * orderly stop (SIGTERM, from the engine_drain undo) releases them first.
 *
 * Order: packets of one flow are released in arrival order even with
 * jitter (a per-flow release floor), so jitter does not turn into TCP
 * reordering and spurious retransmits. */
#include "net/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <math.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define FLOW_BUCKETS 4096
#define QUEUE_TRIES 256
#define VERDICT_BATCH 256

typedef struct held {
    int64_t release_ns;
    uint64_t seq; /* arrival order breaks ties */
    uint32_t id;
} held;

typedef struct engine {
    const fl_engine_config *cfg;
    struct mnl_socket *nl;
    unsigned portid;
    uint16_t queue;
    held *heap;
    size_t n_held, cap_held;
    uint64_t seq;
    int64_t flow_floor[FLOW_BUCKETS];
    int64_t link_free_ns; /* rate mode: when the emulated link is idle */
    uint64_t rng;
    char *verdicts; /* batched verdict messages */
    size_t verdicts_len;
    size_t n_verdicts;
    int raw4, raw6; /* dns refuse: forged answers */
} engine;

static volatile sig_atomic_t drain_requested;
static void on_term(int signo) {
    (void)signo;
    drain_requested = 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- randomness (xorshift64*): fast, seeded from getrandom ---- */
static double uniform01(engine *e) {
    e->rng ^= e->rng >> 12;
    e->rng ^= e->rng << 25;
    e->rng ^= e->rng >> 27;
    return (double)((e->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static int64_t sample_delay_ns(engine *e) {
    const fl_engine_config *c = e->cfg;
    double d = (double)c->delay_us;
    if (c->jitter_us > 0) {
        if (c->distribution == FL_JITTER_UNIFORM) {
            d += (uniform01(e) * 2.0 - 1.0) * (double)c->jitter_us;
        } else { /* Box-Muller; jitter is the standard deviation */
            double u1 = uniform01(e), u2 = uniform01(e);
            if (u1 < 1e-12)
                u1 = 1e-12;
            d += sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2) * (double)c->jitter_us;
        }
    }
    return d < 0 ? 0 : (int64_t)(d * 1000.0);
}

/* ---- the min-heap of held packets ---- */
static bool earlier(const held *a, const held *b) {
    return a->release_ns < b->release_ns || (a->release_ns == b->release_ns && a->seq < b->seq);
}

static int heap_push(engine *e, held h) {
    if (e->n_held == e->cap_held) {
        size_t cap = e->cap_held ? e->cap_held * 2 : 4096;
        held *grown = realloc(e->heap, cap * sizeof(*grown));
        if (!grown)
            return -1;
        e->heap = grown;
        e->cap_held = cap;
    }
    size_t i = e->n_held++;
    while (i > 0 && earlier(&h, &e->heap[(i - 1) / 2])) {
        e->heap[i] = e->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    e->heap[i] = h;
    return 0;
}

static held heap_pop(engine *e) {
    held top = e->heap[0], last = e->heap[--e->n_held];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= e->n_held)
            break;
        if (child + 1 < e->n_held && earlier(&e->heap[child + 1], &e->heap[child]))
            child++;
        if (!earlier(&e->heap[child], &last))
            break;
        e->heap[i] = e->heap[child];
        i = child;
    }
    if (e->n_held)
        e->heap[i] = last;
    return top;
}

/* ---- verdicts, batched into one sendto ---- */
static void flush_verdicts(engine *e) {
    if (e->verdicts_len == 0)
        return;
    mnl_socket_sendto(e->nl, e->verdicts, e->verdicts_len);
    e->verdicts_len = 0;
    e->n_verdicts = 0;
}

static void verdict(engine *e, uint32_t id, int what) {
    struct nlmsghdr *nlh = nfq_nlmsg_put(e->verdicts + e->verdicts_len, NFQNL_MSG_VERDICT, e->queue);
    nfq_nlmsg_verdict_put(nlh, (int)id, what);
    e->verdicts_len += MNL_ALIGN(nlh->nlmsg_len);
    if (++e->n_verdicts >= VERDICT_BATCH)
        flush_verdicts(e);
}

/* ---- packet parsing ---- */
typedef struct pkt_view {
    int family;
    const unsigned char *src, *dst; /* addresses */
    int proto;
    const unsigned char *l4;
    size_t l4_len;
} pkt_view;

static bool parse_ip(const unsigned char *p, size_t len, pkt_view *v) {
    if (len >= 20 && (p[0] >> 4) == 4) {
        size_t ihl = (size_t)(p[0] & 0xf) * 4;
        if (ihl < 20 || len < ihl)
            return false;
        v->family = AF_INET;
        v->src = p + 12;
        v->dst = p + 16;
        v->proto = p[9];
        v->l4 = p + ihl;
        v->l4_len = len - ihl;
        return true;
    }
    if (len >= 40 && (p[0] >> 4) == 6) {
        v->family = AF_INET6;
        v->src = p + 8;
        v->dst = p + 24;
        v->proto = p[6]; /* extension headers are rare on these flows; they hash as their own flow */
        v->l4 = p + 40;
        v->l4_len = len - 40;
        return true;
    }
    return false;
}

static unsigned flow_bucket(const pkt_view *v) {
    uint64_t h = 1469598103934665603ULL;
    size_t alen = v->family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < alen; i++)
        h = (h ^ v->src[i]) * 1099511628211ULL;
    for (size_t i = 0; i < alen; i++)
        h = (h ^ v->dst[i]) * 1099511628211ULL;
    h = (h ^ (uint64_t)v->proto) * 1099511628211ULL;
    if ((v->proto == IPPROTO_TCP || v->proto == IPPROTO_UDP) && v->l4_len >= 4)
        for (int i = 0; i < 4; i++)
            h = (h ^ v->l4[i]) * 1099511628211ULL;
    return (unsigned)(h % FLOW_BUCKETS);
}

/* ---- DNS ---- */
int fl_dns_query_name(const unsigned char *dns, size_t len, char *name, size_t name_len) {
    if (len < 12 || name_len == 0)
        return -1;
    size_t pos = 12, out = 0;
    for (;;) {
        if (pos >= len)
            return -1;
        unsigned label = dns[pos++];
        if (label == 0)
            break;
        if (label > 63 || pos + label > len) /* compression cannot occur in a question */
            return -1;
        if (out && out + 1 < name_len)
            name[out++] = '.';
        for (unsigned i = 0; i < label && out + 1 < name_len; i++)
            name[out++] = (char)tolower(dns[pos + i]);
        pos += label;
    }
    name[out] = '\0';
    if (pos + 4 > len)
        return -1;
    return (int)(pos + 4); /* the question's end: name + type + class */
}

bool fl_dns_name_matches(const char *name, const char *domain) {
    if (!domain[0])
        return true;
    size_t n = strlen(name), d = strlen(domain);
    if (d && domain[d - 1] == '.')
        d--; /* "example.com." == "example.com" */
    if (n < d || strncasecmp(name + n - d, domain, d) != 0)
        return false;
    return n == d || name[n - d - 1] == '.';
}

static uint16_t checksum_fold(uint32_t sum) {
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t checksum_add(uint32_t sum, const unsigned char *p, size_t len) {
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    return sum;
}

/* Answers the query in v with REFUSED, from the server it was sent to. */
static void forge_refused(engine *e, const pkt_view *v, size_t question_end) {
    const unsigned char *udp = v->l4, *query = udp + 8;
    unsigned char pkt[40 + 8 + 512];
    size_t dns_len = question_end, ip_len = v->family == AF_INET ? 20 : 40;
    if (dns_len > 512)
        return;
    memset(pkt, 0, ip_len + 8);
    unsigned char *ans = pkt + ip_len + 8, *u = pkt + ip_len;
    memcpy(ans, query, dns_len);
    ans[2] = (unsigned char)(0x80 | (query[2] & 0x79)); /* QR, same opcode, RD */
    ans[3] = 0x80 | 5;                                  /* RA, rcode REFUSED */
    memset(ans + 6, 0, 6);                              /* no answer/authority/additional */
    size_t udp_len = 8 + dns_len;
    memcpy(u, udp + 2, 2); /* source port: the query's destination */
    memcpy(u + 2, udp, 2);
    u[4] = (unsigned char)(udp_len >> 8);
    u[5] = (unsigned char)udp_len;
    size_t alen = v->family == AF_INET ? 4 : 16;
    uint32_t sum = checksum_add(0, v->dst, alen);
    sum = checksum_add(sum, v->src, alen);
    sum += IPPROTO_UDP + (uint32_t)udp_len;
    uint16_t c = checksum_fold(checksum_add(sum, u, udp_len));
    c = c ? c : 0xffff;
    u[6] = (unsigned char)(c >> 8);
    u[7] = (unsigned char)c;
    if (v->family == AF_INET) {
        pkt[0] = 0x45;
        pkt[2] = (unsigned char)((20 + udp_len) >> 8);
        pkt[3] = (unsigned char)(20 + udp_len);
        pkt[8] = 64;
        pkt[9] = IPPROTO_UDP;
        memcpy(pkt + 12, v->dst, 4);
        memcpy(pkt + 16, v->src, 4);
        uint16_t hc = checksum_fold(checksum_add(0, pkt, 20));
        pkt[10] = (unsigned char)(hc >> 8);
        pkt[11] = (unsigned char)hc;
        struct sockaddr_in to = {.sin_family = AF_INET};
        memcpy(&to.sin_addr, v->src, 4);
        if (e->raw4 >= 0 && sendto(e->raw4, pkt, 20 + udp_len, 0, (struct sockaddr *)&to, sizeof(to)) > 0)
            atomic_fetch_add(&e->cfg->stats->refused, 1);
    } else {
        pkt[0] = 0x60;
        pkt[4] = (unsigned char)(udp_len >> 8);
        pkt[5] = (unsigned char)udp_len;
        pkt[6] = IPPROTO_UDP;
        pkt[7] = 64;
        memcpy(pkt + 8, v->dst, 16);
        memcpy(pkt + 24, v->src, 16);
        struct sockaddr_in6 to = {.sin6_family = AF_INET6};
        memcpy(&to.sin6_addr, v->src, 16);
        if (e->raw6 >= 0 && sendto(e->raw6, pkt, 40 + udp_len, 0, (struct sockaddr *)&to, sizeof(to)) > 0)
            atomic_fetch_add(&e->cfg->stats->refused, 1);
    }
}

/* DNS mode: 1 = the query is ours (dropped, maybe answered), 0 = let it go. */
static int handle_dns(engine *e, const unsigned char *payload, size_t len) {
    pkt_view v;
    if (!parse_ip(payload, len, &v))
        return 0;
    if (v.proto == IPPROTO_TCP)
        return e->cfg->domain[0] ? 0 : 1; /* a TCP query's name is not in every segment */
    if (v.proto != IPPROTO_UDP || v.l4_len < 8 + 12)
        return 0;
    const unsigned char *dns = v.l4 + 8;
    size_t dns_len = v.l4_len - 8;
    if (dns[2] & 0x80)
        return 0; /* an answer, not a query */
    char name[256];
    int end = fl_dns_query_name(dns, dns_len, name, sizeof(name));
    if (end < 0 || !fl_dns_name_matches(name, e->cfg->domain))
        return 0;
    if (e->cfg->refuse)
        forge_refused(e, &v, (size_t)end);
    return 1;
}

/* ---- receiving ---- */
static int on_packet(const struct nlmsghdr *nlh, void *data) {
    engine *e = data;
    struct nlattr *attr[NFQA_MAX + 1] = {0};
    if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
        return MNL_CB_OK;
    const struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
    uint32_t id = ntohl(ph->packet_id);
    const unsigned char *payload = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload(attr[NFQA_PAYLOAD]) : NULL;
    size_t copied = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]) : 0;
    size_t wire_len = attr[NFQA_CAP_LEN] ? ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : copied;
    fl_engine_stats *s = e->cfg->stats;
    atomic_fetch_add(&s->packets, 1);
    int64_t now = now_ns();

    if (e->cfg->mode == FL_ENGINE_DNS) {
        if (payload && handle_dns(e, payload, copied)) {
            verdict(e, id, NF_DROP);
            atomic_fetch_add(&s->dropped, 1);
        } else {
            verdict(e, id, NF_ACCEPT);
        }
        return MNL_CB_OK;
    }

    int64_t release;
    if (e->cfg->mode == FL_ENGINE_RATE) {
        /* A link of the given rate: each packet leaves once the ones before
         * it and itself have been "transmitted"; a backlog longer than the
         * limit is dropped, as a router's queue would. */
        int64_t tx = (int64_t)((double)wire_len * 8.0 * 1e9 / e->cfg->rate_bits_per_s);
        int64_t start = e->link_free_ns > now ? e->link_free_ns : now;
        int64_t limit = (int64_t)(2.0 * 65536 * 8 * 1e9 / e->cfg->rate_bits_per_s);
        if (limit < 500000000)
            limit = 500000000;
        if (start + tx - now > limit) {
            verdict(e, id, NF_DROP);
            atomic_fetch_add(&s->dropped, 1);
            return MNL_CB_OK;
        }
        release = e->link_free_ns = start + tx;
    } else {
        release = now + sample_delay_ns(e);
        pkt_view v;
        if (e->cfg->jitter_us > 0 && payload && parse_ip(payload, copied, &v)) {
            unsigned b = flow_bucket(&v);
            if (release < e->flow_floor[b])
                release = e->flow_floor[b];
            e->flow_floor[b] = release;
        }
    }
    if (release <= now) {
        verdict(e, id, NF_ACCEPT);
        atomic_fetch_add(&s->delayed, 1);
        return MNL_CB_OK;
    }
    if (heap_push(e, (held){.release_ns = release, .seq = e->seq++, .id = id}) != 0) {
        verdict(e, id, NF_ACCEPT); /* out of memory: let it pass rather than lose it */
        return MNL_CB_OK;
    }
    atomic_fetch_add(&s->delay_us, (uint64_t)((release - now) / 1000));
    return MNL_CB_OK;
}

static void release_due(engine *e, int64_t now) {
    while (e->n_held && e->heap[0].release_ns <= now) {
        held h = heap_pop(e);
        verdict(e, h.id, NF_ACCEPT);
        atomic_fetch_add(&e->cfg->stats->delayed, 1);
    }
}

/* ---- queue setup ---- */
static int config_msg(engine *e, uint16_t queue, int kind, uint32_t arg) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
    nlh->nlmsg_flags |= NLM_F_ACK;
    if (kind == 0) {
        nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
    } else {
        nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)arg);
        nfq_nlmsg_cfg_put_qmaxlen(nlh, e->cfg->queue_maxlen ? e->cfg->queue_maxlen : 65536);
        /* GSO: take aggregated packets as they are (we never rewrite them);
         * FAIL_OPEN: a full queue accepts rather than drops. */
        uint32_t flags = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
        mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
        mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
    }
    if (mnl_socket_sendto(e->nl, nlh, nlh->nlmsg_len) < 0)
        return -1;
    int n = (int)mnl_socket_recvfrom(e->nl, buf, sizeof(buf));
    if (n < 0)
        return -1;
    return mnl_cb_run(buf, (size_t)n, 0, e->portid, NULL, NULL) < 0 ? -1 : 0;
}

static void fail_setup(engine *e, const char *what) {
    snprintf(e->cfg->stats->error, sizeof(e->cfg->stats->error), "%s: %s", what, strerror(errno));
    _exit(1);
}

void fl_engine_main(void *arg) {
    engine *e = calloc(1, sizeof(*e));
    e->cfg = arg;
    e->raw4 = e->raw6 = -1;
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake on time: the delay is the product */
    int saved;
    fl_error err;
    if (fl_netns_enter(&e->cfg->netns, &saved, &err) != 0) {
        snprintf(e->cfg->stats->error, sizeof(e->cfg->stats->error), "%s", err.message);
        _exit(1);
    }
    /* Stay in the target namespace: the queue and raw sockets live there. */
    if (saved >= 0)
        close(saved);
    if (getrandom(&e->rng, sizeof(e->rng), 0) != (ssize_t)sizeof(e->rng) || e->rng == 0)
        e->rng = (uint64_t)now_ns() | 1;
    e->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!e->nl || mnl_socket_bind(e->nl, 0, MNL_SOCKET_AUTOPID) < 0)
        fail_setup(e, "nfnetlink socket");
    e->portid = mnl_socket_get_portid(e->nl);
    int one = 1, rcvbuf = 16 << 20;
    setsockopt(mnl_socket_get_fd(e->nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
    if (setsockopt(mnl_socket_get_fd(e->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
        setsockopt(mnl_socket_get_fd(e->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    /* A free queue number: binding fails with EBUSY if another process
     * (another fault's engine) holds it. */
    int bound = -1;
    for (int i = 0; i < QUEUE_TRIES && bound < 0; i++) {
        uint16_t q = (uint16_t)(e->cfg->queue_base + i);
        if (config_msg(e, q, 0, 0) == 0)
            bound = q;
        else if (errno != EBUSY && errno != EEXIST)
            fail_setup(e, "binding an nfnetlink queue (is nfnetlink_queue available?)");
    }
    if (bound < 0)
        fail_setup(e, "no free nfnetlink queue");
    e->queue = (uint16_t)bound;
    int copy = e->cfg->mode == FL_ENGINE_DNS ? 1500 : 128;
    if (config_msg(e, e->queue, 1, (uint32_t)copy) != 0)
        fail_setup(e, "configuring the nfnetlink queue");
    if (e->cfg->mode == FL_ENGINE_DNS && e->cfg->refuse) {
        e->raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        e->raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    }
    size_t vcap = (size_t)VERDICT_BATCH * MNL_ALIGN(NLMSG_HDRLEN + 64);
    e->verdicts = malloc(vcap);
    size_t bufsize = 1 << 20;
    char *buf = malloc(bufsize);

    sigset_t term, waiting;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &waiting);
    sigdelset(&waiting, SIGTERM);
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);

    atomic_store(&e->cfg->stats->queue_num, bound);
    fl_worker_ready();

    /* A timerfd, not ppoll's timeout: poll adds 0.1% of the timeout as
     * slack (2 ms on a 2 s delay); an absolute hrtimer does not. */
    int fd = mnl_socket_get_fd(e->nl);
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (timer < 0)
        fail_setup(e, "timerfd");
    /* Waking from a timer takes time (scheduler, idle states: 50-400 us
     * here); the engine learns how late it wakes and arms that much early,
     * at most 0.5 ms, so packets leave when they are due. */
    int64_t armed = -1, lateness = 0;
    while (!drain_requested) {
        release_due(e, now_ns() + lateness);
        flush_verdicts(e);
        int64_t next = e->n_held ? e->heap[0].release_ns - lateness : 0;
        if (next != armed) {
            struct itimerspec its = {.it_value = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000}};
            timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, NULL); /* 0 disarms */
            armed = next;
        }
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = timer, .events = POLLIN}};
        int n = ppoll(p, 2, NULL, &waiting);
        if (n <= 0)
            continue;
        if (p[1].revents & POLLIN) {
            uint64_t expirations;
            if (read(timer, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations) && armed > 0) {
                int64_t late = now_ns() - armed;
                lateness += (late - lateness) / 8;
                lateness = lateness < 0 ? 0 : lateness > 500000 ? 500000 : lateness;
            }
            armed = -1;
        }
        if (!(p[0].revents & POLLIN))
            continue;
        /* Drain what is there, without blocking. */
        for (int rounds = 0; rounds < 64; rounds++) {
            ssize_t got = recv(fd, buf, bufsize, MSG_DONTWAIT);
            if (got <= 0)
                break;
            /* Error messages (a verdict for a packet the kernel already
             * dropped) stop mnl_cb_run; the packets before them are done. */
            mnl_cb_run(buf, (size_t)got, 0, e->portid, on_packet, e);
        }
    }
    /* An orderly stop: everything held goes out now, none is lost. */
    while (e->n_held) {
        held h = heap_pop(e);
        verdict(e, h.id, NF_ACCEPT);
    }
    flush_verdicts(e);
    _exit(0);
}

/* ---- the drain undo operation ---- */
json_t *fl_undo_engine_drain(pid_t pid) {
    unsigned long long start = 0;
    if (fl_proc_start_ticks(pid, &start) != 0)
        return NULL;
    return json_pack("{s:s, s:i, s:I, s:s}", "op", "engine_drain", "pid", (int)pid, "start", (json_int_t)start, "label",
                     "fl-net-engine");
}

int fl_net_undo_engine_drain(json_t *op, fl_error *err) {
    (void)err;
    pid_t pid = (pid_t)json_integer_value(json_object_get(op, "pid"));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(op, "start"));
    if (!fl_proc_is(pid, start))
        return 0;
    kill(pid, SIGTERM);
    /* The kill operation journaled before this one follows; give the
     * engine a moment to hand back what it holds. */
    for (int i = 0; i < 100 && fl_proc_is(pid, start); i++) {
        char state = fl_proc_state(pid);
        if (state == 'Z' || state == 0)
            break;
        fl_sleep_us(2000);
    }
    return 0;
}
