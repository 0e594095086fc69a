/* Evaluating a condition over samples. Semantics (docs/experiment.md,
 * "Verdicts and coverage"): every sample whose span lies mostly inside the
 * phase counts. A hypothesis fails when one of them breaks its bound; it
 * passes only when none does *and* enough of the phase was seen: the
 * samples with a value must reach min-coverage of the samples the source
 * should have produced at its cadence. Missing samples are never read as
 * good: a metric that is hardest to observe exactly when the service is
 * sick would otherwise pass on the few samples that got through. */
#include "experiment/metrics/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool condition_holds(const condition_def *cd, double value) {
    switch (cd->bound) {
    case BOUND_BELOW: return value < cd->threshold;
    case BOUND_ABOVE: return value > cd->threshold;
    }
    return false;
}

/* Is `worse` worse than `than` for this bound? */
static bool worse_than(const condition_def *cd, double worse, double than) {
    switch (cd->bound) {
    case BOUND_BELOW: return worse > than;
    case BOUND_ABOVE: return worse < than;
    }
    return false;
}

bool sample_in_phase(const sample *s, int64_t start_us, int64_t end_us) {
    if (end_us <= start_us)
        return false;
    int64_t len = s->len_us > 0 ? s->len_us : 1;
    int64_t lo = s->t_us > start_us ? s->t_us : start_us;
    int64_t hi = s->t_us + len < end_us ? s->t_us + len : end_us;
    return hi > lo && (hi - lo) * 2 > len;
}

size_t expected_samples(int64_t start_us, int64_t end_us, int64_t interval_us) {
    if (end_us <= start_us || interval_us <= 0)
        return 0;
    size_t n = (size_t)((end_us - start_us + interval_us / 2) / interval_us);
    return n ? n : 1;
}

/* "6 of 20 scrapes (30%): 14 timed out, 2 not taken" */
static void describe_coverage(evaluation *ev, const char *noun) {
    char *buf = ev->coverage_text;
    size_t len = sizeof(ev->coverage_text);
    int n = snprintf(buf, len, "%zu of %zu %s (%.0f%%)", ev->evaluated, ev->expected, noun ? noun : "samples",
                     ev->coverage * 100);
    const char *sep = ": ";
    for (int g = 1; g <= GAP_COUNT; g++) {
        int gap = g % GAP_COUNT; /* GAP_NONE ("not taken") last */
        if (!ev->gaps[gap] || n < 0 || (size_t)n >= len)
            continue;
        n += snprintf(buf + n, len - (size_t)n, "%s%zu %s", sep, ev->gaps[gap], sample_gap_text((sample_gap)gap));
        sep = ", ";
    }
}

void evaluate_condition(const condition_def *cd, const series_view *sv, int64_t start_us, int64_t end_us,
                        evaluation *out) {
    *out = (evaluation){.worst_t_us = -1};
    for (size_t i = 0; i < sv->n; i++) {
        const sample *s = &sv->samples[i];
        if (!sample_in_phase(s, start_us, end_us))
            continue;
        if (!s->valid) {
            out->missing++;
            out->gaps[s->gap < GAP_COUNT && s->gap != GAP_NONE ? s->gap : GAP_FAILED]++;
            continue;
        }
        double v = s->value * sv->scale;
        out->evaluated++;
        if (!condition_holds(cd, v))
            out->failed++;
        if (out->evaluated == 1 || worse_than(cd, v, out->worst)) {
            out->worst = v;
            out->worst_t_us = s->t_us;
            out->worst_lower_bound = s->lower_bound;
        }
    }
    /* Without a known cadence, what came is what was expected. */
    size_t present = out->evaluated + out->missing;
    out->expected = sv->interval_us > 0 ? expected_samples(start_us, end_us, sv->interval_us) : present;
    if (out->expected < present) /* a sample straddling an edge of the phase */
        out->expected = present;
    out->gaps[GAP_NONE] = out->expected - present;
    out->coverage = out->expected ? (double)out->evaluated / (double)out->expected : 0;
    describe_coverage(out, sv->noun);
    if (out->failed)
        out->verdict = VERDICT_FAIL;
    else if (out->evaluated == 0 || out->coverage + 1e-9 < cd->min_coverage)
        out->verdict = VERDICT_NO_DATA;
    else
        out->verdict = VERDICT_PASS;
}

const char *verdict_name(verdict v) {
    static const char *const names[] = {"pass", "fail", "no-data"};
    return names[v];
}

bool stop_feed(const condition_def *cd, stop_tracker *t, const sample *s, double scale, int64_t *breach_end_us,
               double *value) {
    if (!s->valid)
        return false;
    double v = s->value * scale;
    /* A stop condition is written as the bad state: "above 50%". */
    if (!condition_holds(cd, v)) {
        t->since_us = -1;
        return false;
    }
    if (t->since_us < 0)
        t->since_us = s->t_us;
    int64_t end = s->t_us + (s->len_us > 0 ? s->len_us : 0);
    if (end - t->since_us < cd->for_us)
        return false;
    *breach_end_us = end;
    *value = v;
    return true;
}

void phase_bounds(const int64_t *applied, const int64_t *rolled_back, size_t n, int64_t run_end, phase_kind phase,
                  int step, int64_t *start, int64_t *end) {
    int64_t first = -1, last = -1;
    for (size_t i = 0; i < n; i++) {
        if (applied[i] >= 0 && (first < 0 || applied[i] < first))
            first = applied[i];
        int64_t end_i = rolled_back[i] >= 0 ? rolled_back[i] : (applied[i] >= 0 ? run_end : -1);
        if (end_i > last)
            last = end_i;
    }
    switch (phase) {
    case PHASE_BEFORE:
        *start = 0;
        *end = first >= 0 ? first : run_end;
        break;
    case PHASE_DURING:
        *start = first >= 0 ? first : run_end;
        *end = first >= 0 ? last : run_end;
        break;
    case PHASE_AFTER:
        *start = last >= 0 ? last : run_end;
        *end = run_end;
        break;
    case PHASE_STEP:
        *start = applied[step] >= 0 ? applied[step] : run_end;
        *end = applied[step] >= 0 ? (rolled_back[step] >= 0 ? rolled_back[step] : run_end) : run_end;
        break;
    case PHASE_ALL:
        *start = 0;
        *end = run_end;
        break;
    }
}
