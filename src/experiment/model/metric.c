/* Metric names as written in hypotheses and stop conditions, their units,
 * and the thresholds compared with them. Every metric is compared in one
 * unit (latencies in ms, ratios 0..1, rates per second) whatever unit the
 * threshold was written in. */
#include "core/internal.h"
#include "experiment/model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    metric_kind kind;
    metric_unit unit;
} load_metrics[] = {
    {"load.latency.p50", METRIC_LOAD_P50, UNIT_MS}, {"load.latency.p90", METRIC_LOAD_P90, UNIT_MS},
    {"load.latency.p99", METRIC_LOAD_P99, UNIT_MS}, {"load.latency.p999", METRIC_LOAD_P999, UNIT_MS},
    {"load.latency.max", METRIC_LOAD_MAX, UNIT_MS}, {"load.errors.ratio", METRIC_LOAD_ERRORS_RATIO, UNIT_RATIO},
    {"load.rate", METRIC_LOAD_RATE, UNIT_RATE},     {"load.late", METRIC_LOAD_LATE, UNIT_COUNT},
};

const char *probe_field_name(probe_field f) {
    static const char *const names[] = {"ok", "latency", "status", "exit", "value"};
    return names[f];
}

void probe_series_name(const char *probe, probe_field field, char *buf, size_t len) {
    snprintf(buf, len, "probe.%s.%s", probe, probe_field_name(field));
}

const char *metric_unit_name(metric_unit unit) {
    static const char *const names[] = {"ms", "ratio", "per_second", "count"};
    return names[unit];
}

static int parse_probe_metric(fl_experiment *exp, const char *text, metric_ref *out, char *why, size_t why_len) {
    const char *name = text + strlen("probe.");
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) {
        snprintf(why, why_len, "'%s': write probe.NAME.FIELD (FIELD: ok, latency, status, exit, value)", text);
        return -1;
    }
    size_t nlen = (size_t)(dot - name);
    out->probe = -1;
    for (size_t i = 0; i < exp->n_probes; i++)
        if (strlen(exp->probes[i].name) == nlen && strncmp(exp->probes[i].name, name, nlen) == 0)
            out->probe = (int)i;
    if (out->probe < 0) {
        snprintf(why, why_len, "'%s': no probe is named '%.*s' (probes: list them)", text, (int)nlen, name);
        return -1;
    }
    const probe_def *pr = &exp->probes[out->probe];
    const char *field = dot + 1;
    for (int f = PROBE_OK; f <= PROBE_VALUE; f++)
        if (strcmp(field, probe_field_name((probe_field)f)) == 0) {
            out->probe_field = (probe_field)f;
            if ((f == PROBE_STATUS && pr->type != PROBE_HTTP) ||
                ((f == PROBE_EXIT || f == PROBE_VALUE) && pr->type != PROBE_COMMAND)) {
                snprintf(why, why_len, "'%s': probe '%s' does not measure %s", text, pr->name, field);
                return -1;
            }
            out->kind = METRIC_PROBE;
            out->unit = f == PROBE_LATENCY ? UNIT_MS : UNIT_COUNT;
            return 0;
        }
    snprintf(why, why_len, "'%s': unknown field '%s' (ok, latency, status, exit, value)", text, field);
    return -1;
}

int metric_parse(fl_experiment *exp, const char *text, metric_ref *out, char *why, size_t why_len) {
    memset(out, 0, sizeof(*out));
    out->text = fl_xstrdup(text);
    for (size_t i = 0; i < FL_ARRAY_LEN(load_metrics); i++)
        if (strcmp(text, load_metrics[i].name) == 0) {
            out->kind = load_metrics[i].kind;
            out->unit = load_metrics[i].unit;
            return 0;
        }
    if (strncmp(text, "probe.", 6) == 0)
        return parse_probe_metric(exp, text, out, why, why_len);
    if (strncmp(text, "prometheus:", 11) == 0) {
        prom_expr e;
        if (prom_expr_parse(text + 11, &e, why, why_len) != 0)
            return -1;
        out->kind = METRIC_PROMETHEUS;
        out->unit = UNIT_COUNT;
        out->prom = -1;
        for (size_t i = 0; i < exp->n_proms; i++)
            if (prom_expr_same(&exp->proms[i], &e))
                out->prom = (int)i;
        if (out->prom >= 0) {
            prom_expr_free(&e);
        } else {
            exp->proms = fl_xreallocarray(exp->proms, exp->n_proms + 1, sizeof(prom_expr));
            exp->proms[exp->n_proms] = e;
            out->prom = (int)exp->n_proms++;
        }
        return 0;
    }
    snprintf(why, why_len,
             "'%s' is not a metric; use load.latency.p50|p90|p99|p999|max, load.errors.ratio, load.rate, "
             "load.late, probe.NAME.FIELD or prometheus:URL#NAME",
             text);
    return -1;
}

void metric_free(metric_ref *m) { free(m->text); }

static int parse_number(const char *text, double *out) {
    char *end;
    double v = strtod(text, &end);
    if (!*text || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int metric_threshold(metric_ref *m, const char *text, double *out, char *why, size_t why_len) {
    fl_error e;
    int64_t us;
    switch (m->unit) {
    case UNIT_MS:
        if (fl_parse_duration(text, "bound", &us, &e) != 0) {
            snprintf(why, why_len, "'%s': %s is a duration; write e.g. 60ms or 2s", text, m->text);
            return -1;
        }
        *out = (double)us / 1000.0;
        return 0;
    case UNIT_RATIO: {
        size_t n = strlen(text);
        if (n && text[n - 1] == '%') {
            double p;
            if (fl_parse_percent(text, "bound", &p, &e) != 0) {
                snprintf(why, why_len, "'%s' is not a percentage from 0%% to 100%%", text);
                return -1;
            }
            *out = p / 100.0;
            return 0;
        }
        if (parse_number(text, out) != 0 || *out < 0 || *out > 1) {
            snprintf(why, why_len, "'%s': %s is a ratio; write a percentage (0.1%%) or a number from 0 to 1", text,
                     m->text);
            return -1;
        }
        return 0;
    }
    case UNIT_RATE:
        if (parse_number(text, out) == 0 && *out >= 0)
            return 0;
        if (strcmp(text, "max") == 0 || fl_parse_rate(text, "bound", out, &e) != 0) {
            snprintf(why, why_len, "'%s' is not a rate; write e.g. 900/s", text);
            return -1;
        }
        return 0;
    case UNIT_COUNT:
        if (parse_number(text, out) == 0)
            return 0;
        /* A Prometheus metric in seconds (the convention) compared with a
         * duration: compared and shown in ms. */
        if (m->kind == METRIC_PROMETHEUS && fl_parse_duration(text, "bound", &us, &e) == 0) {
            m->unit = UNIT_MS;
            m->seconds_to_ms = true;
            *out = (double)us / 1000.0;
            return 0;
        }
        snprintf(why, why_len, "'%s' is not a number%s", text,
                 m->kind == METRIC_PROMETHEUS ? " or a duration (for a metric in seconds)" : "");
        return -1;
    }
    return -1;
}

const char *metric_format(const metric_ref *m, double value, char *buf, size_t len) {
    switch (m->unit) {
    case UNIT_MS:
        if (value >= 1000)
            snprintf(buf, len, "%.3fs", value / 1000);
        else if (value >= 10)
            snprintf(buf, len, "%.1fms", value);
        else
            snprintf(buf, len, "%.2fms", value);
        break;
    case UNIT_RATIO: snprintf(buf, len, "%.3g%%", value * 100); break;
    case UNIT_RATE: snprintf(buf, len, "%.1f/s", value); break;
    case UNIT_COUNT: snprintf(buf, len, "%g", value); break;
    }
    return buf;
}
