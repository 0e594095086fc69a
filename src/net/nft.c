/* nftables, in-process: libnftables for tables, sets and rules written as
 * nft commands, libnftnl+libmnl for the one rule nft's language cannot
 * express on kernels without the `queue` expression (xtables' NFQUEUE
 * target through nft_compat). No nft or iptables binary is executed. */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CAP_NET_ADMIN_BIT 12

/* ---- the owner session ----
 * A fault's table is created with NFT_TABLE_F_OWNER (Linux 5.12+): it
 * belongs to the netlink socket that created it, the kernel deletes it the
 * moment that socket is closed, and only that socket may change it. The
 * supervisor keeps that socket (one libnftables context) for as long as it
 * holds the fault, and every change to the table goes through it; the
 * workers started after it (the resolver) inherit it. So when the process
 * holding the fault dies, however it dies, the kernel removes the rules at
 * once; the journal is the second line. */
typedef struct owner_session {
    bool active;
    pid_t pid; /* the process that opened it; workers hold an inherited copy */
    struct nft_ctx *nft;
    int sock; /* the context's netlink socket */
    ino_t sock_ino;
    char table[128];
} owner_session;

static owner_session session;

/* The context's netlink socket is found as the one netfilter socket it
 * added to this process (libnftables keeps it for the context's life). */
static void netfilter_sockets(ino_t *inos, int *fds, size_t *n, size_t cap) {
    *n = 0;
    for (int fd = 3; fd < 1024 && *n < cap; fd++) {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
            continue;
        struct sockaddr_nl addr;
        socklen_t len = sizeof(addr);
        int proto = 0;
        socklen_t plen = sizeof(proto);
        if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0 || addr.nl_family != AF_NETLINK ||
            getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) != 0 || proto != NETLINK_NETFILTER)
            continue;
        inos[*n] = st.st_ino;
        fds[(*n)++] = fd;
    }
}

/* The session usable in this process for `table`: ours, or inherited with
 * its socket still open here. */
static bool session_for(const char *commands_or_table) {
    if (!session.active || !strstr(commands_or_table, session.table))
        return false;
    if (session.pid == getpid())
        return true;
    struct stat st;
    return fstat(session.sock, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == session.sock_ino;
}

static void session_close(void) {
    if (session.active && session.pid == getpid()) {
        fl_workers_forget_fd(session.sock);
        nft_ctx_free(session.nft); /* closes the socket: the kernel drops the table */
    }
    memset(&session, 0, sizeof(session));
}

static void first_line(const char *text, char *buf, size_t len) {
    /* libnftables errors look like "Error: Could not process rule: ...\n<cmd>\n^^^" */
    const char *start = text ? text : "";
    while (*start == '\n')
        start++;
    size_t n = strcspn(start, "\n");
    if (n >= len)
        n = len - 1;
    memcpy(buf, start, n);
    buf[n] = '\0';
}

/* The session's table exists from the start, with its owner flag; an
 * "add table" without the flag would be refused (EOPNOTSUPP), so those
 * lines are dropped from what the session runs. */
static char *without_add_table(const char *commands) {
    char line[200];
    snprintf(line, sizeof(line), "add table inet %s\n", session.table);
    size_t l = strlen(line);
    char *out = fl_xmalloc(strlen(commands) + 1), *w = out;
    for (const char *c = commands; *c;) {
        const char *nl = strchr(c, '\n');
        size_t n = nl ? (size_t)(nl - c + 1) : strlen(c);
        if (!(n == l && strncmp(c, line, l) == 0) && !(!nl && n == l - 1 && strncmp(c, line, l - 1) == 0)) {
            memcpy(w, c, n);
            w += n;
        }
        c += n;
    }
    *w = '\0';
    return out;
}

static int run_in(const fl_netns *ns, const char *commands, bool dry_run, char **json_out, fl_error *err,
                  bool *ns_gone) {
    /* Without CAP_NET_ADMIN the kernel refuses every request, and libnftables
     * says so on stderr by itself: do not ask. */
    if (!fl_have_cap(CAP_NET_ADMIN_BIT))
        return fl_fail(err, FL_EAPPLY, "nftables", "nftables needs CAP_NET_ADMIN (run as root)");
    int saved;
    int rc = fl_netns_enter_if_present(ns, &saved, err);
    if (rc < 0)
        return -1;
    if (ns_gone)
        *ns_gone = rc == 1;
    if (rc == 1)
        return fl_fail(err, FL_EAPPLY, "netns", "the network namespace %s is gone", ns->path);
    bool owned = !dry_run && !json_out && session_for(commands);
    struct nft_ctx *nft = owned ? session.nft : nft_ctx_new(NFT_CTX_DEFAULT);
    if (!nft) {
        fl_netns_leave(saved);
        return fl_fail(err, FL_EAPPLY, "nftables", "cannot create a libnftables context");
    }
    char *filtered = owned ? without_add_table(commands) : NULL;
    nft_ctx_buffer_output(nft);
    nft_ctx_buffer_error(nft);
    if (json_out)
        nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
    nft_ctx_set_dry_run(nft, dry_run);
    rc = nft_run_cmd_from_buffer(nft, filtered ? filtered : commands);
    free(filtered);
    if (rc != 0) {
        char line[300];
        first_line(nft_ctx_get_error_buffer(nft), line, sizeof(line));
        fl_fail(err, FL_EAPPLY, "nftables", "%s", line[0] ? line : "nftables refused the rules");
    } else if (json_out) {
        *json_out = fl_xstrdup(nft_ctx_get_output_buffer(nft));
    }
    if (!owned)
        nft_ctx_free(nft);
    fl_netns_leave(saved);
    return rc == 0 ? 0 : -1;
}

int fl_nft_run(const fl_netns *ns, const char *commands, bool dry_run, char **json_out, fl_error *err) {
    return run_in(ns, commands, dry_run, json_out, err, NULL);
}

bool fl_nft_queue_expr_available(const fl_netns *ns) {
    /* A dry run: the kernel checks the whole transaction, then aborts it. */
    static const char probe[] = "add table inet faultline_probe\n"
                                "add chain inet faultline_probe c\n"
                                "add rule inet faultline_probe c queue num 1 bypass\n";
    return fl_nft_run(ns, probe, true, NULL, NULL) == 0;
}

/* Sends one nf_tables batch on fd (a netlink netfilter socket, perhaps the
 * owner session's, which libnftables set non-blocking) and waits for the
 * acknowledgement. */
static int send_batch(int fd, struct mnl_nlmsg_batch *batch) {
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch), 0, (struct sockaddr *)&kernel,
               sizeof(kernel)) < 0)
        return -1;
    struct sockaddr_nl self;
    socklen_t slen = sizeof(self);
    if (getsockname(fd, (struct sockaddr *)&self, &slen) != 0)
        return -1;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        /* The batch is acknowledged once (the rule has NLM_F_ACK); an error
         * arrives as an nlmsgerr, which mnl_cb_run turns into -1/errno. */
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -1;
        int rc = mnl_cb_run(buf, (size_t)n, 0, self.nl_pid, NULL, NULL);
        if (rc <= 0)
            return rc;
    }
}

int fl_nft_add_compat_queue(const fl_netns *ns, const char *table, const char *chain, uint16_t queue_num,
                            fl_error *err) {
    int saved;
    if (fl_netns_enter(ns, &saved, err) != 0)
        return -1;
    int rc = -1;
    /* An owned table takes changes from its owner's socket only. */
    bool owned = session_for(table);
    struct mnl_socket *nl = owned ? NULL : mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    struct nftnl_rule *rule = nftnl_rule_alloc();
    char *buf = fl_xmalloc(MNL_SOCKET_BUFFER_SIZE * 2);
    if ((!owned && !nl) || !rule || (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)) {
        fl_fail(err, FL_EAPPLY, "nftables", "netlink: %s", strerror(errno));
        goto out;
    }
    nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
    nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, table);
    nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, chain);
    nftnl_rule_add_expr(rule, nftnl_expr_alloc("counter"));
    struct nftnl_expr *target = nftnl_expr_alloc("target");
    /* xt_NFQUEUE revision 3: one queue, and bypass: with no process bound to
     * the queue the kernel accepts the packet, so traffic flows normally
     * the moment the engine dies (fail-open). */
    struct xt_NFQ_info_v3 *info = fl_xcalloc(1, sizeof(*info));
    *info = (struct xt_NFQ_info_v3){.queuenum = queue_num, .queues_total = 1, .flags = NFQ_FLAG_BYPASS};
    nftnl_expr_set_str(target, NFTNL_EXPR_TG_NAME, "NFQUEUE");
    nftnl_expr_set_u32(target, NFTNL_EXPR_TG_REV, 3);
    /* libnftnl takes ownership of the info buffer (it frees it). */
    nftnl_expr_set(target, NFTNL_EXPR_TG_INFO, info, sizeof(*info));
    nftnl_rule_add_expr(rule, target);

    uint32_t seq = (uint32_t)time(NULL);
    struct mnl_nlmsg_batch *batch = mnl_nlmsg_batch_start(buf, MNL_SOCKET_BUFFER_SIZE * 2);
    nftnl_batch_begin(mnl_nlmsg_batch_current(batch), seq++);
    mnl_nlmsg_batch_next(batch);
    struct nlmsghdr *nlh = nftnl_rule_nlmsg_build_hdr(mnl_nlmsg_batch_current(batch), NFT_MSG_NEWRULE, NFPROTO_INET,
                                                      NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, seq++);
    nftnl_rule_nlmsg_build_payload(nlh, rule);
    mnl_nlmsg_batch_next(batch);
    nftnl_batch_end(mnl_nlmsg_batch_current(batch), seq++);
    mnl_nlmsg_batch_next(batch);
    rc = send_batch(owned ? session.sock : mnl_socket_get_fd(nl), batch);
    mnl_nlmsg_batch_stop(batch);
    if (rc < 0)
        fl_fail(err, FL_EAPPLY, "nftables",
                "cannot add the NFQUEUE rule (xtables target through nft_compat): %s; the host needs "
                "nft_compat and xt_NFQUEUE, or the nft_queue module",
                strerror(errno));
out:
    free(buf);
    if (rule)
        nftnl_rule_free(rule);
    if (nl)
        mnl_socket_close(nl);
    fl_netns_leave(saved);
    return rc < 0 ? -1 : 0;
}

/* ---- table names and identity ----
 * A fault's table is faultline_<state>_<id>: <state> is 8 hex digits naming
 * the state directory whose journal owns it, so that a sweep (status,
 * recover) only ever removes its own journal's tables. The table's comment
 * says the same in full, with the boot-clock second past which no fault
 * could still hold it: "faultline state=/run/faultline until=12345". */
static void state_identity(char *path, size_t len) {
    const char *dir = fl_state_dir();
    char real[PATH_MAX];
    if (realpath(dir, real)) {
        snprintf(path, len, "%s", real);
        return;
    }
    /* Not there yet: its parent's real path and its own name. */
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", dir);
    char *slash = strrchr(parent, '/');
    const char *base = slash ? slash + 1 : dir;
    if (slash)
        *(slash == parent ? slash + 1 : slash) = '\0';
    if (slash && realpath(parent, real))
        snprintf(path, len, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
    else
        snprintf(path, len, "%s", dir);
}

static uint32_t state_hash(const char *path) {
    uint32_t h = 2166136261u;
    for (const char *c = path; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h;
}

void fl_net_table_name(const char *id, char *buf, size_t len) {
    char path[PATH_MAX];
    state_identity(path, sizeof(path));
    snprintf(buf, len, "faultline_%08x_%s", state_hash(path), id);
    for (char *c = buf; *c; c++)
        if (*c == '-')
            *c = '_';
}

/* Names that go into nft commands are ours and checked: no user text, no
 * newline, nothing nft's parser would read as syntax. */
static bool table_name_ok(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n < 11 || n > 120 || strncmp(name, "faultline_", 10) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(name[i] >= 'a' && name[i] <= 'z') && !(name[i] >= '0' && name[i] <= '9') && name[i] != '_')
            return false;
    return true;
}

static bool comment_path_ok(const char *path) {
    size_t n = strlen(path);
    if (n == 0 || n > 180)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-", path[i]))
            return false;
    return true;
}

int fl_nft_own_table(const fl_netns *ns, const char *table, int64_t lifetime_us, bool *owned, fl_error *err) {
    *owned = false;
    if (!table_name_ok(table))
        return fl_fail(err, FL_EAPPLY, "nftables", "refusing table name %s", table ? table : "?");
    if (!fl_have_cap(CAP_NET_ADMIN_BIT))
        return fl_fail(err, FL_EAPPLY, "nftables", "nftables needs CAP_NET_ADMIN (run as root)");
    session_close();
    char path[PATH_MAX], comment[240];
    state_identity(path, sizeof(path));
    snprintf(
        comment, sizeof(comment), "faultline state=%s until=%lld", comment_path_ok(path) ? path : "?",
        (long long)((fl_boot_us() + lifetime_us + FL_APPLY_ALLOWANCE_US + 2 * FL_GUARDIAN_GRACE_US) / 1000000 + 1));
    int saved;
    if (fl_netns_enter(ns, &saved, err) != 0)
        return -1;
    ino_t before_ino[64], after_ino[64];
    int before_fd[64], after_fd[64];
    size_t nb, na;
    netfilter_sockets(before_ino, before_fd, &nb, 64);
    struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
    netfilter_sockets(after_ino, after_fd, &na, 64);
    int sock = -1;
    ino_t sock_ino = 0;
    for (size_t i = 0; i < na && sock < 0; i++) {
        bool old = false;
        for (size_t j = 0; j < nb; j++)
            old = old || (before_fd[j] == after_fd[i] && before_ino[j] == after_ino[i]);
        if (!old) {
            sock = after_fd[i];
            sock_ino = after_ino[i];
        }
    }
    /* Three tries, newest kernel first: owner flag and comment (5.12+),
     * comment only (5.10+), neither. */
    static const char *const forms[] = {"add table inet %s { flags owner; comment \"%s\"; }\n",
                                        "add table inet %s { comment \"%s\"; }\n", "add table inet %s\n"};
    int rc = -1;
    char first_error[300] = "";
    for (size_t f = (nft && sock >= 0) ? 0 : 1; f < FL_ARRAY_LEN(forms) && rc != 0; f++) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), forms[f], table, comment);
        struct nft_ctx *use = f == 0 ? nft : nft_ctx_new(NFT_CTX_DEFAULT);
        if (!use)
            break;
        nft_ctx_buffer_output(use);
        nft_ctx_buffer_error(use);
        rc = nft_run_cmd_from_buffer(use, cmd);
        if (rc != 0 && !first_error[0])
            first_line(nft_ctx_get_error_buffer(use), first_error, sizeof(first_error));
        if (f == 0 && rc == 0) {
            fcntl(sock, F_SETFD, FD_CLOEXEC);
            session = (owner_session){.active = true, .pid = getpid(), .nft = nft, .sock = sock, .sock_ino = sock_ino};
            snprintf(session.table, sizeof(session.table), "%s", table);
            fl_workers_keep_fd(sock);
            *owned = true;
        }
        if (use != nft)
            nft_ctx_free(use);
    }
    if (!*owned && nft)
        nft_ctx_free(nft);
    fl_netns_leave(saved);
    if (rc != 0)
        return fl_fail(err, FL_EAPPLY, "nftables", "cannot create table inet %s: %s", table,
                       first_error[0] ? first_error : "nftables refused it");
    return 0;
}

/* Every inet table of this namespace with its comment ("" if none), read
 * with one netlink dump (libnftnl): names and comments only, nothing else
 * of the tables is parsed. */
typedef struct table_list {
    json_t *tables; /* [{name, comment}] */
} table_list;

static int comment_cb(const struct nftnl_udata *attr, void *data) {
    const struct nftnl_udata **tb = data;
    if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT)
        tb[NFTNL_UDATA_TABLE_COMMENT] = attr;
    return 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data) {
    table_list *list = data;
    struct nftnl_table *t = nftnl_table_alloc();
    if (!t)
        return MNL_CB_OK;
    if (nftnl_table_nlmsg_parse(nlh, t) == 0 && nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY) == NFPROTO_INET) {
        const char *name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
        char comment[256] = "";
        uint32_t len = 0;
        const void *udata =
            nftnl_table_is_set(t, NFTNL_TABLE_USERDATA) ? nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len) : NULL;
        const struct nftnl_udata *tb[NFTNL_UDATA_TABLE_MAX + 1] = {0};
        if (udata && nftnl_udata_parse(udata, len, comment_cb, tb) >= 0 && tb[NFTNL_UDATA_TABLE_COMMENT]) {
            uint32_t cl = nftnl_udata_len(tb[NFTNL_UDATA_TABLE_COMMENT]);
            snprintf(comment, sizeof(comment), "%.*s", (int)(cl ? cl : 1) - 1,
                     (const char *)nftnl_udata_get(tb[NFTNL_UDATA_TABLE_COMMENT]));
        }
        if (name)
            json_array_append_new(list->tables, json_pack("{s:s, s:s}", "name", name, "comment", comment));
    }
    nftnl_table_free(t);
    return MNL_CB_OK;
}

static json_t *list_tables(void) {
    table_list list = {json_array()};
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        if (nl)
            mnl_socket_close(nl);
        return list.tables;
    }
    char buf[MNL_SOCKET_BUFFER_SIZE];
    uint32_t seq = (uint32_t)time(NULL);
    struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_DUMP, seq);
    unsigned portid = mnl_socket_get_portid(nl);
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
        for (;;) {
            int n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
            if (n <= 0 || mnl_cb_run(buf, (size_t)n, seq, portid, table_cb, &list) <= 0)
                break;
        }
    }
    mnl_socket_close(nl);
    return list.tables;
}

static bool table_exists(const fl_netns *ns, const char *name, bool *known) {
    int saved;
    fl_error e;
    int rc = fl_netns_enter_if_present(ns, &saved, &e);
    *known = rc >= 0;
    if (rc != 0)
        return false; /* its namespace is gone, or cannot be entered */
    bool exists = false;
    json_t *tables = list_tables();
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t) exists =
        exists || strcmp(json_string_value(json_object_get(t, "name")), name) == 0;
    json_decref(tables);
    fl_netns_leave(saved);
    return exists;
}

int fl_nft_delete_table(const fl_netns *ns, const char *name, fl_error *err) {
    if (!table_name_ok(name))
        return fl_fail(err, FL_EAPPLY, "undo", "nft_delete_table: '%s' is not a faultline table name",
                       name ? name : "?");
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "delete table inet %s\n", name);
    bool mine = session_for(name) && session.pid == getpid();
    bool gone = false;
    fl_error e;
    int rc = run_in(ns, cmd, false, NULL, &e, &gone);
    if (mine)
        session_close(); /* its table is gone either way once the socket closes */
    if (rc == 0 || gone)
        return 0; /* deleted, or its namespace (and so the table) is gone */
    bool known;
    if (!table_exists(ns, name, &known) && known)
        return 0; /* already deleted */
    if (err) {
        *err = e;
        if (strstr(e.message, "Operation not permitted"))
            snprintf(err->message, sizeof(err->message),
                     "table %s is owned by the live process that holds its fault (kernel-owned table): stop that "
                     "fault instead",
                     name);
    }
    return -1;
}

/* The table's rule counters, read with a libnftnl rule dump. (Listing
 * the table through libnftables' JSON output is avoided: nftables 1.0.6
 * frees a JSON value it still prints when a rule matches a port that has a
 * service name, e.g. the SSH exclusions' "tcp sport 22".) */
typedef struct counter_sum {
    uint64_t packets;
} counter_sum;

static int rule_counters_cb(const struct nlmsghdr *nlh, void *data) {
    counter_sum *sum = data;
    struct nftnl_rule *r = nftnl_rule_alloc();
    if (!r)
        return MNL_CB_OK;
    const char *chain;
    if (nftnl_rule_nlmsg_parse(nlh, r) == 0 && (chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)) &&
        strncmp(chain, "fl_", 3) != 0) { /* not the engine's own chains */
        struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
        struct nftnl_expr *e;
        while (it && (e = nftnl_expr_iter_next(it)))
            if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter") == 0)
                sum->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
        if (it)
            nftnl_expr_iter_destroy(it);
    }
    nftnl_rule_free(r);
    return MNL_CB_OK;
}

int fl_nft_table_packets(const fl_netns *ns, const char *name, uint64_t *packets, fl_error *err) {
    *packets = 0;
    if (!table_name_ok(name))
        return fl_fail(err, FL_EAPPLY, "nftables", "not a faultline table name");
    int saved;
    if (fl_netns_enter(ns, &saved, err) != 0)
        return -1;
    bool exists = false;
    json_t *tables = list_tables();
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t) exists =
        exists || strcmp(json_string_value(json_object_get(t, "name")), name) == 0;
    json_decref(tables);
    int rc = -1;
    counter_sum sum = {0};
    struct mnl_socket *nl = exists ? mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC) : NULL;
    struct nftnl_rule *filter = nftnl_rule_alloc();
    if (!exists) {
        fl_fail(err, FL_EAPPLY, "nftables", "No such file or directory: no table inet %s", name);
    } else if (nl && filter && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint32_t seq = (uint32_t)time(NULL);
        struct nlmsghdr *nlh = nftnl_rule_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq);
        nftnl_rule_set_str(filter, NFTNL_RULE_TABLE, name);
        nftnl_rule_nlmsg_build_payload(nlh, filter);
        unsigned portid = mnl_socket_get_portid(nl);
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
            for (;;) {
                int n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
                int r = n > 0 ? mnl_cb_run(buf, (size_t)n, seq, portid, rule_counters_cb, &sum) : -1;
                if (r <= 0) {
                    rc = r == 0 ? 0 : -1;
                    break;
                }
            }
        }
        if (rc != 0)
            fl_fail(err, FL_EAPPLY, "nftables", "cannot read the rules of %s: %s", name, strerror(errno));
    } else {
        fl_fail(err, FL_EAPPLY, "nftables", "netlink: %s", strerror(errno));
    }
    if (filter)
        nftnl_rule_free(filter);
    if (nl)
        mnl_socket_close(nl);
    fl_netns_leave(saved);
    *packets = sum.packets;
    return rc;
}

/* ---- undo operations and leftovers ---- */
json_t *fl_undo_nft_delete_table(const char *name, const char *netns_path, uint64_t netns_dev, uint64_t netns_ino) {
    json_t *op = json_pack("{s:s, s:s, s:s}", "op", "nft_delete_table", "family", "inet", "name", name);
    if (op && netns_path)
        json_object_set_new(op, "netns",
                            json_pack("{s:s, s:I, s:I}", "path", netns_path, "dev", (json_int_t)netns_dev, "ino",
                                      (json_int_t)netns_ino));
    return op;
}

int fl_net_undo_delete_table(json_t *op, fl_error *err) {
    const char *name = json_string_value(json_object_get(op, "name"));
    if (!table_name_ok(name))
        return fl_fail(err, FL_EAPPLY, "undo", "nft_delete_table: not a faultline table");
    fl_netns ns = {0};
    json_t *j = json_object_get(op, "netns");
    if (j) {
        ns.set = true;
        snprintf(ns.path, sizeof(ns.path), "%s", json_string_value(json_object_get(j, "path")));
        ns.dev = (uint64_t)json_integer_value(json_object_get(j, "dev"));
        ns.ino = (uint64_t)json_integer_value(json_object_get(j, "ino"));
    }
    return fl_nft_delete_table(&ns, name, err);
}

/* The fault id a table name carries: faultline_<8 hex>_<kind>_<8 hex>, with
 * the kind's '-' written '_'. */
static bool table_owner(const char *name, uint32_t *hash, char *id, size_t len) {
    unsigned h;
    int used = 0;
    if (sscanf(name, "faultline_%8x_%n", &h, &used) != 1 || used != 19)
        return false;
    *hash = h;
    snprintf(id, len, "%s", name + used);
    size_t n = strlen(id);
    for (size_t i = 0; n > 9 && i < n - 9; i++)
        if (id[i] == '_')
            id[i] = '-';
    if (n > 9)
        id[n - 9] = '-';
    return fl_fault_id_valid(id);
}

/* Whether the journal that owns a foreign table is gone: its state
 * directory no longer exists, or it has no record of that fault. Unknown
 * (no permission, no path) counts as present. */
static bool owner_journal_gone(const char *state, const char *id) {
    if (strcmp(state, "?") == 0 || state[0] != '/')
        return false;
    struct stat st;
    if (lstat(state, &st) != 0)
        return errno == ENOENT;
    char faults[PATH_MAX + 16], rec[PATH_MAX + 80];
    snprintf(faults, sizeof(faults), "%s/faults", state);
    if (lstat(faults, &st) != 0)
        return errno == ENOENT;
    snprintf(rec, sizeof(rec), "%s/%s.json", faults, id);
    return lstat(rec, &st) != 0 && errno == ENOENT;
}

int fl_net_remove_leftovers(fl_recover_cb cb, void *user) {
    if (!fl_have_cap(CAP_NET_ADMIN_BIT))
        return 0; /* nothing of ours can exist where we could not have made it */
    json_t *tables = list_tables();
    char mine_path[PATH_MAX];
    state_identity(mine_path, sizeof(mine_path));
    uint32_t mine = state_hash(mine_path);
    json_t *records = NULL;
    int removed = 0;
    size_t i;
    json_t *item;
    json_array_foreach(tables, i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        const char *comment = json_string_value(json_object_get(item, "comment"));
        uint32_t hash;
        char id[128];
        if (!name || !table_name_ok(name) || !table_owner(name, &hash, id, sizeof(id)))
            continue; /* not a fault's table (faultline_probe, another format) */
        char state[1024] = "";
        long long until = 0;
        bool commented = comment && sscanf(comment, "faultline state=%1023s until=%lld", state, &until) == 2;
        bool ours = hash == mine && (!commented || strcmp(state, "?") == 0 || strcmp(state, mine_path) == 0);
        if (ours) {
            if (!records) {
                fl_error e;
                json_t *corrupt = NULL;
                if (fl_journal_scan(&records, &corrupt, &e) != 0) {
                    json_decref(corrupt);
                    break; /* a journal we cannot trust: touch nothing */
                }
                /* A corrupt record may still own its table. */
                size_t k;
                json_t *c;
                json_array_foreach(corrupt, k, c) json_array_append(records, c);
                json_decref(corrupt);
            }
            bool journaled = false;
            size_t k;
            json_t *rec;
            json_array_foreach(records, k, rec) {
                const char *rid = json_string_value(json_object_get(rec, "id"));
                journaled = journaled || (rid && strcmp(rid, id) == 0);
            }
            if (journaled)
                continue;
        } else if (!commented || !owner_journal_gone(state, id) || fl_boot_us() / 1000000 <= until) {
            /* Another journal's: its owner deals with it, unless that journal
             * is gone and the table has outlived any fault's lifetime. */
            continue;
        }
        fl_error e;
        int rc = fl_nft_delete_table(NULL, name, &e);
        if (rc == 0)
            removed++;
        if (cb)
            cb(user, name, ours ? "leftover nftables table" : "leftover nftables table of a removed journal",
               rc == 0 ? NULL : e.message);
    }
    json_decref(records);
    json_decref(tables);
    return removed;
}
