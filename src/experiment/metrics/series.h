/* Sampled series: what the metric sources (load windows, probes, Prometheus
 * scrapes) produce and hypotheses and stop conditions read. A sample covers
 * a span of the run: a load window its second, a scrape the time since the
 * scrape before it (what a gauge "over the last second" or a histogram's
 * increase describes), a probe its interval. A sample without a value says
 * why it has none (its gap), so that a verdict can say what it is missing. */
#ifndef FL_EXPERIMENT_SERIES_H
#define FL_EXPERIMENT_SERIES_H

#include "experiment/model/model.h"

#include <pthread.h>

/* Why a sample has no value. */
typedef enum sample_gap {
    GAP_NONE = 0,
    GAP_TIMEOUT,     /* the source did not answer within its timeout */
    GAP_UNREACHABLE, /* no connection, or a transport error */
    GAP_HTTP_ERROR,  /* it answered with an HTTP error status */
    GAP_ABSENT,      /* it answered without the metric */
    GAP_NO_CHANGE,   /* a histogram or counter with nothing new since the scrape before (or the first scrape) */
    GAP_NO_REQUEST,  /* a load window that saw no request at all */
    GAP_NO_FINISHED, /* a load window in which no request finished (a ratio of nothing) */
    GAP_FAILED,      /* the probe ran but produced no such value */
    GAP_COUNT
} sample_gap;

/* "timed out", "could not connect", ...: completes "N of M scrapes: 14 ___". */
const char *sample_gap_text(sample_gap gap);
/* "timeout", "unreachable", ...: the result document's keys. */
const char *sample_gap_key(sample_gap gap);

typedef struct sample {
    int64_t t_us;   /* start of the span it covers, since the start of the run */
    int64_t len_us; /* length of that span */
    double value;
    bool valid;       /* false: no value, `gap` says why */
    bool lower_bound; /* the value is a lower bound (a load window with requests still waiting) */
    uint8_t gap;      /* sample_gap */
} sample;

typedef struct series {
    char *name;
    metric_unit unit;
    double to_unit;      /* factor from stored values to `unit` (0: 1); a Prometheus metric in seconds shown in ms */
    int64_t interval_us; /* how often its source samples (0: unknown yet) */
    const char *noun;    /* what one sample is: "windows", "scrapes", "probes" */
    sample *samples;
    size_t n, cap;
} series;

typedef struct series_store {
    pthread_mutex_t lock;
    series *all;
    size_t n;
} series_store;

void store_init(series_store *st);
void store_destroy(series_store *st);
/* Returns the index of the named series, creating it. */
size_t store_series(series_store *st, const char *name, metric_unit unit);
void store_add(series_store *st, size_t index, sample s);
void store_set_unit(series_store *st, size_t index, metric_unit unit, double to_unit);
/* How often the series' source samples, and what a sample is called. */
void store_set_cadence(series_store *st, size_t index, int64_t interval_us, const char *noun);
/* Copies samples [from, ...) of a series; returns how many (allocates *out). */
size_t store_copy(series_store *st, size_t index, size_t from, sample **out);
/* Copies a series' description (name and samples not copied). */
series store_describe(series_store *st, size_t index);

/* Background samplers (probes.c, prometheus.c): one thread each. */
typedef struct sampler sampler;
sampler *probe_sampler_start(const probe_def *probe, series_store *st, int64_t t0_mono_us, fl_error *err);
sampler *prom_sampler_start(const prom_expr *expr, int64_t interval_us, int64_t timeout_us, series_store *st,
                            size_t series_index, int64_t t0_mono_us, fl_error *err);
void sampler_stop(sampler *s);
/* Names of the series a probe feeds, for metric lookup. */
void probe_series_name(const char *probe, probe_field field, char *buf, size_t len);
const char *probe_field_name(probe_field f);

#endif
