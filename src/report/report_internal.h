/* Declarations shared by the report writers (src/report); not public.
 *
 * The flow is: model.c reads and checks a result document (docs/result-format.md)
 * into an rp_result; html.c and junit.c render it into an fl_buffer; report.c
 * writes the buffers to files. svg.c draws charts, escape.c makes any string
 * from the document safe in HTML and XML. */
#ifndef FL_REPORT_INTERNAL_H
#define FL_REPORT_INTERNAL_H

#include "core/buffer.h"
#include "core/internal.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- escaping (escape.c) --------------------------------------------------
 * Every string that comes from the document goes through one of these. */
/* Text or attribute value in HTML (and inline SVG): & < > " ' become entities. */
void rp_put_html(fl_buffer *buf, const char *text);
/* Text or attribute value in XML 1.0: as HTML, and the control characters
 * XML 1.0 cannot carry at all are replaced by U+FFFD. */
void rp_put_xml(fl_buffer *buf, const char *text);

/* ---- the result document (model.c) ----------------------------------------
 * Strings point into `root` and live as long as the rp_result. Numbers that
 * are absent or null in the document are NAN. */
typedef struct rp_phase {
    const char *name;
    double start_ms, end_ms;
} rp_phase;

typedef struct rp_fault {
    const char *name, *id, *attack;
    json_t *params; /* object or NULL */
    double planned_start_ms, planned_end_ms;
    double applied_ms, verified_ms, rolled_back_ms;
    bool verified;
    const char *verification; /* NULL if absent */
    const char **applied;     /* the operations, for display */
    size_t n_applied;
    const char *error; /* NULL if none */
    json_t *targets;   /* where it ran ({kind: local|ssh|ssm, ...}), or NULL */
    json_t *hosts;     /* one row per host of a fleet, or NULL */
    json_t *engine;    /* a network fault's packet-engine counters, or NULL */
    bool degraded;     /* it fell short of what was asked (engine.reason says how) */
} rp_fault;

typedef struct rp_event {
    double t_ms;
    const char *time, *event, *fault, *detail; /* NULL if absent */
} rp_event;

typedef struct rp_window {
    double t_ms, length_ms;
    double requests, errors, late, rate; /* rate: requests per second */
    double p50, p90, p99, max;           /* latency, ms */
} rp_window;

typedef struct rp_point {
    double t_ms, length_ms, value; /* the span it covers; value NAN when it has none */
    const char *gap;               /* why it has no value ("timeout", ...), or NULL */
} rp_point;

typedef struct rp_metric {
    const char *name, *unit;
    rp_point *points;
    size_t n_points;
} rp_metric;

typedef enum rp_verdict { RP_PASS, RP_FAIL, RP_ABORTED, RP_ERROR } rp_verdict;
typedef enum rp_hyp_verdict { RP_HYP_PASS, RP_HYP_FAIL, RP_HYP_NO_DATA } rp_hyp_verdict;

typedef struct rp_hypothesis {
    const char *name, *metric, *phase, *bound, *unit;
    const char *threshold_text, *measured_text;
    double threshold, measured;
    rp_hyp_verdict verdict;
    double windows_evaluated, windows_failed, worst_t_ms;
    double phase_start_ms, phase_end_ms; /* where it was evaluated, if given */
    const char *coverage_text;           /* "7 of 16 scrapes (44%): 9 timed out", or NULL */
    const char *reason;                  /* why no-data, or NULL */
    bool lower_bound;                    /* measured is a lower bound (requests still waiting) */
} rp_hypothesis;

typedef struct rp_result {
    json_t *root;
    const char *faultline_version;
    const char *title, *description, *file;
    rp_verdict verdict;
    double exit_code;
    const char *abort_reason;
    const char *started, *ended;
    double duration_ms;
    rp_phase *phases;
    size_t n_phases;
    rp_fault *faults;
    size_t n_faults;
    rp_event *events;
    size_t n_events;
    double window_ms;
    rp_window *windows;
    size_t n_windows;
    rp_metric *metrics;
    size_t n_metrics;
    rp_hypothesis *hypotheses;
    size_t n_hypotheses;
    json_t *load;            /* the `faultline load --json` object, or NULL */
    json_t *stop_conditions; /* array of {name, metric, bound, threshold_text, for_ms}, or NULL */
    double reaction_ms;      /* from a stop condition's breach to rollback done */
} rp_result;

/* Parses and checks the document. FL_EINVAL names the first bad member. */
int rp_result_parse(const char *json_text, rp_result *out, fl_error *err);
void rp_result_free(rp_result *result);
const char *rp_verdict_name(rp_verdict verdict);   /* "pass", ... */
const char *rp_hyp_verdict_name(rp_hyp_verdict v); /* "pass", "fail", "no-data" */
/* The experiment's time span in ms: duration, or the last thing seen. */
double rp_result_span_ms(const rp_result *result);
/* Where a fault was in effect: applied (or planned, if never applied) to
 * rolled back (or planned end, or the end of the run). False if it never
 * had a window at all. */
bool rp_fault_window(const rp_result *result, const rp_fault *fault, double *start_ms, double *end_ms);
/* The span a hypothesis is evaluated over (its phase, or a fault's window;
 * the whole run when it names none). False when its phase never happened
 * (an aborted run has no "after"). */
bool rp_hypothesis_span(const rp_result *result, const rp_hypothesis *hyp, double *start_ms, double *end_ms);

/* ---- number formatting ---------------------------------------------------- */
/* "0.25 ms", "40 ms", "2.003 s", "1 min 30 s": a duration in ms for people. */
const char *rp_format_ms(double ms, char *buf, size_t len);
/* A plain number without needless digits: "1000", "0.5", "1.25e+06". */
const char *rp_format_number(double value, char *buf, size_t len);

/* ---- rendering --------------------------------------------------------------- */
void rp_render_html(const rp_result *result, fl_buffer *out);
void rp_render_junit(const rp_result *result, fl_buffer *out);

#endif
