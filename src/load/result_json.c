/* The result of a load as one JSON document (schema: docs/load.md), and the
 * series on its own as CSV or JSON. Keys are snake_case, durations are
 * numbers of milliseconds with _ms in the key, ratios are 0..1, times are
 * RFC 3339. */
#include "core/internal.h"
#include "load/load_internal.h"

#include <stdlib.h>

/* null when nothing was measured: an absent latency is not a fast one. */
static json_t *latency_json(const fl_load_latency *l, uint64_t count) {
    if (!count)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "min", fl_json_ms(l->min));
    json_object_set_new(o, "mean", json_real(l->mean / 1000.0));
    json_object_set_new(o, "p50", fl_json_ms(l->p50));
    json_object_set_new(o, "p90", fl_json_ms(l->p90));
    json_object_set_new(o, "p99", fl_json_ms(l->p99));
    json_object_set_new(o, "p999", fl_json_ms(l->p999));
    json_object_set_new(o, "p9999", fl_json_ms(l->p9999));
    json_object_set_new(o, "max", fl_json_ms(l->max));
    return o;
}

static double ratio(uint64_t part, uint64_t whole) { return whole ? (double)part / (double)whole : 0.0; }

/* Copies every completed window; NULL with *n 0 when there are none. */
static fl_load_window *all_windows(fl_load *load, size_t *n) {
    fl_load_summary s;
    fl_load_snapshot(load, &s);
    size_t cap = s.windows + 1;
    fl_load_window *w = fl_xcalloc(cap, sizeof(*w));
    *n = fl_load_windows(load, 0, w, cap);
    return w;
}

char *fl_load_result_json(fl_load *load) {
    const fl_load_config *cfg = fl_load_config_of(load);
    fl_load_summary s;
    fl_load_snapshot(load, &s);
    json_t *root = json_object();
    json_object_set_new(root, "url", json_string(cfg->url));
    json_object_set_new(root, "method", json_string(cfg->method));
    json_object_set_new(root, "mode", json_string(s.closed_loop ? "closed_loop" : "open_loop"));
    json_object_set_new(root, "connections", json_integer(cfg->connections));
    json_object_set_new(root, "started", fl_json_time(s.started_unix_us));
    json_object_set_new(root, "ended", s.ended_unix_us ? fl_json_time(s.ended_unix_us) : json_null());
    json_object_set_new(root, "duration_ms", fl_json_ms(s.duration_us));
    json_object_set_new(root, "elapsed_ms", fl_json_ms(s.elapsed_us));
    json_object_set_new(root, "timeout_ms", fl_json_ms(cfg->timeout_us));
    json_object_set_new(root, "late_after_ms", fl_json_ms(cfg->late_after_us));
    json_object_set_new(root, "finished", json_boolean(s.finished));
    json_object_set_new(root, "stopped", json_boolean(s.stopped));
    json_object_set_new(root, "rate_target", s.closed_loop ? json_null() : json_real(s.rate_target));
    json_object_set_new(root, "rate_achieved", json_real(s.rate_achieved));
    json_object_set_new(root, "scheduled", json_integer((json_int_t)s.scheduled));
    json_object_set_new(root, "requests", json_integer((json_int_t)s.requests));
    json_object_set_new(root, "sent", json_integer((json_int_t)s.sent));
    json_object_set_new(root, "responses", json_integer((json_int_t)s.responses));
    json_object_set_new(root, "late", json_integer((json_int_t)s.late));
    json_object_set_new(root, "late_ratio", json_real(ratio(s.late, s.sent)));
    json_t *errors = json_object();
    json_object_set_new(errors, "total", json_integer((json_int_t)s.errors));
    json_object_set_new(errors, "ratio", s.requests ? json_real(ratio(s.errors, s.requests)) : json_null());
    for (int c = 0; c < FL_LOAD_ERR_COUNT; c++)
        json_object_set_new(errors, fl_load_error_name((fl_load_error_class)c),
                            json_integer((json_int_t)s.errors_by_class[c]));
    json_object_set_new(root, "errors", errors);
    json_t *status = json_object();
    for (int c = 1; c <= 5; c++) {
        char key[8];
        snprintf(key, sizeof(key), "%dxx", c);
        json_object_set_new(status, key, json_integer((json_int_t)s.status_classes[c]));
    }
    json_object_set_new(root, "status", status);
    /* Latency is recorded for responses and timeouts (fl_load_summary). */
    uint64_t measured = s.responses + s.errors_by_class[FL_LOAD_ERR_TIMEOUT];
    json_object_set_new(root, "latency_ms", latency_json(&s.latency, measured));
    json_object_set_new(root, "service_time_ms", latency_json(&s.service_time, measured));
    json_object_set_new(root, "bytes_sent", json_integer((json_int_t)s.bytes_sent));
    json_object_set_new(root, "bytes_received", json_integer((json_int_t)s.bytes_received));
    json_object_set_new(root, "connects", json_integer((json_int_t)s.connects));
    json_object_set_new(root, "window_ms", fl_json_ms(cfg->window_us));
    size_t n;
    fl_load_window *w = all_windows(load, &n);
    json_object_set_new(root, "series", fl_series_to_json(w, n));
    free(w);
    char *text = json_dumps(root, JSON_REAL_PRECISION(12));
    json_decref(root);
    return text;
}

int fl_load_series_csv(fl_load *load, FILE *out, fl_error *err) {
    size_t n;
    fl_load_window *w = all_windows(load, &n);
    fl_series_write_csv(w, n, out);
    free(w);
    if (ferror(out))
        return fl_fail(err, FL_EAPPLY, "out", "out: write error");
    return 0;
}

int fl_load_series_json(fl_load *load, FILE *out, fl_error *err) {
    size_t n;
    fl_load_window *w = all_windows(load, &n);
    json_t *array = fl_series_to_json(w, n);
    free(w);
    int rc = json_dumpf(array, out, JSON_REAL_PRECISION(12));
    json_decref(array);
    fputc('\n', out);
    if (rc != 0 || ferror(out))
        return fl_fail(err, FL_EAPPLY, "out", "out: write error");
    return 0;
}
