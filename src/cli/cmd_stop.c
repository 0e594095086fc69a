/* faultline stop <id>... | --all: roll faults back now. */
#include "cli.h"

/* src/cli/cmd_fleet.c: --inventory runs this command on the selected hosts. */
bool cli_fleet_wanted(int argc, char **argv);
int cli_fleet_command(int argc, char **argv);

#include <string.h>

static const char *USAGE = "faultline stop <id>... | --all | --tag T";

int cmd_stop(int argc, char **argv)
{
    if (cli_fleet_wanted(argc, argv))
        return cli_fleet_command(argc, argv);
    bool all = false;
    const char *tag = NULL;
    int ids = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: %s\n\nRolls back the given faults (ids from faultline status), or every fault with\n"
                   "--all, or every fault started with --tag T, by asking each supervisor and\n"
                   "taking over if it does not answer.\n",
                   USAGE);
            return 0;
        }
        if (strcmp(argv[i], "--all") == 0)
            all = true;
        else if (strcmp(argv[i], "--tag") == 0 && i + 1 < argc && !tag)
            tag = argv[++i];
        else if (argv[i][0] == '-')
            return cli_usage_error(USAGE, "unknown option '%s'", argv[i]);
        else
            ids++;
    }
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
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tag") == 0) {
            i++;
            continue;
        }
        if (fl_stop_id(argv[i], &err) != 0)
            rc = rc ? rc : cli_fail(&err);
        else
            printf("%s rolled back\n", argv[i]);
    }
    return rc;
}
