/* faultline load: open-loop HTTP/1.1 load with truthful latency.
 *
 * A load sends requests on a fixed schedule (an intended send time for every
 * request) and measures latency from that intended time, so a server that
 * stalls cannot hide its stall by slowing the client down (coordinated
 * omission). The service time, from the actual send, is kept as well.
 * Requests that could not go out on time are sent anyway, as soon as a
 * connection is free, and counted as late.
 *
 * The load runs in its own thread. Another thread (or an event loop, through
 * fl_load_fd()) reads completed one-second windows and running totals while
 * it runs:
 *
 *     fl_error err;
 *     fl_load_config *cfg = fl_load_config_new();
 *     fl_load_config_set(cfg, "url", "http://127.0.0.1:8080/item/1", &err);
 *     fl_load_config_set(cfg, "rate", "1000/s", &err);
 *     fl_load_config_set(cfg, "duration", "30s", &err);
 *     fl_load *load = fl_load_start(cfg, &err);
 *     size_t seen = 0;
 *     while (!fl_load_wait(load, 1000)) {
 *         fl_load_window w[8];
 *         size_t n = fl_load_windows(load, seen, w, 8);
 *         ...evaluate w[0..n-1]...
 *         seen += n;
 *     }
 *     fl_load_summary sum;
 *     fl_load_snapshot(load, &sum);
 *     fl_load_free(load);
 *     fl_load_config_free(cfg);
 *
 * Every time in this API is in microseconds unless its name says otherwise.
 */
#ifndef FAULTLINE_LOAD_H
#define FAULTLINE_LOAD_H

#include "faultline.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- histogram ----------------------------------------------------------
 * A log-linear histogram of durations from 1 us to 1 h with 3 significant
 * digits: every value is reported within 0.1% of what was recorded (values
 * below 2048 us exactly). Values outside the range are clamped into it for
 * the percentiles; min and max stay exact. Fixed memory (under 200 KB),
 * recording is a few instructions and never allocates. Not thread-safe:
 * one writer, or a lock around it. */
typedef struct fl_hist fl_hist;

#define FL_HIST_LOWEST_US 1
#define FL_HIST_HIGHEST_US (3600LL * 1000000) /* 1 h */

FL_API fl_hist *fl_hist_new(void);
FL_API void fl_hist_free(fl_hist *h);
FL_API void fl_hist_record(fl_hist *h, int64_t value_us);
FL_API void fl_hist_record_n(fl_hist *h, int64_t value_us, uint64_t count);
/* Adds every count of `from` into `into` (the same as having recorded
 * into one histogram). */
FL_API void fl_hist_merge(fl_hist *into, const fl_hist *from);
FL_API void fl_hist_reset(fl_hist *h);
FL_API void fl_hist_copy(fl_hist *into, const fl_hist *from);
FL_API uint64_t fl_hist_count(const fl_hist *h);
FL_API int64_t fl_hist_min(const fl_hist *h); /* 0 when empty */
FL_API int64_t fl_hist_max(const fl_hist *h); /* 0 when empty */
FL_API double fl_hist_mean(const fl_hist *h);
/* The value at `percentile` (0..100): the smallest recorded value such
 * that at least that share of the values are at or below it, within the
 * stated precision (never below the recorded value, never above max).
 * 0 when empty. */
FL_API int64_t fl_hist_percentile(const fl_hist *h, double percentile);
/* Several percentiles in one pass; `percentiles` in increasing order. */
FL_API void fl_hist_percentiles(const fl_hist *h, const double *percentiles, size_t n, int64_t *out_us);
/* Bytes this histogram occupies. */
FL_API size_t fl_hist_memory(const fl_hist *h);
/* Calls `step` for every non-empty bucket in increasing order: the bucket's
 * highest equivalent value and its count. */
typedef void (*fl_hist_bucket_cb)(void *user, int64_t value_us, uint64_t count);
FL_API void fl_hist_foreach(const fl_hist *h, fl_hist_bucket_cb step, void *user);

/* ---- configuration ------------------------------------------------------ */
typedef struct fl_load_config fl_load_config;

FL_API fl_load_config *fl_load_config_new(void);
FL_API void fl_load_config_free(fl_load_config *cfg);
/* Sets one option from its text form and validates it at once (FL_EINVAL,
 * message naming the option as "--name: ..."):
 *   url          http://host[:port]/path?query   (required; IPv4, [IPv6], hostname)
 *   rate         "1000/s", "60/m", or "max" for closed loop (required)
 *   duration     "30s", "5m" (required; at most 12h)
 *   connections  1..10000 (default 32)
 *   method       GET, POST, ... (default GET)
 *   header       "Name: value"; repeatable
 *   body         the request body as text
 *   body-file    a file whose content is the body (read now)
 *   timeout      per request, from its actual send (default 2s)
 *   late-after   a request is late when sent this long after its intended
 *                time (default 10ms)
 *   window       length of a window of the time series (default 1s)
 */
FL_API int fl_load_config_set(fl_load_config *cfg, const char *name, const char *value, fl_error *err);
/* Checks what needs several options together (url, rate, duration given). */
FL_API int fl_load_config_validate(const fl_load_config *cfg, fl_error *err);

/* ---- results ------------------------------------------------------------ */
/* Why a request failed. HTTP statuses 4xx and 5xx are errors too. */
typedef enum fl_load_error_class {
    FL_LOAD_ERR_CONNECT,  /* the connection could not be made */
    FL_LOAD_ERR_TIMEOUT,  /* no complete response within the timeout */
    FL_LOAD_ERR_RESET,    /* the server reset or closed the connection mid-request */
    FL_LOAD_ERR_PROTOCOL, /* the response was not valid HTTP/1.x */
    FL_LOAD_ERR_HTTP_4XX,
    FL_LOAD_ERR_HTTP_5XX,
    FL_LOAD_ERR_UNSENT, /* still waiting for a connection when the run ended */
    FL_LOAD_ERR_COUNT
} fl_load_error_class;

/* "connect", "timeout", "reset", "protocol", "http_4xx", "http_5xx", "unsent" */
FL_API const char *fl_load_error_name(fl_load_error_class cls);

/* Latency statistics, microseconds. */
typedef struct fl_load_latency {
    int64_t min, p50, p90, p99, p999, p9999, max;
    double mean;
} fl_load_latency;

/* One window of the time series. A request belongs to the window in which it
 * finished (response, error or timeout); `sent` and `late` count the
 * requests sent in the window. */
typedef struct fl_load_window {
    uint32_t index;
    int64_t start_us;      /* since the start of the load */
    int64_t length_us;     /* the last window may be shorter */
    int64_t start_unix_us; /* wall clock */
    uint32_t requests;     /* finished in this window, errors included */
    uint32_t errors;
    uint32_t errors_by_class[FL_LOAD_ERR_COUNT];
    uint32_t sent;
    uint32_t late;
    uint32_t in_flight; /* sent but not finished at the window's end */
    uint32_t backlog;   /* due but not yet sent at the window's end */
    /* Latency from the intended send time over what the window saw: the
     * requests that finished in it with a response or a timeout, and the
     * requests still waiting at its end (in flight or in the backlog),
     * counted at their age so far. A stalled server therefore shows in the
     * window it stalls in, not only when its requests time out; with
     * waiting requests the values are lower bounds. `latency_count` is the
     * number of values behind them; all are 0 when it is 0 (the window saw
     * no request: its latency is absent, not zero). */
    uint32_t latency_count;
    int64_t p50_us, p90_us, p99_us, p999_us, max_us;
    int64_t oldest_waiting_us; /* age of the oldest waiting request; 0 if none */
    int64_t service_p99_us;    /* from the actual send, finished requests only */
} fl_load_window;

typedef struct fl_load_summary {
    bool closed_loop;        /* rate "max" */
    bool finished;           /* the load is over (ran out, or stopped) */
    bool stopped;            /* ended early by fl_load_stop() */
    double rate_target;      /* requests/s; 0 for closed loop */
    double rate_achieved;    /* requests sent per second of sending */
    int64_t duration_us;     /* as configured */
    int64_t elapsed_us;      /* so far, or in all once finished */
    int64_t started_unix_us; /* wall clock */
    int64_t ended_unix_us;   /* 0 while running */
    uint64_t scheduled;      /* requests due by the schedule so far */
    uint64_t sent;
    uint64_t requests;  /* finished: responses plus errors */
    uint64_t responses; /* with a complete HTTP response */
    uint64_t late;
    uint64_t errors;
    uint64_t errors_by_class[FL_LOAD_ERR_COUNT];
    uint64_t status_classes[6]; /* [1]..[5]: 1xx..5xx responses */
    uint64_t bytes_sent, bytes_received;
    uint64_t connects;            /* connections opened (reconnects included) */
    size_t windows;               /* completed windows */
    fl_load_latency latency;      /* from the intended send time */
    fl_load_latency service_time; /* from the actual send */
} fl_load_summary;

/* ---- running a load ----------------------------------------------------- */
typedef struct fl_load fl_load;

/* Validates the configuration, resolves the host (trying its addresses in
 * order and keeping the first that accepts a connection) and starts the
 * load in a new thread. The configuration is copied. */
FL_API fl_load *fl_load_start(const fl_load_config *cfg, fl_error *err);
/* A descriptor that becomes readable when a window completes and when the
 * load finishes; read it (8 bytes) to clear it. For event loops. */
FL_API int fl_load_fd(const fl_load *load);
/* Waits until the load finishes or a window completes or timeout_ms passes
 * (-1: no limit). Returns 1 once the load has finished, else 0. */
FL_API int fl_load_wait(fl_load *load, int timeout_ms);
/* Copies completed windows from index `from` on, at most `max` of them;
 * returns how many were copied. Safe from any thread while the load runs. */
FL_API size_t fl_load_windows(fl_load *load, size_t from, fl_load_window *out, size_t max);
/* Totals over the completed windows (all of the load once finished). */
FL_API int fl_load_snapshot(fl_load *load, fl_load_summary *out);
/* Copies the cumulative histograms of completed windows (either may be
 * NULL). */
FL_API int fl_load_histograms(fl_load *load, fl_hist *latency, fl_hist *service_time);
/* Merges the latency of windows [from, to) into `into`, at 2 significant
 * digits (within 1%): for percentiles over a phase of the run, such as
 * "while the fault was active". Finished requests only: each request is
 * counted once, in the window it finished in. */
FL_API int fl_load_windows_latency(fl_load *load, size_t from, size_t to, fl_hist *into);
/* Merges what window `index` saw (its percentiles' values: finished
 * requests and the waiting ones at their age) into `into`, within 1%. */
FL_API int fl_load_window_seen(fl_load *load, size_t index, fl_hist *into);

/* ---- windows on the wire -------------------------------------------------
 * One window as one line of JSON (docs/load.md, "stream"), with what it saw
 * as a histogram, so that windows of loads sent from several hosts merge
 * into exact percentiles. fl_load_window_line returns a string to free(),
 * without a newline; fl_load_window_parse reads one back: the window and,
 * when `seen` is not NULL, its histogram merged into `seen`. Returns 0, or
 * -1 when the line is not a window. */
FL_API char *fl_load_window_line(fl_load *load, size_t index);
FL_API int fl_load_window_parse(const char *line, fl_load_window *out, fl_hist *seen);

/* ---- thresholds ------------------------------------------------------------
 * What "the load went well" means, checked on the whole run (like k6's
 * thresholds): the error ratio at most max_errors (0..1), each latency
 * percentile at most its bound (microseconds; 0: no bound). A bound on a
 * percentile fails when no request got a latency at all: absent is not
 * fast. fl_load_check returns 0 when every bound holds, else 1 with one
 * line per breach in `why`. */
typedef struct fl_load_thresholds {
    double max_errors; /* ratio; < 0: no bound */
    int64_t max_p50_us, max_p90_us, max_p99_us, max_p999_us, max_latency_us;
} fl_load_thresholds;

FL_API void fl_load_thresholds_init(fl_load_thresholds *t);
/* Sets one bound from text: "max-errors" ("1%"), "max-p50", "max-p90",
 * "max-p99", "max-p999", "max-latency" (durations). FL_EINVAL naming it. */
FL_API int fl_load_thresholds_set(fl_load_thresholds *t, const char *name, const char *value, fl_error *err);
FL_API int fl_load_check(fl_load *load, const fl_load_thresholds *t, char *why, size_t why_len);
/* Stops the load early: stops sending, abandons requests in flight (not
 * counted), closes the last window and waits for the thread. Idempotent. */
FL_API void fl_load_stop(fl_load *load);
/* Stops the load if still running and frees everything. */
FL_API void fl_load_free(fl_load *load);
/* Bytes the load holds in memory now (histograms, series, connections). */
FL_API size_t fl_load_memory(fl_load *load);

/* ---- output ------------------------------------------------------------- */
/* The whole result as one JSON document (the schema is in docs/load.md),
 * with the per-window series. Returns a string to free(), NULL on error. */
FL_API char *fl_load_result_json(fl_load *load);
/* Writes the series of completed windows as CSV (a header line, then one line
 * per window) or as a JSON array. */
FL_API int fl_load_series_csv(fl_load *load, FILE *out, fl_error *err);
FL_API int fl_load_series_json(fl_load *load, FILE *out, fl_error *err);

#ifdef __cplusplus
}
#endif
#endif
