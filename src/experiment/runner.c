/* Running an experiment: load and samplers start, steady state before,
 * faults applied on schedule and verified, stop conditions watched on every
 * new sample, faults rolled back at their end (or at once on an abort),
 * rollback actions, steady state after, verdicts.
 *
 * One thread drives everything through three stages: run_init (prepare the
 * steps, start the load and the samplers), run_tick (one turn of the loop,
 * at least every 20 ms and at once when the load completes a window) and
 * run_finish (roll back, stop, evaluate). Steps (steps/step.h) and load
 * sources (loads/load_source.h) are reached through their interfaces: every
 * call but stop returns at once, so a stop condition breached while a fault
 * is still being applied is acted on within milliseconds. Faults are
 * started attached: if this process dies, their supervisors roll them
 * back. Whatever path ends the run, run_finish rolls back every fault first. */
#include "core/curl_init.h"
#include "core/internal.h"
#include "experiment/run.h"
#include "fleet/fleet.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 20
#define APPLY_TIMEOUT_US (60 * 1000000LL) /* a step not applied by then has failed */
#define LOAD_OVERRUN_US (30 * 1000000LL)  /* a load that does not end: never wait for ever */

int64_t run_now(const run_state *rs) { return fl_mono_us() - rs->t0_mono_us; }

void run_event(run_state *rs, const char *event, const char *fault, const char *detail) {
    int64_t t = run_now(rs);
    char when[40];
    fl_format_time(rs->t0_wall_us + t, when, sizeof(when));
    json_t *e = json_pack("{s:I,s:s,s:s}", "t_ms", (json_int_t)(t / 1000), "time", when, "event", event);
    if (fault)
        json_object_set_new(e, "fault", json_string(fault));
    char *trimmed = fl_xstrdup(detail ? detail : "");
    size_t len = strlen(trimmed);
    while (len && trimmed[len - 1] == '\n')
        trimmed[--len] = 0;
    json_object_set_new(e, "detail", json_string(trimmed));
    json_array_append_new(rs->timeline, e);
    if (rs->opt && rs->opt->progress) {
        char line[700];
        snprintf(line, sizeof(line), "%s%s%s%s%s", event, fault ? " " : "", fault ? fault : "",
                 trimmed && *trimmed ? ": " : "", trimmed ? trimmed : "");
        fl_run_progress p = {.phase = "event", .event = line, .elapsed_us = t};
        rs->opt->progress(rs->opt->user, &p);
    }
    free(trimmed);
}

void run_phase_bounds(const run_state *rs, phase_kind phase, int step, int64_t *start, int64_t *end) {
    size_t n = rs->exp->n_steps;
    int64_t applied[n ? n : 1], rolled_back[n ? n : 1];
    for (size_t i = 0; i < n; i++) {
        applied[i] = rs->steps[i].applied_us;
        rolled_back[i] = rs->steps[i].rolled_back_us;
    }
    phase_bounds(applied, rolled_back, n, rs->end_us, phase, step, start, end);
}

/* ---- metrics: which series a condition reads --------------------------- */
static const char *const load_metric_names[] = {"load.latency.p50",  "load.latency.p90", "load.latency.p99",
                                                "load.latency.p999", "load.latency.max", "load.errors.ratio",
                                                "load.rate",         "load.late"};

static const condition_def *condition_at(const fl_experiment *exp, size_t k) {
    return k < exp->n_hypotheses ? &exp->hypotheses[k] : &exp->stops[k - exp->n_hypotheses];
}

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
        store_set_unit(&rs->store, idx, m->unit, m->seconds_to_ms ? 1000.0 : 1.0);
        return idx;
    }
    default: return store_series(&rs->store, load_metric_names[m->kind], m->unit);
    }
}

series_view run_series_view(run_state *rs, size_t condition) {
    const condition_def *cd = condition_at(rs->exp, condition);
    size_t idx = rs->metric_series[condition];
    series d = store_describe(&rs->store, idx);
    sample *s;
    size_t n = store_copy(&rs->store, idx, 0, &s);
    return (series_view){.samples = s,
                         .n = n,
                         .scale = cd->metric.seconds_to_ms ? 1000.0 : 1.0,
                         .interval_us = d.interval_us,
                         .noun = d.noun};
}

/* ---- load windows into samples ---------------------------------------- */
static void add_window(run_state *rs, const exp_window *w) {
    if (rs->n_windows == rs->cap_windows) {
        size_t cap = rs->cap_windows ? rs->cap_windows * 2 : 64;
        rs->windows = fl_xreallocarray(rs->windows, cap, sizeof(exp_window));
        rs->cap_windows = cap;
    }
    rs->windows[rs->n_windows++] = *w;
    rs->errors_total += w->errors;
    rs->requests_total += w->requests;
    double secs = w->len_us > 0 ? (double)w->len_us / 1e6 : 1;
    /* Latency of a window that saw no request at all is absent; with
     * requests still waiting it is a lower bound (exp_window). */
    bool latency = w->latency_count > 0;
    double values[] = {w->p50,
                       w->p90,
                       w->p99,
                       w->p999,
                       w->max,
                       w->requests ? (double)w->errors / w->requests : 0,
                       (double)w->sent / secs,
                       (double)w->late};
    bool valid[] = {latency, latency, latency, latency, latency, w->requests > 0, true, true};
    sample_gap gaps[] = {GAP_NO_REQUEST, GAP_NO_REQUEST,  GAP_NO_REQUEST, GAP_NO_REQUEST,
                         GAP_NO_REQUEST, GAP_NO_FINISHED, GAP_NONE,       GAP_NONE};
    for (size_t i = 0; i < FL_ARRAY_LEN(load_metric_names); i++) {
        size_t idx = store_series(&rs->store, load_metric_names[i], UNIT_COUNT);
        if (rs->n_windows == 1 || store_describe(&rs->store, idx).interval_us == 0)
            store_set_cadence(&rs->store, idx, w->len_us, "windows");
        store_add(&rs->store, idx,
                  (sample){.t_us = w->t_us,
                           .len_us = w->len_us,
                           .value = values[i],
                           .valid = valid[i],
                           /* a waiting request, if it waits on, can still raise it */
                           .lower_bound = i < 5 && w->waiting > 0 && w->oldest_waiting >= values[i],
                           .gap = valid[i] ? GAP_NONE : (uint8_t)gaps[i]});
    }
}

static void ingest_load(run_state *rs) {
    if (!rs->load)
        return;
    exp_window buf[16];
    size_t n;
    while ((n = rs->load_ops->windows(rs->load, rs->n_windows, buf, 16)) > 0)
        for (size_t i = 0; i < n; i++)
            add_window(rs, &buf[i]);
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
            int64_t end;
            double v;
            if (!stop_feed(cd, &rs->stop_track[i], &s[k], cd->metric.seconds_to_ms ? 1000.0 : 1.0, &end, &v))
                continue;
            char val[48], dur[32];
            metric_format(&cd->metric, v, val, sizeof(val));
            snprintf(rs->abort_reason, sizeof(rs->abort_reason), "stop condition: %s (measured %s%s%s)", cd->name, val,
                     cd->for_us ? " for " : "",
                     cd->for_us ? fl_format_duration(end - rs->stop_track[i].since_us, dur, sizeof(dur)) : "");
            rs->breach_us = end;
            free(s);
            return true;
        }
        free(s);
    }
    return false;
}

/* ---- steps --------------------------------------------------------------- */
static void abort_run(run_state *rs, bool fault_failed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void abort_run(run_state *rs, bool fault_failed, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rs->abort_reason, sizeof(rs->abort_reason), fmt, ap);
    va_end(ap);
    rs->aborted = true;
    rs->failed_fault |= fault_failed;
}

static void fail_step(run_state *rs, size_t i, const char *event, const char *why) {
    step_run *sr = &rs->steps[i];
    sr->state = STEP_FAILED;
    if (why != sr->error)
        snprintf(sr->error, sizeof(sr->error), "%s", why);
    run_event(rs, event, rs->exp->steps[i].name, sr->error);
    abort_run(rs, true, "fault %s: %s", rs->exp->steps[i].name, sr->error);
}

/* Starts applying step i; its window starts now: the fault may be in
 * effect from the moment applying begins, and the before phase must hold
 * no faulted traffic. */
static void start_step(run_state *rs, size_t i) {
    const step_def *st = &rs->exp->steps[i];
    step_run *sr = &rs->steps[i];
    fl_error e;
    sr->applied_us = run_now(rs);
    if (!sr->self) {
        fail_step(rs, i, "fault_failed", sr->error);
        return;
    }
    if (sr->ops->start(sr->self, &e) != 0) {
        fail_step(rs, i, "fault_failed", e.message);
        return;
    }
    sr->state = STEP_APPLYING;
    if (sr->ops->starting)
        run_event(rs, "fault_starting", st->name, sr->ops->starting);
}

static void poll_applying(run_state *rs, size_t i, int64_t now) {
    step_run *sr = &rs->steps[i];
    step_outcome out = {0};
    int a = sr->ops->applied(sr->self, &out);
    if (a == 0 && now - sr->applied_us > APPLY_TIMEOUT_US)
        fail_step(rs, i, "fault_failed", "not applied within 60s");
    else if (a < 0)
        fail_step(rs, i, "fault_failed", out.error);
    if (a != 1)
        return;
    sr->applied_text = out.applied_text;
    sr->in_place_us = run_now(rs);
    sr->state = STEP_VERIFYING;
    run_event(rs, "fault_applied", rs->exp->steps[i].name, sr->applied_text);
}

static void poll_verifying(run_state *rs, size_t i) {
    const step_def *st = &rs->exp->steps[i];
    step_run *sr = &rs->steps[i];
    step_outcome out = {.applied_text = sr->applied_text};
    if (sr->ops->verified(sr->self, &out) == 0)
        return;
    sr->verified = out.verified;
    snprintf(sr->verification, sizeof(sr->verification), "%s", out.verification);
    if (!sr->verified) {
        fail_step(rs, i, "fault_not_verified", out.error);
        return;
    }
    sr->state = st->instant ? STEP_ENDED : STEP_ACTIVE;
    sr->verified_us = run_now(rs);
    run_event(rs, "fault_verified", st->name, sr->verification);
    if (st->instant)
        sr->rolled_back_us = sr->applied_us;
}

/* Rolls step i back if it was started and not rolled back yet. */
static bool stop_step(run_state *rs, size_t i, const char *why) {
    step_run *sr = &rs->steps[i];
    bool started = sr->state == STEP_APPLYING || sr->state == STEP_VERIFYING || sr->state == STEP_ACTIVE ||
                   (sr->state == STEP_FAILED && sr->applied_us >= 0);
    if (!started || sr->rolled_back_us >= 0 || !sr->self)
        return true;
    char detail[1500] = "";
    int rc = sr->ops->stop(sr->self, detail, sizeof(detail));
    bool ok = rc >= 0;
    sr->rolled_back_us = run_now(rs);
    if (sr->state == STEP_ACTIVE)
        sr->state = STEP_ENDED;
    else if (sr->state == STEP_APPLYING || sr->state == STEP_VERIFYING) { /* stopped before it was verified */
        snprintf(sr->error, sizeof(sr->error), "stopped while being %s: %s",
                 sr->state == STEP_APPLYING ? "applied" : "verified", why);
        sr->state = STEP_FAILED;
    }
    if (rc == 0) {
        run_event(rs, "fault_rolled_back", rs->exp->steps[i].name, why);
    } else if (rc < 0) {
        snprintf(sr->error, sizeof(sr->error), "rollback not confirmed: %s", detail);
        run_event(rs, "fault_rollback_failed", rs->exp->steps[i].name, detail);
    }
    return ok;
}

/* Is step i due to start now? */
static bool step_due(run_state *rs, size_t i, int64_t now) {
    const step_def *st = &rs->exp->steps[i];
    if (st->after < 0)
        return now >= st->planned_start_us;
    const step_run *prev = &rs->steps[st->after];
    return prev->state == STEP_ENDED && prev->rolled_back_us >= 0 && now >= prev->rolled_back_us + st->start_us;
}

/* Held, or being applied or verified (in effect on some hosts already). */
static bool in_effect(const step_run *sr) {
    return sr->state == STEP_ACTIVE || sr->state == STEP_APPLYING || sr->state == STEP_VERIFYING;
}

static bool before_steady_state_holds(run_state *rs, int64_t now) {
    const fl_experiment *exp = rs->exp;
    for (size_t i = 0; i < exp->n_hypotheses; i++) {
        const condition_def *cd = &exp->hypotheses[i];
        if (cd->phase != PHASE_BEFORE)
            continue;
        series_view sv = run_series_view(rs, i);
        evaluation ev;
        evaluate_condition(cd, &sv, 0, now, &ev);
        free((void *)sv.samples);
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

/* One step's turn in the loop; returns false while it is not over. */
static bool tick_step(run_state *rs, size_t i, int64_t now) {
    step_run *sr = &rs->steps[i];
    const step_def *st = &rs->exp->steps[i];
    switch (sr->state) {
    case STEP_PENDING:
        if (!step_due(rs, i, now))
            return false;
        if (!rs->method_started) {
            rs->method_started = true;
            if (!before_steady_state_holds(rs, now)) {
                rs->method_skipped = true;
                for (size_t k = 0; k < rs->exp->n_steps; k++)
                    rs->steps[k].state = STEP_SKIPPED;
                run_event(rs, "method_skipped", NULL, rs->abort_reason);
                return true;
            }
        }
        start_step(rs, i);
        return false;
    case STEP_APPLYING: poll_applying(rs, i, now); return false;
    case STEP_VERIFYING: poll_verifying(rs, i); return false;
    case STEP_ACTIVE: {
        char why[600] = "";
        int ended = now >= sr->applied_us + st->duration_us ? 1 : sr->ops->ended(sr->self, why, sizeof(why));
        if (ended == 2) { /* an external stop condition (an SSM alarm) ended it */
            abort_run(rs, false, "stop condition: %s", why);
            rs->breach_us = now;
        } else if (ended == 1) {
            stop_step(rs, i, now >= sr->applied_us + st->duration_us ? "its duration ended" : "it ended by itself");
        }
        return false;
    }
    default: return true;
    }
}

/* ---- progress ---------------------------------------------------------- */
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

/* ---- the three stages ------------------------------------------------ */
static void start_samplers(run_state *rs, fl_error *err) {
    const fl_experiment *exp = rs->exp;
    size_t n_conditions = exp->n_hypotheses + exp->n_stops;
    rs->samplers = fl_xcalloc(exp->n_probes + exp->n_proms + 1, sizeof(sampler *));
    for (size_t i = 0; rs->samplers && i < exp->n_probes; i++) {
        sampler *s = probe_sampler_start(&exp->probes[i], &rs->store, rs->t0_mono_us, err);
        if (s)
            rs->samplers[rs->n_samplers++] = s;
    }
    for (size_t i = 0; rs->samplers && i < exp->n_proms; i++) {
        /* the series is named by the first metric text that uses it */
        size_t idx = (size_t)-1;
        for (size_t k = 0; k < n_conditions && idx == (size_t)-1; k++) {
            const condition_def *cd = condition_at(exp, k);
            if (cd->metric.kind == METRIC_PROMETHEUS && cd->metric.prom == (int)i)
                idx = rs->metric_series[k];
        }
        sampler *s = prom_sampler_start(&exp->proms[i], exp->prom_interval_us, exp->prom_timeout_us, &rs->store, idx,
                                        rs->t0_mono_us, err);
        if (s)
            rs->samplers[rs->n_samplers++] = s;
    }
}

/* Prepares everything and starts the load and the samplers; returns -1 when
 * out of memory (nothing started). */
static int run_init(run_state *rs, fl_experiment *exp, const fl_run_options *opt, fl_error *err) {
    memset(rs, 0, sizeof(*rs));
    rs->exp = exp;
    rs->opt = opt;
    rs->timeline = json_array();
    rs->breach_us = rs->abort_done_us = -1;
    rs->last_progress_us = -1000000;
    rs->last_phase = "before";
    rs->seed = fl_fleet_new_seed();
    store_init(&rs->store);
    size_t n_conditions = exp->n_hypotheses + exp->n_stops;
    rs->steps = fl_xcalloc(exp->n_steps ? exp->n_steps : 1, sizeof(step_run));
    rs->metric_series = fl_xcalloc(n_conditions ? n_conditions : 1, sizeof(size_t));
    rs->stop_seen = fl_xcalloc(exp->n_stops ? exp->n_stops : 1, sizeof(size_t));
    rs->stop_track = fl_xcalloc(exp->n_stops ? exp->n_stops : 1, sizeof(stop_tracker));
    if (!rs->timeline)
        return fl_fail(err, FL_EAPPLY, "experiment", "out of memory");
    for (size_t i = 0; i < exp->n_stops; i++)
        rs->stop_track[i].since_us = -1;
    for (size_t i = 0; i < n_conditions; i++)
        rs->metric_series[i] = series_for(rs, &condition_at(exp, i)->metric);
    /* Steps are prepared before the clock starts (a local network fault
     * measures its dependency here, without the fault). */
    for (size_t i = 0; i < exp->n_steps; i++) {
        step_run *sr = &rs->steps[i];
        sr->applied_us = sr->in_place_us = sr->verified_us = sr->rolled_back_us = -1;
        sr->ops = step_ops_for(&exp->steps[i]);
        fl_error e;
        sr->self = sr->ops->create(&exp->steps[i], rs->seed, &e);
        if (!sr->self)
            snprintf(sr->error, sizeof(sr->error), "%s", e.message);
    }
    rs->t0_mono_us = fl_mono_us();
    rs->t0_wall_us = fl_wall_us();
    run_event(rs, "phase", NULL, "before");
    start_samplers(rs, err);
    rs->load_ops = load_source_for(&exp->load);
    if (rs->load_ops) {
        rs->load = rs->load_ops->start(&exp->load, rs->t0_mono_us, rs->t0_wall_us, rs->seed, err);
        if (!rs->load) {
            run_event(rs, "load_failed", NULL, err->message);
            abort_run(rs, true, "the load could not start: %s", err->message);
        }
    }
    return 0;
}

/* One turn of the loop; returns false when the run is over. */
static bool run_tick(run_state *rs) {
    const fl_experiment *exp = rs->exp;
    int64_t now = run_now(rs);
    if (rs->opt && rs->opt->interrupt && *rs->opt->interrupt) {
        abort_run(rs, false, "signal %s", fl_signal_name((int)*rs->opt->interrupt));
        rs->breach_us = now;
        return false;
    }
    ingest_load(rs);
    if (check_stops(rs)) {
        rs->aborted = true;
        return false;
    }
    bool all_done = true;
    for (size_t i = 0; i < exp->n_steps && !rs->aborted && !rs->method_skipped; i++)
        all_done &= tick_step(rs, i, now);
    if (rs->aborted || rs->method_skipped)
        return false;
    const char *phase = current_phase(rs);
    if (strcmp(phase, rs->last_phase) != 0) {
        run_event(rs, "phase", NULL, phase);
        rs->last_phase = phase;
    }
    bool load_done = !rs->load || rs->load_ops->finished(rs->load);
    if ((now >= exp->duration_us && all_done && load_done) || now >= exp->duration_us + LOAD_OVERRUN_US)
        return false;
    if (now - rs->last_progress_us >= 1000000) {
        report_progress(rs, phase);
        rs->last_progress_us = now;
    }
    if (rs->load)
        rs->load_ops->wait(rs->load, TICK_MS);
    else
        usleep(TICK_MS * 1000);
    return true;
}

/* A fault that fell short of what was asked (degraded) makes the run an
 * error, whatever the hypotheses say: they were not tested against it. */
static void check_degraded(run_state *rs) {
    for (size_t i = 0; i < rs->exp->n_steps; i++) {
        step_run *sr = &rs->steps[i];
        char why[300];
        if (!sr->self || !sr->ops->degraded || sr->ops->degraded(sr->self, why, sizeof(why)) != 1)
            continue;
        run_event(rs, "fault_degraded", rs->exp->steps[i].name, why);
        if (!sr->error[0])
            snprintf(sr->error, sizeof(sr->error), "degraded: %s", why);
        if (!rs->failed_fault)
            snprintf(rs->abort_reason, sizeof(rs->abort_reason), "fault %s was degraded: %s", rs->exp->steps[i].name,
                     why);
        rs->failed_fault = true;
    }
}

/* The verdict before the hypotheses are read (result_json lowers a pass). */
static void settle(run_state *rs, bool rollback_ok) {
    for (size_t i = 0; i < rs->exp->n_steps; i++)
        if (rs->steps[i].state == STEP_PENDING) {
            /* The run ended or was aborted before the step's turn came. */
            rs->steps[i].state = STEP_SKIPPED;
            if (!rs->aborted && !rs->method_skipped) {
                snprintf(rs->steps[i].error, sizeof(rs->steps[i].error),
                         "never started: the run ended first (after: a step that did not end in time)");
                rs->failed_fault = true;
            }
        }
    if (rs->failed_fault || !rollback_ok) {
        rs->exit_code = FL_EAPPLY;
        rs->verdict = "error";
        if (!rs->abort_reason[0])
            snprintf(rs->abort_reason, sizeof(rs->abort_reason), "%s",
                     rollback_ok ? "a fault could not be applied or verified" : "a fault could not be rolled back");
    } else if (rs->aborted) {
        rs->exit_code = FL_EABORTED;
        rs->verdict = "aborted";
    } else if (rs->method_skipped) {
        rs->exit_code = FL_EHYPOTHESIS;
        rs->verdict = "fail";
    } else {
        rs->exit_code = FL_OK;
        rs->verdict = "pass";
    }
}

/* Rolls back, stops, evaluates; returns the result document. */
static char *run_finish(run_state *rs) {
    bool rollback_ok = true; /* roll back first, whatever happened; everything else can wait */
    for (size_t i = 0; i < rs->exp->n_steps; i++)
        rollback_ok &= stop_step(rs, i, rs->aborted ? rs->abort_reason : "the run ended");
    if (rs->aborted && rs->breach_us >= 0) {
        rs->abort_done_us = run_now(rs);
        char detail[600];
        snprintf(detail, sizeof(detail), "%s; every fault rolled back %.0f ms after it", rs->abort_reason,
                 (double)(rs->abort_done_us - rs->breach_us) / 1000);
        run_event(rs, strncmp(rs->abort_reason, "signal", 6) == 0 ? "signal" : "stop_condition", NULL, detail);
    }
    if (rs->load)
        rs->load_ops->stop(rs->load);
    run_rollback_actions(rs);
    for (size_t i = 0; i < rs->n_samplers; i++)
        sampler_stop(rs->samplers[i]);
    ingest_load(rs);
    rs->end_us = run_now(rs);
    if (rs->load)
        rs->load_result = rs->load_ops->result(rs->load, rs->t0_mono_us);
    check_degraded(rs);
    settle(rs, rollback_ok);
    char *result = result_json(rs);
    fl_run_progress done = {.phase = "done", .elapsed_us = rs->end_us};
    if (rs->opt && rs->opt->progress)
        rs->opt->progress(rs->opt->user, &done);
    return result;
}

static void run_free(run_state *rs) {
    if (rs->load)
        rs->load_ops->free(rs->load);
    json_decref(rs->load_result);
    for (size_t i = 0; rs->steps && i < rs->exp->n_steps; i++) {
        free(rs->steps[i].applied_text);
        if (rs->steps[i].self)
            rs->steps[i].ops->free(rs->steps[i].self);
    }
    free(rs->samplers);
    free(rs->steps);
    free(rs->windows);
    free(rs->metric_series);
    free(rs->stop_seen);
    free(rs->stop_track);
    json_decref(rs->timeline);
    store_destroy(&rs->store);
}

int fl_experiment_run(fl_experiment *exp, const fl_run_options *opt, char **result_out, int *exit_code, fl_error *err) {
    fl_error_clear(err);
    *result_out = NULL;
    *exit_code = FL_EAPPLY;
    if (fl_experiment_check_host(exp, err) != 0)
        return -1;
    fl_curl_init(); /* once per process, shared with the SSM client; never cleaned up */
    run_state rs;
    int rc = -1;
    if (run_init(&rs, exp, opt, err) == 0) {
        while (!rs.aborted && run_tick(&rs))
            ;
        *result_out = run_finish(&rs);
        *exit_code = rs.exit_code;
        rc = *result_out ? 0 : fl_fail(err, FL_EAPPLY, "result", "cannot encode the result document");
    }
    run_free(&rs);
    return rc;
}
