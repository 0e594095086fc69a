/* The sampler thread shared by probes and Prometheus scrapes. */
#ifndef FL_EXPERIMENT_SAMPLER_H
#define FL_EXPERIMENT_SAMPLER_H

#include "experiment/metrics/series.h"

struct sampler {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    int64_t interval_us;
    int64_t t0_mono_us;
    series_store *store;
    void (*take)(sampler *s);    /* one sample, called from the thread */
    void (*cleanup)(sampler *s); /* after the thread ended */
    void *data;
};

/* Starts the thread; the caller filled interval_us, take, data... */
int sampler_launch(sampler *s);

#endif
