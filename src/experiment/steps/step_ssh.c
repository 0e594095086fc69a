/* A step's fault on ssh hosts of an inventory: `faultline attack <kind> ...
 * --duration D --lease L --json` on every selected host through the fleet
 * fan-out, in a thread of its own. The fan-out renews each lease; ending the
 * step closes them, and each host rolls back at once (or, if the controller
 * is gone, when its lease runs out). */
#include "core/internal.h"
#include "experiment/steps/fleet_thread.h"
#include "experiment/steps/step.h"

#include <stdlib.h>
#include <string.h>

typedef enum { HOST_WAITING, HOST_APPLYING, HOST_APPLIED, HOST_FAILED, HOST_ENDED } host_phase;

typedef struct host_row {
    host_phase phase;
    char id[48];
    char verified[300];
    char error[400];
    int64_t start_us, applied_us, end_us; /* monotonic, 0 if not */
} host_row;

typedef struct ssh_fault {
    const step_def *st;
    uint64_t seed;
    const target_def *target;
    fl_fleet_plan plan;
    fleet_thread ft;
    host_row *rows; /* guarded by ft.lock */
    int64_t lease_us;
} ssh_fault;

static void on_event(void *user, const fl_fleet_result *r, const char *event) {
    ssh_fault *sf = user;
    size_t i = fleet_thread_index(&sf->ft, r);
    host_row *h = &sf->rows[i];
    pthread_mutex_lock(&sf->ft.lock);
    if (strcmp(event, "started") == 0) {
        h->phase = HOST_APPLYING;
        h->start_us = r->start_us;
    } else if (strcmp(event, "first") == 0) {
        json_t *j = json_loads(r->first, 0, NULL);
        snprintf(h->id, sizeof(h->id), "%s", j ? json_string_value(json_object_get(j, "id")) ?: "" : "");
        snprintf(h->verified, sizeof(h->verified), "%s",
                 j ? json_string_value(json_object_get(j, "verified")) ?: "" : "");
        json_decref(j);
        h->phase = HOST_APPLIED;
        h->applied_us = r->applied_us;
    } else if (strcmp(event, "done") == 0 || strcmp(event, "failed") == 0) {
        bool failed = strcmp(event, "failed") == 0 || h->phase != HOST_APPLIED;
        h->end_us = r->end_us;
        if (failed && h->phase != HOST_APPLIED && r->exit_code == 0)
            snprintf(h->error, sizeof(h->error), "exited without reporting a fault");
        else if (failed) {
            snprintf(h->error, sizeof(h->error), "%s%s (exit %d)", h->phase == HOST_APPLIED ? "ended early: " : "",
                     r->err_text && *r->err_text ? r->err_text : "", r->exit_code);
        }
        h->phase = failed && h->phase != HOST_APPLIED ? HOST_FAILED : HOST_ENDED;
    }
    pthread_mutex_unlock(&sf->ft.lock);
}

static void *ssh_create(const step_def *st, uint64_t seed, fl_error *err) {
    (void)err; /* nothing can fail before it starts */
    ssh_fault *sf = fl_xcalloc(1, sizeof(*sf));
    sf->st = st;
    sf->seed = seed;
    sf->target = st->target;
    sf->lease_us = st->target->lease_us;
    return sf;
}

static int ssh_start(void *self, fl_error *err) {
    ssh_fault *sf = self;
    const step_def *st = sf->st;
    if (remote_ssh_plan(st->target, sf->seed, &sf->plan, err) != 0)
        return -1;
    /* The words are the ones the parser validated with fl_spec_set. */
    size_t cap = 2 * st->n_params + 10, n = 0;
    char **words = fl_xcalloc(cap, sizeof(char *));
    words[n++] = fl_xstrdup("attack");
    words[n++] = fl_xstrdup(st->attack);
    for (size_t i = 0; i < st->n_params; i++) {
        const fl_param_spec *ps = fl_attack_param(st->attack, st->param_names[i]);
        words[n++] = fl_xasprintf("--%s", st->param_names[i]);
        if (!ps || ps->type != FL_PARAM_BOOL)
            words[n++] = fl_xstrdup(st->param_values[i]);
    }
    char d[32], l[32];
    words[n++] = fl_xstrdup("--duration");
    words[n++] = fl_xstrdup(fl_format_duration(st->duration_us, d, sizeof(d)));
    words[n++] = fl_xstrdup("--lease");
    words[n++] = fl_xstrdup(fl_format_duration(sf->lease_us, l, sizeof(l)));
    words[n++] = fl_xstrdup("--json");
    sf->rows = fl_xcalloc(sf->plan.n ? sf->plan.n : 1, sizeof(*sf->rows));
    fl_fanout_opts fo = {.heartbeat_us = sf->lease_us / 3,
                         .hold_stdin = true,
                         .kill_after_us = sf->lease_us + 5000000,
                         .on_event = on_event,
                         .user = sf};
    return fleet_thread_start(&sf->ft, &sf->plan, words, n, &fo, err);
}

/* "web-1: message; web-2: message" of the failed hosts. */
static void failed_hosts(ssh_fault *sf, char *why, size_t len, size_t *n_failed) {
    *n_failed = 0;
    why[0] = '\0';
    for (size_t i = 0; i < sf->plan.n; i++) {
        if (sf->rows[i].phase != HOST_FAILED)
            continue;
        (*n_failed)++;
        size_t used = strlen(why);
        snprintf(why + used, len - used, "%s%s: %s", used ? "; " : "", sf->plan.hosts[i]->name,
                 sf->rows[i].error[0] ? sf->rows[i].error : "failed");
    }
}

static void ssh_summary(ssh_fault *sf, char *buf, size_t len);

/* 0 while hosts apply; 1 once every launched host answered (failures
 * within max-errors named in why); -1 beyond max-errors or none applied. */
static int hosts_applied(ssh_fault *sf, char *why, size_t len) {
    bool done = fleet_thread_done(&sf->ft);
    pthread_mutex_lock(&sf->ft.lock);
    size_t applied = 0, launched = 0, n_failed;
    for (size_t i = 0; i < sf->plan.n; i++) {
        host_phase ph = sf->rows[i].phase;
        applied += ph == HOST_APPLIED || ph == HOST_ENDED;
        launched += ph != HOST_WAITING;
    }
    char failures[1500];
    failed_hosts(sf, failures, sizeof(failures), &n_failed);
    int rc = 0;
    if (n_failed > sf->plan.max_err) {
        snprintf(why, len, "%zu of %zu host(s) failed, more than max-errors %zu: %s", n_failed, sf->plan.n,
                 sf->plan.max_err, failures);
        rc = -1;
    } else if ((done || applied + n_failed == launched) && launched > 0) {
        /* Every host launched so far has answered; with max-concurrency
         * below the selection, later hosts take their turn as slots free. */
        if (applied == 0) {
            snprintf(why, len, "applied on no host: %s", failures[0] ? failures : "the fan-out ended");
            rc = -1;
        } else {
            snprintf(why, len, "%s", failures); /* within max-errors: named in the timeline */
            rc = 1;
        }
    } else if (done) {
        snprintf(why, len, "the fan-out ended before any host answered: %s", sf->ft.err.message);
        rc = -1;
    }
    pthread_mutex_unlock(&sf->ft.lock);
    return rc;
}

static int ssh_applied(void *self, step_outcome *out) {
    ssh_fault *sf = self;
    char why[1500] = "";
    int a = hosts_applied(sf, why, sizeof(why));
    if (a < 0)
        snprintf(out->error, sizeof(out->error), "%s", why);
    if (a != 1)
        return a;
    char summary[700];
    ssh_summary(sf, summary, sizeof(summary));
    if (why[0]) /* applied, with failures within max-errors */
        snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), "; failed within max-errors: %s", why);
    out->applied_text = fl_xstrdup(summary);
    return 1;
}

static int ssh_ended(void *self, char *why, size_t len) {
    ssh_fault *sf = self;
    (void)why, (void)len;
    return fleet_thread_done(&sf->ft) ? 1 : 0;
}

static int ssh_stop(void *self, char *why, size_t len) {
    ssh_fault *sf = self;
    if (!sf->ft.res) /* never started */
        return 1;
    fleet_thread_stop(&sf->ft);
    /* After the join, the results are ours to read. */
    size_t lost = 0;
    why[0] = '\0';
    for (size_t i = 0; i < sf->plan.n; i++) {
        fl_fleet_result *r = &sf->ft.res[i];
        host_row *h = &sf->rows[i];
        if (r->state == FL_HOST_SKIPPED && h->phase == HOST_WAITING)
            snprintf(h->error, sizeof(h->error), "skipped: max-errors was exceeded or the step ended first");
        if (h->phase != HOST_APPLIED && h->phase != HOST_ENDED)
            continue;
        json_t *last = r->last ? json_loads(r->last, 0, NULL) : NULL;
        const char *end_state = last ? json_string_value(json_object_get(last, "state")) : NULL;
        bool rolled = end_state && strcmp(end_state, "rolled_back") == 0;
        if (!rolled && r->exit_code != 0 && r->exit_code != FL_EABORTED) {
            lost++;
            size_t used = strlen(why);
            char l[32];
            snprintf(why + used, len - used, "%s%s: no confirmation (exit %d); its fault ends by its lease (%s)",
                     used ? "; " : "", r->host->name, r->exit_code, fl_format_duration(sf->lease_us, l, sizeof(l)));
        }
        json_decref(last);
    }
    return lost ? -1 : 0;
}

static void ssh_summary(ssh_fault *sf, char *buf, size_t len) {
    pthread_mutex_lock(&sf->ft.lock);
    size_t applied = 0;
    char names[600] = "";
    for (size_t i = 0; i < sf->plan.n; i++)
        if (sf->rows[i].phase == HOST_APPLIED || sf->rows[i].phase == HOST_ENDED) {
            applied++;
            snprintf(names + strlen(names), sizeof(names) - strlen(names), " %s", sf->plan.hosts[i]->name);
        }
    pthread_mutex_unlock(&sf->ft.lock);
    snprintf(buf, len, "on %zu of %zu host(s):%s", applied, sf->plan.n, names);
}

static json_t *ssh_targets_json(ssh_fault *sf) {
    const target_def *t = sf->target;
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "kind", "ssh", "inventory",
                     t->inventory, "select", t->select ? t->select : "", "mode", t->mode ? t->mode : "all", "seed",
                     (json_int_t)sf->plan.seed, "hosts_total", (json_int_t)sf->plan.inv->n_hosts, "matched",
                     (json_int_t)sf->plan.matched, "selected", (json_int_t)sf->plan.n, "max_concurrency",
                     (json_int_t)sf->plan.max_conc, "max_errors", (json_int_t)sf->plan.max_err, "lease_ms",
                     (json_int_t)(sf->lease_us / 1000));
}

static json_t *ms_since(int64_t t_us, int64_t t0_us) {
    return t_us > 0 ? json_integer((t_us - t0_us) / 1000) : json_null();
}

static json_t *ssh_hosts_json(ssh_fault *sf, int64_t t0) {
    json_t *rows = json_array();
    for (size_t i = 0; i < sf->plan.n; i++) {
        const host_row *h = &sf->rows[i];
        const fl_fleet_result *r = &sf->ft.res[i];
        static const char *const names[] = {"skipped", "not applied", "applied", "failed", "applied"};
        const char *result = names[h->phase];
        json_t *row =
            json_pack("{s:s, s:s, s:s}", "name", r->host->name, "address", r->host->address, "result", result);
        if (h->id[0])
            json_object_set_new(row, "id", json_string(h->id));
        json_object_set_new(row, "started_ms", ms_since(h->start_us, t0));
        json_object_set_new(row, "applied_ms", ms_since(h->applied_us, t0));
        json_object_set_new(row, "ended_ms", ms_since(h->end_us ? h->end_us : r->end_us, t0));
        if (h->applied_us)
            json_object_set_new(row, "apply_ms", json_integer((h->applied_us - h->start_us) / 1000));
        if (h->verified[0])
            json_object_set_new(row, "verified", json_string(h->verified));
        json_t *last = r->last && r->last != r->first ? json_loads(r->last, 0, NULL) : NULL;
        const char *end_state = last ? json_string_value(json_object_get(last, "state")) : NULL;
        if (end_state)
            json_object_set_new(row, "end_state", json_string(end_state));
        json_t *engine = last ? json_object_get(last, "engine") : NULL;
        if (json_is_object(engine)) { /* the host's packet engine's counters */
            json_object_set(row, "engine", engine);
            json_object_set_new(row, "degraded", json_boolean(json_is_true(json_object_get(last, "degraded"))));
        }
        json_decref(last);
        json_object_set_new(row, "exit_code", json_integer(r->exit_code));
        if (h->error[0])
            json_object_set_new(row, "error", json_string(h->error));
        json_array_append_new(rows, row);
    }
    return rows;
}

/* A host whose fault was degraded says so in its final JSON (degraded, and
 * the engine's reason). */
static int ssh_degraded(void *self, char *why, size_t len) {
    ssh_fault *sf = self;
    why[0] = '\0';
    for (size_t i = 0; sf->ft.res && i < sf->plan.n; i++) {
        const fl_fleet_result *r = &sf->ft.res[i];
        json_t *last = r->last ? json_loads(r->last, 0, NULL) : NULL;
        if (last && json_is_true(json_object_get(last, "degraded"))) {
            const char *reason = json_string_value(json_object_get(json_object_get(last, "engine"), "reason"));
            size_t used = strlen(why);
            snprintf(why + used, len - used, "%s%s: %s", used ? "; " : "", r->host->name, reason ? reason : "degraded");
        }
        json_decref(last);
    }
    return why[0] ? 1 : 0;
}

static void ssh_describe(void *self, json_t *fault, int64_t t0_mono_us) {
    ssh_fault *sf = self;
    if (!sf->ft.res) { /* never started: the selection was not made */
        json_object_set_new(fault, "targets", json_pack("{s:s}", "kind", "ssh"));
        return;
    }
    json_object_set_new(fault, "targets", ssh_targets_json(sf));
    json_object_set_new(fault, "hosts", ssh_hosts_json(sf, t0_mono_us));
}

static void ssh_free(void *self) {
    ssh_fault *sf = self;
    fleet_thread_free(&sf->ft);
    fl_fleet_plan_free(&sf->plan);
    free(sf->rows);
    free(sf);
}

const step_ops step_ssh_ops = {.starting = "over ssh",
                               .create = ssh_create,
                               .start = ssh_start,
                               .applied = ssh_applied,
                               .verified = step_verified_by_hosts,
                               .ended = ssh_ended,
                               .stop = ssh_stop,
                               .degraded = ssh_degraded,
                               .describe = ssh_describe,
                               .free = ssh_free};
