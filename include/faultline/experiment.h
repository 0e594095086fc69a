/* faultline experiments: one YAML file, one run.
 *
 * An experiment (docs/experiment.md) drives load against a service, injects
 * faults on a schedule, samples metrics (load latency and errors, probes,
 * Prometheus), evaluates hypotheses per window and over phases (before,
 * during, after), aborts on stop conditions, and always rolls every fault
 * back. The result is one JSON document (docs/result-format.md).
 *
 *     fl_error err;
 *     fl_experiment *exp = fl_experiment_load("exp.yaml", &err);
 *     if (!exp) { fprintf(stderr, "%s\n", err.message); return err.code; }
 *     fl_run_options opt = {.progress = show, .user = NULL};
 *     char *result = NULL;
 *     int code;                               // the verdict as an exit code: 0 1 3 4
 *     if (fl_experiment_run(exp, &opt, &result, &code, &err) != 0) { ... err: nothing ran ... }
 *     ... fl_report_write_all(result, "out", &err) ...
 *     free(result);
 *     fl_experiment_free(exp);
 *
 * Faults are started attached: if the calling process dies (even kill -9),
 * their supervisors roll them back.
 */
#ifndef FAULTLINE_EXPERIMENT_H
#define FAULTLINE_EXPERIMENT_H

#include "faultline.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fl_experiment fl_experiment;

/* Parses and validates an experiment. On error returns NULL with
 * err->code FL_EINVAL and err->message "file:line:column: field.path: what
 * is wrong" (err->field holds the field path). `name` is the file name
 * used in messages. Checks types, units, unknown keys, references between
 * steps and every attack parameter (fl_spec_set); does not look at the host. */
FL_API fl_experiment *fl_experiment_parse(const char *text, size_t len, const char *name, fl_error *err);
/* Reads and parses a file. */
FL_API fl_experiment *fl_experiment_load(const char *path, fl_error *err);
FL_API void fl_experiment_free(fl_experiment *exp);
FL_API const char *fl_experiment_title(const fl_experiment *exp);
/* Total planned length of the run, microseconds. */
FL_API int64_t fl_experiment_duration_us(const fl_experiment *exp);

/* Checks what depends on this host (fl_spec_validate of every step: target
 * processes exist, paths exist...). Errors carry the step's file:line:col. */
FL_API int fl_experiment_check_host(fl_experiment *exp, fl_error *err);

/* Dry run: calls `line` with each line of the plan (timeline, load, probes,
 * metrics, hypotheses, stop conditions, and every operation each attack would
 * perform with its undo). Applies nothing. */
typedef void (*fl_experiment_line_cb)(void *user, const char *line);
FL_API int fl_experiment_plan(fl_experiment *exp, fl_experiment_line_cb line, void *user, fl_error *err);

/* What the progress callback sees, about every second and at each event. */
typedef struct fl_run_progress {
    const char *phase;    /* "before", "during", "after", "rollback", "done" */
    const char *event;    /* a one-line event ("applied cache-latency"), or NULL */
    int64_t elapsed_us;   /* since the start */
    int64_t remaining_us; /* planned time left */
    int active_faults;
    const char *active; /* names of the active faults, comma-separated */
    double rate;        /* achieved load rate in the last window, per second */
    double p99_ms;      /* load p99 in the last window */
    uint64_t errors;    /* load errors so far */
    uint64_t requests;  /* load requests finished so far */
} fl_run_progress;

typedef void (*fl_run_progress_cb)(void *user, const fl_run_progress *progress);

typedef struct fl_run_options {
    fl_run_progress_cb progress; /* may be NULL */
    void *user;
    /* When *interrupt becomes non-zero (a signal number, set from a signal
     * handler), the run rolls back at once and ends as aborted (exit 3). */
    volatile sig_atomic_t *interrupt;
} fl_run_options;

/* Runs the experiment: steady state before, inject, observe, roll back,
 * steady state after. Rolls back every fault whatever happens. Returns 0
 * once the run took place, whatever its verdict: *result_json (free() it)
 * is the result document and *exit_code its verdict as an exit code (0
 * pass, 1 a hypothesis failed or had too little data, 3 aborted by a stop
 * condition or the interrupt, 4 a fault could not be applied, verified or
 * rolled back). Returns -1 with err when nothing ran: FL_EINVAL when the
 * host check fails (nothing applied), FL_EAPPLY when out of memory. */
FL_API int fl_experiment_run(fl_experiment *exp, const fl_run_options *opt, char **result_json, int *exit_code,
                             fl_error *err);

/* Writes the run's output into `dir` (created if missing): result.json,
 * junit.xml and report.html (fl_report_write_all). */
FL_API int fl_experiment_write_output(const char *result_json, const char *dir, fl_error *err);

/* The summary of a result document for a person, one line at a time:
 * verdict, abort reason, each fault (verified, UNVERIFIED, FAILED or
 * skipped), each hypothesis with its measured value, bound and coverage
 * ("18 of 20 windows (90%): 2 saw no request"). */
FL_API int fl_experiment_summary(const char *result_json, fl_experiment_line_cb line, void *user, fl_error *err);

/* One progress line ("during  12s/40s  cache-latency  1000 req/s  p99 2.1ms
 * errors 0  28s left") into buf. */
FL_API const char *fl_run_progress_format(const fl_run_progress *p, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
