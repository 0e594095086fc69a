/* Evaluating conditions over samples: hypotheses over a phase (with the
 * coverage they rest on) and stop conditions sample by sample. Pure
 * functions of the samples, unit-tested in tests/unit/test_evaluate.c. */
#ifndef FL_EXPERIMENT_EVALUATE_H
#define FL_EXPERIMENT_EVALUATE_H

#include "experiment/metrics/series.h"

typedef enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_NO_DATA } verdict;

/* The samples of one series as a condition reads them. */
typedef struct series_view {
    const sample *samples;
    size_t n;
    double scale;        /* stored value -> the metric's unit (1, or 1000 for seconds compared as ms) */
    int64_t interval_us; /* how often the source samples; 0: unknown (coverage then counts what came) */
    const char *noun;    /* "windows", "scrapes", "probes" */
} series_view;

typedef struct evaluation {
    verdict verdict;
    size_t expected;         /* samples the phase should hold at the source's cadence */
    size_t evaluated;        /* samples with a value */
    size_t failed;           /* ... that broke the bound */
    size_t missing;          /* samples in the phase without a value */
    size_t gaps[GAP_COUNT];  /* missing ones by why; gaps[GAP_NONE]: expected but never taken */
    double coverage;         /* evaluated / expected, 0..1 */
    double worst;            /* in the metric's unit: the highest for below, the lowest for above */
    bool worst_lower_bound;  /* the worst value is a lower bound (requests were still waiting) */
    int64_t worst_t_us;      /* -1 without a value */
    char coverage_text[256]; /* "6 of 20 scrapes (30%): 14 timed out" */
} evaluation;

bool condition_holds(const condition_def *cd, double value);
/* True when most of the sample's span lies in [start, end). */
bool sample_in_phase(const sample *s, int64_t start_us, int64_t end_us);
/* How many samples a phase holds at one per interval (at least 1 for a
 * phase of any length: a phase too short for one sample has no data). */
size_t expected_samples(int64_t start_us, int64_t end_us, int64_t interval_us);
/* A hypothesis over [start, end): FAIL when a sample breaks the bound; else
 * NO_DATA when no sample has a value or the coverage is below
 * cd->min_coverage; else PASS. */
void evaluate_condition(const condition_def *cd, const series_view *sv, int64_t start_us, int64_t end_us,
                        evaluation *out);
const char *verdict_name(verdict v);

/* The bounds of a phase from what happened: step k was applied at
 * applied[k] and rolled back at rolled_back[k] (-1: not; a step applied
 * and not rolled back lasts to run_end). before: from 0 to the first
 * application; during: from it to the last rollback; after: from then to
 * the end; a step: its own window; all: the whole run. A phase that never
 * happened is empty (start == end == run_end). */
void phase_bounds(const int64_t *applied, const int64_t *rolled_back, size_t n, int64_t run_end, phase_kind phase,
                  int step, int64_t *start, int64_t *end);

/* A stop condition fed one sample at a time, in order. A sample without a
 * value neither starts nor ends a breach (not seeing is not recovering). */
typedef struct stop_tracker {
    int64_t since_us; /* start of the current breach; -1 when none */
} stop_tracker;

/* Returns true when the breach has lasted cd->for_us, with when it has
 * (*breach_end_us) and the value that completed it (*value, in the
 * metric's unit). */
bool stop_feed(const condition_def *cd, stop_tracker *t, const sample *s, double scale, int64_t *breach_end_us,
               double *value);

#endif
