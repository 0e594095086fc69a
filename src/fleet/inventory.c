/* Inventory files (docs/fleet.md): libyaml's document API keeps the line and
 * column of every node, so every error names file:line:col and the field. */
#include "core/buffer.h"
#include "core/internal.h"
#include "fleet/fleet.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

typedef struct pctx {
    yaml_document_t *doc;
    const char *name;
    fl_error *err;
} pctx;

__attribute__((format(printf, 4, 5))) static int perr(pctx *c, const yaml_node_t *node, const char *field,
                                                      const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->err->code = FL_EINVAL;
    snprintf(c->err->field, sizeof(c->err->field), "%s", field);
    if (node)
        snprintf(c->err->message, sizeof(c->err->message), "%s:%d:%d: %s: %s", c->name, (int)node->start_mark.line + 1,
                 (int)node->start_mark.column + 1, field, msg);
    else
        snprintf(c->err->message, sizeof(c->err->message), "%s: %s: %s", c->name, field, msg);
    return -1;
}

static const char *scalar(const yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool valid_word(const char *s, const char *extra) {
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
            return false;
    return true;
}

static int get_string(pctx *c, yaml_node_t *v, const char *field, char **out) {
    const char *s = scalar(v);
    if (!s || !*s)
        return perr(c, v, field, "expected a non-empty string");
    if (strlen(s) > 1024)
        return perr(c, v, field, "longer than 1024 characters");
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return perr(c, v, field, "control characters are not allowed");
    free(*out);
    *out = fl_xstrdup(s);
    return 0;
}

static int get_kv(pctx *c, yaml_node_t *v, const char *field, bool env, fl_kv **out, size_t *n) {
    if (!v || v->type != YAML_MAPPING_NODE)
        return perr(c, v, field, "expected a mapping of name: value");
    size_t first = *n; /* earlier entries come from defaults: replaced later */
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *val = yaml_document_get_node(c->doc, p->value);
        const char *ks = scalar(k);
        if (!ks || !(env ? valid_word(ks, "_") && !isdigit((unsigned char)ks[0]) : valid_word(ks, "_-./:")))
            return perr(c, k, field,
                        env ? "variable names are letters, digits and _ (not first a digit)"
                            : "tag names are letters, digits and _ - . / :");
        char *value = NULL;
        char sub[64];
        snprintf(sub, sizeof(sub), "%s.%s", field, ks);
        if (get_string(c, val, sub, &value) != 0)
            return -1;
        if (!env && strchr(value, ',')) {
            free(value);
            return perr(c, val, sub, "a tag value cannot contain ','");
        }
        for (size_t i = first; i < *n; i++)
            if (strcmp((*out)[i].key, ks) == 0) {
                free(value);
                return perr(c, k, sub, "given twice");
            }
        *out = fl_xreallocarray(*out, *n + 1, sizeof(**out));
        (*out)[(*n)++] = (fl_kv){fl_xstrdup(ks), value};
    }
    return 0;
}

static void host_clear(fl_host *h) {
    free(h->name);
    free(h->address);
    free(h->user);
    free(h->identity);
    free(h->faultline);
    free(h->known_hosts);
    free(h->host_key_checking);
    for (size_t i = 0; i < h->n_tags; i++) {
        free(h->tags[i].key);
        free(h->tags[i].value);
    }
    free(h->tags);
    for (size_t i = 0; i < h->n_env; i++) {
        free(h->env[i].key);
        free(h->env[i].value);
    }
    free(h->env);
    for (size_t i = 0; i < h->n_groups; i++)
        free(h->groups[i]);
    free(h->groups);
    memset(h, 0, sizeof(*h));
}

static char *dup_or_null(const char *s) { return s ? fl_xstrdup(s) : NULL; }

static void host_copy_defaults(fl_host *h, const fl_host *d) {
    h->port = d->port;
    h->user = dup_or_null(d->user);
    h->identity = dup_or_null(d->identity);
    h->faultline = dup_or_null(d->faultline);
    h->known_hosts = dup_or_null(d->known_hosts);
    h->host_key_checking = dup_or_null(d->host_key_checking);
    h->connect_timeout_us = d->connect_timeout_us;
    for (size_t i = 0; i < d->n_env; i++) {
        h->env = fl_xreallocarray(h->env, h->n_env + 1, sizeof(*h->env));
        h->env[h->n_env++] = (fl_kv){fl_xstrdup(d->env[i].key), fl_xstrdup(d->env[i].value)};
    }
    for (size_t i = 0; i < d->n_tags; i++) {
        h->tags = fl_xreallocarray(h->tags, h->n_tags + 1, sizeof(*h->tags));
        h->tags[h->n_tags++] = (fl_kv){fl_xstrdup(d->tags[i].key), fl_xstrdup(d->tags[i].value)};
    }
}

/* Sets the fields of one host (or of defaults) from a mapping. */
static int host_fields(pctx *c, yaml_node_t *map, fl_host *h, const char *where, bool is_defaults) {
    if (!map || map->type != YAML_MAPPING_NODE)
        return perr(c, map, where, "expected a mapping of host fields");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *v = yaml_document_get_node(c->doc, p->value);
        const char *ks = scalar(k);
        char field[160];
        snprintf(field, sizeof(field), "%s.%s", where, ks ? ks : "?");
        if (!ks)
            return perr(c, k, where, "field names are strings");
        if (strcmp(ks, "address") == 0 && !is_defaults) {
            if (get_string(c, v, field, &h->address) != 0)
                return -1;
            if (h->address[0] == '-' || !valid_word(h->address, "-.:_[]%"))
                return perr(c, v, field, "not a hostname or IP address");
        } else if (strcmp(ks, "port") == 0) {
            const char *s = scalar(v);
            char *end;
            errno = 0;
            long port = s ? strtol(s, &end, 10) : 0;
            if (!s || !*s || *end || errno || port < 1 || port > 65535)
                return perr(c, v, field, "expected a port number 1..65535");
            h->port = (int)port;
        } else if (strcmp(ks, "user") == 0) {
            if (get_string(c, v, field, &h->user) != 0)
                return -1;
            if (h->user[0] == '-' || !valid_word(h->user, "-._"))
                return perr(c, v, field, "user names are letters, digits and - . _");
        } else if (strcmp(ks, "identity") == 0 || strcmp(ks, "known_hosts") == 0 || strcmp(ks, "faultline") == 0) {
            char **dst = ks[0] == 'i' ? &h->identity : ks[0] == 'k' ? &h->known_hosts : &h->faultline;
            if (get_string(c, v, field, dst) != 0)
                return -1;
            if ((*dst)[0] == '-')
                return perr(c, v, field, "a path cannot start with '-'");
        } else if (strcmp(ks, "host_key_checking") == 0) {
            const char *s = scalar(v);
            /* YAML 1.1 readers turn a bare no into false: accept both. */
            const char *norm = !s                                                ? NULL
                               : strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ? "yes"
                               : strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ? "no"
                               : strcmp(s, "accept-new") == 0                    ? "accept-new"
                                                                                 : NULL;
            if (!norm)
                return perr(c, v, field, "expected yes, no or accept-new");
            free(h->host_key_checking);
            h->host_key_checking = fl_xstrdup(norm);
        } else if (strcmp(ks, "connect_timeout") == 0) {
            const char *s = scalar(v);
            fl_error e;
            if (!s || fl_parse_duration(s, field, &h->connect_timeout_us, &e) != 0 || h->connect_timeout_us < 1000000)
                return perr(c, v, field, "expected a duration of at least 1s (5s, 1m)");
        } else if (strcmp(ks, "tags") == 0) {
            if (get_kv(c, v, field, false, &h->tags, &h->n_tags) != 0)
                return -1;
        } else if (strcmp(ks, "env") == 0) {
            if (get_kv(c, v, field, true, &h->env, &h->n_env) != 0)
                return -1;
        } else {
            return perr(c, k, field,
                        "unknown field (address, port, user, identity, faultline, known_hosts, host_key_checking, "
                        "connect_timeout, tags, env)");
        }
    }
    return 0;
}

/* A later definition of the same key (defaults then host) replaces the earlier. */
static void dedupe_kv(fl_kv *kv, size_t *n) {
    for (size_t i = 0; i < *n; i++)
        for (size_t j = i + 1; j < *n; j++)
            if (strcmp(kv[i].key, kv[j].key) == 0) {
                free(kv[i].key);
                free(kv[i].value);
                memmove(&kv[i], &kv[i + 1], (*n - i - 1) * sizeof(*kv));
                (*n)--;
                i--;
                break;
            }
}

static int by_host_name(const void *a, const void *b, void *hosts) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const fl_host *h = hosts;
    int cmp = strcmp(h[x].name, h[y].name);
    return cmp ? cmp : (x > y) - (x < y);
}

static int parse_groups(pctx *c, yaml_node_t *groups, fl_inventory *inv, const size_t *order);

static int parse_doc(pctx *c, fl_inventory *inv) {
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return perr(c, root, "inventory", "expected a mapping with hosts (and defaults, groups)");
    yaml_node_t *hosts = NULL, *defaults = NULL, *groups = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *v = yaml_document_get_node(c->doc, p->value);
        const char *ks = scalar(k);
        yaml_node_t **slot = !ks                           ? NULL
                             : strcmp(ks, "hosts") == 0    ? &hosts
                             : strcmp(ks, "defaults") == 0 ? &defaults
                             : strcmp(ks, "groups") == 0   ? &groups
                                                           : NULL;
        if (!slot)
            return perr(c, k, ks ? ks : "?", "unknown top-level field (hosts, defaults, groups)");
        if (*slot)
            return perr(c, k, ks, "given twice");
        *slot = v;
    }
    if (!hosts)
        return perr(c, root, "hosts", "required: a mapping of host name to fields");
    fl_host def = {.port = 22, .connect_timeout_us = 10000000};
    if (defaults && host_fields(c, defaults, &def, "defaults", true) != 0) {
        host_clear(&def);
        return -1;
    }
    if (hosts->type != YAML_MAPPING_NODE || hosts->data.mapping.pairs.top == hosts->data.mapping.pairs.start) {
        host_clear(&def);
        return perr(c, hosts, "hosts", "expected a non-empty mapping of host name to fields");
    }
    size_t n = (size_t)(hosts->data.mapping.pairs.top - hosts->data.mapping.pairs.start);
    inv->hosts = fl_xcalloc(n, sizeof(*inv->hosts));
    yaml_node_t **keys = fl_xcalloc(n, sizeof(*keys)); /* each host's name node, for messages */
    int rc = 0;
    for (yaml_node_pair_t *p = hosts->data.mapping.pairs.start; rc == 0 && p < hosts->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *v = yaml_document_get_node(c->doc, p->value);
        const char *ks = scalar(k);
        if (!ks || !valid_word(ks, "-._") || strlen(ks) > 63) {
            rc = perr(c, k, "hosts", "host names are 1-63 letters, digits and - . _");
            break;
        }
        fl_host *h = &inv->hosts[inv->n_hosts++];
        keys[inv->n_hosts - 1] = k;
        h->name = fl_xstrdup(ks);
        host_copy_defaults(h, &def);
        char where[96];
        snprintf(where, sizeof(where), "hosts.%s", ks);
        rc = host_fields(c, v, h, where, false);
        if (rc == 0 && !h->address)
            rc = perr(c, v, where, "address is required");
        dedupe_kv(h->tags, &h->n_tags);
        dedupe_kv(h->env, &h->n_env);
    }
    host_clear(&def);
    /* Duplicates and group members by binary search over the sorted names:
     * an inventory of thousands of hosts stays fast. */
    size_t *order = rc == 0 ? fl_xcalloc(inv->n_hosts ? inv->n_hosts : 1, sizeof(*order)) : NULL;
    for (size_t i = 0; order && i < inv->n_hosts; i++)
        order[i] = i;
    if (order)
        qsort_r(order, inv->n_hosts, sizeof(*order), by_host_name, inv->hosts);
    for (size_t i = 1; order && rc == 0 && i < inv->n_hosts; i++)
        if (strcmp(inv->hosts[order[i - 1]].name, inv->hosts[order[i]].name) == 0) {
            size_t later = order[i - 1] > order[i] ? order[i - 1] : order[i];
            rc = perr(c, keys[later], "hosts", "host '%s' given twice", inv->hosts[later].name);
        }
    free(keys);
    if (rc != 0 || !groups) {
        free(order);
        return rc;
    }
    if (groups->type != YAML_MAPPING_NODE) {
        free(order);
        return perr(c, groups, "groups", "expected a mapping of group name to a list of host names");
    }
    rc = parse_groups(c, groups, inv, order);
    free(order);
    return rc;
}

static int parse_groups(pctx *c, yaml_node_t *groups, fl_inventory *inv, const size_t *order) {
    for (yaml_node_pair_t *p = groups->data.mapping.pairs.start; p < groups->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *v = yaml_document_get_node(c->doc, p->value);
        const char *gs = scalar(k);
        if (!gs || !valid_word(gs, "-._"))
            return perr(c, k, "groups", "group names are letters, digits and - . _");
        char field[96];
        snprintf(field, sizeof(field), "groups.%s", gs);
        if (!v || v->type != YAML_SEQUENCE_NODE)
            return perr(c, v, field, "expected a list of host names");
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *hn = yaml_document_get_node(c->doc, *it);
            const char *hs = scalar(hn);
            fl_host *h = NULL;
            size_t lo = 0, hi = inv->n_hosts;
            while (hs && lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int cmp = strcmp(inv->hosts[order[mid]].name, hs);
                if (cmp == 0) {
                    h = &inv->hosts[order[mid]];
                    break;
                }
                if (cmp < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (!h)
                return perr(c, hn, field, "'%s' is not a host of this inventory", hs ? hs : "?");
            bool have = false;
            for (size_t i = 0; i < h->n_groups; i++)
                have |= strcmp(h->groups[i], gs) == 0;
            if (!have) {
                h->groups = fl_xreallocarray(h->groups, h->n_groups + 1, sizeof(*h->groups));
                h->groups[h->n_groups++] = fl_xstrdup(gs);
            }
        }
    }
    return 0;
}

fl_inventory *fl_inventory_parse(const char *text, size_t len, const char *name, fl_error *err) {
    int bl, bc;
    char why[100];
    if (fl_yaml_bounded(text, len, true, &bl, &bc, why, sizeof(why)) != 0) {
        err->code = FL_EINVAL;
        snprintf(err->field, sizeof(err->field), "inventory");
        snprintf(err->message, sizeof(err->message), "%s:%d:%d: inventory: %s", name, bl, bc, why);
        return NULL;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        err->code = FL_EINVAL;
        snprintf(err->field, sizeof(err->field), "inventory");
        snprintf(err->message, sizeof(err->message), "%s:%d:%d: inventory: %s", name, (int)parser.problem_mark.line + 1,
                 (int)parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        return NULL;
    }
    fl_inventory *inv = fl_xcalloc(1, sizeof(*inv));
    inv->path = fl_xstrdup(name);
    pctx c = {&doc, name, err};
    int rc = parse_doc(&c, inv);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != 0) {
        fl_inventory_free(inv);
        return NULL;
    }
    return inv;
}

/* What is read of an inventory file: a bigger one is parsed cut there (and
 * fails to parse). */
#define MAX_INVENTORY_BYTES (1u << 24)

fl_inventory *fl_inventory_load(const char *path, fl_error *err) {
    FILE *f = fopen(path, "re");
    if (!f) {
        err->code = FL_EINVAL;
        snprintf(err->field, sizeof(err->field), "inventory");
        snprintf(err->message, sizeof(err->message), "inventory: cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        err->code = FL_EINVAL;
        snprintf(err->field, sizeof(err->field), "inventory");
        snprintf(err->message, sizeof(err->message), "inventory: %s is a directory", path);
        return NULL;
    }
    fl_buffer text;
    fl_buffer_init(&text, MAX_INVENTORY_BYTES, true);
    int rc = fl_buffer_read_fd(&text, fileno(f), false);
    int read_errno = errno;
    fclose(f);
    fl_inventory *inv = NULL;
    if (rc != 0) {
        err->code = FL_EINVAL;
        snprintf(err->field, sizeof(err->field), "inventory");
        snprintf(err->message, sizeof(err->message), "inventory: cannot read %s: %s", path, strerror(read_errno));
    } else {
        inv = fl_inventory_parse(fl_buffer_str(&text), text.len, path, err);
    }
    fl_buffer_free(&text);
    return inv;
}

void fl_inventory_free(fl_inventory *inv) {
    if (!inv)
        return;
    for (size_t i = 0; i < inv->n_hosts; i++)
        host_clear(&inv->hosts[i]);
    free(inv->hosts);
    free(inv->path);
    free(inv);
}
