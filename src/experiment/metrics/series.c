/* Sampled series shared between the sampler threads (probes, Prometheus
 * scrapes) and the runner, and the sampler thread itself: a loop that takes
 * one sample per interval until it is told to stop. */
#include "experiment/metrics/series.h"
#include "core/internal.h"
#include "experiment/metrics/sampler.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void store_init(series_store *st) {
    memset(st, 0, sizeof(*st));
    pthread_mutex_init(&st->lock, NULL);
}

void store_destroy(series_store *st) {
    for (size_t i = 0; i < st->n; i++) {
        free(st->all[i].name);
        free(st->all[i].samples);
    }
    free(st->all);
    pthread_mutex_destroy(&st->lock);
}

size_t store_series(series_store *st, const char *name, metric_unit unit) {
    pthread_mutex_lock(&st->lock);
    size_t i;
    for (i = 0; i < st->n; i++)
        if (strcmp(st->all[i].name, name) == 0)
            break;
    if (i == st->n) {
        st->all = fl_xreallocarray(st->all, st->n + 1, sizeof(series));
        st->all[i] = (series){.name = fl_xstrdup(name), .unit = unit};
        st->n++;
    }
    pthread_mutex_unlock(&st->lock);
    return i;
}

void store_set_unit(series_store *st, size_t index, metric_unit unit, double to_unit) {
    pthread_mutex_lock(&st->lock);
    st->all[index].unit = unit;
    st->all[index].to_unit = to_unit;
    pthread_mutex_unlock(&st->lock);
}

void store_add(series_store *st, size_t index, sample s) {
    pthread_mutex_lock(&st->lock);
    series *se = &st->all[index];
    if (se->n == se->cap) {
        se->cap = se->cap ? se->cap * 2 : 64;
        se->samples = fl_xreallocarray(se->samples, se->cap, sizeof(sample));
    }
    se->samples[se->n++] = s;
    pthread_mutex_unlock(&st->lock);
}

void store_set_cadence(series_store *st, size_t index, int64_t interval_us, const char *noun) {
    pthread_mutex_lock(&st->lock);
    st->all[index].interval_us = interval_us;
    st->all[index].noun = noun;
    pthread_mutex_unlock(&st->lock);
}

series store_describe(series_store *st, size_t index) {
    pthread_mutex_lock(&st->lock);
    series d = st->all[index];
    pthread_mutex_unlock(&st->lock);
    d.samples = NULL;
    d.n = d.cap = 0;
    return d;
}

static const char *const gap_texts[GAP_COUNT][2] = {
    [GAP_NONE] = {"not taken", "not_taken"},
    [GAP_TIMEOUT] = {"timed out", "timeout"},
    [GAP_UNREACHABLE] = {"could not connect", "unreachable"},
    [GAP_HTTP_ERROR] = {"answered with an HTTP error", "http_error"},
    [GAP_ABSENT] = {"lacked the metric", "absent"},
    [GAP_NO_CHANGE] = {"had no new observation", "no_change"},
    [GAP_NO_REQUEST] = {"saw no request", "no_request"},
    [GAP_NO_FINISHED] = {"had no finished request", "no_finished_request"},
    [GAP_FAILED] = {"failed", "failed"},
};

const char *sample_gap_text(sample_gap gap) { return gap < GAP_COUNT ? gap_texts[gap][0] : "?"; }
const char *sample_gap_key(sample_gap gap) { return gap < GAP_COUNT ? gap_texts[gap][1] : "?"; }

size_t store_copy(series_store *st, size_t index, size_t from, sample **out) {
    pthread_mutex_lock(&st->lock);
    series *se = &st->all[index];
    size_t n = se->n > from ? se->n - from : 0;
    *out = fl_xmalloc((n ? n : 1) * sizeof(sample));
    if (n)
        memcpy(*out, se->samples + from, n * sizeof(sample));
    pthread_mutex_unlock(&st->lock);
    return n;
}

/* ---- the sampler thread ------------------------------------------------ */
static void *sampler_main(void *arg) {
    sampler *s = arg;
    int64_t next = fl_mono_us();
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        pthread_mutex_unlock(&s->lock);
        s->take(s);
        next += s->interval_us;
        int64_t now = fl_mono_us();
        if (next < now) /* a slow sample: skip the missed slots, never burst */
            next = now;
        pthread_mutex_lock(&s->lock);
        while (!s->stop) {
            now = fl_mono_us();
            if (now >= next)
                break;
            struct timespec deadline = fl_mono_deadline(next - now);
            pthread_cond_timedwait(&s->cond, &s->lock, &deadline);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int sampler_launch(sampler *s) {
    fl_mono_cond_init(&s->cond);
    pthread_mutex_init(&s->lock, NULL);
    if (pthread_create(&s->thread, NULL, sampler_main, s) != 0) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        return -1;
    }
    return 0;
}

void sampler_stop(sampler *s) {
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    if (s->cleanup)
        s->cleanup(s);
    free(s);
}
