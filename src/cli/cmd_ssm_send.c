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

static void help(void) {
    printf("usage: %s\n\n"
           "Runs an attack on EC2 instances (or other managed nodes) through AWS Systems\n"
           "Manager: SendCommand of the kind's document ('faultline ssm document <kind>',\n"
           "created in your account as faultline-<kind> by default) to the targeted\n"
           "instances, then polls ListCommands/ListCommandInvocations for each instance's\n"
           "status until the command ends. Ctrl-C or SIGTERM sends CancelCommand and a\n"
           "'faultline stop --tag T' command (T: this command's tag) to the same targets\n"
           "(exit 3): faults started otherwise are left alone. faultline on the\n"
           "instance bounds the fault by --duration itself, so a lost command cannot\n"
           "leave it behind. Parameters are validated here first (exit 2, nothing sent).\n\n"
           "  --tag K=V          target instances with this tag (repeatable: all must match)\n"
           "  --instance-ids L   or these instances (comma-separated i-...)\n"
           "  --region R         AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, config)\n"
           "  --profile P        shared credentials/config profile (default: AWS_PROFILE)\n"
           "  --endpoint-url U   another endpoint (VPC endpoint, a test listener)\n"
           "  --document-name N  the document (default faultline-<kind>)\n"
           "  --max-concurrency  instances at a time, N or N%% (default 1)\n"
           "  --max-errors       failed instances before SSM stops sending, N or N%% (default 0)\n"
           "  --alarm NAME       CloudWatch alarm: SSM stops the command when it fires\n"
           "  --log-group NAME   send the output to this CloudWatch Logs group\n"
           "  --timeout S        delivery timeout in seconds, 30-2592000 (default 600)\n"
           "  --poll D           polling interval (default 2s)\n"
           "  --no-wait          print the command id and return\n\n"
           "example: faultline ssm send latency --host 10.0.0.5 --port 6379 --delay 2s --duration 5m \\\n"
           "             --region eu-west-1 --tag service=api --max-concurrency 2 --max-errors 1 --alarm api-5xx\n",
           USAGE);
}

static int bad(const char *fmt, const char *a, const char *b) { return cli_usage_error(USAGE, fmt, a, b); }
/* A library validation error, printed with the usage line. */
static int usage_fail(const fl_error *err) { return cli_usage_error(USAGE, "%s", err->message); }

static void sleep_us(int64_t us) {
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL); /* a stop signal ends it early (no SA_RESTART) */
}

/* Prints every instance whose status changed since the last call. */
static void print_changes(const fl_ssm_command *cmd, char (**shown)[48], size_t *n_shown, bool json) {
    const fl_ssm_invocation *inv;
    size_t n = fl_ssm_command_invocations(cmd, &inv);
    if (n > *n_shown) {
        char(*grown)[48] = realloc(*shown, n * sizeof(**shown));
        if (!grown)
            return;
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

int cmd_ssm_send(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        help();
        return argc < 2 ? cli_usage_error(USAGE, "which attack? (faultline attacks lists them)") : 0;
    }
    const char *kind = argv[1];
    fl_error err;
    fl_ssm_request *req = fl_ssm_request_new(kind, &err);
    if (!req)
        return cli_fail(&err);
    const fl_attack_info *info = fl_attack_find(kind);
    fl_ssm_config cfg = {0};
    const char *instance_ids = NULL, *poll = "2s";
    bool no_wait = false, json = false;
    fl_ssm_command *cmd = NULL;
    char(*shown)[48] = NULL; /* each instance's status as last printed */
    size_t n_shown = 0;
    int rc = 0;
    for (int i = 2; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            help();
            goto out;
        }
        if (strncmp(a, "--", 2) != 0 || !a[2]) {
            rc = bad("unexpected argument '%s'%s", a, " (parameters are --name value)");
            break;
        }
        char name_buf[64];
        const char *eq = strchr(a, '=');
        snprintf(name_buf, sizeof(name_buf), "%.*s", (int)(eq ? eq - a - 2 : (long)strlen(a + 2)), a + 2);
        const char *name = name_buf;
        if (!strcmp(name, "no-wait") || !strcmp(name, "json") || !strcmp(name, "ssm")) {
            *(name[0] == 'n' ? &no_wait : name[0] == 'j' ? &json : &(bool){0}) = true;
            continue;
        }
        const fl_param_spec *ps = NULL;
        for (size_t k = 0; k < info->n_params; k++)
            if (!strcmp(info->params[k].name, name))
                ps = &info->params[k];
        if (ps && ps->type == FL_PARAM_BOOL) { /* --force, --force=false */
            if (fl_ssm_request_param(req, name, eq ? eq + 1 : NULL, &err) != 0)
                rc = cli_fail(&err);
            continue;
        }
        if (!eq && i + 1 >= argc) {
            rc = bad("--%s needs a value%s", name, "");
            break;
        }
        const char *v = eq ? eq + 1 : argv[++i];
        static const char *const request_opts[] = {"tag",        "instance-ids", "document-name", "max-concurrency",
                                                   "max-errors", "alarm",        "log-group",     "timeout"};
        bool request_opt = false;
        for (size_t o = 0; o < sizeof(request_opts) / sizeof(request_opts[0]); o++)
            request_opt = request_opt || !strcmp(request_opts[o], name);
        if (!strcmp(name, "poll")) {
            poll = v;
        } else if (!strcmp(name, "region") || !strcmp(name, "profile") || !strcmp(name, "endpoint-url")) {
            if (fl_ssm_config_option(&cfg, name, v, &err) != 0) /* a bad region was never a usage error */
                rc = !strcmp(name, "region") ? cli_fail(&err) : usage_fail(&err);
        } else if (request_opt) {
            if (fl_ssm_request_option(req, name, v, &err) != 0)
                rc = usage_fail(&err);
            else if (!strcmp(name, "instance-ids"))
                instance_ids = v;
        } else if (fl_ssm_request_param(req, name, v, &err) != 0) {
            /* faultline's own parser says what is wrong with the value; an
             * unknown parameter or a value outside the document's
             * allowedPattern comes with the usage line, as it always has. */
            rc = (!ps && strcmp(name, "duration") != 0) || strstr(err.message, "allowedPattern") ? usage_fail(&err)
                                                                                                 : cli_fail(&err);
        }
    }
    if (rc)
        goto out;
    if (fl_ssm_request_finish(req, &err) != 0) {
        rc = usage_fail(&err);
        goto out;
    }
    int64_t poll_us;
    if (fl_parse_duration(poll, "poll", &poll_us, &err) != 0 || poll_us < 10000 || poll_us > 60000000) {
        rc = bad("--poll: '%s' is not a duration from 10ms to 60s%s", poll, "");
        goto out;
    }
    if (fl_ssm_config_load(&cfg, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }

    cli_catch_stop_signals();
    const char *docname = fl_ssm_request_document(req);
    cmd = fl_ssm_command_send(&cfg, req, &err);
    if (!cmd) {
        rc = cli_fail(&err);
        goto out;
    }
    const char *cmd_id = fl_ssm_command_id(cmd);
    if (!json)
        fprintf(stderr, "faultline: sent %s to %s: command %s\n", docname,
                fl_ssm_request_by_tags(req) ? "the tagged instances" : instance_ids, cmd_id);
    if (no_wait) {
        if (json) {
            printf("{\"command_id\":");
            cli_json_string(stdout, cmd_id);
            printf(",\"document\":");
            cli_json_string(stdout, docname);
            printf("}\n");
        } else {
            printf("%s\n", cmd_id);
        }
        goto out;
    }
    bool done = false;
    while (!done && !cli_stop_signal) {
        sleep_us(poll_us);
        if (cli_stop_signal)
            break;
        int polled = fl_ssm_command_poll(cmd, &err);
        print_changes(cmd, &shown, &n_shown, json);
        if (polled < 0)
            fprintf(stderr, "faultline: %s (still polling)\n", err.message);
        done = polled == 1;
    }
    const fl_ssm_invocation *inv;
    size_t n_inv = fl_ssm_command_invocations(cmd, &inv);
    if (cli_stop_signal) {
        /* Stop: cancel the command, then ask every targeted instance to stop
         * its faults. Each instance's faultline would roll back on its own
         * at the end of --duration anyway. */
        fprintf(stderr, "faultline: stopping: CancelCommand %s and faultline stop --tag (its faults) on the targets\n",
                cmd_id);
        if (fl_ssm_command_cancel(cmd, &err) != 0)
            fprintf(stderr, "faultline: %s\n", err.message);
        rc = FL_EABORTED;
    } else {
        const char *cst = fl_ssm_command_status(cmd);
        bool ok = strcmp(cst, "Success") == 0 && n_inv > 0;
        for (size_t k = 0; k < n_inv; k++)
            ok = ok && strcmp(inv[k].status, "Success") == 0;
        if (!n_inv)
            fprintf(stderr, "faultline: %s: %s with no instance listed: the fault ran nowhere\n", cmd_id, cst);
        if (*fl_ssm_command_triggered_alarms(cmd) && !json) /* SSM's AlarmConfiguration fired */
            fprintf(stderr, "faultline: %s: %s; alarm triggered: %s\n", cmd_id, cst,
                    fl_ssm_command_triggered_alarms(cmd));
        rc = ok ? 0 : FL_EAPPLY;
    }
    if (json) {
        printf("{\"command_id\":");
        cli_json_string(stdout, cmd_id);
        printf(",\"document\":");
        cli_json_string(stdout, docname);
        printf(",\"stopped\":%s,\"instances\":[", cli_stop_signal ? "true" : "false");
        for (size_t k = 0; k < n_inv; k++) {
            printf("%s{\"instance_id\":", k ? "," : "");
            cli_json_string(stdout, inv[k].instance_id);
            printf(",\"status\":");
            cli_json_string(stdout, inv[k].status);
            printf("}");
        }
        printf("]}\n");
    } else {
        fl_ssm_command_details(cmd, &err); /* an instance it cannot read is left out */
        n_inv = fl_ssm_command_invocations(cmd, &inv);
        for (size_t k = 0; k < n_inv; k++)
            if (inv[k].have_details)
                printf("%s %s exit %d\n", inv[k].instance_id, inv[k].status, inv[k].response_code);
    }
out:
    free(shown);
    fl_ssm_command_free(cmd);
    fl_ssm_request_free(req);
    return rc;
}
