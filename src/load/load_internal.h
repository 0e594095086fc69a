/* Declarations shared by the files of src/load. Private to libfaultline. */
#ifndef FL_LOAD_INTERNAL_H
#define FL_LOAD_INTERNAL_H

#include "faultline/load.h"
#include "load/http_client.h"
#include "load/pacer.h"
#include "load/series.h"

#include <pthread.h>
#include <stdatomic.h>

struct fl_load_config {
    char *url;
    double rate; /* requests/s; INFINITY for closed loop */
    bool rate_given;
    int64_t duration_us;
    bool duration_given;
    uint32_t connections;
    char *method;
    char **headers;
    size_t n_headers;
    char *body;
    size_t body_len;
    int64_t timeout_us;
    int64_t late_after_us;
    int64_t window_us;
};

#define FL_LOAD_DEFAULT_CONNECTIONS 32
#define FL_LOAD_MAX_CONNECTIONS 10000
#define FL_LOAD_DEFAULT_TIMEOUT_US 2000000
#define FL_LOAD_DEFAULT_LATE_AFTER_US 10000
#define FL_LOAD_DEFAULT_WINDOW_US 1000000
#define FL_LOAD_MAX_DURATION_US FL_MAX_DURATION_US /* as long as a fault may be held */
#define FL_LOAD_MIN_DURATION_US 1000LL
#define FL_LOAD_MAX_RATE 1e6 /* per second; "max" is closed loop */
#define FL_LOAD_MIN_TIMEOUT_US 1000LL
#define FL_LOAD_MIN_WINDOW_US 10000LL            /* 10 ms: below it windows are mostly empty */
#define FL_LOAD_MAX_OPTION_US (3600LL * 1000000) /* timeout, late-after, window: at most 1 h */
#define FL_LOAD_MAX_BODY_BYTES (64u * 1024 * 1024)
#define FL_LOAD_MAX_BODY_TEXT "64M" /* FL_LOAD_MAX_BODY_BYTES, for messages */

fl_load_config *fl_load_config_copy(const fl_load_config *cfg);

/* A running (or finished) load. The fields above `lock` belong to the load
 * thread while it runs; those guarded by `lock` are what readers see. */
struct fl_load {
    fl_load_config *cfg;
    pthread_t thread;
    bool thread_started;
    bool joined;
    int stop_fd;   /* eventfd: asks the load thread to stop */
    int notify_fd; /* eventfd: a window completed, or the load finished */
    int epfd;
    char *request;
    size_t request_len;
    fl_client client;
    fl_pacer pacer;
    bool closed_loop;
    int64_t start_ns, start_wall_us, duration_ns, timeout_ns, late_after_ns, window_ns;
    int64_t send_cutoff_ns; /* open loop: the backlog is sent until then */
    int64_t last_send_ns;
    uint64_t issued;         /* requests handed to a connection (or given up as unsent) */
    fl_load_summary running; /* totals kept by the load thread */
    fl_load_window window;   /* the window being filled */
    int64_t window_start_ns;
    fl_hist *window_latency, *window_service_time;
    fl_hist *window_seen; /* scratch: window_latency plus the waiting requests */

    pthread_mutex_t lock;
    pthread_cond_t changed;
    uint64_t generation; /* bumped at every completed window and at the end */
    fl_series series;
    fl_hist *latency; /* cumulative over completed windows */
    fl_hist *service_time;
    fl_load_summary published;

    atomic_bool stop_requested;
};

const fl_load_config *fl_load_config_of(const fl_load *load);

#endif
