/* Shared helpers for the CLI commands (one file per command). */
#ifndef FL_CLI_H
#define FL_CLI_H

#include "faultline.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    bool recovers_first;               /* roll back orphaned faults first */
} cli_command;

int cmd_attack(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_attacks(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ssm(int argc, char **argv);

/* Prints "faultline: <message>" on stderr and returns err->code. */
int cli_fail(const fl_error *err);
/* Prints a usage error naming the option and returns 2. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cli_is_help(const char *arg);
/* Rolls back faults left by dead owners, saying so on stderr. */
void cli_recover_orphans(void);
/* The signal (SIGINT, SIGTERM, SIGHUP) that asked us to stop, 0 if none;
 * set by the handlers cli_catch_stop_signals() installs (no SA_RESTART, so
 * blocking waits return early). */
extern volatile sig_atomic_t cli_stop_signal;
void cli_catch_stop_signals(void);
/* Prints a JSON string with escapes. */
void cli_json_string(FILE *out, const char *s);

#endif
