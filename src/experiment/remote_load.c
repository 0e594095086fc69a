/* The experiment's HTTP load sent from fleet hosts: every selected host runs
 * `faultline load <url> --rate R/n ... --stream --held`, which prints one JSON
 * line per closed window and stops when its stdin (our ssh session) closes.
 * Windows are merged by index once every host still running has sent it:
 * counts add up; each latency percentile is the largest of the hosts'
 * (an upper bound of the merged percentile: if no host has more than 1% of
 * its requests above x, the union has not either). */
#include "core/internal.h"
#include "experiment/remote.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct host_series {
    exp_window *w;
    size_t n, cap;
    bool finished;
    char error[300];
} host_series;

struct remote_load {
    const target_def *from;
    fl_fleet_plan plan;
    fleet_thread ft;
    host_series *hosts; /* guarded by ft.lock */
    int64_t t0_mono_us;
    int64_t offset_us; /* run time of window 0's start; -1 until a line arrives */
    exp_window *merged;
    size_t n_merged, cap_merged;
    char rate_each[48];
};

static void on_line(void *user, const fl_fleet_result *r, const char *line) {
    remote_load *rl = user;
    if (line[0] != '{')
        return;
    json_t *j = json_loads(line, 0, NULL);
    if (!j || !json_object_get(j, "window")) { /* the final summary, or noise */
        json_decref(j);
        return;
    }
    host_series *h = &rl->hosts[fleet_thread_index(&rl->ft, r)];
    double start_ms = json_number_value(json_object_get(j, "start_ms"));
    double len_ms = json_number_value(json_object_get(j, "length_ms"));
#define U32(k) (uint32_t) json_integer_value(json_object_get(j, k))
#define MS(k) ((double)json_integer_value(json_object_get(j, k)) / 1000.0)
    exp_window w = {.len_us = (int64_t)(len_ms * 1000),
                    .requests = U32("requests"),
                    .errors = U32("errors"),
                    .late = U32("late"),
                    .sent = U32("sent"),
                    .p50 = MS("p50_us"),
                    .p90 = MS("p90_us"),
                    .p99 = MS("p99_us"),
                    .p999 = MS("p999_us"),
                    .max = MS("max_us")};
#undef U32
#undef MS
    w.has_latency = w.max > 0;
    json_decref(j);
    pthread_mutex_lock(&rl->ft.lock);
    if (rl->offset_us < 0) /* the line arrives when its window closes */
        rl->offset_us = fl_fleet_mono_us() - rl->t0_mono_us - (int64_t)((start_ms + len_ms) * 1000);
    w.t_us = rl->offset_us + (int64_t)(start_ms * 1000);
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->w = realloc(h->w, h->cap * sizeof(*h->w));
    }
    h->w[h->n++] = w;
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

remote_load *remote_load_start(const load_def *def, uint64_t seed, int64_t t0_mono_us, fl_error *err) {
    remote_load *rl = calloc(1, sizeof(*rl));
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
    char **words = calloc(cap, sizeof(char *));
    words[n++] = strdup("load");
    words[n++] = strdup(def->url_text);
    for (size_t i = 0; i < def->n_http; i++) {
        const char *k = def->http_names[i];
        if (strcmp(k, "url") == 0 || strcmp(k, "rate") == 0)
            continue;
        bool file = strcmp(k, "body-file") == 0; /* read on each host: the file must be there */
        if (asprintf(&words[n++], "--%s", file ? "body" : k) < 0)
            words[n - 1] = NULL;
        if (file) {
            if (asprintf(&words[n++], "@%s", def->http_values[i]) < 0)
                words[n - 1] = NULL;
        } else {
            words[n++] = strdup(def->http_values[i]);
        }
    }
    char d[32];
    words[n++] = strdup("--rate");
    words[n++] = strdup(rl->rate_each);
    words[n++] = strdup("--duration");
    words[n++] = strdup(fl_format_duration(def->duration_us, d, sizeof(d)));
    words[n++] = strdup("--stream");
    words[n++] = strdup("--held");
    words[n++] = strdup("--quiet");
    rl->hosts = calloc(rl->plan.n, sizeof(*rl->hosts));
    fl_fanout_opts fo = {
        .hold_stdin = true, .kill_after_us = 5000000, .on_event = on_event, .on_line = on_line, .user = rl};
    /* Every host sends load: a failed one is named, the others go on. */
    rl->plan.max_err = rl->plan.n;
    rl->plan.max_conc = rl->plan.n;
    if (fleet_thread_start(&rl->ft, &rl->plan, words, n, &fo, err) != 0) {
        remote_load_free(rl);
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
        for (size_t i = 0; i < rl->plan.n && ready; i++) {
            host_series *h = &rl->hosts[i];
            if (h->n > k) {
                const exp_window *w = &h->w[k];
                if (!any) {
                    m.t_us = w->t_us;
                    m.len_us = w->len_us;
                }
                any = true;
                m.requests += w->requests;
                m.errors += w->errors;
                m.late += w->late;
                m.sent += w->sent;
                m.has_latency |= w->has_latency;
                m.len_us = w->len_us > m.len_us ? w->len_us : m.len_us;
                m.p50 = fmax(m.p50, w->p50);
                m.p90 = fmax(m.p90, w->p90);
                m.p99 = fmax(m.p99, w->p99);
                m.p999 = fmax(m.p999, w->p999);
                m.max = fmax(m.max, w->max);
            } else if (!h->finished) {
                ready = false;
            }
        }
        if (!ready || !any)
            return;
        if (rl->n_merged == rl->cap_merged) {
            rl->cap_merged = rl->cap_merged ? 2 * rl->cap_merged : 64;
            rl->merged = realloc(rl->merged, rl->cap_merged * sizeof(*rl->merged));
        }
        rl->merged[rl->n_merged++] = m;
    }
}

size_t remote_load_windows(remote_load *rl, size_t from, exp_window *out, size_t max) {
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

bool remote_load_finished(remote_load *rl) { return fleet_thread_done(&rl->ft); }

void remote_load_stop(remote_load *rl) { fleet_thread_stop(&rl->ft); }

json_t *remote_load_json(remote_load *rl, int64_t t0_mono_us) {
    json_t *hosts = json_array();
    for (size_t i = 0; i < rl->plan.n; i++) {
        const host_series *h = &rl->hosts[i];
        const fl_fleet_result *r = &rl->ft.res[i];
        uint64_t sent = 0, requests = 0, errors = 0;
        for (size_t k = 0; k < h->n; k++) {
            sent += h->w[k].sent;
            requests += h->w[k].requests;
            errors += h->w[k].errors;
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
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:o}", "inventory", t->inventory, "select",
                     t->select ? t->select : "", "mode", t->mode ? t->mode : "all", "matched",
                     (json_int_t)rl->plan.matched, "seed", (json_int_t)rl->plan.seed, "selected",
                     (json_int_t)rl->plan.n, "rate_per_host", rl->rate_each, "hosts", hosts);
}

void remote_load_free(remote_load *rl) {
    if (!rl)
        return;
    fleet_thread_free(&rl->ft);
    for (size_t i = 0; rl->hosts && i < rl->plan.n; i++)
        free(rl->hosts[i].w);
    free(rl->hosts);
    free(rl->merged);
    fl_fleet_plan_free(&rl->plan);
    free(rl);
}
