/* One declarative option parser for every command, in the manner of git's
 * parse-options: a command describes its options in a table (name, kind,
 * destination, help), and the same table parses argv and prints the option
 * list of `--help`.
 *
 *     static bool json;
 *     static const char *out;
 *     static const cli_option options[] = {
 *         CLI_STRING("out", &out, "DIR", "where the files go"),
 *         CLI_FLAG("json", &json, "one JSON document on stdout"),
 *         CLI_END,
 *     };
 *     cli_parser p = {.command = "report", .usage = USAGE, .tables = CLI_TABLES(options)};
 *     int rc = cli_parse(&p, argc, argv);
 *     if (rc != CLI_CONTINUE)
 *         return rc;            // --help was printed (0) or a usage error (2)
 *     ... p.args[0 .. p.n_args) are the positional arguments ...
 *
 * Rules, the same for every command: `--name value` and `--name=value` are
 * one thing; a flag takes no value; an option given twice is refused unless
 * it is CLI_REPEATABLE; `--help` or `-h` anywhere prints the help; `--` ends
 * the options; an unknown option is a usage error naming it. */
#ifndef FL_CLI_OPTIONS_H
#define FL_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

typedef enum cli_opt_kind {
    CLI_OPT_END = 0,  /* ends a table */
    CLI_OPT_GROUP,    /* a heading in --help (help is its title) */
    CLI_OPT_FLAG,     /* bool *dest = true; takes no value */
    CLI_OPT_STRING,   /* const char **dest = the value */
    CLI_OPT_CALLBACK, /* call(opt, value, ctx) with the value */
} cli_opt_kind;

#define CLI_REPEATABLE 0x1u     /* may be given more than once */
#define CLI_NONEMPTY 0x2u       /* "--name=" (an empty value) is refused */
#define CLI_OPTIONAL_VALUE 0x4u /* callback: "--name" alone (value NULL) or "--name=value" */
#define CLI_HIDDEN 0x8u         /* accepted but not listed in --help */

typedef struct cli_option cli_option;
/* Returns 0, or an exit code (the callback printed why). */
typedef int (*cli_option_cb)(const cli_option *opt, const char *value, void *ctx);

struct cli_option {
    cli_opt_kind kind;
    const char *name; /* without the leading "--" */
    void *dest;       /* bool * (flag), const char ** (string); callbacks: their own use */
    const char *arg;  /* what the value is, for --help and messages: "D", "FILE" */
    const char *help; /* lines separated by '\n'; long lines are wrapped */
    unsigned flags;   /* CLI_REPEATABLE ... */
    cli_option_cb call;
};

#define CLI_FLAG(name, dest, help)                                                                                     \
    { CLI_OPT_FLAG, name, dest, NULL, help, 0, NULL }
#define CLI_STRING(name, dest, arg, help)                                                                              \
    { CLI_OPT_STRING, name, dest, arg, help, 0, NULL }
#define CLI_STRING_F(name, dest, arg, help, flags)                                                                     \
    { CLI_OPT_STRING, name, dest, arg, help, flags, NULL }
#define CLI_CALLBACK(name, arg, help, flags, call)                                                                     \
    { CLI_OPT_CALLBACK, name, NULL, arg, help, flags, call }
#define CLI_GROUP(title)                                                                                               \
    { CLI_OPT_GROUP, NULL, NULL, NULL, title, 0, NULL }
#define CLI_END                                                                                                        \
    { CLI_OPT_END, NULL, NULL, NULL, NULL, 0, NULL }
/* The tables a parser reads, in order: CLI_TABLES(common, fleet). */
#define CLI_TABLES(...) ((const cli_option *const[]){__VA_ARGS__, NULL})

/* Options of all tables of one parser together, at most. */
#define CLI_MAX_OPTIONS 128

#define CLI_STOP_AT_ARG 0x1u /* the first positional argument ends the options (sandbox) */

typedef struct cli_parser cli_parser;
struct cli_parser {
    const char *command;             /* "load", "ssm send": names the command in messages */
    const char *usage;               /* the usage line(s), without "usage: " */
    const char *intro;               /* --help: the text before the option list (may be NULL) */
    const char *outro;               /* --help: the text after it (may be NULL) */
    const cli_option *const *tables; /* NULL-terminated: CLI_TABLES(...) */
    void *ctx;                       /* passed to callbacks */
    unsigned flags;                  /* CLI_STOP_AT_ARG */
    /* For an unknown option: what lists the valid ones. NULL: "faultline
     * <command> --help lists them". */
    const char *unknown_hint;
    /* --help prints this instead of the generated help (may be NULL). */
    void (*help)(const cli_parser *p);
    /* Filled by cli_parse: the positional arguments, in order. */
    char **args;
    int n_args;
};

/* What cli_parse returns when the command should go on. */
#define CLI_CONTINUE (-1)

/* Parses argv[1..argc) (argv[0] is the command's name); moves the positional
 * arguments to argv[1..] and points p->args at them. Returns CLI_CONTINUE,
 * 0 after printing the help, or 2 after a usage error on stderr. */
int cli_parse(cli_parser *p, int argc, char **argv);
/* True if argv[from..argc) holds --name, --name=... (before a "--"). */
bool cli_has_option(int argc, char **argv, int from, const char *name);

/* The generated help: usage, intro, every table's options, outro. */
void cli_print_help(const cli_parser *p, FILE *out);
/* The option list of one table, aligned, long help wrapped. */
void cli_print_options(FILE *out, const cli_option *table);
/* Prints text wrapped at `width` columns, every line indented by `indent`
 * (the first line too); '\n' in text starts a new line. */
void cli_print_wrapped(FILE *out, const char *text, int indent, int width);

/* "faultline: <message>" and "usage: <p->usage>" on stderr; returns 2. */
int cli_parser_error(const cli_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The option of p named `name`, or NULL. */
const cli_option *cli_find_option(const cli_parser *p, const char *name);

#endif
