/* The per-window time series and its CSV and JSON forms. */
#include "load/series.h"
#include "core/internal.h"
#include "load/compact_hist.h"

#include <stdlib.h>
#include <string.h>

void fl_series_init(fl_series *s) { memset(s, 0, sizeof(*s)); }

void fl_series_free(fl_series *s) {
    for (size_t i = 0; i < s->count; i++)
        free(s->latency_blobs[i]);
    free(s->windows);
    free(s->latency_blobs);
    free(s->latency_blob_lens);
    memset(s, 0, sizeof(*s));
}

int fl_series_append(fl_series *s, const fl_load_window *w, uint8_t *blob, size_t blob_len) {
    if (s->count == s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 64;
        fl_load_window *windows = realloc(s->windows, cap * sizeof(*windows));
        if (windows)
            s->windows = windows;
        uint8_t **blobs = realloc(s->latency_blobs, cap * sizeof(*blobs));
        if (blobs)
            s->latency_blobs = blobs;
        uint32_t *lens = realloc(s->latency_blob_lens, cap * sizeof(*lens));
        if (lens)
            s->latency_blob_lens = lens;
        if (!windows || !blobs || !lens) {
            free(blob);
            return -1;
        }
        s->capacity = cap;
    }
    s->windows[s->count] = *w;
    s->latency_blobs[s->count] = blob;
    s->latency_blob_lens[s->count] = (uint32_t)blob_len;
    s->blob_bytes += blob_len;
    s->count++;
    return 0;
}

size_t fl_series_memory(const fl_series *s) {
    return s->capacity * (sizeof(fl_load_window) + sizeof(uint8_t *) + sizeof(uint32_t)) + s->blob_bytes;
}

int fl_series_latency(const fl_series *s, size_t from, size_t to, fl_hist *into) {
    if (to > s->count)
        to = s->count;
    for (size_t i = from; i < to; i++)
        if (s->latency_blobs[i] && fl_compact_hist_merge(into, s->latency_blobs[i], s->latency_blob_lens[i]) != 0)
            return -1;
    return 0;
}

json_t *fl_json_ms(int64_t us) { return json_real((double)us / 1000.0); }

json_t *fl_json_time(int64_t unix_us) {
    char buf[40];
    return json_string(fl_format_time(unix_us, buf, sizeof(buf)));
}

void fl_series_write_csv(const fl_load_window *w, size_t n, FILE *out) {
    fputs("start,offset_ms,length_ms,requests,sent,late,errors,in_flight,backlog,p50_ms,p90_ms,p99_ms,max_ms,"
          "service_p99_ms",
          out);
    for (int c = 0; c < FL_LOAD_ERR_COUNT; c++)
        fprintf(out, ",errors_%s", fl_load_error_name((fl_load_error_class)c));
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        char start[40];
        fl_format_time(w[i].start_unix_us, start, sizeof(start));
        fprintf(out, "%s,%.3f,%.3f,%u,%u,%u,%u,%u,%u,%.3f,%.3f,%.3f,%.3f,%.3f", start, w[i].start_us / 1e3,
                w[i].length_us / 1e3, w[i].requests, w[i].sent, w[i].late, w[i].errors, w[i].in_flight, w[i].backlog,
                w[i].p50_us / 1e3, w[i].p90_us / 1e3, w[i].p99_us / 1e3, w[i].max_us / 1e3, w[i].service_p99_us / 1e3);
        for (int c = 0; c < FL_LOAD_ERR_COUNT; c++)
            fprintf(out, ",%u", w[i].errors_by_class[c]);
        fputc('\n', out);
    }
}

json_t *fl_series_to_json(const fl_load_window *w, size_t n) {
    json_t *array = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *errors = json_object();
        json_object_set_new(errors, "total", json_integer(w[i].errors));
        for (int c = 0; c < FL_LOAD_ERR_COUNT; c++)
            json_object_set_new(errors, fl_load_error_name((fl_load_error_class)c),
                                json_integer(w[i].errors_by_class[c]));
        json_t *latency = json_object();
        json_object_set_new(latency, "p50", fl_json_ms(w[i].p50_us));
        json_object_set_new(latency, "p90", fl_json_ms(w[i].p90_us));
        json_object_set_new(latency, "p99", fl_json_ms(w[i].p99_us));
        json_object_set_new(latency, "max", fl_json_ms(w[i].max_us));
        json_t *service = json_object();
        json_object_set_new(service, "p99", fl_json_ms(w[i].service_p99_us));
        json_t *o = json_object();
        json_object_set_new(o, "index", json_integer(w[i].index));
        json_object_set_new(o, "start", fl_json_time(w[i].start_unix_us));
        json_object_set_new(o, "offset_ms", fl_json_ms(w[i].start_us));
        json_object_set_new(o, "length_ms", fl_json_ms(w[i].length_us));
        json_object_set_new(o, "requests", json_integer(w[i].requests));
        json_object_set_new(o, "sent", json_integer(w[i].sent));
        json_object_set_new(o, "late", json_integer(w[i].late));
        json_object_set_new(o, "in_flight", json_integer(w[i].in_flight));
        json_object_set_new(o, "backlog", json_integer(w[i].backlog));
        json_object_set_new(o, "errors", errors);
        json_object_set_new(o, "error_ratio",
                            json_real(w[i].requests ? (double)w[i].errors / (double)w[i].requests : 0.0));
        json_object_set_new(o, "latency_ms", latency);
        json_object_set_new(o, "service_time_ms", service);
        json_array_append_new(array, o);
    }
    return array;
}
