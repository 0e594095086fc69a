/* faultline stop <id>... | --all: roll faults back now. */
#include "cli.h"

#include <string.h>

static const char *USAGE = "faultline stop <id>... | --all | --tag T";

int cmd_stop(int argc, char **argv) {
    if (cli_fleet_wanted(argc, argv))
        return cli_fleet_command(argc, argv);
    bool all = false;
    const char *tag = NULL;
    const cli_option options[] = {
        CLI_FLAG("all", &all, "every fault in the journal"),
        CLI_STRING("tag", &tag, "T", "every fault started with --tag T"),
        CLI_STRING("inventory", NULL, "FILE", "on the hosts of an inventory, over ssh (docs/fleet.md)"),
        CLI_END,
    };
    cli_parser p = {.command = "stop",
                    .usage = USAGE,
                    .intro = "Rolls back the given faults (ids from faultline status), or every fault with\n"
                             "--all, or every fault started with --tag T, by asking each supervisor and\n"
                             "taking over if it does not answer.",
                    .tables = CLI_TABLES(options)};
    int prc = cli_parse(&p, argc, argv);
    if (prc != CLI_CONTINUE)
        return prc;
    int ids = p.n_args;
    if ((all || tag) == (ids > 0) || (all && tag))
        return cli_usage_error(USAGE, ids          ? "give ids, --all or --tag, not several"
                                      : all && tag ? "give --all or --tag, not both"
                                                   : "which fault? give ids, --all or --tag");
    fl_error err;
    int rc = 0;
    if (tag) {
        int n = fl_stop_tag(tag, &err);
        if (n < 0)
            return cli_fail(&err);
        printf("%d fault(s) tagged %s rolled back\n", n, tag);
        return 0;
    }
    if (all) {
        fl_fault_status *list;
        size_t n;
        if (fl_status_list(&list, &n, &err) != 0)
            return cli_fail(&err);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(list[i].state, "corrupt") == 0) {
                fprintf(stderr, "faultline: corrupt journal record %s: %s\n", list[i].file, list[i].problem);
                rc = FL_EAPPLY;
                continue;
            }
            if (fl_stop_id(list[i].id, &err) != 0)
                rc = cli_fail(&err);
            else
                printf("%s rolled back\n", list[i].id);
        }
        fl_status_free(list, n);
        if (n == 0)
            printf("no active faults\n");
        return rc;
    }
    for (int i = 0; i < ids; i++) {
        if (fl_stop_id(p.args[i], &err) != 0)
            rc = rc ? rc : cli_fail(&err);
        else
            printf("%s rolled back\n", p.args[i]);
    }
    return rc;
}
