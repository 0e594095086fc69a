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

static void help(void) {
    printf("usage: %s\n\n"
           "Runs an experiment (docs/experiment.md): load and probes start, steady state\n"
           "before, faults applied on schedule and verified, stop conditions watched every\n"
           "window, every fault rolled back, steady state after, a verdict per hypothesis.\n"
           "Faults run on this host, on ssh hosts of an inventory chosen by tags (targets:\n"
           "{inventory, select, mode, max-errors, lease}, each fault under a lease this\n"
           "process renews), or on instances through AWS SSM (targets: {ssm: {...}});\n"
           "load.from: sends the load from selected hosts. The result has a row per host.\n\n"
           "  --out DIR   where result.json, junit.xml and report.html go\n"
           "              (default ./faultline-out/<UTC date-time>)\n"
           "  --dry-run   check the file and the host, print the timeline and every operation\n"
           "  --json      the result document on stdout (progress stays on stderr)\n"
           "  --quiet     no progress lines\n\n"
           "Rollback is unconditional: at the end, on a failed hypothesis, on a stop\n"
           "condition, on Ctrl-C/SIGTERM (exit 3), and after a crash (the faults'\n"
           "supervisors, then 'faultline recover').\n"
           "Exit codes: 0 pass, 1 a hypothesis failed, 2 invalid file, 3 aborted (stop\n"
           "condition or signal; rolled back), 4 a fault could not be applied or verified.\n"
           "example: faultline run examples/nginx-pause.yaml --out out/\n",
           USAGE);
}

typedef struct progress_ui {
    bool tty, quiet, line_open;
} progress_ui;

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
    if (ui->tty) {
        fprintf(stderr, "\r\033[K%s", line);
        if (p->event) {
            fputc('\n', stderr);
            ui->line_open = false;
        } else {
            ui->line_open = true;
        }
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

int cmd_run(int argc, char **argv) {
    const char *file = NULL, *out = NULL;
    bool dry_run = false, json = false, quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            help();
            return 0;
        }
        if (strcmp(a, "--dry-run") == 0)
            dry_run = true;
        else if (strcmp(a, "--json") == 0)
            json = true;
        else if (strcmp(a, "--quiet") == 0)
            quiet = true;
        else if (strcmp(a, "--out") == 0 || strncmp(a, "--out=", 6) == 0) {
            if (a[5] == '=')
                out = a + 6;
            else if (i + 1 < argc)
                out = argv[++i];
            else
                return cli_usage_error(USAGE, "--out needs a directory");
            if (!*out)
                return cli_usage_error(USAGE, "--out needs a directory");
        } else if (strncmp(a, "--", 2) == 0)
            return cli_usage_error(USAGE, "unknown option '%s'", a);
        else if (file)
            return cli_usage_error(USAGE, "one experiment file at a time ('%s' and '%s')", file, a);
        else
            file = a;
    }
    if (!file)
        return cli_usage_error(USAGE, "which experiment file?");
    fl_error err;
    fl_experiment *exp = fl_experiment_load(file, &err);
    if (!exp) {
        fprintf(stderr, "%s\n", err.message);
        return FL_EINVAL;
    }
    if (dry_run) {
        int rc = 0;
        if (fl_experiment_check_host(exp, &err) != 0) {
            fprintf(stderr, "%s\n", err.message);
            rc = FL_EINVAL;
        } else if (json) {
            json_t *lines = json_array();
            if (fl_experiment_plan(exp, collect_line, lines, &err) != 0) {
                fprintf(stderr, "%s\n", err.message);
                rc = FL_EINVAL;
            } else {
                json_t *doc = json_pack("{s:b,s:s,s:o}", "dry_run", 1, "file", file, "plan", lines);
                char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                printf("%s\n", text);
                free(text);
                json_decref(doc);
                lines = NULL;
            }
            json_decref(lines);
        } else if (fl_experiment_plan(exp, print_line, NULL, &err) != 0) {
            fprintf(stderr, "%s\n", err.message);
            rc = FL_EINVAL;
        }
        fl_experiment_free(exp);
        return rc;
    }

    char default_out[128];
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
    signal(SIGPIPE, SIG_IGN);

    progress_ui ui = {.tty = isatty(2), .quiet = quiet};
    fl_run_options opt = {.progress = show_progress, .user = &ui, .interrupt = &interrupted};
    char *result = NULL;
    int code = fl_experiment_run(exp, &opt, &result, &err);
    if (code == FL_EINVAL || !result) {
        fprintf(stderr, "%s\n", err.message);
        fl_experiment_free(exp);
        free(result);
        return code ? code : FL_EAPPLY;
    }
    if (fl_experiment_write_output(result, out, &err) != 0)
        fprintf(stderr, "faultline: %s\n", err.message);
    if (json)
        printf("%s\n", result);
    else
        print_summary(result, out);
    free(result);
    fl_experiment_free(exp);
    return code;
}
