/* Evaluation of hypotheses (over a phase) and of single samples (stop
 * conditions). */
#ifndef FL_EXPERIMENT_HYPOTHESIS_H
#define FL_EXPERIMENT_HYPOTHESIS_H

#include "experiment/internal.h"

typedef enum verdict { VERDICT_PASS, VERDICT_FAIL, VERDICT_NO_DATA } verdict;

typedef struct evaluation {
    verdict verdict;
    size_t evaluated, failed, missing;
    double worst; /* in the metric's unit */
    int64_t worst_t_us;
} evaluation;

bool condition_holds(const condition_def *cd, double value);
/* True when most of the sample's span lies in [start, end). */
bool sample_in_phase(const sample *s, int64_t start_us, int64_t end_us);
/* `scale` converts the stored value into the metric's unit (1, or 1000 for
 * a Prometheus metric in seconds compared with a duration). */
void evaluate_condition(const condition_def *cd, const sample *samples, size_t n, int64_t start_us, int64_t end_us,
                        double scale, evaluation *out);
const char *verdict_name(verdict v);

#endif
