/* Load sources: where an experiment's load comes from. One small interface
 * (like wrk's `struct sock`: the runner holds a pointer to a table of
 * operations and never asks which kind it has), three implementations:
 *   load_http.c     the built-in open-loop HTTP load (fl_load), from here
 *   load_command.c  a program run in a loop (one at a time)
 *   load_hosts.c    `faultline load --stream` on fleet hosts, merged
 * Each turns what it measures into windows of the run's time line. */
#ifndef FL_EXPERIMENT_LOAD_SOURCE_H
#define FL_EXPERIMENT_LOAD_SOURCE_H

#include "experiment/model/model.h"

#include <jansson.h>

/* One window of load, in the run's time. Latency values are over what the
 * window saw (fl_load_window): finished requests, and the ones still
 * waiting at its end at their age (then they are lower bounds). */
typedef struct exp_window {
    int64_t t_us, len_us; /* since the start of the run */
    uint32_t requests, errors, late, sent;
    uint32_t latency_count;          /* values behind the percentiles; 0: no latency (absent) */
    uint32_t waiting;                /* requests still waiting at the window's end */
    double p50, p90, p99, p999, max; /* ms */
    double oldest_waiting;           /* ms */
} exp_window;

typedef struct load_ops {
    const char *kind; /* "http", "command", "hosts": for the result document */
    /* Starts the load. t0: the run's start (monotonic and wall clock, us);
     * seed: the run's selection seed. NULL with err when it did not start. */
    void *(*start)(const load_def *def, int64_t t0_mono_us, int64_t t0_wall_us, uint64_t seed, fl_error *err);
    /* Copies completed windows from index `from` on; returns how many. */
    size_t (*windows)(void *self, size_t from, exp_window *out, size_t max);
    /* Waits up to timeout_ms for a window to complete (or just sleeps). */
    void (*wait)(void *self, int timeout_ms);
    bool (*finished)(void *self);
    /* Stops early; the last window is closed. Idempotent. */
    void (*stop)(void *self);
    /* The load's part of the result document (docs/result-format.md). */
    json_t *(*result)(void *self, int64_t t0_mono_us);
    void (*free)(void *self);
} load_ops;

/* The source for a load definition, or NULL when the experiment has none. */
const load_ops *load_source_for(const load_def *def);

extern const load_ops load_http_ops, load_command_ops, load_hosts_ops;

/* The window of a load from an fl_load window; offset_us: the run time at
 * which the load started. */
void exp_window_from_load(const fl_load_window *lw, int64_t offset_us, exp_window *out);

/* Windows of the same index sent from several hosts merge into one: counts
 * add up (exp_window_add; the first part sets the span), and the latency is
 * that of the union of what they saw, from the merged histogram
 * (exp_window_latency): the percentiles of all the requests, not a bound. */
void exp_window_add(exp_window *into, const exp_window *part, bool first);
void exp_window_latency(exp_window *w, const fl_hist *seen);

#endif
