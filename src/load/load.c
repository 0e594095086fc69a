/* The load: one thread that runs the schedule over an epoll loop, records
 * every outcome into per-window histograms, and publishes each completed
 * window to readers under a lock.
 *
 * Open loop: request i is due at start + i/rate. Whenever a request is due
 * and a connection is free, it goes out; when none is free it waits (and is
 * late), but its latency still counts from its due time, so a stalled server
 * shows up in the latency instead of silently lowering the request count.
 * Closed loop (rate "max"): every connection sends its next request as soon
 * as the previous one ends.
 */
#include "core/internal.h"
#include "load/compact_hist.h"
#include "load/http_request.h"
#include "load/load_internal.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define STOP_EVENT UINT64_MAX /* epoll data of the stop eventfd */
#define EVENTS_PER_WAIT 256

static int64_t ns_to_us(int64_t ns) { return (ns + 500) / 1000; }

const char *fl_load_error_name(fl_load_error_class cls) {
    static const char *const names[FL_LOAD_ERR_COUNT] = {"connect",  "timeout",  "reset", "protocol",
                                                         "http_4xx", "http_5xx", "unsent"};
    return (unsigned)cls < FL_LOAD_ERR_COUNT ? names[cls] : "unknown";
}

const fl_load_config *fl_load_config_of(const fl_load *load) { return load->cfg; }

/* ---- recording (load thread) ---------------------------------------- */

static void count_error(fl_load *load, fl_load_error_class cls, uint64_t n) {
    load->running.errors += n;
    load->running.errors_by_class[cls] += n;
    load->window.errors += (uint32_t)n;
    load->window.errors_by_class[cls] += (uint32_t)n;
}

static void on_request_done(void *user, int64_t intended_ns, int64_t sent_ns, int64_t now_ns, int outcome) {
    fl_load *load = user;
    load->running.requests++;
    load->window.requests++;
    bool record = false;
    if (outcome >= 1000 || (outcome >= 0 && outcome < 100) || outcome < -FL_LOAD_ERR_COUNT)
        outcome = FL_CLIENT_OUTCOME(FL_LOAD_ERR_PROTOCOL); /* never index past the classes */
    if (outcome >= 100) {
        load->running.responses++;
        int status_class = outcome / 100;
        if (status_class >= 1 && status_class <= 5)
            load->running.status_classes[status_class]++;
        if (status_class == 4)
            count_error(load, FL_LOAD_ERR_HTTP_4XX, 1);
        else if (status_class == 5)
            count_error(load, FL_LOAD_ERR_HTTP_5XX, 1);
        record = true;
    } else {
        fl_load_error_class cls = (fl_load_error_class)(-outcome - 1);
        count_error(load, cls, 1);
        /* A timed-out request waited at least this long: leaving it out of
         * the latency would hide exactly the slowness being measured. */
        record = cls == FL_LOAD_ERR_TIMEOUT;
    }
    if (record) {
        fl_hist_record(load->window_latency, ns_to_us(now_ns - intended_ns));
        fl_hist_record(load->window_service_time, ns_to_us(now_ns - sent_ns));
    }
}

static void send_one(fl_load *load, int64_t intended_ns, int64_t now_ns) {
    load->issued++;
    load->running.sent++;
    load->window.sent++;
    if (now_ns - intended_ns > load->late_after_ns) {
        load->running.late++;
        load->window.late++;
    }
    load->last_send_ns = now_ns;
    fl_client_send(&load->client, intended_ns, now_ns);
}

/* ---- publishing (load thread, under the lock) ---------------------- */

static void latency_stats(const fl_hist *h, fl_load_latency *out) {
    static const double qs[] = {50, 90, 99, 99.9, 99.99};
    int64_t v[5];
    fl_hist_percentiles(h, qs, 5, v);
    out->p50 = v[0];
    out->p90 = v[1];
    out->p99 = v[2];
    out->p999 = v[3];
    out->p9999 = v[4];
    out->min = fl_hist_min(h);
    out->max = fl_hist_max(h);
    out->mean = fl_hist_mean(h);
}

static double achieved_rate(const fl_load *load, int64_t now_ns, bool finished) {
    int64_t span = now_ns - load->start_ns;
    if (finished && !load->running.stopped && !load->closed_loop) {
        /* Sending took the whole schedule, or longer when the backlog went
         * out late: [start, last send + one interval]. */
        int64_t sending = load->last_send_ns + (int64_t)load->pacer.interval_ns - load->start_ns;
        span = sending > load->duration_ns ? sending : load->duration_ns;
    } else if (finished && !load->running.stopped) {
        span = load->duration_ns;
    }
    return span > 0 ? (double)load->running.sent / ((double)span / 1e9) : 0.0;
}

static void publish(fl_load *load, int64_t now_ns, bool finished) {
    load->running.elapsed_us = ns_to_us(now_ns - load->start_ns);
    load->running.rate_achieved = achieved_rate(load, now_ns, finished);
    load->running.scheduled = load->closed_loop ? load->running.sent : fl_pacer_due(&load->pacer, now_ns);
    load->running.bytes_sent = load->client.bytes_sent;
    load->running.bytes_received = load->client.bytes_received;
    load->running.connects = load->client.connects;
    if (finished) {
        load->running.finished = true;
        load->running.ended_unix_us = fl_wall_us();
    }
    load->running.windows = load->series.count;
    latency_stats(load->latency, &load->running.latency);
    latency_stats(load->service_time, &load->running.service_time);
    load->published = load->running;
    load->generation++;
}

static void notify(fl_load *load) {
    uint64_t one = 1;
    ssize_t n = write(load->notify_fd, &one, sizeof(one));
    (void)n; /* a full counter still reads as "something happened" */
}

/* Requests still waiting at `end_ns` (in flight, or due and not yet sent)
 * go into `seen` at their age so far; returns how many, and the oldest's
 * age in *oldest_us. A backlog can be huge when a server stalls under a high
 * rate: beyond MAX_WAITING_RECORDS its ages are recorded in equal groups,
 * each at its youngest age (a lower bound, as every waiting value is). */
#define MAX_WAITING_RECORDS 4096
static uint32_t record_waiting(fl_load *load, int64_t end_ns, fl_hist *seen, int64_t *oldest_us) {
    uint32_t waiting = 0;
    int64_t oldest = 0;
    const fl_client *c = &load->client;
    for (uint32_t i = 0; i < c->n_conns; i++) {
        const fl_conn *conn = &c->conns[i];
        if (conn->state != FL_CONN_BUSY && conn->state != FL_CONN_CONNECTING)
            continue;
        int64_t age = ns_to_us(end_ns - conn->intended_ns);
        fl_hist_record(seen, age);
        oldest = age > oldest ? age : oldest;
        waiting++;
    }
    if (!load->closed_loop) {
        uint64_t due = fl_pacer_due(&load->pacer, end_ns - 1);
        uint64_t backlog = due > load->issued ? due - load->issued : 0;
        uint64_t group = backlog / MAX_WAITING_RECORDS + 1;
        for (uint64_t k = 0; k < backlog; k += group) {
            uint64_t n = backlog - k < group ? backlog - k : group;
            /* request issued+k is the oldest of its group; issued+k+n-1 the youngest */
            int64_t youngest = ns_to_us(end_ns - fl_pacer_intended_ns(&load->pacer, load->issued + k + n - 1));
            fl_hist_record_n(seen, youngest, n);
        }
        if (backlog) {
            int64_t age = ns_to_us(end_ns - fl_pacer_intended_ns(&load->pacer, load->issued));
            oldest = age > oldest ? age : oldest;
        }
        waiting += (uint32_t)backlog;
    }
    *oldest_us = oldest;
    return waiting;
}

/* Closes the window being filled at `end_ns` and starts the next one. */
static void close_window(fl_load *load, int64_t end_ns, bool finished) {
    fl_load_window *w = &load->window;
    w->start_us = ns_to_us(load->window_start_ns - load->start_ns);
    w->length_us = ns_to_us(end_ns - load->window_start_ns);
    w->start_unix_us = load->start_wall_us + w->start_us;
    w->in_flight = load->client.in_flight;
    w->backlog = load->closed_loop ? 0 : (uint32_t)(fl_pacer_due(&load->pacer, end_ns - 1) - load->issued);
    /* The percentiles count what the window saw: finished requests, and
     * the ones still waiting at their age (fl_load_window). */
    fl_hist_copy(load->window_seen, load->window_latency);
    uint32_t waiting = finished ? 0 : record_waiting(load, end_ns, load->window_seen, &w->oldest_waiting_us);
    const fl_hist *seen = waiting ? load->window_seen : load->window_latency;
    static const double qs[] = {50, 90, 99, 99.9};
    int64_t v[4];
    fl_hist_percentiles(seen, qs, 4, v);
    w->latency_count = (uint32_t)fl_hist_count(seen);
    w->p50_us = v[0];
    w->p90_us = v[1];
    w->p99_us = v[2];
    w->p999_us = v[3];
    w->max_us = fl_hist_max(seen);
    w->service_p99_us = fl_hist_percentile(load->window_service_time, 99);
    size_t blob_len = 0, seen_len = 0;
    uint8_t *blob = fl_compact_hist_encode(load->window_latency, &blob_len);
    uint8_t *seen_blob = waiting ? fl_compact_hist_encode(load->window_seen, &seen_len) : NULL;

    /* The run may end exactly on a window boundary: no empty last window. */
    bool empty_tail = finished && w->length_us == 0 && !w->requests && !w->sent;
    pthread_mutex_lock(&load->lock);
    if (!empty_tail) {
        fl_series_append(&load->series, w, blob, blob_len, seen_blob, seen_len);
    } else {
        free(blob);
        free(seen_blob);
    }
    fl_hist_merge(load->latency, load->window_latency);
    fl_hist_merge(load->service_time, load->window_service_time);
    publish(load, end_ns, finished);
    pthread_cond_broadcast(&load->changed);
    pthread_mutex_unlock(&load->lock);
    notify(load);

    uint32_t next_index = w->index + 1;
    memset(w, 0, sizeof(*w));
    w->index = next_index;
    load->window_start_ns = end_ns;
    fl_hist_reset(load->window_latency);
    fl_hist_reset(load->window_service_time);
}

/* ---- the loop (load thread) ------------------------------------------ */

static int wait_events(int epfd, struct epoll_event *events, int64_t timeout_ns) {
    if (timeout_ns < 0)
        timeout_ns = 0;
    static atomic_bool no_pwait2;
    if (!atomic_load(&no_pwait2)) {
        /* Nanosecond timeouts: at 10,000 req/s requests are 100 us apart. */
        struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
        int n = epoll_pwait2(epfd, events, EVENTS_PER_WAIT, &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        atomic_store(&no_pwait2, true);
    }
    return epoll_wait(epfd, events, EVENTS_PER_WAIT, (int)((timeout_ns + 999999) / 1000000));
}

static void issue_due_requests(fl_load *load, int64_t now_ns) {
    fl_client *client = &load->client;
    if (load->closed_loop) {
        /* At most one send per connection per turn: a connection refused at
         * once is free again at once, and must not spin here. */
        uint32_t turns = client->n_conns;
        if (now_ns < load->start_ns + load->duration_ns)
            while (turns-- > 0 && fl_client_has_free(client))
                send_one(load, now_ns, now_ns);
        return;
    }
    if (now_ns < load->send_cutoff_ns) {
        uint64_t due = fl_pacer_due(&load->pacer, now_ns);
        while (load->issued < due && fl_client_has_free(client))
            send_one(load, fl_pacer_intended_ns(&load->pacer, load->issued), now_ns);
    } else if (load->issued < load->pacer.total) {
        /* The backlog could not be sent within the grace period: these
         * requests end as errors rather than vanish. */
        uint64_t unsent = load->pacer.total - load->issued;
        load->running.requests += unsent;
        load->window.requests += (uint32_t)unsent;
        count_error(load, FL_LOAD_ERR_UNSENT, unsent);
        load->issued = load->pacer.total;
    }
}

static bool schedule_done(const fl_load *load, int64_t now_ns) {
    if (load->client.in_flight)
        return false;
    if (load->closed_loop)
        return now_ns >= load->start_ns + load->duration_ns;
    return load->issued >= load->pacer.total;
}

static int64_t next_wakeup(const fl_load *load, int64_t now_ns) {
    int64_t wake = load->window_start_ns + load->window_ns;
    if (load->closed_loop) {
        int64_t end = load->start_ns + load->duration_ns;
        if (now_ns < end && end < wake)
            wake = end;
    } else if (load->issued < load->pacer.total) {
        if (fl_client_has_free(&load->client)) {
            int64_t due = fl_pacer_intended_ns(&load->pacer, load->issued);
            if (due < wake)
                wake = due;
        }
        if (load->send_cutoff_ns < wake)
            wake = load->send_cutoff_ns;
    }
    if (load->client.earliest_deadline_ns < wake)
        wake = load->client.earliest_deadline_ns;
    return wake;
}

static void *load_thread(void *arg) {
    fl_load *load = arg;
    /* The default 50 us timer slack would delay every paced send. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    struct epoll_event events[EVENTS_PER_WAIT];
    int64_t now = fl_mono_ns();
    for (;;) {
        while (now >= load->window_start_ns + load->window_ns)
            close_window(load, load->window_start_ns + load->window_ns, false);
        if (atomic_load(&load->stop_requested)) {
            load->running.stopped = true;
            break;
        }
        issue_due_requests(load, now);
        if (schedule_done(load, now))
            break;
        int n = wait_events(load->epfd, events, next_wakeup(load, now) - now);
        now = fl_mono_ns();
        for (int i = 0; i < n; i++) {
            if (events[i].data.u64 == STOP_EVENT)
                atomic_store(&load->stop_requested, true);
            else
                fl_client_handle(&load->client, events[i].data.u64, events[i].events, now);
        }
        fl_client_expire(&load->client, now);
    }
    /* Requests still in flight after a stop are abandoned, not counted. */
    fl_client_close_all(&load->client);
    close_window(load, now, true);
    return NULL;
}

/* ---- starting ---------------------------------------------------------- */

/* Connects to `ai` within timeout_ms; true if the server accepted. */
static bool accepts_connections(const struct addrinfo *ai, int timeout_ms) {
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return false;
    bool ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    if (!ok && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int so_error = 1;
        socklen_t len = sizeof(so_error);
        ok =
            poll(&p, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0;
    }
    close(fd);
    return ok;
}

/* Resolves the host; of several addresses ("localhost": ::1 and 127.0.0.1)
 * keeps the first that accepts a connection, else the first. */
static int resolve(fl_load *load, const fl_http_target *t, fl_error *err) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(t->host, t->port, &hints, &list);
    if (rc != 0)
        return fl_fail(err, FL_EINVAL, "url", "url: cannot resolve '%s': %s", t->host, gai_strerror(rc));
    const struct addrinfo *chosen = list;
    if (list->ai_next) {
        for (const struct addrinfo *ai = list; ai; ai = ai->ai_next)
            if (accepts_connections(ai, 1000)) {
                chosen = ai;
                break;
            }
    }
    memcpy(&load->client.addr, chosen->ai_addr, chosen->ai_addrlen);
    load->client.addr_len = chosen->ai_addrlen;
    freeaddrinfo(list);
    return 0;
}

static void release(fl_load *load) {
    fl_client_destroy(&load->client);
    if (load->epfd >= 0)
        close(load->epfd);
    if (load->stop_fd >= 0)
        close(load->stop_fd);
    if (load->notify_fd >= 0)
        close(load->notify_fd);
    fl_hist_free(load->window_latency);
    fl_hist_free(load->window_seen);
    fl_hist_free(load->window_service_time);
    fl_hist_free(load->latency);
    fl_hist_free(load->service_time);
    fl_series_free(&load->series);
    free(load->request);
    fl_load_config_free(load->cfg);
    pthread_mutex_destroy(&load->lock);
    pthread_cond_destroy(&load->changed);
    free(load);
}

fl_load *fl_load_start(const fl_load_config *cfg, fl_error *err) {
    fl_error_clear(err);
    if (fl_load_config_validate(cfg, err) != 0)
        return NULL;
    fl_load *load = fl_xcalloc(1, sizeof(*load));
    load->epfd = load->stop_fd = load->notify_fd = -1;
    pthread_mutex_init(&load->lock, NULL);
    fl_mono_cond_init(&load->changed);
    fl_series_init(&load->series);
    load->cfg = fl_load_config_copy(cfg);
    load->window_latency = fl_hist_new();
    load->window_seen = fl_hist_new();
    load->window_service_time = fl_hist_new();
    load->latency = fl_hist_new();
    load->service_time = fl_hist_new();
    fl_http_target target;
    if (fl_http_parse_url(load->cfg->url, "url", &target, err) != 0) {
        release(load);
        return NULL;
    }
    load->request = fl_http_build_request(&target, load->cfg->method, load->cfg->headers, load->cfg->n_headers,
                                          load->cfg->body, load->cfg->body_len, &load->request_len);
    struct sockaddr_storage addr;
    int resolved = resolve(load, &target, err);
    fl_http_target_clear(&target);
    memcpy(&addr, &load->client.addr, sizeof(addr));
    socklen_t addr_len = load->client.addr_len;
    if (resolved != 0) {
        release(load);
        return NULL;
    }

    load->epfd = epoll_create1(EPOLL_CLOEXEC);
    load->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    load->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event stop_ev = {.events = EPOLLIN, .data.u64 = STOP_EVENT};
    if (load->epfd < 0 || load->stop_fd < 0 || load->notify_fd < 0 ||
        epoll_ctl(load->epfd, EPOLL_CTL_ADD, load->stop_fd, &stop_ev) != 0) {
        fl_fail(err, FL_EAPPLY, "", "cannot set up the event loop: %s", strerror(errno));
        release(load);
        return NULL;
    }
    const fl_load_config *c = load->cfg;
    fl_client_init(&load->client, load->epfd, (struct sockaddr *)&addr, addr_len, load->request, load->request_len,
                   strcmp(c->method, "HEAD") == 0, c->timeout_us * 1000, c->connections, on_request_done, load);

    load->closed_loop = isinf(c->rate);
    load->duration_ns = c->duration_us * 1000;
    load->timeout_ns = c->timeout_us * 1000;
    load->late_after_ns = c->late_after_us * 1000;
    load->window_ns = c->window_us * 1000;
    load->start_ns = fl_mono_ns();
    load->start_wall_us = fl_wall_us();
    load->window_start_ns = load->start_ns;
    load->send_cutoff_ns = load->start_ns + load->duration_ns + load->timeout_ns;
    if (!load->closed_loop)
        fl_pacer_init(&load->pacer, load->start_ns, c->rate, c->duration_us);
    load->running.closed_loop = load->closed_loop;
    load->running.rate_target = load->closed_loop ? 0 : c->rate;
    load->running.duration_us = c->duration_us;
    load->running.started_unix_us = load->start_wall_us;
    load->published = load->running;

    /* The load thread takes no signals: Ctrl-C belongs to the caller, who
     * stops the load with fl_load_stop(). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&load->thread, NULL, load_thread, load);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fl_fail(err, FL_EAPPLY, "", "cannot start the load thread: %s", strerror(rc));
        release(load);
        return NULL;
    }
    load->thread_started = true;
    return load;
}

/* ---- reading (any thread) --------------------------------------------- */

int fl_load_fd(const fl_load *load) { return load->notify_fd; }

int fl_load_wait(fl_load *load, int timeout_ms) {
    pthread_mutex_lock(&load->lock);
    uint64_t seen = load->generation;
    if (!load->published.finished && timeout_ms != 0) {
        struct timespec deadline = fl_mono_deadline((int64_t)timeout_ms * 1000);
        while (load->generation == seen && !load->published.finished) {
            int rc = timeout_ms > 0 ? pthread_cond_timedwait(&load->changed, &load->lock, &deadline)
                                    : pthread_cond_wait(&load->changed, &load->lock);
            if (rc == ETIMEDOUT)
                break;
        }
    }
    int finished = load->published.finished ? 1 : 0;
    pthread_mutex_unlock(&load->lock);
    return finished;
}

size_t fl_load_windows(fl_load *load, size_t from, fl_load_window *out, size_t max) {
    pthread_mutex_lock(&load->lock);
    size_t n = 0;
    for (size_t i = from; i < load->series.count && n < max; i++)
        out[n++] = load->series.windows[i];
    pthread_mutex_unlock(&load->lock);
    return n;
}

int fl_load_snapshot(fl_load *load, fl_load_summary *out) {
    pthread_mutex_lock(&load->lock);
    *out = load->published;
    pthread_mutex_unlock(&load->lock);
    return 0;
}

int fl_load_histograms(fl_load *load, fl_hist *latency, fl_hist *service_time) {
    pthread_mutex_lock(&load->lock);
    if (latency)
        fl_hist_copy(latency, load->latency);
    if (service_time)
        fl_hist_copy(service_time, load->service_time);
    pthread_mutex_unlock(&load->lock);
    return 0;
}

int fl_load_windows_latency(fl_load *load, size_t from, size_t to, fl_hist *into) {
    pthread_mutex_lock(&load->lock);
    int rc = fl_series_latency(&load->series, from, to, into);
    pthread_mutex_unlock(&load->lock);
    return rc;
}

int fl_load_window_seen(fl_load *load, size_t index, fl_hist *into) {
    pthread_mutex_lock(&load->lock);
    int rc = fl_series_seen(&load->series, index, into);
    pthread_mutex_unlock(&load->lock);
    return rc;
}

size_t fl_load_memory(fl_load *load) {
    pthread_mutex_lock(&load->lock);
    size_t bytes = sizeof(*load) + 5 * fl_hist_memory(NULL) + fl_series_memory(&load->series) +
                   load->client.n_conns * (sizeof(fl_conn) + sizeof(uint32_t)) + load->request_len;
    pthread_mutex_unlock(&load->lock);
    return bytes;
}

void fl_load_stop(fl_load *load) {
    if (!load->thread_started || load->joined)
        return;
    atomic_store(&load->stop_requested, true);
    uint64_t one = 1;
    ssize_t n = write(load->stop_fd, &one, sizeof(one));
    (void)n;
    pthread_join(load->thread, NULL);
    load->joined = true;
}

void fl_load_free(fl_load *load) {
    if (!load)
        return;
    if (load->thread_started && !load->joined) {
        /* A load that already finished just needs joining. */
        if (!fl_load_wait(load, 0))
            fl_load_stop(load);
        else {
            pthread_join(load->thread, NULL);
            load->joined = true;
        }
    }
    release(load);
}
