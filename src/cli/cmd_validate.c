/* faultline validate <experiment.yaml>: checks a file without running it. */
#include "cli.h"

#include <string.h>

static const char *USAGE = "faultline validate <experiment.yaml>";

int cmd_validate(int argc, char **argv) {
    if (argc >= 2 && cli_is_help(argv[1])) {
        printf("usage: %s\n\n"
               "Checks an experiment file against the schema (docs/experiment.md) and against\n"
               "this host (target processes and paths exist), and applies nothing. Errors name\n"
               "the place and the field:\n\n"
               "  exp.yaml:12:9: method[0].with.delay: '2' needs a unit (us, ms, s, m, h), e.g. 2s\n\n"
               "Exit codes: 0 valid, 2 invalid. 'faultline run --dry-run' also prints the plan.\n",
               USAGE);
        return 0;
    }
    if (argc != 2)
        return cli_usage_error(USAGE, argc < 2 ? "which experiment file?" : "unexpected argument '%s'", argv[argc - 1]);
    if (strncmp(argv[1], "--", 2) == 0)
        return cli_usage_error(USAGE, "unknown option '%s'", argv[1]);
    fl_error err;
    fl_experiment *exp = fl_experiment_load(argv[1], &err);
    if (!exp || fl_experiment_check_host(exp, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        fl_experiment_free(exp);
        return FL_EINVAL;
    }
    char d[32];
    printf("%s: valid: \"%s\", %s\n", argv[1], fl_experiment_title(exp),
           fl_format_duration(fl_experiment_duration_us(exp), d, sizeof(d)));
    fl_experiment_free(exp);
    return 0;
}
