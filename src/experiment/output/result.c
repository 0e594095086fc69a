/* The result document of a run (docs/result-format.md, schema version 1):
 * hypotheses are evaluated here, over the phases as they really happened,
 * and the final verdict and exit code are settled. */
#include "core/internal.h"
#include "experiment/run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *ms_or_null(int64_t us) { return us >= 0 ? json_integer((json_int_t)(us / 1000)) : json_null(); }
static json_t *num(double v) { return json_real(round(v * 1000.0) / 1000.0); }

static json_t *lines_array(const char *text) {
    json_t *a = json_array();
    for (const char *p = text ? text : ""; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = fl_xstrndup(p, len);
        json_array_append_new(a, json_string(line));
        free(line);
        p += len + (nl ? 1 : 0);
    }
    return a;
}

static json_t *params_json(const step_def *st) {
    json_t *params = json_object();
    for (size_t k = 0; k < st->n_params; k++) {
        const char *name = st->param_names[k];
        json_t *have = json_object_get(params, name);
        if (!have) {
            json_object_set_new(params, name, json_string(st->param_values[k]));
        } else if (json_is_array(have)) {
            json_array_append_new(have, json_string(st->param_values[k]));
        } else {
            json_t *arr = json_array();
            json_array_append(arr, have);
            json_array_append_new(arr, json_string(st->param_values[k]));
            json_object_set_new(params, name, arr);
        }
    }
    return params;
}

static json_t *faults_json(run_state *rs) {
    static const char *const states[] = {"pending", "applying", "verifying", "active", "ended", "failed", "skipped"};
    json_t *faults = json_array();
    for (size_t i = 0; i < rs->exp->n_steps; i++) {
        const step_def *st = &rs->exp->steps[i];
        const step_run *sr = &rs->steps[i];
        json_t *f = json_object();
        json_object_set_new(f, "name", json_string(st->name));
        json_object_set_new(f, "id", json_null());
        json_object_set_new(f, "attack", json_string(st->attack));
        json_object_set_new(f, "params", params_json(st));
        json_object_set_new(f, "planned_start_ms", json_integer((json_int_t)(st->planned_start_us / 1000)));
        json_object_set_new(f, "planned_end_ms", json_integer((json_int_t)(st->planned_end_us / 1000)));
        json_object_set_new(f, "applied_ms", ms_or_null(sr->applied_us));
        json_object_set_new(f, "in_place_ms", ms_or_null(sr->in_place_us));
        json_object_set_new(f, "verified_ms", ms_or_null(sr->verified_us));
        json_object_set_new(f, "rolled_back_ms", ms_or_null(sr->rolled_back_us));
        json_object_set_new(f, "verified", json_boolean(sr->verified && sr->verified_us >= 0));
        json_object_set_new(f, "verification", json_string(sr->verification));
        json_object_set_new(f, "applied", lines_array(sr->applied_text));
        json_object_set_new(f, "error", sr->error[0] ? json_string(sr->error) : json_null());
        json_object_set_new(f, "state", json_string(states[sr->state]));
        /* Where it ran (this host, or every host of the selection), its id. */
        if (sr->self)
            sr->ops->describe(sr->self, f, rs->t0_mono_us);
        json_array_append_new(faults, f);
    }
    return faults;
}

static json_t *phases_json(run_state *rs) {
    json_t *phases = json_array();
    static const char *const names[] = {"before", "during", "after"};
    for (int p = PHASE_BEFORE; p <= PHASE_AFTER; p++) {
        int64_t start, end;
        run_phase_bounds(rs, (phase_kind)p, -1, &start, &end);
        if (end <= start)
            continue;
        json_array_append_new(phases, json_pack("{s:s,s:I,s:I}", "name", names[p], "start_ms",
                                                (json_int_t)(start / 1000), "end_ms", (json_int_t)(end / 1000)));
    }
    return phases;
}

static json_t *series_json(run_state *rs) {
    json_t *windows = json_array();
    for (size_t i = 0; i < rs->n_windows; i++) {
        const exp_window *w = &rs->windows[i];
        double secs = w->len_us > 0 ? (double)w->len_us / 1e6 : 1;
        json_t *lat = w->latency_count ? json_pack("{s:o,s:o,s:o,s:o,s:o}", "p50", num(w->p50), "p90", num(w->p90),
                                                   "p99", num(w->p99), "p999", num(w->p999), "max", num(w->max))
                                       : json_null();
        json_array_append_new(windows,
                              json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "t_ms",
                                        (json_int_t)(w->t_us / 1000), "length_ms", (json_int_t)(w->len_us / 1000),
                                        "requests", (json_int_t)w->requests, "errors", (json_int_t)w->errors, "late",
                                        (json_int_t)w->late, "sent", (json_int_t)w->sent, "waiting",
                                        (json_int_t)w->waiting, "rate", num((double)w->sent / secs), "latency_ms", lat,
                                        "oldest_waiting_ms", num(w->oldest_waiting)));
    }
    json_t *metrics = json_array();
    pthread_mutex_lock(&rs->store.lock);
    for (size_t i = 0; i < rs->store.n; i++) {
        const series *se = &rs->store.all[i];
        if (strncmp(se->name, "load.", 5) == 0 || se->n == 0)
            continue;
        json_t *points = json_array();
        double to_unit = se->to_unit > 0 ? se->to_unit : 1.0;
        for (size_t k = 0; k < se->n; k++) {
            const sample *sm = &se->samples[k];
            json_t *pt =
                json_pack("{s:I,s:I,s:o}", "t_ms", (json_int_t)(sm->t_us / 1000), "length_ms",
                          (json_int_t)(sm->len_us / 1000), "value", sm->valid ? num(sm->value * to_unit) : json_null());
            if (!sm->valid) /* why there is no value */
                json_object_set_new(pt, "gap", json_string(sample_gap_key((sample_gap)sm->gap)));
            json_array_append_new(points, pt);
        }
        json_t *m = json_pack("{s:s,s:s,s:o}", "name", se->name, "unit", metric_unit_name(se->unit), "points", points);
        if (se->interval_us > 0)
            json_object_set_new(m, "interval_ms", json_integer((json_int_t)(se->interval_us / 1000)));
        json_array_append_new(metrics, m);
    }
    pthread_mutex_unlock(&rs->store.lock);
    return json_pack("{s:i,s:o,s:o}", "window_ms", 1000, "windows", windows, "metrics", metrics);
}

static const char *phase_name(const fl_experiment *exp, const condition_def *cd) {
    static const char *const names[] = {"before", "during", "after", "", "all"};
    return cd->phase == PHASE_STEP ? exp->steps[cd->step].name : names[cd->phase];
}

static json_t *coverage_json(const evaluation *ev, const condition_def *cd, const char *noun) {
    json_t *missing = json_object();
    for (int g = 0; g < GAP_COUNT; g++)
        if (ev->gaps[g])
            json_object_set_new(missing, sample_gap_key((sample_gap)g), json_integer((json_int_t)ev->gaps[g]));
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:s}", "unit", noun ? noun : "samples", "expected",
                     (json_int_t)ev->expected, "evaluated", (json_int_t)ev->evaluated, "failed", (json_int_t)ev->failed,
                     "missing", (json_int_t)(ev->expected - ev->evaluated), "ratio", num(ev->coverage), "min",
                     num(cd->min_coverage), "missing_by", missing, "text", ev->coverage_text);
}

static json_t *hypothesis_json(run_state *rs, size_t i, evaluation *ev) {
    const fl_experiment *exp = rs->exp;
    const condition_def *cd = &exp->hypotheses[i];
    int64_t start, end;
    run_phase_bounds(rs, cd->phase, cd->step, &start, &end);
    series_view sv = run_series_view(rs, i);
    evaluate_condition(cd, &sv, start, end, ev);
    free((void *)sv.samples);
    static const char *const bounds[] = {"below", "above"};
    char measured[48] = "";
    if (ev->evaluated)
        metric_format(&cd->metric, ev->worst, measured, sizeof(measured));
    char reason[400] = "";
    if (ev->verdict == VERDICT_NO_DATA)
        snprintf(reason, sizeof(reason), "%s; at least %.0f%% needed", ev->coverage_text, cd->min_coverage * 100);
    json_t *h = json_object();
    json_object_set_new(h, "name", json_string(cd->name));
    json_object_set_new(h, "metric", json_string(cd->metric.text));
    json_object_set_new(h, "phase", json_string(phase_name(exp, cd)));
    json_object_set_new(h, "bound", json_string(bounds[cd->bound]));
    json_object_set_new(h, "threshold", num(cd->threshold));
    json_object_set_new(h, "unit", json_string(metric_unit_name(cd->metric.unit)));
    json_object_set_new(h, "threshold_text", json_string(cd->threshold_text));
    json_object_set_new(h, "measured", ev->evaluated ? num(ev->worst) : json_null());
    json_object_set_new(h, "measured_text", ev->evaluated ? json_string(measured) : json_null());
    json_object_set_new(h, "measured_is_lower_bound", json_boolean(ev->evaluated && ev->worst_lower_bound));
    json_object_set_new(h, "verdict", json_string(verdict_name(ev->verdict)));
    json_object_set_new(h, "reason", reason[0] ? json_string(reason) : json_null());
    json_object_set_new(h, "coverage", coverage_json(ev, cd, sv.noun));
    json_object_set_new(h, "windows_evaluated", json_integer((json_int_t)ev->evaluated));
    json_object_set_new(h, "windows_failed", json_integer((json_int_t)ev->failed));
    json_object_set_new(h, "windows_missing", json_integer((json_int_t)(ev->expected - ev->evaluated)));
    json_object_set_new(h, "worst_t_ms",
                        ev->worst_t_us >= 0 ? json_integer((json_int_t)(ev->worst_t_us / 1000)) : json_null());
    json_object_set_new(h, "phase_start_ms", json_integer((json_int_t)(start / 1000)));
    json_object_set_new(h, "phase_end_ms", json_integer((json_int_t)(end / 1000)));
    return h;
}

static json_t *hypotheses_json(run_state *rs, bool *all_pass, char *first_failed, size_t len) {
    json_t *out = json_array();
    *all_pass = true;
    for (size_t i = 0; i < rs->exp->n_hypotheses; i++) {
        evaluation ev;
        json_array_append_new(out, hypothesis_json(rs, i, &ev));
        if (ev.verdict != VERDICT_PASS) {
            if (*all_pass)
                snprintf(first_failed, len, "%s%s", rs->exp->hypotheses[i].name,
                         ev.verdict == VERDICT_NO_DATA ? " (no data)" : "");
            *all_pass = false;
        }
    }
    return out;
}

static json_t *stops_json(const fl_experiment *exp) {
    json_t *out = json_array();
    static const char *const bounds[] = {"below", "above"};
    for (size_t i = 0; i < exp->n_stops; i++) {
        const condition_def *cd = &exp->stops[i];
        json_array_append_new(out,
                              json_pack("{s:s,s:s,s:s,s:o,s:s,s:I}", "name", cd->name, "metric", cd->metric.text,
                                        "bound", bounds[cd->bound], "threshold", num(cd->threshold), "threshold_text",
                                        cd->threshold_text, "for_ms", (json_int_t)(cd->for_us / 1000)));
    }
    return out;
}

char *result_json(run_state *rs) {
    const fl_experiment *exp = rs->exp;
    bool all_pass;
    char first_failed[256] = "";
    json_t *hyps = hypotheses_json(rs, &all_pass, first_failed, sizeof(first_failed));
    if (rs->exit_code == FL_OK && !all_pass) {
        rs->exit_code = FL_EHYPOTHESIS;
        rs->verdict = "fail";
    }
    /* Never a pass on a fault that was not verified. */
    for (size_t i = 0; i < exp->n_steps && rs->exit_code == FL_OK; i++)
        if (!rs->steps[i].verified) {
            rs->exit_code = FL_EAPPLY;
            rs->verdict = "error";
        }
    char end_detail[400];
    snprintf(end_detail, sizeof(end_detail), "%s%s%s", rs->verdict,
             first_failed[0] && rs->exit_code == FL_EHYPOTHESIS ? ": " : "",
             first_failed[0] && rs->exit_code == FL_EHYPOTHESIS ? first_failed : "");
    run_event(rs, "end", NULL, end_detail);

    char started[40], ended[40];
    fl_format_time(rs->t0_wall_us, started, sizeof(started));
    fl_format_time(rs->t0_wall_us + rs->end_us, ended, sizeof(ended));
    json_t *doc = json_object();
    json_object_set_new(doc, "schema_version", json_integer(1));
    json_object_set_new(doc, "faultline_version", json_string(FL_VERSION));
    json_object_set_new(doc, "experiment",
                        json_pack("{s:s,s:s,s:s,s:I}", "title", exp->title, "description",
                                  exp->description ? exp->description : "", "file", exp->file, "duration_ms",
                                  (json_int_t)(exp->duration_us / 1000)));
    json_object_set_new(doc, "verdict", json_string(rs->verdict));
    json_object_set_new(doc, "exit_code", json_integer(rs->exit_code));
    json_object_set_new(doc, "abort_reason", rs->abort_reason[0] ? json_string(rs->abort_reason) : json_null());
    json_object_set_new(doc, "failed_hypothesis",
                        rs->exit_code == FL_EHYPOTHESIS && first_failed[0] ? json_string(first_failed) : json_null());
    json_object_set_new(doc, "started", json_string(started));
    json_object_set_new(doc, "ended", json_string(ended));
    json_object_set_new(doc, "duration_ms", json_integer((json_int_t)(rs->end_us / 1000)));
    json_object_set_new(doc, "reaction_ms",
                        rs->breach_us >= 0 && rs->abort_done_us >= 0
                            ? num((double)(rs->abort_done_us - rs->breach_us) / 1000.0)
                            : json_null());
    json_object_set_new(doc, "phases", phases_json(rs));
    json_object_set_new(doc, "faults", faults_json(rs));
    json_object_set_new(doc, "timeline", json_deep_copy(rs->timeline));
    json_object_set_new(doc, "series", series_json(rs));
    json_object_set_new(doc, "hypotheses", hyps);
    json_object_set_new(doc, "stop_conditions", stops_json(exp));
    json_t *load = rs->load_result ? json_incref(rs->load_result) : json_null();
    json_object_set_new(doc, "load", load);
    json_object_set_new(doc, "seed", json_integer((json_int_t)rs->seed));
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return text;
}
