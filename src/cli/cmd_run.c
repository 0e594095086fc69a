/* faultline run <experiment.yaml> [--out DIR] [--dry-run] [--json] [--quiet] */
#include "cli.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *USAGE = "faultline run <experiment.yaml> [--out DIR] [--dry-run] [--json] [--quiet]";

static volatile sig_atomic_t interrupted;

static void on_signal(int signo) { interrupted = signo; }

static const char *INTRO = "Runs an experiment (docs/experiment.md): load and probes start, steady state\n"
                           "before, faults applied on schedule and verified, stop conditions watched every\n"
                           "window, every fault rolled back, steady state after, a verdict per hypothesis.\n"
                           "Faults run on this host, on ssh hosts of an inventory chosen by tags (targets:\n"
                           "{inventory, select, mode, max-errors, lease}, each fault under a lease this\n"
                           "process renews), or on instances through AWS SSM (targets: {ssm: {...}});\n"
                           "load.from: sends the load from selected hosts. The result has a row per host.";
static const char *OUTRO = "Rollback is unconditional: at the end, on a failed hypothesis, on a stop\n"
                           "condition, on Ctrl-C/SIGTERM (exit 3), and after a crash (the faults'\n"
                           "supervisors, then 'faultline recover').\n"
                           "Exit codes: 0 pass, 1 a hypothesis failed, 2 invalid file, 3 aborted (stop\n"
                           "condition or signal; rolled back), 4 a fault could not be applied or verified.\n"
                           "example: faultline run examples/nginx-pause.yaml --out out/";

typedef struct run_cmd {
    const char *file, *out;
    bool dry_run, json, quiet;
} run_cmd;

#define RUN_OPTIONS(r)                                                                                                 \
    {                                                                                                                  \
        CLI_STRING_F("out", &(r)->out, "DIR",                                                                          \
                     "where result.json, junit.xml and report.html go\n"                                               \
                     "(default ./faultline-out/<UTC date-time>)",                                                      \
                     CLI_NONEMPTY),                                                                                    \
            CLI_FLAG("dry-run", &(r)->dry_run, "check the file and the host, print the timeline and every operation"), \
            CLI_FLAG("json", &(r)->json, "the result document on stdout (progress stays on stderr)"),                  \
            CLI_FLAG("quiet", &(r)->quiet, "no progress lines"), CLI_END,                                              \
    }

typedef struct progress_ui {
    bool tty, quiet, line_open;
} progress_ui;

/* Progress columns: an event's second and later lines start under its text,
 * after "%7.1fs  ". */
#define EVENT_INDENT 10

/* One event, however many lines it has: each on its own line of the log. */
static void print_event(const char *text) {
    bool first = true;
    while (*text) {
        size_t len = strcspn(text, "\r\n");
        if (len || first)
            fprintf(stderr, "%*s%.*s\n", first ? 0 : EVENT_INDENT, "", (int)len, text);
        first = false;
        text += len;
        text += strspn(text, "\r\n");
    }
    if (first)
        fputc('\n', stderr);
}

static void show_progress(void *user, const fl_run_progress *p) {
    progress_ui *ui = user;
    if (ui->quiet)
        return;
    char line[800];
    fl_run_progress_format(p, line, sizeof(line));
    if (strcmp(p->phase, "done") == 0) {
        if (ui->tty && ui->line_open)
            fputs("\r\033[K", stderr);
        ui->line_open = false;
        return;
    }
    if (ui->tty)
        fputs("\r\033[K", stderr);
    if (p->event) {
        print_event(line); /* a terminal keeps events; the status line is redrawn below them */
        ui->line_open = false;
    } else if (ui->tty) {
        fputs(line, stderr);
        ui->line_open = true;
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

static void print_line(void *user, const char *line) {
    (void)user;
    printf("%s\n", line);
}

static void collect_line(void *user, const char *line) { json_array_append_new(user, json_string(line)); }

static void print_summary(const char *result, const char *out_dir) {
    fl_error err;
    if (fl_experiment_summary(result, print_line, NULL, &err) == 0 && out_dir)
        printf("  results: %s/\n", out_dir);
}

static int dry_run(const run_cmd *r, fl_experiment *exp) {
    fl_error err;
    if (fl_experiment_check_host(exp, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return FL_EINVAL;
    }
    if (!r->json) {
        if (fl_experiment_plan(exp, print_line, NULL, &err) == 0)
            return 0;
        fprintf(stderr, "%s\n", err.message);
        return FL_EINVAL;
    }
    json_t *lines = json_array();
    if (fl_experiment_plan(exp, collect_line, lines, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        json_decref(lines);
        return FL_EINVAL;
    }
    json_t *doc = json_pack("{s:b,s:s,s:o}", "dry_run", 1, "file", r->file, "plan", lines);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
    json_decref(doc);
    return 0;
}

static int run(const run_cmd *r, fl_experiment *exp) {
    char default_out[128];
    const char *out = r->out;
    if (!out) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(default_out, sizeof(default_out), "faultline-out/%Y%m%dT%H%M%SZ", &tm);
        out = default_out;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stderr (the progress) must not end the run mid-way */

    progress_ui ui = {.tty = isatty(2), .quiet = r->quiet};
    fl_run_options opt = {.progress = show_progress, .user = &ui, .interrupt = &interrupted};
    char *result = NULL;
    fl_error err;
    int code;
    if (fl_experiment_run(exp, &opt, &result, &code, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return err.code;
    }
    if (fl_experiment_write_output(result, out, &err) != 0)
        fprintf(stderr, "faultline: %s\n", err.message);
    if (r->json)
        printf("%s\n", result);
    else
        print_summary(result, out);
    free(result);
    return code;
}

int cmd_run(int argc, char **argv) {
    run_cmd r = {0};
    const cli_option options[] = RUN_OPTIONS(&r);
    cli_parser p = {.command = "run", .usage = USAGE, .intro = INTRO, .outro = OUTRO, .tables = CLI_TABLES(options)};
    int rc = cli_parse(&p, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if (p.n_args > 1)
        return cli_usage_error(USAGE, "one experiment file at a time ('%s' and '%s')", p.args[0], p.args[1]);
    if (p.n_args == 0)
        return cli_usage_error(USAGE, "which experiment file?");
    r.file = p.args[0];
    fl_error err;
    fl_experiment *exp = fl_experiment_load(r.file, &err);
    if (!exp) {
        fprintf(stderr, "%s\n", err.message);
        return FL_EINVAL;
    }
    rc = r.dry_run ? dry_run(&r, exp) : run(&r, exp);
    fl_experiment_free(exp);
    return rc;
}
