/* The experiment's HTTP load sent from fleet hosts: every selected host runs
 * `faultline load <url> --rate R/n ... --stream --held`, which prints one JSON
 * line per closed window (fl_load_window_line: counts, percentiles and the
 * histogram of what the window saw) and stops when its stdin (our ssh
 * session) closes. Windows are merged by index once every host still
 * running has sent it: counts add up, and the latency is computed from the
 * union of the hosts' histograms, so the merged percentiles are those of
 * every request sent, within the histograms' 1%. */
#include "core/internal.h"
#include "experiment/loads/load_source.h"
#include "experiment/steps/fleet_thread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A window as a host sent it, with the histogram of what it saw as
 * (value_us, count) pairs. */
typedef struct host_window {
    exp_window w;
    int64_t *pairs; /* 2 per bucket */
    size_t n_pairs;
} host_window;

static void collect_pair(void *user, int64_t value_us, uint64_t count) {
    host_window *hw = user;
    hw->pairs[2 * hw->n_pairs] = value_us;
    hw->pairs[2 * hw->n_pairs + 1] = (int64_t)count;
    hw->n_pairs++;
}

static void count_bucket(void *user, int64_t value_us, uint64_t count) {
    (void)value_us, (void)count;
    (*(size_t *)user)++;
}

typedef struct host_series {
    host_window *w;
    size_t n, cap;
    bool finished;
    char error[300];
} host_series;

typedef struct remote_load {
    const target_def *from;
    fl_fleet_plan plan;
    fleet_thread ft;
    host_series *hosts; /* guarded by ft.lock */
    int64_t t0_mono_us;
    int64_t offset_us; /* run time of window 0's start; -1 until a line arrives */
    exp_window *merged;
    size_t n_merged, cap_merged;
    char rate_each[48];
    fl_hist *scratch; /* the line being read (fan-out thread) */
    fl_hist *merge;   /* the window being merged (runner thread) */
} remote_load;

static void on_line(void *user, const fl_fleet_result *r, const char *line) {
    remote_load *rl = user;
    if (line[0] != '{')
        return;
    fl_load_window lw;
    fl_hist_reset(rl->scratch);
    if (fl_load_window_parse(line, &lw, rl->scratch) != 0) /* the final summary, or noise */
        return;
    host_window hw = {0};
    size_t buckets = 0;
    fl_hist_foreach(rl->scratch, count_bucket, &buckets);
    hw.pairs = fl_xcalloc((buckets ? buckets : 1) * 2, sizeof(int64_t));
    fl_hist_foreach(rl->scratch, collect_pair, &hw);
    host_series *h = &rl->hosts[fleet_thread_index(&rl->ft, r)];
    pthread_mutex_lock(&rl->ft.lock);
    if (rl->offset_us < 0) /* the line arrives when its window closes */
        rl->offset_us = fl_mono_us() - rl->t0_mono_us - (lw.start_us + lw.length_us);
    exp_window_from_load(&lw, rl->offset_us, &hw.w);
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        h->w = fl_xreallocarray(h->w, cap, sizeof(*h->w));
        h->cap = cap;
    }
    h->w[h->n++] = hw;
    pthread_mutex_unlock(&rl->ft.lock);
}

static void on_event(void *user, const fl_fleet_result *r, const char *event) {
    remote_load *rl = user;
    if (strcmp(event, "done") != 0 && strcmp(event, "failed") != 0)
        return;
    host_series *h = &rl->hosts[fleet_thread_index(&rl->ft, r)];
    pthread_mutex_lock(&rl->ft.lock);
    h->finished = true;
    if (strcmp(event, "failed") == 0)
        snprintf(h->error, sizeof(h->error), "%s (exit %d)", r->err_text && *r->err_text ? r->err_text : "failed",
                 r->exit_code);
    pthread_mutex_unlock(&rl->ft.lock);
}

static void hosts_free(void *self);

static void *hosts_start(const load_def *def, int64_t t0_mono_us, int64_t t0_wall_us, uint64_t seed, fl_error *err) {
    (void)t0_wall_us;
    remote_load *rl = fl_xcalloc(1, sizeof(*rl));
    rl->from = def->from;
    rl->t0_mono_us = t0_mono_us;
    rl->offset_us = -1;
    if (remote_ssh_plan(def->from, seed, &rl->plan, err) != 0) {
        free(rl);
        return NULL;
    }
    /* The rate is the total: each host sends its share. */
    double per_second = 0;
    if (fl_parse_rate(def->rate_text, "rate", &per_second, err) != 0) {
        fl_fleet_plan_free(&rl->plan);
        free(rl);
        return NULL;
    }
    if (isinf(per_second))
        snprintf(rl->rate_each, sizeof(rl->rate_each), "max");
    else
        snprintf(rl->rate_each, sizeof(rl->rate_each), "%.6g/s", per_second / (double)rl->plan.n);
    size_t cap = 2 * def->n_http + 12, n = 0;
    char **words = fl_xcalloc(cap, sizeof(char *));
    words[n++] = fl_xstrdup("load");
    words[n++] = fl_xstrdup(def->url_text);
    for (size_t i = 0; i < def->n_http; i++) {
        const char *k = def->http_names[i];
        if (strcmp(k, "url") == 0 || strcmp(k, "rate") == 0)
            continue;
        bool file = strcmp(k, "body-file") == 0; /* read on each host: the file must be there */
        words[n++] = fl_xasprintf("--%s", file ? "body" : k);
        if (file) {
            words[n++] = fl_xasprintf("@%s", def->http_values[i]);
        } else {
            words[n++] = fl_xstrdup(def->http_values[i]);
        }
    }
    char d[32];
    words[n++] = fl_xstrdup("--rate");
    words[n++] = fl_xstrdup(rl->rate_each);
    words[n++] = fl_xstrdup("--duration");
    words[n++] = fl_xstrdup(fl_format_duration(def->duration_us, d, sizeof(d)));
    words[n++] = fl_xstrdup("--stream");
    words[n++] = fl_xstrdup("--held");
    words[n++] = fl_xstrdup("--quiet");
    rl->hosts = fl_xcalloc(rl->plan.n, sizeof(*rl->hosts));
    fl_fanout_opts fo = {
        .hold_stdin = true, .kill_after_us = 5000000, .on_event = on_event, .on_line = on_line, .user = rl};
    /* Every host sends load: a failed one is named, the others go on. */
    rl->plan.max_err = rl->plan.n;
    rl->plan.max_conc = rl->plan.n;
    rl->scratch = fl_hist_new();
    rl->merge = fl_hist_new();
    if (fleet_thread_start(&rl->ft, &rl->plan, words, n, &fo, err) != 0) {
        hosts_free(rl);
        return NULL;
    }
    return rl;
}

/* Merges the windows every host still running has sent. Caller holds the lock. */
static void merge_ready(remote_load *rl) {
    for (;;) {
        size_t k = rl->n_merged;
        bool any = false, ready = true;
        exp_window m = {0};
        fl_hist_reset(rl->merge);
        for (size_t i = 0; i < rl->plan.n && ready; i++) {
            host_series *h = &rl->hosts[i];
            if (h->n > k) {
                const host_window *hw = &h->w[k];
                exp_window_add(&m, &hw->w, !any);
                for (size_t p = 0; p < hw->n_pairs; p++)
                    fl_hist_record_n(rl->merge, hw->pairs[2 * p], (uint64_t)hw->pairs[2 * p + 1]);
                any = true;
            } else if (!h->finished) {
                ready = false;
            }
        }
        if (!ready || !any)
            return;
        exp_window_latency(&m, rl->merge);
        if (rl->n_merged == rl->cap_merged) {
            size_t cap = rl->cap_merged ? 2 * rl->cap_merged : 64;
            rl->merged = fl_xreallocarray(rl->merged, cap, sizeof(*rl->merged));
            rl->cap_merged = cap;
        }
        rl->merged[rl->n_merged++] = m;
    }
}

static size_t hosts_windows(void *self, size_t from, exp_window *out, size_t max) {
    remote_load *rl = self;
    pthread_mutex_lock(&rl->ft.lock);
    if (rl->ft.done)
        for (size_t i = 0; i < rl->plan.n; i++)
            rl->hosts[i].finished = true; /* skipped hosts never report */
    merge_ready(rl);
    size_t n = 0;
    for (size_t k = from; k < rl->n_merged && n < max; k++)
        out[n++] = rl->merged[k];
    pthread_mutex_unlock(&rl->ft.lock);
    return n;
}

static bool hosts_finished(void *self) { return fleet_thread_done(&((remote_load *)self)->ft); }
static void hosts_stop(void *self) { fleet_thread_stop(&((remote_load *)self)->ft); }

static void hosts_wait(void *self, int timeout_ms) {
    (void)self;
    usleep((useconds_t)timeout_ms * 1000);
}

static json_t *hosts_result(void *self, int64_t t0_mono_us) {
    remote_load *rl = self;
    json_t *hosts = json_array();
    for (size_t i = 0; i < rl->plan.n; i++) {
        const host_series *h = &rl->hosts[i];
        const fl_fleet_result *r = &rl->ft.res[i];
        uint64_t sent = 0, requests = 0, errors = 0;
        for (size_t k = 0; k < h->n; k++) {
            sent += h->w[k].w.sent;
            requests += h->w[k].w.requests;
            errors += h->w[k].w.errors;
        }
        json_t *row = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "name", r->host->name, "address",
                                r->host->address, "result",
                                h->error[0] ? "failed"
                                : h->n      ? "sent"
                                            : "no data",
                                "windows", (json_int_t)h->n, "sent", (json_int_t)sent, "requests", (json_int_t)requests,
                                "errors", (json_int_t)errors, "exit_code", (json_int_t)r->exit_code);
        if (r->start_us)
            json_object_set_new(row, "started_ms", json_integer((r->start_us - t0_mono_us) / 1000));
        if (h->error[0])
            json_object_set_new(row, "error", json_string(h->error));
        json_array_append_new(hosts, row);
    }
    const target_def *t = rl->from;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:o}", "kind", "http", "from", "hosts", "inventory",
                     t->inventory, "select", t->select ? t->select : "", "mode", t->mode ? t->mode : "all", "matched",
                     (json_int_t)rl->plan.matched, "seed", (json_int_t)rl->plan.seed, "selected",
                     (json_int_t)rl->plan.n, "rate_per_host", rl->rate_each, "hosts", hosts);
}

static void hosts_free(void *self) {
    remote_load *rl = self;
    fleet_thread_free(&rl->ft);
    for (size_t i = 0; rl->hosts && i < rl->plan.n; i++) {
        for (size_t k = 0; k < rl->hosts[i].n; k++)
            free(rl->hosts[i].w[k].pairs);
        free(rl->hosts[i].w);
    }
    free(rl->hosts);
    free(rl->merged);
    fl_hist_free(rl->scratch);
    fl_hist_free(rl->merge);
    fl_fleet_plan_free(&rl->plan);
    free(rl);
}

const load_ops load_hosts_ops = {.kind = "hosts",
                                 .start = hosts_start,
                                 .windows = hosts_windows,
                                 .wait = hosts_wait,
                                 .finished = hosts_finished,
                                 .stop = hosts_stop,
                                 .result = hosts_result,
                                 .free = hosts_free};
