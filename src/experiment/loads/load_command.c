/* The load of an experiment as a program run in a loop ("a test that calls
 * the endpoint"): one run at a time, `interval` apart, each bounded by
 * `timeout`. A run is a request: its duration is its latency, a non-zero
 * exit status is an error. Runs are counted in the one-second window in
 * which they end, like the HTTP load's requests. */
#include "core/internal.h"
#include "experiment/loads/load_source.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WINDOW_US 1000000

typedef struct cmdload {
    const load_def *def;
    int64_t t0_mono_us;
    pthread_t thread;
    pthread_mutex_t lock;
    volatile bool stop;
    bool finished;
    exp_window *windows;
    size_t n, cap;
    /* the window being filled (owned by the thread) */
    fl_hist *hist;
    exp_window cur;
    uint64_t runs, failed;
    char last_error[256];
} cmdload;

static void close_window(cmdload *cl, int64_t end_us) {
    exp_window w = cl->cur;
    w.len_us = end_us - w.t_us;
    w.latency_count = (uint32_t)fl_hist_count(cl->hist);
    if (w.latency_count) {
        double ps[] = {50, 90, 99, 99.9};
        int64_t out[4];
        fl_hist_percentiles(cl->hist, ps, 4, out);
        w.p50 = (double)out[0] / 1000;
        w.p90 = (double)out[1] / 1000;
        w.p99 = (double)out[2] / 1000;
        w.p999 = (double)out[3] / 1000;
        w.max = (double)fl_hist_max(cl->hist) / 1000;
    }
    pthread_mutex_lock(&cl->lock);
    if (cl->n == cl->cap) {
        cl->cap = cl->cap ? cl->cap * 2 : 64;
        cl->windows = fl_xreallocarray(cl->windows, cl->cap, sizeof(exp_window));
    }
    cl->windows[cl->n++] = w;
    pthread_mutex_unlock(&cl->lock);
    fl_hist_reset(cl->hist);
    memset(&cl->cur, 0, sizeof(cl->cur));
    cl->cur.t_us = end_us;
}

static void close_due_windows(cmdload *cl, int64_t now_us) {
    while (now_us >= cl->cur.t_us + WINDOW_US)
        close_window(cl, cl->cur.t_us + WINDOW_US);
}

static void *loop_main(void *arg) {
    cmdload *cl = arg;
    const load_def *d = cl->def;
    while (!cl->stop) {
        int64_t start = fl_mono_us();
        if (start - cl->t0_mono_us >= d->duration_us)
            break;
        char why[256];
        int status = exp_run_command(d->argv, d->timeout_us, NULL, 0, why, sizeof(why));
        int64_t end = fl_mono_us();
        close_due_windows(cl, end - cl->t0_mono_us);
        cl->cur.requests++;
        cl->cur.sent++;
        cl->runs++;
        fl_hist_record(cl->hist, end - start);
        if (status != 0) {
            cl->cur.errors++;
            cl->failed++;
            if (status > 0)
                snprintf(why, sizeof(why), "exit status %d", status);
            pthread_mutex_lock(&cl->lock);
            snprintf(cl->last_error, sizeof(cl->last_error), "%s", why);
            pthread_mutex_unlock(&cl->lock);
        }
        for (int64_t slept = 0; slept < d->interval_us && !cl->stop; slept += 10000)
            usleep((useconds_t)(d->interval_us - slept < 10000 ? d->interval_us - slept : 10000));
    }
    int64_t now = fl_mono_us() - cl->t0_mono_us;
    if (now > d->duration_us)
        now = d->duration_us;
    close_due_windows(cl, now);
    if (now > cl->cur.t_us)
        close_window(cl, now);
    pthread_mutex_lock(&cl->lock);
    cl->finished = true;
    pthread_mutex_unlock(&cl->lock);
    return NULL;
}

static void *cmdload_start(const load_def *def, int64_t t0_mono_us, int64_t t0_wall_us, uint64_t seed, fl_error *err) {
    (void)t0_wall_us, (void)seed;
    cmdload *cl = fl_xcalloc(1, sizeof(*cl));
    cl->def = def;
    cl->t0_mono_us = t0_mono_us;
    cl->hist = fl_hist_new();
    cl->cur.t_us = fl_mono_us() - t0_mono_us;
    pthread_mutex_init(&cl->lock, NULL);
    if (pthread_create(&cl->thread, NULL, loop_main, cl) != 0) {
        fl_hist_free(cl->hist);
        pthread_mutex_destroy(&cl->lock);
        free(cl);
        fl_fail(err, FL_EAPPLY, "load", "could not start the load thread");
        return NULL;
    }
    return cl;
}

static size_t cmdload_windows(void *self, size_t from, exp_window *out, size_t max) {
    cmdload *cl = self;
    pthread_mutex_lock(&cl->lock);
    size_t n = 0;
    for (size_t i = from; i < cl->n && n < max; i++)
        out[n++] = cl->windows[i];
    pthread_mutex_unlock(&cl->lock);
    return n;
}

static bool cmdload_finished(void *self) {
    cmdload *cl = self;
    pthread_mutex_lock(&cl->lock);
    bool f = cl->finished;
    pthread_mutex_unlock(&cl->lock);
    return f;
}

static void cmdload_stop(void *self) {
    cmdload *cl = self;
    if (cl->stop)
        return;
    cl->stop = true;
    pthread_join(cl->thread, NULL);
}

static void cmdload_wait(void *self, int timeout_ms) {
    (void)self;
    usleep((useconds_t)timeout_ms * 1000);
}

static json_t *cmdload_result(void *self, int64_t t0_mono_us) {
    cmdload *cl = self;
    (void)t0_mono_us;
    pthread_mutex_lock(&cl->lock);
    json_t *o =
        json_pack("{s:s,s:I,s:I,s:o}", "kind", "command", "runs", (json_int_t)cl->runs, "failed",
                  (json_int_t)cl->failed, "last_error", cl->last_error[0] ? json_string(cl->last_error) : json_null());
    pthread_mutex_unlock(&cl->lock);
    return o;
}

static void cmdload_free(void *self) {
    cmdload *cl = self;
    cmdload_stop(cl);
    fl_hist_free(cl->hist);
    free(cl->windows);
    pthread_mutex_destroy(&cl->lock);
    free(cl);
}

const load_ops load_command_ops = {.kind = "command",
                                   .start = cmdload_start,
                                   .windows = cmdload_windows,
                                   .wait = cmdload_wait,
                                   .finished = cmdload_finished,
                                   .stop = cmdload_stop,
                                   .result = cmdload_result,
                                   .free = cmdload_free};
