/* SSM Command documents (schemaVersion 2.2), one per attack kind.
 *
 * Every faultline parameter becomes a String document parameter whose
 * allowedPattern accepts faultline's grammar for it (or allowedValues for
 * enums and flags) and nothing a shell treats specially. SSM substitutes
 * {{ Param }} textually into the script, so the script only ever places a
 * value inside single quotes (v='{{ Param }}'), which the patterns make
 * impossible to close, and then passes "$v" as one argument. With globbing
 * off (set -f) and IFS set to ',' only to split repeatable lists, no value
 * is ever parsed by the shell. faultline validates every value again on the
 * instance and enforces the fault's lifetime itself. */
#include "core/internal.h"
#include "fleet/ssm.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NUM "[0-9]+(\\.[0-9]+)?"
#define PCT "(100(\\.0+)?|[0-9]{1,2}(\\.[0-9]+)?)"
#define SIZE NUM "([KMGTkmgt][iI]?)?[bB]?"
#define PATHITEM "(/[A-Za-z0-9_+@=:-][A-Za-z0-9._+@=:-]*)+/?|/"

/* The signal names faultline knows, upper or lower case, with or without
 * SIG, or a number 1-64. */
static const char *signal_item(void) {
    static __thread char buf[1024];
    if (buf[0])
        return buf;
    size_t o = (size_t)snprintf(buf, sizeof(buf), "(SIG|sig)?(");
    for (int s = 1; s <= 31 && o < sizeof(buf); s++) {
        const char *n = fl_signal_name(s);
        if (strncmp(n, "SIG", 3) != 0)
            continue;
        char lower[16];
        size_t i = 0;
        for (const char *c = n + 3; *c && i + 1 < sizeof(lower); c++)
            lower[i++] = (char)tolower((unsigned char)*c);
        lower[i] = '\0';
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s|%s", buf[o - 1] == '(' ? "" : "|", n + 3, lower);
    }
    if (o < sizeof(buf))
        snprintf(buf + o, sizeof(buf) - o, ")|[1-9]|[1-5][0-9]|6[0-4]");
    return buf;
}

/* One value of a parameter, without anchors. */
static const char *item_pattern(const fl_param_spec *p) {
    switch (p->type) {
    case FL_PARAM_DURATION: return "(" NUM "(us|ms|s|m|h))+";
    case FL_PARAM_SIZE: return SIZE;
    case FL_PARAM_PERCENT: return PCT "%?";
    case FL_PARAM_AMOUNT: return SIZE "|" PCT "%";
    case FL_PARAM_INT: return "[0-9]{1,10}";
    case FL_PARAM_CPULIST: return "[0-9]{1,4}(-[0-9]{1,4})?(,[0-9]{1,4}(-[0-9]{1,4})?)*";
    case FL_PARAM_PATH: return PATHITEM;
    case FL_PARAM_SIGNAL: return signal_item();
    /* Regular expressions need ( ) | * ?; they stay inside single quotes
     * with globbing off, and quotes, ; & $( ` < > \ and spaces are still
     * refused. ^ and $ only as anchors. No { }: SSM would read "{{ssm:..}}"
     * in a value as a Parameter Store reference and substitute it. */
    case FL_PARAM_REGEX: return "\\^?[A-Za-z0-9._*+?()|/:=,@-]{1,255}\\$?";
    case FL_PARAM_BOOL:
    case FL_PARAM_ENUM: return NULL;
    case FL_PARAM_STRING: break;
    }
    const char *n = p->name;
    if (!strcmp(n, "host") || !strcmp(n, "exclude-host"))
        return "[A-Za-z0-9.:_-]{1,253}(/[0-9]{1,3})?";
    if (!strcmp(n, "port") || !strcmp(n, "exclude-port"))
        return "[0-9]{1,5}(-[0-9]{1,5})?";
    if (!strcmp(n, "interface"))
        return "[A-Za-z0-9_.-]{1,15}";
    if (!strcmp(n, "netns"))
        return "[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}|" PATHITEM;
    if (!strcmp(n, "rate"))
        return NUM "[kKmMgG]?([bB][iI][tT]|[bB][pP][sS])";
    if (!strcmp(n, "domain"))
        return "[A-Za-z0-9_-][A-Za-z0-9._-]{0,252}";
    if (!strcmp(n, "name"))
        return "[A-Za-z0-9._:+@=-]{1,64}";
    return "[A-Za-z0-9._:/+@=-]{1,256}";
}

const char *fl_ssm_param_pattern(const fl_param_spec *p) {
    static __thread char buf[1024];
    const char *item = item_pattern(p);
    if (!item)
        return NULL;
    bool optional = !(p->flags & FL_PARAM_REQUIRED);
    if (p->flags & FL_PARAM_REPEATABLE)
        snprintf(buf, sizeof(buf), optional ? "^((%s)(,(%s))*)?$" : "^(%s)(,(%s))*$", item, item);
    else
        snprintf(buf, sizeof(buf), optional ? "^(%s)?$" : "^(%s)$", item);
    return buf;
}

void fl_ssm_param_name(const char *fl_name, char *out, size_t len) {
    if (strcmp(fl_name, "duration") == 0) {
        snprintf(out, len, "DurationSeconds");
        return;
    }
    size_t o = 0;
    bool up = true;
    for (const char *c = fl_name; *c && o + 1 < len; c++) {
        if (*c == '-' || *c == '_') {
            up = true;
            continue;
        }
        out[o++] = up ? (char)toupper((unsigned char)*c) : *c;
        up = false;
    }
    out[o] = '\0';
}

static json_t *choices_array(const char *choices) {
    json_t *a = json_array();
    const char *c = choices;
    while (c && *c) {
        const char *bar = strchr(c, '|');
        size_t l = bar ? (size_t)(bar - c) : strlen(c);
        json_array_append_new(a, json_stringn(c, l));
        c = bar ? bar + 1 : NULL;
    }
    return a;
}

static void add_param(json_t *params, const fl_param_spec *p) {
    char name[64];
    fl_ssm_param_name(p->name, name, sizeof(name));
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("String"));
    char desc[512];
    snprintf(desc, sizeof(desc), "%s%s (faultline --%s, %s)%s", p->flags & FL_PARAM_REQUIRED ? "(Required) " : "",
             p->help ? p->help : "", p->name, fl_param_type_name(p->type),
             p->flags & FL_PARAM_REPEATABLE ? "; several values separated by commas" : "");
    json_object_set_new(o, "description", json_string(desc));
    if (p->type == FL_PARAM_BOOL) {
        json_object_set_new(o, "allowedValues", choices_array("true|false"));
        json_object_set_new(o, "default", json_string("false"));
    } else if (p->type == FL_PARAM_ENUM) {
        json_t *vals = choices_array(p->choices);
        if (!(p->flags & FL_PARAM_REQUIRED) && !p->def)
            json_array_insert_new(vals, 0, json_string(""));
        json_object_set_new(o, "allowedValues", vals);
        if (!(p->flags & FL_PARAM_REQUIRED))
            json_object_set_new(o, "default", json_string(p->def ? p->def : ""));
    } else {
        json_object_set_new(o, "allowedPattern", json_string(fl_ssm_param_pattern(p)));
        if (!(p->flags & FL_PARAM_REQUIRED))
            json_object_set_new(o, "default", json_string(p->def ? p->def : ""));
    }
    json_object_set_new(params, name, o);
}

static void line(json_t *cmds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(json_t *cmds, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    json_array_append_new(cmds, json_string(buf));
}

static void add_arg_lines(json_t *cmds, const fl_param_spec *p) {
    char name[64];
    fl_ssm_param_name(p->name, name, sizeof(name));
    if (p->type == FL_PARAM_BOOL)
        line(cmds, "v='{{ %s }}'; if [ \"$v\" = true ]; then set -- \"$@\" --%s; fi", name, p->name);
    else if (p->flags & FL_PARAM_REPEATABLE)
        line(cmds,
             "v='{{ %s }}'; if [ -n \"$v\" ]; then IFS=,; for x in $v; do set -- \"$@\" --%s \"$x\"; done; unset IFS; "
             "fi",
             name, p->name);
    else
        line(cmds, "v='{{ %s }}'; if [ -n \"$v\" ]; then set -- \"$@\" --%s \"$v\"; fi", name, p->name);
}

json_t *fl_ssm_document(const char *kind, bool install) {
    const fl_attack_info *info = fl_attack_find(kind);
    if (!info)
        return NULL;
    json_t *doc = json_object();
    json_object_set_new(doc, "schemaVersion", json_string("2.2"));
    char desc[1024];
    snprintf(desc, sizeof(desc),
             "faultline %s: %s. Runs the installed 'faultline attack %s'; the fault is journaled, bounded "
             "by DurationSeconds and rolled back by faultline on the instance itself, also when the "
             "command is cancelled (SIGTERM) or lost.",
             info->name, info->summary, info->name);
    json_object_set_new(doc, "description", json_string(desc));
    json_t *params = json_object();
    for (size_t i = 0; i < info->n_params; i++)
        add_param(params, &info->params[i]);
    if (!info->instant) {
        json_t *d = json_object();
        json_object_set_new(d, "type", json_string("String"));
        json_object_set_new(d, "description",
                            json_string("(Required) how long faultline holds the fault, in seconds (1-" FL_STR(
                                FL_SSM_MAX_DURATION_S) ")"));
        json_object_set_new(d, "allowedPattern", json_string(FL_SSM_DURATION_PATTERN));
        json_object_set_new(params, "DurationSeconds", d);
    }
    if (!info->instant) {
        json_t *d = json_object();
        json_object_set_new(d, "type", json_string("String"));
        json_object_set_new(d, "description",
                            json_string("(Optional) tag of the fault (faultline attack --tag): faultline stop --tag T "
                                        "stops the faults of one command only"));
        json_object_set_new(d, "allowedPattern", json_string("^([A-Za-z0-9_.-]{1,64})?$"));
        json_object_set_new(d, "default", json_string(""));
        json_object_set_new(params, "FaultlineTag", d);
    }
    if (install) {
        json_t *d = json_object();
        json_object_set_new(d, "type", json_string("String"));
        json_object_set_new(d, "description",
                            json_string("install the faultline package first when it is missing (apt-get or dnf)"));
        json_object_set_new(d, "allowedValues", choices_array("True|False"));
        json_object_set_new(d, "default", json_string("True"));
        json_object_set_new(params, "InstallFaultline", d);
    }
    json_object_set_new(doc, "parameters", params);

    json_t *steps = json_array();
    if (install) {
        json_t *cmds = json_array();
        line(cmds, "set -eu");
        line(cmds, "if [ '{{ InstallFaultline }}' != True ]; then exit 0; fi");
        line(cmds, "if command -v faultline >/dev/null 2>&1; then exit 0; fi");
        line(cmds, "# The package name is a placeholder: publish faultline to your own apt/dnf repository.");
        line(
            cmds,
            "if command -v apt-get >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive apt-get install -y faultline;");
        line(cmds, "elif command -v dnf >/dev/null 2>&1; then dnf install -y faultline;");
        line(cmds, "else echo 'faultline: no apt-get or dnf to install faultline with' >&2; exit 1; fi");
        json_t *step = json_pack("{s:s, s:s, s:{s:[s,s]}, s:{s:o, s:i}}", "action", "aws:runShellScript", "name",
                                 "InstallFaultline", "precondition", "StringEquals", "platformType", "Linux", "inputs",
                                 "runCommand", cmds, "timeoutSeconds", 600);
        json_array_append_new(steps, step);
    }
    json_t *cmds = json_array();
    line(cmds, "set -eu");
    line(cmds, "set -f");
    line(cmds, "if ! command -v faultline >/dev/null 2>&1; then echo 'faultline: not installed on this instance' >&2; "
               "exit 4; fi");
    line(cmds, "set -- attack %s", info->name);
    for (size_t i = 0; i < info->n_params; i++)
        add_arg_lines(cmds, &info->params[i]);
    if (!info->instant) {
        line(cmds, "v='{{ DurationSeconds }}'; set -- \"$@\" --duration \"${v}s\"");
        line(cmds, "v='{{ FaultlineTag }}'; if [ -n \"$v\" ]; then set -- \"$@\" --tag \"$v\"; fi");
    }
    line(cmds, "exec faultline \"$@\"");
    json_t *step = json_pack("{s:s, s:s, s:{s:[s,s]}, s:{s:o, s:i}}", "action", "aws:runShellScript", "name",
                             "FaultInjection", "precondition", "StringEquals", "platformType", "Linux", "inputs",
                             "runCommand", cmds, "timeoutSeconds",
                             info->instant ? FL_SSM_INSTANT_STEP_S : FL_SSM_MAX_DURATION_S + FL_SSM_STEP_GRACE_S);
    json_array_append_new(steps, step);
    json_object_set_new(doc, "mainSteps", steps);
    return doc;
}

static void scalar(FILE *out, const json_t *v) {
    char *s = json_dumps(v, JSON_ENCODE_ANY);
    fputs(s ? s : "null", out);
    free(s);
}

static bool is_container(const json_t *v) {
    return (json_is_object(v) && json_object_size(v) > 0) || (json_is_array(v) && json_array_size(v) > 0);
}

static void yaml_value(FILE *out, const json_t *v, int indent);

static void yaml_object(FILE *out, const json_t *o, int indent, bool first_inline) {
    const char *key;
    const json_t *val;
    bool first = true;
    json_object_foreach((json_t *)o, key, val) {
        if (!(first && first_inline))
            fprintf(out, "%*s", indent, "");
        first = false;
        bool plain = isalpha((unsigned char)key[0]);
        for (const char *c = key; *c && plain; c++)
            plain = isalnum((unsigned char)*c) || *c == '_';
        if (plain) {
            fputs(key, out);
        } else {
            json_t *k = json_string(key);
            scalar(out, k);
            json_decref(k);
        }
        fputc(':', out);
        if (is_container(val)) {
            fputc('\n', out);
            yaml_value(out, val, indent + 2);
        } else {
            fputc(' ', out);
            scalar(out, val);
            fputc('\n', out);
        }
    }
}

static void yaml_value(FILE *out, const json_t *v, int indent) {
    if (json_is_object(v) && json_object_size(v)) {
        yaml_object(out, v, indent, false);
    } else if (json_is_array(v) && json_array_size(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) {
            fprintf(out, "%*s- ", indent, "");
            if (json_is_object(e) && json_object_size(e))
                yaml_object(out, e, indent + 2, true);
            else if (is_container(e)) {
                fputc('\n', out);
                yaml_value(out, e, indent + 2);
            } else {
                scalar(out, e);
                fputc('\n', out);
            }
        }
    } else {
        fprintf(out, "%*s", indent, "");
        scalar(out, v);
        fputc('\n', out);
    }
}

void fl_ssm_write_yaml(FILE *out, const json_t *doc) {
    fputs("---\n", out);
    yaml_value(out, doc, 0);
}
