/* faultline load <url> --rate R --duration D [options]: open-loop HTTP load
 * with latency measured from each request's intended send time. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *USAGE =
    "faultline load <url> --rate 1000/s|max --duration 30s [--connections N] [--method M] "
    "[--header 'K: V']... [--body TEXT|@file] [--timeout 2s] [--max-errors 1%] [--max-p99 100ms] [--json] [--stream] "
    "[--held] [--out series.csv]";

static const char *INTRO = "Sends HTTP/1.1 requests to <url> on a fixed schedule and reports latency.\n\n"
                           "Open loop (--rate 1000/s): request i is due at i/rate seconds, whatever happened to\n"
                           "the requests before it. Latency is measured from that intended time, so a server that\n"
                           "stalls for a second shows a second of latency instead of fewer requests (coordinated\n"
                           "omission). The service time, from the actual send, is shown too. A request that\n"
                           "waited for a free connection is sent anyway and counted as late; many late requests\n"
                           "mean too few --connections or a stalled server. Closed loop (--rate max): every\n"
                           "connection sends its next request as soon as the previous one ends, as fast as the\n"
                           "server allows (capacity tests).";
static const char *OUTRO =
    "Errors are counted by class: connect, timeout, reset, protocol, http_4xx, http_5xx, and\n"
    "unsent (still waiting for a connection when the run ended). A percentile of nothing\n"
    "(no request got a response) is shown as '-', never as 0. Thresholds (--max-errors,\n"
    "--max-p50 ... --max-latency) are checked on the whole run: exit 1 when one is broken,\n"
    "so a CI job can gate on the load alone. Ctrl-C stops early and still prints the\n"
    "result (exit 3). Schema of --json and --out: docs/load.md.\n\n"
    "examples:\n"
    "  faultline load http://127.0.0.1:8080/item/1 --rate 1000/s --duration 30s\n"
    "  faultline load http://[::1]:8080/ --rate max --duration 10s --connections 64\n"
    "  faultline load http://127.0.0.1:8080/ --rate 500/s --duration 1m --max-errors 0.1% --max-p99 50ms\n"
    "  faultline load http://127.0.0.1:8080/orders --rate 200/s --duration 1m --method POST \\\n"
    "      --header 'Content-Type: application/json' --body @order.json --json > result.json";

#define DEFAULT_CONNECTIONS 32 /* fl_load_config's default */
#define PROGRESS_POLL_MS 200   /* how often the progress line and --held are looked at */

typedef struct load_cmd {
    fl_load_config *cfg;
    fl_load_thresholds thresholds;
    bool has_thresholds;
    const cli_parser *parser;
    const char *out_path;
    long connections;
    bool json, quiet, stream, held;
} load_cmd;

/* An option of fl_load_config, passed on as it is. */
static int set_config(const cli_option *opt, const char *value, void *ctx) {
    load_cmd *l = ctx;
    fl_error err;
    if (fl_load_config_set(l->cfg, opt->name, value, &err) != 0)
        return cli_fail_option(l->parser, &err);
    if (strcmp(opt->name, "connections") == 0)
        l->connections = strtol(value, NULL, 10);
    return 0;
}

/* --max-errors, --max-p99, ...: what "the load went well" means. */
static int set_threshold(const cli_option *opt, const char *value, void *ctx) {
    load_cmd *l = ctx;
    fl_error err;
    if (fl_load_thresholds_set(&l->thresholds, opt->name, value, &err) != 0)
        return cli_fail_option(l->parser, &err);
    l->has_thresholds = true;
    return 0;
}

/* --body TEXT, or --body @file: the library's body-file. */
static int set_body(const cli_option *opt, const char *value, void *ctx) {
    load_cmd *l = ctx;
    fl_error err;
    bool file = value[0] == '@';
    if (fl_load_config_set(l->cfg, file ? "body-file" : "body", file ? value + 1 : value, &err) == 0)
        return 0;
    char message[sizeof(err.message) + 80];
    fprintf(stderr, "faultline: %s\n", cli_option_message(l->parser, &err, opt->name, message, sizeof(message)));
    return err.code;
}

static bool ends_with(const char *s, const char *suffix);

static int set_out(const cli_option *opt, const char *value, void *ctx) {
    (void)opt;
    load_cmd *l = ctx;
    if (!ends_with(value, ".csv") && !ends_with(value, ".json"))
        return cli_usage_error(USAGE, "--out: '%s' must end in .csv or .json (the format to write)", value);
    l->out_path = value;
    return 0;
}

#define LOAD_OPTIONS(l)                                                                                                \
    {                                                                                                                  \
        CLI_CALLBACK("rate", "R", "requests per second: 1000/s, 60/m, or max (required)", 0, set_config),              \
            CLI_CALLBACK("duration", "D", "how long to send: 10s, 5m, 1h (required, at most 12h)", 0, set_config),     \
            CLI_CALLBACK("connections", "N", "keep-alive connections, each with one request at a time (32)", 0,        \
                         set_config),                                                                                  \
            CLI_CALLBACK("method", "M", "GET, POST, PUT, ... (GET)", 0, set_config),                                   \
            CLI_CALLBACK("header", "'K: V'", "an extra request header; repeatable", CLI_REPEATABLE, set_config),       \
            CLI_CALLBACK("body", "TEXT", "the request body; --body @file reads it from a file", 0, set_body),          \
            CLI_CALLBACK("timeout", "D", "per request, from its actual send (2s)", 0, set_config),                     \
            CLI_CALLBACK("late-after", "D", "a request sent this long after its intended time is late (10ms)", 0,      \
                         set_config),                                                                                  \
            CLI_CALLBACK("window", "D", "length of a window of the time series (1s)", 0, set_config),                  \
            CLI_CALLBACK("max-errors", "P", "threshold: exit 1 if more than this share of requests failed", 0,         \
                         set_threshold),                                                                               \
            CLI_CALLBACK("max-p50", "D", "threshold: exit 1 if the run's p50 latency is above D", 0, set_threshold),   \
            CLI_CALLBACK("max-p90", "D", "threshold: the same for p90", 0, set_threshold),                             \
            CLI_CALLBACK("max-p99", "D", "threshold: the same for p99", 0, set_threshold),                             \
            CLI_CALLBACK("max-p999", "D", "threshold: the same for p99.9", 0, set_threshold),                          \
            CLI_CALLBACK("max-latency", "D", "threshold: the same for the slowest request", 0, set_threshold),         \
            CLI_FLAG("json", &(l)->json,                                                                               \
                     "the whole result, with the per-window series, as one JSON\n"                                     \
                     "document on stdout (progress still goes to stderr)"),                                            \
            CLI_FLAG("stream", &(l)->stream,                                                                           \
                     "print each window as one JSON line on stdout as it closes\n"                                     \
                     "(what an experiment reads from load on fleet hosts)"),                                           \
            CLI_FLAG("held", &(l)->held,                                                                               \
                     "stop early when stdin reaches end of file (the controller\n"                                     \
                     "that started this load over ssh is gone)"),                                                      \
            CLI_CALLBACK("out", "FILE", "also write the per-window series to FILE.csv or FILE.json", 0, set_out),      \
            CLI_FLAG("quiet", &(l)->quiet, "no progress lines"), CLI_END,                                              \
    }

static char *format_ms(int64_t us, char *buf, size_t len) {
    if (us >= 10000000)
        snprintf(buf, len, "%.1fs", us / 1e6);
    else if (us >= 100000)
        snprintf(buf, len, "%.0fms", us / 1e3);
    else
        snprintf(buf, len, "%.2fms", us / 1e3);
    return buf;
}

/* A latency, or "-" when nothing was measured (absent is not fast). */
static char *latency_or_dash(bool measured, int64_t us, char *buf, size_t len) {
    if (!measured) {
        snprintf(buf, len, "-");
        return buf;
    }
    return format_ms(us, buf, len);
}

static void print_progress(const fl_load_window *w, bool tty) {
    char p50[16], p99[16], max[16];
    double seconds = (double)(w->start_us + w->length_us) / 1e6;
    double rate = w->length_us ? (double)w->sent * 1e6 / (double)w->length_us : 0;
    bool m = w->latency_count > 0;
    fprintf(stderr, "%s%6.0fs  %8.1f req/s  p50 %-8s p99 %-8s max %-8s errors %u  late %u%s%s", tty ? "\r\033[K" : "",
            seconds, rate, latency_or_dash(m, w->p50_us, p50, sizeof(p50)),
            latency_or_dash(m, w->p99_us, p99, sizeof(p99)), latency_or_dash(m, w->max_us, max, sizeof(max)), w->errors,
            w->late, w->oldest_waiting_us >= 1000000 ? "  (requests waiting)" : "", tty ? "" : "\n");
    fflush(stderr);
}

static double percent(uint64_t part, uint64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0.0; }

static void print_summary(const fl_load_summary *s, const char *url, const fl_hist *latency, const fl_hist *service) {
    char dur[32], elapsed[32];
    fl_format_duration(s->duration_us, dur, sizeof(dur));
    snprintf(elapsed, sizeof(elapsed), "%.2fs", s->elapsed_us / 1e6);
    if (s->closed_loop)
        printf("%s: closed loop (--rate max) for %s, ran %s%s\n", url, dur, elapsed, s->stopped ? " (stopped)" : "");
    else
        printf("%s: open loop at %.6g/s for %s, ran %s%s\n", url, s->rate_target, dur, elapsed,
               s->stopped ? " (stopped)" : "");
    printf("  requests  %llu", (unsigned long long)s->requests);
    if (s->closed_loop)
        printf(", %.1f/s achieved\n", s->rate_achieved);
    else
        printf(" of %llu scheduled, %.1f/s achieved of %.6g/s target\n", (unsigned long long)s->scheduled,
               s->rate_achieved, s->rate_target);
    printf("  late      %llu (%.2f%% sent after their intended time)\n", (unsigned long long)s->late,
           percent(s->late, s->sent));
    printf("  errors    %llu (%.2f%%)", (unsigned long long)s->errors, percent(s->errors, s->requests));
    const char *sep = ": ";
    for (int c = 0; c < FL_LOAD_ERR_COUNT; c++)
        if (s->errors_by_class[c]) {
            printf("%s%s %llu", sep, fl_load_error_name((fl_load_error_class)c),
                   (unsigned long long)s->errors_by_class[c]);
            sep = ", ";
        }
    printf("\n  status   ");
    for (int c = 1; c <= 5; c++)
        if (s->status_classes[c])
            printf(" %dxx %llu", c, (unsigned long long)s->status_classes[c]);
    printf("\n\n");
    static const double qs[] = {50, 90, 99, 99.9, 99.99, 100};
    printf("  %-34s %9s %9s %9s %9s %9s %9s\n", "", "p50", "p90", "p99", "p99.9", "p99.99", "max");
    const fl_hist *rows[] = {latency, service};
    const char *names[] = {"latency (from intended send time)", "service time (from actual send)"};
    for (int r = 0; r < 2; r++) {
        int64_t v[6];
        fl_hist_percentiles(rows[r], qs, 6, v);
        printf("  %-34s", names[r]);
        bool measured = fl_hist_count(rows[r]) > 0;
        for (int i = 0; i < 6; i++) {
            char buf[16];
            printf(" %9s", latency_or_dash(measured, i == 5 ? fl_hist_max(rows[r]) : v[i], buf, sizeof(buf)));
        }
        printf("\n");
    }
    if (s->requests && !s->responses)
        printf("\n  no request got a response: there is no latency to show (see the errors above)\n");
}

/* Each connection is a descriptor; the usual soft limit of 1024 would cap
 * --connections below its 10,000 maximum. */
static void raise_open_file_limit(long connections) {
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return;
    rlim_t want = (rlim_t)connections + 64;
    if (lim.rlim_cur >= want)
        return;
    lim.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max > want ? want : lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
}

/* --stream: one window as a JSON line (docs/load.md), flushed at once so a
 * controller reading over ssh sees it when the window closes. */
static void print_window_line(fl_load *load, const fl_load_window *w) {
    char *line = fl_load_window_line(load, w->index);
    if (line) {
        printf("%s\n", line);
        free(line);
    }
    fflush(stdout);
}

/* --held: has stdin reached end of file (or failed)? Never blocks. */
static bool stdin_closed(void) {
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
        return false;
    char buf[256];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Runs the load, printing progress (and --stream lines) as windows close. */
static void drive(const load_cmd *l, fl_load *load) {
    bool tty = isatty(STDERR_FILENO) && !l->quiet;
    size_t seen = 0;
    bool finished = false;
    while (!finished) {
        finished = fl_load_wait(load, PROGRESS_POLL_MS);
        if ((cli_stop_signal || (l->held && stdin_closed())) && !finished) {
            fl_load_stop(load);
            finished = true;
        }
        fl_load_window w[16];
        size_t n;
        while ((n = fl_load_windows(load, seen, w, 16)) > 0) {
            for (size_t k = 0; l->stream && k < n; k++)
                print_window_line(load, &w[k]);
            seen += n;
            /* A terminal shows the newest window; a log gets every one. */
            for (size_t k = tty ? n - 1 : 0; !l->quiet && k < n; k++)
                print_progress(&w[k], tty);
        }
    }
    if (tty)
        fputc('\n', stderr);
}

/* The result: --json or the human summary, then --out. */
static int report(const load_cmd *l, fl_load *load, const char *url, FILE *out) {
    int rc = 0;
    if (l->json) {
        char *text = fl_load_result_json(load);
        if (text) {
            printf("%s\n", text);
            free(text);
        } else {
            fprintf(stderr, "faultline: cannot encode the result as JSON\n");
            rc = FL_EAPPLY;
        }
    } else {
        fl_load_summary sum;
        fl_load_snapshot(load, &sum);
        fl_hist *latency = fl_hist_new(), *service = fl_hist_new();
        if (latency && service) {
            fl_load_histograms(load, latency, service);
            print_summary(&sum, url, latency, service);
        }
        fl_hist_free(latency);
        fl_hist_free(service);
    }
    if (out) {
        fl_error err;
        int wrc =
            ends_with(l->out_path, ".csv") ? fl_load_series_csv(load, out, &err) : fl_load_series_json(load, out, &err);
        if (fclose(out) != 0 || wrc != 0) {
            fprintf(stderr, "faultline: --out: cannot write '%s'\n", l->out_path);
            rc = FL_EAPPLY;
        }
    }
    return rc;
}

static int run_load(const load_cmd *l, const char *url) {
    FILE *out = NULL;
    if (l->out_path && !(out = fopen(l->out_path, "w")))
        return cli_usage_error(USAGE, "--out: cannot write '%s': %s", l->out_path, strerror(errno));
    cli_catch_stop_signals();
    raise_open_file_limit(l->connections);
    fl_error err;
    fl_load *load = fl_load_start(l->cfg, &err);
    if (!load) {
        if (out)
            fclose(out);
        return cli_fail_option(l->parser, &err);
    }
    drive(l, load);
    int rc = report(l, load, url, out);
    char why[600];
    if (rc == 0 && l->has_thresholds && fl_load_check(load, &l->thresholds, why, sizeof(why)) != 0) {
        fprintf(stderr, "faultline: load: threshold broken: %s\n", why);
        rc = FL_EHYPOTHESIS;
    }
    fl_load_free(load);
    return rc == 0 && cli_stop_signal ? FL_EABORTED : rc;
}

/* The URL, and what needs the options together. */
static int check(load_cmd *l, const cli_parser *p) {
    if (p->n_args > 1)
        return cli_usage_error(USAGE, "unexpected argument '%s' (one URL; options are --name value)", p->args[1]);
    if (p->n_args == 0)
        return cli_usage_error(USAGE, "which URL? give it first: faultline load http://127.0.0.1:8080/ ...");
    fl_error err;
    if (fl_load_config_set(l->cfg, "url", p->args[0], &err) != 0) {
        fprintf(stderr, "faultline: <url>: %s\n", fl_error_detail(&err));
        return err.code;
    }
    if (fl_load_config_validate(l->cfg, &err) != 0)
        return cli_usage_fail_option(p, &err);
    return CLI_CONTINUE;
}

int cmd_load(int argc, char **argv) {
    load_cmd l = {.connections = DEFAULT_CONNECTIONS};
    fl_load_thresholds_init(&l.thresholds);
    const cli_option options[] = LOAD_OPTIONS(&l);
    cli_parser p = {
        .command = "load", .usage = USAGE, .intro = INTRO, .outro = OUTRO, .tables = CLI_TABLES(options), .ctx = &l};
    if (argc < 2) {
        cli_print_help(&p, stdout);
        return cli_usage_error(USAGE, "which URL? e.g. faultline load http://127.0.0.1:8080/ "
                                      "--rate 1000/s --duration 30s");
    }
    l.cfg = fl_load_config_new();
    l.parser = &p;
    int rc = cli_parse(&p, argc, argv);
    if (rc == CLI_CONTINUE)
        rc = check(&l, &p);
    if (rc == CLI_CONTINUE)
        rc = run_load(&l, p.args[0]);
    fl_load_config_free(l.cfg);
    return rc;
}
