/* faultline attacks [<kind>] [--json]: the catalog, with every parameter. */
#include "cli.h"

#include <string.h>

static const char *USAGE = "faultline attacks [<kind>] [--json]";

static void param_line(const fl_param_spec *p)
{
    char type[96];
    if (p->type == FL_PARAM_ENUM)
        snprintf(type, sizeof(type), "%s", p->choices);
    else
        snprintf(type, sizeof(type), "%s", fl_param_type_name(p->type));
    printf("  --%-20s %-16s %s\n", p->name, type, p->help);
    char extra[256] = "";
    if (p->flags & FL_PARAM_REQUIRED)
        strcat(extra, "required");
    if (p->def)
        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%sdefault %s", *extra ? "; " : "", p->def);
    if (p->min || p->max)
        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%srange %s..%s", *extra ? "; " : "",
                 p->min ? p->min : "", p->max ? p->max : "");
    if (p->flags & FL_PARAM_REPEATABLE)
        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%srepeatable", *extra ? "; " : "");
    if (*extra)
        printf("  %-40s (%s)\n", "", extra);
}

static void param_json(const fl_param_spec *p, bool first)
{
    printf("%s{\"name\":\"%s\",\"type\":\"%s\",\"required\":%s,\"repeatable\":%s", first ? "" : ",", p->name,
           fl_param_type_name(p->type), p->flags & FL_PARAM_REQUIRED ? "true" : "false",
           p->flags & FL_PARAM_REPEATABLE ? "true" : "false");
    const char *keys[] = {"default", "min", "max", "choices"};
    const char *vals[] = {p->def, p->min, p->max, p->choices};
    for (int i = 0; i < 4; i++)
        if (vals[i]) {
            printf(",\"%s\":", keys[i]);
            cli_json_string(stdout, vals[i]);
        }
    printf(",\"help\":");
    cli_json_string(stdout, p->help);
    printf("}");
}

static void kind_json(const fl_attack_info *a, bool first)
{
    printf("%s{\"name\":\"%s\",\"summary\":", first ? "" : ",", a->name);
    cli_json_string(stdout, a->summary);
    printf(",\"details\":");
    cli_json_string(stdout, a->details);
    printf(",\"instant\":%s,\"requires\":", a->instant ? "true" : "false");
    cli_json_string(stdout, a->requires);
    printf(",\"params\":[");
    for (size_t i = 0; i < a->n_params; i++)
        param_json(&a->params[i], i == 0);
    if (!a->instant) {
        param_json(fl_common_param("duration"), a->n_params == 0);
        param_json(fl_common_param("tag"), false);
    }
    if (a->uses_cgroup)
        param_json(fl_common_param("cgroup"), false);
    printf("]}");
}

static void kind_text(const fl_attack_info *a)
{
    printf("%s: %s\n\n", a->name, a->summary);
    printf("%s\n\nparameters:\n", a->details);
    for (size_t i = 0; i < a->n_params; i++)
        param_line(&a->params[i]);
    if (!a->instant) {
        param_line(fl_common_param("duration"));
        param_line(fl_common_param("tag"));
    }
    if (a->uses_cgroup)
        param_line(fl_common_param("cgroup"));
    printf("\nthe host needs: %s\n", a->requires);
    printf("usage: faultline attack %s [parameters]%s [--detach] [--dry-run] [--json]\n", a->name,
           a->instant ? "" : " --duration D");
}

int cmd_attacks(int argc, char **argv)
{
    bool json = false;
    const char *kind = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: %s\n\nWithout a kind, lists every attack; with one, its parameters: type, default,\n"
                   "range. Units: durations 500us 40ms 2s 1m 1h; sizes 512K 64M 2G; percentages 80%%.\n",
                   USAGE);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(USAGE, "unknown option '%s'", argv[i]);
        else if (kind)
            return cli_usage_error(USAGE, "one kind at a time");
        else
            kind = argv[i];
    }
    if (kind) {
        const fl_attack_info *a = fl_attack_find(kind);
        if (!a) {
            fl_error err;
            fl_spec_new(kind, &err);
            return cli_fail(&err);
        }
        if (json) {
            kind_json(a, true);
            printf("\n");
        } else {
            kind_text(a);
        }
        return 0;
    }
    if (json)
        printf("{\"attacks\":[");
    for (size_t i = 0; i < fl_attack_count(); i++) {
        const fl_attack_info *a = fl_attack_at(i);
        if (json)
            kind_json(a, i == 0);
        else
            printf("  %-14s %s\n", a->name, a->summary);
    }
    if (json)
        printf("]}\n");
    else
        printf("\nfaultline attacks <kind> shows a kind's parameters.\n");
    return 0;
}
