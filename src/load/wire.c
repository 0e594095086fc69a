/* Windows on the wire and thresholds on the whole run.
 *
 * A window travels as one JSON line (docs/load.md, "stream"): its counts and
 * percentiles, and what it saw as a histogram ("seen": [[value_us, count],
 * ...] at 2 significant digits), so that the windows of a load sent from
 * several hosts merge into the percentiles of the union instead of an upper
 * bound. */
#include "core/internal.h"
#include "load/load_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void add_pair(void *user, int64_t value_us, uint64_t count) {
    json_array_append_new(user, json_pack("[I,I]", (json_int_t)value_us, (json_int_t)count));
}

char *fl_load_window_line(fl_load *load, size_t index) {
    fl_load_window w;
    if (fl_load_windows(load, index, &w, 1) != 1)
        return NULL;
    fl_hist *seen = fl_hist_new();
    fl_load_window_seen(load, index, seen);
    json_t *pairs = json_array();
    fl_hist_foreach(seen, add_pair, pairs);
    fl_hist_free(seen);
    json_t *o =
        json_pack("{s:I,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "window",
                  (json_int_t)w.index, "start_ms", (double)w.start_us / 1000, "length_ms", (double)w.length_us / 1000,
                  "sent", (json_int_t)w.sent, "requests", (json_int_t)w.requests, "errors", (json_int_t)w.errors,
                  "late", (json_int_t)w.late, "in_flight", (json_int_t)w.in_flight, "backlog", (json_int_t)w.backlog,
                  "latency_count", (json_int_t)w.latency_count, "p50_us", (json_int_t)w.p50_us, "p90_us",
                  (json_int_t)w.p90_us, "p99_us", (json_int_t)w.p99_us, "p999_us", (json_int_t)w.p999_us, "max_us",
                  (json_int_t)w.max_us, "oldest_waiting_us", (json_int_t)w.oldest_waiting_us, "seen", pairs);
    if (!o)
        return NULL;
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

static int64_t int_member(const json_t *o, const char *key) {
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static uint32_t count_member(const json_t *o, const char *key) {
    int64_t v = int_member(o, key);
    return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int fl_load_window_parse(const char *line, fl_load_window *out, fl_hist *seen) {
    json_t *o = json_loads(line, 0, NULL);
    if (!o || !json_is_integer(json_object_get(o, "window"))) {
        json_decref(o);
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->index = count_member(o, "window");
    out->start_us = (int64_t)llround(json_number_value(json_object_get(o, "start_ms")) * 1000);
    out->length_us = (int64_t)llround(json_number_value(json_object_get(o, "length_ms")) * 1000);
    out->sent = count_member(o, "sent");
    out->requests = count_member(o, "requests");
    out->errors = count_member(o, "errors");
    out->late = count_member(o, "late");
    out->in_flight = count_member(o, "in_flight");
    out->backlog = count_member(o, "backlog");
    out->latency_count = count_member(o, "latency_count");
    out->p50_us = int_member(o, "p50_us");
    out->p90_us = int_member(o, "p90_us");
    out->p99_us = int_member(o, "p99_us");
    out->p999_us = int_member(o, "p999_us");
    out->max_us = int_member(o, "max_us");
    out->oldest_waiting_us = int_member(o, "oldest_waiting_us");
    const json_t *pairs = json_object_get(o, "seen");
    size_t i;
    const json_t *pair;
    if (seen && json_is_array(pairs))
        json_array_foreach(pairs, i, pair) {
            int64_t v = json_integer_value(json_array_get(pair, 0));
            int64_t n = json_integer_value(json_array_get(pair, 1));
            if (v >= 0 && n > 0)
                fl_hist_record_n(seen, v, (uint64_t)n);
        }
    json_decref(o);
    return 0;
}

/* ---- thresholds ----------------------------------------------------------- */
void fl_load_thresholds_init(fl_load_thresholds *t) { *t = (fl_load_thresholds){.max_errors = -1}; }

int fl_load_thresholds_set(fl_load_thresholds *t, const char *name, const char *value, fl_error *err) {
    static const struct {
        const char *name;
        size_t offset;
    } bounds[] = {
        {"max-p50", offsetof(fl_load_thresholds, max_p50_us)},
        {"max-p90", offsetof(fl_load_thresholds, max_p90_us)},
        {"max-p99", offsetof(fl_load_thresholds, max_p99_us)},
        {"max-p999", offsetof(fl_load_thresholds, max_p999_us)},
        {"max-latency", offsetof(fl_load_thresholds, max_latency_us)},
    };
    if (strcmp(name, "max-errors") == 0) {
        double percent;
        if (fl_parse_percent(value, name, &percent, err) != 0)
            return -1;
        t->max_errors = percent / 100.0;
        return 0;
    }
    for (size_t i = 0; i < FL_ARRAY_LEN(bounds); i++)
        if (strcmp(name, bounds[i].name) == 0) {
            int64_t us;
            if (fl_parse_duration(value, name, &us, err) != 0)
                return -1;
            if (us <= 0)
                return fl_fail(err, FL_EINVAL, name, "%s: must be more than 0, e.g. 100ms", name);
            *(int64_t *)((char *)t + bounds[i].offset) = us;
            return 0;
        }
    return fl_fail(err, FL_EINVAL, name,
                   "%s: not a load threshold (max-errors, max-p50, max-p90, max-p99, "
                   "max-p999, max-latency)",
                   name);
}

/* Appends "; " and a formatted breach to why. */
static void add_breach(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_breach(char *why, size_t len, const char *fmt, ...) {
    size_t used = strlen(why);
    if (used && used + 2 < len) {
        memcpy(why + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + used, len > used ? len - used : 0, fmt, ap);
    va_end(ap);
}

/* A measured latency for a message: "38.41ms", "2.003s". */
static const char *latency_text(int64_t us, char *buf, size_t len) {
    if (us >= 1000000)
        snprintf(buf, len, "%.3fs", (double)us / 1e6);
    else
        snprintf(buf, len, "%.2fms", (double)us / 1e3);
    return buf;
}

int fl_load_check(fl_load *load, const fl_load_thresholds *t, char *why, size_t why_len) {
    why[0] = 0;
    fl_load_summary s;
    fl_load_snapshot(load, &s);
    if (t->max_errors >= 0) {
        if (s.requests == 0)
            add_breach(why, why_len, "errors: no request finished, the error ratio is unknown (bound %.4g%%)",
                       t->max_errors * 100);
        else if ((double)s.errors / (double)s.requests > t->max_errors)
            add_breach(why, why_len, "errors %.4g%% (%llu of %llu) above %.4g%%",
                       100.0 * (double)s.errors / (double)s.requests, (unsigned long long)s.errors,
                       (unsigned long long)s.requests, t->max_errors * 100);
    }
    const struct {
        const char *name;
        int64_t bound, value;
    } checks[] = {{"p50", t->max_p50_us, s.latency.p50},
                  {"p90", t->max_p90_us, s.latency.p90},
                  {"p99", t->max_p99_us, s.latency.p99},
                  {"p99.9", t->max_p999_us, s.latency.p999},
                  {"max", t->max_latency_us, s.latency.max}};
    /* Latency is recorded for responses and timeouts: with none, there is
     * no latency to compare, and absent is not fast. */
    uint64_t with_latency = s.responses + s.errors_by_class[FL_LOAD_ERR_TIMEOUT];
    for (size_t i = 0; i < FL_ARRAY_LEN(checks); i++) {
        if (!checks[i].bound)
            continue;
        char a[32], b[32];
        if (!with_latency)
            add_breach(why, why_len, "latency %s: no request got a response, so none was measured (bound %s)",
                       checks[i].name, fl_format_duration(checks[i].bound, b, sizeof(b)));
        else if (checks[i].value > checks[i].bound)
            add_breach(why, why_len, "latency %s %s above %s", checks[i].name,
                       latency_text(checks[i].value, a, sizeof(a)), fl_format_duration(checks[i].bound, b, sizeof(b)));
    }
    return why[0] ? 1 : 0;
}
