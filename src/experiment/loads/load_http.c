/* The experiment's HTTP load, sent from this host by fl_load (src/load), and
 * the conversions every load source shares. */
#include "core/internal.h"
#include "experiment/loads/load_source.h"

#include <stdlib.h>
#include <string.h>

typedef struct http_load {
    fl_load *load;
    int64_t offset_us; /* run time at which the load started */
} http_load;

void exp_window_from_load(const fl_load_window *lw, int64_t offset_us, exp_window *out) {
    *out = (exp_window){.t_us = offset_us + lw->start_us,
                        .len_us = lw->length_us,
                        .requests = lw->requests,
                        .errors = lw->errors,
                        .late = lw->late,
                        .sent = lw->sent,
                        .latency_count = lw->latency_count,
                        .waiting = lw->in_flight + lw->backlog,
                        .p50 = (double)lw->p50_us / 1000,
                        .p90 = (double)lw->p90_us / 1000,
                        .p99 = (double)lw->p99_us / 1000,
                        .p999 = (double)lw->p999_us / 1000,
                        .max = (double)lw->max_us / 1000,
                        .oldest_waiting = (double)lw->oldest_waiting_us / 1000};
}

void exp_window_add(exp_window *into, const exp_window *part, bool first) {
    if (first || part->t_us < into->t_us)
        into->t_us = part->t_us;
    if (first || part->len_us > into->len_us)
        into->len_us = part->len_us;
    into->requests += part->requests;
    into->errors += part->errors;
    into->late += part->late;
    into->sent += part->sent;
    into->waiting += part->waiting;
    if (part->oldest_waiting > into->oldest_waiting)
        into->oldest_waiting = part->oldest_waiting;
}

void exp_window_latency(exp_window *w, const fl_hist *seen) {
    w->latency_count = (uint32_t)fl_hist_count(seen);
    w->p50 = w->p90 = w->p99 = w->p999 = w->max = 0;
    if (!w->latency_count)
        return;
    static const double qs[] = {50, 90, 99, 99.9};
    int64_t v[4];
    fl_hist_percentiles(seen, qs, 4, v);
    w->p50 = (double)v[0] / 1000;
    w->p90 = (double)v[1] / 1000;
    w->p99 = (double)v[2] / 1000;
    w->p999 = (double)v[3] / 1000;
    w->max = (double)fl_hist_max(seen) / 1000;
}

static void *http_start(const load_def *def, int64_t t0_mono_us, int64_t t0_wall_us, uint64_t seed, fl_error *err) {
    (void)t0_mono_us, (void)seed;
    fl_load *load = fl_load_start(def->http, err);
    if (!load)
        return NULL;
    http_load *h = fl_xcalloc(1, sizeof(*h));
    h->load = load;
    fl_load_summary sum;
    fl_load_snapshot(load, &sum);
    h->offset_us = sum.started_unix_us - t0_wall_us;
    return h;
}

static size_t http_windows(void *self, size_t from, exp_window *out, size_t max) {
    http_load *h = self;
    fl_load_window buf[16];
    size_t n = fl_load_windows(h->load, from, buf, max < 16 ? max : 16);
    for (size_t i = 0; i < n; i++)
        exp_window_from_load(&buf[i], h->offset_us, &out[i]);
    return n;
}

static void http_wait(void *self, int timeout_ms) { fl_load_wait(((http_load *)self)->load, timeout_ms); }
static bool http_finished(void *self) { return fl_load_wait(((http_load *)self)->load, 0) == 1; }
static void http_stop(void *self) { fl_load_stop(((http_load *)self)->load); }

static json_t *http_result(void *self, int64_t t0_mono_us) {
    (void)t0_mono_us;
    char *text = fl_load_result_json(((http_load *)self)->load);
    json_t *parsed = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return parsed ? parsed : json_null();
}

static void http_free(void *self) {
    http_load *h = self;
    fl_load_free(h->load);
    free(h);
}

const load_ops load_http_ops = {.kind = "http",
                                .start = http_start,
                                .windows = http_windows,
                                .wait = http_wait,
                                .finished = http_finished,
                                .stop = http_stop,
                                .result = http_result,
                                .free = http_free};

const load_ops *load_source_for(const load_def *def) {
    if (!def->present)
        return NULL;
    return def->from ? &load_hosts_ops : def->is_command ? &load_command_ops : &load_http_ops;
}
