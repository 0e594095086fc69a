/* Reads a result document (docs/result-format.md, schema version 1) into an
 * rp_result. Only schema_version and verdict are required: a run that was
 * aborted early or failed to apply its fault still deserves a report, so
 * every other member may be missing or null. A member that is present with
 * the wrong type is an error that names it ("faults[0].applied_ms"), because
 * a report drawn from a misread document would be worse than none. */
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RP_SCHEMA_VERSION 1

/* "faults[2]" + "applied_ms" -> "faults[2].applied_ms" */
static const char *member_path(char *buf, size_t len, const char *where, const char *key) {
    if (!where || !*where)
        snprintf(buf, len, "%s", key);
    else if (key[0] == '[')
        snprintf(buf, len, "%s%s", where, key);
    else
        snprintf(buf, len, "%s.%s", where, key);
    return buf;
}

static int bad_member(fl_error *err, const char *where, const char *key, const char *expected) {
    char path[160];
    member_path(path, sizeof(path), where, key);
    return fl_fail(err, FL_EINVAL, path, "result document: member '%s' should be %s", path, expected);
}

/* Absent and null are the same thing for optional members. */
static json_t *member(json_t *object, const char *key) {
    json_t *value = json_object_get(object, key);
    return json_is_null(value) ? NULL : value;
}

static int opt_string(json_t *object, const char *where, const char *key, const char **out, fl_error *err) {
    json_t *value = member(object, key);
    if (!value)
        return 0;
    if (!json_is_string(value))
        return bad_member(err, where, key, "a string");
    *out = json_string_value(value);
    return 0;
}

static int opt_number(json_t *object, const char *where, const char *key, double *out, fl_error *err) {
    *out = NAN;
    json_t *value = member(object, key);
    if (!value)
        return 0;
    if (!json_is_number(value))
        return bad_member(err, where, key, "a number");
    *out = json_number_value(value);
    return 0;
}

static int opt_bool(json_t *object, const char *where, const char *key, bool *out, fl_error *err) {
    json_t *value = member(object, key);
    if (!value)
        return 0;
    if (!json_is_boolean(value))
        return bad_member(err, where, key, "true or false");
    *out = json_is_true(value);
    return 0;
}

/* An optional array member; *items is NULL and *n 0 when absent. */
static int opt_array(json_t *object, const char *where, const char *key, json_t **array, size_t *n, fl_error *err) {
    *array = member(object, key);
    *n = 0;
    if (!*array)
        return 0;
    if (!json_is_array(*array))
        return bad_member(err, where, key, "an array");
    *n = json_array_size(*array);
    return 0;
}

/* The i-th element of an array, which must be an object. */
static json_t *element(json_t *array, size_t i, const char *where, const char *key, char *path, size_t len,
                       fl_error *err) {
    char index[32];
    snprintf(index, sizeof(index), "[%zu]", i);
    char parent[160];
    member_path(parent, sizeof(parent), where, key);
    member_path(path, len, parent, index);
    json_t *item = json_array_get(array, i);
    if (!json_is_object(item)) {
        bad_member(err, parent, index, "an object");
        return NULL;
    }
    return item;
}

static int parse_phases(rp_result *r, fl_error *err) {
    json_t *array;
    size_t n;
    if (opt_array(r->root, "", "phases", &array, &n, err) < 0)
        return -1;
    r->phases = fl_xcalloc(n ? n : 1, sizeof(*r->phases));
    for (size_t i = 0; i < n; i++) {
        char at[160];
        json_t *o = element(array, i, "", "phases", at, sizeof(at), err);
        rp_phase *p = &r->phases[i];
        p->name = "";
        if (!o || opt_string(o, at, "name", &p->name, err) < 0 ||
            opt_number(o, at, "start_ms", &p->start_ms, err) < 0 || opt_number(o, at, "end_ms", &p->end_ms, err) < 0)
            return -1;
        r->n_phases++;
    }
    return 0;
}

static int parse_fault(json_t *o, const char *at, rp_fault *f, fl_error *err) {
    f->name = f->attack = f->id = "";
    if (opt_string(o, at, "name", &f->name, err) < 0 || opt_string(o, at, "id", &f->id, err) < 0 ||
        opt_string(o, at, "attack", &f->attack, err) < 0 ||
        opt_number(o, at, "planned_start_ms", &f->planned_start_ms, err) < 0 ||
        opt_number(o, at, "planned_end_ms", &f->planned_end_ms, err) < 0 ||
        opt_number(o, at, "applied_ms", &f->applied_ms, err) < 0 ||
        opt_number(o, at, "verified_ms", &f->verified_ms, err) < 0 ||
        opt_number(o, at, "rolled_back_ms", &f->rolled_back_ms, err) < 0 ||
        opt_bool(o, at, "verified", &f->verified, err) < 0 ||
        opt_string(o, at, "verification", &f->verification, err) < 0 ||
        opt_string(o, at, "error", &f->error, err) < 0 || opt_bool(o, at, "degraded", &f->degraded, err) < 0)
        return -1;
    if (!*f->name)
        f->name = *f->attack ? f->attack : "fault";
    f->params = member(o, "params");
    if (f->params && !json_is_object(f->params))
        return bad_member(err, at, "params", "an object");
    f->targets = member(o, "targets");
    if (f->targets && !json_is_object(f->targets))
        return bad_member(err, at, "targets", "an object");
    f->hosts = member(o, "hosts");
    if (f->hosts && !json_is_array(f->hosts))
        return bad_member(err, at, "hosts", "an array");
    f->engine = member(o, "engine");
    if (f->engine && !json_is_object(f->engine))
        return bad_member(err, at, "engine", "an object");
    json_t *ops;
    size_t n;
    if (opt_array(o, at, "applied", &ops, &n, err) < 0)
        return -1;
    f->applied = fl_xcalloc(n ? n : 1, sizeof(*f->applied));
    for (size_t i = 0; i < n; i++) {
        json_t *op = json_array_get(ops, i);
        if (!json_is_string(op)) {
            char path[160];
            return bad_member(err, member_path(path, sizeof(path), at, "applied"), "[]", "an array of strings");
        }
        f->applied[f->n_applied++] = json_string_value(op);
    }
    return 0;
}

static int parse_faults(rp_result *r, fl_error *err) {
    json_t *array;
    size_t n;
    if (opt_array(r->root, "", "faults", &array, &n, err) < 0)
        return -1;
    r->faults = fl_xcalloc(n ? n : 1, sizeof(*r->faults));
    for (size_t i = 0; i < n; i++) {
        char at[160];
        json_t *o = element(array, i, "", "faults", at, sizeof(at), err);
        if (!o)
            return -1;
        r->n_faults++; /* counted first so that rp_result_free frees its list */
        if (parse_fault(o, at, &r->faults[i], err) < 0)
            return -1;
    }
    return 0;
}

static int parse_timeline(rp_result *r, fl_error *err) {
    json_t *array;
    size_t n;
    if (opt_array(r->root, "", "timeline", &array, &n, err) < 0)
        return -1;
    r->events = fl_xcalloc(n ? n : 1, sizeof(*r->events));
    for (size_t i = 0; i < n; i++) {
        char at[160];
        json_t *o = element(array, i, "", "timeline", at, sizeof(at), err);
        rp_event *e = &r->events[i];
        e->event = "";
        if (!o || opt_number(o, at, "t_ms", &e->t_ms, err) < 0 || opt_string(o, at, "time", &e->time, err) < 0 ||
            opt_string(o, at, "event", &e->event, err) < 0 || opt_string(o, at, "fault", &e->fault, err) < 0 ||
            opt_string(o, at, "detail", &e->detail, err) < 0)
            return -1;
        r->n_events++;
    }
    return 0;
}

static int parse_windows(rp_result *r, json_t *series, fl_error *err) {
    json_t *array;
    size_t n;
    if (opt_array(series, "series", "windows", &array, &n, err) < 0)
        return -1;
    r->windows = fl_xcalloc(n ? n : 1, sizeof(*r->windows));
    for (size_t i = 0; i < n; i++) {
        char at[160];
        json_t *o = element(array, i, "series", "windows", at, sizeof(at), err);
        rp_window *w = &r->windows[i];
        if (!o || opt_number(o, at, "t_ms", &w->t_ms, err) < 0 ||
            opt_number(o, at, "requests", &w->requests, err) < 0 || opt_number(o, at, "errors", &w->errors, err) < 0 ||
            opt_number(o, at, "late", &w->late, err) < 0 || opt_number(o, at, "rate", &w->rate, err) < 0 ||
            opt_number(o, at, "length_ms", &w->length_ms, err) < 0)
            return -1;
        if (isnan(w->length_ms) || w->length_ms <= 0)
            w->length_ms = r->window_ms;
        w->p50 = w->p90 = w->p99 = w->max = NAN;
        json_t *latency = member(o, "latency_ms");
        if (latency) {
            char lat_at[160];
            member_path(lat_at, sizeof(lat_at), at, "latency_ms");
            if (!json_is_object(latency))
                return bad_member(err, at, "latency_ms", "an object");
            if (opt_number(latency, lat_at, "p50", &w->p50, err) < 0 ||
                opt_number(latency, lat_at, "p90", &w->p90, err) < 0 ||
                opt_number(latency, lat_at, "p99", &w->p99, err) < 0 ||
                opt_number(latency, lat_at, "max", &w->max, err) < 0)
                return -1;
        }
        /* A window without its offset is the i-th window of the run. */
        if (isnan(w->t_ms))
            w->t_ms = (double)i * r->window_ms;
        if (isnan(w->rate) && !isnan(w->requests))
            w->rate = w->requests * 1000.0 / w->length_ms;
        r->n_windows++;
    }
    return 0;
}

static int parse_metrics(rp_result *r, json_t *series, fl_error *err) {
    json_t *array;
    size_t n;
    if (opt_array(series, "series", "metrics", &array, &n, err) < 0)
        return -1;
    r->metrics = fl_xcalloc(n ? n : 1, sizeof(*r->metrics));
    for (size_t i = 0; i < n; i++) {
        char at[160];
        json_t *o = element(array, i, "series", "metrics", at, sizeof(at), err);
        if (!o)
            return -1;
        rp_metric *m = &r->metrics[r->n_metrics++];
        m->name = "metric";
        m->unit = "";
        json_t *points;
        size_t n_points;
        if (opt_string(o, at, "name", &m->name, err) < 0 || opt_string(o, at, "unit", &m->unit, err) < 0 ||
            opt_array(o, at, "points", &points, &n_points, err) < 0)
            return -1;
        m->points = fl_xcalloc(n_points ? n_points : 1, sizeof(*m->points));
        for (size_t j = 0; j < n_points; j++) {
            char point_at[160];
            json_t *p = element(points, j, at, "points", point_at, sizeof(point_at), err);
            rp_point *pt = &m->points[j];
            if (!p || opt_number(p, point_at, "t_ms", &pt->t_ms, err) < 0 ||
                opt_number(p, point_at, "length_ms", &pt->length_ms, err) < 0 ||
                opt_number(p, point_at, "value", &pt->value, err) < 0 ||
                opt_string(p, point_at, "gap", &pt->gap, err) < 0)
                return -1;
            m->n_points++;
        }
    }
    return 0;
}

static int parse_series(rp_result *r, fl_error *err) {
    json_t *series = member(r->root, "series");
    r->window_ms = 1000;
    if (!series)
        return parse_windows(r, NULL, err) < 0 ? -1 : parse_metrics(r, NULL, err);
    if (!json_is_object(series))
        return bad_member(err, "", "series", "an object");
    double window_ms;
    if (opt_number(series, "series", "window_ms", &window_ms, err) < 0)
        return -1;
    if (!isnan(window_ms)) {
        if (window_ms <= 0)
            return bad_member(err, "series", "window_ms", "a positive number");
        r->window_ms = window_ms;
    }
    return parse_windows(r, series, err) < 0 ? -1 : parse_metrics(r, series, err);
}

static int parse_hypotheses(rp_result *r, fl_error *err) {
    json_t *array;
    size_t n;
    if (opt_array(r->root, "", "hypotheses", &array, &n, err) < 0)
        return -1;
    r->hypotheses = fl_xcalloc(n ? n : 1, sizeof(*r->hypotheses));
    for (size_t i = 0; i < n; i++) {
        char at[160];
        json_t *o = element(array, i, "", "hypotheses", at, sizeof(at), err);
        rp_hypothesis *h = &r->hypotheses[i];
        h->name = h->metric = h->phase = h->bound = h->unit = "";
        const char *verdict = "no-data";
        if (!o || opt_string(o, at, "name", &h->name, err) < 0 || opt_string(o, at, "metric", &h->metric, err) < 0 ||
            opt_string(o, at, "phase", &h->phase, err) < 0 || opt_string(o, at, "bound", &h->bound, err) < 0 ||
            opt_string(o, at, "unit", &h->unit, err) < 0 ||
            opt_string(o, at, "threshold_text", &h->threshold_text, err) < 0 ||
            opt_string(o, at, "measured_text", &h->measured_text, err) < 0 ||
            opt_number(o, at, "threshold", &h->threshold, err) < 0 ||
            opt_number(o, at, "measured", &h->measured, err) < 0 ||
            opt_number(o, at, "windows_evaluated", &h->windows_evaluated, err) < 0 ||
            opt_number(o, at, "windows_failed", &h->windows_failed, err) < 0 ||
            opt_number(o, at, "worst_t_ms", &h->worst_t_ms, err) < 0 ||
            opt_number(o, at, "phase_start_ms", &h->phase_start_ms, err) < 0 ||
            opt_number(o, at, "phase_end_ms", &h->phase_end_ms, err) < 0 ||
            opt_string(o, at, "verdict", &verdict, err) < 0 || opt_string(o, at, "reason", &h->reason, err) < 0 ||
            opt_bool(o, at, "measured_is_lower_bound", &h->lower_bound, err) < 0)
            return -1;
        json_t *coverage = json_object_get(o, "coverage");
        if (json_is_object(coverage) && opt_string(coverage, at, "text", &h->coverage_text, err) < 0)
            return -1;
        if (strcmp(verdict, "pass") == 0)
            h->verdict = RP_HYP_PASS;
        else if (strcmp(verdict, "fail") == 0)
            h->verdict = RP_HYP_FAIL;
        else if (strcmp(verdict, "no-data") == 0)
            h->verdict = RP_HYP_NO_DATA;
        else
            return bad_member(err, at, "verdict", "\"pass\", \"fail\" or \"no-data\"");
        if (!*h->name)
            h->name = *h->metric ? h->metric : "hypothesis";
        r->n_hypotheses++;
    }
    return 0;
}

static int parse_top(rp_result *r, fl_error *err) {
    json_t *root = r->root;
    json_t *version = json_object_get(root, "schema_version");
    if (!json_is_integer(version))
        return fl_fail(err, FL_EINVAL, "schema_version",
                       "result document: member 'schema_version' is missing or not an integer "
                       "(is this a faultline result.json?)");
    if (json_integer_value(version) != RP_SCHEMA_VERSION)
        return fl_fail(err, FL_EINVAL, "schema_version",
                       "result document: member 'schema_version' is %lld; this faultline reads version %d",
                       (long long)json_integer_value(version), RP_SCHEMA_VERSION);
    const char *verdict = NULL;
    if (opt_string(root, "", "verdict", &verdict, err) < 0)
        return -1;
    if (!verdict)
        return fl_fail(err, FL_EINVAL, "verdict", "result document: member 'verdict' is missing");
    static const char *const names[] = {"pass", "fail", "aborted", "error"};
    bool known = false;
    for (size_t i = 0; i < FL_ARRAY_LEN(names); i++)
        if (strcmp(verdict, names[i]) == 0) {
            r->verdict = (rp_verdict)i;
            known = true;
        }
    if (!known)
        return bad_member(err, "", "verdict", "\"pass\", \"fail\", \"aborted\" or \"error\"");

    r->title = "Untitled experiment";
    r->description = r->file = r->abort_reason = r->started = r->ended = NULL;
    r->faultline_version = NULL;
    json_t *experiment = member(root, "experiment");
    if (experiment && !json_is_object(experiment))
        return bad_member(err, "", "experiment", "an object");
    if (experiment && (opt_string(experiment, "experiment", "title", &r->title, err) < 0 ||
                       opt_string(experiment, "experiment", "description", &r->description, err) < 0 ||
                       opt_string(experiment, "experiment", "file", &r->file, err) < 0))
        return -1;
    if (opt_string(root, "", "faultline_version", &r->faultline_version, err) < 0 ||
        opt_number(root, "", "exit_code", &r->exit_code, err) < 0 ||
        opt_string(root, "", "abort_reason", &r->abort_reason, err) < 0 ||
        opt_string(root, "", "started", &r->started, err) < 0 || opt_string(root, "", "ended", &r->ended, err) < 0 ||
        opt_number(root, "", "duration_ms", &r->duration_ms, err) < 0)
        return -1;
    r->stop_conditions = member(root, "stop_conditions");
    if (r->stop_conditions && !json_is_array(r->stop_conditions))
        return bad_member(err, "", "stop_conditions", "an array");
    if (opt_number(root, "", "reaction_ms", &r->reaction_ms, err) < 0)
        return -1;
    r->load = member(root, "load");
    if (r->load && !json_is_object(r->load))
        return bad_member(err, "", "load", "an object or null");
    return 0;
}

int rp_result_parse(const char *json_text, rp_result *out, fl_error *err) {
    *out = (rp_result){0};
    json_error_t jerr;
    out->root = json_loads(json_text ? json_text : "", JSON_REJECT_DUPLICATES, &jerr);
    if (!out->root)
        return fl_fail(err, FL_EINVAL, "", "result document is not valid JSON: line %d, column %d: %s", jerr.line,
                       jerr.column, jerr.text);
    if (!json_is_object(out->root)) {
        rp_result_free(out);
        return fl_fail(err, FL_EINVAL, "", "result document should be a JSON object");
    }
    if (parse_top(out, err) < 0 || parse_phases(out, err) < 0 || parse_faults(out, err) < 0 ||
        parse_timeline(out, err) < 0 || parse_series(out, err) < 0 || parse_hypotheses(out, err) < 0) {
        rp_result_free(out);
        return -1;
    }
    return 0;
}

void rp_result_free(rp_result *r) {
    for (size_t i = 0; i < r->n_faults; i++)
        free(r->faults[i].applied);
    for (size_t i = 0; i < r->n_metrics; i++)
        free(r->metrics[i].points);
    free(r->phases);
    free(r->faults);
    free(r->events);
    free(r->windows);
    free(r->metrics);
    free(r->hypotheses);
    json_decref(r->root);
    *r = (rp_result){0};
}

const char *rp_verdict_name(rp_verdict verdict) {
    static const char *const names[] = {"pass", "fail", "aborted", "error"};
    return names[verdict];
}

const char *rp_hyp_verdict_name(rp_hyp_verdict verdict) {
    static const char *const names[] = {"pass", "fail", "no-data"};
    return names[verdict];
}

static double later(double a, double b) { return isnan(a) ? b : (isnan(b) || a > b ? a : b); }

double rp_result_span_ms(const rp_result *r) {
    double span = r->duration_ms;
    if (!isnan(span) && span > 0)
        return span < 1e12 ? span : 1e12;
    span = 0;
    for (size_t i = 0; i < r->n_phases; i++)
        span = later(span, r->phases[i].end_ms);
    for (size_t i = 0; i < r->n_events; i++)
        span = later(span, r->events[i].t_ms);
    if (r->n_windows)
        span = later(span, r->windows[r->n_windows - 1].t_ms + r->window_ms);
    for (size_t i = 0; i < r->n_faults; i++)
        span = later(later(span, r->faults[i].rolled_back_ms), r->faults[i].planned_end_ms);
    for (size_t i = 0; i < r->n_metrics; i++)
        for (size_t j = 0; j < r->metrics[i].n_points; j++)
            span = later(span, r->metrics[i].points[j].t_ms);
    /* Far beyond any real run (12 h is the longest fault), but keeps the
     * axes finite whatever the document says. */
    return span > 0 ? (span < 1e12 ? span : 1e12) : 1000;
}

bool rp_fault_window(const rp_result *r, const rp_fault *f, double *start_ms, double *end_ms) {
    if (isnan(f->applied_ms))
        return false;
    *start_ms = f->applied_ms;
    /* Not rolled back (it must not happen, but a crash can do it): the fault
     * was on at least until the run ended. */
    *end_ms = !isnan(f->rolled_back_ms) ? f->rolled_back_ms : rp_result_span_ms(r);
    if (*end_ms < *start_ms)
        *end_ms = *start_ms;
    return true;
}

bool rp_hypothesis_span(const rp_result *r, const rp_hypothesis *h, double *start_ms, double *end_ms) {
    *start_ms = 0;
    *end_ms = rp_result_span_ms(r);
    /* The runner says where it evaluated; trust that over any guess. */
    if (!isnan(h->phase_start_ms) && !isnan(h->phase_end_ms)) {
        *start_ms = h->phase_start_ms;
        *end_ms = h->phase_end_ms;
        return *end_ms > *start_ms;
    }
    if (strcmp(h->phase, "all") == 0)
        return true;
    for (size_t i = 0; i < r->n_phases; i++) {
        const rp_phase *p = &r->phases[i];
        if (strcmp(p->name, h->phase) == 0 && !isnan(p->start_ms) && !isnan(p->end_ms)) {
            *start_ms = p->start_ms;
            *end_ms = p->end_ms;
            return true;
        }
    }
    for (size_t i = 0; i < r->n_faults; i++)
        if (strcmp(r->faults[i].name, h->phase) == 0)
            return rp_fault_window(r, &r->faults[i], start_ms, end_ms);
    return *h->phase == '\0';
}

const char *rp_format_number(double value, char *buf, size_t len) {
    if (isnan(value))
        snprintf(buf, len, "-");
    else if (fabs(value) >= 1e6 || value == floor(value))
        snprintf(buf, len, fabs(value) < 1e15 ? "%.0f" : "%.3g", value);
    else
        snprintf(buf, len, "%.3g", value);
    return buf;
}

const char *rp_format_ms(double ms, char *buf, size_t len) {
    if (isnan(ms))
        snprintf(buf, len, "-");
    else if (ms < 1)
        snprintf(buf, len, "%.3g ms", ms);
    else if (ms < 1000)
        snprintf(buf, len, "%.4g ms", ms);
    else if (ms < 60000)
        snprintf(buf, len, "%.4g s", ms / 1000);
    else {
        long long seconds = llround(ms / 1000);
        snprintf(buf, len, "%lld min %lld s", seconds / 60, seconds % 60);
    }
    return buf;
}
