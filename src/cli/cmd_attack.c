/* faultline attack <kind> [params] --duration D [--detach] [--dry-run] [--json] */
#include "cli.h"
#include "core/internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *USAGE = "faultline attack <kind> [--param value]... --duration D [--detach] [--dry-run] [--json]\n"
                           "       [--lease D] [--inventory FILE --select FILTER [--mode M] ...]";

/* --lease: from 100 ms (a controller's heartbeat can keep up) to 1 h. */
#define LEASE_MIN_US (100 * 1000LL)
#define LEASE_MAX_US (3600 * 1000000LL)
#define WAIT_SLICE_MS 1000 /* how often an attached fault looks at the stop signals */

typedef struct attack_run {
    const char *kind;
    const fl_attack_info *info;
    fl_spec *spec;
    const cli_parser *parser;
    bool detach, dry_run, json;
    int64_t lease_us;
} attack_run;

static const char *INTRO = "Applies a fault on this host and holds it for --duration (at most 12h), in the\n"
                           "foreground; Ctrl-C or SIGTERM rolls it back at once (exit 3).";
static const char *OUTRO = "Kinds and their parameters: faultline attacks [<kind>]\n"
                           "example: faultline attack cpu --load 80% --workers 2 --duration 30s";

static int set_param(const cli_option *opt, const char *value, void *ctx) {
    attack_run *a = ctx;
    fl_error err;
    return fl_spec_set(a->spec, opt->name, value, &err) == 0 ? 0 : cli_fail_option(a->parser, &err);
}

static int set_lease(const cli_option *opt, const char *value, void *ctx) {
    (void)opt;
    attack_run *a = ctx;
    fl_error err;
    if (fl_parse_duration(value, "lease", &a->lease_us, &err) != 0 || a->lease_us < LEASE_MIN_US ||
        a->lease_us > LEASE_MAX_US)
        return cli_usage_error(USAGE, "--lease takes a duration from 100ms to 1h (10s)");
    return 0;
}

static int no_call(const cli_option *opt, const char *value, void *ctx) {
    (void)opt, (void)value, (void)ctx;
    return 0;
}

/* The options of every attack besides its parameters: one list for parsing
 * and for --help. */
#define ATTACK_OPTIONS(a)                                                                                              \
    {                                                                                                                  \
        CLI_FLAG("detach", &(a)->detach, "leave a supervisor holding it; print the id and return"),                    \
            CLI_FLAG("dry-run", &(a)->dry_run, "print every operation and its undo; apply nothing"),                   \
            CLI_FLAG("json", &(a)->json, "one JSON document on stdout"),                                               \
            CLI_CALLBACK("lease", "D",                                                                                 \
                         "dead-man's switch: roll back unless a line arrives on stdin\n"                               \
                         "at least every D, and at once on EOF (with --json: a first\n"                                \
                         "JSON line when applied, a second when rolled back)",                                         \
                         0, set_lease),                                                                                \
            CLI_END,                                                                                                   \
    }

/* Listed in the help without a kind: the kind's parameters hold --duration;
 * --inventory and --ssm hand the whole command to cmd_fleet.c and
 * cmd_ssm_send.c before anything is parsed. */
static const cli_option held_option[] = {
    CLI_CALLBACK("duration", "D", "how long to hold it: 500ms, 30s, 5m, 1h (required)", 0, no_call),
    CLI_END,
};
static const cli_option elsewhere_options[] = {
    CLI_CALLBACK("inventory", "F", "run it on the hosts of an inventory over ssh (docs/fleet.md)", 0, no_call),
    CLI_CALLBACK("ssm", NULL,
                 "run it on instances through AWS Systems Manager: --tag K=V,\n"
                 "--region ... (faultline ssm send --help, docs/ssm.md)",
                 CLI_OPTIONAL_VALUE, no_call),
    CLI_END,
};

static void kind_help(const cli_parser *p) {
    const attack_run *a = p->ctx;
    cli_print_attack_kind(a->info, stdout);
}

typedef struct plan_out {
    json_t *operations; /* --json: [{do, undo}...]; NULL: printed as text */
    int n;
} plan_out;

static void print_step(void *user, const char *op, const char *inverse) {
    plan_out *p = user;
    if (p->operations) {
        json_array_append_new(p->operations, json_pack("{s:o, s:o}", "do", fl_json_text(op), "undo",
                                                       inverse ? fl_json_text(inverse) : json_null()));
    } else {
        printf("  %d. %s\n", p->n + 1, op);
        if (inverse)
            printf("     undo: %s\n", inverse);
    }
    p->n++;
}

/* The lines of text as a JSON array of strings. */
static json_t *lines_json(const char *text) {
    json_t *lines = json_array();
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = fl_xstrndup(p, len);
        json_array_append_new(lines, fl_json_text(line));
        free(line);
        p += len + (nl ? 1 : 0);
    }
    return lines;
}

static void print_json_result(const fl_fault *fault, fl_spec *spec, const char *state, const char *started,
                              const char *expires, const char *ended, bool detached) {
    json_t *doc = json_pack("{s:o, s:o, s:s, s:b, s:i, s:I, s:s}", "id", fl_json_text(fl_fault_id(fault)), "kind",
                            fl_json_text(fl_spec_kind(spec)), "state", state, "detached", detached, "supervisor_pid",
                            (int)fl_fault_supervisor_pid(fault), "duration_ms",
                            (json_int_t)(fl_spec_duration_us(spec) / 1000), "started", started);
    if (expires)
        json_object_set_new(doc, "expires", json_string(expires));
    if (ended)
        json_object_set_new(doc, "ended", json_string(ended));
    json_object_set_new(doc, "applied", lines_json(fl_fault_applied(fault)));
    json_object_set_new(doc, "verified", fl_json_text(fl_fault_verified(fault)));
    /* The packet engine's accounting (network faults), null otherwise. */
    fl_engine_counters c;
    fl_error e;
    char *engine = fl_fault_engine_stats(fault, &c, &e) == 1 ? fl_engine_counters_json(&c) : NULL;
    json_t *counters = engine ? json_loads(engine, 0, NULL) : NULL;
    json_object_set_new(doc, "degraded", json_boolean(counters && c.degraded));
    json_object_set_new(doc, "engine", counters ? counters : json_null());
    free(engine);
    cli_print_json(doc);
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
 * it ended early, or NULL. The lease runs on the boot clock: a wall clock
 * step (NTP, an operator) neither ends it early nor keeps a cut-off host's
 * fault past it. */
static const char *lease_wait(fl_fault *fault, int64_t lease_us, int *ended_by_itself, fl_error *err) {
    int64_t deadline = fl_boot_us() + lease_us;
    bool open_in = true;
    while (!cli_stop_signal) {
        if ((*ended_by_itself = fl_fault_wait(fault, open_in ? 0 : 100, err)) != 0)
            return NULL;
        int64_t now = fl_boot_us();
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
                deadline = fl_boot_us() + lease_us;
            else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
                return "lease holder gone (stdin closed)";
        } else if (r < 0 && errno != EINTR) {
            open_in = false; /* no usable stdin: the lease simply runs out */
        }
    }
    return NULL;
}

static int dry_run(attack_run *a) {
    fl_error err;
    plan_out p = {.operations = a->json ? json_array() : NULL};
    if (!a->json)
        printf("dry run of %s: nothing is applied\n", a->kind);
    int rc = fl_spec_plan(a->spec, print_step, &p, &err) == 0 ? 0 : cli_fail_option(a->parser, &err);
    if (a->json) /* the operations described before a failure, if one stopped the plan */
        cli_print_json(
            json_pack("{s:b, s:o, s:o}", "dry_run", 1, "kind", fl_json_text(a->kind), "operations", p.operations));
    return rc;
}

static void print_applied(const attack_run *a, fl_fault *fault, const char *expires, const char *dur) {
    if (a->info->instant)
        printf("%s done\n", fl_fault_id(fault));
    else
        printf("%s applied (supervisor pid %d), expires in %s at %s\n", fl_fault_id(fault),
               (int)fl_fault_supervisor_pid(fault), dur, expires);
    for (const char *p = fl_fault_applied(fault); *p;) {
        size_t len = strcspn(p, "\n");
        printf("  %.*s\n", (int)len, p);
        p += len + (p[len] ? 1 : 0);
    }
    printf("verified: %s\n", fl_fault_verified(fault));
    if (a->detach)
        printf("detached; stop it with: faultline stop %s\n", fl_fault_id(fault));
    else if (!a->info->instant)
        printf("holding for %s; Ctrl-C rolls back now\n", dur);
    fflush(stdout);
}

/* Holds an attached fault until it expires, a stop signal arrives or the
 * lease ends; then rolls it back and says so. */
static int hold(const attack_run *a, fl_fault *fault, const char *started, const char *expires) {
    fl_error err;
    int rc = 0, ended_by_itself = 0;
    const char *lease_end = NULL;
    if (a->lease_us) {
        if (a->json) { /* the controller learns the id and results now, not at the end */
            print_json_result(fault, a->spec, "active", started, expires, NULL, false);
            fflush(stdout);
        }
        lease_end = lease_wait(fault, a->lease_us, &ended_by_itself, &err);
    } else {
        while (!cli_stop_signal && (ended_by_itself = fl_fault_wait(fault, WAIT_SLICE_MS, &err)) == 0) {
        }
    }
    if (ended_by_itself < 0)
        rc = cli_fail(&err);
    else if (!ended_by_itself)
        rc = fl_fault_stop(fault, &err) == 0 ? FL_EABORTED : cli_fail(&err);
    char ended[40];
    fl_format_time(fl_wall_us(), ended, sizeof(ended));
    bool rolled_back = rc == 0 || rc == FL_EABORTED;
    if (rolled_back)
        rc = report_engine(fault, a->json, rc);
    if (a->json) {
        print_json_result(fault, a->spec, rolled_back ? "rolled_back" : "rollback_failed", started, expires, ended,
                          false);
    } else if (rolled_back) {
        printf("%s rolled back after %.1fs (%s)\n", fl_fault_id(fault),
               (double)(fl_wall_us() - fl_fault_active_us(fault)) / 1e6,
               cli_stop_signal ? strsignal(cli_stop_signal)
               : lease_end     ? lease_end
                               : "ended");
    }
    return rc;
}

static int start(attack_run *a) {
    cli_catch_stop_signals();
    fl_error err;
    fl_fault *fault = fl_fault_start(a->spec, a->detach ? FL_START_DETACH : 0, &err);
    if (!fault)
        return cli_fail_option(a->parser, &err);
    char started[40], expires[40], dur[32];
    fl_format_time(fl_fault_active_us(fault), started, sizeof(started));
    fl_format_time(fl_fault_expires_us(fault), expires, sizeof(expires));
    fl_format_duration(fl_spec_duration_us(a->spec), dur, sizeof(dur));
    if (!a->json)
        print_applied(a, fault, expires, dur);
    int rc = 0;
    if (a->detach || a->info->instant) {
        if (a->json)
            print_json_result(fault, a->spec, a->info->instant ? "done" : "active", started,
                              a->info->instant ? NULL : expires, NULL, a->detach);
    } else {
        rc = hold(a, fault, started, expires);
    }
    fl_fault_free(fault);
    return rc;
}

/* What the flags say together; CLI_CONTINUE when they fit. */
static int check_flags(const attack_run *a) {
    if (a->detach && a->dry_run)
        return cli_usage_error(USAGE, "--detach and --dry-run are exclusive");
    if (a->lease_us && (a->detach || a->info->instant))
        return cli_usage_error(USAGE, "--lease holds an attached fault: not with --detach or an instantaneous kind");
    if (a->detach && a->info->instant)
        return cli_usage_error(USAGE, "--detach: %s is instantaneous; there is nothing to hold", a->kind);
    return CLI_CONTINUE;
}

static int parse_and_run(attack_run *a, const cli_option *params, int argc, char **argv) {
    const cli_option options[] = ATTACK_OPTIONS(a);
    char hint[160];
    snprintf(hint, sizeof(hint), "faultline attacks %s lists its parameters", a->kind);
    cli_parser p = {.command = "attack",
                    .usage = USAGE,
                    .tables = CLI_TABLES(params, options),
                    .ctx = a,
                    .unknown_hint = hint,
                    .help = kind_help};
    a->parser = &p;
    int rc = cli_parse(&p, argc, argv);
    if (rc == CLI_CONTINUE && p.n_args > 0)
        rc = cli_usage_error(USAGE, "unexpected argument '%s' (parameters are --name value)", p.args[0]);
    if (rc == CLI_CONTINUE)
        rc = check_flags(a);
    fl_error err;
    if (rc == CLI_CONTINUE && fl_spec_validate(a->spec, &err) != 0)
        rc = cli_fail_option(&p, &err);
    if (rc == CLI_CONTINUE)
        rc = a->dry_run ? dry_run(a) : start(a);
    a->parser = NULL;
    return rc;
}

static int attack_help(bool wanted) {
    attack_run none = {0};
    const cli_option options[] = ATTACK_OPTIONS(&none);
    cli_parser p = {.command = "attack",
                    .usage = USAGE,
                    .intro = INTRO,
                    .outro = OUTRO,
                    .tables = CLI_TABLES(held_option, options, elsewhere_options)};
    cli_print_help(&p, stdout);
    return wanted ? 0 : cli_usage_error(USAGE, "which attack? (faultline attacks lists them)");
}

int cmd_attack(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1]))
        return attack_help(argc >= 2);
    if (cli_has_option(argc, argv, 2, "inventory"))
        return cli_fleet_attack(argc, argv);
    if (cli_has_option(argc, argv, 2, "ssm"))
        return cmd_ssm_send(argc, argv);
    attack_run a = {.kind = argv[1], .info = fl_attack_find(argv[1])};
    fl_error err;
    if (!(a.spec = fl_spec_new(a.kind, &err)))
        return cli_fail(&err);
    cli_option *params = cli_attack_options(a.info, set_param, 0);
    int rc = parse_and_run(&a, params, argc - 1, argv + 1);
    cli_attack_options_free(params);
    fl_spec_free(a.spec);
    return rc == CLI_CONTINUE ? 0 : rc;
}
