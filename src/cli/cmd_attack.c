/* faultline attack <kind> [params] --duration D [--detach] [--dry-run] [--json] */
#include "cli.h"

/* src/cli/cmd_fleet.c: the same attack on the hosts of an inventory. */
int cli_fleet_attack(int argc, char **argv);
/* src/cli/cmd_ssm_send.c: the same attack on EC2 instances through SSM. */
int cmd_ssm_send(int argc, char **argv);

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *USAGE = "faultline attack <kind> [--param value]... --duration D [--detach] [--dry-run] [--json]\n"
                           "       [--lease D] [--inventory FILE --select FILTER [--mode M] ...]";



static void help(void)
{
    printf("usage: %s\n\n"
           "Applies a fault on this host and holds it for --duration (at most 12h), in the\n"
           "foreground; Ctrl-C or SIGTERM rolls it back at once (exit 3).\n\n"
           "  --duration D   how long to hold it: 500ms, 30s, 5m, 1h (required)\n"
           "  --detach       leave a supervisor holding it; print the id and return\n"
           "  --dry-run      print every operation and its undo; apply nothing\n"
           "  --json         one JSON document on stdout\n"
           "  --lease D      dead-man's switch: roll back unless a line arrives on stdin\n"
           "                 at least every D, and at once on EOF (with --json: a first\n"
           "                 JSON line when applied, a second when rolled back)\n"
           "  --inventory F  run it on the hosts of an inventory over ssh (docs/fleet.md)\n"
           "  --ssm          run it on instances through AWS Systems Manager: --tag K=V,\n"
           "                 --region ... (faultline ssm send --help, docs/ssm.md)\n\n"
           "Kinds and their parameters: faultline attacks [<kind>]\n"
           "example: faultline attack cpu --load 80%% --workers 2 --duration 30s\n",
           USAGE);
}

typedef struct plan_out {
    bool json;
    int n;
} plan_out;

static void print_step(void *user, const char *op, const char *inverse)
{
    plan_out *p = user;
    if (p->json) {
        printf("%s{\"do\":", p->n ? "," : "");
        cli_json_string(stdout, op);
        printf(",\"undo\":");
        if (inverse)
            cli_json_string(stdout, inverse);
        else
            printf("null");
        printf("}");
    } else {
        printf("  %d. %s\n", p->n + 1, op);
        if (inverse)
            printf("     undo: %s\n", inverse);
    }
    p->n++;
}

static void print_lines_json(const char *text)
{
    printf("[");
    const char *p = text;
    for (int n = 0; *p; n++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len);
        printf("%s", n ? "," : "");
        cli_json_string(stdout, line);
        free(line);
        p += len + (nl ? 1 : 0);
    }
    printf("]");
}

static void print_json_result(const fl_fault *fault, fl_spec *spec, const char *state, const char *started,
                              const char *expires, const char *ended, bool detached)
{
    printf("{\"id\":");
    cli_json_string(stdout, fl_fault_id(fault));
    printf(",\"kind\":");
    cli_json_string(stdout, fl_spec_kind(spec));
    printf(",\"state\":\"%s\",\"detached\":%s,\"supervisor_pid\":%d,\"duration_ms\":%lld,\"started\":\"%s\"", state,
           detached ? "true" : "false", (int)fl_fault_supervisor_pid(fault),
           (long long)(fl_spec_duration_us(spec) / 1000), started);
    if (expires)
        printf(",\"expires\":\"%s\"", expires);
    if (ended)
        printf(",\"ended\":\"%s\"", ended);
    printf(",\"applied\":");
    print_lines_json(fl_fault_applied(fault));
    printf(",\"verified\":");
    cli_json_string(stdout, fl_fault_verified(fault));
    /* The packet engine's accounting (network faults), null otherwise. */
    fl_engine_counters c;
    fl_error e;
    char *engine = fl_fault_engine_stats(fault, &c, &e) == 1 ? fl_engine_counters_json(&c) : NULL;
    printf(",\"degraded\":%s,\"engine\":%s}\n", engine && c.degraded ? "true" : "false", engine ? engine : "null");
    free(engine);
}

/* A network fault that fell short (bypassed + late over 0.1% of matched, or
 * its engine died) says so, and the attack exits 4. */
static int report_engine(const fl_fault *fault, bool json, int rc) {
    fl_engine_counters c;
    fl_error e;
    if (fl_fault_engine_stats(fault, &c, &e) != 1)
        return rc;
    if (!json)
        printf("engine: %llu matched, %llu held, %llu released, %llu late, %llu bypassed, %llu dropped, "
               "peak %llu packets / %llu bytes held\n",
               (unsigned long long)c.matched, (unsigned long long)c.held, (unsigned long long)c.released,
               (unsigned long long)c.late, (unsigned long long)c.bypassed, (unsigned long long)c.dropped,
               (unsigned long long)c.peak_held_packets, (unsigned long long)c.peak_held_bytes);
    if (!c.degraded)
        return rc;
    fprintf(stderr, "faultline: %s was degraded: %s\n", fl_fault_id(fault), c.reason);
    return rc == 0 ? FL_EAPPLY : rc;
}

/* The lease: every line on stdin renews it; EOF (the controller or its ssh
 * connection is gone) or no line within lease_us ends the fault. Returns why
 * it ended early, or NULL. */
static const char *lease_wait(fl_fault *fault, int64_t lease_us, int *ended_by_itself, fl_error *err)
{
    int64_t deadline = fl_wall_us() + lease_us;
    bool open_in = true;
    while (!cli_stop_signal) {
        if ((*ended_by_itself = fl_fault_wait(fault, open_in ? 0 : 100, err)) != 0)
            return NULL;
        int64_t now = fl_wall_us();
        if (now >= deadline)
            return "lease expired";
        if (!open_in)
            continue;
        struct pollfd pf = {.fd = 0, .events = POLLIN};
        int64_t left_ms = (deadline - now) / 1000 + 1;
        int r = poll(&pf, 1, left_ms < 100 ? (int)left_ms : 100);
        if (r > 0) {
            char buf[256];
            ssize_t got = read(0, buf, sizeof(buf));
            if (got > 0 && memchr(buf, '\n', (size_t)got))
                deadline = fl_wall_us() + lease_us;
            else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
                return "lease holder gone (stdin closed)";
        } else if (r < 0 && errno != EINTR) {
            open_in = false; /* no usable stdin: the lease simply runs out */
        }
    }
    return NULL;
}

int cmd_attack(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        help();
        return argc < 2 ? cli_usage_error(USAGE, "which attack? (faultline attacks lists them)") : 0;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--inventory") == 0 || strncmp(argv[i], "--inventory=", 12) == 0)
            return cli_fleet_attack(argc, argv);
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--ssm") == 0)
            return cmd_ssm_send(argc, argv);
    fl_error err;
    const char *kind = argv[1];
    int64_t lease_us = 0;
    fl_spec *spec = fl_spec_new(kind, &err);
    if (!spec)
        return cli_fail(&err);
    const fl_attack_info *info = fl_attack_find(kind);
    bool detach = false, dry_run = false, json = false;
    int rc = 0;
    for (int i = 2; i < argc && rc == 0; i++) {
        const char *arg = argv[i];
        if (cli_is_help(arg)) {
            fl_spec_free(spec);
            char *args[] = {"attacks", (char *)kind, NULL};
            return cmd_attacks(2, args);
        }
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            rc = cli_usage_error(USAGE, "unexpected argument '%s' (parameters are --name value)", arg);
            break;
        }
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - arg - 2 : (long)strlen(arg + 2)), arg + 2);
        if (strcmp(name, "detach") == 0 || strcmp(name, "dry-run") == 0 || strcmp(name, "json") == 0) {
            if (eq) {
                rc = cli_usage_error(USAGE, "--%s takes no value", name);
                break;
            }
            *(name[0] == 'd' ? (name[1] == 'e' ? &detach : &dry_run) : &json) = true;
            continue;
        }
        if (strcmp(name, "lease") == 0) {
            const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
            fl_error e;
            if (!v || fl_parse_duration(v, "lease", &lease_us, &e) != 0 || lease_us < 100000 ||
                lease_us > 3600000000LL) {
                rc = cli_usage_error(USAGE, "--lease takes a duration from 100ms to 1h (10s)");
                break;
            }
            continue;
        }
        const fl_param_spec *ps = fl_attack_param(kind, name);
        const char *value = eq ? eq + 1 : NULL;
        if (ps && ps->type != FL_PARAM_BOOL && !value) {
            if (i + 1 >= argc) {
                rc = cli_usage_error(USAGE, "--%s needs a value (%s)", name, fl_param_type_name(ps->type));
                break;
            }
            value = argv[++i];
        }
        if (fl_spec_set(spec, name, value, &err) != 0)
            rc = cli_fail(&err);
    }
    if (rc == 0 && detach && dry_run)
        rc = cli_usage_error(USAGE, "--detach and --dry-run are exclusive");
    if (rc == 0 && lease_us && (detach || info->instant))
        rc = cli_usage_error(USAGE, "--lease holds an attached fault: not with --detach or an instantaneous kind");
    if (rc == 0 && detach && info->instant)
        rc = cli_usage_error(USAGE, "--detach: %s is instantaneous; there is nothing to hold", kind);
    if (rc == 0 && fl_spec_validate(spec, &err) != 0)
        rc = cli_fail(&err);
    if (rc != 0) {
        fl_spec_free(spec);
        return rc;
    }

    if (dry_run) {
        plan_out p = {.json = json};
        if (json)
            printf("{\"dry_run\":true,\"kind\":\"%s\",\"operations\":[", kind);
        else
            printf("dry run of %s: nothing is applied\n", kind);
        rc = fl_spec_plan(spec, print_step, &p, &err) == 0 ? 0 : cli_fail(&err);
        if (json)
            printf("]}\n");
        fl_spec_free(spec);
        return rc;
    }

    cli_catch_stop_signals();

    char started[40], expires[40], ended[40], dur[32];
    fl_fault *fault = fl_fault_start(spec, detach ? FL_START_DETACH : 0, &err);
    if (!fault) {
        rc = cli_fail(&err);
        fl_spec_free(spec);
        return rc;
    }
    fl_format_time(fl_fault_active_us(fault), started, sizeof(started));
    fl_format_time(fl_fault_expires_us(fault), expires, sizeof(expires));
    fl_format_duration(fl_spec_duration_us(spec), dur, sizeof(dur));
    if (!json) {
        if (info->instant)
            printf("%s done\n", fl_fault_id(fault));
        else
            printf("%s applied (supervisor pid %d), expires in %s at %s\n", fl_fault_id(fault),
                   (int)fl_fault_supervisor_pid(fault), dur, expires);
        const char *a = fl_fault_applied(fault);
        for (const char *p = a; *p;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            printf("  %.*s\n", (int)len, p);
            p += len + (nl ? 1 : 0);
        }
        printf("verified: %s\n", fl_fault_verified(fault));
        if (detach)
            printf("detached; stop it with: faultline stop %s\n", fl_fault_id(fault));
        else if (!info->instant)
            printf("holding for %s; Ctrl-C rolls back now\n", dur);
        fflush(stdout);
    }
    if (detach || info->instant) {
        if (json)
            print_json_result(fault, spec, info->instant ? "done" : "active", started, info->instant ? NULL : expires,
                              NULL, detach);
        fl_fault_free(fault);
        fl_spec_free(spec);
        return 0;
    }

    int ended_by_itself = 0;
    const char *lease_end = NULL;
    if (lease_us) {
        if (json) { /* the controller learns the id and results now, not at the end */
            print_json_result(fault, spec, "active", started, expires, NULL, false);
            fflush(stdout);
        }
        lease_end = lease_wait(fault, lease_us, &ended_by_itself, &err);
    } else {
        while (!cli_stop_signal && (ended_by_itself = fl_fault_wait(fault, 1000, &err)) == 0) {
        }
    }
    if (ended_by_itself < 0)
        rc = cli_fail(&err);
    else if (!ended_by_itself)
        rc = fl_fault_stop(fault, &err) == 0 ? FL_EABORTED : cli_fail(&err);
    fl_format_time(fl_wall_us(), ended, sizeof(ended));
    if (rc == 0 || rc == FL_EABORTED)
        rc = report_engine(fault, json, rc);
    if (json) {
        print_json_result(fault, spec, rc == 0 || rc == FL_EABORTED || rc == FL_EAPPLY ? "rolled_back" : "rollback_failed",
                          started, expires, ended, false);
    } else if (rc == 0 || rc == FL_EABORTED) {
        printf("%s rolled back after %.1fs (%s)\n", fl_fault_id(fault),
               (double)(fl_wall_us() - fl_fault_active_us(fault)) / 1e6,
               cli_stop_signal ? strsignal(cli_stop_signal) : lease_end ? lease_end : "ended");
    }
    fl_fault_free(fault);
    fl_spec_free(spec);
    return rc;
}
