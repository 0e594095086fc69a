/* The HTTP side of the load generator: response parsing (Content-Length,
 * chunked, close-delimited, HEAD, interim 1xx, garbage), URLs and requests,
 * option errors, and, against small servers on loopback run by this test,
 * that every request ends in exactly one class: a response, connect,
 * timeout, reset, or an HTTP error status, with reconnects on close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "faultline.h"
#include "load/http_request.h"
#include "load/http_response.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- response parsing ---- */

static fl_http_progress feed_bytewise(fl_http_response *r, const char *text) {
    fl_http_progress p = FL_HTTP_MORE;
    for (size_t i = 0; text[i] && p == FL_HTTP_MORE; i++) {
        size_t used;
        p = fl_http_response_feed(r, text + i, 1, &used);
    }
    return p;
}

static void content_length_byte_by_byte(void **state) {
    (void)state;
    fl_http_response r;
    fl_http_response_begin(&r, false);
    assert_int_equal(feed_bytewise(&r, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), FL_HTTP_DONE);
    assert_int_equal(r.status, 200);
    assert_true(r.keep_alive);
    assert_int_equal(r.body_bytes, 5);
}

static void chunked_body(void **state) {
    (void)state;
    const char *text = "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "4\r\nbusy\r\n6\r\n, wait\r\n0\r\n\r\n";
    fl_http_response r;
    fl_http_response_begin(&r, false);
    size_t used;
    assert_int_equal(fl_http_response_feed(&r, text, strlen(text), &used), FL_HTTP_DONE);
    assert_int_equal(used, strlen(text));
    assert_int_equal(r.status, 503);
    assert_int_equal(r.body_bytes, 10);
    assert_true(r.keep_alive);
}

static void body_until_close(void **state) {
    (void)state;
    fl_http_response r;
    fl_http_response_begin(&r, false);
    size_t used;
    const char *text = "HTTP/1.0 200 OK\r\n\r\nsome bytes";
    assert_int_equal(fl_http_response_feed(&r, text, strlen(text), &used), FL_HTTP_MORE);
    assert_int_equal(fl_http_response_eof(&r), FL_HTTP_DONE);
    assert_false(r.keep_alive);
    assert_int_equal(r.body_bytes, 10);
}

static void connection_close_and_trailing_bytes(void **state) {
    (void)state;
    fl_http_response r;
    fl_http_response_begin(&r, false);
    size_t used;
    const char *text = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nokEXTRA";
    assert_int_equal(fl_http_response_feed(&r, text, strlen(text), &used), FL_HTTP_DONE);
    assert_false(r.keep_alive);
    assert_int_equal(used, strlen(text) - 5);
}

static void head_has_no_body(void **state) {
    (void)state;
    fl_http_response r;
    fl_http_response_begin(&r, true);
    assert_int_equal(feed_bytewise(&r, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), FL_HTTP_DONE);
    assert_int_equal(r.body_bytes, 0);
}

static void interim_responses_are_skipped(void **state) {
    (void)state;
    fl_http_response r;
    fl_http_response_begin(&r, false);
    assert_int_equal(
        feed_bytewise(&r, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
        FL_HTTP_DONE);
    assert_int_equal(r.status, 201);
}

static void garbage_and_truncation_are_bad(void **state) {
    (void)state;
    fl_http_response r;
    size_t used;
    fl_http_response_begin(&r, false);
    assert_int_equal(fl_http_response_feed(&r, "SSH-2.0-OpenSSH\r\n", 17, &used), FL_HTTP_BAD);
    fl_http_response_begin(&r, false);
    const char *cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    assert_int_equal(fl_http_response_feed(&r, cut, strlen(cut), &used), FL_HTTP_MORE);
    assert_int_equal(fl_http_response_eof(&r), FL_HTTP_BAD);
    fl_http_response_begin(&r, false);
    assert_int_equal(fl_http_response_eof(&r), FL_HTTP_BAD); /* closed before any byte */
    /* http-parser reads "2" as a status; found by the fuzzer. */
    fl_http_response_begin(&r, false);
    assert_int_equal(fl_http_response_feed(&r, "HTTP/1.0 2\r\n\r\nbody", 18, &used), FL_HTTP_BAD);
}

/* ---- URLs, requests, options ---- */

static void urls(void **state) {
    (void)state;
    fl_http_target t;
    fl_error err;
    assert_int_equal(fl_http_parse_url("http://127.0.0.1:8080/item/1?x=2", "url", &t, &err), 0);
    assert_string_equal(t.host, "127.0.0.1");
    assert_string_equal(t.port, "8080");
    assert_string_equal(t.authority, "127.0.0.1:8080");
    assert_string_equal(t.path, "/item/1?x=2");
    fl_http_target_clear(&t);
    assert_int_equal(fl_http_parse_url("http://[::1]/", "url", &t, &err), 0);
    assert_string_equal(t.host, "::1");
    assert_string_equal(t.port, "80");
    assert_string_equal(t.authority, "[::1]");
    fl_http_target_clear(&t);
    assert_int_equal(fl_http_parse_url("http://example.test?q=1", "url", &t, &err), 0);
    assert_string_equal(t.path, "/?q=1");
    fl_http_target_clear(&t);
    assert_int_equal(fl_http_parse_url("https://x/", "url", &t, &err), -1);
    assert_int_equal(err.code, FL_EINVAL);
    assert_non_null(strstr(err.message, "url: https"));
    assert_int_equal(fl_http_parse_url("127.0.0.1:8080", "url", &t, &err), -1);
    assert_int_equal(fl_http_parse_url("ftp://x/", "url", &t, &err), -1);
}

static void request_bytes(void **state) {
    (void)state;
    fl_http_target t;
    fl_error err;
    assert_int_equal(fl_http_parse_url("http://h:81/p", "url", &t, &err), 0);
    char *headers[] = {"Content-Type: application/json", "X-Trace: 1"};
    size_t len;
    char *req = fl_http_build_request(&t, "POST", headers, 2, "{}", 2, &len);
    const char *want = "POST /p HTTP/1.1\r\nHost: h:81\r\nUser-Agent: faultline/" FL_VERSION
                       "\r\nContent-Type: application/json\r\nX-Trace: 1\r\nContent-Length: 2\r\n\r\n{}";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(req, want, len);
    free(req);
    char *host[] = {"Host: other"};
    req = fl_http_build_request(&t, "GET", host, 1, NULL, 0, &len);
    assert_null(strstr(req, "Host: h:81"));
    assert_null(strstr(req, "Content-Length"));
    free(req);
    fl_http_target_clear(&t);
}

static void option_errors_name_the_option(void **state) {
    (void)state;
    fl_error err;
    fl_load_config *cfg = fl_load_config_new();
    struct {
        const char *name, *value, *prefix;
    } bad[] = {
        {"rate", "fast", "rate:"},
        {"rate", "0/s", "rate:"},
        {"duration", "10", "duration:"},
        {"duration", "13h", "duration:"},
        {"connections", "0", "connections:"},
        {"connections", "12x", "connections:"},
        {"header", "NoColon", "header:"},
        {"header", "Bad Name: v", "header:"},
        {"header", "Content-Length: 3", "header:"},
        {"method", "GE T", "method:"},
        {"timeout", "0s", "timeout:"},
        {"body-file", "/nonexistent/body", "body-file:"},
        {"url", "https://x/", "url:"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(fl_load_config_set(cfg, bad[i].name, bad[i].value, &err), -1);
        assert_int_equal(err.code, FL_EINVAL);
        if (strncmp(err.message, bad[i].prefix, strlen(bad[i].prefix)) != 0)
            fail_msg("%s=%s: message '%s' does not start with %s", bad[i].name, bad[i].value, err.message,
                     bad[i].prefix);
    }
    assert_int_equal(fl_load_config_set(cfg, "nonsense", "1", &err), -1);
    assert_int_equal(fl_load_config_validate(cfg, &err), -1);
    assert_non_null(strstr(err.message, "url: "));
    assert_int_equal(fl_load_config_set(cfg, "url", "http://127.0.0.1:1/", &err), 0);
    assert_int_equal(fl_load_config_validate(cfg, &err), -1);
    assert_non_null(strstr(err.message, "rate: "));
    assert_null(fl_load_start(cfg, &err));
    assert_int_equal(err.code, FL_EINVAL);
    fl_load_config_free(cfg);
}

/* ---- against small servers on loopback ---- */

typedef enum server_mode {
    REPLY_OK,           /* 200 with Content-Length, keep-alive */
    REPLY_CHUNKED_503,  /* 503 with a chunked body, keep-alive */
    REPLY_OK_AND_CLOSE, /* 200, Connection: close, then close */
    REPLY_RESET,        /* read the request, then reset the connection */
    REPLY_NOTHING,      /* read the request, never answer */
} server_mode;

typedef struct server {
    int listen_fd;
    int refusing_fd; /* bound, never listening: the port refuses connections */
    int port;
    server_mode mode;
    atomic_bool stop;
    pthread_t thread;
} server;

static void answer(server *s, int fd) {
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    static const char chunked[] = "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n";
    static const char closing[] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
    ssize_t n = 0;
    switch (s->mode) {
    case REPLY_OK: n = write(fd, ok, sizeof(ok) - 1); break;
    case REPLY_CHUNKED_503: n = write(fd, chunked, sizeof(chunked) - 1); break;
    case REPLY_OK_AND_CLOSE: n = write(fd, closing, sizeof(closing) - 1); break;
    case REPLY_RESET: {
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        break;
    }
    case REPLY_NOTHING: break;
    }
    (void)n;
}

static void *serve(void *arg) {
    server *s = arg;
    struct pollfd fds[64];
    size_t n = 1;
    fds[0] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    while (!atomic_load(&s->stop)) {
        if (poll(fds, n, 20) <= 0)
            continue;
        for (size_t i = n; i-- > 0;) {
            if (!fds[i].revents)
                continue;
            if (i == 0) {
                int c = accept(s->listen_fd, NULL, NULL);
                if (c >= 0 && n < 64)
                    fds[n++] = (struct pollfd){.fd = c, .events = POLLIN};
                else if (c >= 0)
                    close(c);
                continue;
            }
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof(buf));
            bool done = got <= 0;
            if (!done) {
                answer(s, fds[i].fd);
                done = s->mode == REPLY_OK_AND_CLOSE || s->mode == REPLY_RESET;
            }
            if (done) {
                close(fds[i].fd);
                fds[i] = fds[--n];
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        close(fds[i].fd);
    return NULL;
}

static void server_start(server *s, server_mode mode, bool listening) {
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    if (!listening) {
        /* A port that refuses connections: bound and never listening, so
         * nothing else can take the port while the test runs (a closed
         * ephemeral port can be reused by another process at once). */
        s->refusing_fd = s->listen_fd;
        s->listen_fd = -1;
        return;
    }
    s->refusing_fd = -1;
    assert_int_equal(listen(s->listen_fd, 64), 0);
    pthread_create(&s->thread, NULL, serve, s);
}

static void server_stop(server *s) {
    if (s->refusing_fd >= 0)
        close(s->refusing_fd);
    if (s->listen_fd < 0)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
}

static void run_load(int port, const char *rate, const char *duration, const char *connections, const char *timeout,
                     fl_load_summary *sum) {
    fl_error err;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
    fl_load_config *cfg = fl_load_config_new();
    assert_int_equal(fl_load_config_set(cfg, "url", url, &err), 0);
    assert_int_equal(fl_load_config_set(cfg, "rate", rate, &err), 0);
    assert_int_equal(fl_load_config_set(cfg, "duration", duration, &err), 0);
    assert_int_equal(fl_load_config_set(cfg, "connections", connections, &err), 0);
    assert_int_equal(fl_load_config_set(cfg, "timeout", timeout, &err), 0);
    fl_load *load = fl_load_start(cfg, &err);
    assert_non_null(load);
    while (!fl_load_wait(load, 1000)) {
    }
    fl_load_snapshot(load, sum);
    /* The windows add up to the totals. */
    fl_load_window w[64];
    size_t n = fl_load_windows(load, 0, w, 64);
    assert_int_equal(n, sum->windows);
    uint64_t requests = 0, errors = 0, sent = 0;
    for (size_t i = 0; i < n; i++) {
        requests += w[i].requests;
        errors += w[i].errors;
        sent += w[i].sent;
    }
    assert_int_equal(requests, sum->requests);
    assert_int_equal(errors, sum->errors);
    assert_int_equal(sent, sum->sent);
    char *json = fl_load_result_json(load);
    assert_non_null(json);
    free(json);
    fl_load_free(load);
    fl_load_config_free(cfg);
}

static void keep_alive_responses(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_OK, true);
    fl_load_summary sum;
    run_load(s.port, "200/s", "500ms", "4", "1s", &sum);
    server_stop(&s);
    assert_int_equal(sum.requests, 100);
    assert_int_equal(sum.scheduled, 100);
    assert_int_equal(sum.status_classes[2], 100);
    assert_int_equal(sum.errors, 0);
    assert_true(sum.connects <= 4); /* reused, not reconnected */
    assert_true(sum.latency.max >= sum.service_time.max);
    assert_true(sum.finished && !sum.stopped);
}

static void http_errors_by_status_class(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_CHUNKED_503, true);
    fl_load_summary sum;
    run_load(s.port, "200/s", "300ms", "4", "1s", &sum);
    server_stop(&s);
    assert_int_equal(sum.requests, 60);
    assert_int_equal(sum.errors, 60);
    assert_int_equal(sum.errors_by_class[FL_LOAD_ERR_HTTP_5XX], 60);
    assert_int_equal(sum.status_classes[5], 60);
    assert_int_equal(sum.responses, 60);
}

static void reconnects_when_the_server_closes(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_OK_AND_CLOSE, true);
    fl_load_summary sum;
    run_load(s.port, "100/s", "300ms", "2", "1s", &sum);
    server_stop(&s);
    assert_int_equal(sum.requests, 30);
    assert_int_equal(sum.status_classes[2], 30);
    assert_int_equal(sum.connects, 30);
}

static void refused_connections_are_connect_errors(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_OK, false);
    fl_load_summary sum;
    run_load(s.port, "100/s", "300ms", "2", "1s", &sum);
    server_stop(&s);
    assert_int_equal(sum.requests, 30);
    assert_int_equal(sum.errors_by_class[FL_LOAD_ERR_CONNECT], 30);
    assert_int_equal(sum.latency.max, 0); /* failed fast: no latency to report */
}

static void closed_loop_against_a_refusing_port_ends(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_OK, false);
    fl_load_summary sum;
    run_load(s.port, "max", "200ms", "2", "1s", &sum);
    server_stop(&s);
    assert_true(sum.requests > 0);
    assert_int_equal(sum.errors_by_class[FL_LOAD_ERR_CONNECT], sum.requests);
    assert_true(sum.elapsed_us < 1000000);
}

static void resets_are_reset_errors(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_RESET, true);
    fl_load_summary sum;
    run_load(s.port, "100/s", "300ms", "2", "1s", &sum);
    server_stop(&s);
    assert_int_equal(sum.requests, 30);
    assert_int_equal(sum.errors_by_class[FL_LOAD_ERR_RESET], 30);
}

static void silence_is_a_timeout_and_nothing_is_dropped(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_NOTHING, true);
    fl_load_summary sum;
    /* 2 connections that each hang for the 100 ms timeout can take 20/s:
     * the schedule of 40/s cannot all go out, and what cannot is counted. */
    run_load(s.port, "40/s", "500ms", "2", "100ms", &sum);
    server_stop(&s);
    assert_int_equal(sum.requests, 20);
    assert_int_equal(sum.errors, 20);
    assert_true(sum.errors_by_class[FL_LOAD_ERR_TIMEOUT] >= 8);
    assert_int_equal(sum.errors_by_class[FL_LOAD_ERR_TIMEOUT] + sum.errors_by_class[FL_LOAD_ERR_UNSENT], 20);
    assert_true(sum.late > 0);
    /* Timed-out requests count in the latency with what they waited. */
    assert_true(sum.latency.max >= 100000);
    assert_true(sum.service_time.p50 >= 100000 && sum.service_time.p50 < 150000);
}

/* The experiment runner's use: an event loop polls fl_load_fd(), reads each
 * window as it completes, and merges a phase's windows for its p99. */
static void windows_are_readable_while_running(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_OK, true);
    fl_error err;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    fl_load_config *cfg = fl_load_config_new();
    fl_load_config_set(cfg, "url", url, &err);
    fl_load_config_set(cfg, "rate", "500/s", &err);
    fl_load_config_set(cfg, "duration", "1s", &err);
    fl_load_config_set(cfg, "window", "100ms", &err);
    fl_load *load = fl_load_start(cfg, &err);
    assert_non_null(load);
    size_t seen = 0, seen_while_running = 0;
    uint64_t requests = 0;
    for (;;) {
        struct pollfd p = {.fd = fl_load_fd(load), .events = POLLIN};
        assert_int_equal(poll(&p, 1, 5000), 1);
        uint64_t count;
        assert_int_equal(read(p.fd, &count, sizeof(count)), (ssize_t)sizeof(count));
        fl_load_summary sum;
        fl_load_snapshot(load, &sum);
        fl_load_window w[16];
        size_t n;
        while ((n = fl_load_windows(load, seen, w, 16)) > 0) {
            for (size_t i = 0; i < n; i++) {
                assert_int_equal(w[i].index, seen + i);
                requests += w[i].requests;
            }
            seen += n;
        }
        if (sum.finished)
            break;
        seen_while_running = seen;
    }
    assert_true(seen_while_running >= 5); /* windows arrived before the end */
    assert_int_equal(requests, 500);
    fl_hist *phase = fl_hist_new();
    assert_int_equal(fl_load_windows_latency(load, 0, seen, phase), 0);
    assert_int_equal(fl_hist_count(phase), 500);
    fl_hist *all = fl_hist_new();
    fl_load_histograms(load, all, NULL);
    assert_int_equal(fl_hist_count(all), 500);
    double want = (double)fl_hist_percentile(all, 99), got = (double)fl_hist_percentile(phase, 99);
    assert_true(got >= want * 0.99 - 1 && got <= want * 1.01 + 1);
    fl_hist_free(phase);
    fl_hist_free(all);
    fl_load_free(load);
    fl_load_config_free(cfg);
    server_stop(&s);
}

static void stop_ends_early(void **state) {
    (void)state;
    server s;
    server_start(&s, REPLY_OK, true);
    fl_error err;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    fl_load_config *cfg = fl_load_config_new();
    fl_load_config_set(cfg, "url", url, &err);
    fl_load_config_set(cfg, "rate", "max", &err);
    fl_load_config_set(cfg, "duration", "1h", &err);
    fl_load_config_set(cfg, "window", "100ms", &err);
    fl_load *load = fl_load_start(cfg, &err);
    assert_non_null(load);
    assert_int_equal(fl_load_wait(load, 350), 0);
    fl_load_stop(load);
    fl_load_summary sum;
    fl_load_snapshot(load, &sum);
    assert_true(sum.finished && sum.stopped && sum.closed_loop);
    assert_true(sum.requests > 0);
    assert_true(sum.windows >= 2);
    assert_true(fl_load_memory(load) < 4 * 1024 * 1024);
    fl_load_free(load);
    fl_load_config_free(cfg);
    server_stop(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(content_length_byte_by_byte),
        cmocka_unit_test(chunked_body),
        cmocka_unit_test(body_until_close),
        cmocka_unit_test(connection_close_and_trailing_bytes),
        cmocka_unit_test(head_has_no_body),
        cmocka_unit_test(interim_responses_are_skipped),
        cmocka_unit_test(garbage_and_truncation_are_bad),
        cmocka_unit_test(urls),
        cmocka_unit_test(request_bytes),
        cmocka_unit_test(option_errors_name_the_option),
        cmocka_unit_test(keep_alive_responses),
        cmocka_unit_test(http_errors_by_status_class),
        cmocka_unit_test(reconnects_when_the_server_closes),
        cmocka_unit_test(refused_connections_are_connect_errors),
        cmocka_unit_test(closed_loop_against_a_refusing_port_ends),
        cmocka_unit_test(resets_are_reset_errors),
        cmocka_unit_test(silence_is_a_timeout_and_nothing_is_dropped),
        cmocka_unit_test(windows_are_readable_while_running),
        cmocka_unit_test(stop_ends_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
