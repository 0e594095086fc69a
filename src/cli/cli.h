/* Shared helpers for the CLI commands (one file per command). */
#ifndef FL_CLI_H
#define FL_CLI_H

#include "faultline.h"
#include "options.h"

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    bool recovers_first;               /* roll back orphaned faults first */
} cli_command;

/* The commands: each in its own cmd_*.c file. */
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
/* faultline ssm send, also reached as faultline attack <kind> ... --ssm. */
int cmd_ssm_send(int argc, char **argv);

/* cmd_fleet.c: --inventory FILE runs attack, status, stop and recover on the
 * selected hosts of an inventory, over ssh. */
bool cli_fleet_wanted(int argc, char **argv);
int cli_fleet_attack(int argc, char **argv);
int cli_fleet_command(int argc, char **argv);

/* cmd_attacks.c: a kind's help (summary, details, parameters, usage). */
void cli_print_attack_kind(const fl_attack_info *a, FILE *out);

/* attack_options.c: the parameters of an attack kind as parser options, one
 * CLI_OPT_CALLBACK each (the kind's own, then duration, tag and cgroup when
 * the kind takes them), calling `call`; opt->dest is the fl_param_spec. `arg`
 * is the type ("duration", "tcp|udp|icmp|all"); the help adds the default,
 * range, and whether it is required or repeatable. CLI_ATTACK_NO_TAG leaves
 * the fault tag out (ssm send tags its faults itself, and its --tag chooses
 * instances). Free with cli_attack_options_free(). */
#define CLI_ATTACK_NO_TAG 0x1u
cli_option *cli_attack_options(const fl_attack_info *info, cli_option_cb call, unsigned flags);
void cli_attack_options_free(cli_option *table);

/* Prints "faultline: <message>" on stderr and returns err->code. */
int cli_fail(const fl_error *err);
/* A library error about one of p's options, printed the way the user wrote
 * it: "faultline: --delay: ..." for the library's "delay: ...". An error
 * about anything else is printed as it is. Returns err->code. */
int cli_fail_option(const cli_parser *p, const fl_error *err);
/* The same with the usage line: returns 2. */
int cli_usage_fail_option(const cli_parser *p, const fl_error *err);
/* err's message in CLI syntax: "--<option>: detail" when err->field is one of
 * p's options (or `as`, when not NULL: the option the user typed). */
const char *cli_option_message(const cli_parser *p, const fl_error *err, const char *as, char *buf, size_t len);
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
/* Prints a JSON document (jansson, compact) and a newline on stdout, and
 * releases it. Every --json output is built with jansson and printed here. */
void cli_print_json(json_t *doc);

#endif
