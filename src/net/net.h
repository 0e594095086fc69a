/* Network faults: traffic matching, nftables tables, the packet engine and
 * network namespaces. Shared by the network attacks (src/attacks/{latency,
 * packet_loss,blackhole,reset,bandwidth,dns,corrupt,duplicate,reorder}.c);
 * see docs/network.md for the mechanism and what a host needs. */
#ifndef FL_NET_H
#define FL_NET_H

#include "core/internal.h"

#include <net/if.h>
#include <stdatomic.h>
#include <stdint.h>

/* ---- the matching parameters every network attack takes ----
 * One definition, expanded at the head of each attack's parameter table, so
 * that the six attacks cannot drift apart. */
#define FL_NET_MATCH_PARAMS(default_protocol, default_direction)                                                        \
    {"host",                                                                                                            \
     FL_PARAM_STRING,                                                                                                   \
     FL_PARAM_REPEATABLE,                                                                                               \
     NULL,                                                                                                              \
     NULL,                                                                                                              \
     NULL,                                                                                                              \
     NULL,                                                                                                              \
     "the dependency: IPv4/IPv6 address, CIDR or hostname (re-resolved while active); default: any"},                   \
        {"port",                                                                                                        \
         FL_PARAM_STRING,                                                                                               \
         FL_PARAM_REPEATABLE,                                                                                           \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         "the dependency's port, N or N-M; default: any"},                                                              \
        {"protocol",                                                                                                    \
         FL_PARAM_ENUM,                                                                                                 \
         0,                                                                                                             \
         default_protocol,                                                                                              \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         "tcp|udp|icmp|all",                                                                                            \
         "which traffic; with --port, all means tcp and udp"},                                                          \
        {"direction",                                                                                                   \
         FL_PARAM_ENUM,                                                                                                 \
         0,                                                                                                             \
         default_direction,                                                                                             \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         "egress|ingress|both",                                                                                         \
         "egress: packets to the dependency; ingress: packets from it; both"},                                          \
        {"interface", FL_PARAM_STRING, 0, NULL, NULL, NULL, NULL, "only packets leaving/entering this interface"},      \
        {"exclude-host",                                                                                                \
         FL_PARAM_STRING,                                                                                               \
         FL_PARAM_REPEATABLE,                                                                                           \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         "never touch this address or CIDR"},                                                                           \
        {"exclude-port",                                                                                                \
         FL_PARAM_STRING,                                                                                               \
         FL_PARAM_REPEATABLE,                                                                                           \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         "never touch this port or range (either end of the connection)"},                                              \
        {"netns", FL_PARAM_STRING,                                                                                      \
         0,       NULL,                                                                                                 \
         NULL,    NULL,                                                                                                 \
         NULL,    "inject in another network namespace: NAME (/run/netns/NAME), PATH, or PID (a container's process)"}, \
        {"include-controller",                                                                                          \
         FL_PARAM_BOOL,                                                                                                 \
         0,                                                                                                             \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         NULL,                                                                                                          \
         "also hit this host's live SSH sessions (sshd's connections; excluded by default)"},                           \
    {                                                                                                                   \
        "verify", FL_PARAM_ENUM, 0, "probe", NULL, NULL, "probe|passive",                                               \
            "probe: send one packet to the dependency through the rules; passive: send nothing, count its traffic"      \
    }

enum { FL_NET_TCP = 1, FL_NET_UDP = 2, FL_NET_ICMP = 4 };
enum { FL_NET_EGRESS = 1, FL_NET_INGRESS = 2 };

typedef struct fl_net_prefix {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int len; /* prefix length; 32/128 for one address */
} fl_net_prefix;

typedef struct fl_net_ports {
    uint16_t lo, hi;
} fl_net_ports;

/* A network namespace named by the user, pinned by its inode so that a
 * reused path or pid is never mistaken for it. */
typedef struct fl_netns {
    bool set;
    char path[300];
    uint64_t dev, ino;
} fl_netns;

#define FL_NET_MAX_PORTS 64
#define FL_NET_MAX_NAMES 16
#define FL_NET_MAX_CONTROLLERS 64

typedef struct fl_net_match {
    fl_net_prefix *hosts; /* literal and resolved */
    size_t n_hosts;
    char *hostnames[FL_NET_MAX_NAMES]; /* re-resolved while active */
    size_t n_hostnames;
    bool any_host;
    fl_net_prefix *excluded;
    size_t n_excluded;
    fl_net_ports ports[FL_NET_MAX_PORTS];
    size_t n_ports;
    fl_net_ports excluded_ports[FL_NET_MAX_PORTS];
    size_t n_excluded_ports;
    unsigned protocols;  /* FL_NET_TCP | ... */
    bool all_protocols;  /* --protocol all without ports: every IP protocol */
    unsigned directions; /* FL_NET_EGRESS | FL_NET_INGRESS */
    char ifname[IF_NAMESIZE];
    fl_netns netns;
    uint64_t netns_ino; /* the namespace the fault lives in (ours if no --netns) */
    /* Live SSH sessions into this host (the controller's among them): never
     * touched unless --include-controller. */
    struct fl_net_conn {
        fl_net_prefix peer; /* the SSH client */
        uint16_t peer_port, own_port;
    } controllers[FL_NET_MAX_CONTROLLERS];
    size_t n_controllers;
} fl_net_match;

/* Finds the host's live SSH sessions in the fault's namespace (the
 * established TCP connections of sshd's processes, and $SSH_CONNECTION)
 * into m->controllers. With notice, says on stderr (fl_notice) which. */
void fl_net_find_controllers(fl_net_match *m, bool notice);

/* Parses and checks the matching parameters (field-named errors, FL_EINVAL);
 * resolves hostnames once. */
int fl_net_match_parse(const fl_spec *spec, fl_net_match *m, fl_error *err);
void fl_net_match_free(fl_net_match *m);
/* Conflict keys "net:<netns-inode>:<proto>:<host>:<port>". */
void fl_net_match_claims(fl_spec *spec, const fl_net_match *m);
/* Parsers, exposed for the unit tests. */
int fl_net_parse_prefix(const char *text, fl_net_prefix *out);
int fl_net_parse_ports(const char *text, fl_net_ports *out);
const char *fl_net_format_prefix(const fl_net_prefix *p, char *buf, size_t len);
/* Resolves a hostname to addresses (all families); 0 or -1. */
int fl_net_resolve(const char *name, fl_net_prefix **out, size_t *n);

/* ---- what matched packets get ---- */
typedef enum fl_net_verdict {
    FL_NET_RESET, /* tcp: RST; others: ICMP port unreachable (reset, dns refuse without a domain) */
    FL_NET_QUEUE, /* handed to the packet engine (every other kind) */
} fl_net_verdict;

typedef struct fl_net_action {
    fl_net_verdict verdict;
    uint16_t queue_out, queue_in; /* the engine's queues: egress and ingress packets */
    bool queue_expr;              /* the kernel has the nft queue expression */
    uint16_t engine_stamp;        /* the fault's stamp (FL_NET_ENGINE_MARK) */
    uint16_t clamp_mss;           /* bandwidth: clamp new TCP connections' MSS to this (0: no) */
} fl_net_action;

/* The engine re-sends the packets it holds through raw sockets carrying
 * its own socket mark, 0x464c0000 + the fault's stamp: 1 + the highest
 * stamp among the faults alive in the state directory, so a newer fault
 * has a higher one. A re-sent copy goes through the output hook again.
 * Chains of equal priority run newest first (the kernel inserts a new hook
 * before those of the same priority): the chains of newer faults saw the
 * original before this fault took it, and let the copy pass (its stamp is
 * not higher than theirs); those of older faults did not, and take it; this
 * fault's own let it pass. So each fault gets each packet once, and faults
 * compose. A copy the engine sends towards this host (an ingress duplicate,
 * a forged DNS answer) carries the mark as its packet mark until its tally
 * chain clears it. */
#define FL_NET_ENGINE_MARK(stamp) (0x464c0000u | (uint32_t)(uint16_t)(stamp))
/* The MSS of new TCP connections of flows whose packets the engine copies:
 * their segments then fit a queue message whole (65531 bytes). */
#define FL_NET_COPY_MSS 65000
/* Up to this hold (delay + 3 jitter), latency leaves egress packets in the
 * kernel until released: a sender's buffer holds its last millisecond of
 * packets (as with a local qdisc), and the engine goes twice as fast. */
#define FL_NET_KERNEL_HOLD_MAX_US 1000

/* The table name of a fault: "faultline_", 8 hex digits naming the state
 * directory whose journal owns it, "_", and the id with '-' as '_' (nft.c). */
void fl_net_table_name(const char *id, char *buf, size_t len);
/* nft commands (one per line) creating the fault's table. With a queue
 * verdict, the rules of the "fl_out"/"fl_in" chains are included only if
 * queue_expr; the caller adds them through libnftnl otherwise. The text
 * is the caller's to free(). */
char *fl_net_rules_text(const fl_net_match *m, const fl_net_action *a, const char *table);

/* ---- namespaces ---- */
/* Resolves --netns text into a pinned namespace (FL_EINVAL naming "netns"). */
int fl_netns_resolve(const char *text, fl_netns *ns, fl_error *err);
/* Enters ns (no-op if !ns->set), returning the fd to leave by; -1 on error. */
int fl_netns_enter(const fl_netns *ns, int *saved, fl_error *err);
/* Same, but 1 (nothing entered) when the namespace no longer exists: its
 * rules died with it, which is what an undo wants to know. */
int fl_netns_enter_if_present(const fl_netns *ns, int *saved, fl_error *err);
void fl_netns_leave(int saved);
uint64_t fl_netns_current_ino(void);

/* ---- nftables through libnftables/libnftnl, in-process ---- */
/* Runs nft commands in ns; with json_out, returns the JSON output. */
int fl_nft_run(const fl_netns *ns, const char *commands, bool dry_run, char **json_out, fl_error *err);
/* Whether the kernel accepts the nft `queue` expression (a dry run). */
bool fl_nft_queue_expr_available(const fl_netns *ns);
/* Adds "xt NFQUEUE --queue-num N --queue-bypass" (nft_compat, revision 3)
 * to table/chain with libnftnl, for kernels without the queue expression. */
int fl_nft_add_compat_queue(const fl_netns *ns, const char *table, const char *chain, uint16_t queue_num,
                            fl_error *err);
/* Creates the fault's table, owned (NFT_TABLE_F_OWNER, Linux 5.12+) by a
 * netlink socket this process keeps until the table is deleted: the kernel
 * removes the table when the process dies, and every later change of it in
 * this process (fl_nft_run, fl_nft_add_compat_queue) and in the workers it
 * starts afterwards goes through that socket. *owned says whether the
 * kernel took the flag (older kernels: an ordinary table). The comment names
 * the state directory and when the table outlives any fault (lifetime_us
 * from now). */
int fl_nft_own_table(const fl_netns *ns, const char *table, int64_t lifetime_us, bool *owned, fl_error *err);
/* Deletes table inet NAME; a table already gone counts as done. */
int fl_nft_delete_table(const fl_netns *ns, const char *name, fl_error *err);
/* Packets counted by the table's rules outside the engine's queue chains
 * (fl_out, fl_in). */
int fl_nft_table_packets(const fl_netns *ns, const char *name, uint64_t *packets, fl_error *err);

/* ---- the user-space packet engine ----
 * One process per fault, bound to an nfnetlink queue for egress packets and
 * one for ingress packets. Egress packets it holds are copied and the
 * original dropped at once, so the sending socket is not charged for them
 * (its sendto() and its TCP window are not slowed); the copy is re-sent
 * through a raw socket when due. Ingress packets have left their sender's
 * socket already (ip_rcv orphans them): the kernel keeps them until the
 * engine's verdict. A drop is a verdict on a packet the kernel has already
 * handed over, so the sender never learns of it. */
typedef enum fl_engine_mode {
    FL_ENGINE_DELAY,     /* latency: hold for delay + jitter */
    FL_ENGINE_RATE,      /* bandwidth: release at a link's pace */
    FL_ENGINE_LOSS,      /* packet-loss, blackhole (100%), dns drop without a domain */
    FL_ENGINE_CORRUPT,   /* flip one bit of a share of packets */
    FL_ENGINE_DUPLICATE, /* send a share of packets twice */
    FL_ENGINE_REORDER,   /* let the next packets of the flow overtake a share */
    FL_ENGINE_DNS,       /* drop or refuse queries for a domain */
} fl_engine_mode;
typedef enum fl_jitter_dist { FL_JITTER_NORMAL, FL_JITTER_UNIFORM } fl_jitter_dist;

/* The engine's counters, published in a file beside the journal record
 * (STATE/faults/ID.engine, mapped shared) so that any process can read
 * them: the supervisor, the caller holding the fault, `faultline status`. */
enum {
    FL_EC_MATCHED,
    FL_EC_HELD,
    FL_EC_RELEASED,
    FL_EC_LATE,
    FL_EC_BYPASSED,
    FL_EC_DROPPED,
    FL_EC_PASSED,
    FL_EC_CORRUPTED,
    FL_EC_DUPLICATED,
    FL_EC_REORDERED,
    FL_EC_REFUSED,
    FL_EC_ERRORS,
    FL_EC_HELD_PACKETS,
    FL_EC_HELD_BYTES,
    FL_EC_PEAK_HELD_PACKETS,
    FL_EC_PEAK_HELD_BYTES,
    FL_EC_COUNT
};
enum { FL_ENGINE_STARTING, FL_ENGINE_RUNNING, FL_ENGINE_DRAINING, FL_ENGINE_FINISHED, FL_ENGINE_FAILED };
#define FL_ENGINE_SHARED_MAGIC 0x464c4e45u /* "FLNE" */
#define FL_ENGINE_SHARED_VERSION 1u

typedef struct fl_engine_shared {
    uint32_t magic, version;
    atomic_int state; /* FL_ENGINE_* */
    atomic_int pid;
    atomic_ullong start_ticks; /* with pid: names the engine process for good */
    atomic_int queue_out, queue_in;
    uint64_t max_held_bytes;
    uint16_t stamp; /* FL_NET_ENGINE_MARK */
    atomic_ullong counters[FL_EC_COUNT];
    char error[200];
} fl_engine_shared;

typedef struct fl_engine_config {
    fl_engine_mode mode;
    unsigned directions; /* FL_NET_EGRESS | FL_NET_INGRESS: the queues to bind */
    int64_t delay_us, jitter_us;
    fl_jitter_dist distribution;
    double correlation; /* of successive jitter values, 0..1 */
    double rate_bits_per_s;
    double probability;      /* loss, corrupt, duplicate, reorder: 0..1 */
    double burst;            /* loss: mean length of a run of losses (<= 1: independent) */
    unsigned gap;            /* reorder: later packets of the flow that overtake */
    int64_t reorder_wait_us; /* reorder: the longest a packet waits for them */
    char domain[256];        /* dns */
    bool refuse;             /* dns: answer REFUSED instead of dropping */
    uint64_t max_held_bytes;
    /* Short delays: the kernel keeps egress packets too (cheaper than a
     * copy; a sender is charged for at most FL_NET_KERNEL_HOLD_MAX_US). */
    bool egress_kernel_hold;
    fl_netns netns;
    char table[128]; /* the fault's table, for its tally counters */
    uint16_t stamp;  /* FL_NET_ENGINE_MARK: its raw sockets' mark */
    uint16_t queue_base;
    fl_engine_shared *shared; /* the mapped counters file */
} fl_engine_config;

/* The engine worker (fl_worker_fn). Binds free queues from queue_base up,
 * stores them in shared, calls fl_worker_ready(), then works until killed;
 * SIGTERM releases everything held first. */
void fl_engine_main(void *config);

/* The counters file of fault `id` (STATE/faults/ID.engine). */
void fl_engine_stats_path(const char *id, char *buf, size_t len);
/* Creates and maps it (the supervisor, before starting the engine). */
fl_engine_shared *fl_engine_stats_create(const char *path, fl_error *err);
/* Maps an existing one read-only; NULL if absent or not a counters file. */
const fl_engine_shared *fl_engine_stats_open(const char *path);
void fl_engine_stats_unmap(const fl_engine_shared *shared);
/* 1 + the highest stamp of the faults whose counters files are in the
 * state directory. */
uint16_t fl_engine_next_stamp(void);
/* Counters from a mapping. */
void fl_engine_stats_read(const fl_engine_shared *shared, fl_engine_counters *out);

/* ---- DNS inside the engine (engine_dns.c) ---- */
int fl_dns_query_name(const unsigned char *dns, size_t len, char *name, size_t name_len);
bool fl_dns_name_matches(const char *name, const char *domain);
typedef struct fl_dns_flows fl_dns_flows; /* DNS-over-TCP streams being read */
fl_dns_flows *fl_dns_flows_new(void);
/* What to do with one IP packet going to a DNS server: 1 drop, 0 let it
 * go. With refuse, a dropped query may come with a forged answer (an IP
 * packet from the server, in reply, *reply_len > 0) to send to the client. */
int fl_dns_inspect(fl_dns_flows *flows, const unsigned char *pkt, size_t len, const char *domain, bool refuse,
                   unsigned char *reply, size_t reply_cap, size_t *reply_len);

/* ---- packet helpers (engine_dns.c) ---- */
typedef struct fl_pkt_view {
    int family;
    const unsigned char *src, *dst; /* addresses */
    int proto;                      /* the transport protocol, after IPv6 extension headers */
    size_t l4_off;                  /* offset of the transport header */
    const unsigned char *l4;
    size_t l4_len;
} fl_pkt_view;
bool fl_pkt_parse(const unsigned char *p, size_t len, fl_pkt_view *v);
/* The transport checksum of l4 (its checksum field zeroed by the caller). */
uint16_t fl_pkt_l4_checksum(const fl_pkt_view *v, const unsigned char *l4, size_t len);

/* ---- the shared attack skeleton ---- */
typedef struct fl_net_plan {
    fl_net_match match;
    fl_net_action action;
    bool uses_engine;
    bool passive; /* --verify passive: no probe */
    fl_engine_config engine;
} fl_net_plan;

/* --max-held-bytes, for the kinds that hold packets. */
#define FL_NET_HELD_BYTES_PARAM                                                                                        \
    {                                                                                                                  \
        "max-held-bytes", FL_PARAM_SIZE, 0, "64M", "64K", "16G", NULL,                                                 \
            "cap on the memory held packets take; beyond it packets pass undelayed and count as bypassed"              \
    }

/* What the engine attacks need from the host. */
#define FL_NET_ENGINE_REQUIRES                                                                                         \
    "nftables (nf_tables, nft_counter, nft_socket); nfnetlink_queue; nft_queue, or nft_compat + xt_NFQUEUE; "          \
    "CAP_NET_ADMIN and CAP_NET_RAW in the target namespace; no binaries"

/* The operations every network attack shares; its own part is validate. */
#define FL_NET_ATTACK_OPS .plan = fl_net_plan_steps, .apply = fl_net_apply, .verify = fl_net_verify

/* validate: parses the matching parameters into a new plan owned by spec;
 * default_port (0: none) stands in when --port is not given. */
fl_net_plan *fl_net_validate(fl_spec *spec, uint16_t default_port, fl_error *err);
/* The common engine setup of an attack: verdict QUEUE, the engine mode,
 * the directions to bind, and --max-held-bytes when the kind has it. */
void fl_net_use_engine(fl_net_plan *p, const fl_spec *spec, fl_engine_mode mode);
void fl_net_plan_steps(const fl_spec *spec, fl_plan_cb step, void *user);
int fl_net_apply(fl_ctx *ctx, fl_error *err);
int fl_net_verify(fl_ctx *ctx, fl_error *err);

/* The undo operations (nft_delete_table, engine_drain) and leftover removal
 * are declared in core/internal.h: the core calls them. */

#endif
