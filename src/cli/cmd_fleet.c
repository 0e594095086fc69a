/* --inventory on attack, status, stop and recover: the same command on the
 * selected hosts of an inventory, over ssh (docs/fleet.md). The controller
 * validates everything locally first; the remote command line is built from
 * the validated words only, each quoted for the remote shell. */
#include "cli.h"
#include "fleet/fleet.h"

int cli_fleet_attack(int argc, char **argv);
bool cli_fleet_wanted(int argc, char **argv);
int cli_fleet_command(int argc, char **argv);

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *FLEET_USAGE =
    "faultline <attack|status|stop|recover> ... --inventory FILE [--select FILTER] [--mode all|count(N)|percent(P)]\n"
    "       [--seed N] [--max-concurrency N|P%] [--max-errors N|P%] [--lease D] [--json]";

typedef struct fleet_opts {
    const char *inventory, *select, *mode, *seed, *max_conc, *max_err, *lease;
    bool json;
    char **rest; /* the command's own arguments */
    int n_rest;
} fleet_opts;

bool cli_fleet_wanted(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--inventory") == 0 || strncmp(argv[i], "--inventory=", 12) == 0)
            return true;
    return false;
}

/* Takes the fleet options out of argv[from..argc); the rest stays in order. */
static int split_opts(int argc, char **argv, int from, fleet_opts *o) {
    static const char *names[] = {"inventory", "select", "mode", "seed", "max-concurrency", "max-errors", "lease"};
    o->rest = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = from; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        int which = -1;
        size_t nlen = 0;
        for (int k = 0; k < 7 && strncmp(a, "--", 2) == 0; k++) {
            nlen = strlen(names[k]);
            if (strncmp(a + 2, names[k], nlen) == 0 && (a[2 + nlen] == '\0' || a[2 + nlen] == '=')) {
                which = k;
                break;
            }
        }
        if (which < 0) {
            o->rest[o->n_rest++] = argv[i];
            continue;
        }
        const char *v = a[2 + nlen] == '=' ? a + 3 + nlen : i + 1 < argc ? argv[++i] : NULL;
        if (!v || !*v)
            return cli_usage_error(FLEET_USAGE, "--%s needs a value", names[which]);
        const char **slot[] = {&o->inventory, &o->select, &o->mode, &o->seed, &o->max_conc, &o->max_err, &o->lease};
        *slot[which] = v;
    }
    if (!o->inventory)
        return cli_usage_error(FLEET_USAGE, "--inventory FILE is required");
    return 0;
}

typedef fl_fleet_plan fleet_plan;

static int make_plan(const fleet_opts *o, fleet_plan *p) {
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
            return cli_usage_error(FLEET_USAGE, "%s", err.message);
        return cli_fail(&err);
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

/* The remote argv: [env NAME=value...] faultline words... */
typedef struct remote_words {
    char **words;
    int n;
} remote_words;

static char *build_remote(const fl_host *h, void *user) {
    const remote_words *w = user;
    return fl_remote_faultline(h, w->words, (size_t)w->n);
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

int cli_fleet_attack(int argc, char **argv) {
    fleet_opts o = {0};
    int rc = split_opts(argc, argv, 2, &o);
    if (rc != 0) {
        free(o.rest);
        return rc;
    }
    /* Validate the attack here, exactly as the remote side will: nothing is
     * sent anywhere unless it passes. */
    fl_error err;
    const char *kind = argv[1];
    const fl_attack_info *info = fl_attack_find(kind);
    fl_spec *spec = fl_spec_new(kind, &err);
    if (!spec) {
        free(o.rest);
        return cli_fail(&err);
    }
    int64_t lease_us = 10000000;
    if (o.lease &&
        (fl_parse_duration(o.lease, "lease", &lease_us, &err) != 0 || lease_us < 1000000 || lease_us > 600000000)) {
        rc = cli_usage_error(FLEET_USAGE, "--lease takes a duration from 1s to 10m (default 10s)");
    }
    remote_words w = {calloc((size_t)o.n_rest + 8, sizeof(char *)), 0};
    w.words[w.n++] = "attack";
    w.words[w.n++] = (char *)kind;
    for (int i = 0; rc == 0 && i < o.n_rest; i++) {
        const char *a = o.rest[i];
        if (strcmp(a, "--detach") == 0 || strcmp(a, "--dry-run") == 0) {
            rc = cli_usage_error(FLEET_USAGE,
                                 "%s: a fleet attack is held by the controller under a lease (docs/fleet.md)", a);
            break;
        }
        if (strncmp(a, "--", 2) != 0 || !a[2] || strchr(a, '=')) {
            rc = cli_usage_error(FLEET_USAGE, "unexpected argument '%s' (parameters are --name value)", a);
            break;
        }
        const char *name = a + 2;
        const fl_param_spec *ps = fl_attack_param(kind, name);
        const char *value = NULL;
        if (!ps || ps->type != FL_PARAM_BOOL) {
            if (i + 1 >= o.n_rest) {
                rc = cli_usage_error(FLEET_USAGE, "--%s needs a value", name);
                break;
            }
            value = o.rest[++i];
        }
        if (fl_spec_set(spec, name, value, &err) != 0) {
            rc = cli_fail(&err);
            break;
        }
        w.words[w.n++] = (char *)a;
        if (value)
            w.words[w.n++] = (char *)value;
    }
    if (rc == 0 && info && info->instant)
        rc = cli_usage_error(FLEET_USAGE, "%s is instantaneous: a fleet attack holds a fault under a lease", kind);
    if (rc == 0 && fl_spec_validate(spec, &err) != 0)
        rc = cli_fail(&err);
    int64_t duration_us = rc == 0 ? fl_spec_duration_us(spec) : 0;
    fl_spec_free(spec);
    fleet_plan p;
    if (rc == 0)
        rc = make_plan(&o, &p);
    if (rc != 0) {
        free(w.words);
        free(o.rest);
        return rc;
    }
    char lease_text[32];
    fl_format_duration(lease_us, lease_text, sizeof(lease_text));
    w.words[w.n++] = "--lease";
    w.words[w.n++] = lease_text;
    w.words[w.n++] = "--json";
    print_selection(&o, &p);
    if (!o.json) {
        char d[32];
        printf("attack %s for %s on %zu host(s), lease %s\n", kind, fl_format_duration(duration_us, d, sizeof(d)), p.n,
               lease_text);
        fflush(stdout);
    }

    cli_catch_stop_signals();
    fl_fleet_result *res = calloc(p.n, sizeof(*res));
    fl_fanout_opts fo = {.max_concurrency = p.max_conc,
                         .max_errors = p.max_err,
                         .heartbeat_us = lease_us / 3,
                         .hold_stdin = true,
                         .stop = &cli_stop_signal,
                         .kill_after_us = lease_us + 5000000,
                         .on_event = on_event,
                         .user = &o};
    int64_t t0 = fl_fleet_mono_us();
    int errors = fl_fanout(p.hosts, p.n, build_remote, &w, &fo, res, &err);
    int64_t t1 = fl_fleet_mono_us();
    if (errors < 0) {
        rc = cli_fail(&err);
    } else {
        json_t *doc = json_object();
        json_object_set_new(doc, "kind", json_string(kind));
        json_object_set_new(doc, "selection", selection_json(&o, &p));
        json_object_set_new(doc, "lease_ms", json_integer(lease_us / 1000));
        json_object_set_new(doc, "duration_ms", json_integer(duration_us / 1000));
        json_object_set_new(doc, "elapsed_ms", json_integer((t1 - t0) / 1000));
        json_t *hosts = json_array();
        size_t applied = 0, skipped = 0;
        if (!o.json)
            printf("\n%-16s %-22s %-8s %-22s %-10s %-10s %s\n", "HOST", "ADDRESS", "RESULT", "ID", "APPLY_MS", "END",
                   "VERIFIED / ERROR");
        for (size_t i = 0; i < p.n; i++) {
            fl_fleet_result *r = &res[i];
            json_t *h = json_object();
            json_host_common(h, r);
            json_t *first = r->first ? json_loads(r->first, 0, NULL) : NULL;
            json_t *last = r->last && r->last != r->first ? json_loads(r->last, 0, NULL) : NULL;
            const char *id = first ? json_string_value(json_object_get(first, "id")) : NULL;
            const char *verified = first ? json_string_value(json_object_get(first, "verified")) : NULL;
            const char *end_state = last ? json_string_value(json_object_get(last, "state")) : NULL;
            if (first) {
                applied++;
                json_object_set(h, "id", json_object_get(first, "id"));
                json_object_set(h, "applied", json_object_get(first, "applied"));
                json_object_set(h, "verified", json_object_get(first, "verified"));
                json_object_set(h, "started", json_object_get(first, "started"));
                json_object_set_new(h, "apply_ms", json_integer((r->applied_us - r->start_us) / 1000));
            }
            if (r->state == FL_HOST_SKIPPED)
                skipped++;
            if (end_state && strcmp(end_state, "active") != 0)
                json_object_set_new(h, "end_state", json_string(end_state));
            json_array_append_new(hosts, h);
            if (!o.json) {
                char ms[32] = "-";
                if (first)
                    snprintf(ms, sizeof(ms), "%.0f", (double)(r->applied_us - r->start_us) / 1000.0);
                printf("%-16s %-22s %-8s %-22s %-10s %-10s %s\n", r->host->name, r->host->address, state_name(r),
                       id ? id : "-", ms, end_state && strcmp(end_state, "active") ? end_state : "-",
                       r->state == FL_HOST_FAILED && r->err_text && *r->err_text ? r->err_text
                       : verified                                                ? verified
                                                                                 : "");
            }
            json_decref(first);
            json_decref(last);
        }
        json_object_set_new(doc, "hosts", hosts);
        json_object_set_new(doc, "applied", json_integer((json_int_t)applied));
        json_object_set_new(doc, "errors", json_integer(errors));
        json_object_set_new(doc, "skipped", json_integer((json_int_t)skipped));
        if (cli_stop_signal)
            json_object_set_new(doc, "stopped_by", json_string(strsignal(cli_stop_signal)));
        if (o.json) {
            char *text = json_dumps(doc, JSON_COMPACT);
            printf("%s\n", text);
            free(text);
        } else {
            printf("%zu applied, %d error(s), %zu skipped%s\n", applied, errors, skipped,
                   errors > (int)p.max_err ? " (max-errors exceeded: fan-out stopped)" : "");
        }
        json_decref(doc);
        rc = errors > 0 ? FL_EAPPLY : cli_stop_signal ? FL_EABORTED : 0;
    }
    fl_fleet_results_free(res, p.n);
    free(res);
    fl_fleet_plan_free(&p);
    free(w.words);
    free(o.rest);
    return rc;
}

/* status, stop, recover on the selection. */
int cli_fleet_command(int argc, char **argv) {
    fleet_opts o = {0};
    const char *cmd = argv[0];
    int rc = split_opts(argc, argv, 1, &o);
    remote_words w = {calloc((size_t)o.n_rest + 4, sizeof(char *)), 0};
    w.words[w.n++] = (char *)cmd;
    for (int i = 0; rc == 0 && i < o.n_rest; i++) {
        const char *a = o.rest[i];
        bool ok = strcmp(a, "--all") == 0 && strcmp(cmd, "status") != 0;
        if (!ok && strcmp(cmd, "stop") == 0 && a[0] != '-') {
            ok = strlen(a) < 64;
            for (const char *c = a; *c; c++)
                ok = ok && (isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.');
        }
        if (!ok)
            rc = cli_usage_error(FLEET_USAGE, "%s on a fleet: unexpected argument '%s'", cmd, a);
        else
            w.words[w.n++] = (char *)a;
    }
    if (rc == 0 && strcmp(cmd, "status") == 0)
        w.words[w.n++] = "--json";
    fleet_plan p;
    if (rc == 0)
        rc = make_plan(&o, &p);
    if (rc != 0) {
        free(w.words);
        free(o.rest);
        return rc;
    }
    print_selection(&o, &p);
    cli_catch_stop_signals();
    fl_fleet_result *res = calloc(p.n, sizeof(*res));
    fl_fanout_opts fo = {.max_concurrency = p.max_conc,
                         .max_errors = p.n, /* a read or a rollback goes to every host */
                         .stop = &cli_stop_signal,
                         .kill_after_us = 5000000};
    fl_error err;
    int errors = fl_fanout(p.hosts, p.n, build_remote, &w, &fo, res, &err);
    if (errors < 0) {
        rc = cli_fail(&err);
    } else {
        json_t *doc = json_object();
        json_object_set_new(doc, "selection", selection_json(&o, &p));
        json_t *hosts = json_array();
        for (size_t i = 0; i < p.n; i++) {
            fl_fleet_result *r = &res[i];
            json_t *h = json_object();
            json_host_common(h, r);
            json_t *body = strcmp(cmd, "status") == 0 && r->first ? json_loads(r->first, 0, NULL) : NULL;
            if (body)
                json_object_set(h, "faults", json_object_get(body, "faults"));
            else if (r->out && *r->out)
                json_object_set_new(h, "output", json_string(r->out));
            json_array_append_new(hosts, h);
            if (!o.json) {
                if (body) {
                    size_t k;
                    json_t *f;
                    json_t *faults = json_object_get(body, "faults");
                    if (json_array_size(faults) == 0)
                        printf("%-16s no active faults\n", r->host->name);
                    json_array_foreach(faults, k, f) {
                        printf("%-16s %-22s %-14s %-10s expires %s\n", r->host->name,
                               json_string_value(json_object_get(f, "id")),
                               json_string_value(json_object_get(f, "kind")),
                               json_string_value(json_object_get(f, "state")),
                               json_string_value(json_object_get(f, "expires")));
                    }
                } else {
                    const char *text = r->state == FL_HOST_FAILED && r->err_text && *r->err_text ? r->err_text
                                       : r->out                                                  ? r->out
                                                                                                 : "";
                    printf("%-16s %-7s %s%s", r->host->name, state_name(r), text,
                           *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
                }
            }
            json_decref(body);
        }
        json_object_set_new(doc, "hosts", hosts);
        json_object_set_new(doc, "errors", json_integer(errors));
        if (o.json) {
            char *text = json_dumps(doc, JSON_COMPACT);
            printf("%s\n", text);
            free(text);
        }
        json_decref(doc);
        rc = errors > 0 ? FL_EAPPLY : 0;
    }
    fl_fleet_results_free(res, p.n);
    free(res);
    fl_fleet_plan_free(&p);
    free(w.words);
    free(o.rest);
    return rc;
}
