/* The packet engine: a worker process bound to the nfnetlink queues the
 * fault's nftables rules feed (one for egress packets, one for ingress),
 * which decides what happens to each matched packet: held for a delay or a
 * link's pace, dropped, corrupted, duplicated, let overtaken, or a DNS query
 * dropped or answered.
 *
 * What the sender sees is what it would see on a real network:
 *  - A dropped packet is one the kernel already handed to the queue (the
 *    hook "stole" it): the socket's sendto() succeeded, and TCP retransmits
 *    after its timeout as after any loss on the path.
 *  - A held egress packet is copied and its original dropped at once, so it
 *    is no longer charged to the sending socket: a UDP sender's sendto() is
 *    not blocked by a full socket buffer, TCP's small-queue limit does not
 *    throttle it, and its window alone decides how much is in flight. The
 *    copy is re-sent when due through a raw socket (routed out of the same
 *    device, with the packet's mark), whose socket mark the fault's chains
 *    let pass. An ingress packet has left its sender's socket already
 *    (ip_rcv orphans it), so the kernel keeps it until the engine's verdict.
 *
 * Accounting: every packet the kernel hands over is counted; packet ids are
 * sequential per queue, so a gap is packets the kernel let through because
 * the engine's socket was full (fail-open), counted as bypassed; so are
 * packets that would take the held memory beyond --max-held-bytes. Held
 * packets released more than max(0.5 ms, 2% of their delay) after they were
 * due are counted late. The counters live in a file mapped by the
 * supervisor (STATE/faults/ID.engine), readable by anyone.
 *
 * Fail-open: the queue rules carry `bypass`, so once no process is bound
 * (this worker died: kill -9, crash, out of memory (fl_xmalloc aborts),
 * its supervisor's death via PDEATHSIG) the kernel accepts matching
 * packets again at once. Packets held at that instant are lost, as on a
 * link that went down (TCP retransmits them); an orderly stop (SIGTERM,
 * from the engine_drain undo) releases them first.
 *
 * Order: packets of one flow are released in arrival order even with
 * jitter (a per-flow release floor), so jitter does not turn into TCP
 * reordering and spurious retransmits. */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define FLOW_BUCKETS 4096
#define QUEUE_TRIES 256
#define VERDICT_BATCH 256
#define RAW_BATCH 64
#define RECV_BATCH 32
#define RECV_BUF (65536 + 4096)
#define MTU_SLOTS 64
/* Polling rather than sleeping: when the next release is closer than the
 * time a wake-up takes (+ this slop), and while traffic runs at BUSY_PPS or
 * more (until it pauses for BUSY_IDLE_NS). */
#define POLL_SLOP_NS 20000
/* At most this many egress packets wait for the engine, below the ~250
 * small datagrams a default UDP send buffer holds: beyond, the kernel lets
 * packets through (fail-open, counted) rather than make the sender wait. */
#define EGRESS_BACKLOG 224
#define BEHIND_NS 1000000
#define TALLY_INTERVAL_NS 100000000
#define MAX_LATENESS_NS 300000
#define BUSY_PPS 20000.0
#define BUSY_IDLE_NS 200000
#define OUT 0
#define IN 1
/* What a packet the kernel holds costs beyond its bytes (sk_buff, shared
 * info): counted against --max-held-bytes, which bounds memory. */
#define KERNEL_HELD_OVERHEAD 640

typedef struct held_pkt {
    int64_t due_ns, arrived_ns;
    struct held_pkt *flow_next; /* reorder: the packets of its flow waiting */
    uint64_t cost;              /* bytes counted against the cap */
    uint32_t id;                /* kernel-held: its packet id */
    uint32_t len;               /* IP bytes */
    uint32_t countdown;         /* reorder: later packets still to overtake it */
    uint32_t mark;
    int oif;
    uint16_t flow;
    uint8_t dir;    /* OUT or IN */
    uint8_t copied; /* 1: the engine holds a copy (the original is dropped) */
    uint8_t done;   /* reorder: released before its deadline */
    uint8_t family;
    unsigned char data[];
} held_pkt;

typedef struct heap_ent {
    int64_t due;
    uint64_t seq; /* arrival order breaks ties */
    held_pkt *p;
} heap_ent;

typedef struct mtu_slot {
    int ifindex;
    unsigned mtu;
    int64_t checked_ns;
} mtu_slot;

typedef struct engine {
    const fl_engine_config *cfg;
    fl_engine_shared *shared;
    struct mnl_socket *nl;
    unsigned portid;
    uint16_t queue[2];
    bool bound[2];
    int raw[2];     /* AF_INET, AF_INET6 */
    bool mark_cmsg; /* the kernel takes SO_MARK per message */
    uint32_t mark;  /* FL_NET_ENGINE_MARK: its raw sockets' */
    heap_ent *heap;
    size_t n_held, cap_held;
    uint64_t seq;
    uint64_t c[FL_EC_COUNT];
    int64_t flow_floor[FLOW_BUCKETS];
    held_pkt *flow_wait[FLOW_BUCKETS]; /* reorder */
    int64_t link_free_ns[2];           /* rate: when each direction's link is idle */
    uint64_t rng;
    double gauss_spare;
    bool have_spare;
    double ar;   /* correlated jitter: the last normal value */
    bool ge_bad; /* Gilbert-Elliott: in the loss state */
    double ge_enter, ge_leave;
    int64_t limit_ns; /* rate: the longest backlog a link queues */
    fl_dns_flows *dns;
    mtu_slot mtu[MTU_SLOTS];
    /* Output, in order: verdicts or raw sends, flushed on a switch. */
    int out_kind; /* 0 none, 1 verdicts, 2 raw */
    /* Egress drops (the originals of held copies, mostly) go as one batch
     * verdict "drop every packet up to this id": ids come in order, and
     * every other verdict for a lower id was sent before it. Only while the
     * kernel holds no egress packet for a later verdict. */
    uint32_t drop_upto;
    bool drop_pending;
    size_t kernel_held[2];
    /* Packets per second, to decide whether to poll rather than sleep. */
    uint64_t rate_count;
    int64_t rate_since;
    double rate_pps;
    /* Kernel-side bypass: the fault's tally chains count the matched
     * packets that went on past its chain; those the engine accepted are
     * the rest. */
    struct nft_ctx *nft;
    uint64_t accepted[2], tally[2], kernel_bypassed;
    int64_t tally_read_ns;
    char *verdicts;
    size_t verdicts_len, n_verdicts;
    struct mmsghdr raw_msgs[RAW_BATCH];
    struct iovec raw_iov[RAW_BATCH];
    struct sockaddr_in6 raw_to[RAW_BATCH];
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
        struct cmsghdr align;
    } raw_ctl[RAW_BATCH];
    held_pkt *raw_owner[RAW_BATCH]; /* freed once sent */
    size_t n_raw;
    int raw_family;
    unsigned char reply[40 + 20 + 2 + 600];
} engine;

static volatile sig_atomic_t drain_requested;
static void on_term(int signo) {
    (void)signo;
    drain_requested = 1;
}

/* ---- randomness (xorshift64*), seeded from getrandom ---- */
static double uniform01(engine *e) {
    e->rng ^= e->rng >> 12;
    e->rng ^= e->rng << 25;
    e->rng ^= e->rng >> 27;
    return (double)((e->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double gauss(engine *e) {
    if (e->have_spare) {
        e->have_spare = false;
        return e->gauss_spare;
    }
    double u1 = uniform01(e), u2 = uniform01(e);
    if (u1 < 1e-300)
        u1 = 1e-300;
    double r = sqrt(-2.0 * log(u1));
    e->gauss_spare = r * sin(2.0 * M_PI * u2);
    e->have_spare = true;
    return r * cos(2.0 * M_PI * u2);
}

static bool chance(engine *e, double p) { return p >= 1.0 || (p > 0 && uniform01(e) < p); }

/* ---- the fault models ---- */
/* Delay + jitter. With correlation, successive jitter values follow an
 * AR(1) process on a standard normal (x' = c x + sqrt(1-c^2) z), which keeps
 * the distribution's shape and spread; uniform jitter maps that normal
 * through its CDF. */
static int64_t sample_delay_ns(engine *e) {
    const fl_engine_config *c = e->cfg;
    double d = (double)c->delay_us;
    if (c->jitter_us > 0) {
        double z;
        if (c->correlation > 0) {
            e->ar = c->correlation * e->ar + sqrt(1.0 - c->correlation * c->correlation) * gauss(e);
            z = e->ar;
        } else {
            z = c->distribution == FL_JITTER_UNIFORM ? 0 : gauss(e);
        }
        if (c->distribution == FL_JITTER_UNIFORM) {
            double u = c->correlation > 0 ? 0.5 * erfc(-z / M_SQRT2) : uniform01(e);
            d += (u * 2.0 - 1.0) * (double)c->jitter_us;
        } else {
            d += z * (double)c->jitter_us;
        }
    }
    return d < 0 ? 0 : (int64_t)(d * 1000.0);
}

/* Loss, independent or in bursts (a Gilbert model: a good state that loses
 * nothing and a bad one that loses everything; leaving the bad state with
 * probability 1/burst makes runs of losses average `burst` packets, and the
 * entry probability keeps the long-run share at `probability`). */
static bool lose(engine *e) {
    const fl_engine_config *c = e->cfg;
    if (c->probability >= 1.0)
        return true;
    if (c->burst <= 1.0)
        return chance(e, c->probability);
    if (e->ge_bad) {
        if (uniform01(e) < e->ge_leave)
            e->ge_bad = false;
    } else if (uniform01(e) < e->ge_enter) {
        e->ge_bad = true;
    }
    return e->ge_bad;
}

static unsigned flow_bucket(const unsigned char *pkt, size_t len) {
    fl_pkt_view v;
    if (!pkt || !fl_pkt_parse(pkt, len, &v))
        return 0;
    uint64_t h = 1469598103934665603ULL;
    size_t alen = v.family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < alen; i++)
        h = (h ^ v.src[i]) * 1099511628211ULL;
    for (size_t i = 0; i < alen; i++)
        h = (h ^ v.dst[i]) * 1099511628211ULL;
    h = (h ^ (uint64_t)v.proto) * 1099511628211ULL;
    if ((v.proto == IPPROTO_TCP || v.proto == IPPROTO_UDP) && v.l4_len >= 4)
        for (int i = 0; i < 4; i++)
            h = (h ^ v.l4[i]) * 1099511628211ULL;
    return (unsigned)(h % FLOW_BUCKETS);
}

/* ---- the min-heap of held packets ---- */
static bool earlier(const heap_ent *a, const heap_ent *b) {
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(engine *e, held_pkt *p) {
    if (e->n_held == e->cap_held) {
        size_t cap = e->cap_held ? e->cap_held * 2 : 4096;
        e->heap = fl_xreallocarray(e->heap, cap, sizeof(*e->heap));
        e->cap_held = cap;
    }
    heap_ent h = {.due = p->due_ns, .seq = e->seq++, .p = p};
    size_t i = e->n_held++;
    while (i > 0 && earlier(&h, &e->heap[(i - 1) / 2])) {
        e->heap[i] = e->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    e->heap[i] = h;
}

static held_pkt *heap_pop(engine *e) {
    heap_ent top = e->heap[0], last = e->heap[--e->n_held];
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
    return top.p;
}

/* ---- output, in order: verdicts and raw sends ---- */
static void flush_verdicts(engine *e) {
    if (e->drop_pending) {
        struct nlmsghdr *nlh = nfq_nlmsg_put(e->verdicts + e->verdicts_len, NFQNL_MSG_VERDICT_BATCH, e->queue[OUT]);
        nfq_nlmsg_verdict_put(nlh, (int)e->drop_upto, NF_DROP);
        e->verdicts_len += MNL_ALIGN(nlh->nlmsg_len);
        e->drop_pending = false;
    }
    if (e->verdicts_len)
        mnl_socket_sendto(e->nl, e->verdicts, e->verdicts_len);
    e->verdicts_len = 0;
    e->n_verdicts = 0;
}

static void flush_raw(engine *e) {
    size_t i = 0;
    int fd = e->raw[e->raw_family == AF_INET ? 0 : 1];
    while (i < e->n_raw) {
        int n = sendmmsg(fd, e->raw_msgs + i, (unsigned)(e->n_raw - i), 0);
        if (n > 0) {
            i += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == ENOBUFS) {
            /* The device's queue is full: wait for room (these packets
             * will be late, and counted so). */
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 5);
            continue;
        }
        if (errno == EINVAL && e->mark_cmsg) {
            /* An older kernel without SO_MARK per message: the copies carry
             * the engine's socket mark instead of their own. */
            e->mark_cmsg = false;
            for (size_t k = i; k < e->n_raw; k++)
                e->raw_msgs[k].msg_hdr.msg_controllen -= CMSG_SPACE(sizeof(uint32_t));
            continue;
        }
        e->c[FL_EC_ERRORS]++; /* refused (a firewall's drop, no route): as on the path */
        i++;
    }
    for (size_t k = 0; k < e->n_raw; k++)
        free(e->raw_owner[k]);
    e->n_raw = 0;
}

static void flush_output(engine *e) {
    if (e->out_kind == 1)
        flush_verdicts(e);
    else if (e->out_kind == 2)
        flush_raw(e);
    e->out_kind = 0;
}

static void verdict(engine *e, int dir, uint32_t id, int what, const unsigned char *payload, size_t len) {
    if (e->out_kind != 1)
        flush_output(e);
    e->out_kind = 1;
    if (what == NF_ACCEPT)
        e->accepted[dir]++;
    if (what == NF_DROP && dir == OUT && !payload && e->kernel_held[OUT] == 0) {
        e->drop_upto = id;
        e->drop_pending = true;
        return;
    }
    if (payload && e->verdicts_len + len + 256 > (size_t)VERDICT_BATCH * 128 + 70000)
        flush_verdicts(e);
    struct nlmsghdr *nlh = nfq_nlmsg_put(e->verdicts + e->verdicts_len, NFQNL_MSG_VERDICT, e->queue[dir]);
    nfq_nlmsg_verdict_put(nlh, (int)id, what);
    if (payload)
        nfq_nlmsg_verdict_put_pkt(nlh, payload, (uint32_t)len);
    e->verdicts_len += MNL_ALIGN(nlh->nlmsg_len);
    if (++e->n_verdicts >= VERDICT_BATCH)
        flush_verdicts(e);
}

/* Queues one IP packet for the raw socket of its family. owner (may be
 * NULL) is freed once sent. mark: the packet's own mark (egress copies) or
 * the engine's (packets sent towards this host). */
static void raw_send(engine *e, int family, const unsigned char *data, size_t len, int oif, uint32_t mark,
                     held_pkt *owner) {
    if (e->out_kind != 2 || (e->n_raw && e->raw_family != family))
        flush_output(e);
    e->out_kind = 2;
    e->raw_family = family;
    size_t i = e->n_raw++;
    struct msghdr *m = &e->raw_msgs[i].msg_hdr;
    memset(m, 0, sizeof(*m));
    memset(&e->raw_to[i], 0, sizeof(e->raw_to[i]));
    e->raw_iov[i] = (struct iovec){.iov_base = (void *)data, .iov_len = len};
    m->msg_iov = &e->raw_iov[i];
    m->msg_iovlen = 1;
    m->msg_name = &e->raw_to[i];
    m->msg_control = e->raw_ctl[i].buf;
    struct cmsghdr *cm = (struct cmsghdr *)e->raw_ctl[i].buf;
    size_t ctl = 0;
    if (family == AF_INET) {
        struct sockaddr_in *to = (struct sockaddr_in *)&e->raw_to[i];
        to->sin_family = AF_INET;
        memcpy(&to->sin_addr, data + 16, 4);
        m->msg_namelen = sizeof(*to);
        if (oif > 0) {
            cm->cmsg_level = IPPROTO_IP;
            cm->cmsg_type = IP_PKTINFO;
            cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
            struct in_pktinfo pi = {.ipi_ifindex = oif};
            memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
            ctl += CMSG_SPACE(sizeof(struct in_pktinfo));
        }
    } else {
        struct sockaddr_in6 *to = &e->raw_to[i];
        to->sin6_family = AF_INET6;
        memcpy(&to->sin6_addr, data + 24, 16);
        to->sin6_scope_id = oif > 0 ? (uint32_t)oif : 0;
        m->msg_namelen = sizeof(*to);
        if (oif > 0) {
            cm->cmsg_level = IPPROTO_IPV6;
            cm->cmsg_type = IPV6_PKTINFO;
            cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
            struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)oif};
            memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
            ctl += CMSG_SPACE(sizeof(struct in6_pktinfo));
        }
    }
    if (e->mark_cmsg) {
        struct cmsghdr *mk = (struct cmsghdr *)(e->raw_ctl[i].buf + ctl);
        mk->cmsg_level = SOL_SOCKET;
        mk->cmsg_type = SO_MARK;
        mk->cmsg_len = CMSG_LEN(sizeof(uint32_t));
        memcpy(CMSG_DATA(mk), &mark, sizeof(mark));
        ctl += CMSG_SPACE(sizeof(uint32_t));
    }
    m->msg_controllen = ctl;
    if (!ctl)
        m->msg_control = NULL;
    e->raw_owner[i] = owner;
    if (e->n_raw == RAW_BATCH)
        flush_output(e);
}

/* ---- device MTUs (a copy larger than its device's MTU cannot be re-sent
 * whole through a raw socket: the kernel keeps such a packet instead) ---- */
static unsigned device_mtu(engine *e, int ifindex, int64_t now) {
    mtu_slot *s = &e->mtu[(unsigned)ifindex % MTU_SLOTS];
    if (s->ifindex == ifindex && now - s->checked_ns < 1000000000)
        return s->mtu;
    struct ifreq ifr = {0};
    unsigned mtu = 0;
    if (if_indextoname((unsigned)ifindex, ifr.ifr_name) &&
        ioctl(e->raw[0] >= 0 ? e->raw[0] : e->raw[1], SIOCGIFMTU, &ifr) == 0)
        mtu = (unsigned)ifr.ifr_mtu;
    *s = (mtu_slot){.ifindex = ifindex, .mtu = mtu, .checked_ns = now};
    return mtu;
}

/* ---- accounting ---- */
static void count_held(engine *e, uint64_t cost) {
    e->c[FL_EC_HELD]++;
    e->c[FL_EC_HELD_PACKETS]++;
    e->c[FL_EC_HELD_BYTES] += cost;
    if (e->c[FL_EC_HELD_PACKETS] > e->c[FL_EC_PEAK_HELD_PACKETS])
        e->c[FL_EC_PEAK_HELD_PACKETS] = e->c[FL_EC_HELD_PACKETS];
    if (e->c[FL_EC_HELD_BYTES] > e->c[FL_EC_PEAK_HELD_BYTES])
        e->c[FL_EC_PEAK_HELD_BYTES] = e->c[FL_EC_HELD_BYTES];
}

static void publish(engine *e) {
    for (int i = 0; i < FL_EC_COUNT; i++) {
        uint64_t v = e->c[i];
        if (i == FL_EC_MATCHED || i == FL_EC_BYPASSED)
            v += e->kernel_bypassed; /* matched packets that never reached us */
        atomic_store_explicit(&e->shared->counters[i], v, memory_order_relaxed);
    }
}

/* Reads the tally counters (after every verdict so far was sent, so that
 * the packets accepted are in them). */
static void read_tallies(engine *e) {
    if (!e->nft)
        return;
    for (int dir = 0; dir < 2; dir++) {
        if (!e->bound[dir])
            continue;
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "list counter inet %s %s\n", e->cfg->table, dir == OUT ? "tally_out" : "tally_in");
        if (nft_run_cmd_from_buffer(e->nft, cmd) != 0)
            continue; /* the table is not there yet, or gone */
        json_t *doc = json_loads(nft_ctx_get_output_buffer(e->nft), 0, NULL);
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(doc, "nftables"), i, item) {
            json_t *c = json_object_get(item, "counter");
            if (json_is_object(c))
                e->tally[dir] = (uint64_t)json_integer_value(json_object_get(c, "packets"));
        }
        json_decref(doc);
    }
    uint64_t kb = 0;
    for (int dir = 0; dir < 2; dir++)
        if (e->tally[dir] > e->accepted[dir])
            kb += e->tally[dir] - e->accepted[dir];
    if (kb > e->kernel_bypassed)
        e->kernel_bypassed = kb;
}

/* ---- one packet in ---- */
typedef struct pkt_in {
    int dir;
    uint32_t id;
    const unsigned char *data; /* the copied bytes (may be truncated) */
    size_t copied, len;        /* len: the whole packet */
    uint32_t mark;
    int oif;
    int64_t now;
} pkt_in;

static bool whole(const pkt_in *p) { return p->data && p->copied == p->len && p->len >= 20; }

/* Releases a held packet now: the copy re-sent, or the kernel's verdict. */
static void emit(engine *e, held_pkt *p, bool free_after) {
    e->c[FL_EC_HELD_PACKETS]--;
    e->c[FL_EC_HELD_BYTES] -= p->cost;
    if (p->copied) {
        raw_send(e, p->family, p->data, p->len, p->oif, p->mark, free_after ? p : NULL);
    } else {
        verdict(e, p->dir, p->id, NF_ACCEPT, NULL, 0);
        e->kernel_held[p->dir]--;
        if (free_after)
            free(p);
    }
}

/* Holds a packet until `due`; NULL if it cannot (over the cap, an egress
 * packet that cannot be re-sent whole): the caller lets it pass, counted as
 * bypassed. */
static held_pkt *hold(engine *e, const pkt_in *in, int64_t due, unsigned flow) {
    bool copy = in->dir == OUT && !e->cfg->egress_kernel_hold;
    /* A copy larger than its device's MTU cannot go through a raw socket
     * (IP fragments of a large UDP datagram are made after this hook). */
    if (copy && (!whole(in) || in->oif <= 0 || in->len > device_mtu(e, in->oif, in->now)))
        return NULL;
    uint64_t cost = copy ? sizeof(held_pkt) + in->len : in->len + KERNEL_HELD_OVERHEAD;
    if (e->c[FL_EC_HELD_BYTES] + cost > e->cfg->max_held_bytes)
        return NULL;
    held_pkt *p = fl_xmalloc(sizeof(held_pkt) + (copy ? in->len : 0));
    *p = (held_pkt){.due_ns = due,
                    .arrived_ns = in->now,
                    .cost = cost,
                    .id = in->id,
                    .len = (uint32_t)in->len,
                    .mark = in->mark,
                    .oif = in->oif,
                    .flow = (uint16_t)flow,
                    .dir = (uint8_t)in->dir,
                    .copied = copy,
                    .family = (uint8_t)(in->data && (in->data[0] >> 4) == 6 ? AF_INET6 : AF_INET)};
    if (copy)
        memcpy(p->data, in->data, in->len);
    heap_push(e, p);
    /* The copy is ours now: the original leaves the sender's account. (A
     * packet the kernel keeps gets its verdict when released.) */
    if (copy) {
        verdict(e, in->dir, in->id, NF_DROP, NULL, 0);
    } else {
        /* A batch drop must not reach a packet the kernel keeps. */
        if (in->dir == OUT && e->drop_pending)
            flush_output(e);
        e->kernel_held[in->dir]++;
    }
    count_held(e, cost);
    return p;
}

static void pass(engine *e, const pkt_in *in, int counter) {
    verdict(e, in->dir, in->id, NF_ACCEPT, NULL, 0);
    e->c[counter]++;
}

static void drop(engine *e, const pkt_in *in) {
    verdict(e, in->dir, in->id, NF_DROP, NULL, 0);
    e->c[FL_EC_DROPPED]++;
}

/* Flips one bit of the transport payload (of the transport header when
 * there is no payload), so that the receiver's checksum fails. */
static void flip_bit(engine *e, unsigned char *pkt, size_t len) {
    fl_pkt_view v;
    size_t from = 0;
    if (fl_pkt_parse(pkt, len, &v)) {
        from = v.l4_off;
        size_t hdr = v.proto == IPPROTO_UDP                     ? 8
                     : v.proto == IPPROTO_TCP && v.l4_len >= 20 ? (size_t)(v.l4[12] >> 4) * 4
                                                                : 0;
        if (hdr && from + hdr < len)
            from += hdr;
    }
    if (from >= len)
        from = 0;
    size_t at = from + (size_t)(uniform01(e) * (double)(len - from));
    if (at >= len)
        at = len - 1;
    pkt[at] ^= (unsigned char)(1u << (unsigned)(uniform01(e) * 8.0));
}

/* Reorder: a packet of the flow went out; the ones waiting for it count
 * down, and go right after it once their gap is covered. */
static void flow_passed(engine *e, unsigned flow) {
    held_pkt **link = &e->flow_wait[flow];
    while (*link) {
        held_pkt *p = *link;
        if (--p->countdown == 0) {
            *link = p->flow_next;
            p->done = 1;
            emit(e, p, false); /* the heap entry frees it later */
            e->c[FL_EC_RELEASED]++;
        } else {
            link = &p->flow_next;
        }
    }
}

static void on_packet(engine *e, const pkt_in *in) {
    const fl_engine_config *c = e->cfg;
    e->c[FL_EC_MATCHED]++;
    switch (c->mode) {
    case FL_ENGINE_LOSS:
        if (lose(e))
            drop(e, in);
        else
            pass(e, in, FL_EC_PASSED);
        return;
    case FL_ENGINE_DNS: {
        size_t reply_len = 0;
        if (in->data && fl_dns_inspect(e->dns, in->data, in->copied, c->domain, c->refuse, e->reply, sizeof(e->reply),
                                       &reply_len)) {
            drop(e, in);
            if (reply_len) {
                raw_send(e, (e->reply[0] >> 4) == 6 ? AF_INET6 : AF_INET, e->reply, reply_len, 0, e->mark, NULL);
                flush_output(e); /* the reply buffer is reused */
                e->c[FL_EC_REFUSED]++;
            }
        } else {
            pass(e, in, FL_EC_PASSED);
        }
        return;
    }
    case FL_ENGINE_CORRUPT:
        if (!whole(in) || !chance(e, c->probability)) {
            pass(e, in, FL_EC_PASSED);
            return;
        }
        e->c[FL_EC_CORRUPTED]++;
        if (in->dir == IN) { /* the kernel takes the altered bytes */
            unsigned char *bad = fl_xmalloc(in->len);
            memcpy(bad, in->data, in->len);
            flip_bit(e, bad, in->len);
            verdict(e, IN, in->id, NF_ACCEPT, bad, in->len);
            flush_output(e);
            free(bad);
        } else { /* the original dropped, an altered copy sent in its place */
            held_pkt *p = fl_xmalloc(sizeof(held_pkt) + in->len);
            memcpy(p->data, in->data, in->len);
            flip_bit(e, p->data, in->len);
            verdict(e, OUT, in->id, NF_DROP, NULL, 0);
            raw_send(e, (in->data[0] >> 4) == 6 ? AF_INET6 : AF_INET, p->data, in->len, in->oif, in->mark, p);
        }
        return;
    case FL_ENGINE_DUPLICATE:
        if (!whole(in) || !chance(e, c->probability)) {
            pass(e, in, FL_EC_PASSED);
            return;
        }
        e->c[FL_EC_DUPLICATED]++;
        verdict(e, in->dir, in->id, NF_ACCEPT, NULL, 0);
        {
            held_pkt *p = fl_xmalloc(sizeof(held_pkt) + in->len);
            memcpy(p->data, in->data, in->len);
            /* An ingress copy is sent towards this host: it carries the
             * engine's mark, which the ingress chain lets pass (and clears). */
            raw_send(e, (in->data[0] >> 4) == 6 ? AF_INET6 : AF_INET, p->data, in->len, in->dir == OUT ? in->oif : 0,
                     in->dir == OUT ? in->mark : e->mark, p);
        }
        return;
    case FL_ENGINE_REORDER: {
        unsigned flow = flow_bucket(in->data, in->copied);
        if (!chance(e, c->probability)) {
            pass(e, in, FL_EC_PASSED);
            flow_passed(e, flow);
            return;
        }
        held_pkt *p = hold(e, in, in->now + c->reorder_wait_us * 1000, flow);
        if (!p) {
            pass(e, in, FL_EC_BYPASSED);
            return;
        }
        e->c[FL_EC_REORDERED]++;
        p->countdown = c->gap ? c->gap : 1;
        p->flow_next = e->flow_wait[flow];
        e->flow_wait[flow] = p;
        return;
    }
    case FL_ENGINE_RATE: {
        /* A link of the given rate per direction: each packet leaves once
         * the ones before it and itself have been "transmitted"; a backlog
         * longer than the limit is dropped, as a router's queue would (a
         * packet arriving at an idle link always gets on it). */
        int64_t tx = (int64_t)((double)in->len * 8.0 * 1e9 / c->rate_bits_per_s);
        int64_t start = e->link_free_ns[in->dir] > in->now ? e->link_free_ns[in->dir] : in->now;
        if (start > in->now && start + tx - in->now > e->limit_ns) {
            drop(e, in);
            return;
        }
        if (!hold(e, in, start + tx, 0)) {
            pass(e, in, FL_EC_BYPASSED);
            return;
        }
        e->link_free_ns[in->dir] = start + tx;
        return;
    }
    case FL_ENGINE_DELAY: {
        int64_t due = in->now + sample_delay_ns(e);
        unsigned flow = 0;
        if (c->jitter_us > 0 && in->data) {
            flow = flow_bucket(in->data, in->copied);
            if (due < e->flow_floor[flow])
                due = e->flow_floor[flow];
        }
        if (!hold(e, in, due, flow)) {
            pass(e, in, FL_EC_BYPASSED);
            return;
        }
        if (c->jitter_us > 0)
            e->flow_floor[flow] = due;
        return;
    }
    }
}

static void release_due(engine *e, int64_t now) {
    while (e->n_held && e->heap[0].due <= now) {
        held_pkt *p = heap_pop(e);
        if (p->done) { /* reorder: went out with its flow already */
            if (e->out_kind == 2)
                flush_output(e); /* its copy may still be queued for sending */
            free(p);
            continue;
        }
        if (e->cfg->mode == FL_ENGINE_REORDER) {
            /* Its flow fell silent: it goes alone, off the flow's list. */
            for (held_pkt **link = &e->flow_wait[p->flow]; *link; link = &(*link)->flow_next)
                if (*link == p) {
                    *link = p->flow_next;
                    break;
                }
            e->c[FL_EC_RELEASED]++;
        } else {
            /* Late: more than max(0.5 ms, 2% of its wait) after it was due;
             * on a link, more than two of its own transmission times too
             * (the link's own granularity). */
            int64_t actual = fl_mono_ns(), late = actual - p->due_ns, allowed = (p->due_ns - p->arrived_ns) / 50;
            if (e->cfg->mode == FL_ENGINE_RATE) {
                int64_t tx2 = (int64_t)((double)p->len * 16.0 * 1e9 / e->cfg->rate_bits_per_s);
                allowed = allowed > tx2 ? allowed : tx2;
            }
            e->c[late > (allowed > 500000 ? allowed : 500000) ? FL_EC_LATE : FL_EC_RELEASED]++;
        }
        emit(e, p, true);
    }
}

/* ---- receiving ---- */
static int on_message(const struct nlmsghdr *nlh, void *data) {
    engine *e = data;
    struct nlattr *attr[NFQA_MAX + 1] = {0};
    if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
        return MNL_CB_OK;
    const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
    uint16_t queue = ntohs(g->res_id);
    int dir = e->bound[OUT] && queue == e->queue[OUT] ? OUT : IN;
    const struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
    pkt_in in = {.dir = dir, .id = ntohl(ph->packet_id), .now = fl_mono_ns()};
    if (attr[NFQA_PAYLOAD]) {
        in.data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
        in.copied = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
    }
    in.len = attr[NFQA_CAP_LEN] ? ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : in.copied;
    in.mark = attr[NFQA_MARK] ? ntohl(mnl_attr_get_u32(attr[NFQA_MARK])) : 0;
    in.oif = attr[NFQA_IFINDEX_OUTDEV] ? (int)ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_OUTDEV])) : 0;
    e->rate_count++;
    on_packet(e, &in);
    return MNL_CB_OK;
}

/* ---- queue setup ---- */
static int config_msg(engine *e, uint16_t queue, int kind, uint32_t copy) {
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
    nlh->nlmsg_flags |= NLM_F_ACK;
    if (kind == 0) {
        nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
    } else {
        nfq_nlmsg_cfg_put_params(nlh, copy ? NFQNL_COPY_PACKET : NFQNL_COPY_META, (int)copy);
        /* Egress: packets waiting for the engine are charged to their
         * sender's socket, and a UDP socket's default buffer holds about
         * 260 small datagrams: past EGRESS_BACKLOG waiting, the kernel lets
         * packets through (fail-open, counted as bypassed by the tally)
         * rather than block the sender. Ingress: held packets are bounded
         * by --max-held-bytes, waiting ones by the socket buffer. */
        /* (Only where packets are held long as copies: with immediate
         * verdicts (loss, blackhole, dns, corrupt, duplicate, and reorder,
         * which holds a few packets briefly) a fault that let packets
         * through while the engine is behind would leak, or reorder: a
         * blackhole must not. There the sender waits out the stall.) */
        bool held_copies = e->cfg->mode == FL_ENGINE_DELAY || e->cfg->mode == FL_ENGINE_RATE;
        bool bounded = queue == e->queue[OUT] && e->bound[OUT] && held_copies && !e->cfg->egress_kernel_hold;
        nfq_nlmsg_cfg_put_qmaxlen(nlh, bounded ? EGRESS_BACKLOG : 1u << 22);
        /* FAIL_OPEN: a full queue or socket accepts rather than drops. No
         * GSO flag: the kernel hands over segments with complete checksums,
         * which a copy needs. */
        uint32_t flags = NFQA_CFG_F_FAIL_OPEN;
        mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
        mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags | NFQA_CFG_F_GSO));
    }
    if (mnl_socket_sendto(e->nl, nlh, nlh->nlmsg_len) < 0)
        return -1;
    int n = (int)mnl_socket_recvfrom(e->nl, buf, sizeof(buf));
    if (n < 0)
        return -1;
    return mnl_cb_run(buf, (size_t)n, 0, e->portid, NULL, NULL) < 0 ? -1 : 0;
}

static void fail_setup(engine *e, const char *what) {
    snprintf(e->shared->error, sizeof(e->shared->error), "%s: %s", what, strerror(errno));
    atomic_store(&e->shared->state, FL_ENGINE_FAILED);
    _exit(1);
}

/* Reads what the queues hold, without blocking, releasing what falls due
 * meanwhile. Returns how many messages were read. */
static int drain_queue(engine *e, int fd, struct mmsghdr *msgs, struct iovec *iov) {
    int total = 0;
    for (int rounds = 0; rounds < 16 && !drain_requested; rounds++) {
        /* Held packets first: when releasing falls behind, new packets wait
         * in the kernel's queue, which lets the excess through (counted)
         * rather than have everything held go out late. */
        if (e->n_held && fl_mono_ns() - e->heap[0].due > BEHIND_NS)
            break;
        for (int i = 0; i < RECV_BATCH; i++)
            msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
        int got = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0)
            break;
        for (int i = 0; i < got; i++)
            /* Error messages (a verdict for a packet the kernel already
             * dropped) stop mnl_cb_run; the packets before them are done. */
            mnl_cb_run(iov[i].iov_base, msgs[i].msg_len, 0, e->portid, on_message, e);
        total += got;
        flush_output(e); /* the originals' verdicts: their senders wait on them */
        release_due(e, fl_mono_ns());
        if (got < RECV_BATCH)
            break;
    }
    return total;
}

/* How much of each packet the engine needs to see. */
static uint32_t copy_range(const fl_engine_config *c, int dir) {
    switch (c->mode) {
    case FL_ENGINE_LOSS: return 0; /* the verdict only */
    case FL_ENGINE_DELAY:
    case FL_ENGINE_RATE:
    case FL_ENGINE_REORDER: return dir == OUT ? 0xffff : 128; /* egress: copies */
    case FL_ENGINE_CORRUPT:
    case FL_ENGINE_DUPLICATE:
    case FL_ENGINE_DNS: return 0xffff;
    }
    return 128;
}

static void open_raw(engine *e) {
    int families[2] = {AF_INET, AF_INET6};
    uint32_t mark = e->mark;
    int big = 8 << 20;
    for (int i = 0; i < 2; i++) {
        e->raw[i] = socket(families[i], SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
        if (e->raw[i] < 0)
            continue;
        if (setsockopt(e->raw[i], SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0)
            fail_setup(e, "marking the engine's raw socket (SO_MARK needs CAP_NET_ADMIN)");
        if (setsockopt(e->raw[i], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0)
            setsockopt(e->raw[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    }
    if (e->raw[0] < 0 && e->raw[1] < 0)
        fail_setup(e, "raw socket (the engine needs CAP_NET_RAW)");
}

void fl_engine_main(void *arg) {
    engine *e = fl_xcalloc(1, sizeof(*e));
    e->cfg = arg;
    e->shared = e->cfg->shared;
    e->raw[0] = e->raw[1] = -1;
    e->mark_cmsg = true;
    const fl_engine_config *c = e->cfg;
    unsigned long long start = 0;
    fl_proc_start_ticks(getpid(), &start);
    atomic_store(&e->shared->start_ticks, start);
    atomic_store(&e->shared->pid, (int)getpid());
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake on time: the delay is the product */
    /* Ahead of ordinary work when the host allows it (root): a packet the
     * engine is slow to take waits, charged to its sender. */
    setpriority(PRIO_PROCESS, 0, -10);
    int saved;
    fl_error err;
    if (fl_netns_enter(&c->netns, &saved, &err) != 0) {
        snprintf(e->shared->error, sizeof(e->shared->error), "%s", err.message);
        atomic_store(&e->shared->state, FL_ENGINE_FAILED);
        _exit(1);
    }
    /* Stay in the target namespace: the queues and raw sockets live there. */
    if (saved >= 0)
        close(saved);
    if (getrandom(&e->rng, sizeof(e->rng), 0) != (ssize_t)sizeof(e->rng) || e->rng == 0)
        e->rng = (uint64_t)fl_mono_ns() | 1;
    if (c->burst > 1.0 && c->probability < 1.0) {
        e->ge_leave = 1.0 / c->burst;
        e->ge_enter = c->probability * e->ge_leave / (1.0 - c->probability);
    }
    if (c->mode == FL_ENGINE_RATE) {
        /* A router-sized queue: 100 ms of the link, at least 24 KiB (16
         * full-size packets, enough for TCP to keep a slow link busy). */
        double bytes = c->rate_bits_per_s / 8.0 * 0.1;
        if (bytes < 24576)
            bytes = 24576;
        e->limit_ns = (int64_t)(bytes * 8.0 * 1e9 / c->rate_bits_per_s);
    }
    if (c->mode == FL_ENGINE_DNS)
        e->dns = fl_dns_flows_new();
    e->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!e->nl || mnl_socket_bind(e->nl, 0, MNL_SOCKET_AUTOPID) < 0)
        fail_setup(e, "nfnetlink socket");
    e->portid = mnl_socket_get_portid(e->nl);
    int one = 1, rcvbuf = 32 << 20;
    setsockopt(mnl_socket_get_fd(e->nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
    if (setsockopt(mnl_socket_get_fd(e->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
        setsockopt(mnl_socket_get_fd(e->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if ((e->nft = nft_ctx_new(NFT_CTX_DEFAULT))) {
        nft_ctx_buffer_output(e->nft);
        nft_ctx_buffer_error(e->nft);
        nft_ctx_output_set_flags(e->nft, NFT_CTX_OUTPUT_JSON);
    }
    /* Free queue numbers: binding fails with EBUSY if another process
     * (another fault's engine) holds one. */
    int next = c->queue_base;
    for (int dir = 0; dir < 2; dir++) {
        if (!(c->directions & (dir == OUT ? FL_NET_EGRESS : FL_NET_INGRESS)))
            continue;
        for (int i = 0; i < QUEUE_TRIES && !e->bound[dir]; i++, next++) {
            if (config_msg(e, (uint16_t)next, 0, 0) == 0) {
                e->queue[dir] = (uint16_t)next;
                e->bound[dir] = true;
            } else if (errno != EBUSY && errno != EEXIST) {
                fail_setup(e, "binding an nfnetlink queue (is nfnetlink_queue available?)");
            }
        }
        if (!e->bound[dir])
            fail_setup(e, "no free nfnetlink queue");
        next++;
        if (config_msg(e, e->queue[dir], 1, copy_range(c, dir)) != 0)
            fail_setup(e, "configuring the nfnetlink queue");
    }
    e->mark = FL_NET_ENGINE_MARK(c->stamp);
    open_raw(e);
    size_t vcap = (size_t)VERDICT_BATCH * 128 + 70000;
    e->verdicts = fl_xmalloc(vcap);
    char *bufs = fl_xmalloc((size_t)RECV_BATCH * RECV_BUF);
    struct mmsghdr msgs[RECV_BATCH];
    struct iovec iov[RECV_BATCH];
    for (int i = 0; i < RECV_BATCH; i++)
        iov[i] = (struct iovec){.iov_base = bufs + (size_t)i * RECV_BUF, .iov_len = RECV_BUF};

    sigset_t term, waiting;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &waiting);
    sigdelset(&waiting, SIGTERM);
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);

    atomic_store(&e->shared->queue_out, e->bound[OUT] ? e->queue[OUT] : -1);
    atomic_store(&e->shared->queue_in, e->bound[IN] ? e->queue[IN] : -1);
    atomic_store(&e->shared->state, FL_ENGINE_RUNNING);
    fl_worker_ready();

    /* A timerfd, not ppoll's timeout: poll adds 0.1% of the timeout as
     * slack (2 ms on a 2 s delay); an absolute hrtimer does not. */
    int fd = mnl_socket_get_fd(e->nl);
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (timer < 0)
        fail_setup(e, "timerfd");
    /* Waking from a sleep takes time (scheduler, idle states, a VM's exits:
     * 50-400 us here). The engine learns how late it wakes (at most
     * MAX_LATENESS), sleeps until that much before the next release, and
     * polls from there, so packets leave when due, neither late nor early.
     * Under heavy traffic it polls its queue instead of sleeping between
     * packets, so the originals waiting for a verdict (charged to their
     * sender's socket until then) are taken at once. */
    int64_t armed = -1, lateness = 50000, idle_since = fl_mono_ns();
    e->rate_since = idle_since;
    while (!drain_requested) {
        int64_t now = fl_mono_ns();
        release_due(e, now);
        int got = drain_queue(e, fd, msgs, iov);
        flush_output(e);
        publish(e);
        now = fl_mono_ns();
        if (got > 0)
            idle_since = now;
        if (now - e->tally_read_ns >= TALLY_INTERVAL_NS) {
            read_tallies(e);
            e->tally_read_ns = now;
        }
        if (now - e->rate_since >= 100000000) {
            e->rate_pps = (double)e->rate_count * 1e9 / (double)(now - e->rate_since);
            e->rate_count = 0;
            e->rate_since = now;
        }
        int64_t next_due = e->n_held ? e->heap[0].due : 0;
        /* A link releases packets back to back: within a millisecond,
         * polling beats a wake-up that may come later than that. */
        int64_t soon = lateness + POLL_SLOP_NS + (c->mode == FL_ENGINE_RATE ? 1000000 : 0);
        bool due_soon = e->n_held && next_due - now <= soon;
        bool busy = e->rate_pps >= BUSY_PPS && now - idle_since < BUSY_IDLE_NS;
        if (got > 0 || due_soon || busy)
            continue; /* poll: no sleep */
        int64_t wake = e->n_held ? next_due - lateness : 0;
        if (wake != armed) {
            struct itimerspec its = {.it_value = {.tv_sec = wake / 1000000000, .tv_nsec = wake % 1000000000}};
            timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, NULL); /* 0 disarms */
            armed = wake;
        }
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = timer, .events = POLLIN}};
        if (ppoll(p, 2, NULL, &waiting) <= 0)
            continue;
        if (p[1].revents & POLLIN) {
            uint64_t expirations;
            if (read(timer, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations) && armed > 0) {
                int64_t late = fl_mono_ns() - armed;
                lateness += (late - lateness) / 8;
                lateness = lateness < 0 ? 0 : lateness > MAX_LATENESS_NS ? MAX_LATENESS_NS : lateness;
            }
            armed = -1;
        }
    }
    /* An orderly stop: everything held goes out now, none is lost. */
    atomic_store(&e->shared->state, FL_ENGINE_DRAINING);
    flush_output(e);
    while (e->n_held) {
        held_pkt *h = heap_pop(e);
        if (h->done) {
            flush_output(e);
            free(h);
        } else
            emit(e, h, true);
    }
    flush_output(e);
    publish(e);
    atomic_store(&e->shared->state, FL_ENGINE_FINISHED);
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
     * engine time to hand back what it holds (a few hundred thousand
     * packets take a second). */
    for (int i = 0; i < 1500 && fl_proc_is(pid, start); i++) {
        char state = fl_proc_state(pid);
        if (state == 'Z' || state == 0)
            break;
        fl_sleep_us(2000);
    }
    return 0;
}
