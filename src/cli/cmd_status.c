/* faultline status [--json]: the journaled faults and their state. */
#include "cli.h"

/* src/cli/cmd_fleet.c: --inventory runs this command on the selected hosts. */
bool cli_fleet_wanted(int argc, char **argv);
int cli_fleet_command(int argc, char **argv);

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
                   "orphaned, expired, revert-failed), start, expiry, supervisor and guardian pids,\n"
                   "parameters; and every corrupt record (exit 4 when there is one).\n",
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
    size_t corrupt = 0;
    if (json) {
        printf("{\"faults\":[");
        for (size_t i = 0; i < n; i++) {
            fl_fault_status *s = &list[i];
            if (strcmp(s->state, "corrupt") == 0) {
                corrupt++;
                continue;
            }
            printf("%s{\"id\":\"%s\",\"kind\":\"%s\",\"state\":\"%s\",\"params\":%s,\"started\":\"%s\","
                   "\"expires\":\"%s\",\"owner_pid\":%d,\"owner_alive\":%s,\"guardian_pid\":%d,"
                   "\"guardian_alive\":%s,\"tag\":",
                   i - corrupt ? "," : "", s->id, s->kind, s->state, s->params_json ? s->params_json : "{}",
                   fl_format_time(s->started_us, a, sizeof(a)), fl_format_time(s->expires_us, b, sizeof(b)),
                   (int)s->owner_pid, s->owner_alive ? "true" : "false", (int)s->guardian_pid,
                   s->guardian_alive ? "true" : "false");
            if (s->tag[0])
                cli_json_string(stdout, s->tag);
            else
                printf("null");
            printf(",\"undo\":%s}", s->undo_json ? s->undo_json : "[]");
        }
        printf("],\"corrupt\":[");
        for (size_t i = 0, k = 0; i < n; i++) {
            fl_fault_status *s = &list[i];
            if (strcmp(s->state, "corrupt") != 0)
                continue;
            printf("%s{\"file\":", k++ ? "," : "");
            cli_json_string(stdout, s->file);
            printf(",\"problem\":");
            cli_json_string(stdout, s->problem);
            printf("}");
        }
        printf("]}\n");
    } else if (n == 0) {
        printf("no active faults (journal: %s)\n", fl_state_dir());
    } else {
        bool header = false;
        for (size_t i = 0; i < n; i++) {
            fl_fault_status *s = &list[i];
            if (strcmp(s->state, "corrupt") == 0) {
                corrupt++;
                continue;
            }
            if (!header)
                printf("%-22s %-14s %-10s %-24s %-24s %-8s %-8s %s\n", "ID", "KIND", "STATE", "STARTED", "EXPIRES",
                       "OWNER", "GUARDIAN", "PARAMS");
            header = true;
            printf("%-22s %-14s %-10s %-24s %-24s %-8d %-8d %s\n", s->id, s->kind, s->state,
                   fl_format_time(s->started_us, a, sizeof(a)), fl_format_time(s->expires_us, b, sizeof(b)),
                   (int)s->owner_pid, (int)s->guardian_pid, s->params_json ? s->params_json : "");
        }
        if (!header)
            printf("no active faults (journal: %s)\n", fl_state_dir());
        for (size_t i = 0; i < n; i++)
            if (strcmp(list[i].state, "corrupt") == 0)
                printf("CORRUPT %s: %s\n", list[i].file, list[i].problem);
    }
    /* A corrupt record may stand for a fault still in place: not a clean bill. */
    if (corrupt)
        fprintf(stderr, "faultline: %zu corrupt journal record(s): see faultline recover\n", corrupt);
    fl_status_free(list, n);
    return corrupt ? FL_EAPPLY : 0;
}
