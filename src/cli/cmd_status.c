/* faultline status [--json]: the journaled faults and their state. */
#include "cli.h"

#include <string.h>

static const char *USAGE = "faultline status [--json]";

int cmd_status(int argc, char **argv)
{
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
                             "orphaned, expired, revert-failed), start, expiry, supervisor pid, parameters.",
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
    char a[40], b[40];
    if (json) {
        printf("{\"faults\":[");
        for (size_t i = 0; i < n; i++) {
            fl_fault_status *s = &list[i];
            printf("%s{\"id\":\"%s\",\"kind\":\"%s\",\"state\":\"%s\",\"params\":%s,\"started\":\"%s\","
                   "\"expires\":\"%s\",\"owner_pid\":%d,\"owner_alive\":%s,\"undo\":%s}",
                   i ? "," : "", s->id, s->kind, s->state, s->params_json ? s->params_json : "{}",
                   fl_format_time(s->started_us, a, sizeof(a)), fl_format_time(s->expires_us, b, sizeof(b)), (int)s->owner_pid,
                   s->owner_alive ? "true" : "false", s->undo_json ? s->undo_json : "[]");
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
        }
    }
    fl_status_free(list, n);
    return 0;
}
