/* The per-window time series and its CSV and JSON forms. */
#include "load/series.h"
#include "core/internal.h"
#include "load/compact_hist.h"

#include <stdlib.h>
#include <string.h>

void fl_series_init(fl_series *s) { memset(s, 0, sizeof(*s)); }

void fl_series_free(fl_series *s) {
    for (size_t i = 0; i < s->count; i++) {
        free(s->latency_blobs[i]);
        free(s->seen_blobs[i]);
    }
    free(s->windows);
    free(s->latency_blobs);
    free(s->latency_blob_lens);
    free(s->seen_blobs);
    free(s->seen_blob_lens);
    memset(s, 0, sizeof(*s));
}

/* Grows one of the series' parallel arrays. */
static void grow(void **array, size_t elem, size_t cap) { *array = fl_xreallocarray(*array, cap, elem); }

int fl_series_append(fl_series *s, const fl_load_window *w, uint8_t *blob, size_t blob_len, uint8_t *seen,
                     size_t seen_len) {
    if (s->count == s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 64;
        grow((void **)&s->windows, sizeof(*s->windows), cap);
        grow((void **)&s->latency_blobs, sizeof(*s->latency_blobs), cap);
        grow((void **)&s->latency_blob_lens, sizeof(*s->latency_blob_lens), cap);
        grow((void **)&s->seen_blobs, sizeof(*s->seen_blobs), cap);
        grow((void **)&s->seen_blob_lens, sizeof(*s->seen_blob_lens), cap);
        s->capacity = cap;
    }
    s->windows[s->count] = *w;
    s->latency_blobs[s->count] = blob;
    s->latency_blob_lens[s->count] = (uint32_t)blob_len;
    s->seen_blobs[s->count] = seen;
    s->seen_blob_lens[s->count] = (uint32_t)seen_len;
    s->blob_bytes += blob_len + seen_len;
    s->count++;
    return 0;
}

size_t fl_series_memory(const fl_series *s) {
    return s->capacity * (sizeof(fl_load_window) + 2 * (sizeof(uint8_t *) + sizeof(uint32_t))) + s->blob_bytes;
}

int fl_series_latency(const fl_series *s, size_t from, size_t to, fl_hist *into) {
    if (to > s->count)
        to = s->count;
    for (size_t i = from; i < to; i++)
        if (s->latency_blobs[i] && fl_compact_hist_merge(into, s->latency_blobs[i], s->latency_blob_lens[i]) != 0)
            return -1;
    return 0;
}

int fl_series_seen(const fl_series *s, size_t index, fl_hist *into) {
    if (index >= s->count)
        return -1;
    if (!s->seen_blobs[index])
        return fl_series_latency(s, index, index + 1, into);
    return fl_compact_hist_merge(into, s->seen_blobs[index], s->seen_blob_lens[index]);
}

json_t *fl_json_ms(int64_t us) { return json_real((double)us / 1000.0); }

json_t *fl_json_time(int64_t unix_us) {
    char buf[40];
    return json_string(fl_format_time(unix_us, buf, sizeof(buf)));
}

/* A latency in ms for CSV: empty when the window saw no request. */
static void csv_ms(FILE *out, const fl_load_window *w, int64_t us) {
    if (w->latency_count)
        fprintf(out, ",%.3f", us / 1e3);
    else
        fputc(',', out);
}

void fl_series_write_csv(const fl_load_window *w, size_t n, FILE *out) {
    fputs("start,offset_ms,length_ms,requests,sent,late,errors,in_flight,backlog,latency_count,p50_ms,p90_ms,p99_ms,"
          "p999_ms,max_ms,oldest_waiting_ms,service_p99_ms",
          out);
    for (int c = 0; c < FL_LOAD_ERR_COUNT; c++)
        fprintf(out, ",errors_%s", fl_load_error_name((fl_load_error_class)c));
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        char start[40];
        fl_format_time(w[i].start_unix_us, start, sizeof(start));
        fprintf(out, "%s,%.3f,%.3f,%u,%u,%u,%u,%u,%u,%u", start, w[i].start_us / 1e3, w[i].length_us / 1e3,
                w[i].requests, w[i].sent, w[i].late, w[i].errors, w[i].in_flight, w[i].backlog, w[i].latency_count);
        csv_ms(out, &w[i], w[i].p50_us);
        csv_ms(out, &w[i], w[i].p90_us);
        csv_ms(out, &w[i], w[i].p99_us);
        csv_ms(out, &w[i], w[i].p999_us);
        csv_ms(out, &w[i], w[i].max_us);
        fprintf(out, ",%.3f", w[i].oldest_waiting_us / 1e3);
        if (w[i].requests)
            fprintf(out, ",%.3f", w[i].service_p99_us / 1e3);
        else
            fputc(',', out);
        for (int c = 0; c < FL_LOAD_ERR_COUNT; c++)
            fprintf(out, ",%u", w[i].errors_by_class[c]);
        fputc('\n', out);
    }
}

json_t *fl_window_latency_json(const fl_load_window *w) {
    if (!w->latency_count)
        return json_null();
    json_t *latency = json_object();
    json_object_set_new(latency, "p50", fl_json_ms(w->p50_us));
    json_object_set_new(latency, "p90", fl_json_ms(w->p90_us));
    json_object_set_new(latency, "p99", fl_json_ms(w->p99_us));
    json_object_set_new(latency, "p999", fl_json_ms(w->p999_us));
    json_object_set_new(latency, "max", fl_json_ms(w->max_us));
    return latency;
}

json_t *fl_series_to_json(const fl_load_window *w, size_t n) {
    json_t *array = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *errors = json_object();
        json_object_set_new(errors, "total", json_integer(w[i].errors));
        for (int c = 0; c < FL_LOAD_ERR_COUNT; c++)
            json_object_set_new(errors, fl_load_error_name((fl_load_error_class)c),
                                json_integer(w[i].errors_by_class[c]));
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
                            w[i].requests ? json_real((double)w[i].errors / (double)w[i].requests) : json_null());
        json_object_set_new(o, "latency_count", json_integer(w[i].latency_count));
        json_object_set_new(o, "latency_ms", fl_window_latency_json(&w[i]));
        json_object_set_new(o, "oldest_waiting_ms", fl_json_ms(w[i].oldest_waiting_us));
        json_object_set_new(o, "service_time_ms",
                            w[i].requests ? json_pack("{s:o}", "p99", fl_json_ms(w[i].service_p99_us)) : json_null());
        json_array_append_new(array, o);
    }
    return array;
}
