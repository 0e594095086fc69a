/* faultline validate [--offline] <experiment.yaml>: checks a file without
 * running it; --offline leaves out what depends on this host. */
#include "cli.h"

#include <string.h>

static const char *USAGE = "faultline validate [--offline] <experiment.yaml>";

int cmd_validate(int argc, char **argv) {
    bool offline = false;
    const cli_option options[] = {
        CLI_FLAG("offline", &offline,
                 "the file only: leave out what depends on this host (target processes,\n"
                 "paths, AWS credentials), for CI repositories of experiments whose\n"
                 "targets are not running here"),
        CLI_END,
    };
    cli_parser p = {.command = "validate",
                    .usage = USAGE,
                    .intro = "Checks an experiment file against the schema (docs/experiment.md) and against\n"
                             "this host (target processes and paths exist), and applies nothing. Errors name\n"
                             "the place and the field:\n\n"
                             "  exp.yaml:12:9: method[0].with.delay: '2' needs a unit (us, ms, s, m, h), e.g. 2s",
                    .outro = "Exit codes: 0 valid, 2 invalid. 'faultline run --dry-run' also prints the plan.",
                    .tables = CLI_TABLES(options)};
    int rc = cli_parse(&p, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if (p.n_args != 1)
        return cli_usage_error(USAGE, p.n_args == 0 ? "which experiment file?" : "unexpected argument '%s'",
                               p.args[p.n_args - 1]);
    const char *file = p.args[0];
    fl_error err;
    fl_experiment *exp = fl_experiment_load(file, &err);
    if (!exp || (!offline && fl_experiment_check_host(exp, &err) != 0)) {
        fprintf(stderr, "%s\n", err.message);
        fl_experiment_free(exp);
        return FL_EINVAL;
    }
    char d[32];
    printf("%s: valid%s: \"%s\", %s\n", file, offline ? " (the file; this host not checked)" : "",
           fl_experiment_title(exp), fl_format_duration(fl_experiment_duration_us(exp), d, sizeof(d)));
    fl_experiment_free(exp);
    return 0;
}
