/* The option parser and the help generator (options.h). */
#include "options.h"

#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* --help layout: options from column 2, help from HELP_COLUMN at most (an
 * option longer than that puts its help on the next line), wrapped at
 * HELP_WIDTH. */
#define HELP_COLUMN 24
#define HELP_WIDTH 80

int cli_parser_error(const cli_parser *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "faultline: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", p->usage);
    return FL_EINVAL;
}

/* Calls fn for every option of every table, with its index over all tables;
 * stops at the first non-zero return and returns it. */
typedef int (*option_visit)(const cli_option *opt, int index, void *user);

static int each_option(const cli_parser *p, option_visit fn, void *user) {
    int index = 0;
    for (const cli_option *const *t = p->tables; t && *t; t++)
        for (const cli_option *o = *t; o->kind != CLI_OPT_END; o++) {
            if (o->kind == CLI_OPT_GROUP)
                continue;
            int rc = fn(o, index++, user);
            if (rc)
                return rc;
        }
    return 0;
}

typedef struct option_lookup {
    const char *name;
    size_t len;
    const cli_option *found;
    int index;
} option_lookup;

static int match_name(const cli_option *opt, int index, void *user) {
    option_lookup *l = user;
    if (strlen(opt->name) != l->len || strncmp(opt->name, l->name, l->len) != 0)
        return 0;
    l->found = opt;
    l->index = index;
    return 1;
}

static const cli_option *lookup(const cli_parser *p, const char *name, size_t len, int *index) {
    option_lookup l = {name, len, NULL, -1};
    each_option(p, match_name, &l);
    *index = l.index;
    return l.found;
}

const cli_option *cli_find_option(const cli_parser *p, const char *name) {
    int index;
    return lookup(p, name, strlen(name), &index);
}

bool cli_has_option(int argc, char **argv, int from, const char *name) {
    size_t len = strlen(name);
    for (int i = from; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, len) == 0 &&
            (argv[i][2 + len] == '\0' || argv[i][2 + len] == '='))
            return true;
    return false;
}

/* Stores or hands over one option's value (NULL for a flag). */
static int apply(const cli_parser *p, const cli_option *opt, const char *value) {
    if (!opt->dest && opt->kind != CLI_OPT_CALLBACK)
        return 0; /* listed for --help; handled before parsing (--inventory) */
    switch (opt->kind) {
    case CLI_OPT_FLAG: *(bool *)opt->dest = true; return 0;
    case CLI_OPT_STRING: *(const char **)opt->dest = value; return 0;
    case CLI_OPT_CALLBACK: return opt->call(opt, value, p->ctx);
    default: return 0;
    }
}

static bool takes_value(const cli_option *opt) {
    return opt->kind == CLI_OPT_STRING || (opt->kind == CLI_OPT_CALLBACK && !(opt->flags & CLI_OPTIONAL_VALUE));
}

static int unknown_option(const cli_parser *p, const char *name, size_t len) {
    if (p->unknown_hint)
        return cli_parser_error(p, "unknown option --%.*s (%s)", (int)len, name, p->unknown_hint);
    return cli_parser_error(p, "unknown option --%.*s (faultline %s --help lists them)", (int)len, name, p->command);
}

/* One option at argv[*i] ("--name", "--name=value" or "-x"); consumes the
 * next word as its value when it needs one. */
static int take_option(const cli_parser *p, int argc, char **argv, int *i, unsigned char *seen) {
    const char *arg = argv[*i];
    if (arg[1] != '-')
        return cli_parser_error(p, "unknown option '%s' (faultline %s --help lists them)", arg, p->command);
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int index;
    const cli_option *opt = lookup(p, name, len, &index);
    if (!opt)
        return unknown_option(p, name, len);
    if (seen[index]++ && !(opt->flags & CLI_REPEATABLE))
        return cli_parser_error(p, "--%s is given twice (it takes one value)", opt->name);
    const char *value = eq ? eq + 1 : NULL;
    if (value && opt->kind == CLI_OPT_FLAG)
        return cli_parser_error(p, "--%s takes no value", opt->name);
    if (!value && takes_value(opt)) {
        if (*i + 1 >= argc)
            return opt->arg ? cli_parser_error(p, "--%s needs a value (%s)", opt->name, opt->arg)
                            : cli_parser_error(p, "--%s needs a value", opt->name);
        value = argv[++*i];
    }
    if (value && !*value && (opt->flags & CLI_NONEMPTY))
        return cli_parser_error(p, "--%s needs a value", opt->name);
    int rc = apply(p, opt, value);
    return rc ? rc : CLI_CONTINUE;
}

static bool is_option(const char *arg) { return arg[0] == '-' && arg[1] != '\0'; }

static int count_option(const cli_option *opt, int index, void *user) {
    (void)opt;
    *(int *)user = index + 1;
    return 0;
}

int cli_parse(cli_parser *p, int argc, char **argv) {
    unsigned char seen[CLI_MAX_OPTIONS] = {0};
    int n_options = 0;
    each_option(p, count_option, &n_options);
    if (n_options > CLI_MAX_OPTIONS) /* a table too big for seen[]: a bug, caught by any test */
        abort();
    int n = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (options_done || !is_option(arg)) {
            argv[1 + n++] = arg; /* 1 + n <= i: nothing unread is overwritten */
            options_done = options_done || (p->flags & CLI_STOP_AT_ARG);
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (cli_is_help(arg)) {
            if (p->help)
                p->help(p);
            else
                cli_print_help(p, stdout);
            return 0;
        }
        int rc = take_option(p, argc, argv, &i, seen);
        if (rc != CLI_CONTINUE)
            return rc;
    }
    p->args = argv + 1;
    p->n_args = n;
    return CLI_CONTINUE;
}

/* ---- help ---- */

/* Prints text wrapped at `width` columns, each line indented by `indent`;
 * with `continued`, the first line goes on where the cursor already is (after
 * an option's label, at column `indent`). */
static void wrap(FILE *out, const char *text, int indent, int width, bool continued) {
    int room = width - indent > 20 ? width - indent : 20;
    const char *line = text;
    bool first = true;
    do {
        size_t len = strcspn(line, "\n");
        for (;;) {
            size_t cut = len;
            if ((int)len > room) { /* break at the last space that fits */
                cut = (size_t)room;
                while (cut > 0 && line[cut] != ' ')
                    cut--;
                if (cut == 0)
                    cut = len; /* one long word: print it whole */
            }
            fprintf(out, "%*s%.*s\n", first && continued ? 0 : indent, "", (int)cut, line);
            first = false;
            if (cut == len)
                break;
            line += cut + 1;
            len -= cut + 1;
        }
        line += len;
        if (*line == '\n')
            line++;
    } while (*line);
}

void cli_print_wrapped(FILE *out, const char *text, int indent, int width) { wrap(out, text, indent, width, false); }

static int option_label(const cli_option *opt, char *buf, size_t len) {
    if (takes_value(opt) && opt->arg)
        return snprintf(buf, len, "--%s %s", opt->name, opt->arg);
    if (opt->kind == CLI_OPT_CALLBACK && (opt->flags & CLI_OPTIONAL_VALUE) && opt->arg)
        return snprintf(buf, len, "--%s[=%s]", opt->name, opt->arg);
    return snprintf(buf, len, "--%s", opt->name);
}

/* The help column for a table: wide enough for its longest label, at most
 * HELP_COLUMN; at least `column`. */
static int help_column(const cli_option *table, int column) {
    for (const cli_option *o = table; o->kind != CLI_OPT_END; o++) {
        char label[96];
        int w = o->kind == CLI_OPT_GROUP || (o->flags & CLI_HIDDEN) ? 0 : option_label(o, label, sizeof(label));
        if (w + 4 > column && w + 4 <= HELP_COLUMN)
            column = w + 4;
    }
    return column;
}

static void print_table(FILE *out, const cli_option *table, int column) {
    for (const cli_option *o = table; o->kind != CLI_OPT_END; o++) {
        if (o->kind == CLI_OPT_GROUP) {
            fprintf(out, "\n%s\n", o->help);
            continue;
        }
        if (o->flags & CLI_HIDDEN)
            continue;
        char label[96];
        int w = option_label(o, label, sizeof(label));
        bool shares_line = w + 4 <= column; /* else the help starts on the next line */
        if (shares_line)
            fprintf(out, "  %-*s", column - 2, label);
        else
            fprintf(out, "  %s\n", label);
        if (o->help && *o->help)
            wrap(out, o->help, column, HELP_WIDTH, shares_line);
        else if (shares_line)
            fputc('\n', out);
    }
}

void cli_print_options(FILE *out, const cli_option *table) { print_table(out, table, help_column(table, 8)); }

void cli_print_help(const cli_parser *p, FILE *out) {
    fprintf(out, "usage: %s\n", p->usage);
    if (p->intro)
        fprintf(out, "\n%s\n", p->intro);
    int column = 8;
    bool any = false;
    for (const cli_option *const *t = p->tables; t && *t; t++) {
        column = help_column(*t, column);
        for (const cli_option *o = *t; o->kind != CLI_OPT_END; o++)
            any = any || (o->kind != CLI_OPT_GROUP && !(o->flags & CLI_HIDDEN));
    }
    if (any) {
        fputc('\n', out);
        for (const cli_option *const *t = p->tables; t && *t; t++)
            print_table(out, *t, column);
    }
    if (p->outro)
        fprintf(out, "\n%s\n", p->outro);
}
