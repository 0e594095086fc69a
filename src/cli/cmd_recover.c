/* faultline recover [--all] [--json]: roll back what dead owners left. */
#include "cli.h"

/* src/cli/cmd_fleet.c: --inventory runs this command on the selected hosts. */
bool cli_fleet_wanted(int argc, char **argv);
int cli_fleet_command(int argc, char **argv);

#include <string.h>

static const char *USAGE = "faultline recover [--all] [--json]";

typedef struct recover_out {
    bool json;
    int n;
} recover_out;

static void report(void *user, const char *id, const char *kind, const char *result)
{
    recover_out *o = user;
    if (o->json) {
        printf("%s{\"id\":\"%s\",\"kind\":\"%s\",\"rolled_back\":%s,\"error\":", o->n ? "," : "", id, kind,
               result ? "false" : "true");
        if (result)
            cli_json_string(stdout, result);
        else
            printf("null");
        printf("}");
    } else if (result) {
        printf("%s (%s): rollback failed: %s\n", id, kind, result);
    } else {
        printf("%s (%s): rolled back\n", id, kind);
    }
    o->n++;
}

int cmd_recover(int argc, char **argv)
{
    if (cli_fleet_wanted(argc, argv))
        return cli_fleet_command(argc, argv);
    recover_out o = {0};
    unsigned flags = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: %s\n\nRolls back every journaled fault whose supervisor is gone (kill -9, crash,\n"
                   "reboot) or hung past its expiry; with --all, every fault. Every other faultline\n"
                   "command does the first part on its own before it starts. Safe to run any time.\n",
                   USAGE);
            return 0;
        }
        if (strcmp(argv[i], "--all") == 0)
            flags |= FL_RECOVER_ALL;
        else if (strcmp(argv[i], "--json") == 0)
            o.json = true;
        else
            return cli_usage_error(USAGE, "unknown option '%s'", argv[i]);
    }
    fl_error err;
    if (o.json)
        printf("{\"recovered\":[");
    int n = fl_recover(flags, report, &o, &err);
    if (o.json)
        printf("]}\n");
    else if (o.n == 0 && n >= 0)
        printf("nothing to recover (journal: %s)\n", fl_state_dir());
    if (n < 0)
        fprintf(stderr, "faultline: %s\n", err.message);
    return n < 0 ? FL_EAPPLY : 0;
}
