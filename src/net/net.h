/* Network faults: traffic matching, nftables tables, the packet-queue engine
 * and network namespaces. Shared by the six network attacks
 * (src/attacks/{latency,packet_loss,blackhole,reset,bandwidth,dns}.c); see
 * docs/network.md for the mechanism and what a host needs. */
#ifndef FL_NET_H
#define FL_NET_H

#include "core/internal.h"

#include <net/if.h>
#include <stdatomic.h>
#include <stdint.h>

/* ---- the matching parameters every network attack takes ----
 * One definition, expanded at the head of each attack's parameter table, so
 * that the six attacks cannot drift apart. */
#define FL_NET_MATCH_PARAMS(default_protocol)                                                                           \
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
         "egress",                                                                                                      \
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
    {                                                                                                                   \
        "include-controller", FL_PARAM_BOOL, 0, NULL, NULL, NULL, NULL,                                                 \
            "also hit this host's live SSH sessions (sshd's connections; excluded by default)"                          \
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
    FL_NET_DROP,  /* blackhole, dns --mode drop */
    FL_NET_LOSS,  /* a random share is dropped */
    FL_NET_RESET, /* tcp: RST; others: ICMP port unreachable */
    FL_NET_QUEUE, /* handed to the user-space engine */
} fl_net_verdict;

typedef struct fl_net_action {
    fl_net_verdict verdict;
    unsigned loss_per_10000;
    uint16_t queue_num;
    bool queue_expr; /* the kernel has the nft queue expression */
} fl_net_action;

/* The table name of a fault: "faultline_", 8 hex digits naming the state
 * directory whose journal owns it, "_", and the id with '-' as '_' (nft.c). */
void fl_net_table_name(const char *id, char *buf, size_t len);
/* nft commands (one per line) creating the fault's table. With a queue
 * verdict, the "fl_queue" chain's rule is included only if queue_expr; the
 * caller adds it through libnftnl otherwise. */
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
/* Packets counted by the table's rules outside the fl_queue chain. */
int fl_nft_table_packets(const fl_netns *ns, const char *name, uint64_t *packets, fl_error *err);

/* ---- the user-space packet engine (delay, rate, DNS) ---- */
typedef enum fl_engine_mode { FL_ENGINE_DELAY, FL_ENGINE_RATE, FL_ENGINE_DNS } fl_engine_mode;
typedef enum fl_jitter_dist { FL_JITTER_NORMAL, FL_JITTER_UNIFORM } fl_jitter_dist;

typedef struct fl_engine_stats {
    atomic_uint_fast64_t packets;  /* handed to us by the kernel */
    atomic_uint_fast64_t delayed;  /* released after a delay */
    atomic_uint_fast64_t dropped;  /* dropped (rate backlog, dns drop) */
    atomic_uint_fast64_t refused;  /* dns answers forged with REFUSED */
    atomic_uint_fast64_t delay_us; /* sum of applied delays */
    atomic_int queue_num;          /* bound queue, 0 until ready */
    char error[200];
} fl_engine_stats;

typedef struct fl_engine_config {
    fl_engine_mode mode;
    int64_t delay_us, jitter_us;
    fl_jitter_dist distribution;
    double rate_bits_per_s;
    char domain[256]; /* dns: "" = every query */
    bool refuse;      /* dns: answer REFUSED instead of dropping */
    fl_netns netns;
    uint16_t queue_base;
    uint32_t queue_maxlen;
    fl_engine_stats *stats; /* shared memory, visible to the supervisor */
} fl_engine_config;

/* The engine worker (fl_worker_fn). Binds a free queue from queue_base up,
 * stores it in stats->queue_num, calls fl_worker_ready(), then holds and
 * releases packets until killed; SIGTERM releases everything held first. */
void fl_engine_main(void *config);
/* Pure helpers, exposed for the unit tests. */
int fl_dns_query_name(const unsigned char *dns, size_t len, char *name, size_t name_len);
bool fl_dns_name_matches(const char *name, const char *domain);

/* ---- the shared attack skeleton ---- */
typedef struct fl_net_plan {
    fl_net_match match;
    fl_net_action action;
    bool uses_engine;
    fl_engine_config engine;
} fl_net_plan;

/* What the engine attacks (latency, bandwidth) need from the host. */
#define FL_NET_ENGINE_REQUIRES "nftables; nfnetlink_queue; nft_queue, or nft_compat + xt_NFQUEUE; no binaries"

/* The operations every network attack shares; its own part is validate. */
#define FL_NET_ATTACK_OPS .plan = fl_net_plan_steps, .apply = fl_net_apply, .verify = fl_net_verify

/* validate: parses the matching parameters into a new plan owned by spec;
 * default_port (0: none) stands in when --port is not given. */
fl_net_plan *fl_net_validate(fl_spec *spec, uint16_t default_port, fl_error *err);
void fl_net_plan_steps(const fl_spec *spec, fl_plan_cb step, void *user);
int fl_net_apply(fl_ctx *ctx, fl_error *err);
int fl_net_verify(fl_ctx *ctx, fl_error *err);

/* The undo operations (nft_delete_table, engine_drain) and leftover removal
 * are declared in core/internal.h: the core calls them. */

#endif
