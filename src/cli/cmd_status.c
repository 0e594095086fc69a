/* faultline status [--json]: the journaled faults and their state. */
#include "cli.h"
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

static const char *USAGE = "faultline status [--json]";

static bool is_corrupt(const fl_fault_status *s) { return strcmp(s->state, "corrupt") == 0; }

/* A JSON member the library gives as text (params, undo), or `empty`. */
static json_t *parsed(const char *text, json_t *empty) {
    json_t *value = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (!value)
        return empty;
    json_decref(empty);
    return value;
}

/* The packet engine's counters of a network fault as JSON, or null. */
static json_t *engine_json(const char *id) {
    fl_engine_counters c;
    fl_error err;
    char *text = fl_engine_stats_by_id(id, &c, &err) == 1 ? fl_engine_counters_json(&c) : NULL;
    json_t *value = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return value ? value : json_null();
}

static void print_json(const fl_fault_status *list, size_t n) {
    char a[40], b[40];
    json_t *faults = json_array(), *corrupt = json_array();
    for (size_t i = 0; i < n; i++) {
        const fl_fault_status *s = &list[i];
        if (is_corrupt(s)) {
            json_array_append_new(
                corrupt, json_pack("{s:o, s:o}", "file", fl_json_text(s->file), "problem", fl_json_text(s->problem)));
            continue;
        }
        json_array_append_new(faults, json_pack("{s:o, s:o, s:o, s:o, s:s, s:s, s:i, s:b, s:i, s:b, s:o, s:o}", "id",
                                                fl_json_text(s->id), "kind", fl_json_text(s->kind), "state",
                                                fl_json_text(s->state), "params", parsed(s->params_json, json_object()),
                                                "started", fl_format_time(s->started_us, a, sizeof(a)), "expires",
                                                fl_format_time(s->expires_us, b, sizeof(b)), "owner_pid",
                                                (int)s->owner_pid, "owner_alive", s->owner_alive, "guardian_pid",
                                                (int)s->guardian_pid, "guardian_alive", s->guardian_alive, "tag",
                                                s->tag[0] ? fl_json_text(s->tag) : json_null(), "undo",
                                                parsed(s->undo_json, json_array())));
        json_object_set_new(json_array_get(faults, json_array_size(faults) - 1), "engine", engine_json(s->id));
    }
    cli_print_json(json_pack("{s:o, s:o}", "faults", faults, "corrupt", corrupt));
}

static void print_table(const fl_fault_status *list, size_t n) {
    char a[40], b[40];
    bool header = false;
    for (size_t i = 0; i < n; i++) {
        const fl_fault_status *s = &list[i];
        if (is_corrupt(s))
            continue;
        if (!header)
            printf("%-22s %-14s %-10s %-24s %-24s %-8s %-8s %s\n", "ID", "KIND", "STATE", "STARTED", "EXPIRES", "OWNER",
                   "GUARDIAN", "PARAMS");
        header = true;
        printf("%-22s %-14s %-10s %-24s %-24s %-8d %-8d %s\n", s->id, s->kind, s->state,
               fl_format_time(s->started_us, a, sizeof(a)), fl_format_time(s->expires_us, b, sizeof(b)),
               (int)s->owner_pid, (int)s->guardian_pid, s->params_json ? s->params_json : "");
        fl_engine_counters c;
        fl_error err;
        if (fl_engine_stats_by_id(s->id, &c, &err) == 1)
            printf("  engine: %llu matched, %llu held, %llu released, %llu late, %llu bypassed, %llu dropped, "
                   "%llu held now (%llu bytes)%s%s\n",
                   (unsigned long long)c.matched, (unsigned long long)c.held, (unsigned long long)c.released,
                   (unsigned long long)c.late, (unsigned long long)c.bypassed, (unsigned long long)c.dropped,
                   (unsigned long long)c.held_packets, (unsigned long long)c.held_bytes,
                   c.degraded ? "; DEGRADED: " : "", c.degraded ? c.reason : "");
    }
    if (!header)
        printf("no active faults (journal: %s)\n", fl_state_dir());
    for (size_t i = 0; i < n; i++)
        if (is_corrupt(&list[i]))
            printf("CORRUPT %s: %s\n", list[i].file, list[i].problem);
}

int cmd_status(int argc, char **argv) {
    if (cli_fleet_wanted(argc, argv))
        return cli_fleet_command(argc, argv);
    bool json = false;
    const cli_option options[] = {
        CLI_FLAG("json", &json, "one JSON document on stdout"),
        CLI_STRING("inventory", NULL, "FILE", "on the hosts of an inventory, over ssh (docs/fleet.md)"),
        CLI_END,
    };
    cli_parser p = {.command = "status",
                    .usage = USAGE,
                    .intro = "Lists the faults in the journal: id, kind, state (applying, active, reverting,\n"
                             "orphaned, expired, revert-failed), start, expiry, supervisor and guardian pids,\n"
                             "parameters; and every corrupt record (exit 4 when there is one).",
                    .tables = CLI_TABLES(options)};
    int rc = cli_parse(&p, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if (p.n_args > 0)
        return cli_usage_error(USAGE, "unknown option '%s'", p.args[0]);
    fl_fault_status *list;
    size_t n;
    fl_error err;
    if (fl_status_list(&list, &n, &err) != 0)
        return cli_fail(&err);
    if (json)
        print_json(list, n);
    else
        print_table(list, n);
    size_t corrupt = 0;
    for (size_t i = 0; i < n; i++)
        corrupt += is_corrupt(&list[i]);
    /* A corrupt record may stand for a fault still in place: not a clean bill. */
    if (corrupt)
        fprintf(stderr, "faultline: %zu corrupt journal record(s): see faultline recover\n", corrupt);
    fl_status_free(list, n);
    return corrupt ? FL_EAPPLY : 0;
}
