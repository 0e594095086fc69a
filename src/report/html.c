/* report.html: one self-contained page (inline CSS and SVG, no script, no
 * fonts, no network) that shows what an experiment did and found. Hover
 * values come from SVG <title> elements, which every browser shows as a
 * tooltip without any script. Every string from the document is escaped. */
#include "report/svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Colours: series in blues and black, so that the amber fault windows and
 * the red/green hypothesis bounds stay distinct from them. */
#define COLOR_P50 "#38bdf8"
#define COLOR_P99 "#1d4ed8"
#define COLOR_MAX "#111827"
#define COLOR_RATE "#1d4ed8"
#define COLOR_TARGET "#6b7280"
#define COLOR_ERRORS "#dc2626"
#define COLOR_METRIC "#7c3aed"
#define COLOR_PASS "#15803d"
#define COLOR_FAIL "#dc2626"
#define COLOR_NO_DATA "#6b7280"
#define COLOR_ABORT "#b45309"
#define COLOR_GAP "#9ca3af"

/* Hover columns cost a rect each; past this many windows they are left out
 * (the page stays light; values are still in result.json). */
#define MAX_HOVER_COLUMNS 900

static const char *const FAULT_COLORS[] = {"#f59e0b", "#ec4899", "#14b8a6", "#8b5cf6", "#84cc16"};
/* The same hues, dark enough for text on the light shading. */
static const char *const FAULT_TEXT_COLORS[] = {"#92400e", "#9d174d", "#115e59", "#5b21b6", "#3f6212"};

static const char *PAGE_STYLE =
    ":root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--pass:#15803d;--fail:#dc2626;--aborted:#b45309;"
    "--error:#7f1d1d}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;"
    "color:var(--fg);background:#f8fafc}\n"
    "main{max-width:1120px;margin:0 auto;padding:20px 24px 40px}\n"
    "header{display:flex;flex-wrap:wrap;align-items:flex-start;gap:8px 16px}\n"
    "h1{font-size:24px;margin:0;flex:1 1 600px;overflow-wrap:anywhere}\n"
    "h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}\n"
    "h3{font-size:14px;margin:14px 0 2px;font-weight:600;overflow-wrap:anywhere}\n"
    ".badge{display:inline-block;padding:3px 12px;border-radius:999px;color:#fff;font-weight:700;"
    "letter-spacing:.04em;font-size:15px}\n"
    ".verdict-pass{background:var(--pass)}.verdict-fail{background:var(--fail)}"
    ".verdict-aborted{background:var(--aborted)}.verdict-error{background:var(--error)}\n"
    ".pill{display:inline-block;min-width:62px;text-align:center;padding:1px 8px;border-radius:4px;color:#fff;"
    "font-weight:700;font-size:12px}\n"
    ".pill-pass{background:var(--pass)}.pill-fail{background:var(--fail)}.pill-no-data{background:#9ca3af}"
    ".pill-warn{background:var(--aborted)}\n"
    ".description{margin:6px 0 0;color:#374151;white-space:pre-wrap;overflow-wrap:anywhere;flex-basis:100%}\n"
    ".facts{display:flex;flex-wrap:wrap;gap:4px 26px;margin:12px 0 0;padding:0;color:var(--muted)}\n"
    ".facts div{display:flex;gap:6px}.facts dt{font-weight:600}.facts dd{margin:0;color:var(--fg);"
    "overflow-wrap:anywhere}\n"
    ".callout{margin:14px 0 0;padding:8px 12px;border-left:4px solid var(--aborted);background:#fffbeb;"
    "overflow-wrap:anywhere}\n"
    ".callout.error{border-color:var(--fail);background:#fef2f2}\n"
    ".summary{margin:12px 0 0;font-size:15px}\n"
    ".panel{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:8px 0}\n"
    "svg.chart{display:block;width:100%;height:auto;font-size:12px}\n"
    "svg .plot-bg{fill:#fff}svg .grid{stroke:#e5e7eb;stroke-width:1}svg .grid-minor{stroke:#f3f4f6;stroke-width:1}\n"
    "svg .axis text{fill:#4b5563;font-size:11px}svg .axis-line{fill:none;stroke:#9ca3af}\n"
    "svg .axis-title{fill:#4b5563;font-size:11px}svg .legend text{fill:#1f2937;font-size:12px}\n"
    "svg .band-label{font-size:12px;font-weight:600}svg .threshold-label{font-size:11px;font-weight:600}\n"
    "svg .band-label,svg .threshold-label,svg .marker-label{paint-order:stroke;stroke:#fff;stroke-width:3px;"
    "stroke-linejoin:round}\n"
    "svg .marker-label{font-size:11px;font-weight:600}svg .hover{fill:transparent}"
    "svg .hover:hover{fill:rgba(17,24,39,.06)}\n"
    "svg .lane-label{font-size:12px;fill:#1f2937}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}\n"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top;"
    "overflow-wrap:break-word}\n"
    "thead th{white-space:nowrap}td.num{white-space:nowrap}\n"
    "th{background:#f1f5f9;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}\n"
    ".muted{color:var(--muted)}.empty{color:var(--muted);font-style:italic}\n"
    "details summary{cursor:pointer;color:var(--muted)}\n"
    ".grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px;align-items:start}\n"
    "footer{margin-top:32px;color:var(--muted);font-size:12px}\n";

/* ---- small helpers ----------------------------------------------------- */

static void put_text(fl_buffer *out, const char *text) { rp_put_html(out, text ? text : ""); }

static void tag_text(fl_buffer *out, const char *open, const char *text, const char *close) {
    fl_buffer_puts(out, open);
    put_text(out, text);
    fl_buffer_puts(out, close);
}

/* "2026-11-27T00:29:09.123Z" -> "2026-11-27 00:29:09.123 UTC"; anything
 * else is shown as written. */
static void put_time(fl_buffer *out, const char *rfc3339) {
    if (!rfc3339) {
        fl_buffer_puts(out, "-");
        return;
    }
    size_t len = strlen(rfc3339);
    if (len > 11 && len < 40 && rfc3339[10] == 'T' && rfc3339[len - 1] == 'Z') {
        char shown[48];
        snprintf(shown, sizeof(shown), "%.10s %.*s UTC", rfc3339, (int)(len - 12), rfc3339 + 11);
        put_text(out, shown);
    } else {
        put_text(out, rfc3339);
    }
}

/* An offset from the start ("12.31 s"), or a dash. */
static void put_offset(fl_buffer *out, double t_ms) {
    char text[48];
    if (isnan(t_ms))
        fl_buffer_puts(out, "<span class=\"muted\">-</span>");
    else
        fl_buffer_puts(out, rp_format_ms(t_ms, text, sizeof(text)));
}

static const char *verdict_label(rp_verdict verdict) {
    static const char *const labels[] = {"PASS", "FAIL", "ABORTED", "ERROR"};
    return labels[verdict];
}

static const char *hyp_label(rp_hyp_verdict verdict) {
    static const char *const labels[] = {"PASS", "FAIL", "NO DATA"};
    return labels[verdict];
}

static const char *hyp_color(rp_hyp_verdict verdict) {
    return verdict == RP_HYP_PASS ? COLOR_PASS : verdict == RP_HYP_FAIL ? COLOR_FAIL : COLOR_NO_DATA;
}

/* A fault's parameters as "host=127.0.0.1 port=6379 delay=2s". */
static void params_text(fl_buffer *out, json_t *params, bool escape) {
    const char *key;
    json_t *value;
    bool first = true;
    json_object_foreach(params, key, value) {
        char *text = NULL;
        if (json_is_string(value))
            text = fl_xstrdup(json_string_value(value));
        else
            text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text)
            continue;
        /* Lists such as ["127.0.0.1","::1"] read better without JSON quotes. */
        if (json_is_array(value)) {
            char *w = text;
            for (char *r = text; *r; r++)
                if (*r != '"' && *r != '[' && *r != ']')
                    *w++ = *r;
            *w = '\0';
        }
        if (!first)
            fl_buffer_puts(out, " ");
        if (escape) {
            rp_put_html(out, key);
            fl_buffer_puts(out, "=");
            rp_put_html(out, text);
        } else {
            fl_buffer_printf(out, "%s=%s", key, text);
        }
        free(text);
        first = false;
    }
}

/* The colour of the i-th fault, shared by its band, lane and table row. */
static const char *fault_color(size_t index) { return FAULT_COLORS[index % FL_ARRAY_LEN(FAULT_COLORS)]; }
static const char *fault_text_color(size_t index) { return FAULT_TEXT_COLORS[index % FL_ARRAY_LEN(FAULT_TEXT_COLORS)]; }

/* ---- unit handling for hypothesis bounds --------------------------------- */

/* How many ms one `unit` is, or NAN when it is not a time unit. */
static double ms_per(const char *unit) {
    if (!unit)
        return NAN;
    if (strcmp(unit, "ms") == 0)
        return 1;
    if (strcmp(unit, "s") == 0)
        return 1000;
    if (strcmp(unit, "us") == 0 || strcmp(unit, "\xC2\xB5s") == 0)
        return 0.001;
    if (strcmp(unit, "ns") == 0)
        return 1e-6;
    if (strcmp(unit, "min") == 0 || strcmp(unit, "m") == 0)
        return 60000;
    return NAN;
}

/* A value in `from` units converted to `to` units: time units convert,
 * anything else must match (or be unknown on one side). NAN if they do not. */
static double convert(double value, const char *from, const char *to) {
    double a = ms_per(from), b = ms_per(to);
    if (!isnan(a) && !isnan(b))
        return value * a / b;
    if (!from || !*from || !to || !*to || strcmp(from, to) == 0)
        return value;
    return NAN;
}

/* What the charts draw for a hypothesis's metric. */
typedef enum chart_kind { CHART_NONE, CHART_LATENCY, CHART_RATE, CHART_ERRORS, CHART_METRIC } chart_kind;

static chart_kind chart_of(const rp_hypothesis *h) {
    if (strncmp(h->metric, "load.latency", 12) == 0)
        return CHART_LATENCY;
    if (strcmp(h->metric, "load.rate") == 0 || strcmp(h->metric, "load.rate_achieved") == 0 ||
        strcmp(h->metric, "load.throughput") == 0)
        return CHART_RATE;
    if (strcmp(h->metric, "load.errors.ratio") == 0 || strcmp(h->metric, "load.error_ratio") == 0)
        return CHART_ERRORS;
    return CHART_METRIC;
}

/* The hypothesis's bound and measured value in the chart's units: ms for
 * latency, requests/s for rate, percent for the error ratio (a ratio from
 * 0 to 1 in the document), the metric's own unit otherwise. */
static double in_chart_units(const rp_hypothesis *h, chart_kind kind, const char *metric_unit, double value) {
    switch (kind) {
    case CHART_LATENCY: return convert(value, *h->unit ? h->unit : "ms", "ms");
    case CHART_ERRORS: return value * 100;
    case CHART_METRIC: return convert(value, h->unit, metric_unit);
    default: return value;
    }
}

/* Draws every hypothesis that concerns this chart: its bound as a dashed
 * line over its phase, its worst window as a circle. `metric_name` selects
 * extra metrics by exact name. `dot_offset_ms` places the worst point where
 * the series draws that window. */
static void draw_hypotheses(rp_chart *c, const rp_result *r, chart_kind kind, const char *metric_name,
                            const char *metric_unit, double dot_offset_ms) {
    for (size_t i = 0; i < r->n_hypotheses; i++) {
        const rp_hypothesis *h = &r->hypotheses[i];
        if (chart_of(h) != kind || (kind == CHART_METRIC && strcmp(h->metric, metric_name) != 0))
            continue;
        double start, end;
        if (!rp_hypothesis_span(r, h, &start, &end))
            continue; /* a bound over a phase that never happened */
        char label[160], tooltip[600], measured[48];
        snprintf(label, sizeof(label), "%s %s: %s", h->bound, h->threshold_text ? h->threshold_text : "",
                 hyp_label(h->verdict));
        snprintf(tooltip, sizeof(tooltip), "%s: %s %s %s during %s; measured %s (%s)", h->name, h->metric, h->bound,
                 h->threshold_text ? h->threshold_text : "", *h->phase ? h->phase : "the run",
                 h->measured_text ? h->measured_text : rp_format_number(h->measured, measured, sizeof(measured)),
                 hyp_label(h->verdict));
        rp_chart_threshold(c, start, end, in_chart_units(h, kind, metric_unit, h->threshold), hyp_color(h->verdict),
                           label, tooltip);
        if (h->verdict == RP_HYP_FAIL)
            rp_chart_dot(c, h->worst_t_ms + dot_offset_ms, in_chart_units(h, kind, metric_unit, h->measured),
                         COLOR_FAIL, tooltip);
    }
}

static void range_add_hypotheses(rp_range *range, const rp_result *r, chart_kind kind, const char *metric_name,
                                 const char *metric_unit) {
    for (size_t i = 0; i < r->n_hypotheses; i++) {
        const rp_hypothesis *h = &r->hypotheses[i];
        if (chart_of(h) == kind && (kind != CHART_METRIC || strcmp(h->metric, metric_name) == 0))
            rp_range_add(range, in_chart_units(h, kind, metric_unit, h->threshold));
    }
}

/* The shaded window of every applied fault, with its details as a tooltip. */
static void draw_fault_bands(rp_chart *c, const rp_result *r) {
    for (size_t i = 0; i < r->n_faults; i++) {
        const rp_fault *f = &r->faults[i];
        double start, end;
        if (!rp_fault_window(r, f, &start, &end))
            continue;
        fl_buffer tip = FL_BUFFER_UNCAPPED;
        char a[32], b[32], v[32];
        fl_buffer_printf(&tip, "%s (%s): applied at %s, verified at %s, rolled back at %s", f->name, f->attack,
                         rp_format_ms(f->applied_ms, a, sizeof(a)), rp_format_ms(f->verified_ms, v, sizeof(v)),
                         isnan(f->rolled_back_ms) ? "NOT ROLLED BACK" : rp_format_ms(f->rolled_back_ms, b, sizeof(b)));
        if (f->params) {
            fl_buffer_puts(&tip, "\n");
            params_text(&tip, f->params, false);
        }
        if (f->verification)
            fl_buffer_printf(&tip, "\n%s", f->verification);
        rp_chart_band(c, start, end, fault_color(i), fl_buffer_str(&tip));
        fl_buffer_free(&tip);
    }
}

/* Their labels, on top of the grid. */
static void draw_fault_labels(rp_chart *c, const rp_result *r) {
    for (size_t i = 0; i < r->n_faults; i++) {
        const rp_fault *f = &r->faults[i];
        double start, end;
        if (!rp_fault_window(r, f, &start, &end))
            continue;
        char label[200];
        snprintf(label, sizeof(label), "%s \xC2\xB7 %s", f->name, f->attack);
        rp_chart_band_label(c, start, fault_text_color(i), label);
    }
}

/* Stop conditions and signals, which end a run early, as marked lines. */
static void draw_abort_markers(rp_chart *c, const rp_result *r) {
    for (size_t i = 0; i < r->n_events; i++) {
        const rp_event *e = &r->events[i];
        if (isnan(e->t_ms))
            continue;
        if (strcmp(e->event, "stop_condition") == 0 || strcmp(e->event, "signal") == 0 ||
            strcmp(e->event, "aborted") == 0 || strcmp(e->event, "abort") == 0) {
            char label[64];
            snprintf(label, sizeof(label), "%s", strcmp(e->event, "stop_condition") == 0 ? "stop condition" : e->event);
            rp_chart_marker(c, e->t_ms, COLOR_ABORT, label, e->detail ? e->detail : e->event);
        }
    }
}

/* ---- the charts ---------------------------------------------------------- */

static void window_hover(rp_chart *c, const rp_result *r) {
    if (r->n_windows > MAX_HOVER_COLUMNS)
        return;
    for (size_t i = 0; i < r->n_windows; i++) {
        const rp_window *w = &r->windows[i];
        char t0[32], t1[32], p50[32], p99[32], max[32], rate[32], req[32], err[32], late[32];
        char tip[400];
        snprintf(tip, sizeof(tip), "%s to %s\np50 %s, p99 %s, max %s\n%s requests (%s/s), %s errors, %s late",
                 rp_format_ms(w->t_ms, t0, sizeof(t0)), rp_format_ms(w->t_ms + w->length_ms, t1, sizeof(t1)),
                 rp_format_ms(w->p50, p50, sizeof(p50)), rp_format_ms(w->p99, p99, sizeof(p99)),
                 rp_format_ms(w->max, max, sizeof(max)), rp_format_number(w->requests, req, sizeof(req)),
                 rp_format_number(w->rate, rate, sizeof(rate)), rp_format_number(w->errors, err, sizeof(err)),
                 rp_format_number(w->late, late, sizeof(late)));
        rp_chart_hover(c, w->t_ms, w->t_ms + w->length_ms, tip);
    }
}

static void latency_chart(fl_buffer *out, const rp_result *r, double *mid_t) {
    size_t n = r->n_windows;
    double *p50 = fl_xcalloc(n, sizeof(double)), *p99 = fl_xcalloc(n, sizeof(double)),
           *max = fl_xcalloc(n, sizeof(double));
    rp_range range;
    rp_range_init(&range);
    for (size_t i = 0; i < n; i++) {
        p50[i] = r->windows[i].p50;
        p99[i] = r->windows[i].p99;
        max[i] = r->windows[i].max;
        rp_range_add(&range, p50[i]);
        rp_range_add(&range, p99[i]);
        rp_range_add(&range, max[i]);
    }
    range_add_hypotheses(&range, r, CHART_LATENCY, NULL, NULL);
    rp_chart c;
    rp_chart_begin(&c, out, "chart-latency", 330, rp_result_span_ms(r), &range, true, "client latency", rp_tick_ms);
    draw_fault_bands(&c, r);
    rp_chart_axes(&c);
    draw_fault_labels(&c, r);
    draw_abort_markers(&c, r);
    for (size_t i = 0; i < n; i++)
        if (isnan(p99[i])) {
            char tip[120], at[32];
            snprintf(tip, sizeof(tip), "%s: no latency (the window saw no request)",
                     rp_format_ms(r->windows[i].t_ms, at, sizeof(at)));
            rp_chart_gap(&c, r->windows[i].t_ms, r->windows[i].t_ms + r->windows[i].length_ms, tip);
        }
    rp_chart_line(&c, mid_t, max, n, "series-max", COLOR_MAX, 1.2);
    rp_chart_line(&c, mid_t, p99, n, "series-p99", COLOR_P99, 2.2);
    rp_chart_line(&c, mid_t, p50, n, "series-p50", COLOR_P50, 2.2);
    draw_hypotheses(&c, r, CHART_LATENCY, NULL, NULL, r->window_ms / 2);
    window_hover(&c, r);
    const rp_legend_item legend[] = {{"p50", COLOR_P50, RP_LEGEND_LINE},
                                     {"p99", COLOR_P99, RP_LEGEND_LINE},
                                     {"max", COLOR_MAX, RP_LEGEND_LINE},
                                     {"fault in effect", FAULT_COLORS[0], RP_LEGEND_BAND},
                                     {"hypothesis bound: green held, red broken", COLOR_NO_DATA, RP_LEGEND_DASH}};
    rp_chart_legend(&c, legend, r->n_faults ? FL_ARRAY_LEN(legend) : 3);
    rp_chart_end(&c);
    free(p50);
    free(p99);
    free(max);
}

static void throughput_charts(fl_buffer *out, const rp_result *r, double *mid_t) {
    size_t n = r->n_windows;
    double *rate = fl_xcalloc(n, sizeof(double)), *starts = fl_xcalloc(n, sizeof(double)),
           *error_pct = fl_xcalloc(n, sizeof(double));
    double target = NAN;
    if (r->load) {
        json_t *t = json_object_get(r->load, "rate_target");
        if (json_is_number(t))
            target = json_number_value(t);
    }
    rp_range rate_range, error_range;
    rp_range_init(&rate_range);
    rp_range_init(&error_range);
    rp_range_add(&rate_range, target);
    for (size_t i = 0; i < n; i++) {
        const rp_window *w = &r->windows[i];
        rate[i] = w->rate;
        starts[i] = w->t_ms;
        error_pct[i] =
            w->requests > 0 && !isnan(w->errors) ? 100.0 * w->errors / w->requests : (w->errors > 0 ? 100 : 0);
        rp_range_add(&rate_range, rate[i]);
        rp_range_add(&error_range, error_pct[i]);
    }
    range_add_hypotheses(&rate_range, r, CHART_RATE, NULL, NULL);
    range_add_hypotheses(&error_range, r, CHART_ERRORS, NULL, NULL);
    double span = rp_result_span_ms(r);

    rp_chart c;
    rp_chart_begin(&c, out, "chart-throughput", 240, span, &rate_range, false, "requests/s", rp_tick_plain);
    draw_fault_bands(&c, r);
    rp_chart_axes(&c);
    draw_fault_labels(&c, r);
    draw_abort_markers(&c, r);
    if (!isnan(target))
        rp_chart_threshold(&c, 0, span, target, COLOR_TARGET, "target rate", "the load's target rate");
    rp_chart_line(&c, mid_t, rate, n, "series-rate", COLOR_RATE, 2.2);
    draw_hypotheses(&c, r, CHART_RATE, NULL, NULL, r->window_ms / 2);
    window_hover(&c, r);
    const rp_legend_item rate_legend[] = {{"achieved requests/s", COLOR_RATE, RP_LEGEND_LINE},
                                          {"target rate", COLOR_TARGET, RP_LEGEND_DASH}};
    rp_chart_legend(&c, rate_legend, isnan(target) ? 1 : 2);
    rp_chart_end(&c);

    rp_chart_begin(&c, out, "chart-errors", 190, span, &error_range, false, "errors, % of requests", rp_tick_percent);
    draw_fault_bands(&c, r);
    rp_chart_axes(&c);
    draw_fault_labels(&c, r);
    draw_abort_markers(&c, r);
    rp_chart_bars(&c, starts, error_pct, n, r->window_ms, "series-errors", COLOR_ERRORS);
    draw_hypotheses(&c, r, CHART_ERRORS, NULL, NULL, r->window_ms / 2);
    window_hover(&c, r);
    const rp_legend_item error_legend[] = {{"errors per window (% of its requests)", COLOR_ERRORS, RP_LEGEND_BAR}};
    rp_chart_legend(&c, error_legend, 1);
    rp_chart_end(&c);
    free(rate);
    free(starts);
    free(error_pct);
}

static void metric_chart(fl_buffer *out, const rp_result *r, size_t index) {
    const rp_metric *m = &r->metrics[index];
    double *t = fl_xcalloc(m->n_points ? m->n_points : 1, sizeof(double));
    double *v = fl_xcalloc(m->n_points ? m->n_points : 1, sizeof(double));
    rp_range range;
    rp_range_init(&range);
    for (size_t i = 0; i < m->n_points; i++) {
        /* a sample stands for the span it covers: drawn at its middle */
        double len = isnan(m->points[i].length_ms) ? 0 : m->points[i].length_ms;
        t[i] = m->points[i].t_ms + len / 2;
        v[i] = m->points[i].value;
        rp_range_add(&range, v[i]);
    }
    range_add_hypotheses(&range, r, CHART_METRIC, m->name, m->unit);
    bool is_time = !isnan(ms_per(m->unit));
    char id[40], title[120];
    snprintf(id, sizeof(id), "chart-metric-%zu", index);
    snprintf(title, sizeof(title), "%s", *m->unit ? m->unit : "value");
    /* Time-valued metrics get time ticks in ms; the values are converted. */
    if (is_time && ms_per(m->unit) != 1) {
        double scale = ms_per(m->unit);
        for (size_t i = 0; i < m->n_points; i++)
            v[i] *= scale;
        range.max *= scale;
        range.min_positive *= scale;
    }
    tag_text(out, "<h3>", m->name, "</h3>\n");
    rp_chart c;
    rp_chart_begin(&c, out, id, 230, rp_result_span_ms(r), &range, is_time, title,
                   is_time ? rp_tick_ms : rp_tick_plain);
    draw_fault_bands(&c, r);
    rp_chart_axes(&c);
    draw_fault_labels(&c, r);
    draw_abort_markers(&c, r);
    size_t n_gaps = 0;
    for (size_t i = 0; i < m->n_points; i++)
        if (isnan(m->points[i].value)) {
            const rp_point *p = &m->points[i];
            char tip[160], at[32];
            snprintf(tip, sizeof(tip), "%s: no value (%s)", rp_format_ms(p->t_ms, at, sizeof(at)),
                     p->gap ? p->gap : "missing");
            rp_chart_gap(&c, p->t_ms, p->t_ms + (isnan(p->length_ms) ? r->window_ms : p->length_ms), tip);
            n_gaps++;
        }
    rp_chart_line(&c, t, v, m->n_points, "series-metric", COLOR_METRIC, 2);
    draw_hypotheses(&c, r, CHART_METRIC, m->name, is_time ? "ms" : m->unit, 0);
    if (m->n_points <= MAX_HOVER_COLUMNS)
        for (size_t i = 0; i < m->n_points; i++) {
            double next = i + 1 < m->n_points ? m->points[i + 1].t_ms : t[i] + r->window_ms;
            double prev = i > 0 ? m->points[i - 1].t_ms : t[i] - (next - t[i]);
            char tip[200], at[32], value[48];
            snprintf(tip, sizeof(tip), "%s: %s %s", rp_format_ms(t[i], at, sizeof(at)),
                     rp_format_number(m->points[i].value, value, sizeof(value)), m->unit);
            rp_chart_hover(&c, (prev + t[i]) / 2, (t[i] + next) / 2, tip);
        }
    /* "prometheus:http://host/metrics#redis_call_seconds_max" -> "redis_call_seconds_max (ms)" */
    const char *short_name = strrchr(m->name, '#') ? strrchr(m->name, '#') + 1 : m->name;
    char legend_label[160];
    snprintf(legend_label, sizeof(legend_label), "%.100s%s%.20s%s", short_name, *m->unit ? " (" : "", m->unit,
             *m->unit ? ")" : "");
    rp_legend_item legend[3] = {{legend_label, COLOR_METRIC, RP_LEGEND_LINE}};
    size_t n_legend = 1;
    if (r->n_faults)
        legend[n_legend++] = (rp_legend_item){"fault in effect", FAULT_COLORS[0], RP_LEGEND_BAND};
    if (n_gaps)
        legend[n_legend++] = (rp_legend_item){"no value (hover for why)", COLOR_GAP, RP_LEGEND_BAND};
    rp_chart_legend(&c, legend, n_legend);
    rp_chart_end(&c);
    free(t);
    free(v);
}

/* ---- page sections ------------------------------------------------------- */

static void page_header(fl_buffer *out, const rp_result *r) {
    fl_buffer_puts(out, "<header>\n");
    tag_text(out, "<h1>", r->title, "</h1>\n");
    fl_buffer_printf(out, "<span class=\"badge verdict-%s\" id=\"verdict\">%s</span>\n", rp_verdict_name(r->verdict),
                     verdict_label(r->verdict));
    if (r->description)
        tag_text(out, "<p class=\"description\">", r->description, "</p>\n");
    fl_buffer_puts(out, "</header>\n<dl class=\"facts\">\n");
    fl_buffer_puts(out, "<div><dt>started</dt><dd>");
    put_time(out, r->started);
    fl_buffer_puts(out, "</dd></div>\n<div><dt>ended</dt><dd>");
    put_time(out, r->ended);
    char text[48];
    fl_buffer_printf(out, "</dd></div>\n<div><dt>duration</dt><dd>%s</dd></div>\n",
                     rp_format_ms(r->duration_ms, text, sizeof(text)));
    if (r->file)
        tag_text(out, "<div><dt>experiment</dt><dd><code>", r->file, "</code></dd></div>\n");
    if (!isnan(r->exit_code))
        fl_buffer_printf(out, "<div><dt>exit code</dt><dd>%.0f</dd></div>\n", r->exit_code);
    fl_buffer_puts(out, "</dl>\n");
    if (r->abort_reason) {
        tag_text(out, "<p class=\"callout\" id=\"abort-reason\"><strong>Aborted:</strong> ", r->abort_reason, "");
        if (!isnan(r->reaction_ms))
            fl_buffer_printf(out, " (everything rolled back %s after the breach)",
                             rp_format_ms(r->reaction_ms, text, sizeof(text)));
        fl_buffer_puts(out, "</p>\n");
    }

    /* One sentence that says what happened, before any chart. */
    size_t passed = 0, failed = 0, no_data = 0, verified = 0, rolled_back = 0, applied = 0;
    for (size_t i = 0; i < r->n_hypotheses; i++) {
        passed += r->hypotheses[i].verdict == RP_HYP_PASS;
        failed += r->hypotheses[i].verdict == RP_HYP_FAIL;
        no_data += r->hypotheses[i].verdict == RP_HYP_NO_DATA;
    }
    for (size_t i = 0; i < r->n_faults; i++) {
        applied += !isnan(r->faults[i].applied_ms);
        verified += r->faults[i].verified;
        rolled_back += !isnan(r->faults[i].rolled_back_ms);
    }
    fl_buffer_printf(out, "<p class=\"summary\">Hypotheses: <strong>%zu passed</strong>, <strong>%zu failed</strong>",
                     passed, failed);
    if (no_data)
        fl_buffer_printf(out, ", %zu without data", no_data);
    fl_buffer_printf(out, ". Faults: %zu of %zu applied, %zu verified in effect, %zu rolled back.</p>\n", applied,
                     r->n_faults, verified, rolled_back);
    for (size_t i = 0; i < r->n_faults; i++)
        if (r->faults[i].error) {
            fl_buffer_puts(out, "<p class=\"callout error\"><strong>");
            put_text(out, r->faults[i].name);
            tag_text(out, ":</strong> ", r->faults[i].error, "</p>\n");
        }
}

static void charts_section(fl_buffer *out, const rp_result *r) {
    double *mid_t = fl_xcalloc(r->n_windows ? r->n_windows : 1, sizeof(double));
    /* A window's numbers describe all of it: draw them at its middle. */
    for (size_t i = 0; i < r->n_windows; i++)
        mid_t[i] = r->windows[i].t_ms + r->windows[i].length_ms / 2;
    fl_buffer_puts(out, "<section id=\"latency\">\n<h2>Client latency</h2>\n");
    if (r->n_windows) {
        fl_buffer_puts(out, "<div class=\"panel\">\n");
        latency_chart(out, r, mid_t);
        fl_buffer_puts(out, "</div>\n");
    } else {
        fl_buffer_puts(out,
                       "<p class=\"empty\">No load ran in this experiment: there is no client latency to show.</p>\n");
    }
    fl_buffer_puts(out, "</section>\n");
    if (r->n_windows) {
        fl_buffer_puts(out, "<section id=\"throughput\">\n<h2>Throughput and errors</h2>\n<div class=\"panel\">\n");
        throughput_charts(out, r, mid_t);
        fl_buffer_puts(out, "</div>\n</section>\n");
    }
    free(mid_t);
    if (r->n_metrics) {
        fl_buffer_puts(out, "<section id=\"metrics\">\n<h2>Metrics</h2>\n");
        for (size_t i = 0; i < r->n_metrics; i++) {
            fl_buffer_puts(out, "<div class=\"panel\">\n");
            metric_chart(out, r, i);
            fl_buffer_puts(out, "</div>\n");
        }
        fl_buffer_puts(out, "</section>\n");
    }
}

static const char *member_text(json_t *object, const char *key) {
    json_t *value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : "";
}

/* What would have aborted the run early, as the experiment stated it. */
static void stop_conditions_table(fl_buffer *out, const rp_result *r) {
    if (!r->stop_conditions || json_array_size(r->stop_conditions) == 0)
        return;
    fl_buffer_puts(
        out, "<h3>Stop conditions</h3>\n<table class=\"stop-conditions\">\n<thead><tr><th>name</th><th>metric</th>"
             "<th>aborts when</th><th class=\"num\">for</th></tr></thead>\n<tbody>\n");
    size_t i;
    json_t *stop;
    json_array_foreach(r->stop_conditions, i, stop) {
        if (!json_is_object(stop))
            continue;
        char text[48];
        json_t *for_ms = json_object_get(stop, "for_ms");
        tag_text(out, "<tr class=\"stop-condition\"><td>", member_text(stop, "name"), "</td>");
        tag_text(out, "<td><code>", member_text(stop, "metric"), "</code></td><td>");
        put_text(out, member_text(stop, "bound"));
        tag_text(out, " ", member_text(stop, "threshold_text"), "</td>");
        fl_buffer_printf(out, "<td class=\"num\">%s</td></tr>\n",
                         json_is_number(for_ms) ? rp_format_ms(json_number_value(for_ms), text, sizeof(text)) : "-");
    }
    fl_buffer_puts(out, "</tbody>\n</table>\n");
}

static void hypotheses_section(fl_buffer *out, const rp_result *r) {
    fl_buffer_puts(out, "<section id=\"hypotheses\">\n<h2>Hypotheses</h2>\n");
    if (!r->n_hypotheses) {
        fl_buffer_puts(out, "<p class=\"empty\">This experiment states no hypothesis.</p>\n</section>\n");
        return;
    }
    fl_buffer_puts(out,
                   "<table class=\"hypotheses\">\n<thead><tr><th>verdict</th><th>hypothesis</th><th>metric</th>"
                   "<th>phase</th><th>bound</th><th class=\"num\">measured</th><th class=\"num\">windows failed</th>"
                   "<th class=\"num\">worst at</th><th>coverage</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < r->n_hypotheses; i++) {
        const rp_hypothesis *h = &r->hypotheses[i];
        char text[48];
        fl_buffer_printf(out, "<tr class=\"hypothesis hyp-%s\"><td><span class=\"pill pill-%s\">%s</span></td>",
                         rp_hyp_verdict_name(h->verdict), rp_hyp_verdict_name(h->verdict), hyp_label(h->verdict));
        tag_text(out, "<td>", h->name, "</td>");
        tag_text(out, "<td><code>", h->metric, "</code></td>");
        tag_text(out, "<td>", h->phase, "</td><td>");
        put_text(out, h->bound);
        fl_buffer_puts(out, " ");
        if (h->threshold_text)
            put_text(out, h->threshold_text);
        else
            fl_buffer_printf(out, "%s %s", rp_format_number(h->threshold, text, sizeof(text)), "");
        fl_buffer_puts(out, "</td><td class=\"num\">");
        if (h->measured_text && h->lower_bound)
            fl_buffer_puts(out, "&ge; ");
        if (h->measured_text)
            put_text(out, h->measured_text);
        else if (!isnan(h->measured)) {
            fl_buffer_puts(out, rp_format_number(h->measured, text, sizeof(text)));
            fl_buffer_puts(out, " ");
            put_text(out, h->unit);
        } else
            fl_buffer_puts(out, "<span class=\"muted\">no data</span>");
        fl_buffer_puts(out, "</td><td class=\"num\">");
        if (!isnan(h->windows_evaluated))
            fl_buffer_printf(out, "%.0f of %.0f", isnan(h->windows_failed) ? 0 : h->windows_failed,
                             h->windows_evaluated);
        else
            fl_buffer_puts(out, "-");
        fl_buffer_puts(out, "</td><td class=\"num\">");
        put_offset(out, h->worst_t_ms);
        fl_buffer_puts(out, "</td><td class=\"coverage\">");
        if (h->coverage_text)
            put_text(out, h->coverage_text);
        else
            fl_buffer_puts(out, "-");
        if (h->verdict == RP_HYP_NO_DATA && h->reason) {
            fl_buffer_puts(out, "<br><span class=\"muted\">");
            put_text(out, h->reason);
            fl_buffer_puts(out, "</span>");
        }
        fl_buffer_puts(out, "</td></tr>\n");
    }
    fl_buffer_puts(out, "</tbody>\n</table>\n");
    stop_conditions_table(out, r);
    fl_buffer_puts(out, "</section>\n");
}

/* A gantt-like strip: the phases on top, then one lane per fault with its
 * name, its planned window (dashed outline), the time it was in effect
 * (filled) and the moments it was applied, verified and rolled back. */
static void timeline_mark(fl_buffer *out, const rp_scale *x, double t_ms, double y, const char *kind, const char *what,
                          const char *detail) {
    if (isnan(t_ms))
        return;
    double px = rp_scale_map(x, t_ms);
    char at[32];
    fl_buffer_printf(out, "<g class=\"event-%s\">", kind);
    /* Three shapes, so that they stay apart in grey print too. */
    if (strcmp(kind, "applied") == 0)
        fl_buffer_printf(out, "<path d=\"M%.1f %.1fl6 -9h-12z\" fill=\"#374151\">", px, y);
    else if (strcmp(kind, "verified") == 0)
        fl_buffer_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" stroke=\"#fff\">", px, y - 5,
                         COLOR_PASS);
    else
        fl_buffer_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"%s\">", px - 4.5, y - 9,
                         COLOR_P99);
    fl_buffer_printf(out, "<title>%s at ", what);
    fl_buffer_puts(out, rp_format_ms(t_ms, at, sizeof(at)));
    if (detail) {
        fl_buffer_puts(out, ": ");
        put_text(out, detail);
    }
    fl_buffer_puts(out, strcmp(kind, "applied") == 0    ? "</title></path></g>"
                        : strcmp(kind, "verified") == 0 ? "</title></circle></g>"
                                                        : "</title></rect></g>");
}

static void timeline_strip(fl_buffer *out, const rp_result *r) {
    const double width = 1000, left = 72, right = 984, top = 8, phase_row = 34, lane = 46, bottom = 44;
    double height = top + phase_row + lane * (double)r->n_faults + bottom;
    double axis_y = height - bottom + 4;
    rp_scale x = {.domain0 = 0, .domain1 = rp_result_span_ms(r), .range0 = left, .range1 = right};
    fl_buffer_printf(out,
                     "<svg class=\"chart timeline\" id=\"chart-timeline\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                     "aria-label=\"timeline of phases and faults\" xmlns=\"http://www.w3.org/2000/svg\">\n",
                     width, height);
    rp_time_axis(out, &x, top, axis_y, true);
    static const char *const phase_colors[] = {"#e0f2fe", "#fef3c7", "#dcfce7", "#ede9fe"};
    fl_buffer_printf(out, "<text class=\"lane-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">phases</text>\n",
                     left - 6, top + 17);
    for (size_t i = 0; i < r->n_phases; i++) {
        const rp_phase *p = &r->phases[i];
        if (isnan(p->start_ms) || isnan(p->end_ms))
            continue;
        double x0 = rp_scale_map(&x, p->start_ms), x1 = rp_scale_map(&x, p->end_ms);
        fl_buffer_printf(out,
                         "<g class=\"phase\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"22\" fill=\"%s\" "
                         "stroke=\"#94a3b8\"><title>",
                         x0, top, x1 - x0 > 1 ? x1 - x0 : 1, phase_colors[i % FL_ARRAY_LEN(phase_colors)]);
        put_text(out, p->name);
        fl_buffer_puts(out, "</title></rect>");
        fl_buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"lane-label\">", (x0 + x1) / 2,
                         top + 15);
        put_text(out, p->name);
        fl_buffer_puts(out, "</text></g>\n");
    }
    for (size_t i = 0; i < r->n_faults; i++) {
        const rp_fault *f = &r->faults[i];
        double y = top + phase_row + lane * (double)i; /* top of the lane */
        const char *color = fault_color(i);
        double start, end;
        bool had_window = rp_fault_window(r, f, &start, &end);
        double label_ms = had_window ? start : !isnan(f->planned_start_ms) ? f->planned_start_ms : 0;
        /* The name above the bar, where it has the whole width to itself. */
        fl_buffer_printf(out, "<g class=\"lane\"><text class=\"lane-label\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\">",
                         rp_scale_map(&x, label_ms) + 12, y + 12, fault_text_color(i));
        put_text(out, f->name);
        fl_buffer_puts(out, " \xC2\xB7 ");
        put_text(out, f->attack);
        if (!had_window)
            fl_buffer_puts(out, " (not applied)");
        fl_buffer_puts(out, "</text>");
        if (!isnan(f->planned_start_ms) && !isnan(f->planned_end_ms)) {
            double x0 = rp_scale_map(&x, f->planned_start_ms), x1 = rp_scale_map(&x, f->planned_end_ms);
            fl_buffer_printf(out,
                             "<rect class=\"planned\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"none\" "
                             "stroke=\"%s\" stroke-dasharray=\"4 3\"><title>planned window</title></rect>",
                             x0, y + 18, x1 - x0 > 1 ? x1 - x0 : 1, color);
        }
        if (had_window) {
            double x0 = rp_scale_map(&x, start), x1 = rp_scale_map(&x, end);
            fl_buffer_printf(out,
                             "<rect class=\"active\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" fill=\"%s\" "
                             "fill-opacity=\"0.6\"><title>",
                             x0, y + 21, x1 - x0 > 2 ? x1 - x0 : 2, color);
            put_text(out, f->name);
            fl_buffer_puts(out, " in effect</title></rect>");
        }
        timeline_mark(out, &x, f->applied_ms, y + 19, "applied", "applied", NULL);
        timeline_mark(out, &x, f->verified_ms, y + 19, "verified", "verified in effect", f->verification);
        timeline_mark(out, &x, f->rolled_back_ms, y + 19, "rolled-back", "rolled back", NULL);
        fl_buffer_puts(out, "</g>\n");
    }
    /* The key to the marks, under the axis. */
    if (r->n_faults) {
        double ky = height - 8;
        fl_buffer_printf(
            out,
            "<g class=\"legend\"><path d=\"M%.1f %.1fl6 -9h-12z\" fill=\"#374151\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">applied</text>"
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">verified</text>"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">rolled back</text>"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"9\" fill=\"none\" stroke=\"#6b7280\" "
            "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.1f\">planned</text>"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"9\" fill=\"%s\" fill-opacity=\"0.6\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">in effect</text></g>\n",
            left + 6, ky + 1, left + 14, ky, left + 86, ky - 4, COLOR_PASS, left + 94, ky, left + 162, ky - 8,
            COLOR_P99, left + 175, ky, left + 264, ky - 8, left + 289, ky, left + 356, ky - 8, FAULT_COLORS[0],
            left + 381, ky);
    }
    fl_buffer_puts(out, "</svg>\n");
}

/* A member of a host row as text ("" when absent). */
static const char *row_text(json_t *row, const char *key, char *buf, size_t len) {
    json_t *v = json_object_get(row, key);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else
        buf[0] = '\0';
    return buf;
}

static void put_row_offset(fl_buffer *out, json_t *row, const char *key) {
    json_t *v = json_object_get(row, key);
    put_offset(out, json_is_number(v) ? json_number_value(v) : NAN);
}

/* Faults on fleets: the selection, then every host with its result. */
static void hosts_tables(fl_buffer *out, const rp_result *r) {
    for (size_t i = 0; i < r->n_faults; i++) {
        const rp_fault *f = &r->faults[i];
        if (!f->hosts)
            continue;
        char b1[64], b2[64], b3[64], b4[64];
        json_t *t = f->targets;
        const char *kind = row_text(t, "kind", b1, sizeof(b1));
        fl_buffer_printf(out, "<h3>Hosts of <span style=\"color:%s\">&#9632;</span> ", fault_color(i));
        put_text(out, f->name);
        fl_buffer_puts(out, "</h3>\n<p class=\"muted\">");
        if (strcmp(kind, "ssh") == 0) {
            tag_text(out, "over ssh: inventory <code>", row_text(t, "inventory", b1, sizeof(b1)),
                     "</code>, select <code>");
            put_text(out, row_text(t, "select", b1, sizeof(b1)));
            tag_text(out, "</code>, mode <code>", row_text(t, "mode", b1, sizeof(b1)), "</code>: ");
            fl_buffer_printf(out, "%s of %s matching host(s), seed %s, max-errors %s",
                             row_text(t, "selected", b1, sizeof(b1)), row_text(t, "matched", b2, sizeof(b2)),
                             row_text(t, "seed", b3, sizeof(b3)), row_text(t, "max_errors", b4, sizeof(b4)));
        } else {
            tag_text(out, "through AWS SSM: document <code>", row_text(t, "document", b1, sizeof(b1)),
                     "</code>, command ");
            tag_text(out, "<code>", row_text(t, "command_id", b1, sizeof(b1)), "</code>, status ");
            put_text(out, row_text(t, "status", b1, sizeof(b1)));
        }
        fl_buffer_puts(out, "</p>\n<table class=\"hosts\">\n<thead><tr><th>host</th><th>address</th><th>result</th>"
                            "<th>fault id</th><th class=\"num\">applied</th><th class=\"num\">ended</th>"
                            "<th class=\"num\">exit</th><th>verification / error</th></tr></thead>\n<tbody>\n");
        size_t k;
        json_t *row;
        json_array_foreach(f->hosts, k, row) {
            const char *result = row_text(row, "result", b1, sizeof(b1));
            bool ok = strcmp(result, "applied") == 0 || strcmp(result, "Success") == 0 ||
                      strcmp(result, "InProgress") == 0 || strcmp(result, "Cancelled") == 0;
            tag_text(out, "<tr class=\"host\"><td>", row_text(row, "name", b2, sizeof(b2)), "</td>");
            tag_text(out, "<td><code>", row_text(row, "address", b2, sizeof(b2)), "</code></td>");
            fl_buffer_printf(out, "<td><span class=\"pill %s\">", ok ? "pill-pass" : "pill-fail");
            put_text(out, result);
            fl_buffer_puts(out, "</span></td>");
            tag_text(out, "<td><code class=\"muted\">", row_text(row, "id", b2, sizeof(b2)), "</code></td>");
            fl_buffer_puts(out, "<td class=\"num\">");
            put_row_offset(out, row, "applied_ms");
            fl_buffer_puts(out, "</td><td class=\"num\">");
            put_row_offset(out, row, "ended_ms");
            tag_text(out, "</td><td class=\"num\">", row_text(row, "exit_code", b2, sizeof(b2)), "</td><td>");
            const char *error = row_text(row, "error", b2, sizeof(b2));
            const char *verified = row_text(row, "verified", b3, sizeof(b3));
            put_text(out, *error ? error : *verified ? verified : row_text(row, "output", b4, sizeof(b4)));
            fl_buffer_puts(out, "</td></tr>\n");
        }
        fl_buffer_puts(out, "</tbody>\n</table>\n");
    }
    json_t *load_hosts = r->load ? json_object_get(r->load, "hosts") : NULL;
    if (json_is_array(load_hosts)) {
        char b1[64], b2[64], b3[64], b4[64];
        fl_buffer_puts(out, "<h3>Load sent from hosts</h3>\n<p class=\"muted\">");
        fl_buffer_printf(out, "%s host(s), ", row_text(r->load, "selected", b1, sizeof(b1)));
        tag_text(out, "<code>", row_text(r->load, "rate_per_host", b1, sizeof(b1)), "</code> each; ");
        fl_buffer_puts(out, "windows merged by index: counts add up, each percentile is the largest of the hosts' "
                            "(an upper bound)</p>\n<table class=\"hosts\">\n<thead><tr><th>host</th><th>address</th>"
                            "<th>result</th><th class=\"num\">sent</th><th class=\"num\">finished</th>"
                            "<th class=\"num\">errors</th><th>error</th></tr></thead>\n<tbody>\n");
        size_t k;
        json_t *row;
        json_array_foreach(load_hosts, k, row) {
            tag_text(out, "<tr class=\"host\"><td>", row_text(row, "name", b1, sizeof(b1)), "</td>");
            tag_text(out, "<td><code>", row_text(row, "address", b1, sizeof(b1)), "</code></td>");
            tag_text(out, "<td>", row_text(row, "result", b1, sizeof(b1)), "</td>");
            fl_buffer_printf(out, "<td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>",
                             row_text(row, "sent", b2, sizeof(b2)), row_text(row, "requests", b3, sizeof(b3)),
                             row_text(row, "errors", b4, sizeof(b4)));
            tag_text(out, "<td>", row_text(row, "error", b1, sizeof(b1)), "</td></tr>\n");
        }
        fl_buffer_puts(out, "</tbody>\n</table>\n");
    }
}

/* A network fault's packet-engine accounting, under its verification: what
 * happened to every matched packet. */
static void engine_counters(fl_buffer *out, const json_t *engine) {
    if (!engine)
        return;
    static const char *const keys[] = {"matched", "held", "released", "late", "bypassed", "dropped", "passed"};
    fl_buffer_puts(out, "<br><span class=\"engine muted\">engine:");
    for (size_t k = 0; k < FL_ARRAY_LEN(keys); k++)
        fl_buffer_printf(out, "%s %s %lld", k ? "," : "", keys[k],
                         (long long)json_integer_value(json_object_get(engine, keys[k])));
    fl_buffer_printf(out, "; peak %lld packets / %lld bytes held",
                     (long long)json_integer_value(json_object_get(engine, "peak_held_packets")),
                     (long long)json_integer_value(json_object_get(engine, "peak_held_bytes")));
    const char *reason = json_string_value(json_object_get(engine, "reason"));
    if (reason) {
        fl_buffer_puts(out, "; ");
        put_text(out, reason);
    }
    fl_buffer_puts(out, "</span>");
}

static void faults_section(fl_buffer *out, const rp_result *r) {
    fl_buffer_puts(out, "<section id=\"faults\">\n<h2>Faults</h2>\n");
    if (!r->n_faults) {
        fl_buffer_puts(out, "<p class=\"empty\">This experiment injected no fault.</p>\n");
    } else {
        fl_buffer_puts(out,
                       "<table class=\"faults\">\n<thead><tr><th>fault</th><th>attack</th><th>parameters</th>"
                       "<th class=\"num\">applied</th><th class=\"num\">verified</th><th class=\"num\">rolled back</th>"
                       "<th>verification</th><th>status</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < r->n_faults; i++) {
            const rp_fault *f = &r->faults[i];
            fl_buffer_printf(out, "<tr class=\"fault\"><td><span style=\"color:%s\">&#9632;</span> ", fault_color(i));
            put_text(out, f->name);
            if (*f->id)
                tag_text(out, "<br><code class=\"muted\">", f->id, "</code>");
            tag_text(out, "</td><td>", f->attack, "</td><td><code>");
            if (f->params)
                params_text(out, f->params, true);
            fl_buffer_puts(out, "</code>");
            if (f->n_applied) {
                fl_buffer_printf(out, "<details><summary>%zu operation%s</summary><code>", f->n_applied,
                                 f->n_applied == 1 ? "" : "s");
                for (size_t k = 0; k < f->n_applied; k++) {
                    put_text(out, f->applied[k]);
                    fl_buffer_puts(out, "<br>");
                }
                fl_buffer_puts(out, "</code></details>");
            }
            fl_buffer_puts(out, "</td><td class=\"num\">");
            put_offset(out, f->applied_ms);
            fl_buffer_puts(out, "</td><td class=\"num\">");
            put_offset(out, f->verified_ms);
            fl_buffer_puts(out, "</td><td class=\"num\">");
            put_offset(out, f->rolled_back_ms);
            tag_text(out, "</td><td>", f->verification ? f->verification : "", "");
            engine_counters(out, f->engine);
            fl_buffer_puts(out, "</td><td>");
            if (isnan(f->applied_ms))
                fl_buffer_puts(out, "<span class=\"pill pill-no-data\">NOT APPLIED</span>");
            else if (!f->verified)
                fl_buffer_puts(out, "<span class=\"pill pill-fail\">NOT VERIFIED</span>");
            else if (isnan(f->rolled_back_ms))
                fl_buffer_puts(out, "<span class=\"pill pill-fail\">NOT ROLLED BACK</span>");
            else if (f->degraded)
                fl_buffer_puts(out, "<span class=\"pill pill-fail\">DEGRADED</span>");
            else
                fl_buffer_puts(out, "<span class=\"pill pill-pass\">OK</span>");
            if (f->error)
                tag_text(out, "<br>", f->error, "");
            fl_buffer_puts(out, "</td></tr>\n");
        }
        fl_buffer_puts(out, "</tbody>\n</table>\n");
    }
    hosts_tables(out, r);
    fl_buffer_puts(out, "<h3>Timeline</h3>\n<div class=\"panel\">\n");
    timeline_strip(out, r);
    fl_buffer_puts(out, "</div>\n");
    if (r->n_events) {
        fl_buffer_puts(out, "<table class=\"events\">\n<thead><tr><th class=\"num\">t</th><th>time</th><th>event</th>"
                            "<th>fault</th><th>detail</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < r->n_events; i++) {
            const rp_event *e = &r->events[i];
            fl_buffer_puts(out, "<tr class=\"event\"><td class=\"num\">");
            put_offset(out, e->t_ms);
            fl_buffer_puts(out, "</td><td class=\"muted\">");
            put_time(out, e->time);
            tag_text(out, "</td><td>", e->event, "</td>");
            tag_text(out, "<td>", e->fault, "</td>");
            tag_text(out, "<td>", e->detail, "</td></tr>\n");
        }
        fl_buffer_puts(out, "</tbody>\n</table>\n");
    }
    fl_buffer_puts(out, "</section>\n");
}

static double load_number(json_t *object, const char *key) {
    json_t *v = json_object_get(object, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void load_section(fl_buffer *out, const rp_result *r) {
    if (!r->load)
        return;
    json_t *load = r->load;
    char a[48], b[48];
    fl_buffer_puts(
        out, "<section id=\"load\">\n<h2>Load</h2>\n<div class=\"grid2\">\n<table class=\"load-summary\"><tbody>\n");
    json_t *url = json_object_get(load, "url");
    if (json_is_string(url)) {
        json_t *method = json_object_get(load, "method");
        fl_buffer_puts(out, "<tr><th>target</th><td><code>");
        if (json_is_string(method)) {
            put_text(out, json_string_value(method));
            fl_buffer_puts(out, " ");
        }
        tag_text(out, "", json_string_value(url), "</code></td></tr>\n");
    }
    json_t *mode = json_object_get(load, "mode");
    if (json_is_string(mode))
        tag_text(out, "<tr><th>mode</th><td>", json_string_value(mode), "</td></tr>\n");
    fl_buffer_printf(out, "<tr><th>requests</th><td class=\"num\">%s</td></tr>\n",
                     rp_format_number(load_number(load, "requests"), a, sizeof(a)));
    double target = load_number(load, "rate_target"), achieved = load_number(load, "rate_achieved");
    fl_buffer_printf(out, "<tr><th>rate: target / achieved</th><td class=\"num\">%s / %s per second",
                     isnan(target) ? "none (closed loop)" : rp_format_number(target, a, sizeof(a)),
                     rp_format_number(achieved, b, sizeof(b)));
    if (target > 0 && !isnan(achieved))
        fl_buffer_printf(out, " (%.1f%%)", 100 * achieved / target);
    fl_buffer_puts(out, "</td></tr>\n");
    double late = load_number(load, "late"), late_ratio = load_number(load, "late_ratio");
    fl_buffer_printf(out, "<tr><th>late (sent after their time)</th><td class=\"num\">%s",
                     rp_format_number(late, a, sizeof(a)));
    if (!isnan(late_ratio))
        fl_buffer_printf(out, " (%.2f%%)", 100 * late_ratio);
    fl_buffer_puts(out, "</td></tr>\n");
    json_t *errors = json_object_get(load, "errors");
    if (json_is_object(errors)) {
        double total = load_number(errors, "total"), ratio = load_number(errors, "ratio");
        fl_buffer_printf(out, "<tr><th>errors</th><td class=\"num\">%s", rp_format_number(total, a, sizeof(a)));
        if (!isnan(ratio))
            fl_buffer_printf(out, " (%.3g%%)", 100 * ratio);
        fl_buffer_puts(out, "</td></tr>\n");
        const char *key;
        json_t *value;
        json_object_foreach(errors, key, value) {
            if (strcmp(key, "total") == 0 || strcmp(key, "ratio") == 0 || !json_is_number(value))
                continue;
            tag_text(out, "<tr class=\"error-class\"><th class=\"muted\">&#8195;", key, "</th>");
            fl_buffer_printf(out, "<td class=\"num\">%s</td></tr>\n",
                             rp_format_number(json_number_value(value), a, sizeof(a)));
        }
    }
    fl_buffer_puts(out, "</tbody></table>\n");

    /* Latency from the intended send time next to service time, the
     * difference being what coordinated omission would have hidden. */
    static const char *const percentiles[] = {"min", "p50", "p90", "p99", "p999", "max"};
    json_t *latency = json_object_get(load, "latency_ms"), *service = json_object_get(load, "service_time_ms");
    if (json_is_object(latency) || json_is_object(service)) {
        fl_buffer_puts(out, "<table class=\"load-percentiles\"><thead><tr><th>percentile</th>"
                            "<th class=\"num\">latency</th><th class=\"num\">service time</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < FL_ARRAY_LEN(percentiles); i++) {
            double l = json_is_object(latency) ? load_number(latency, percentiles[i]) : NAN;
            double s = json_is_object(service) ? load_number(service, percentiles[i]) : NAN;
            if (isnan(l) && isnan(s))
                continue;
            fl_buffer_printf(out, "<tr><th>%s</th><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
                             percentiles[i], rp_format_ms(l, a, sizeof(a)), rp_format_ms(s, b, sizeof(b)));
        }
        fl_buffer_puts(out, "</tbody></table>\n");
    }
    fl_buffer_puts(out,
                   "</div>\n<p class=\"muted\">Latency counts from when each request was due, so a stalled server "
                   "shows as latency instead of as fewer requests; service time counts from when it was sent.</p>\n"
                   "</section>\n");
}

void rp_render_html(const rp_result *r, fl_buffer *out) {
    fl_buffer_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                        "<meta name=\"generator\" content=\"faultline " FL_VERSION "\">\n<title>");
    fl_buffer_printf(out, "%s: ", verdict_label(r->verdict));
    put_text(out, r->title);
    fl_buffer_puts(out, " - faultline</title>\n<style>\n");
    fl_buffer_puts(out, PAGE_STYLE);
    fl_buffer_puts(out, "</style>\n</head>\n<body>\n<main>\n");
    page_header(out, r);
    charts_section(out, r);
    hypotheses_section(out, r);
    faults_section(out, r);
    load_section(out, r);
    fl_buffer_puts(out, "<footer>Generated by faultline " FL_VERSION " from a result document of schema version 1");
    if (r->faultline_version)
        tag_text(out, " written by faultline ", r->faultline_version, "");
    fl_buffer_puts(out, ". Hover a chart for the values of each window. Regenerate with "
                        "<code>faultline report result.json</code>.</footer>\n</main>\n</body>\n</html>\n");
}
