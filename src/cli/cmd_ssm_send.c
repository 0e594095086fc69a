/* faultline ssm send <kind> [params] --duration D --region R --tag K=V ...
 * (also: faultline attack <kind> ... --ssm): SendCommand of the kind's
 * document to the targeted instances, per-instance status by polling, and on
 * Ctrl-C/SIGTERM CancelCommand plus a `faultline stop --tag T` command for
 * the faults this command started. */
#include "cli.h"
#include "core/internal.h"
#include "fleet/ssm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *USAGE =
    "faultline ssm send <kind> [--param value]... --duration D (--tag KEY=VALUE... | --instance-ids ID,...)\n"
    "       [--region R] [--profile P] [--endpoint-url URL] [--document-name NAME] [--max-concurrency N|N%]\n"
    "       [--max-errors N|N%] [--alarm NAME] [--log-group NAME] [--timeout S] [--poll D] [--no-wait] [--json]";

static const char *INTRO = "Runs an attack on EC2 instances (or other managed nodes) through AWS Systems\n"
                           "Manager: SendCommand of the kind's document ('faultline ssm document <kind>',\n"
                           "created in your account as faultline-<kind> by default) to the targeted\n"
                           "instances, then polls ListCommands/ListCommandInvocations for each instance's\n"
                           "status until the command ends. Ctrl-C or SIGTERM sends CancelCommand and a\n"
                           "'faultline stop --tag T' command (T: this command's tag) to the same targets\n"
                           "(exit 3): faults started otherwise are left alone. faultline on the\n"
                           "instance bounds the fault by --duration itself, so a lost command cannot\n"
                           "leave it behind. Parameters are validated here first (exit 2, nothing sent).";
static const char *OUTRO =
    "The kind's parameters: faultline attacks <kind>.\n"
    "example: faultline ssm send latency --host 10.0.0.5 --port 6379 --delay 2s --duration 5m \\\n"
    "             --region eu-west-1 --tag service=api --max-concurrency 2 --max-errors 1 --alarm api-5xx";

/* --poll: from 10 ms (a test listener) to 60 s. */
#define POLL_MIN_US (10 * 1000LL)
#define POLL_MAX_US (60 * 1000000LL)

typedef struct ssm_send {
    const char *kind;
    const fl_attack_info *info;
    fl_ssm_request *req;
    fl_ssm_config cfg;
    const char *instance_ids, *poll;
    bool no_wait, json, ssm;
    const cli_parser *parser;
} ssm_send;

/* A library validation error, printed with the usage line. */
static int usage_fail(const ssm_send *s, const fl_error *err) { return cli_usage_fail_option(s->parser, err); }

static int set_param(const cli_option *opt, const char *value, void *ctx) {
    ssm_send *s = ctx;
    fl_error err;
    if (fl_ssm_request_param(s->req, opt->name, value, &err) == 0)
        return 0;
    /* faultline's own parser says what is wrong with the value; a value
     * outside the document's allowedPattern comes with the usage line. */
    return strstr(err.message, "allowedPattern") ? usage_fail(s, &err) : cli_fail_option(s->parser, &err);
}

static int set_request_option(const cli_option *opt, const char *value, void *ctx) {
    ssm_send *s = ctx;
    fl_error err;
    if (fl_ssm_request_option(s->req, opt->name, value, &err) != 0)
        return usage_fail(s, &err);
    if (strcmp(opt->name, "instance-ids") == 0)
        s->instance_ids = value;
    return 0;
}

static int set_config_option(const cli_option *opt, const char *value, void *ctx) {
    ssm_send *s = ctx;
    fl_error err;
    if (fl_ssm_config_option(&s->cfg, opt->name, value, &err) == 0)
        return 0;
    /* a bad region was never a usage error */
    return strcmp(opt->name, "region") == 0 ? cli_fail_option(s->parser, &err) : usage_fail(s, &err);
}

#define SSM_SEND_OPTIONS(s)                                                                                            \
    {                                                                                                                  \
        CLI_CALLBACK("tag", "K=V", "target instances with this tag (repeatable: all must match)", CLI_REPEATABLE,      \
                     set_request_option),                                                                              \
            CLI_CALLBACK("instance-ids", "L", "or these instances (comma-separated i-...)", 0, set_request_option),    \
            CLI_CALLBACK("region", "R", "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, config)", 0,             \
                         set_config_option),                                                                           \
            CLI_CALLBACK("profile", "P", "shared credentials/config profile (default: AWS_PROFILE)", 0,                \
                         set_config_option),                                                                           \
            CLI_CALLBACK("endpoint-url", "U", "another endpoint (VPC endpoint, a test listener)", 0,                   \
                         set_config_option),                                                                           \
            CLI_CALLBACK("document-name", "N", "the document (default faultline-<kind>)", 0, set_request_option),      \
            CLI_CALLBACK("max-concurrency", "N|N%", "instances at a time (default 1)", 0, set_request_option),         \
            CLI_CALLBACK("max-errors", "N|N%", "failed instances before SSM stops sending (default 0)", 0,             \
                         set_request_option),                                                                          \
            CLI_CALLBACK("alarm", "NAME", "CloudWatch alarm: SSM stops the command when it fires", 0,                  \
                         set_request_option),                                                                          \
            CLI_CALLBACK("log-group", "NAME", "send the output to this CloudWatch Logs group", 0, set_request_option), \
            CLI_CALLBACK("timeout", "S", "delivery timeout in seconds, 30-2592000 (default 600)", 0,                   \
                         set_request_option),                                                                          \
            CLI_STRING("poll", &(s)->poll, "D", "polling interval (default 2s)"),                                      \
            CLI_FLAG("no-wait", &(s)->no_wait, "print the command id and return"),                                     \
            CLI_FLAG("json", &(s)->json,                                                                               \
                     "one JSON document on stdout"), /* faultline attack <kind> ... --ssm comes here whole */          \
            {CLI_OPT_FLAG, "ssm", &(s)->ssm, NULL, NULL, CLI_HIDDEN, NULL}, CLI_END,                                   \
    }

static void sleep_us(int64_t us) {
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL); /* a stop signal ends it early (no SA_RESTART) */
}

/* Prints every instance whose status changed since the last call. */
static void print_changes(const fl_ssm_command *cmd, char (**shown)[48], size_t *n_shown, bool json) {
    const fl_ssm_invocation *inv;
    size_t n = fl_ssm_command_invocations(cmd, &inv);
    if (n > *n_shown) {
        char(*grown)[48] = fl_xreallocarray(*shown, n, sizeof(**shown));
        for (size_t k = *n_shown; k < n; k++)
            grown[k][0] = '\0';
        *shown = grown;
        *n_shown = n;
    }
    for (size_t k = 0; k < n; k++)
        if (strcmp((*shown)[k], inv[k].status) != 0) {
            snprintf((*shown)[k], sizeof((*shown)[k]), "%s", inv[k].status);
            if (!json)
                fprintf(stderr, "faultline: %s: %s\n", inv[k].instance_id, inv[k].status);
        }
}

static void print_json_result(const fl_ssm_command *cmd, const char *docname, bool waited) {
    json_t *doc =
        json_pack("{s:o, s:o}", "command_id", fl_json_text(fl_ssm_command_id(cmd)), "document", fl_json_text(docname));
    if (waited) {
        const fl_ssm_invocation *inv;
        size_t n_inv = fl_ssm_command_invocations(cmd, &inv);
        json_t *instances = json_array();
        for (size_t k = 0; k < n_inv; k++)
            json_array_append_new(instances, json_pack("{s:o, s:o}", "instance_id", fl_json_text(inv[k].instance_id),
                                                       "status", fl_json_text(inv[k].status)));
        json_object_set_new(doc, "stopped", json_boolean(cli_stop_signal));
        json_object_set_new(doc, "instances", instances);
    }
    cli_print_json(doc);
}

/* Polls until the command ends or a stop signal arrives. */
static void wait_for(fl_ssm_command *cmd, int64_t poll_us, bool json) {
    char(*shown)[48] = NULL; /* each instance's status as last printed */
    size_t n_shown = 0;
    bool done = false;
    while (!done && !cli_stop_signal) {
        sleep_us(poll_us);
        if (cli_stop_signal)
            break;
        fl_error err;
        int polled = fl_ssm_command_poll(cmd, &err);
        print_changes(cmd, &shown, &n_shown, json);
        if (polled < 0)
            fprintf(stderr, "faultline: %s (still polling)\n", err.message);
        done = polled == 1;
    }
    free(shown);
}

/* After the wait: stopped (cancel), or how every instance ended. */
static int conclude(fl_ssm_command *cmd, bool json) {
    const char *cmd_id = fl_ssm_command_id(cmd);
    fl_error err;
    if (cli_stop_signal) {
        /* Stop: cancel the command, then ask every targeted instance to stop
         * its faults. Each instance's faultline would roll back on its own
         * at the end of --duration anyway. */
        fprintf(stderr, "faultline: stopping: CancelCommand %s and faultline stop --tag (its faults) on the targets\n",
                cmd_id);
        if (fl_ssm_command_cancel(cmd, &err) != 0)
            fprintf(stderr, "faultline: %s\n", err.message);
        return FL_EABORTED;
    }
    const fl_ssm_invocation *inv;
    size_t n_inv = fl_ssm_command_invocations(cmd, &inv);
    const char *cst = fl_ssm_command_status(cmd);
    bool ok = strcmp(cst, "Success") == 0 && n_inv > 0;
    for (size_t k = 0; k < n_inv; k++)
        ok = ok && strcmp(inv[k].status, "Success") == 0;
    if (!n_inv)
        fprintf(stderr, "faultline: %s: %s with no instance listed: the fault ran nowhere\n", cmd_id, cst);
    if (*fl_ssm_command_triggered_alarms(cmd) && !json) /* SSM's AlarmConfiguration fired */
        fprintf(stderr, "faultline: %s: %s; alarm triggered: %s\n", cmd_id, cst, fl_ssm_command_triggered_alarms(cmd));
    return ok ? 0 : FL_EAPPLY;
}

static void print_details(fl_ssm_command *cmd) {
    fl_error err;
    fl_ssm_command_details(cmd, &err); /* an instance it cannot read is left out */
    const fl_ssm_invocation *inv;
    size_t n_inv = fl_ssm_command_invocations(cmd, &inv);
    for (size_t k = 0; k < n_inv; k++)
        if (inv[k].have_details)
            printf("%s %s exit %d\n", inv[k].instance_id, inv[k].status, inv[k].response_code);
}

static int send_command(ssm_send *s, int64_t poll_us) {
    cli_catch_stop_signals();
    fl_error err;
    const char *docname = fl_ssm_request_document(s->req);
    fl_ssm_command *cmd = fl_ssm_command_send(&s->cfg, s->req, &err);
    if (!cmd)
        return cli_fail_option(s->parser, &err);
    if (!s->json)
        fprintf(stderr, "faultline: sent %s to %s: command %s\n", docname,
                fl_ssm_request_by_tags(s->req) ? "the tagged instances" : s->instance_ids, fl_ssm_command_id(cmd));
    int rc = 0;
    if (s->no_wait) {
        if (s->json)
            print_json_result(cmd, docname, false);
        else
            printf("%s\n", fl_ssm_command_id(cmd));
    } else {
        wait_for(cmd, poll_us, s->json);
        rc = conclude(cmd, s->json);
        if (s->json)
            print_json_result(cmd, docname, true);
        else
            print_details(cmd);
    }
    fl_ssm_command_free(cmd);
    return rc;
}

static int parse_and_send(ssm_send *s, const cli_option *params, int argc, char **argv) {
    const cli_option options[] = SSM_SEND_OPTIONS(s);
    char hint[160];
    snprintf(hint, sizeof(hint), "faultline ssm send --help and faultline attacks %s list them", s->kind);
    char title[96];
    snprintf(title, sizeof(title), "the parameters of %s:", s->kind);
    const cli_option heading[] = {CLI_GROUP(title), CLI_END};
    cli_parser p = {.command = "ssm send",
                    .usage = USAGE,
                    .intro = INTRO,
                    .outro = OUTRO,
                    .tables = CLI_TABLES(options, heading, params),
                    .ctx = s,
                    .unknown_hint = hint};
    s->parser = &p;
    int rc = cli_parse(&p, argc, argv);
    if (rc == CLI_CONTINUE && p.n_args > 0)
        rc = cli_usage_error(USAGE, "unexpected argument '%s' (parameters are --name value)", p.args[0]);
    fl_error err;
    if (rc == CLI_CONTINUE && fl_ssm_request_finish(s->req, &err) != 0)
        rc = usage_fail(s, &err);
    int64_t poll_us = 0;
    if (rc == CLI_CONTINUE &&
        (fl_parse_duration(s->poll, "poll", &poll_us, &err) != 0 || poll_us < POLL_MIN_US || poll_us > POLL_MAX_US))
        rc = cli_usage_error(USAGE, "--poll: '%s' is not a duration from 10ms to 60s", s->poll);
    if (rc == CLI_CONTINUE && fl_ssm_config_load(&s->cfg, &err) != 0)
        rc = cli_fail_option(&p, &err);
    if (rc == CLI_CONTINUE)
        rc = send_command(s, poll_us);
    s->parser = NULL;
    return rc;
}

int cmd_ssm_send(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        ssm_send none = {0};
        const cli_option options[] = SSM_SEND_OPTIONS(&none);
        cli_parser p = {.usage = USAGE, .intro = INTRO, .outro = OUTRO, .tables = CLI_TABLES(options)};
        cli_print_help(&p, stdout);
        return argc < 2 ? cli_usage_error(USAGE, "which attack? (faultline attacks lists them)") : 0;
    }
    ssm_send s = {.kind = argv[1], .info = fl_attack_find(argv[1]), .poll = "2s"};
    fl_error err;
    if (!(s.req = fl_ssm_request_new(s.kind, &err)))
        return cli_fail(&err);
    cli_option *params = cli_attack_options(s.info, set_param, CLI_ATTACK_NO_TAG);
    int rc = parse_and_send(&s, params, argc - 1, argv + 1);
    cli_attack_options_free(params);
    fl_ssm_request_free(s.req);
    return rc == CLI_CONTINUE ? 0 : rc;
}
