/* The experiment file: YAML (libyaml's document loader, which keeps every
 * node's line and column) checked against the schema in docs/experiment.md.
 * Strict on purpose: unknown keys, duplicate keys, aliases and values of
 * the wrong type are errors that name the file position and the field path,
 * and every attack parameter goes through fl_spec_set so that its type and
 * range are checked exactly as `faultline attack` checks them. */
#include "core/internal.h"
#include "experiment/model/model.h"
#include "experiment/steps/step.h"
#include "fleet/fleet.h"
#include "fleet/ssm.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAX_FILE_BYTES (1024 * 1024)
#define MAX_ITEMS 256
/* A hypothesis passes only when at least this share of the samples its
 * phase should hold came with a value (docs/experiment.md). */
#define DEFAULT_MIN_COVERAGE 0.8

typedef struct pctx {
    yaml_document_t *doc;
    const char *file;
    fl_error *err;
    unsigned char *visited; /* per node: aliases would be visited twice */
    fl_experiment *exp;
} pctx;

void exp_error_at(fl_error *err, const char *file, fl_mark mark, const char *path, const char *fmt, ...) {
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    err->code = FL_EINVAL;
    snprintf(err->field, sizeof(err->field), "%s", path);
    if (path && *path)
        snprintf(err->message, sizeof(err->message), "%s:%d:%d: %s: %s", file, mark.line, mark.column, path, what);
    else
        snprintf(err->message, sizeof(err->message), "%s:%d:%d: %s", file, mark.line, mark.column, what);
}

void exp_free_argv(char **argv, size_t argc) {
    if (!argv)
        return;
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

static fl_mark mark_of(const yaml_node_t *node) {
    return (fl_mark){(int)node->start_mark.line + 1, (int)node->start_mark.column + 1};
}

static int fail_at(pctx *c, const yaml_node_t *node, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(pctx *c, const yaml_node_t *node, const char *path, const char *fmt, ...) {
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    exp_error_at(c->err, c->file, mark_of(node), path, "%s", what);
    return -1;
}

/* A library message names its field first ("delay: ..."); the path names it
 * here, so the rest is what is said. */
static int fail_lib(pctx *c, const yaml_node_t *node, const char *path, const fl_error *lib) {
    return fail_at(c, node, path, "%s", fl_error_detail(lib));
}

static yaml_node_t *node_at(pctx *c, int index) { return yaml_document_get_node(c->doc, index); }

/* Every node is read once; a second visit means an alias (*x), which the
 * schema does not allow (it would also let a small file expand without
 * bound). */
static int visit(pctx *c, yaml_node_t *node, const char *path) {
    size_t index = (size_t)(node - c->doc->nodes.start);
    if (c->visited[index])
        return fail_at(c, node, path, "aliases (*name) are not supported; write the value out");
    c->visited[index] = 1;
    return 0;
}

static const char *kind_name(const yaml_node_t *node) {
    switch (node->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static int want_scalar(pctx *c, yaml_node_t *node, const char *path, const char **out) {
    if (visit(c, node, path) != 0)
        return -1;
    if (node->type != YAML_SCALAR_NODE)
        return fail_at(c, node, path, "expected a single value, found %s", kind_name(node));
    const char *text = (const char *)node->data.scalar.value;
    if (strlen(text) != node->data.scalar.length)
        return fail_at(c, node, path, "contains a NUL character");
    *out = text;
    return 0;
}

static int want_kind(pctx *c, yaml_node_t *node, const char *path, yaml_node_type_t type) {
    if (visit(c, node, path) != 0)
        return -1;
    if (node->type != type)
        return fail_at(c, node, path, "expected %s, found %s",
                       type == YAML_MAPPING_NODE ? "a mapping (key: value)" : "a list (- item)", kind_name(node));
    size_t n = type == YAML_MAPPING_NODE ? (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start)
                                         : (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n > MAX_ITEMS)
        return fail_at(c, node, path, "more than %d entries", MAX_ITEMS);
    return 0;
}

/* Checks a mapping's keys against the allowed ones (NULL-terminated) and
 * for duplicates. */
static int check_keys(pctx *c, yaml_node_t *map, const char *path, const char *const *allowed) {
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *key = node_at(c, p->key);
        char kpath[256];
        if (key->type != YAML_SCALAR_NODE)
            return fail_at(c, key, path, "keys must be plain words, found %s", kind_name(key));
        const char *k = (const char *)key->data.scalar.value;
        snprintf(kpath, sizeof(kpath), "%s%s%s", path, *path ? "." : "", k);
        bool known = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], k) == 0)
                known = true;
        if (!known) {
            char list[300] = "";
            for (size_t i = 0; allowed[i]; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", allowed[i]);
            return fail_at(c, key, kpath, "unknown key; expected one of: %s", list);
        }
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *other = node_at(c, q->key);
            if (other->type == YAML_SCALAR_NODE && strcmp((const char *)other->data.scalar.value, k) == 0)
                return fail_at(c, key, kpath, "given twice (first at line %d)", mark_of(other).line);
        }
    }
    return 0;
}

static yaml_node_t *get(pctx *c, yaml_node_t *map, const char *key) {
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(c, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
            return node_at(c, p->value);
    }
    return NULL;
}

static void join(char *out, size_t len, const char *path, const char *key) {
    snprintf(out, len, "%s%s%s", path, *path ? "." : "", key);
}

/* Finds the optional scalar `key` of `map`: 0 if absent, -1 (reported) if
 * not a scalar, 1 with *node, its field path in p and its text. */
static int get_scalar(pctx *c, yaml_node_t *map, const char *path, const char *key, yaml_node_t **node, char *p,
                      size_t p_len, const char **text) {
    *node = get(c, map, key);
    if (!*node)
        return 0;
    join(p, p_len, path, key);
    return want_scalar(c, *node, p, text) != 0 ? -1 : 1;
}

static int get_string(pctx *c, yaml_node_t *map, const char *path, const char *key, char **out) {
    yaml_node_t *v;
    char p[256];
    const char *text = NULL;
    int found = get_scalar(c, map, path, key, &v, p, sizeof(p), &text);
    if (found <= 0)
        return found;
    free(*out);
    *out = fl_xstrdup(text);
    return 1;
}

static int get_duration(pctx *c, yaml_node_t *map, const char *path, const char *key, int64_t min_us, int64_t *out) {
    yaml_node_t *v;
    char p[256];
    const char *text = NULL;
    int found = get_scalar(c, map, path, key, &v, p, sizeof(p), &text);
    if (found <= 0)
        return found;
    fl_error e;
    if (fl_parse_duration(text, key, out, &e) != 0)
        return fail_lib(c, v, p, &e);
    if (*out < min_us) {
        char b[32];
        return fail_at(c, v, p, "'%s' is too short; at least %s", text, fl_format_duration(min_us, b, sizeof(b)));
    }
    if (*out > FL_MAX_DURATION_US)
        return fail_at(c, v, p, "'%s' is longer than 12h", text);
    return 1;
}

/* An optional percentage (min-coverage: 80%) as a ratio 0..1; 1 if read. */
static int get_ratio(pctx *c, yaml_node_t *map, const char *path, const char *key, double *out) {
    yaml_node_t *node;
    char p[256];
    const char *text;
    int rc = get_scalar(c, map, path, key, &node, p, sizeof(p), &text);
    if (rc <= 0)
        return rc;
    double percent;
    fl_error e;
    if (fl_parse_percent(text, key, &percent, &e) != 0)
        return fail_at(c, node, p, "'%s' is not a percentage from 0%% to 100%%, e.g. 80%%", text);
    *out = percent / 100.0;
    return 1;
}

static int parse_int(pctx *c, yaml_node_t *v, const char *path, long min, long max, long *out) {
    const char *text = NULL;
    if (want_scalar(c, v, path, &text) != 0)
        return -1;
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (!*text || *end || errno)
        return fail_at(c, v, path, "'%s' is not a whole number", text);
    if (n < min || n > max)
        return fail_at(c, v, path, "%ld is out of range %ld..%ld", n, min, max);
    *out = n;
    return 0;
}

/* A name others refer to: letters, digits, '-', '_', '.'. */
static int check_name(pctx *c, yaml_node_t *v, const char *path, const char *name) {
    if (!*name || strlen(name) > 63)
        return fail_at(c, v, path, "a name needs 1 to 63 characters");
    for (const char *s = name; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '_' || *s == '.'))
            return fail_at(c, v, path, "'%s': use letters, digits, '-', '_' and '.' only", name);
    return 0;
}

/* An argv list: [program, arg...]. Never a shell line. */
static int parse_argv(pctx *c, yaml_node_t *v, const char *path, char ***argv, size_t *argc) {
    if (v->type == YAML_SCALAR_NODE) {
        const char *text = (const char *)v->data.scalar.value;
        if (strchr(text, ' '))
            return fail_at(c, v, path,
                           "a command is a list of arguments, e.g. [redis-cli, ping]; no shell line is run");
    }
    if (want_kind(c, v, path, YAML_SEQUENCE_NODE) != 0)
        return -1;
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n == 0)
        return fail_at(c, v, path, "an empty command; give [program, arguments...]");
    char **out = fl_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        char p[256];
        const char *text = NULL;
        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        if (want_scalar(c, node_at(c, v->data.sequence.items.start[i]), p, &text) != 0) {
            exp_free_argv(out, i);
            return -1;
        }
        out[i] = fl_xstrdup(text);
    }
    if (!*out[0]) {
        exp_free_argv(out, n);
        return fail_at(c, v, path, "the program name is empty");
    }
    *argv = out;
    *argc = n;
    return 0;
}

/* ---- targets ----------------------------------------------------------- */
void target_def_free(target_def *t) {
    if (!t)
        return;
    free(t->inventory);
    if (t->owns_inventory)
        fl_inventory_free(t->inv);
    free(t->select);
    free(t->mode);
    free(t->max_concurrency);
    free(t->max_errors);
    exp_free_argv(t->ssm_names, t->n_ssm);
    exp_free_argv(t->ssm_values, t->n_ssm);
    free(t->ssm_region);
    free(t->ssm_profile);
    free(t->ssm_endpoint);
    free(t);
}

/* The inventory path relative to the experiment file's folder. */
static char *relative_to_file(const char *file, const char *path) {
    const char *slash = strrchr(file, '/');
    if (path[0] == '/' || !slash)
        return fl_xstrdup(path);
    return fl_xasprintf("%.*s/%s", (int)(slash - file), file, path);
}

/* Appends a (name, value) pair to two parallel arrays. */
static void pair_add(char ***names, char ***values, size_t *n, const char *name, const char *value) {
    *names = fl_xreallocarray(*names, *n + 1, sizeof(char *));
    *values = fl_xreallocarray(*values, *n + 1, sizeof(char *));
    (*names)[*n] = fl_xstrdup(name);
    (*values)[*n] = fl_xstrdup(value);
    (*n)++;
}

static void ssm_add(target_def *t, const char *name, const char *value) {
    pair_add(&t->ssm_names, &t->ssm_values, &t->n_ssm, name, value);
}

/* targets: {ssm: {...}}. The options are checked here by the same code
 * that builds the SendCommand (fl_ssm_request_option), on a probe request. */
static int parse_ssm_target(pctx *c, yaml_node_t *v, const char *path, target_def *t) {
    static const char *const keys[] = {
        "region",     "profile", "endpoint-url", "tags",          "instance-ids", "max-concurrency",
        "max-errors", "alarm",   "log-group",    "document-name", "timeout",      "poll",
        NULL};
    if (want_kind(c, v, path, YAML_MAPPING_NODE) != 0 || check_keys(c, v, path, keys) != 0)
        return -1;
    t->kind = TARGET_SSM;
    t->ssm_poll_us = 2000000;
    if (get_duration(c, v, path, "poll", 10000, &t->ssm_poll_us) < 0)
        return -1;
    fl_ssm_request *probe = fl_ssm_request_new("cpu", c->err);
    fl_ssm_config cfg = {0};
    int rc = 0;
    for (yaml_node_pair_t *pp = v->data.mapping.pairs.start; rc == 0 && pp < v->data.mapping.pairs.top; pp++) {
        const char *key = (const char *)node_at(c, pp->key)->data.scalar.value;
        yaml_node_t *val = node_at(c, pp->value);
        char kp[256];
        join(kp, sizeof(kp), path, key);
        fl_error e;
        if (strcmp(key, "poll") == 0)
            continue;
        if (strcmp(key, "tags") == 0) {
            if (want_kind(c, val, kp, YAML_MAPPING_NODE) != 0) {
                rc = -1;
                break;
            }
            for (yaml_node_pair_t *q = val->data.mapping.pairs.start; rc == 0 && q < val->data.mapping.pairs.top; q++) {
                yaml_node_t *tk = node_at(c, q->key), *tv = node_at(c, q->value);
                const char *tag = NULL, *tval = NULL;
                char tp[300], kv[600];
                if (tk->type != YAML_SCALAR_NODE) {
                    rc = fail_at(c, tk, kp, "tag names are plain words");
                    break;
                }
                join(tp, sizeof(tp), kp, (const char *)tk->data.scalar.value);
                tag = (const char *)tk->data.scalar.value;
                if (want_scalar(c, tv, tp, &tval) != 0) {
                    rc = -1;
                    break;
                }
                snprintf(kv, sizeof(kv), "%s=%s", tag, tval);
                if (fl_ssm_request_option(probe, "tag", kv, &e) != 0)
                    rc = fail_at(c, tv, tp, "%s", fl_error_detail(&e));
                else
                    ssm_add(t, "tag", kv);
            }
            continue;
        }
        const char *text = NULL;
        char joined[2048] = "";
        if (strcmp(key, "instance-ids") == 0 && val->type == YAML_SEQUENCE_NODE) {
            if (want_kind(c, val, kp, YAML_SEQUENCE_NODE) != 0) {
                rc = -1;
                break;
            }
            for (yaml_node_item_t *it = val->data.sequence.items.start; it < val->data.sequence.items.top; it++) {
                const char *id = NULL;
                if (want_scalar(c, node_at(c, *it), kp, &id) != 0) {
                    rc = -1;
                    break;
                }
                snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", *joined ? "," : "", id);
            }
            if (rc != 0)
                break;
            text = joined;
        } else if (want_scalar(c, val, kp, &text) != 0) {
            rc = -1;
            break;
        }
        bool config = strcmp(key, "region") == 0 || strcmp(key, "profile") == 0 || strcmp(key, "endpoint-url") == 0;
        int bad = config ? fl_ssm_config_option(&cfg, key, text, &e) : fl_ssm_request_option(probe, key, text, &e);
        if (bad != 0) {
            rc = fail_at(c, val, kp, "%s", fl_error_detail(&e));
            break;
        }
        if (config)
            *(key[0] == 'r' ? &t->ssm_region : key[0] == 'p' ? &t->ssm_profile : &t->ssm_endpoint) = fl_xstrdup(text);
        else
            ssm_add(t, key, text);
    }
    fl_ssm_request_free(probe);
    if (rc != 0)
        return -1;
    bool tags = false, ids = false;
    for (size_t i = 0; i < t->n_ssm; i++) {
        tags |= strcmp(t->ssm_names[i], "tag") == 0;
        ids |= strcmp(t->ssm_names[i], "instance-ids") == 0;
    }
    if (tags == ids)
        return fail_at(c, v, path, "give exactly one of tags: {KEY: VALUE, ...} or instance-ids: [i-...]");
    return 0;
}

/* targets: local | {inventory, select, mode, seed, max-concurrency,
 * max-errors, lease} | {ssm: {...}}. `inherit` is the experiment's own
 * targets (a step or load.from may leave the inventory out). */
static int parse_target(pctx *c, yaml_node_t *v, const char *path, const target_def *inherit, bool ssh_only,
                        target_def **out) {
    *out = NULL;
    if (v->type == YAML_SCALAR_NODE) {
        const char *text = NULL;
        if (want_scalar(c, v, path, &text) != 0)
            return -1;
        if (strcmp(text, "local") == 0 || (ssh_only && strcmp(text, "controller") == 0))
            return 0;
        return fail_at(c, v, path, "'%s': write %s, or a mapping with inventory: and select: (ssh)%s", text,
                       ssh_only ? "controller" : "local", ssh_only ? "" : ", or ssm: {...}");
    }
    static const char *const keys[] = {"inventory",  "select", "mode", "seed", "max-concurrency",
                                       "max-errors", "lease",  "ssm",  NULL};
    /* Load runs on every selected host at once, without a lease: the fan-out
     * limits and ssm are for faults only. */
    static const char *const load_keys[] = {"inventory", "select", "mode", "seed", NULL};
    if (want_kind(c, v, path, YAML_MAPPING_NODE) != 0 || check_keys(c, v, path, ssh_only ? load_keys : keys) != 0)
        return -1;
    target_def *t = fl_xcalloc(1, sizeof(*t));
    *out = t;
    t->mark = mark_of(v);
    char p[256];
    yaml_node_t *ssm = get(c, v, "ssm");
    if (ssm) {
        if (v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1)
            return fail_at(c, v, path, "ssm: stands alone; inventory, select and the others are for ssh fleets");
        join(p, sizeof(p), path, "ssm");
        return parse_ssm_target(c, ssm, p, t);
    }
    t->kind = TARGET_SSH;
    if (get_string(c, v, path, "inventory", &t->inventory) < 0 || get_string(c, v, path, "select", &t->select) < 0 ||
        get_string(c, v, path, "mode", &t->mode) < 0 ||
        get_string(c, v, path, "max-concurrency", &t->max_concurrency) < 0 ||
        get_string(c, v, path, "max-errors", &t->max_errors) < 0)
        return -1;
    t->lease_us = 10000000;
    yaml_node_t *n;
    if (get_duration(c, v, path, "lease", 1000000, &t->lease_us) < 0)
        return -1;
    if ((n = get(c, v, "lease")) && t->lease_us > 600000000) {
        join(p, sizeof(p), path, "lease");
        return fail_at(c, n, p, "at most 10m: the lease bounds how long a lost host keeps its fault");
    }
    if ((n = get(c, v, "seed"))) {
        long seed;
        join(p, sizeof(p), path, "seed");
        if (parse_int(c, n, p, 0, 999999999999L, &seed) != 0)
            return -1;
        t->has_seed = true;
        t->seed = (uint64_t)seed;
    } else if (inherit && inherit->kind == TARGET_SSH && inherit->has_seed) {
        t->has_seed = true;
        t->seed = inherit->seed;
    }
    if (!t->inventory) {
        if (!inherit || inherit->kind != TARGET_SSH)
            return fail_at(c, v, path, "inventory: missing; the inventory file of the hosts (docs/fleet.md)");
        t->inv = inherit->inv;
        t->inventory = fl_xstrdup(inherit->inventory);
    } else {
        char *file = relative_to_file(c->file, t->inventory);
        fl_error e;
        t->inv = fl_inventory_load(file, &e);
        free(file);
        join(p, sizeof(p), path, "inventory");
        if (!t->inv)
            return fail_at(c, get(c, v, "inventory"), p, "%s", e.message);
        t->owns_inventory = true;
    }
    /* The filter, mode and limits must make sense now, not at run time. */
    fl_fleet_spec spec = {.select = t->select,
                          .mode = t->mode,
                          .max_concurrency = t->max_concurrency,
                          .max_errors = t->max_errors,
                          .has_seed = true};
    fl_fleet_plan plan;
    fl_error e;
    if (fl_fleet_plan_make(&spec, t->inv, &plan, &e) != 0) {
        const char *field = strcmp(e.field, "mode") == 0              ? "mode"
                            : strcmp(e.field, "max-concurrency") == 0 ? "max-concurrency"
                            : strcmp(e.field, "max-errors") == 0      ? "max-errors"
                                                                      : "select";
        yaml_node_t *at = get(c, v, field);
        join(p, sizeof(p), path, field);
        return fail_at(c, at ? at : v, p, "%s", fl_error_detail(&e));
    }
    fl_fleet_plan_free(&plan);
    return 0;
}

/* ---- load -------------------------------------------------------------- */
static void http_option_add(load_def *load, const char *key, const char *value) {
    pair_add(&load->http_names, &load->http_values, &load->n_http, key, value);
}

static int parse_load_http(pctx *c, yaml_node_t *v, load_def *load) {
    static const char *const keys[] = {"url",  "rate",      "connections", "method",     "header",
                                       "body", "body-file", "timeout",     "late-after", NULL};
    if (want_kind(c, v, "load.http", YAML_MAPPING_NODE) != 0 || check_keys(c, v, "load.http", keys) != 0)
        return -1;
    load->http = fl_load_config_new();
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *key = (const char *)node_at(c, p->key)->data.scalar.value;
        yaml_node_t *val = node_at(c, p->value);
        char path[256];
        join(path, sizeof(path), "load.http", key);
        fl_error e;
        if (strcmp(key, "header") == 0 && val->type == YAML_SEQUENCE_NODE) {
            if (want_kind(c, val, path, YAML_SEQUENCE_NODE) != 0)
                return -1;
            for (yaml_node_item_t *it = val->data.sequence.items.start; it < val->data.sequence.items.top; it++) {
                char ip[256];
                const char *text = NULL;
                snprintf(ip, sizeof(ip), "%s[%zu]", path, (size_t)(it - val->data.sequence.items.start));
                yaml_node_t *item = node_at(c, *it);
                if (want_scalar(c, item, ip, &text) != 0)
                    return -1;
                if (fl_load_config_set(load->http, "header", text, &e) != 0)
                    return fail_lib(c, item, ip, &e);
                http_option_add(load, "header", text);
            }
            continue;
        }
        const char *text = NULL;
        if (want_scalar(c, val, path, &text) != 0)
            return -1;
        if (fl_load_config_set(load->http, key, text, &e) != 0)
            return fail_lib(c, val, path, &e);
        http_option_add(load, key, text);
        if (strcmp(key, "url") == 0)
            load->url_text = fl_xstrdup(text);
        if (strcmp(key, "rate") == 0)
            load->rate_text = fl_xstrdup(text);
    }
    if (!load->url_text)
        return fail_at(c, v, "load.http", "url: missing; e.g. url: http://127.0.0.1:8080/");
    if (!load->rate_text)
        return fail_at(c, v, "load.http", "rate: missing; e.g. rate: 100/s (or max)");
    return 0;
}

static int parse_load(pctx *c, yaml_node_t *v, load_def *load) {
    static const char *const keys[] = {"http", "command", "interval", "timeout", "duration", "from", NULL};
    if (want_kind(c, v, "load", YAML_MAPPING_NODE) != 0 || check_keys(c, v, "load", keys) != 0)
        return -1;
    yaml_node_t *from = get(c, v, "from");
    if (from && parse_target(c, from, "load.from", c->exp->targets, true, &load->from) != 0)
        return -1;
    if (load->from && get(c, v, "command"))
        return fail_at(c, from, "load.from", "only the http: load runs on fleet hosts; command: runs here");
    load->present = true;
    load->mark = mark_of(v);
    yaml_node_t *http = get(c, v, "http"), *cmd = get(c, v, "command");
    if (!!http == !!cmd)
        return fail_at(c, v, "load",
                       "give exactly one of http: (the built-in HTTP load) or command: (a program run in a loop)");
    if (get_duration(c, v, "load", "duration", 1000000, &load->duration_us) < 0)
        return -1;
    load->timeout_us = 10 * 1000000LL;
    if (http) {
        if (get(c, v, "interval"))
            return fail_at(c, get(c, v, "interval"), "load.interval", "only for command: loads");
        if (get(c, v, "timeout"))
            return fail_at(c, get(c, v, "timeout"), "load.timeout", "for http: loads, set load.http.timeout");
        return parse_load_http(c, http, load);
    }
    load->is_command = true;
    if (get_duration(c, v, "load", "interval", 0, &load->interval_us) < 0 ||
        get_duration(c, v, "load", "timeout", 1000, &load->timeout_us) < 0)
        return -1;
    return parse_argv(c, cmd, "load.command", &load->argv, &load->argc);
}

/* ---- probes ------------------------------------------------------------ */
static int parse_probe(pctx *c, yaml_node_t *v, const char *path, probe_def *pr) {
    static const char *const keys[] = {"name", "http", "tcp", "command", "interval", "timeout", NULL};
    if (want_kind(c, v, path, YAML_MAPPING_NODE) != 0 || check_keys(c, v, path, keys) != 0)
        return -1;
    pr->mark = mark_of(v);
    pr->interval_us = 1000000;
    pr->timeout_us = 1000000;
    char p[256];
    join(p, sizeof(p), path, "name");
    if (get_string(c, v, path, "name", &pr->name) < 0)
        return -1;
    if (!pr->name)
        return fail_at(c, v, path, "name: missing; hypotheses refer to a probe by it (probe.NAME.ok)");
    if (check_name(c, get(c, v, "name"), p, pr->name) != 0)
        return -1;
    if (get_duration(c, v, path, "interval", 100000, &pr->interval_us) < 0 ||
        get_duration(c, v, path, "timeout", 1000, &pr->timeout_us) < 0)
        return -1;
    yaml_node_t *http = get(c, v, "http"), *tcp = get(c, v, "tcp"), *cmd = get(c, v, "command");
    if ((http != NULL) + (tcp != NULL) + (cmd != NULL) != 1)
        return fail_at(c, v, path, "give exactly one of http:, tcp: or command:");
    if (http) {
        static const char *const hkeys[] = {"url", "method", "status", "body", NULL};
        join(p, sizeof(p), path, "http");
        if (want_kind(c, http, p, YAML_MAPPING_NODE) != 0 || check_keys(c, http, p, hkeys) != 0)
            return -1;
        pr->type = PROBE_HTTP;
        if (get_string(c, http, p, "url", &pr->url) < 0 || get_string(c, http, p, "method", &pr->method) < 0 ||
            get_string(c, http, p, "body", &pr->body_regex) < 0)
            return -1;
        if (!pr->url)
            return fail_at(c, http, p, "url: missing");
        if (strncmp(pr->url, "http://", 7) != 0 && strncmp(pr->url, "https://", 8) != 0)
            return fail_at(c, get(c, http, "url"), "url", "'%s' is not an http:// or https:// URL", pr->url);
        yaml_node_t *st = get(c, http, "status");
        char sp[256];
        join(sp, sizeof(sp), p, "status");
        if (st && parse_int(c, st, sp, 100, 599, &pr->expect_status) != 0)
            return -1;
        if (pr->body_regex) {
            regex_t re;
            join(sp, sizeof(sp), p, "body");
            if (regcomp(&re, pr->body_regex, REG_EXTENDED | REG_NOSUB) != 0)
                return fail_at(c, get(c, http, "body"), sp, "'%s' is not a valid extended regular expression",
                               pr->body_regex);
            regfree(&re);
        }
        if (pr->method)
            for (const char *s = pr->method; *s; s++)
                if (*s < 'A' || *s > 'Z')
                    return fail_at(c, get(c, http, "method"), "method", "'%s' is not an HTTP method", pr->method);
    } else if (tcp) {
        static const char *const tkeys[] = {"host", "port", NULL};
        join(p, sizeof(p), path, "tcp");
        if (want_kind(c, tcp, p, YAML_MAPPING_NODE) != 0 || check_keys(c, tcp, p, tkeys) != 0)
            return -1;
        pr->type = PROBE_TCP;
        if (get_string(c, tcp, p, "host", &pr->host) < 0)
            return -1;
        if (!pr->host)
            return fail_at(c, tcp, p, "host: missing");
        yaml_node_t *port = get(c, tcp, "port");
        if (!port)
            return fail_at(c, tcp, p, "port: missing");
        long n;
        char pp[256];
        join(pp, sizeof(pp), p, "port");
        if (parse_int(c, port, pp, 1, 65535, &n) != 0)
            return -1;
        pr->port = (int)n;
    } else {
        join(p, sizeof(p), path, "command");
        pr->type = PROBE_COMMAND;
        if (parse_argv(c, cmd, p, &pr->argv, &pr->argc) != 0)
            return -1;
    }
    return 0;
}

/* ---- method ------------------------------------------------------------ */
static int set_param(pctx *c, step_def *st, yaml_node_t *v, const char *path, const char *key, const char *value) {
    fl_error e;
    if (fl_spec_set(st->spec, key, value, &e) != 0)
        return fail_lib(c, v, path, &e);
    pair_add(&st->param_names, &st->param_values, &st->n_params, key, value);
    return 0;
}

static const char *param_value(const step_def *st, const char *name, int *count) {
    const char *found = NULL;
    *count = 0;
    for (size_t i = 0; i < st->n_params; i++)
        if (strcmp(st->param_names[i], name) == 0) {
            found = st->param_values[i];
            (*count)++;
        }
    return found;
}

/* An ssm step: the SendCommand of its kind's document, validated now with
 * the documents' allowedPattern as well as faultline's own checks. */
static int build_ssm_request(pctx *c, step_def *st, yaml_node_t *v, const char *path) {
    fl_error e;
    char p[256];
    st->ssm = fl_ssm_request_new(st->attack, &e);
    if (!st->ssm)
        return fail_at(c, v, path, "%s", e.message);
    const target_def *t = st->target;
    for (size_t i = 0; i < t->n_ssm; i++)
        if (fl_ssm_request_option(st->ssm, t->ssm_names[i], t->ssm_values[i], &e) != 0)
            return fail_at(c, v, path, "targets: %s", fl_error_detail(&e));
    yaml_node_t *with = get(c, v, "with");
    for (size_t i = 0; i < st->n_params; i++) {
        const fl_param_spec *ps = fl_attack_param(st->attack, st->param_names[i]);
        bool flag = ps && ps->type == FL_PARAM_BOOL;
        join(p, sizeof(p), path, "with");
        if (fl_ssm_request_param(st->ssm, st->param_names[i], flag ? "true" : st->param_values[i], &e) != 0) {
            char kp[256];
            join(kp, sizeof(kp), p, st->param_names[i]);
            yaml_node_t *at = with ? get(c, with, st->param_names[i]) : NULL;
            return fail_at(c, at ? at : v, kp, "%s", fl_error_detail(&e));
        }
    }
    char d[32];
    fl_format_duration(st->duration_us, d, sizeof(d));
    join(p, sizeof(p), path, "duration");
    yaml_node_t *dur = get(c, v, "duration");
    if (st->duration_us % 1000000 != 0)
        return fail_at(c, dur ? dur : v, p, "'%s': an ssm step lasts whole seconds (DurationSeconds)", d);
    if (fl_ssm_request_param(st->ssm, "duration", d, &e) != 0)
        return fail_at(c, dur ? dur : v, p, "%s", fl_error_detail(&e));
    if (fl_ssm_request_finish(st->ssm, &e) != 0)
        return fail_at(c, v, path, "%s", fl_error_detail(&e));
    return 0;
}

static int parse_step(pctx *c, yaml_node_t *v, const char *path, size_t index) {
    static const char *const keys[] = {"name", "attack", "with", "start", "after", "duration", "targets", NULL};
    step_def *st = &c->exp->steps[index];
    st->after = -1;
    if (want_kind(c, v, path, YAML_MAPPING_NODE) != 0 || check_keys(c, v, path, keys) != 0)
        return -1;
    st->mark = mark_of(v);
    char p[256];
    if (get_string(c, v, path, "attack", &st->attack) < 0)
        return -1;
    if (!st->attack)
        return fail_at(c, v, path, "attack: missing; e.g. attack: latency (faultline attacks lists them)");
    join(p, sizeof(p), path, "attack");
    fl_error e;
    st->spec = fl_spec_new(st->attack, &e);
    if (!st->spec)
        return fail_at(c, get(c, v, "attack"), p, "%s", e.message);
    const fl_attack_info *info = fl_attack_find(st->attack);
    st->instant = info->instant;
    if (get_string(c, v, path, "name", &st->name) < 0)
        return -1;
    if (st->name) {
        join(p, sizeof(p), path, "name");
        if (check_name(c, get(c, v, "name"), p, st->name) != 0)
            return -1;
        for (size_t i = 0; i < index; i++)
            if (strcmp(c->exp->steps[i].name, st->name) == 0)
                return fail_at(c, get(c, v, "name"), p, "'%s' is already the name of method[%zu]", st->name, i);
        if (strcmp(st->name, "before") == 0 || strcmp(st->name, "during") == 0 || strcmp(st->name, "after") == 0 ||
            strcmp(st->name, "all") == 0 || strcmp(st->name, "attack") == 0)
            return fail_at(c, get(c, v, "name"), p, "'%s' is a phase name; choose another", st->name);
    } else {
        char def[80];
        snprintf(def, sizeof(def), "%s-%zu", st->attack, index + 1);
        st->name = fl_xstrdup(def);
    }
    if (get_duration(c, v, path, "start", 0, &st->start_us) < 0)
        return -1;
    int has_duration = get_duration(c, v, path, "duration", 1000, &st->duration_us);
    if (has_duration < 0)
        return -1;
    if (st->instant && has_duration)
        return fail_at(c, get(c, v, "duration"), "duration", "%s is instantaneous; remove duration", st->attack);
    if (!st->instant && !has_duration)
        return fail_at(c, v, path, "duration: missing; how long to hold the fault, e.g. duration: 20s");
    yaml_node_t *after = get(c, v, "after");
    if (after) {
        const char *name;
        join(p, sizeof(p), path, "after");
        if (want_scalar(c, after, p, &name) != 0)
            return -1;
        for (size_t i = 0; i < index; i++)
            if (strcmp(c->exp->steps[i].name, name) == 0)
                st->after = (int)i;
        if (st->after < 0)
            return fail_at(c, after, p, "'%s' is not the name of an earlier step (after: names a step above this one)",
                           name);
    }
    yaml_node_t *with = get(c, v, "with");
    join(p, sizeof(p), path, "with");
    if (with) {
        st->with_mark = mark_of(with);
        if (want_kind(c, with, p, YAML_MAPPING_NODE) != 0)
            return -1;
        for (yaml_node_pair_t *pp = with->data.mapping.pairs.start; pp < with->data.mapping.pairs.top; pp++) {
            yaml_node_t *key = node_at(c, pp->key);
            if (key->type != YAML_SCALAR_NODE)
                return fail_at(c, key, p, "keys must be parameter names");
            const char *k = (const char *)key->data.scalar.value;
            char kp[256];
            join(kp, sizeof(kp), p, k);
            for (yaml_node_pair_t *q = with->data.mapping.pairs.start; q < pp; q++)
                if (strcmp((const char *)node_at(c, q->key)->data.scalar.value, k) == 0)
                    return fail_at(c, key, kp, "given twice; a repeatable parameter takes a list");
            if (strcmp(k, "duration") == 0)
                return fail_at(c, key, kp, "set the step's duration: next to attack:, not in with:");
            yaml_node_t *val = node_at(c, pp->value);
            const fl_param_spec *ps = fl_attack_param(st->attack, k);
            if (!ps)
                return fail_at(c, key, kp, "unknown parameter of attack %s (see: faultline attacks %s)", st->attack,
                               st->attack);
            if (val->type == YAML_SEQUENCE_NODE) {
                if (!(ps->flags & FL_PARAM_REPEATABLE))
                    return fail_at(c, val, kp, "takes one value, not a list");
                if (want_kind(c, val, kp, YAML_SEQUENCE_NODE) != 0)
                    return -1;
                for (yaml_node_item_t *it = val->data.sequence.items.start; it < val->data.sequence.items.top; it++) {
                    char ip[256];
                    const char *text = NULL;
                    snprintf(ip, sizeof(ip), "%s[%zu]", kp, (size_t)(it - val->data.sequence.items.start));
                    if (want_scalar(c, node_at(c, *it), ip, &text) != 0 ||
                        set_param(c, st, node_at(c, *it), ip, k, text) != 0)
                        return -1;
                }
                continue;
            }
            const char *text = NULL;
            if (want_scalar(c, val, kp, &text) != 0)
                return -1;
            if (ps->type == FL_PARAM_BOOL) {
                if (strcmp(text, "true") == 0)
                    text = NULL;
                else if (strcmp(text, "false") == 0)
                    continue;
                else
                    return fail_at(c, val, kp, "'%s': a flag is true or false", text);
            }
            if (set_param(c, st, val, kp, k, text ? text : "true") != 0)
                return -1;
        }
    }
    if (!st->instant) {
        char d[32];
        fl_format_duration(st->duration_us, d, sizeof(d));
        if (fl_spec_set(st->spec, "duration", d, &e) != 0)
            return fail_lib(c, get(c, v, "duration"), "duration", &e);
    }
    st->target = c->exp->targets;
    yaml_node_t *tg = get(c, v, "targets");
    if (tg) {
        join(p, sizeof(p), path, "targets");
        if (parse_target(c, tg, p, c->exp->targets, false, &st->own_target) != 0)
            return -1;
        st->target = st->own_target;
    }
    if (st->target && st->instant)
        return fail_at(c, tg ? tg : v, path,
                       "%s is instantaneous; on %s hosts a fault is held (and ended) by the controller", st->attack,
                       st->target->kind == TARGET_SSM ? "ssm" : "fleet");
    if (st->target && st->target->kind == TARGET_SSM && build_ssm_request(c, st, v, path) != 0)
        return -1;
    if (st->target) /* measured from the controller, which is not where the fault is */
        return 0;
    /* A network fault on one host and one port that a TCP connect can see
     * (fl_attack_info.observe) is measured: connect time to it before and
     * while the fault is on. */
    int nh, np, nv;
    const char *host = param_value(st, "host", &nh), *port = param_value(st, "port", &np);
    /* verify: passive means nothing is sent to the dependency, by the
     * library or by us: the engine's counters show the fault at work. */
    const char *verify = param_value(st, "verify", &nv);
    bool passive = verify && strcmp(verify, "passive") == 0;
    if (info->observe != FL_OBSERVE_NONE && !passive && nh == 1 && np == 1 && strchr(host, '/') == NULL &&
        strchr(port, '-') == NULL) {
        st->observe = info->observe;
        st->verify_host = fl_xstrdup(host);
        st->verify_port = atoi(port);
        int nd;
        const char *delay = param_value(st, "delay", &nd);
        if (delay && info->observe == FL_OBSERVE_DELAY)
            fl_parse_duration(delay, "delay", &st->verify_delay_us, &e);
    }
    return 0;
}

/* ---- hypotheses and stop conditions ------------------------------------ */
static int parse_phase(pctx *c, yaml_node_t *v, const char *path, condition_def *cd) {
    const char *text = NULL;
    if (want_scalar(c, v, path, &text) != 0)
        return -1;
    if (strcmp(text, "before") == 0)
        cd->phase = PHASE_BEFORE;
    else if (strcmp(text, "during") == 0 || strcmp(text, "attack") == 0)
        cd->phase = PHASE_DURING;
    else if (strcmp(text, "after") == 0)
        cd->phase = PHASE_AFTER;
    else if (strcmp(text, "all") == 0)
        cd->phase = PHASE_ALL;
    else {
        cd->phase = PHASE_STEP;
        cd->step = -1;
        for (size_t i = 0; i < c->exp->n_steps; i++)
            if (strcmp(c->exp->steps[i].name, text) == 0)
                cd->step = (int)i;
        if (cd->step < 0)
            return fail_at(c, v, path, "'%s' is neither a phase (before, during, after, all) nor a step's name", text);
    }
    return 0;
}

static int parse_condition(pctx *c, yaml_node_t *v, const char *path, condition_def *cd, bool is_stop) {
    static const char *const hkeys[] = {"name",  "metric", "probe",        "phase", "during",
                                        "below", "above",  "min-coverage", NULL};
    static const char *const skeys[] = {"name", "metric", "below", "above", "for", NULL};
    if (want_kind(c, v, path, YAML_MAPPING_NODE) != 0 || check_keys(c, v, path, is_stop ? skeys : hkeys) != 0)
        return -1;
    cd->mark = mark_of(v);
    cd->phase = is_stop ? PHASE_ALL : PHASE_DURING;
    char p[256];
    if (get_string(c, v, path, "name", &cd->name) < 0)
        return -1;
    yaml_node_t *metric = get(c, v, "metric"), *probe = get(c, v, "probe");
    char why[300];
    const char *text = NULL;
    if (metric && probe)
        return fail_at(c, probe, path, "give metric: or probe:, not both");
    if (probe) {
        /* probe: NAME is short for metric: probe.NAME.ok, above: 0 (ok is 1
         * when the probe's checks held, 0 when not) */
        join(p, sizeof(p), path, "probe");
        if (want_scalar(c, probe, p, &text) != 0)
            return -1;
        char m[128];
        snprintf(m, sizeof(m), "probe.%s.ok", text);
        if (metric_parse(c->exp, m, &cd->metric, why, sizeof(why)) != 0)
            return fail_at(c, probe, p, "%s", why);
        if (get(c, v, "below") || get(c, v, "above"))
            return fail_at(c, v, path, "probe: %s already means 'the probe's checks hold'; remove the bound", text);
        cd->bound = BOUND_ABOVE;
        cd->threshold = 0;
        cd->threshold_text = fl_xstrdup("0");
    } else {
        if (!metric)
            return fail_at(c, v, path, "metric: missing; e.g. metric: load.latency.p99");
        join(p, sizeof(p), path, "metric");
        if (want_scalar(c, metric, p, &text) != 0)
            return -1;
        if (metric_parse(c->exp, text, &cd->metric, why, sizeof(why)) != 0)
            return fail_at(c, metric, p, "%s", why);
        yaml_node_t *b = NULL;
        int nb = 0;
        static const char *const bounds[] = {"below", "above"};
        for (int i = 0; i < 2; i++)
            if (get(c, v, bounds[i])) {
                b = get(c, v, bounds[i]);
                cd->bound = (bound_kind)i;
                nb++;
            }
        if (nb != 1)
            return fail_at(c, v, path, "give exactly one bound: below: or above:");
        join(p, sizeof(p), path, bounds[cd->bound]);
        if (want_scalar(c, b, p, &text) != 0)
            return -1;
        if (metric_threshold(&cd->metric, text, &cd->threshold, why, sizeof(why)) != 0)
            return fail_at(c, b, p, "%s", why);
        cd->threshold_text = fl_xstrdup(text);
    }
    yaml_node_t *phase = get(c, v, "phase"), *during = get(c, v, "during");
    if (phase && during)
        return fail_at(c, during, path, "give phase: or during:, not both");
    if (phase) {
        join(p, sizeof(p), path, "phase");
        if (parse_phase(c, phase, p, cd) != 0)
            return -1;
    } else if (during) {
        join(p, sizeof(p), path, "during");
        if (parse_phase(c, during, p, cd) != 0)
            return -1;
        if (cd->phase != PHASE_DURING && cd->phase != PHASE_STEP)
            return fail_at(c, during, p, "during: takes 'attack' or a step's name; use phase: for before/after/all");
    }
    if (is_stop && get_duration(c, v, path, "for", 0, &cd->for_us) < 0)
        return -1;
    cd->min_coverage = c->exp->min_coverage;
    if (!is_stop && get_ratio(c, v, path, "min-coverage", &cd->min_coverage) < 0)
        return -1;
    if (!cd->name) {
        static const char *const bn[] = {"below", "above"};
        static const char *const pn[] = {"before", "during", "after", "", "all"};
        char n[256];
        snprintf(n, sizeof(n), "%s %s %s%s%s", cd->metric.text, bn[cd->bound], cd->threshold_text, is_stop ? "" : " ",
                 is_stop ? "" : (cd->phase == PHASE_STEP ? c->exp->steps[cd->step].name : pn[cd->phase]));
        cd->name = fl_xstrdup(n);
    }
    return 0;
}

static int parse_rollback(pctx *c, yaml_node_t *v, const char *path, rollback_def *rb) {
    rb->mark = mark_of(v);
    rb->timeout_us = 10 * 1000000LL;
    if (v->type == YAML_SEQUENCE_NODE)
        return parse_argv(c, v, path, &rb->argv, &rb->argc);
    static const char *const keys[] = {"run", "timeout", NULL};
    if (want_kind(c, v, path, YAML_MAPPING_NODE) != 0 || check_keys(c, v, path, keys) != 0)
        return -1;
    if (get_duration(c, v, path, "timeout", 1000, &rb->timeout_us) < 0)
        return -1;
    yaml_node_t *run = get(c, v, "run");
    if (!run)
        return fail_at(c, v, path, "run: missing; e.g. run: [systemctl, restart, myservice]");
    char p[256];
    join(p, sizeof(p), path, "run");
    return parse_argv(c, run, p, &rb->argv, &rb->argc);
}

/* Parses a list under `key` with `each` called per item. */
#define PARSE_LIST(c, root, key, array, count, each_call)                                                              \
    do {                                                                                                               \
        yaml_node_t *list_ = get(c, root, key);                                                                        \
        if (list_) {                                                                                                   \
            if (want_kind(c, list_, key, YAML_SEQUENCE_NODE) != 0)                                                     \
                return -1;                                                                                             \
            size_t n_ = (size_t)(list_->data.sequence.items.top - list_->data.sequence.items.start);                   \
            array = fl_xcalloc(n_ ? n_ : 1, sizeof(*array));                                                           \
            for (size_t i_ = 0; i_ < n_; i_++) {                                                                       \
                char ipath[64];                                                                                        \
                snprintf(ipath, sizeof(ipath), "%s[%zu]", key, i_);                                                    \
                yaml_node_t *item_ = node_at(c, list_->data.sequence.items.start[i_]);                                 \
                count = i_ + 1;                                                                                        \
                if (each_call != 0)                                                                                    \
                    return -1;                                                                                         \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

static int plan_times(pctx *c, yaml_node_t *root) {
    fl_experiment *exp = c->exp;
    for (size_t i = 0; i < exp->n_steps; i++) {
        step_def *st = &exp->steps[i];
        st->planned_start_us = st->start_us + (st->after >= 0 ? exp->steps[st->after].planned_end_us : 0);
        st->planned_end_us = st->planned_start_us + st->duration_us;
    }
    if (!exp->duration_us)
        exp->duration_us = exp->load.duration_us;
    if (!exp->duration_us)
        return fail_at(c, root, "duration", "missing: how long the experiment runs (duration: or load.duration:)");
    if (exp->load.present && !exp->load.duration_us)
        exp->load.duration_us = exp->duration_us;
    if (exp->load.present && exp->load.duration_us > exp->duration_us)
        return fail_at(c, get(c, get(c, root, "load"), "duration"), "load.duration",
                       "longer than the experiment's duration");
    if (exp->load.present && !exp->load.is_command) {
        char d[32];
        fl_error e;
        fl_format_duration(exp->load.duration_us, d, sizeof(d));
        if (fl_load_config_set(exp->load.http, "duration", d, &e) != 0)
            return fail_at(c, get(c, root, "load"), "load.duration", "%s", fl_error_detail(&e));
        if (fl_load_config_validate(exp->load.http, &e) != 0)
            return fail_at(c, get(c, root, "load"), "load.http", "%s", fl_error_detail(&e));
    }
    for (size_t i = 0; i < exp->n_steps; i++) {
        step_def *st = &exp->steps[i];
        if (st->planned_end_us > exp->duration_us) {
            char a[32], b[32];
            char path[64];
            snprintf(path, sizeof(path), "method[%zu]", i);
            exp_error_at(c->err, c->file, st->mark, path, "ends at %s, after the end of the experiment (%s)",
                         fl_format_duration(st->planned_end_us, a, sizeof(a)),
                         fl_format_duration(exp->duration_us, b, sizeof(b)));
            return -1;
        }
    }
    return 0;
}

static int parse_root(pctx *c, yaml_node_t *root) {
    static const char *const keys[] = {"title",    "description",  "targets", "duration",   "load",
                                       "probes",   "prometheus",   "method",  "hypothesis", "stop-when",
                                       "rollback", "min-coverage", NULL};
    fl_experiment *exp = c->exp;
    if (want_kind(c, root, "", YAML_MAPPING_NODE) != 0 || check_keys(c, root, "", keys) != 0)
        return -1;
    if (get_string(c, root, "", "title", &exp->title) < 0 ||
        get_string(c, root, "", "description", &exp->description) < 0)
        return -1;
    if (!exp->title || !*exp->title)
        return fail_at(c, root, "title", "missing: one line saying what the experiment shows");
    yaml_node_t *targets = get(c, root, "targets");
    if (targets && parse_target(c, targets, "targets", NULL, false, &exp->targets) != 0)
        return -1;
    if (get_duration(c, root, "", "duration", 1000000, &exp->duration_us) < 0)
        return -1;
    yaml_node_t *load = get(c, root, "load");
    if (load && parse_load(c, load, &exp->load) != 0)
        return -1;
    PARSE_LIST(c, root, "probes", exp->probes, exp->n_probes, parse_probe(c, item_, ipath, &exp->probes[i_]));
    for (size_t i = 0; i < exp->n_probes; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(exp->probes[i].name, exp->probes[j].name) == 0) {
                exp_error_at(c->err, c->file, exp->probes[i].mark, "probes", "'%s' is the name of two probes",
                             exp->probes[i].name);
                return -1;
            }
    exp->prom_interval_us = 1000000;
    exp->prom_timeout_us = 1000000;
    yaml_node_t *prom = get(c, root, "prometheus");
    if (prom) {
        static const char *const pkeys[] = {"interval", "timeout", NULL};
        if (want_kind(c, prom, "prometheus", YAML_MAPPING_NODE) != 0 || check_keys(c, prom, "prometheus", pkeys) != 0 ||
            get_duration(c, prom, "prometheus", "interval", 100000, &exp->prom_interval_us) < 0 ||
            get_duration(c, prom, "prometheus", "timeout", 1000, &exp->prom_timeout_us) < 0)
            return -1;
    }
    yaml_node_t *method = get(c, root, "method");
    if (!method)
        return fail_at(c, root, "method", "missing: the list of attacks (- attack: ...)");
    PARSE_LIST(c, root, "method", exp->steps, exp->n_steps, parse_step(c, item_, ipath, i_));
    if (exp->n_steps == 0)
        return fail_at(c, method, "method", "empty: give at least one attack");
    if (plan_times(c, root) != 0)
        return -1;
    exp->min_coverage = DEFAULT_MIN_COVERAGE;
    if (get_ratio(c, root, "", "min-coverage", &exp->min_coverage) < 0)
        return -1;
    PARSE_LIST(c, root, "hypothesis", exp->hypotheses, exp->n_hypotheses,
               parse_condition(c, item_, ipath, &exp->hypotheses[i_], false));
    PARSE_LIST(c, root, "stop-when", exp->stops, exp->n_stops, parse_condition(c, item_, ipath, &exp->stops[i_], true));
    PARSE_LIST(c, root, "rollback", exp->rollbacks, exp->n_rollbacks,
               parse_rollback(c, item_, ipath, &exp->rollbacks[i_]));
    /* A load metric needs a load. */
    for (size_t k = 0; k < exp->n_hypotheses + exp->n_stops; k++) {
        condition_def *cd = k < exp->n_hypotheses ? &exp->hypotheses[k] : &exp->stops[k - exp->n_hypotheses];
        if (cd->metric.kind <= METRIC_LOAD_LATE && !exp->load.present) {
            char path[64];
            snprintf(path, sizeof(path), "%s[%zu].metric", k < exp->n_hypotheses ? "hypothesis" : "stop-when",
                     k < exp->n_hypotheses ? k : k - exp->n_hypotheses);
            exp_error_at(c->err, c->file, cd->mark, path, "%s needs a load: section", cd->metric.text);
            return -1;
        }
        if (cd->metric.kind == METRIC_LOAD_LATE && exp->load.is_command) {
            exp_error_at(c->err, c->file, cd->mark, "metric", "load.late is only measured by the http: load");
            return -1;
        }
    }
    return 0;
}

fl_experiment *fl_experiment_parse(const char *text, size_t len, const char *name, fl_error *err) {
    fl_error_clear(err);
    fl_experiment *exp = fl_xcalloc(1, sizeof(*exp));
    exp->file = fl_xstrdup(name ? name : "experiment");
    fl_mark bound;
    char why[100];
    if (fl_yaml_bounded(text, len, false, &bound.line, &bound.column, why, sizeof(why)) != 0) {
        exp_error_at(err, exp->file, bound, "", "%s: not an experiment file", why);
        err->code = FL_EINVAL;
        fl_experiment_free(exp);
        return NULL;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        fl_mark m = {(int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1};
        exp_error_at(err, exp->file, m, "", "not valid YAML: %s%s%s", parser.problem ? parser.problem : "error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        fl_experiment_free(exp);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = 0;
    if (!root) {
        exp_error_at(err, exp->file, (fl_mark){1, 1}, "", "the file is empty; an experiment needs title: and method:");
        rc = -1;
    } else {
        yaml_document_t extra;
        if (yaml_parser_load(&parser, &extra)) {
            yaml_node_t *second = yaml_document_get_root_node(&extra);
            if (second) {
                exp_error_at(err, exp->file, mark_of(second), "", "one experiment per file; found a second document");
                rc = -1;
            }
            yaml_document_delete(&extra);
        }
        if (rc == 0) {
            size_t n_nodes = (size_t)(doc.nodes.top - doc.nodes.start);
            pctx c = {.doc = &doc, .file = exp->file, .err = err, .visited = fl_xcalloc(n_nodes + 1, 1), .exp = exp};
            rc = parse_root(&c, root);
            free(c.visited);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != 0) {
        err->code = FL_EINVAL;
        fl_experiment_free(exp);
        return NULL;
    }
    return exp;
}

fl_experiment *fl_experiment_load(const char *path, fl_error *err) {
    fl_error_clear(err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fl_fail(err, FL_EINVAL, "", "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        fl_fail(err, FL_EINVAL, "", "%s: is a directory, not an experiment file", path);
        return NULL;
    }
    char *buf = fl_xmalloc(MAX_FILE_BYTES + 1);
    size_t n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
    int read_error = ferror(f) ? errno : 0;
    fclose(f);
    if (read_error) {
        free(buf);
        fl_fail(err, FL_EINVAL, "", "%s: cannot read it: %s", path, strerror(read_error));
        return NULL;
    }
    if (n > MAX_FILE_BYTES) {
        free(buf);
        fl_fail(err, FL_EINVAL, "", "%s: larger than 1 MiB; not an experiment file", path);
        return NULL;
    }
    fl_experiment *exp = fl_experiment_parse(buf, n, path, err);
    free(buf);
    return exp;
}

static void free_condition(condition_def *cd) {
    free(cd->name);
    free(cd->threshold_text);
    metric_free(&cd->metric);
}

void fl_experiment_free(fl_experiment *exp) {
    if (!exp)
        return;
    free(exp->file);
    free(exp->title);
    free(exp->description);
    if (exp->load.http)
        fl_load_config_free(exp->load.http);
    exp_free_argv(exp->load.argv, exp->load.argc);
    free(exp->load.url_text);
    free(exp->load.rate_text);
    exp_free_argv(exp->load.http_names, exp->load.n_http);
    exp_free_argv(exp->load.http_values, exp->load.n_http);
    target_def_free(exp->load.from);
    target_def_free(exp->targets);
    for (size_t i = 0; i < exp->n_probes; i++) {
        probe_def *p = &exp->probes[i];
        free(p->name);
        free(p->url);
        free(p->method);
        free(p->body_regex);
        free(p->host);
        exp_free_argv(p->argv, p->argc);
    }
    free(exp->probes);
    for (size_t i = 0; i < exp->n_proms; i++)
        prom_expr_free(&exp->proms[i]);
    free(exp->proms);
    for (size_t i = 0; i < exp->n_steps; i++) {
        step_def *st = &exp->steps[i];
        free(st->name);
        free(st->attack);
        fl_spec_free(st->spec);
        exp_free_argv(st->param_names, st->n_params);
        exp_free_argv(st->param_values, st->n_params);
        free(st->verify_host);
        target_def_free(st->own_target);
        fl_ssm_request_free(st->ssm);
    }
    free(exp->steps);
    for (size_t i = 0; i < exp->n_hypotheses; i++)
        free_condition(&exp->hypotheses[i]);
    free(exp->hypotheses);
    for (size_t i = 0; i < exp->n_stops; i++)
        free_condition(&exp->stops[i]);
    free(exp->stops);
    for (size_t i = 0; i < exp->n_rollbacks; i++)
        exp_free_argv(exp->rollbacks[i].argv, exp->rollbacks[i].argc);
    free(exp->rollbacks);
    free(exp);
}

const char *fl_experiment_title(const fl_experiment *exp) { return exp->title; }
int64_t fl_experiment_duration_us(const fl_experiment *exp) { return exp->duration_us; }

int fl_experiment_check_host(fl_experiment *exp, fl_error *err) {
    fl_error_clear(err);
    for (size_t i = 0; i < exp->n_steps; i++) {
        fl_error e;
        const target_def *t = exp->steps[i].target;
        if (t && t->kind == TARGET_SSM) { /* credentials and region before anything starts */
            fl_ssm_config cfg;
            if (remote_ssm_config(t, &cfg, &e) != 0) {
                char path[64];
                if (exp->steps[i].own_target)
                    snprintf(path, sizeof(path), "method[%zu].targets.ssm", i);
                else
                    snprintf(path, sizeof(path), "targets.ssm");
                exp_error_at(err, exp->file, t->mark, path, "%s", e.message);
                return -1;
            }
        }
        if (t) /* the rest is checked by faultline on each target host */
            continue;
        if (fl_spec_validate(exp->steps[i].spec, &e) != 0) {
            char path[64];
            snprintf(path, sizeof(path), "method[%zu].with", i);
            exp_error_at(err, exp->file, exp->steps[i].with_mark.line ? exp->steps[i].with_mark : exp->steps[i].mark,
                         path, "%s", fl_error_detail(&e));
            return -1;
        }
    }
    return 0;
}
