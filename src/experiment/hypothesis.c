/* Evaluating a condition over samples. Semantics (docs/experiment.md):
 * every sample (a load window, a probe result, a scrape) whose span lies
 * mostly inside the phase is checked against the bound; a hypothesis holds
 * when every one of them does, and the value shown is the worst one (the
 * highest for `below`, the lowest for `above`). A phase with no sample at
 * all gives "no-data", which is not a pass. */
#include "experiment/hypothesis.h"

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

void evaluate_condition(const condition_def *cd, const sample *samples, size_t n, int64_t start_us, int64_t end_us,
                        double scale, evaluation *out) {
    *out = (evaluation){.worst_t_us = -1};
    for (size_t i = 0; i < n; i++) {
        const sample *s = &samples[i];
        if (!sample_in_phase(s, start_us, end_us))
            continue;
        if (!s->valid) {
            out->missing++;
            continue;
        }
        double v = s->value * scale;
        out->evaluated++;
        if (!condition_holds(cd, v))
            out->failed++;
        if (out->evaluated == 1 || worse_than(cd, v, out->worst)) {
            out->worst = v;
            out->worst_t_us = s->t_us;
        }
    }
    out->verdict = out->evaluated == 0 ? VERDICT_NO_DATA : out->failed ? VERDICT_FAIL : VERDICT_PASS;
}

const char *verdict_name(verdict v) {
    static const char *const names[] = {"pass", "fail", "no-data"};
    return names[v];
}
