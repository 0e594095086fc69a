/* The state of one run, shared by the runner (runner.c) and the result
 * document writer (result.c). */
#ifndef FL_EXPERIMENT_RUN_H
#define FL_EXPERIMENT_RUN_H

#include "experiment/hypothesis.h"
#include "experiment/internal.h"

#include <jansson.h>

typedef enum step_state {
    STEP_PENDING,
    STEP_APPLYING, /* remote: started on the targets, not yet applied on all */
    STEP_ACTIVE,
    STEP_ENDED,
    STEP_FAILED,
    STEP_SKIPPED
} step_state;

typedef struct step_run {
    step_state state;
    fl_fault *fault;
    char id[40];
    int64_t applied_us, verified_us, rolled_back_us; /* since t0; -1 if not */
    bool verified;
    char verification[512];
    char *applied_text;
    char error[512];
    int64_t baseline_connect_us; /* -1: not measured or failed */
    char baseline_why[128];
    /* a step on other hosts (remote.h) */
    const struct remote_ops *rops;
    void *remote;
} step_run;

typedef struct run_state {
    fl_experiment *exp;
    const fl_run_options *opt;
    int64_t t0_mono_us, t0_wall_us, end_us;
    json_t *timeline;
    series_store store;
    size_t *metric_series; /* per hypothesis then per stop condition */
    exp_window *windows;
    size_t n_windows, cap_windows;
    fl_load *load;
    cmdload *cmd;
    struct remote_load *rload; /* load sent from fleet hosts */
    uint64_t seed;             /* selection seed for targets that name none */
    step_run *steps;
    /* outcome */
    int exit_code;
    const char *verdict;
    char abort_reason[512];
    int64_t breach_us;     /* when a stop condition was breached, -1 if not */
    int64_t abort_done_us; /* when the rollback after an abort was done */
    bool method_skipped;
    /* stop-condition tracking */
    size_t *stop_seen;
    int64_t *stop_since;
    uint64_t errors_total, requests_total;
} run_state;

/* Adds an event to the timeline. */
void run_event(run_state *rs, const char *event, const char *fault, const char *detail);
int64_t run_now(const run_state *rs);
/* The phase boundaries, from what really happened. */
void run_phase_bounds(const run_state *rs, phase_kind phase, int step, int64_t *start, int64_t *end);
/* Builds the result document (docs/result-format.md). */
char *result_json(run_state *rs);

#endif
