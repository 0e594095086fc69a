/* faultline ssm send <kind> [params] --duration D --region R --tag K=V ...
 * (also: faultline attack <kind> ... --ssm): SendCommand of the kind's
 * document to the targeted instances, per-instance status by polling, and on
 * Ctrl-C/SIGTERM CancelCommand plus a `faultline stop --all` command. */
#include "cli.h"
#include "core/internal.h"
#include "fleet/ssm.h"

#include <math.h>
#include <regex.h>
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
           "'faultline stop --all' command to the same targets (exit 3). faultline on the\n"
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

/* "N" or "N%" as SSM's MaxConcurrency/MaxErrors pattern: ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$ */
static bool valid_rate(const char *s, bool zero_ok) {
    regex_t re;
    regcomp(&re, "^([1-9][0-9]{0,9}|0|[1-9][0-9]%|[0-9]%|100%)$", REG_EXTENDED | REG_NOSUB);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok && (zero_ok || (strcmp(s, "0") != 0 && strcmp(s, "0%") != 0));
}

static bool matches(const char *pattern, const char *s) {
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static bool charset(const char *s, const char *extra, size_t max) {
    size_t n = strlen(s);
    if (!n || n > max)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr(extra, *c)))
            return false;
    return true;
}

static bool terminal(const char *s) {
    static const char *const t[] = {
        "Success",       "Cancelled",  "Failed",          "TimedOut",    "Delivery Timed Out", "Execution Timed Out",
        "Undeliverable", "Terminated", "InvalidPlatform", "AccessDenied"};
    for (size_t i = 0; s && i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(s, t[i]) == 0)
            return true;
    return false;
}

static void sleep_us(int64_t us) {
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL); /* a stop signal ends it early (no SA_RESTART) */
}

typedef struct seen {
    char id[64];
    char status[48];
} seen;

/* Polls the command's invocations; prints every status change. Returns the
 * number of instances not in Success, or -1 on API error. */
static int poll_invocations(const fl_ssm_config *cfg, const char *cmd_id, seen *s, size_t *n_seen, size_t max,
                            bool *all_done, bool json, fl_error *err) {
    int not_ok = 0;
    bool done = true;
    size_t count = 0;
    char next[1024] = "";
    for (int page = 0; page < 100; page++) { /* every page (NextToken) */
        json_t *resp;
        json_t *body = json_pack("{s:s, s:b}", "CommandId", cmd_id, "Details", 0);
        if (next[0])
            json_object_set_new(body, "NextToken", json_string(next));
        int rc = fl_ssm_call(cfg, "ListCommandInvocations", body, &resp, err);
        json_decref(body);
        if (rc != 200)
            return -1;
        size_t i;
        json_t *inv;
        json_array_foreach(json_object_get(resp, "CommandInvocations"), i, inv) {
            const char *id = json_string_value(json_object_get(inv, "InstanceId"));
            const char *st = json_string_value(json_object_get(inv, "Status"));
            if (!id || !st)
                continue;
            count++;
            if (!terminal(st))
                done = false;
            if (strcmp(st, "Success") != 0)
                not_ok++;
            size_t k;
            for (k = 0; k < *n_seen && strcmp(s[k].id, id) != 0; k++)
                ;
            if (k == *n_seen && *n_seen < max)
                snprintf(s[(*n_seen)++].id, sizeof(s[0].id), "%s", id);
            if (k < max && strcmp(s[k].status, st) != 0) {
                snprintf(s[k].status, sizeof(s[k].status), "%s", st);
                if (!json)
                    fprintf(stderr, "faultline: %s: %s\n", id, st);
            }
        }
        const char *tok = json_string_value(json_object_get(resp, "NextToken"));
        snprintf(next, sizeof(next), "%s", tok ? tok : "");
        json_decref(resp);
        if (!next[0])
            break;
    }
    *all_done = done && count > 0;
    return not_ok;
}

int cmd_ssm_send(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        help();
        return argc < 2 ? cli_usage_error(USAGE, "which attack? (faultline attacks lists them)") : 0;
    }
    const char *kind = argv[1];
    fl_error err;
    fl_spec *spec = fl_spec_new(kind, &err);
    if (!spec)
        return cli_fail(&err);
    const fl_attack_info *info = fl_attack_find(kind);
    fl_ssm_config cfg = {0};
    const char *tags[16], *instance_ids = NULL, *document = NULL, *max_conc = "1", *max_err = "0";
    const char *alarm = NULL, *log_group = NULL, *timeout = "600", *poll = "2s", *duration = NULL;
    size_t n_tags = 0;
    bool no_wait = false, json = false;
    json_t *params = json_object();
    char joined[4096]; /* a repeatable parameter's values, comma-separated */
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
        if (ps && ps->type == FL_PARAM_BOOL) {
            char sname[64];
            fl_ssm_param_name(name, sname, sizeof(sname));
            if (fl_spec_set(spec, name, eq ? eq + 1 : NULL, &err) != 0)
                rc = cli_fail(&err);
            else
                json_object_set_new(params, sname, json_pack("[s]", eq ? eq + 1 : "true"));
            continue;
        }
        if (!eq && i + 1 >= argc) {
            rc = bad("--%s needs a value%s", name, "");
            break;
        }
        const char *v = eq ? eq + 1 : argv[++i];
        static const char *const opts[] = {
            "tag",        "instance-ids", "region",    "profile", "endpoint-url", "document-name", "max-concurrency",
            "max-errors", "alarm",        "log-group", "timeout", "poll",         "duration"};
        size_t o;
        for (o = 0; o < sizeof(opts) / sizeof(opts[0]) && strcmp(opts[o], name) != 0; o++)
            ;
        switch (o) {
        case 0:
            if (n_tags == 16 || !strchr(v, '=') || v[0] == '=' || !charset(v, " _.:/=+-@", 256))
                rc = bad("--tag: '%s' is not KEY=VALUE (letters, digits, spaces and _.:/=+-@)%s", v, "");
            else
                tags[n_tags++] = v;
            break;
        case 1: instance_ids = v; break;
        case 2: snprintf(cfg.region, sizeof(cfg.region), "%s", v); break;
        case 3:
            if (!charset(v, "_.-", 64))
                rc = bad("--profile: '%s' is not a profile name%s", v, "");
            snprintf(cfg.profile, sizeof(cfg.profile), "%s", v);
            break;
        case 4:
            if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
                rc = bad("--endpoint-url: '%s' is not an http(s) URL%s", v, "");
            snprintf(cfg.endpoint, sizeof(cfg.endpoint), "%s", v);
            break;
        case 5: document = v; break;
        case 6: max_conc = v; break;
        case 7: max_err = v; break;
        case 8: alarm = v; break;
        case 9: log_group = v; break;
        case 10: timeout = v; break;
        case 11: poll = v; break;
        case 12:
            duration = v;
            if (fl_spec_set(spec, "duration", v, &err) != 0)
                rc = cli_fail(&err);
            break;
        default: {
            if (!ps) {
                rc = bad("--%s: %s has no such parameter (faultline attacks lists them)", name, kind);
                break;
            }
            if (fl_spec_set(spec, name, v, &err) != 0) {
                rc = cli_fail(&err);
                break;
            }
            const char *pat = fl_ssm_param_pattern(ps);
            char sname[64];
            fl_ssm_param_name(name, sname, sizeof(sname));
            json_t *cur = json_object_get(params, sname);
            if (cur && (ps->flags & FL_PARAM_REPEATABLE)) {
                snprintf(joined, sizeof(joined), "%s,%s", json_string_value(json_array_get(cur, 0)), v);
                v = joined;
                json_array_set_new(cur, 0, json_string(joined));
            } else {
                json_object_set_new(params, sname, json_pack("[s]", v));
            }
            if (pat && !matches(pat, v))
                rc = cli_usage_error(USAGE,
                                     "--%s: '%s' does not match the document's allowedPattern %s (no shell "
                                     "metacharacters, quotes or spaces)",
                                     name, v, pat);
        }
        }
    }
    if (rc)
        goto out;
    for (size_t k = 0; k < info->n_params; k++)
        if ((info->params[k].flags & FL_PARAM_REQUIRED) && !fl_spec_given(spec, info->params[k].name)) {
            rc = bad("--%s is required for %s", info->params[k].name, kind);
            goto out;
        }
    if (!info->instant) {
        if (!duration) {
            rc = bad("--duration is required (1s to 12h, whole seconds)%s%s", "", "");
            goto out;
        }
        int64_t us = fl_spec_duration_us(spec);
        if (us % 1000000 != 0 || us < 1000000 || us > 43200LL * 1000000) {
            rc = bad("--duration: '%s' must be whole seconds from 1s to 12h (DurationSeconds)%s", duration, "");
            goto out;
        }
        char secs[32];
        snprintf(secs, sizeof(secs), "%lld", (long long)(us / 1000000));
        json_object_set_new(params, "DurationSeconds", json_pack("[s]", secs));
    }
    if (!n_tags && !instance_ids) {
        rc = bad("no targets: give --tag KEY=VALUE or --instance-ids i-...%s%s", "", "");
        goto out;
    }
    if (n_tags && instance_ids) {
        rc = bad("--tag and --instance-ids are exclusive%s%s", "", "");
        goto out;
    }
    if (instance_ids &&
        !matches("^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})(,(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})){0,49}$", instance_ids)) {
        rc = bad("--instance-ids: '%s' is not a comma-separated list of i-... ids (at most 50)%s", instance_ids, "");
        goto out;
    }
    if (!valid_rate(max_conc, false)) {
        rc = bad("--max-concurrency: '%s' is not N or N%% (at least 1)%s", max_conc, "");
        goto out;
    }
    if (!valid_rate(max_err, true)) {
        rc = bad("--max-errors: '%s' is not N or N%%%s", max_err, "");
        goto out;
    }
    if (alarm && !charset(alarm, "_.-/#:", 255)) {
        rc = bad("--alarm: '%s' is not a CloudWatch alarm name%s", alarm, "");
        goto out;
    }
    if (log_group && !charset(log_group, "_.-/#", 512)) {
        rc = bad("--log-group: '%s' is not a log group name%s", log_group, "");
        goto out;
    }
    char *end;
    long tmo = strtol(timeout, &end, 10);
    if (*end || tmo < 30 || tmo > 2592000) {
        rc = bad("--timeout: '%s' is not seconds from 30 to 2592000%s", timeout, "");
        goto out;
    }
    int64_t poll_us;
    if (fl_parse_duration(poll, "poll", &poll_us, &err) != 0 || poll_us < 10000 || poll_us > 60000000) {
        rc = bad("--poll: '%s' is not a duration from 10ms to 60s%s", poll, "");
        goto out;
    }
    char docname[160];
    snprintf(docname, sizeof(docname), "%s", document ? document : "");
    if (!document)
        snprintf(docname, sizeof(docname), "faultline-%s", kind);
    if (!charset(docname, "_.-:/", 128)) {
        rc = bad("--document-name: '%s' is not a document name or ARN%s", docname, "");
        goto out;
    }
    if (fl_ssm_config_load(&cfg, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }

    json_t *targets = NULL;
    if (n_tags) {
        targets = json_array();
        for (size_t k = 0; k < n_tags; k++) {
            const char *eq = strchr(tags[k], '=');
            char key[300];
            snprintf(key, sizeof(key), "tag:%.*s", (int)(eq - tags[k]), tags[k]);
            json_array_append_new(targets, json_pack("{s:s, s:[s]}", "Key", key, "Values", eq + 1));
        }
    }
    json_t *body = json_object();
    if (targets)
        json_object_set_new(body, "Targets", targets);
    if (instance_ids) {
        json_t *ids = json_array();
        const char *p = instance_ids;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t l = comma ? (size_t)(comma - p) : strlen(p);
            json_array_append_new(ids, json_stringn(p, l));
            p += l + (comma ? 1 : 0);
        }
        json_object_set_new(body, "InstanceIds", ids);
    }
    json_object_set_new(body, "DocumentName", json_string(docname));
    json_object_set_new(body, "TimeoutSeconds", json_integer(tmo));
    char comment[100];
    snprintf(comment, sizeof(comment), "faultline %s", kind);
    json_object_set_new(body, "Comment", json_string(comment));
    json_object_set_new(body, "Parameters", params);
    params = NULL;
    json_object_set_new(body, "MaxConcurrency", json_string(max_conc));
    json_object_set_new(body, "MaxErrors", json_string(max_err));
    if (log_group)
        json_object_set_new(body, "CloudWatchOutputConfig",
                            json_pack("{s:s, s:b}", "CloudWatchLogGroupName", log_group, "CloudWatchOutputEnabled", 1));
    if (alarm)
        json_object_set_new(body, "AlarmConfiguration",
                            json_pack("{s:b, s:[{s:s}]}", "IgnorePollAlarmFailure", 0, "Alarms", "Name", alarm));

    cli_catch_stop_signals();
    json_t *resp;
    int st = fl_ssm_call(&cfg, "SendCommand", body, &resp, &err);
    if (st != 200) {
        json_decref(body);
        rc = cli_fail(&err);
        goto out;
    }
    char cmd_id[64];
    snprintf(cmd_id, sizeof(cmd_id), "%s",
             json_string_value(json_object_get(json_object_get(resp, "Command"), "CommandId")) ?: "");
    json_decref(resp);
    if (!cmd_id[0]) {
        json_decref(body);
        fprintf(stderr, "faultline: SendCommand: no CommandId in the reply\n");
        rc = FL_EAPPLY;
        goto out;
    }
    if (!json)
        fprintf(stderr, "faultline: sent %s to %s: command %s\n", docname,
                n_tags ? "the tagged instances" : instance_ids, cmd_id);
    if (no_wait) {
        if (json)
            printf("{\"command_id\":\"%s\",\"document\":\"%s\"}\n", cmd_id, docname);
        else
            printf("%s\n", cmd_id);
        json_decref(body);
        goto out;
    }
    seen s[512] = {0};
    size_t n_seen = 0;
    bool done = false;
    int not_ok = 0;
    while (!done && !cli_stop_signal) {
        sleep_us(poll_us);
        if (cli_stop_signal)
            break;
        /* The command is over when its own status is final: with
         * MaxConcurrency, instances receive it in turns, so every listed
         * invocation being final is not enough. */
        bool inv_done = false;
        not_ok = poll_invocations(&cfg, cmd_id, s, &n_seen, 512, &inv_done, json, &err);
        if (not_ok < 0) {
            fprintf(stderr, "faultline: %s (still polling)\n", err.message);
            not_ok = 0;
            continue;
        }
        json_t *q = json_pack("{s:s}", "CommandId", cmd_id);
        if (fl_ssm_call(&cfg, "ListCommands", q, &resp, &err) == 200) {
            const char *cst =
                json_string_value(json_object_get(json_array_get(json_object_get(resp, "Commands"), 0), "Status"));
            done = inv_done && cst && terminal(cst);
            if (cst && terminal(cst) && strcmp(cst, "Success") != 0)
                not_ok = not_ok ? not_ok : 1;
            json_decref(resp);
        } else {
            fprintf(stderr, "faultline: %s (still polling)\n", err.message);
        }
        json_decref(q);
    }
    if (cli_stop_signal) {
        /* Stop: cancel the command, then ask every targeted instance to stop
         * its faults. Each instance's faultline would roll back on its own
         * at the end of --duration anyway. */
        fprintf(stderr, "faultline: stopping: CancelCommand %s and faultline stop --all on the targets\n", cmd_id);
        json_t *cancel = json_pack("{s:s}", "CommandId", cmd_id);
        if (fl_ssm_call(&cfg, "CancelCommand", cancel, &resp, &err) == 200)
            json_decref(resp);
        else
            fprintf(stderr, "faultline: %s\n", err.message);
        json_decref(cancel);
        json_t *stop = json_object();
        json_object_set(stop, "Targets", json_object_get(body, "Targets"));
        if (json_object_get(body, "InstanceIds"))
            json_object_set(stop, "InstanceIds", json_object_get(body, "InstanceIds"));
        if (!json_object_get(stop, "Targets"))
            json_object_del(stop, "Targets");
        json_object_set_new(stop, "DocumentName", json_string("AWS-RunShellScript"));
        json_object_set_new(stop, "Comment", json_string("faultline stop --all"));
        json_object_set_new(stop, "Parameters", json_pack("{s:[s]}", "commands", "faultline stop --all"));
        json_object_set_new(stop, "MaxConcurrency", json_string("100%"));
        json_object_set_new(stop, "MaxErrors", json_string("100%"));
        json_object_set_new(stop, "TimeoutSeconds", json_integer(60));
        if (fl_ssm_call(&cfg, "SendCommand", stop, &resp, &err) == 200)
            json_decref(resp);
        else
            fprintf(stderr, "faultline: %s\n", err.message);
        json_decref(stop);
        rc = FL_EABORTED;
    } else {
        rc = not_ok ? FL_EAPPLY : 0;
    }
    if (json) {
        printf("{\"command_id\":\"%s\",\"document\":\"%s\",\"stopped\":%s,\"instances\":[", cmd_id, docname,
               cli_stop_signal ? "true" : "false");
        for (size_t k = 0; k < n_seen; k++)
            printf("%s{\"instance_id\":\"%s\",\"status\":\"%s\"}", k ? "," : "", s[k].id, s[k].status);
        printf("]}\n");
    } else {
        for (size_t k = 0; k < n_seen; k++) {
            json_t *q = json_pack("{s:s, s:s}", "CommandId", cmd_id, "InstanceId", s[k].id);
            if (fl_ssm_call(&cfg, "GetCommandInvocation", q, &resp, &err) == 200) {
                printf("%s %s exit %lld\n", s[k].id, json_string_value(json_object_get(resp, "Status")) ?: "?",
                       (long long)json_integer_value(json_object_get(resp, "ResponseCode")));
                json_decref(resp);
            }
            json_decref(q);
        }
    }
    json_decref(body);
out:
    json_decref(params);
    fl_spec_free(spec);
    return rc;
}
