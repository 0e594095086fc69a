/* The dry run of an experiment: the timeline and every operation each attack
 * would perform, with its undo (fl_spec_plan). Nothing is applied. */
#include "core/internal.h"
#include "experiment/model/model.h"
#include "experiment/steps/fleet_thread.h"
#include "fleet/ssm.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct plan_ctx {
    fl_experiment_line_cb line;
    void *user;
    int n;
} plan_ctx;

static void say(plan_ctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(plan_ctx *p, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    p->line(p->user, buf);
}

static void plan_step(void *user, const char *op, const char *inverse) {
    plan_ctx *p = user;
    p->n++;
    say(p, "      %d. %s", p->n, op);
    if (inverse)
        say(p, "         undo: %s", inverse);
}

static const char *phase_text(const fl_experiment *exp, const condition_def *cd) {
    static const char *const names[] = {"before", "during", "after", "", "all"};
    return cd->phase == PHASE_STEP ? exp->steps[cd->step].name : names[cd->phase];
}

/* Where a step (or the load) runs, in words; an ssh selection with a seed
 * is resolved to its hosts, as the run will choose them. */
static void describe_target(plan_ctx *p, const char *indent, const target_def *t, const struct fl_ssm_request *ssm,
                            bool load) {
    if (!t) {
        say(p, "%son this host", indent);
        return;
    }
    char l[32];
    if (t->kind == TARGET_SSM) {
        json_t *body = ssm ? fl_ssm_request_body(ssm) : NULL;
        char *targets = body ? json_dumps(json_object_get(body, "Targets") ? json_object_get(body, "Targets")
                                                                           : json_object_get(body, "InstanceIds"),
                                          JSON_COMPACT)
                             : NULL;
        say(p, "%sthrough AWS SSM: document %s, region %s, targets %s, max-concurrency %s, max-errors %s%s%s", indent,
            ssm ? fl_ssm_request_document(ssm) : "?", t->ssm_region ? t->ssm_region : "(from the environment)",
            targets ? targets : "?", json_string_value(json_object_get(body, "MaxConcurrency")) ?: "1",
            json_string_value(json_object_get(body, "MaxErrors")) ?: "0",
            json_object_get(body, "AlarmConfiguration") ? ", with a CloudWatch alarm as stop condition" : "", "");
        free(targets);
        json_decref(body);
        return;
    }
    fl_fleet_plan plan;
    fl_error e;
    if (remote_ssh_plan(t, t->has_seed ? t->seed : 0, &plan, &e) != 0) {
        say(p, "%sover ssh: %s", indent, e.message);
        return;
    }
    char limits[160] = ", all at once; a host that fails is named, the others go on";
    if (!load)
        snprintf(limits, sizeof(limits), ", max-concurrency %zu, max-errors %zu, lease %s", plan.max_conc, plan.max_err,
                 fl_format_duration(t->lease_us, l, sizeof(l)));
    say(p, "%sover ssh: %zu of %zu matching host(s) of %s (select '%s', mode %s, %s)%s", indent, plan.n, plan.matched,
        t->inventory, t->select ? t->select : "", t->mode ? t->mode : "all",
        t->has_seed ? "seed given" : "a new random seed each run", limits);
    if (t->has_seed || plan.n == plan.matched) {
        char names[700] = "";
        for (size_t i = 0; i < plan.n; i++)
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s (%s)", i ? ", " : "",
                     plan.hosts[i]->name, plan.hosts[i]->address);
        say(p, "%s  hosts: %s", indent, names);
    }
    fl_fleet_plan_free(&plan);
}

int fl_experiment_plan(fl_experiment *exp, fl_experiment_line_cb line, void *user, fl_error *err) {
    fl_error_clear(err);
    plan_ctx p = {.line = line, .user = user};
    char a[32], b[32], c[32];
    say(&p, "dry run of %s: nothing is applied", exp->file);
    say(&p, "title: %s", exp->title);
    say(&p, "duration: %s", fl_format_duration(exp->duration_us, a, sizeof(a)));
    say(&p, "targets (default for every step):");
    describe_target(&p, "  ", exp->targets,
                    exp->n_steps && exp->steps[0].target == exp->targets ? exp->steps[0].ssm : NULL, false);
    if (exp->load.present && !exp->load.is_command) {
        say(&p, "load: HTTP %s at %s for %s%s", exp->load.url_text, exp->load.rate_text,
            fl_format_duration(exp->load.duration_us, a, sizeof(a)),
            exp->load.from ? ", split evenly over the hosts below" : ", from this host");
        if (exp->load.from)
            describe_target(&p, "  ", exp->load.from, NULL, true);
    } else if (exp->load.present) {
        char cmd[512] = "";
        for (size_t i = 0; i < exp->load.argc; i++)
            snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", i ? " " : "", exp->load.argv[i]);
        say(&p, "load: run [%s] in a loop, %s apart, for %s", cmd,
            fl_format_duration(exp->load.interval_us, a, sizeof(a)),
            fl_format_duration(exp->load.duration_us, b, sizeof(b)));
    } else
        say(&p, "load: none");
    for (size_t i = 0; i < exp->n_probes; i++) {
        const probe_def *pr = &exp->probes[i];
        const char *what = pr->type == PROBE_HTTP ? pr->url : pr->type == PROBE_TCP ? pr->host : pr->argv[0];
        say(&p, "probe %s: %s %s every %s", pr->name,
            pr->type == PROBE_HTTP  ? "http"
            : pr->type == PROBE_TCP ? "tcp"
                                    : "command",
            what, fl_format_duration(pr->interval_us, a, sizeof(a)));
    }
    for (size_t i = 0; i < exp->n_proms; i++)
        say(&p, "scrape %s every %s", exp->proms[i].url, fl_format_duration(exp->prom_interval_us, a, sizeof(a)));
    say(&p, "timeline:");
    say(&p, "  %8s  steady state before; load and probes start", "0s");
    for (size_t i = 0; i < exp->n_steps; i++) {
        step_def *st = &exp->steps[i];
        fl_format_duration(st->planned_start_us, a, sizeof(a));
        fl_format_duration(st->planned_end_us, b, sizeof(b));
        if (st->after >= 0)
            say(&p, "  %8s  %s: %s, %s after %s ends (planned until %s)", a, st->name, st->attack,
                fl_format_duration(st->start_us, c, sizeof(c)), exp->steps[st->after].name, b);
        else if (st->instant)
            say(&p, "  %8s  %s: %s (instant)", a, st->name, st->attack);
        else
            say(&p, "  %8s  %s: %s for %s, until %s", a, st->name, st->attack,
                fl_format_duration(st->duration_us, c, sizeof(c)), b);
        if (st->target != exp->targets)
            describe_target(&p, "    ", st->target, st->ssm, false);
        say(&p, st->target ? "    operations (on each target host, by its own faultline):" : "    operations:");
        p.n = 0;
        fl_error e;
        int planned = fl_spec_plan(st->spec, plan_step, &p, &e);
        if (planned != 0 && st->target) {
            /* Names are resolved, and paths and processes found, on each
             * host: this host's view is only a preview. */
            say(&p, "      decided by faultline on each host (not from here: %s)", e.message);
        } else if (planned != 0) {
            char path[64];
            snprintf(path, sizeof(path), "method[%zu].with", i);
            exp_error_at(err, exp->file, st->with_mark.line ? st->with_mark : st->mark, path, "%s", e.message);
            return -1;
        }
        if (st->verify_host)
            say(&p, "    verify: TCP connect to %s:%d before and during%s", st->verify_host, st->verify_port,
                st->verify_delay_us ? " (must grow by half the delay or more)" : "");
    }
    say(&p, "  %8s  end: every fault rolled back; steady state after",
        fl_format_duration(exp->duration_us, a, sizeof(a)));
    for (size_t i = 0; i < exp->n_rollbacks; i++) {
        char cmd[512] = "";
        for (size_t k = 0; k < exp->rollbacks[i].argc; k++)
            snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", k ? " " : "", exp->rollbacks[i].argv[k]);
        say(&p, "rollback action: [%s] (always run, after the faults are rolled back)", cmd);
    }
    static const char *const bounds[] = {"below", "above"};
    for (size_t i = 0; i < exp->n_hypotheses; i++) {
        const condition_def *cd = &exp->hypotheses[i];
        say(&p, "hypothesis: %s %s %s, every window %s", cd->metric.text, bounds[cd->bound], cd->threshold_text,
            phase_text(exp, cd));
    }
    for (size_t i = 0; i < exp->n_stops; i++) {
        const condition_def *cd = &exp->stops[i];
        say(&p, "stop when: %s %s %s for %s (then roll back and exit 3)", cd->metric.text, bounds[cd->bound],
            cd->threshold_text, fl_format_duration(cd->for_us, a, sizeof(a)));
    }
    return 0;
}
