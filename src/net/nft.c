/* nftables, in-process: libnftables for tables, sets and rules written as
 * nft commands, libnftnl+libmnl for the one rule nft's language cannot
 * express on kernels without the `queue` expression (xtables' NFQUEUE
 * target through nft_compat). No nft or iptables binary is executed. */
#include "net/net.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int run_in(const fl_netns *ns, const char *commands, bool dry_run, char **json_out, fl_error *err,
                  bool *ns_gone) {
    int saved;
    int rc = fl_netns_enter_if_present(ns, &saved, err);
    if (rc < 0)
        return -1;
    if (ns_gone)
        *ns_gone = rc == 1;
    if (rc == 1)
        return fl_fail(err, FL_EAPPLY, "netns", "the network namespace %s is gone", ns->path);
    struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!nft) {
        fl_netns_leave(saved);
        return fl_fail(err, FL_EAPPLY, "nftables", "cannot create a libnftables context");
    }
    nft_ctx_buffer_output(nft);
    nft_ctx_buffer_error(nft);
    if (json_out)
        nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
    nft_ctx_set_dry_run(nft, dry_run);
    rc = nft_run_cmd_from_buffer(nft, commands);
    if (rc != 0) {
        char line[300];
        first_line(nft_ctx_get_error_buffer(nft), line, sizeof(line));
        fl_fail(err, FL_EAPPLY, "nftables", "%s", line[0] ? line : "nftables refused the rules");
    } else if (json_out) {
        *json_out = strdup(nft_ctx_get_output_buffer(nft));
    }
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

/* Sends one nf_tables batch and waits for every acknowledgement. */
static int send_batch(struct mnl_socket *nl, struct mnl_nlmsg_batch *batch, uint32_t first_seq) {
    if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch)) < 0)
        return -1;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    unsigned portid = mnl_socket_get_portid(nl);
    for (;;) {
        /* The batch is acknowledged once (the rule has NLM_F_ACK); an error
         * arrives as an nlmsgerr, which mnl_cb_run turns into -1/errno. */
        int n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
        if (n < 0)
            return -1;
        int rc = mnl_cb_run(buf, (size_t)n, 0, portid, NULL, NULL);
        if (rc <= 0)
            return rc;
        (void)first_seq;
    }
}

int fl_nft_add_compat_queue(const fl_netns *ns, const char *table, const char *chain, uint16_t queue_num,
                            fl_error *err) {
    int saved;
    if (fl_netns_enter(ns, &saved, err) != 0)
        return -1;
    int rc = -1;
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    struct nftnl_rule *rule = nftnl_rule_alloc();
    char *buf = malloc(MNL_SOCKET_BUFFER_SIZE * 2);
    if (!nl || !rule || !buf || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
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
    struct xt_NFQ_info_v3 *info = calloc(1, sizeof(*info));
    if (!info) {
        nftnl_expr_free(target);
        fl_fail(err, FL_EAPPLY, "nftables", "out of memory");
        goto out;
    }
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
    rc = send_batch(nl, batch, seq);
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

static bool table_exists(const fl_netns *ns, const char *name, bool *known) {
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "list table inet %s\n", name);
    char *out = NULL;
    fl_error e;
    int rc = fl_nft_run(ns, cmd, false, &out, &e);
    free(out);
    /* "No such file or directory" is the only answer meaning absent. */
    *known = rc == 0 || strstr(e.message, "No such file or directory") != NULL;
    return rc == 0;
}

int fl_nft_delete_table(const fl_netns *ns, const char *name, fl_error *err) {
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "delete table inet %s\n", name);
    bool gone = false;
    fl_error e;
    if (run_in(ns, cmd, false, NULL, &e, &gone) == 0 || gone)
        return 0; /* deleted, or its namespace (and so the table) is gone */
    bool known;
    if (!table_exists(ns, name, &known) && known)
        return 0; /* already deleted */
    if (err)
        *err = e;
    return -1;
}

int fl_nft_table_packets(const fl_netns *ns, const char *name, uint64_t *packets, fl_error *err) {
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "list table inet %s\n", name);
    char *out = NULL;
    if (fl_nft_run(ns, cmd, false, &out, err) != 0)
        return -1;
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    *packets = 0;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(doc, "nftables"), i, item) {
        json_t *rule = json_object_get(item, "rule");
        const char *chain = json_string_value(json_object_get(rule, "chain"));
        if (!rule || !chain || strncmp(chain, "fl_", 3) == 0) /* the engine's queue chains */
            continue;
        size_t j;
        json_t *expr;
        json_array_foreach(json_object_get(rule, "expr"), j, expr) {
            json_t *counter = json_object_get(expr, "counter");
            if (counter)
                *packets += (uint64_t)json_integer_value(json_object_get(counter, "packets"));
        }
    }
    json_decref(doc);
    return 0;
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
    if (!name || strncmp(name, "faultline_", 10) != 0)
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

int fl_net_remove_leftovers(fl_recover_cb cb, void *user) {
    char *out = NULL;
    fl_error err;
    if (fl_nft_run(NULL, "list tables inet\n", false, &out, &err) != 0)
        return 0; /* no nftables here, or no permission: nothing of ours either */
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    json_t *records = NULL;
    int removed = 0;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(doc, "nftables"), i, item) {
        const char *name = json_string_value(json_object_get(json_object_get(item, "table"), "name"));
        if (!name || strncmp(name, "faultline_", 10) != 0 || strcmp(name, "faultline_probe") == 0)
            continue;
        if (!records)
            records = fl_journal_load_all();
        bool journaled = false;
        size_t k;
        json_t *rec;
        json_array_foreach(records, k, rec) {
            char table[128];
            fl_net_table_name(json_string_value(json_object_get(rec, "id")), table, sizeof(table));
            journaled = journaled || strcmp(table, name) == 0;
        }
        if (journaled)
            continue;
        fl_error e;
        int rc = fl_nft_delete_table(NULL, name, &e);
        if (rc == 0)
            removed++;
        if (cb)
            cb(user, name, "leftover nftables table", rc == 0 ? NULL : e.message);
    }
    json_decref(records);
    json_decref(doc);
    return removed;
}
