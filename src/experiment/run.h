/* The state of one run, shared by the runner (runner.c) and the result
 * document writer (output/result.c). */
#ifndef FL_EXPERIMENT_RUN_H
#define FL_EXPERIMENT_RUN_H

#include "experiment/loads/load_source.h"
#include "experiment/metrics/evaluate.h"
#include "experiment/metrics/series.h"
#include "experiment/steps/step.h"

#include <jansson.h>

typedef enum step_state {
    STEP_PENDING,
    STEP_APPLYING,  /* started: being applied (it may be in effect already) */
    STEP_VERIFYING, /* applied: its effect is being measured */
    STEP_ACTIVE,
    STEP_ENDED,
    STEP_FAILED,
    STEP_SKIPPED /* never started: the run ended or was aborted first */
} step_state;

typedef struct step_run {
    step_state state;
    const step_ops *ops;
    void *self;             /* the implementation's; NULL if it could not be prepared */
    int64_t applied_us;     /* since t0: applying began (its phase starts here); -1 if not */
    int64_t in_place_us;    /* it was applied (in place on every target); -1 if not */
    int64_t verified_us;    /* its effect was measured; -1 if not */
    int64_t rolled_back_us; /* -1 if not */
    bool verified;
    char verification[512];
    char *applied_text;
    char error[512];
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
    const load_ops *load_ops; /* NULL: no load */
    void *load;
    json_t *load_result; /* the load's part of the result, taken when it ended */
    struct sampler **samplers;
    size_t n_samplers;
    uint64_t seed; /* selection seed for targets that name none */
    step_run *steps;
    /* the loop */
    bool method_started;
    int64_t last_progress_us;
    const char *last_phase;
    /* outcome */
    bool aborted, failed_fault;
    int exit_code;
    const char *verdict;
    char abort_reason[512];
    int64_t breach_us;     /* when a stop condition was breached, -1 if not */
    int64_t abort_done_us; /* when the rollback after an abort was done */
    bool method_skipped;
    /* stop-condition tracking */
    size_t *stop_seen;
    stop_tracker *stop_track;
    uint64_t errors_total, requests_total;
} run_state;

/* Adds an event to the timeline. */
void run_event(run_state *rs, const char *event, const char *fault, const char *detail);
int64_t run_now(const run_state *rs);
/* The phase boundaries, from what really happened. */
void run_phase_bounds(const run_state *rs, phase_kind phase, int step, int64_t *start, int64_t *end);
/* The samples of a condition's series as it reads them (free view.samples). */
series_view run_series_view(run_state *rs, size_t condition);
/* Builds the result document (docs/result-format.md). */
char *result_json(run_state *rs);

#endif
