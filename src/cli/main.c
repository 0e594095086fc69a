/* faultline: the command-line client of libfaultline. Each command lives in
 * its own cmd_*.c file; this file dispatches and holds shared helpers. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

static const cli_command commands[] = {
    {"attack", "apply a fault on this host for a bounded time", cmd_attack, true},
    {"status", "list active faults", cmd_status, true},
    {"stop", "roll back faults by id (or --all)", cmd_stop, true},
    {"recover", "roll back faults whose owner is gone (or --all)", cmd_recover, false},
    {"attacks", "the attack catalog, with every parameter", cmd_attacks, false},
    {"sandbox", "run a command in a private user+network namespace", cmd_sandbox, false},
    {"load", "open-loop HTTP load with coordinated-omission-correct latency", cmd_load, false},
    {"run", "run an experiment: load, faults, hypotheses, guaranteed rollback", cmd_run, true},
    {"validate", "check an experiment file (file:line:column errors)", cmd_validate, false},
    {"report", "regenerate junit.xml and report.html from an experiment's result.json", cmd_report, false},
    {"ssm", "AWS Systems Manager: Command documents and SendCommand to instances", cmd_ssm, false},
};

static void usage(FILE *out) {
    fprintf(out,
            "faultline %s: controlled fault injection for Linux hosts\n\n"
            "usage: faultline <command> [options]\n\ncommands:\n",
            FL_VERSION);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nexamples:\n"
                 "  faultline attacks                              # what can be injected\n"
                 "  faultline attack cpu --load 80%% --duration 30s # hold 80%% on every core\n"
                 "  faultline attack memory --size 512M --duration 1m --detach\n"
                 "  faultline status && faultline stop --all\n\n"
                 "Every fault is journaled with its undo in $FAULTLINE_STATE_DIR (default /run/faultline)\n"
                 "before it is applied, and rolled back at expiry, on Ctrl-C, or by 'faultline recover'.\n"
                 "Exit codes: 0 ok, 1 hypothesis failed, 2 invalid input (nothing applied),\n"
                 "3 aborted by a signal (rolled back), 4 could not apply, verify or roll back.\n"
                 "Run 'faultline <command> --help' for a command's options; see also faultline(1).\n");
}

int cli_fail(const fl_error *err) {
    fprintf(stderr, "faultline: %s\n", err->message);
    return err->code ? err->code : FL_EAPPLY;
}

const char *cli_option_message(const cli_parser *p, const fl_error *err, const char *as, char *buf, size_t len) {
    const char *option = as ? as : err->field[0] && cli_find_option(p, err->field) ? err->field : NULL;
    if (option && fl_error_detail(err) != err->message)
        snprintf(buf, len, "--%s: %s", option, fl_error_detail(err));
    else
        snprintf(buf, len, "%s", err->message);
    return buf;
}

int cli_fail_option(const cli_parser *p, const fl_error *err) {
    char message[sizeof(err->message) + 80];
    fprintf(stderr, "faultline: %s\n", cli_option_message(p, err, NULL, message, sizeof(message)));
    return err->code ? err->code : FL_EAPPLY;
}

int cli_usage_fail_option(const cli_parser *p, const fl_error *err) {
    char message[sizeof(err->message) + 80];
    return cli_parser_error(p, "%s", cli_option_message(p, err, NULL, message, sizeof(message)));
}

int cli_usage_error(const char *usage_line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "faultline: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", usage_line);
    return FL_EINVAL;
}

bool cli_is_help(const char *arg) { return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0; }

static void said_recovered(void *user, const char *id, const char *kind, const char *result) {
    (void)user;
    if (result)
        fprintf(stderr, "faultline: could not roll back fault %s (%s) left by a dead owner: %s\n", id, kind, result);
    else
        fprintf(stderr, "faultline: rolled back fault %s (%s) left by a dead owner\n", id, kind);
}

void cli_recover_orphans(void) {
    fl_error err;
    fl_recover(0, said_recovered, NULL, &err);
}

volatile sig_atomic_t cli_stop_signal;

static void on_stop_signal(int signo) { cli_stop_signal = signo; }

void cli_catch_stop_signals(void) {
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void cli_print_json(json_t *doc) {
    json_dumpf(doc, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(doc);
}

static const cli_command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* faultline help [<command>]: the command's own --help. */
static int help(int argc, char **argv) {
    if (argc < 3) {
        usage(stdout);
        return 0;
    }
    const cli_command *c = find_command(argv[2]);
    if (!c) {
        fprintf(stderr, "faultline: unknown command '%s'\n\n", argv[2]);
        usage(stderr);
        return FL_EINVAL;
    }
    char *args[] = {argv[2], "--help", NULL};
    return c->run(2, args);
}

int main(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(stdout);
        return argc < 2 ? FL_EINVAL : 0;
    }
    if (strcmp(argv[1], "help") == 0)
        return help(argc, argv);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("faultline %s\n", FL_VERSION);
        return 0;
    }
    const cli_command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "faultline: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return FL_EINVAL;
    }
    bool help_only = argc > 2 && cli_is_help(argv[2]);
    if (c->recovers_first && !help_only)
        cli_recover_orphans();
    return c->run(argc - 1, argv + 1);
}
