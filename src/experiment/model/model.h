/* The experiment model: what the parser (model/parse.c) builds from the
 * file and every other part of src/experiment reads. Every element keeps the
 * line and column it came from, so that errors found late (at the host
 * check) still point into the file. */
#ifndef FL_EXPERIMENT_MODEL_H
#define FL_EXPERIMENT_MODEL_H

#include "faultline.h"
#include "faultline/experiment.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fl_mark {
    int line, column; /* 1-based */
} fl_mark;

/* ---- metrics ---------------------------------------------------------- */
typedef enum metric_kind {
    METRIC_LOAD_P50,
    METRIC_LOAD_P90,
    METRIC_LOAD_P99,
    METRIC_LOAD_P999,
    METRIC_LOAD_MAX,
    METRIC_LOAD_ERRORS_RATIO,
    METRIC_LOAD_RATE,
    METRIC_LOAD_LATE,
    METRIC_PROBE,      /* probe.<name>.<field> */
    METRIC_PROMETHEUS, /* prometheus:URL#expr */
} metric_kind;

/* The unit a metric is compared and shown in. */
typedef enum metric_unit {
    UNIT_MS,    /* durations, shown as durations */
    UNIT_RATIO, /* 0..1, shown as a percentage */
    UNIT_RATE,  /* per second */
    UNIT_COUNT, /* plain numbers */
} metric_unit;

typedef enum probe_field {
    PROBE_OK,      /* 1 when the probe's expectations held, else 0 */
    PROBE_LATENCY, /* ms */
    PROBE_STATUS,  /* HTTP status */
    PROBE_EXIT,    /* command exit status */
    PROBE_VALUE,   /* the number a command printed */
} probe_field;

typedef enum prom_func {
    PROM_VALUE,    /* gauge (several series: the largest) */
    PROM_MAX,      /* largest over matching series */
    PROM_SUM,      /* sum over matching series */
    PROM_RATE,     /* counter increase per second between scrapes */
    PROM_QUANTILE, /* histogram quantile of observations between scrapes */
} prom_func;

#define PROM_MAX_LABELS 8

typedef struct prom_expr {
    char *url;
    char *name;
    prom_func func;
    double quantile; /* 0..1 */
    size_t n_labels;
    char *label_names[PROM_MAX_LABELS];
    char *label_values[PROM_MAX_LABELS];
} prom_expr;

typedef struct metric_ref {
    char *text; /* as written */
    metric_kind kind;
    metric_unit unit;
    int probe; /* METRIC_PROBE: index into probes */
    probe_field probe_field;
    int prom;           /* METRIC_PROMETHEUS: index into exp->proms */
    bool seconds_to_ms; /* Prometheus value in seconds compared as a duration */
} metric_ref;

/* ---- probes ----------------------------------------------------------- */
typedef enum probe_type { PROBE_HTTP, PROBE_TCP, PROBE_COMMAND } probe_type;

typedef struct probe_def {
    char *name;
    fl_mark mark;
    probe_type type;
    int64_t interval_us;
    int64_t timeout_us;
    /* http */
    char *url;
    char *method;
    long expect_status; /* 0: any 2xx/3xx */
    char *body_regex;   /* ERE the body must match, or NULL */
    /* tcp */
    char *host;
    int port;
    /* command */
    char **argv;
    size_t argc;
} probe_def;

/* ---- targets: where a step's fault (or the load) runs -------------------- */
typedef enum target_kind { TARGET_LOCAL, TARGET_SSH, TARGET_SSM } target_kind;

typedef struct target_def {
    target_kind kind;
    fl_mark mark;
    /* ssh: hosts of an inventory, chosen at the start of the run */
    char *inventory;          /* as written */
    struct fl_inventory *inv; /* loaded when the file is parsed */
    bool owns_inventory;
    char *select, *mode, *max_concurrency, *max_errors;
    bool has_seed;
    uint64_t seed;
    int64_t lease_us;
    /* ssm: SendCommand options (fl_ssm_request_option pairs) and the client
     * configuration; credentials are read when the run starts */
    char **ssm_names, **ssm_values;
    size_t n_ssm;
    char *ssm_region, *ssm_profile, *ssm_endpoint;
    int64_t ssm_poll_us; /* how often to poll the command's status */
} target_def;

/* ---- load ------------------------------------------------------------- */
typedef struct load_def {
    bool present;
    bool is_command;
    fl_mark mark;
    fl_load_config *http; /* the built-in HTTP load */
    char **argv;          /* command load */
    size_t argc;
    int64_t interval_us; /* pause between command runs */
    int64_t timeout_us;  /* per command run */
    int64_t duration_us;
    char *url_text; /* for display */
    char *rate_text;
    /* http: the options as written, to run the same load on fleet hosts */
    char **http_names, **http_values;
    size_t n_http;
    target_def *from; /* NULL: the controller sends the load */
} load_def;

/* ---- method ----------------------------------------------------------- */
typedef struct step_def {
    char *name;
    fl_mark mark;
    fl_mark with_mark;
    char *attack;
    fl_spec *spec;
    char **param_names; /* as given, for the result document */
    char **param_values;
    size_t n_params;
    int64_t start_us;    /* offset: from the start, or from the end of `after` */
    int after;           /* index of the step it follows, -1 if none */
    int64_t duration_us; /* 0 for instant attacks */
    bool instant;
    int64_t planned_start_us, planned_end_us; /* from the start of the run */
    /* network verification, when the attack names one host and one port */
    fl_observe observe; /* how a TCP connect sees it; FL_OBSERVE_NONE: not checked that way */
    char *verify_host;
    int verify_port;
    int64_t verify_delay_us;    /* latency attacks: the delay expected */
    const target_def *target;   /* NULL: this host */
    target_def *own_target;     /* the step's own targets:, if given */
    struct fl_ssm_request *ssm; /* ssm targets: the validated SendCommand */
} step_def;

/* ---- hypotheses and stop conditions ----------------------------------- */
typedef enum bound_kind { BOUND_BELOW, BOUND_ABOVE } bound_kind;

typedef enum phase_kind { PHASE_BEFORE, PHASE_DURING, PHASE_AFTER, PHASE_STEP, PHASE_ALL } phase_kind;

typedef struct condition_def {
    char *name;
    fl_mark mark;
    metric_ref metric;
    phase_kind phase;
    int step; /* PHASE_STEP */
    bound_kind bound;
    double threshold; /* in the metric's unit */
    char *threshold_text;
    int64_t for_us;      /* stop conditions: how long the breach must last */
    double min_coverage; /* hypotheses: share of the expected samples needed, 0..1 */
} condition_def;

typedef struct rollback_def {
    fl_mark mark;
    char **argv;
    size_t argc;
    int64_t timeout_us;
} rollback_def;

struct fl_experiment {
    char *file;
    char *title;
    char *description;
    target_def *targets; /* the default for every step; NULL: this host */
    int64_t duration_us;
    load_def load;
    probe_def *probes;
    size_t n_probes;
    prom_expr *proms; /* distinct Prometheus expressions */
    size_t n_proms;
    int64_t prom_interval_us;
    int64_t prom_timeout_us;
    step_def *steps;
    size_t n_steps;
    condition_def *hypotheses;
    size_t n_hypotheses;
    double min_coverage; /* the default for every hypothesis */
    condition_def *stops;
    size_t n_stops;
    rollback_def *rollbacks;
    size_t n_rollbacks;
};

void target_def_free(target_def *t);

/* ---- helpers shared by the files of this folder ----------------------- */
void exp_free_argv(char **argv, size_t argc);
/* "file:line:col: path: message" into err (FL_EINVAL). */
void exp_error_at(fl_error *err, const char *file, fl_mark mark, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* metrics.c */
int metric_parse(fl_experiment *exp, const char *text, metric_ref *out, char *why, size_t why_len);
void metric_free(metric_ref *m);
/* Parses a threshold in the metric's unit; returns 0 or -1 with why. */
int metric_threshold(metric_ref *m, const char *text, double *out, char *why, size_t why_len);
/* Formats a value in the metric's unit ("2.003s", "12.5%", "998.0/s"). */
const char *metric_format(const metric_ref *m, double value, char *buf, size_t len);
const char *metric_unit_name(metric_unit unit);

/* prometheus.c: parsing of "URL#expr" and of the exposition format */
int prom_expr_parse(const char *text, prom_expr *out, char *why, size_t why_len);
void prom_expr_free(prom_expr *e);
bool prom_expr_same(const prom_expr *a, const prom_expr *b);

/* ---- helpers shared by the files of src/experiment --------------------- */
/* One TCP connect to host:port: its time in microseconds, or -1 if it
 * failed within timeout_us (why says how). */
int64_t tcp_connect_time(const char *host, int port, int64_t timeout_us, char *why, size_t why_len);

/* command.c: runs argv (never a shell) with a timeout; stdout captured
 * (first 4 KiB) when out is non-NULL. Returns the exit status, 128+signal,
 * or -1 if it could not be started (why says why). */
int exp_run_command(char *const *argv, int64_t timeout_us, char *out, size_t out_len, char *why, size_t why_len);

#endif
