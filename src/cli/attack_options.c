/* The parameters of an attack kind as option-parser entries, so that attack,
 * attack --inventory, ssm send and the catalog's help all read one table. */
#include "cli.h"
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

/* "default 0us; range 0us..60s; required; repeatable", or "" */
static void describe_limits(const fl_param_spec *p, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
#define ADD(...) used += (size_t)snprintf(buf + used, used < len ? len - used : 0, __VA_ARGS__)
    if (p->flags & FL_PARAM_REQUIRED)
        ADD("required");
    if (p->def)
        ADD("%sdefault %s", used ? "; " : "", p->def);
    if (p->min || p->max)
        ADD("%srange %s..%s", used ? "; " : "", p->min ? p->min : "", p->max ? p->max : "");
    if (p->flags & FL_PARAM_REPEATABLE)
        ADD("%srepeatable", used ? "; " : "");
#undef ADD
}

static cli_option param_option(const fl_param_spec *p, cli_option_cb call) {
    char limits[256];
    describe_limits(p, limits, sizeof(limits));
    char *help = fl_xasprintf("%s%s%s%s", p->help, *limits ? "\n(" : "", limits, *limits ? ")" : "");
    unsigned flags =
        (p->flags & FL_PARAM_REPEATABLE ? CLI_REPEATABLE : 0) | (p->type == FL_PARAM_BOOL ? CLI_OPTIONAL_VALUE : 0);
    const char *type = p->type == FL_PARAM_ENUM ? p->choices : fl_param_type_name(p->type);
    cli_option o = {CLI_OPT_CALLBACK, p->name, (void *)p, p->type == FL_PARAM_BOOL ? NULL : type, help, flags, call};
    return o;
}

cli_option *cli_attack_options(const fl_attack_info *info, cli_option_cb call, unsigned flags) {
    cli_option *table = fl_xcalloc(info->n_params + 4, sizeof(*table)); /* + duration, tag, cgroup, end */
    size_t n = 0;
    for (size_t i = 0; i < info->n_params; i++)
        table[n++] = param_option(&info->params[i], call);
    if (!info->instant) {
        table[n++] = param_option(fl_common_param("duration"), call);
        if (!(flags & CLI_ATTACK_NO_TAG))
            table[n++] = param_option(fl_common_param("tag"), call);
    }
    if (info->uses_cgroup)
        table[n++] = param_option(fl_common_param("cgroup"), call);
    table[n] = (cli_option)CLI_END;
    return table;
}

void cli_attack_options_free(cli_option *table) {
    for (cli_option *o = table; o && o->kind != CLI_OPT_END; o++)
        free((char *)o->help);
    free(table);
}
