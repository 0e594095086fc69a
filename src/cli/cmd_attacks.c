/* faultline attacks [<kind>] [--json]: the catalog, with every parameter. */
#include "cli.h"
#include "core/internal.h"

#include <string.h>

static const char *USAGE = "faultline attacks [<kind>] [--json]";

static json_t *param_json(const fl_param_spec *p) {
    json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "name", p->name, "type", fl_param_type_name(p->type), "required",
                          (p->flags & FL_PARAM_REQUIRED) != 0, "repeatable", (p->flags & FL_PARAM_REPEATABLE) != 0);
    const char *keys[] = {"default", "min", "max", "choices"};
    const char *vals[] = {p->def, p->min, p->max, p->choices};
    for (int i = 0; i < 4; i++)
        if (vals[i])
            json_object_set_new(o, keys[i], fl_json_text(vals[i]));
    json_object_set_new(o, "help", fl_json_text(p->help));
    return o;
}

static json_t *kind_json(const fl_attack_info *a) {
    json_t *params = json_array();
    for (size_t i = 0; i < a->n_params; i++)
        json_array_append_new(params, param_json(&a->params[i]));
    if (!a->instant) {
        json_array_append_new(params, param_json(fl_common_param("duration")));
        json_array_append_new(params, param_json(fl_common_param("tag")));
    }
    if (a->uses_cgroup)
        json_array_append_new(params, param_json(fl_common_param("cgroup")));
    return json_pack("{s:s, s:o, s:o, s:b, s:o, s:o}", "name", a->name, "summary", fl_json_text(a->summary), "details",
                     fl_json_text(a->details), "instant", a->instant, "requires", fl_json_text(a->requires), "params",
                     params);
}

static int no_call(const cli_option *opt, const char *value, void *ctx) {
    (void)opt, (void)value, (void)ctx;
    return 0;
}

void cli_print_attack_kind(const fl_attack_info *a, FILE *out) {
    fprintf(out, "%s: %s\n\n", a->name, a->summary);
    cli_print_wrapped(out, a->details, 0, 80);
    fprintf(out, "\nparameters:\n");
    cli_option *params = cli_attack_options(a, no_call, 0);
    cli_print_options(out, params);
    cli_attack_options_free(params);
    fprintf(out, "\nthe host needs: %s\n", a->requires);
    fprintf(out, "usage: faultline attack %s [parameters]%s [--detach] [--dry-run] [--json]\n", a->name,
            a->instant ? "" : " --duration D");
}

static int show_kind(const char *kind, bool json) {
    const fl_attack_info *a = fl_attack_find(kind);
    if (!a) {
        fl_error err;
        fl_spec_new(kind, &err);
        return cli_fail(&err);
    }
    if (json) {
        cli_print_json(kind_json(a));
    } else {
        cli_print_attack_kind(a, stdout);
    }
    return 0;
}

static void show_catalog(bool json) {
    json_t *attacks = json ? json_array() : NULL;
    for (size_t i = 0; i < fl_attack_count(); i++) {
        const fl_attack_info *a = fl_attack_at(i);
        if (json)
            json_array_append_new(attacks, kind_json(a));
        else
            printf("  %-14s %s\n", a->name, a->summary);
    }
    if (json)
        cli_print_json(json_pack("{s:o}", "attacks", attacks));
    else
        printf("\nfaultline attacks <kind> shows a kind's parameters.\n");
}

int cmd_attacks(int argc, char **argv) {
    bool json = false;
    const cli_option options[] = {
        CLI_FLAG("json", &json, "the catalog (or the kind) as one JSON document"),
        CLI_END,
    };
    cli_parser p = {
        .command = "attacks",
        .usage = USAGE,
        .intro = "Without a kind, lists every attack; with one, its parameters: type, default,\n"
                 "range. Units: durations 500us 40ms 2s 1m 1h; sizes 512K 64M 2G; percentages 80%.",
        .tables = CLI_TABLES(options),
    };
    int rc = cli_parse(&p, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if (p.n_args > 1)
        return cli_usage_error(USAGE, "one kind at a time");
    if (p.n_args == 1)
        return show_kind(p.args[0], json);
    show_catalog(json);
    return 0;
}
