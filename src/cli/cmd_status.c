/* faultline status [--json]: the journaled faults and their state. */
#include "cli.h"

/* src/cli/cmd_fleet.c: --inventory runs this command on the selected hosts. */
bool cli_fleet_wanted(int argc, char **argv);
int cli_fleet_command(int argc, char **argv);

#include <stdlib.h>
#include <string.h>

static const char *USAGE = "faultline status [--json]";

int cmd_status(int argc, char **argv)
{
    if (cli_fleet_wanted(argc, argv))
        return cli_fleet_command(argc, argv);
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: %s\n\nLists the faults in the journal: id, kind, state (applying, active, reverting,\n"
                   "orphaned, expired, revert-failed), start, expiry, supervisor pid, parameters.\n",
                   USAGE);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return cli_usage_error(USAGE, "unknown option '%s'", argv[i]);
    }
    fl_fault_status *list;
    size_t n;
    fl_error err;
    if (fl_status_list(&list, &n, &err) != 0)
        return cli_fail(&err);
    char a[40], b[40];
    if (json) {
        printf("{\"faults\":[");
        for (size_t i = 0; i < n; i++) {
            fl_fault_status *s = &list[i];
            fl_engine_counters c;
            char *engine = fl_engine_stats_by_id(s->id, &c, &err) == 1 ? fl_engine_counters_json(&c) : NULL;
            printf("%s{\"id\":\"%s\",\"kind\":\"%s\",\"state\":\"%s\",\"params\":%s,\"started\":\"%s\","
                   "\"expires\":\"%s\",\"owner_pid\":%d,\"owner_alive\":%s,\"undo\":%s,\"engine\":%s}",
                   i ? "," : "", s->id, s->kind, s->state, s->params_json ? s->params_json : "{}",
                   fl_format_time(s->started_us, a, sizeof(a)), fl_format_time(s->expires_us, b, sizeof(b)), (int)s->owner_pid,
                   s->owner_alive ? "true" : "false", s->undo_json ? s->undo_json : "[]", engine ? engine : "null");
            free(engine);
        }
        printf("]}\n");
    } else if (n == 0) {
        printf("no active faults (journal: %s)\n", fl_state_dir());
    } else {
        printf("%-22s %-14s %-10s %-24s %-24s %-8s %s\n", "ID", "KIND", "STATE", "STARTED", "EXPIRES", "OWNER",
               "PARAMS");
        for (size_t i = 0; i < n; i++) {
            fl_fault_status *s = &list[i];
            printf("%-22s %-14s %-10s %-24s %-24s %-8d %s\n", s->id, s->kind, s->state,
                   fl_format_time(s->started_us, a, sizeof(a)), fl_format_time(s->expires_us, b, sizeof(b)), (int)s->owner_pid,
                   s->params_json ? s->params_json : "");
            fl_engine_counters c;
            if (fl_engine_stats_by_id(s->id, &c, &err) == 1)
                printf("  engine: %llu matched, %llu held, %llu released, %llu late, %llu bypassed, %llu dropped, "
                       "%llu held now (%llu bytes)%s%s\n",
                       (unsigned long long)c.matched, (unsigned long long)c.held, (unsigned long long)c.released,
                       (unsigned long long)c.late, (unsigned long long)c.bypassed, (unsigned long long)c.dropped,
                       (unsigned long long)c.held_packets, (unsigned long long)c.held_bytes,
                       c.degraded ? "; DEGRADED: " : "", c.degraded ? c.reason : "");
        }
    }
    fl_status_free(list, n);
    return 0;
}
