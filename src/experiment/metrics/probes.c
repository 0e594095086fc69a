/* Probes: what the service looks like from outside, sampled at an interval
 * all through the run. HTTP (status, latency, body match; libcurl), TCP
 * connect time, or a command (exit status, a number on stdout). Each probe
 * feeds the series probe.NAME.ok / .latency / .status / .exit / .value. */
#include "core/buffer.h"
#include "core/internal.h"
#include "experiment/metrics/sampler.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY (1024 * 1024)

int64_t tcp_connect_time(const char *host, int port, int64_t timeout_us, char *why, size_t why_len) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(why, why_len, "%s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, why_len, "socket: %s", strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    int64_t start = fl_mono_us(), result = -1;
    if (connect(fd, res->ai_addr, res->ai_addrlen) == 0) {
        result = fl_mono_us() - start;
    } else if (errno == EINPROGRESS) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int left_ms = (int)(timeout_us / 1000);
        int r;
        do
            r = poll(&pfd, 1, left_ms);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            snprintf(why, why_len, "no connection within %lld ms", (long long)(timeout_us / 1000));
        } else {
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            if (soerr == 0)
                result = fl_mono_us() - start;
            else
                snprintf(why, why_len, "%s", strerror(soerr));
        }
    } else {
        snprintf(why, why_len, "%s", strerror(errno));
    }
    close(fd);
    freeaddrinfo(res);
    return result;
}

typedef struct prober {
    const probe_def *def;
    size_t s_ok, s_latency, s_status, s_exit, s_value;
    CURL *curl;
    regex_t body_re;
    bool has_re;
    fl_buffer body; /* the first MAX_BODY bytes (truncated: enough to match) */
} prober;

static void probe_once(sampler *s) {
    prober *pr = s->data;
    const probe_def *d = pr->def;
    int64_t start = fl_mono_us();
    /* A probe sees the state at the moment it runs: its sample covers the
     * interval from then to the next probe. */
    sample base = {.t_us = start - s->t0_mono_us, .len_us = s->interval_us, .gap = GAP_FAILED};
    sample ok = base, latency = base;
    ok.valid = true;
    ok.gap = GAP_NONE;
    char why[256] = "";
    if (d->type == PROBE_HTTP) {
        fl_buffer_reset(&pr->body);
        CURLcode rc = curl_easy_perform(pr->curl);
        long status = 0;
        curl_easy_getinfo(pr->curl, CURLINFO_RESPONSE_CODE, &status);
        bool status_ok = d->expect_status ? status == d->expect_status : (status >= 200 && status < 400);
        bool body_ok = !pr->has_re || (pr->body.data && regexec(&pr->body_re, pr->body.data, 0, NULL, 0) == 0);
        ok.value = rc == CURLE_OK && status_ok && body_ok;
        latency.gap = rc == CURLE_OPERATION_TIMEDOUT ? GAP_TIMEOUT : GAP_UNREACHABLE;
        if (rc == CURLE_OK) {
            latency.valid = true;
            latency.value = (double)(fl_mono_us() - start) / 1000.0;
            sample st = base;
            st.valid = true;
            st.value = (double)status;
            store_add(s->store, pr->s_status, st);
        }
    } else if (d->type == PROBE_TCP) {
        int64_t t = tcp_connect_time(d->host, d->port, d->timeout_us, why, sizeof(why));
        ok.value = t >= 0;
        latency.gap = strncmp(why, "no connection within", 20) == 0 ? GAP_TIMEOUT : GAP_UNREACHABLE;
        if (t >= 0) {
            latency.valid = true;
            latency.value = (double)t / 1000.0;
        }
    } else {
        char out[4096];
        int status = exp_run_command(d->argv, d->timeout_us, out, sizeof(out), why, sizeof(why));
        ok.value = status == 0;
        latency.valid = true;
        latency.value = (double)(fl_mono_us() - start) / 1000.0;
        if (status >= 0) {
            sample ex = base;
            ex.valid = true;
            ex.value = status;
            store_add(s->store, pr->s_exit, ex);
        }
        char *end;
        double v = strtod(out, &end);
        while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
            end++;
        if (status >= 0 && end != out && !*end) {
            sample val = base;
            val.valid = true;
            val.value = v;
            store_add(s->store, pr->s_value, val);
        }
    }
    store_add(s->store, pr->s_ok, ok);
    store_add(s->store, pr->s_latency, latency);
}

static void prober_cleanup(sampler *s) {
    prober *pr = s->data;
    if (pr->curl)
        curl_easy_cleanup(pr->curl);
    if (pr->has_re)
        regfree(&pr->body_re);
    fl_buffer_free(&pr->body);
    free(pr);
}

sampler *probe_sampler_start(const probe_def *probe, series_store *st, int64_t t0_mono_us, fl_error *err) {
    prober *pr = fl_xcalloc(1, sizeof(*pr));
    pr->def = probe;
    fl_buffer_init(&pr->body, MAX_BODY, true);
    char name[128];
    probe_series_name(probe->name, PROBE_OK, name, sizeof(name));
    pr->s_ok = store_series(st, name, UNIT_COUNT);
    probe_series_name(probe->name, PROBE_LATENCY, name, sizeof(name));
    pr->s_latency = store_series(st, name, UNIT_MS);
    probe_series_name(probe->name, PROBE_STATUS, name, sizeof(name));
    pr->s_status = store_series(st, name, UNIT_COUNT);
    probe_series_name(probe->name, PROBE_EXIT, name, sizeof(name));
    pr->s_exit = store_series(st, name, UNIT_COUNT);
    probe_series_name(probe->name, PROBE_VALUE, name, sizeof(name));
    pr->s_value = store_series(st, name, UNIT_COUNT);
    size_t all[] = {pr->s_ok, pr->s_latency, pr->s_status, pr->s_exit, pr->s_value};
    for (size_t i = 0; i < FL_ARRAY_LEN(all); i++)
        store_set_cadence(st, all[i], probe->interval_us, "probes");
    if (probe->type == PROBE_HTTP) {
        pr->curl = curl_easy_init();
        if (!pr->curl) {
            free(pr);
            fl_fail(err, FL_EAPPLY, "probes", "could not initialise libcurl");
            return NULL;
        }
        curl_easy_setopt(pr->curl, CURLOPT_URL, probe->url);
        if (probe->method)
            curl_easy_setopt(pr->curl, CURLOPT_CUSTOMREQUEST, probe->method);
        curl_easy_setopt(pr->curl, CURLOPT_TIMEOUT_MS, (long)(probe->timeout_us / 1000));
        curl_easy_setopt(pr->curl, CURLOPT_WRITEFUNCTION, fl_buffer_curl_write);
        curl_easy_setopt(pr->curl, CURLOPT_WRITEDATA, &pr->body);
        curl_easy_setopt(pr->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(pr->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        if (probe->body_regex) {
            pr->has_re = regcomp(&pr->body_re, probe->body_regex, REG_EXTENDED | REG_NOSUB) == 0;
        }
    }
    sampler *s = fl_xcalloc(1, sizeof(*s));
    s->interval_us = probe->interval_us;
    s->t0_mono_us = t0_mono_us;
    s->store = st;
    s->take = probe_once;
    s->cleanup = prober_cleanup;
    s->data = pr;
    if (sampler_launch(s) != 0) {
        prober_cleanup(s);
        free(s);
        fl_fail(err, FL_EAPPLY, "probes", "could not start the probe thread");
        return NULL;
    }
    return s;
}
