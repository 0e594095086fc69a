/* Running an experiment: load and samplers start, steady state before,
 * faults applied on schedule and verified, stop conditions watched on every
 * new sample, faults rolled back at their end (or at once on an abort),
 * rollback actions, steady state after, verdicts.
 *
 * One thread drives everything and wakes at least every 20 ms (and at once
 * when the load completes a window), so a stop condition breached by a
 * window is acted on within milliseconds of that window's end. Faults are
 * started attached: if this process dies, their supervisors roll them
 * back. Whatever path ends the run, finish() rolls back every fault that
 * is still active before anything else. */
#include "core/curl_init.h"
#include "core/internal.h"
#include "experiment/remote.h"
#include "experiment/run.h"
#include "experiment/sampler.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 20

int64_t run_now(const run_state *rs) { return exp_mono_us() - rs->t0_mono_us; }

void run_event(run_state *rs, const char *event, const char *fault, const char *detail) {
    int64_t t = run_now(rs);
    char when[40];
    fl_format_time(rs->t0_wall_us + t, when, sizeof(when));
    json_t *e = json_pack("{s:I,s:s,s:s}", "t_ms", (json_int_t)(t / 1000), "time", when, "event", event);
    if (fault)
        json_object_set_new(e, "fault", json_string(fault));
    char *trimmed = strdup(detail ? detail : "");
    size_t len = strlen(trimmed);
    while (len && trimmed[len - 1] == '\n')
        trimmed[--len] = 0;
    detail = trimmed;
    json_object_set_new(e, "detail", json_string(detail));
    json_array_append_new(rs->timeline, e);
    if (rs->opt && rs->opt->progress) {
        char line[700];
        snprintf(line, sizeof(line), "%s%s%s%s%s", event, fault ? " " : "", fault ? fault : "",
                 detail && *detail ? ": " : "", detail ? detail : "");
        fl_run_progress p = {.phase = "event", .event = line, .elapsed_us = t};
        rs->opt->progress(rs->opt->user, &p);
    }
    free(trimmed);
}

void run_phase_bounds(const run_state *rs, phase_kind phase, int step, int64_t *start, int64_t *end) {
    const fl_experiment *exp = rs->exp;
    int64_t first = -1, last = -1;
    for (size_t i = 0; i < exp->n_steps; i++) {
        const step_run *sr = &rs->steps[i];
        if (sr->applied_us >= 0 && (first < 0 || sr->applied_us < first))
            first = sr->applied_us;
        int64_t end_i = sr->rolled_back_us >= 0 ? sr->rolled_back_us : (sr->applied_us >= 0 ? rs->end_us : -1);
        if (end_i > last)
            last = end_i;
    }
    switch (phase) {
    case PHASE_BEFORE:
        *start = 0;
        *end = first >= 0 ? first : rs->end_us;
        break;
    case PHASE_DURING:
        *start = first >= 0 ? first : rs->end_us;
        *end = first >= 0 ? last : rs->end_us;
        break;
    case PHASE_AFTER:
        *start = last >= 0 ? last : rs->end_us;
        *end = rs->end_us;
        break;
    case PHASE_STEP: {
        const step_run *sr = &rs->steps[step];
        *start = sr->applied_us >= 0 ? sr->applied_us : rs->end_us;
        *end = sr->applied_us >= 0 ? (sr->rolled_back_us >= 0 ? sr->rolled_back_us : rs->end_us) : rs->end_us;
        break;
    }
    case PHASE_ALL:
        *start = 0;
        *end = rs->end_us;
        break;
    }
}

/* ---- metrics: which series a condition reads --------------------------- */
static const char *load_metric_names[] = {"load.latency.p50",  "load.latency.p90", "load.latency.p99",
                                          "load.latency.p999", "load.latency.max", "load.errors.ratio",
                                          "load.rate",         "load.late"};

static double metric_scale(const metric_ref *m);

static size_t series_for(run_state *rs, const metric_ref *m) {
    char name[160];
    switch (m->kind) {
    case METRIC_PROBE:
        probe_series_name(rs->exp->probes[m->probe].name, m->probe_field, name, sizeof(name));
        return store_series(&rs->store, name, m->unit);
    case METRIC_PROMETHEUS: {
        /* Samples are stored as scraped; the result shows them in the unit
         * the condition compares them in. */
        size_t idx = store_series(&rs->store, m->text, m->unit);
        store_set_unit(&rs->store, idx, m->unit, metric_scale(m));
        return idx;
    }
    default: return store_series(&rs->store, load_metric_names[m->kind], m->unit);
    }
}

static double metric_scale(const metric_ref *m) { return m->seconds_to_ms ? 1000.0 : 1.0; }

/* ---- load windows into samples ---------------------------------------- */
static void add_window(run_state *rs, const exp_window *w) {
    if (rs->n_windows == rs->cap_windows) {
        rs->cap_windows = rs->cap_windows ? rs->cap_windows * 2 : 64;
        rs->windows = realloc(rs->windows, rs->cap_windows * sizeof(exp_window));
    }
    rs->windows[rs->n_windows++] = *w;
    rs->errors_total += w->errors;
    rs->requests_total += w->requests;
    double secs = w->len_us > 0 ? (double)w->len_us / 1e6 : 1;
    double values[] = {w->p50,
                       w->p90,
                       w->p99,
                       w->p999,
                       w->max,
                       w->requests ? (double)w->errors / w->requests : 0,
                       (double)w->sent / secs,
                       (double)w->late};
    bool valid[] = {w->has_latency, w->has_latency,  w->has_latency, w->has_latency,
                    w->has_latency, w->requests > 0, true,           true};
    for (size_t i = 0; i < FL_ARRAY_LEN(load_metric_names); i++) {
        size_t idx = store_series(&rs->store, load_metric_names[i], UNIT_COUNT);
        store_add(&rs->store, idx,
                  (sample){.t_us = w->t_us, .len_us = w->len_us, .value = values[i], .valid = valid[i]});
    }
}

static void ingest_load(run_state *rs, fl_hist *scratch, int64_t load_offset_us) {
    if (rs->load) {
        fl_load_window buf[16];
        size_t n;
        while ((n = fl_load_windows(rs->load, rs->n_windows, buf, 16)) > 0) {
            for (size_t i = 0; i < n; i++) {
                const fl_load_window *lw = &buf[i];
                exp_window w = {.t_us = load_offset_us + lw->start_us,
                                .len_us = lw->length_us,
                                .requests = lw->requests,
                                .errors = lw->errors,
                                .late = lw->late,
                                .sent = lw->sent,
                                .has_latency = lw->p99_us > 0 || lw->max_us > 0,
                                .p50 = (double)lw->p50_us / 1000,
                                .p90 = (double)lw->p90_us / 1000,
                                .p99 = (double)lw->p99_us / 1000,
                                .max = (double)lw->max_us / 1000};
                fl_hist_reset(scratch);
                fl_load_windows_latency(rs->load, lw->index, lw->index + 1, scratch);
                w.p999 = fl_hist_count(scratch) ? (double)fl_hist_percentile(scratch, 99.9) / 1000 : w.max;
                if (w.p999 > w.max)
                    w.p999 = w.max;
                add_window(rs, &w);
            }
        }
    } else if (rs->cmd || rs->rload) {
        exp_window buf[16];
        size_t n;
        while ((n = rs->cmd ? cmdload_windows(rs->cmd, rs->n_windows, buf, 16)
                            : remote_load_windows(rs->rload, rs->n_windows, buf, 16)) > 0)
            for (size_t i = 0; i < n; i++)
                add_window(rs, &buf[i]);
    }
}

/* ---- stop conditions --------------------------------------------------- */
/* Returns true when a stop condition is breached (abort_reason filled). */
static bool check_stops(run_state *rs) {
    const fl_experiment *exp = rs->exp;
    for (size_t i = 0; i < exp->n_stops; i++) {
        const condition_def *cd = &exp->stops[i];
        sample *s;
        size_t n = store_copy(&rs->store, rs->metric_series[exp->n_hypotheses + i], rs->stop_seen[i], &s);
        rs->stop_seen[i] += n;
        for (size_t k = 0; k < n; k++) {
            if (!s[k].valid)
                continue;
            double v = s[k].value * metric_scale(&cd->metric);
            /* The stop condition is written as the bad state: "above 50%". */
            bool bad = condition_holds(cd, v);
            if (!bad) {
                rs->stop_since[i] = -1;
                continue;
            }
            if (rs->stop_since[i] < 0)
                rs->stop_since[i] = s[k].t_us;
            int64_t breach_end = s[k].t_us + (s[k].len_us > 0 ? s[k].len_us : 0);
            if (breach_end - rs->stop_since[i] >= cd->for_us) {
                char val[48], dur[32];
                metric_format(&cd->metric, v, val, sizeof(val));
                snprintf(rs->abort_reason, sizeof(rs->abort_reason), "stop condition: %s (measured %s%s%s)", cd->name,
                         val, cd->for_us ? " for " : "",
                         cd->for_us ? fl_format_duration(breach_end - rs->stop_since[i], dur, sizeof(dur)) : "");
                rs->breach_us = breach_end;
                free(s);
                return true;
            }
        }
        free(s);
    }
    return false;
}

/* ---- faults ------------------------------------------------------------ */
static int64_t median3(int64_t a, int64_t b, int64_t c) {
    if (a > b) {
        int64_t t = a;
        a = b;
        b = t;
    }
    if (b > c)
        b = c;
    return a > b ? a : b;
}

static void measure_baselines(run_state *rs) {
    for (size_t i = 0; i < rs->exp->n_steps; i++) {
        step_def *st = &rs->exp->steps[i];
        step_run *sr = &rs->steps[i];
        sr->baseline_connect_us = -1;
        if (!st->verify_host)
            continue;
        int64_t t[3];
        bool ok = true;
        for (int k = 0; k < 3 && ok; k++) {
            t[k] =
                tcp_connect_time(st->verify_host, st->verify_port, 1000000, sr->baseline_why, sizeof(sr->baseline_why));
            ok = t[k] >= 0;
        }
        if (ok)
            sr->baseline_connect_us = median3(t[0], t[1], t[2]);
    }
}

/* Our own measurement of a network fault, on top of the library's
 * verification: TCP connect time to the dependency before and during. */
static void verify_step(run_state *rs, size_t i) {
    step_def *st = &rs->exp->steps[i];
    step_run *sr = &rs->steps[i];
    const char *lib = fl_fault_verified(sr->fault);
    sr->verified = true;
    snprintf(sr->verification, sizeof(sr->verification), "%s", lib && *lib ? lib : "applied");
    bool latency = strcmp(st->attack, "latency") == 0 && st->verify_delay_us > 0;
    bool cut = strcmp(st->attack, "blackhole") == 0 || strcmp(st->attack, "reset") == 0;
    if (!st->verify_host || !(latency || cut))
        return;
    char base[64];
    if (sr->baseline_connect_us < 0) {
        snprintf(sr->verification + strlen(sr->verification), sizeof(sr->verification) - strlen(sr->verification),
                 "; TCP connect to %s:%d not measured (before the fault: %s)", st->verify_host, st->verify_port,
                 sr->baseline_why);
        return;
    }
    snprintf(base, sizeof(base), "%.2f ms", (double)sr->baseline_connect_us / 1000);
    char why[128] = "";
    int64_t timeout = latency ? 2 * st->verify_delay_us + 1000000 : 1000000;
    int64_t during = tcp_connect_time(st->verify_host, st->verify_port, timeout, why, sizeof(why));
    char measured[256];
    if (latency) {
        bool seen = during >= 0 && during - sr->baseline_connect_us >= st->verify_delay_us / 2;
        if (during >= 0)
            snprintf(measured, sizeof(measured), "TCP connect to %s:%d: %s before, %.2f ms during", st->verify_host,
                     st->verify_port, base, (double)during / 1000);
        else
            snprintf(measured, sizeof(measured), "TCP connect to %s:%d: %s before, failed during (%s)", st->verify_host,
                     st->verify_port, base, why);
        sr->verified = seen;
    } else {
        snprintf(measured, sizeof(measured), "TCP connect to %s:%d: %s before, %s during", st->verify_host,
                 st->verify_port, base, during < 0 ? why : "still connects");
        sr->verified = during < 0;
    }
    snprintf(sr->verification, sizeof(sr->verification), "%s; %s", lib && *lib ? lib : "applied", measured);
    if (!sr->verified)
        snprintf(sr->error, sizeof(sr->error), "the fault was applied but had no measurable effect: %s", measured);
}

/* A step on other hosts starts here and is applied when its hosts answer
 * (poll_remote_apply), while the loop goes on watching stop conditions. */
static bool start_remote_step(run_state *rs, size_t i) {
    step_def *st = &rs->exp->steps[i];
    step_run *sr = &rs->steps[i];
    fl_error e;
    sr->rops = st->target->kind == TARGET_SSH ? &remote_ssh_ops : &remote_ssm_ops;
    sr->applied_us = run_now(rs);
    sr->remote = sr->rops->start(st, rs->seed, &e);
    if (!sr->remote) {
        sr->state = STEP_FAILED;
        snprintf(sr->error, sizeof(sr->error), "%s", e.message);
        run_event(rs, "fault_failed", st->name, e.message);
        return false;
    }
    sr->state = STEP_APPLYING;
    run_event(rs, "fault_starting", st->name, st->target->kind == TARGET_SSH ? "over ssh" : "through SSM");
    return true;
}

#define REMOTE_APPLY_TIMEOUT_US (60 * 1000000LL)

/* Returns false when the step failed (error set). */
static bool poll_remote_apply(run_state *rs, size_t i, int64_t now) {
    step_def *st = &rs->exp->steps[i];
    step_run *sr = &rs->steps[i];
    char why[1500] = "";
    int a = sr->rops->applied(sr->remote, why, sizeof(why));
    if (a == 0 && now - sr->applied_us > REMOTE_APPLY_TIMEOUT_US) {
        snprintf(why, sizeof(why), "not applied on every host within 60s");
        a = -1;
    }
    if (a == 0)
        return true;
    if (a < 0) {
        sr->state = STEP_FAILED;
        snprintf(sr->error, sizeof(sr->error), "%s", why);
        run_event(rs, "fault_failed", st->name, why);
        return false;
    }
    char summary[700];
    sr->rops->summary(sr->remote, summary, sizeof(summary));
    if (why[0]) /* applied, with failures within max-errors */
        snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), "; failed within max-errors: %s", why);
    sr->state = STEP_ACTIVE;
    sr->applied_text = strdup(summary);
    sr->verified = true;
    sr->verified_us = run_now(rs);
    snprintf(sr->verification, sizeof(sr->verification), "%s (each host verifies its own fault; see hosts)", summary);
    run_event(rs, "fault_applied", st->name, summary);
    return true;
}

static bool start_step(run_state *rs, size_t i) {
    step_def *st = &rs->exp->steps[i];
    step_run *sr = &rs->steps[i];
    fl_error e;
    if (st->target)
        return start_remote_step(rs, i);
    /* The fault may be in effect from the moment applying begins (a latency
     * fault's own verification takes one delayed round trip), so its window
     * starts here: the before phase must hold no faulted traffic. */
    int64_t requested = run_now(rs);
    sr->fault = fl_fault_start(st->spec, 0, &e);
    if (!sr->fault) {
        sr->state = STEP_FAILED;
        snprintf(sr->error, sizeof(sr->error), "%s", e.message);
        run_event(rs, "fault_failed", st->name, e.message);
        return false;
    }
    sr->applied_us = requested;
    snprintf(sr->id, sizeof(sr->id), "%s", fl_fault_id(sr->fault));
    sr->applied_text = strdup(fl_fault_applied(sr->fault));
    sr->state = st->instant ? STEP_ENDED : STEP_ACTIVE;
    run_event(rs, "fault_applied", st->name, sr->applied_text);
    verify_step(rs, i);
    if (!sr->verified) {
        run_event(rs, "fault_not_verified", st->name, sr->error);
        return false;
    }
    sr->verified_us = run_now(rs);
    run_event(rs, "fault_verified", st->name, sr->verification);
    if (st->instant) {
        sr->rolled_back_us = sr->applied_us;
        fl_fault_free(sr->fault);
        sr->fault = NULL;
    }
    return true;
}

static bool stop_remote_step(run_state *rs, size_t i, const char *why) {
    step_run *sr = &rs->steps[i];
    char detail[1500] = "";
    bool ok = sr->rops->stop(sr->remote, detail, sizeof(detail)) == 0;
    sr->rolled_back_us = run_now(rs);
    if (sr->state == STEP_ACTIVE)
        sr->state = STEP_ENDED;
    else if (sr->state == STEP_APPLYING) /* stopped before every host had answered */
        sr->state = STEP_FAILED;
    if (ok) {
        run_event(rs, "fault_rolled_back", rs->exp->steps[i].name, why);
    } else {
        snprintf(sr->error, sizeof(sr->error), "rollback not confirmed: %s", detail);
        run_event(rs, "fault_rollback_failed", rs->exp->steps[i].name, detail);
    }
    return ok;
}

static bool stop_step(run_state *rs, size_t i, const char *why) {
    step_run *sr = &rs->steps[i];
    if (sr->remote) {
        if (sr->rolled_back_us >= 0)
            return true;
        return stop_remote_step(rs, i, why);
    }
    if (sr->state != STEP_ACTIVE && !(sr->fault && sr->rolled_back_us < 0))
        return true;
    fl_error e;
    bool ok = fl_fault_stop(sr->fault, &e) == 0;
    sr->rolled_back_us = run_now(rs);
    if (sr->state == STEP_ACTIVE)
        sr->state = STEP_ENDED;
    if (ok) {
        run_event(rs, "fault_rolled_back", rs->exp->steps[i].name, why);
    } else {
        snprintf(sr->error, sizeof(sr->error), "rollback failed: %s", e.message);
        run_event(rs, "fault_rollback_failed", rs->exp->steps[i].name, e.message);
    }
    fl_fault_free(sr->fault);
    sr->fault = NULL;
    return ok;
}

/* Is step i due to start now? */
static bool step_due(run_state *rs, size_t i, int64_t now) {
    const step_def *st = &rs->exp->steps[i];
    if (st->after < 0)
        return now >= st->planned_start_us;
    const step_run *prev = &rs->steps[st->after];
    if (prev->state == STEP_FAILED || prev->state == STEP_SKIPPED)
        return false;
    return prev->state == STEP_ENDED && prev->rolled_back_us >= 0 && now >= prev->rolled_back_us + st->start_us;
}

/* ---- progress ---------------------------------------------------------- */
/* Held, or being applied on other hosts (in effect on some already). */
static bool in_effect(const step_run *sr) { return sr->state == STEP_ACTIVE || sr->state == STEP_APPLYING; }

static void report_progress(run_state *rs, const char *phase) {
    if (!rs->opt || !rs->opt->progress)
        return;
    char active[256] = "";
    int n_active = 0;
    for (size_t i = 0; i < rs->exp->n_steps; i++)
        if (in_effect(&rs->steps[i])) {
            snprintf(active + strlen(active), sizeof(active) - strlen(active), "%s%s", n_active ? "," : "",
                     rs->exp->steps[i].name);
            n_active++;
        }
    int64_t now = run_now(rs);
    fl_run_progress p = {.phase = phase,
                         .elapsed_us = now,
                         .remaining_us = rs->exp->duration_us > now ? rs->exp->duration_us - now : 0,
                         .active_faults = n_active,
                         .active = active,
                         .errors = rs->errors_total,
                         .requests = rs->requests_total};
    if (rs->n_windows) {
        const exp_window *w = &rs->windows[rs->n_windows - 1];
        p.rate = w->len_us > 0 ? (double)w->sent * 1e6 / (double)w->len_us : 0;
        p.p99_ms = w->p99;
    }
    rs->opt->progress(rs->opt->user, &p);
}

static const char *current_phase(run_state *rs) {
    bool any_applied = false, any_active = false;
    for (size_t i = 0; i < rs->exp->n_steps; i++) {
        any_applied |= rs->steps[i].applied_us >= 0;
        any_active |= in_effect(&rs->steps[i]);
    }
    return any_active ? "during" : any_applied ? "after" : "before";
}

/* ---- the run ----------------------------------------------------------- */
static void run_rollback_actions(run_state *rs) {
    for (size_t i = 0; i < rs->exp->n_rollbacks; i++) {
        rollback_def *rb = &rs->exp->rollbacks[i];
        char why[256], detail[512];
        int status = exp_run_command(rb->argv, rb->timeout_us, NULL, 0, why, sizeof(why));
        snprintf(detail, sizeof(detail), "%s: %s", rb->argv[0],
                 status == 0 ? "exit 0" : (*why ? why : "non-zero exit status"));
        if (status > 0 && !*why)
            snprintf(detail, sizeof(detail), "%s: exit status %d", rb->argv[0], status);
        run_event(rs, status == 0 ? "rollback_action" : "rollback_action_failed", NULL, detail);
    }
}

static bool before_steady_state_holds(run_state *rs, int64_t now) {
    const fl_experiment *exp = rs->exp;
    for (size_t i = 0; i < exp->n_hypotheses; i++) {
        const condition_def *cd = &exp->hypotheses[i];
        if (cd->phase != PHASE_BEFORE)
            continue;
        sample *s;
        size_t n = store_copy(&rs->store, rs->metric_series[i], 0, &s);
        evaluation ev;
        evaluate_condition(cd, s, n, 0, now, metric_scale(&cd->metric), &ev);
        free(s);
        if (ev.verdict == VERDICT_FAIL) {
            char val[48];
            snprintf(rs->abort_reason, sizeof(rs->abort_reason),
                     "steady state not met before the attack: %s (worst %s); nothing was injected", cd->name,
                     metric_format(&cd->metric, ev.worst, val, sizeof(val)));
            return false;
        }
    }
    return true;
}

int fl_experiment_run(fl_experiment *exp, const fl_run_options *opt, char **result_out, fl_error *err) {
    fl_error_clear(err);
    *result_out = NULL;
    if (fl_experiment_check_host(exp, err) != 0)
        return FL_EINVAL;
    fl_curl_init(); /* once per process; never cleaned up (core/curl_init.h) */
    run_state rs_storage, *rs = &rs_storage;
    memset(rs, 0, sizeof(*rs));
    rs->exp = exp;
    rs->opt = opt;
    rs->timeline = json_array();
    rs->breach_us = -1;
    rs->abort_done_us = -1;
    rs->seed = fl_fleet_new_seed();
    store_init(&rs->store);
    rs->steps = calloc(exp->n_steps ? exp->n_steps : 1, sizeof(step_run));
    for (size_t i = 0; i < exp->n_steps; i++)
        rs->steps[i].applied_us = rs->steps[i].verified_us = rs->steps[i].rolled_back_us = -1;
    size_t n_conditions = exp->n_hypotheses + exp->n_stops;
    rs->metric_series = calloc(n_conditions ? n_conditions : 1, sizeof(size_t));
    rs->stop_seen = calloc(exp->n_stops ? exp->n_stops : 1, sizeof(size_t));
    rs->stop_since = calloc(exp->n_stops ? exp->n_stops : 1, sizeof(int64_t));
    for (size_t i = 0; i < exp->n_stops; i++)
        rs->stop_since[i] = -1;
    for (size_t i = 0; i < n_conditions; i++) {
        const condition_def *cd = i < exp->n_hypotheses ? &exp->hypotheses[i] : &exp->stops[i - exp->n_hypotheses];
        rs->metric_series[i] = series_for(rs, &cd->metric);
    }

    measure_baselines(rs);
    rs->t0_mono_us = exp_mono_us();
    rs->t0_wall_us = fl_wall_us();
    run_event(rs, "phase", NULL, "before");

    sampler **samplers = calloc(exp->n_probes + exp->n_proms + 1, sizeof(sampler *));
    size_t n_samplers = 0;
    bool aborted = false, failed_fault = false;
    for (size_t i = 0; i < exp->n_probes; i++) {
        sampler *s = probe_sampler_start(&exp->probes[i], &rs->store, rs->t0_mono_us, err);
        if (s)
            samplers[n_samplers++] = s;
    }
    for (size_t i = 0; i < exp->n_proms; i++) {
        /* the series is named by the first metric text that uses it */
        size_t idx = (size_t)-1;
        for (size_t k = 0; k < n_conditions && idx == (size_t)-1; k++) {
            const condition_def *cd = k < exp->n_hypotheses ? &exp->hypotheses[k] : &exp->stops[k - exp->n_hypotheses];
            if (cd->metric.kind == METRIC_PROMETHEUS && cd->metric.prom == (int)i)
                idx = rs->metric_series[k];
        }
        sampler *s = prom_sampler_start(&exp->proms[i], exp->prom_interval_us, exp->prom_timeout_us, &rs->store, idx,
                                        rs->t0_mono_us, err);
        if (s)
            samplers[n_samplers++] = s;
    }

    int64_t load_offset_us = 0;
    fl_hist *scratch = fl_hist_new();
    if (exp->load.from) {
        rs->rload = remote_load_start(&exp->load, rs->seed, rs->t0_mono_us, err);
        if (!rs->rload) {
            snprintf(rs->abort_reason, sizeof(rs->abort_reason), "the load could not start: %s", err->message);
            run_event(rs, "load_failed", NULL, err->message);
            aborted = true;
            failed_fault = true;
        }
    } else if (exp->load.present && !exp->load.is_command) {
        rs->load = fl_load_start(exp->load.http, err);
        if (!rs->load) {
            snprintf(rs->abort_reason, sizeof(rs->abort_reason), "the load could not start: %s", err->message);
            run_event(rs, "load_failed", NULL, err->message);
            aborted = true;
            failed_fault = true;
        } else {
            fl_load_summary sum;
            fl_load_snapshot(rs->load, &sum);
            load_offset_us = sum.started_unix_us - rs->t0_wall_us;
        }
    } else if (exp->load.present) {
        rs->cmd = cmdload_start(&exp->load, rs->t0_mono_us, err);
        if (!rs->cmd) {
            snprintf(rs->abort_reason, sizeof(rs->abort_reason), "the load could not start: %s", err->message);
            aborted = true;
            failed_fault = true;
        }
    }

    bool method_started = false;
    int64_t last_progress = -1000000;
    const char *last_phase = "before";
    while (!aborted) {
        int64_t now = run_now(rs);
        if (opt && opt->interrupt && *opt->interrupt) {
            int signo = (int)*opt->interrupt;
            snprintf(rs->abort_reason, sizeof(rs->abort_reason), "signal %s", fl_signal_name(signo));
            rs->breach_us = now;
            aborted = true;
            break;
        }
        ingest_load(rs, scratch, load_offset_us);
        if (check_stops(rs)) {
            aborted = true;
            break;
        }
        bool all_done = true;
        for (size_t i = 0; i < exp->n_steps && !aborted; i++) {
            step_run *sr = &rs->steps[i];
            if (sr->state == STEP_PENDING) {
                all_done = false;
                if (!step_due(rs, i, now))
                    continue;
                if (!method_started) {
                    method_started = true;
                    if (!before_steady_state_holds(rs, now)) {
                        rs->method_skipped = true;
                        for (size_t k = 0; k < exp->n_steps; k++)
                            rs->steps[k].state = STEP_SKIPPED;
                        run_event(rs, "method_skipped", NULL, rs->abort_reason);
                        break;
                    }
                }
                if (!start_step(rs, i)) {
                    failed_fault = aborted = true;
                    snprintf(rs->abort_reason, sizeof(rs->abort_reason), "fault %s: %s", exp->steps[i].name, sr->error);
                    break;
                }
            } else if (sr->state == STEP_APPLYING) {
                all_done = false;
                if (!poll_remote_apply(rs, i, now)) {
                    failed_fault = aborted = true;
                    snprintf(rs->abort_reason, sizeof(rs->abort_reason), "fault %s: %s", exp->steps[i].name, sr->error);
                    break;
                }
            } else if (sr->state == STEP_ACTIVE) {
                all_done = false;
                fl_error e;
                int64_t end_at = sr->applied_us + exp->steps[i].duration_us;
                char why[600] = "";
                int ended = now >= end_at ? 1
                            : sr->remote  ? sr->rops->ended(sr->remote, why, sizeof(why))
                                          : fl_fault_wait(sr->fault, 0, &e);
                if (ended == 2) { /* an external stop condition (an SSM alarm) ended it */
                    snprintf(rs->abort_reason, sizeof(rs->abort_reason), "stop condition: %s", why);
                    rs->breach_us = now;
                    aborted = true;
                    break;
                }
                if (ended == 1)
                    stop_step(rs, i, now >= end_at ? "its duration ended" : "it ended on every host");
            }
        }
        if (rs->method_skipped)
            break;
        const char *phase = current_phase(rs);
        if (strcmp(phase, last_phase) != 0) {
            run_event(rs, "phase", NULL, phase);
            last_phase = phase;
        }
        bool load_done = !exp->load.present || (rs->load    ? fl_load_wait(rs->load, 0) == 1
                                                : rs->rload ? remote_load_finished(rs->rload)
                                                            : cmdload_finished(rs->cmd));
        if (now >= exp->duration_us && all_done && load_done)
            break;
        if (now >= exp->duration_us + 30000000) /* a load that does not end: never wait for ever */
            break;
        if (now - last_progress >= 1000000) {
            report_progress(rs, phase);
            last_progress = now;
        }
        if (rs->load)
            fl_load_wait(rs->load, TICK_MS);
        else
            usleep(TICK_MS * 1000);
    }

    /* Roll back first, whatever happened; everything else can wait. */
    bool rollback_ok = true;
    for (size_t i = 0; i < exp->n_steps; i++)
        rollback_ok &= stop_step(rs, i, aborted ? rs->abort_reason : "the run ended");
    if (aborted && rs->breach_us >= 0) {
        rs->abort_done_us = run_now(rs);
        char detail[600];
        snprintf(detail, sizeof(detail), "%s; every fault rolled back %.0f ms after it", rs->abort_reason,
                 (double)(rs->abort_done_us - rs->breach_us) / 1000);
        run_event(rs, strncmp(rs->abort_reason, "signal", 6) == 0 ? "signal" : "stop_condition", NULL, detail);
    }
    if (rs->load)
        fl_load_stop(rs->load);
    if (rs->cmd)
        cmdload_stop(rs->cmd);
    if (rs->rload)
        remote_load_stop(rs->rload);
    run_rollback_actions(rs);
    for (size_t i = 0; i < n_samplers; i++)
        sampler_stop(samplers[i]);
    free(samplers);
    ingest_load(rs, scratch, load_offset_us);
    fl_hist_free(scratch);
    rs->end_us = run_now(rs);
    if (!aborted && !rs->method_skipped)
        for (size_t i = 0; i < exp->n_steps; i++)
            if (rs->steps[i].state == STEP_PENDING) {
                rs->steps[i].state = STEP_FAILED;
                snprintf(rs->steps[i].error, sizeof(rs->steps[i].error),
                         "never started: the run ended first (after: a step that did not end in time)");
                failed_fault = true;
            }

    if (failed_fault || !rollback_ok) {
        rs->exit_code = FL_EAPPLY;
        rs->verdict = "error";
        if (!rs->abort_reason[0])
            snprintf(rs->abort_reason, sizeof(rs->abort_reason), "%s",
                     rollback_ok ? "a fault could not be applied or verified" : "a fault could not be rolled back");
    } else if (aborted) {
        rs->exit_code = FL_EABORTED;
        rs->verdict = "aborted";
    } else if (rs->method_skipped) {
        rs->exit_code = FL_EHYPOTHESIS;
        rs->verdict = "fail";
    } else {
        rs->exit_code = FL_OK;
        rs->verdict = "pass"; /* result_json() lowers it if a hypothesis fails */
    }
    *result_out = result_json(rs);
    fl_run_progress done = {.phase = "done", .elapsed_us = rs->end_us};
    if (opt && opt->progress)
        opt->progress(opt->user, &done);
    int code = rs->exit_code;

    if (rs->load)
        fl_load_free(rs->load);
    cmdload_free(rs->cmd);
    remote_load_free(rs->rload);
    for (size_t i = 0; i < exp->n_steps; i++) {
        free(rs->steps[i].applied_text);
        if (rs->steps[i].remote)
            rs->steps[i].rops->free(rs->steps[i].remote);
    }
    free(rs->steps);
    free(rs->windows);
    free(rs->metric_series);
    free(rs->stop_seen);
    free(rs->stop_since);
    json_decref(rs->timeline);
    store_destroy(&rs->store);
    return code;
}
