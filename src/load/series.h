/* The per-window time series: a growable array of fixed-size window records
 * plus, per window, the latency distribution in compact form. A 1 h run
 * with 1 s windows holds 3,600 of each. Not locked here: the load guards it.
 * Private to libfaultline. */
#ifndef FL_LOAD_SERIES_H
#define FL_LOAD_SERIES_H

#include "faultline/load.h"

#include <jansson.h>
#include <stdio.h>

typedef struct fl_series {
    fl_load_window *windows;
    uint8_t **latency_blobs; /* compact_hist encoding of each window's latency */
    uint32_t *latency_blob_lens;
    uint8_t **seen_blobs; /* what the window saw, with waiting requests; NULL: the same as latency */
    uint32_t *seen_blob_lens;
    size_t count, capacity;
    size_t blob_bytes;
} fl_series;

void fl_series_init(fl_series *s);
void fl_series_free(fl_series *s);
/* Appends a window; takes ownership of the blobs (either may be NULL;
 * `seen` NULL when the window had no waiting request). */
int fl_series_append(fl_series *s, const fl_load_window *w, uint8_t *blob, size_t blob_len, uint8_t *seen,
                     size_t seen_len);
size_t fl_series_memory(const fl_series *s);
/* Merges the latency of windows [from, to) into `into`. */
int fl_series_latency(const fl_series *s, size_t from, size_t to, fl_hist *into);
/* Merges what window `index` saw into `into`. */
int fl_series_seen(const fl_series *s, size_t index, fl_hist *into);
/* CSV: a header line, then one line per window. */
void fl_series_write_csv(const fl_load_window *w, size_t n, FILE *out);
/* A JSON array with one object per window (schema in docs/load.md). */
json_t *fl_series_to_json(const fl_load_window *w, size_t n);
/* A window's latency object {p50, p90, p99, p999, max} in ms, or null when
 * the window saw no request. */
json_t *fl_window_latency_json(const fl_load_window *w);
/* A duration in us as a JSON number of milliseconds. */
json_t *fl_json_ms(int64_t us);
/* RFC 3339 UTC with milliseconds. */
json_t *fl_json_time(int64_t unix_us);

#endif
