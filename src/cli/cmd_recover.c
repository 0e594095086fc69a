/* faultline recover [--all] [--json]: roll back what dead owners left. */
#include "cli.h"
#include "core/internal.h"

#include <string.h>

static const char *USAGE = "faultline recover [--all] [--json]";

typedef struct recover_out {
    bool json;
    json_t *recovered; /* --json */
    int n;
} recover_out;

static void report(void *user, const char *id, const char *kind, const char *result) {
    recover_out *o = user;
    if (o->json) {
        json_array_append_new(o->recovered, json_pack("{s:o, s:o, s:b, s:o}", "id", fl_json_text(id), "kind",
                                                      fl_json_text(kind), "rolled_back", result == NULL, "error",
                                                      result ? fl_json_text(result) : json_null()));
    } else if (result) {
        printf("%s (%s): rollback failed: %s\n", id, kind, result);
    } else {
        printf("%s (%s): rolled back\n", id, kind);
    }
    o->n++;
}

int cmd_recover(int argc, char **argv) {
    if (cli_fleet_wanted(argc, argv))
        return cli_fleet_command(argc, argv);
    recover_out o = {0};
    bool all = false;
    const cli_option options[] = {
        CLI_FLAG("all", &all, "every fault, also those whose owner is alive"),
        CLI_FLAG("json", &o.json, "one JSON document on stdout"),
        CLI_STRING("inventory", NULL, "FILE", "on the hosts of an inventory, over ssh (docs/fleet.md)"),
        CLI_END,
    };
    cli_parser p = {.command = "recover",
                    .usage = USAGE,
                    .intro = "Rolls back every journaled fault whose supervisor is gone (kill -9, crash,\n"
                             "reboot) or hung past its expiry; with --all, every fault. Every other faultline\n"
                             "command does the first part on its own before it starts. Safe to run any time.",
                    .tables = CLI_TABLES(options)};
    int rc = cli_parse(&p, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if (p.n_args > 0)
        return cli_usage_error(USAGE, "unknown option '%s'", p.args[0]);
    unsigned flags = all ? FL_RECOVER_ALL : 0;
    fl_error err;
    if (o.json)
        o.recovered = json_array();
    int n = fl_recover(flags, report, &o, &err);
    if (o.json)
        cli_print_json(json_pack("{s:o}", "recovered", o.recovered));
    else if (o.n == 0 && n >= 0)
        printf("nothing to recover (journal: %s)\n", fl_state_dir());
    if (n < 0)
        fprintf(stderr, "faultline: %s\n", err.message);
    return n < 0 ? FL_EAPPLY : 0;
}
