/* --inventory on attack, status, stop and recover: the same command on the
 * selected hosts of an inventory, over ssh (docs/fleet.md). The controller
 * validates everything locally first; the remote command line is built from
 * the validated words only, each quoted for the remote shell. */
#include "cli.h"
#include "core/internal.h"
#include "fleet/fleet.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *FLEET_USAGE =
    "faultline <attack|status|stop|recover> ... --inventory FILE [--select FILTER] [--mode all|count(N)|percent(P)]\n"
    "       [--seed N] [--max-concurrency N|P%] [--max-errors N|P%] [--lease D] [--json]";

/* --lease of a fleet attack: from 1 s (ssh round trips) to 10 min; 10 s by
 * default. Heartbeats go at a third of it; a host's ssh is killed 5 s after
 * the lease could have run out. */
#define FLEET_LEASE_MIN_US (1000000LL)
#define FLEET_LEASE_MAX_US (600 * 1000000LL)
#define FLEET_LEASE_DEFAULT_US (10 * 1000000LL)
#define FLEET_KILL_GRACE_US (5 * 1000000LL)
/* status, stop, recover: a host that has not answered in this long is killed. */
#define FLEET_COMMAND_TIMEOUT_US (5 * 1000000LL)

typedef struct fleet_opts {
    const char *inventory, *select, *mode, *seed, *max_conc, *max_err;
    bool json;
} fleet_opts;

#define FLEET_OPTIONS(o)                                                                                               \
    {                                                                                                                  \
        CLI_STRING_F("inventory", &(o)->inventory, "FILE", "the hosts, their tags and ssh settings (docs/fleet.md)",   \
                     CLI_NONEMPTY),                                                                                    \
            CLI_STRING_F("select", &(o)->select, "FILTER", "hosts whose tags match: service=api,zone!=b (all hosts)",  \
                         CLI_NONEMPTY),                                                                                \
            CLI_STRING_F("mode", &(o)->mode, "M", "all, count(N) or percent(P) of the matching hosts (all)",           \
                         CLI_NONEMPTY),                                                                                \
            CLI_STRING_F("seed", &(o)->seed, "N", "the random choice of count() and percent(), to repeat it",          \
                         CLI_NONEMPTY),                                                                                \
            CLI_STRING_F("max-concurrency", &(o)->max_conc, "N|P%", "hosts at a time", CLI_NONEMPTY),                  \
            CLI_STRING_F("max-errors", &(o)->max_err, "N|P%", "failed hosts before the rest are skipped",              \
                         CLI_NONEMPTY),                                                                                \
            CLI_FLAG("json", &(o)->json, "one JSON document on stdout"), CLI_END,                                      \
    }

bool cli_fleet_wanted(int argc, char **argv) { return cli_has_option(argc, argv, 1, "inventory"); }

/* The remote argv: [env NAME=value...] faultline words... (each word owned) */
typedef struct remote_words {
    char **words;
    int n, cap;
} remote_words;

static void add_word(remote_words *w, const char *prefix, const char *word) {
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 16;
        w->words = fl_xreallocarray(w->words, (size_t)cap, sizeof(*w->words));
        w->cap = cap;
    }
    w->words[w->n++] = fl_xasprintf("%s%s", prefix, word);
}

static void free_words(remote_words *w) {
    for (int i = 0; i < w->n; i++)
        free(w->words[i]);
    free(w->words);
}

static char *build_remote(const fl_host *h, void *user) {
    const remote_words *w = user;
    return fl_remote_faultline(h, w->words, (size_t)w->n);
}

typedef fl_fleet_plan fleet_plan;

static int make_plan(const cli_parser *parser, const fleet_opts *o, fleet_plan *p) {
    if (!o->inventory)
        return cli_usage_error(FLEET_USAGE, "--inventory FILE is required");
    fl_fleet_spec spec = {.inventory = o->inventory,
                          .select = o->select,
                          .mode = o->mode,
                          .max_concurrency = o->max_conc,
                          .max_errors = o->max_err};
    if (o->seed) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(o->seed, &end, 10);
        if (!isdigit((unsigned char)o->seed[0]) || *end || errno)
            return cli_usage_error(FLEET_USAGE, "--seed takes a non-negative integer");
        spec.has_seed = true;
        spec.seed = v;
    }
    fl_error err;
    if (fl_fleet_plan_make(&spec, NULL, p, &err) != 0) {
        if (strcmp(err.field, "select") == 0)
            return cli_usage_fail_option(parser, &err);
        return cli_fail_option(parser, &err);
    }
    return 0;
}

static void print_selection(const fleet_opts *o, const fleet_plan *p) {
    fprintf(o->json ? stderr : stdout,
            "selection: %s, mode %s: %zu of %zu matching host(s) (of %zu); seed %llu (repeat with --seed %llu); "
            "max-concurrency %zu, max-errors %zu\n",
            o->select ? o->select : "(all)", o->mode ? o->mode : "all", p->n, p->matched, p->inv->n_hosts,
            (unsigned long long)p->seed, (unsigned long long)p->seed, p->max_conc, p->max_err);
}

static const char *state_name(const fl_fleet_result *r) {
    switch (r->state) {
    case FL_HOST_DONE: return "ok";
    case FL_HOST_FAILED: return "failed";
    case FL_HOST_SKIPPED: return "skipped";
    case FL_HOST_RUNNING: return "running";
    default: return "pending";
    }
}

static void on_event(void *user, const fl_fleet_result *r, const char *event) {
    const fleet_opts *o = user;
    if (o->json)
        return;
    if (strcmp(event, "first") == 0) {
        json_t *j = json_loads(r->first, 0, NULL);
        const char *id = j ? json_string_value(json_object_get(j, "id")) : NULL;
        printf("%-16s applied %s in %.0f ms\n", r->host->name, id ? id : "?",
               (double)(r->applied_us - r->start_us) / 1000.0);
        json_decref(j);
    } else if (strcmp(event, "failed") == 0) {
        printf("%-16s FAILED (exit %d): %s\n", r->host->name, r->exit_code,
               r->err_text && *r->err_text ? r->err_text : "no message");
    }
    fflush(stdout);
}

static void json_host_common(json_t *h, const fl_fleet_result *r) {
    json_object_set_new(h, "name", json_string(r->host->name));
    json_object_set_new(h, "address", json_string(r->host->address));
    json_object_set_new(h, "result", json_string(state_name(r)));
    json_object_set_new(h, "exit_code", json_integer(r->exit_code));
    if (r->err_text && *r->err_text)
        json_object_set_new(h, "error", json_string(r->err_text));
}

static json_t *selection_json(const fleet_opts *o, const fleet_plan *p) {
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "inventory", o->inventory, "select",
                     o->select ? o->select : "", "mode", o->mode ? o->mode : "all", "seed", (json_int_t)p->seed,
                     "hosts_total", (json_int_t)p->inv->n_hosts, "matched", (json_int_t)p->matched, "selected",
                     (json_int_t)p->n, "max_concurrency", (json_int_t)p->max_conc, "max_errors",
                     (json_int_t)p->max_err);
}

static void print_json_doc(json_t *doc) {
    char *text = json_dumps(doc, JSON_COMPACT);
    printf("%s\n", text ? text : "{}");
    free(text);
}

/* ---- attack on a fleet ---- */

typedef struct fleet_attack {
    fleet_opts o;
    const char *kind;
    const fl_attack_info *info;
    fl_spec *spec;
    const cli_parser *parser;
    remote_words w;
    int64_t lease_us;
} fleet_attack;

/* A parameter: validated here exactly as the remote side will, then passed on. */
static int fleet_param(const cli_option *opt, const char *value, void *ctx) {
    fleet_attack *fa = ctx;
    fl_error err;
    if (fl_spec_set(fa->spec, opt->name, value, &err) != 0)
        return cli_fail_option(fa->parser, &err);
    add_word(&fa->w, "--", opt->name);
    if (value)
        add_word(&fa->w, "", value);
    return 0;
}

static int fleet_lease(const cli_option *opt, const char *value, void *ctx) {
    (void)opt;
    fleet_attack *fa = ctx;
    fl_error err;
    if (fl_parse_duration(value, "lease", &fa->lease_us, &err) != 0 || fa->lease_us < FLEET_LEASE_MIN_US ||
        fa->lease_us > FLEET_LEASE_MAX_US)
        return cli_usage_error(FLEET_USAGE, "--lease takes a duration from 1s to 10m (default 10s)");
    return 0;
}

static int not_on_a_fleet(const cli_option *opt, const char *value, void *ctx) {
    (void)value, (void)ctx;
    return cli_usage_error(FLEET_USAGE, "--%s: a fleet attack is held by the controller under a lease (docs/fleet.md)",
                           opt->name);
}

static const cli_option fleet_attack_options[] = {
    CLI_CALLBACK("lease", "D", "the hosts roll back when the controller is silent this long (10s)", 0, fleet_lease),
    CLI_CALLBACK("detach", NULL, "", CLI_OPTIONAL_VALUE | CLI_HIDDEN, not_on_a_fleet),
    CLI_CALLBACK("dry-run", NULL, "", CLI_OPTIONAL_VALUE | CLI_HIDDEN, not_on_a_fleet),
    CLI_END,
};

/* Parses and validates the attack, fills fa->w with the remote words and
 * makes the plan. */
static int parse_fleet_attack(fleet_attack *fa, const cli_option *params, int argc, char **argv, fleet_plan *plan) {
    const cli_option options[] = FLEET_OPTIONS(&fa->o);
    char title[96];
    snprintf(title, sizeof(title), "the parameters of %s:", fa->kind);
    const cli_option heading[] = {CLI_GROUP(title), CLI_END};
    cli_parser p = {.command = "attack",
                    .usage = FLEET_USAGE,
                    .tables = CLI_TABLES(options, fleet_attack_options, heading, params),
                    .ctx = fa,
                    .help = NULL};
    fa->parser = &p;
    add_word(&fa->w, "", "attack");
    add_word(&fa->w, "", fa->kind);
    int rc = cli_parse(&p, argc, argv);
    if (rc == CLI_CONTINUE && p.n_args > 0)
        rc = cli_usage_error(FLEET_USAGE, "unexpected argument '%s' (parameters are --name value)", p.args[0]);
    if (rc == CLI_CONTINUE && fa->info->instant)
        rc = cli_usage_error(FLEET_USAGE, "%s is instantaneous: a fleet attack holds a fault under a lease", fa->kind);
    fl_error err;
    if (rc == CLI_CONTINUE && fl_spec_validate(fa->spec, &err) != 0)
        rc = cli_fail_option(&p, &err);
    char lease[32];
    fl_format_duration(fa->lease_us, lease, sizeof(lease));
    add_word(&fa->w, "", "--lease");
    add_word(&fa->w, "", lease);
    add_word(&fa->w, "", "--json");
    if (rc == CLI_CONTINUE && (rc = make_plan(&p, &fa->o, plan)) == 0)
        rc = CLI_CONTINUE;
    fa->parser = NULL;
    return rc;
}

/* One row of the table and one host object of --json. */
static json_t *attack_host(const fleet_attack *fa, const fl_fleet_result *r, size_t *applied) {
    json_t *h = json_object();
    json_host_common(h, r);
    json_t *first = r->first ? json_loads(r->first, 0, NULL) : NULL;
    json_t *last = r->last && r->last != r->first ? json_loads(r->last, 0, NULL) : NULL;
    const char *id = first ? json_string_value(json_object_get(first, "id")) : NULL;
    const char *verified = first ? json_string_value(json_object_get(first, "verified")) : NULL;
    const char *end_state = last ? json_string_value(json_object_get(last, "state")) : NULL;
    bool ended = end_state && strcmp(end_state, "active") != 0;
    if (first) {
        (*applied)++;
        const char *keys[] = {"id", "applied", "verified", "started"};
        for (size_t k = 0; k < 4; k++)
            json_object_set(h, keys[k], json_object_get(first, keys[k]));
        json_object_set_new(h, "apply_ms", json_integer((r->applied_us - r->start_us) / 1000));
    }
    if (ended)
        json_object_set_new(h, "end_state", json_string(end_state));
    if (!fa->o.json) {
        char ms[32] = "-";
        if (first)
            snprintf(ms, sizeof(ms), "%.0f", (double)(r->applied_us - r->start_us) / 1000.0);
        const char *said = r->state == FL_HOST_FAILED && r->err_text && *r->err_text ? r->err_text
                           : verified                                                ? verified
                                                                                     : "";
        printf("%-16s %-22s %-8s %-22s %-10s %-10s %s\n", r->host->name, r->host->address, state_name(r), id ? id : "-",
               ms, ended ? end_state : "-", said);
    }
    json_decref(first);
    json_decref(last);
    return h;
}

static int report_attack(const fleet_attack *fa, const fleet_plan *p, const fl_fleet_result *res, int errors,
                         int64_t elapsed_us) {
    json_t *doc =
        json_pack("{s:s, s:o, s:I, s:I, s:I}", "kind", fa->kind, "selection", selection_json(&fa->o, p), "lease_ms",
                  (json_int_t)(fa->lease_us / 1000), "duration_ms", (json_int_t)(fl_spec_duration_us(fa->spec) / 1000),
                  "elapsed_ms", (json_int_t)(elapsed_us / 1000));
    json_t *hosts = json_array();
    size_t applied = 0, skipped = 0;
    if (!fa->o.json)
        printf("\n%-16s %-22s %-8s %-22s %-10s %-10s %s\n", "HOST", "ADDRESS", "RESULT", "ID", "APPLY_MS", "END",
               "VERIFIED / ERROR");
    for (size_t i = 0; i < p->n; i++) {
        json_array_append_new(hosts, attack_host(fa, &res[i], &applied));
        skipped += res[i].state == FL_HOST_SKIPPED;
    }
    json_object_set_new(doc, "hosts", hosts);
    json_object_set_new(doc, "applied", json_integer((json_int_t)applied));
    json_object_set_new(doc, "errors", json_integer(errors));
    json_object_set_new(doc, "skipped", json_integer((json_int_t)skipped));
    if (cli_stop_signal)
        json_object_set_new(doc, "stopped_by", json_string(strsignal(cli_stop_signal)));
    if (fa->o.json)
        print_json_doc(doc);
    else
        printf("%zu applied, %d error(s), %zu skipped%s\n", applied, errors, skipped,
               errors > (int)p->max_err ? " (max-errors exceeded: fan-out stopped)" : "");
    json_decref(doc);
    return errors > 0 ? FL_EAPPLY : cli_stop_signal ? FL_EABORTED : 0;
}

static int run_fleet_attack(fleet_attack *fa, const fleet_plan *p) {
    print_selection(&fa->o, p);
    if (!fa->o.json) {
        char d[32], lease[32];
        printf("attack %s for %s on %zu host(s), lease %s\n", fa->kind,
               fl_format_duration(fl_spec_duration_us(fa->spec), d, sizeof(d)), p->n,
               fl_format_duration(fa->lease_us, lease, sizeof(lease)));
        fflush(stdout);
    }
    cli_catch_stop_signals();
    fl_fleet_result *res = fl_xcalloc(p->n ? p->n : 1, sizeof(*res));
    fl_fanout_opts fo = {.max_concurrency = p->max_conc,
                         .max_errors = p->max_err,
                         .heartbeat_us = fa->lease_us / 3,
                         .hold_stdin = true,
                         .stop = &cli_stop_signal,
                         .kill_after_us = fa->lease_us + FLEET_KILL_GRACE_US,
                         .on_event = on_event,
                         .user = &fa->o};
    fl_error err;
    int64_t t0 = fl_mono_us();
    int errors = fl_fanout(p->hosts, p->n, build_remote, &fa->w, &fo, res, &err);
    int rc = errors < 0 ? cli_fail(&err) : report_attack(fa, p, res, errors, fl_mono_us() - t0);
    fl_fleet_results_free(res, p->n);
    free(res);
    return rc;
}

int cli_fleet_attack(int argc, char **argv) {
    fleet_attack fa = {.kind = argv[1], .info = fl_attack_find(argv[1]), .lease_us = FLEET_LEASE_DEFAULT_US};
    fl_error err;
    if (!(fa.spec = fl_spec_new(fa.kind, &err)))
        return cli_fail(&err);
    cli_option *params = cli_attack_options(fa.info, fleet_param, 0);
    fleet_plan p;
    int rc = parse_fleet_attack(&fa, params, argc - 1, argv + 1, &p);
    if (rc == CLI_CONTINUE) {
        rc = run_fleet_attack(&fa, &p);
        fl_fleet_plan_free(&p);
    }
    cli_attack_options_free(params);
    free_words(&fa.w);
    fl_spec_free(fa.spec);
    return rc == CLI_CONTINUE ? 0 : rc;
}

/* ---- status, stop, recover on the selection ---- */

typedef struct fleet_command {
    fleet_opts o;
    const char *cmd;
    bool all;
    remote_words w;
} fleet_command;

static int fleet_all(const cli_option *opt, const char *value, void *ctx) {
    (void)opt, (void)value;
    fleet_command *fc = ctx;
    if (strcmp(fc->cmd, "status") == 0)
        return cli_usage_error(FLEET_USAGE, "%s on a fleet: unexpected argument '--all'", fc->cmd);
    fc->all = true;
    return 0;
}

static bool is_fault_id(const char *a) {
    bool ok = a[0] != '-' && strlen(a) < 64;
    for (const char *c = a; *c; c++)
        ok = ok && (isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.');
    return ok;
}

/* Parses and checks the command, fills fc->w with the remote words and
 * makes the plan. */
static int parse_fleet_command(fleet_command *fc, int argc, char **argv, fleet_plan *plan) {
    const cli_option options[] = FLEET_OPTIONS(&fc->o);
    const cli_option all[] = {
        CLI_CALLBACK("all", NULL, "every fault (stop, recover)", CLI_OPTIONAL_VALUE, fleet_all),
        CLI_END,
    };
    cli_parser p = {.command = fc->cmd, .usage = FLEET_USAGE, .tables = CLI_TABLES(options, all), .ctx = fc};
    int rc = cli_parse(&p, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    add_word(&fc->w, "", fc->cmd);
    if (fc->all)
        add_word(&fc->w, "", "--all");
    for (int i = 0; i < p.n_args; i++) {
        if (strcmp(fc->cmd, "stop") != 0 || !is_fault_id(p.args[i]))
            return cli_usage_error(FLEET_USAGE, "%s on a fleet: unexpected argument '%s'", fc->cmd, p.args[i]);
        add_word(&fc->w, "", p.args[i]);
    }
    if (strcmp(fc->cmd, "status") == 0)
        add_word(&fc->w, "", "--json");
    rc = make_plan(&p, &fc->o, plan);
    return rc == 0 ? CLI_CONTINUE : rc;
}

static void print_status_host(const fl_fleet_result *r, json_t *body) {
    size_t k;
    json_t *f;
    json_t *faults = json_object_get(body, "faults");
    if (json_array_size(faults) == 0)
        printf("%-16s no active faults\n", r->host->name);
    json_array_foreach(faults, k, f) {
        printf("%-16s %-22s %-14s %-10s expires %s\n", r->host->name, json_string_value(json_object_get(f, "id")),
               json_string_value(json_object_get(f, "kind")), json_string_value(json_object_get(f, "state")),
               json_string_value(json_object_get(f, "expires")));
    }
}

static json_t *command_host(const fleet_command *fc, const fl_fleet_result *r) {
    json_t *h = json_object();
    json_host_common(h, r);
    json_t *body = strcmp(fc->cmd, "status") == 0 && r->first ? json_loads(r->first, 0, NULL) : NULL;
    if (body)
        json_object_set(h, "faults", json_object_get(body, "faults"));
    else if (r->out && *r->out)
        json_object_set_new(h, "output", json_string(r->out));
    if (!fc->o.json && body) {
        print_status_host(r, body);
    } else if (!fc->o.json) {
        const char *text = r->state == FL_HOST_FAILED && r->err_text && *r->err_text ? r->err_text
                           : r->out                                                  ? r->out
                                                                                     : "";
        printf("%-16s %-7s %s%s", r->host->name, state_name(r), text,
               *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
    }
    json_decref(body);
    return h;
}

static int run_fleet_command(fleet_command *fc, const fleet_plan *p) {
    print_selection(&fc->o, p);
    cli_catch_stop_signals();
    fl_fleet_result *res = fl_xcalloc(p->n ? p->n : 1, sizeof(*res));
    fl_fanout_opts fo = {.max_concurrency = p->max_conc,
                         .max_errors = p->n, /* a read or a rollback goes to every host */
                         .stop = &cli_stop_signal,
                         .kill_after_us = FLEET_COMMAND_TIMEOUT_US};
    fl_error err;
    int errors = fl_fanout(p->hosts, p->n, build_remote, &fc->w, &fo, res, &err);
    if (errors < 0) {
        free(res);
        return cli_fail(&err);
    }
    json_t *hosts = json_array();
    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(hosts, command_host(fc, &res[i]));
    if (fc->o.json) {
        json_t *doc =
            json_pack("{s:o, s:o, s:i}", "selection", selection_json(&fc->o, p), "hosts", hosts, "errors", errors);
        print_json_doc(doc);
        json_decref(doc);
    } else {
        json_decref(hosts);
    }
    fl_fleet_results_free(res, p->n);
    free(res);
    return errors > 0 ? FL_EAPPLY : 0;
}

int cli_fleet_command(int argc, char **argv) {
    fleet_command fc = {.cmd = argv[0]};
    fleet_plan p;
    int rc = parse_fleet_command(&fc, argc, argv, &p);
    if (rc == CLI_CONTINUE) {
        rc = run_fleet_command(&fc, &p);
        fl_fleet_plan_free(&p);
    }
    free_words(&fc.w);
    return rc;
}
