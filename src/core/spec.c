/* Specs: an attack kind plus typed, validated parameters. */
#include "internal.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const fl_param_spec duration_param = {
    "duration", FL_PARAM_DURATION, FL_PARAM_REQUIRED, NULL, "1ms", "12h", NULL,
    "how long the fault is held; rolled back at expiry (at most 12h)"};
static const fl_param_spec cgroup_param = {
    "cgroup", FL_PARAM_PATH, FL_PARAM_REPEATABLE, NULL, NULL, NULL, NULL,
    "cgroup directory (v1 or v2) to place the workers in, e.g. a container's; repeatable for v1 "
    "hierarchies"};

const char *fl_param_type_name(fl_param_type type)
{
    switch (type) {
    case FL_PARAM_DURATION: return "duration";
    case FL_PARAM_SIZE: return "size";
    case FL_PARAM_PERCENT: return "percent";
    case FL_PARAM_AMOUNT: return "size|percent";
    case FL_PARAM_INT: return "integer";
    case FL_PARAM_STRING: return "string";
    case FL_PARAM_ENUM: return "enum";
    case FL_PARAM_CPULIST: return "cpu-list";
    case FL_PARAM_PATH: return "path";
    case FL_PARAM_SIGNAL: return "signal";
    case FL_PARAM_BOOL: return "flag";
    case FL_PARAM_REGEX: return "regex";
    }
    return "?";
}

const fl_param_spec *fl_common_param(const char *name)
{
    if (strcmp(name, "duration") == 0)
        return &duration_param;
    if (strcmp(name, "cgroup") == 0)
        return &cgroup_param;
    return NULL;
}

const fl_param_spec *fl_attack_param(const char *kind, const char *name)
{
    const fl_attack_info *info = fl_attack_find(kind);
    for (size_t i = 0; info && i < info->n_params; i++)
        if (strcmp(info->params[i].name, name) == 0)
            return &info->params[i];
    return fl_common_param(name);
}

static void value_reset(fl_value *v)
{
    free(v->text);
    for (size_t i = 0; i < v->n_list; i++)
        free(v->list[i]);
    free(v->list);
    free(v->cpus);
    const fl_param_spec *spec = v->spec;
    memset(v, 0, sizeof(*v));
    v->spec = spec;
}

/* Parses `text` as the value of parameter `p` into `v` (type and range). */
static int parse_value(const fl_param_spec *p, const char *text, fl_value *v, fl_error *err)
{
    const char *f = p->name;
    switch (p->type) {
    case FL_PARAM_DURATION: {
        if (fl_parse_duration(text, f, &v->i64, err) != 0)
            return -1;
        int64_t lo, hi;
        if (p->min && fl_parse_duration(p->min, f, &lo, err) == 0 && v->i64 < lo)
            return fl_fail(err, FL_EINVAL, f, "--%s: %s is below the minimum %s", f, text, p->min);
        if (p->max && fl_parse_duration(p->max, f, &hi, err) == 0 && v->i64 > hi)
            return fl_fail(err, FL_EINVAL, f, "--%s: %s is above the maximum %s", f, text, p->max);
        break;
    }
    case FL_PARAM_SIZE: {
        if (fl_parse_size(text, f, &v->u64, err) != 0)
            return -1;
        uint64_t lo, hi;
        if (p->min && fl_parse_size(p->min, f, &lo, err) == 0 && v->u64 < lo)
            return fl_fail(err, FL_EINVAL, f, "--%s: %s is below the minimum %s", f, text, p->min);
        if (p->max && fl_parse_size(p->max, f, &hi, err) == 0 && v->u64 > hi)
            return fl_fail(err, FL_EINVAL, f, "--%s: %s is above the maximum %s", f, text, p->max);
        break;
    }
    case FL_PARAM_PERCENT: {
        if (fl_parse_percent(text, f, &v->pct, err) != 0)
            return -1;
        double lo, hi;
        if (p->min && fl_parse_percent(p->min, f, &lo, err) == 0 && v->pct < lo)
            return fl_fail(err, FL_EINVAL, f, "--%s: %s is below the minimum %s", f, text, p->min);
        if (p->max && fl_parse_percent(p->max, f, &hi, err) == 0 && v->pct > hi)
            return fl_fail(err, FL_EINVAL, f, "--%s: %s is above the maximum %s", f, text, p->max);
        break;
    }
    case FL_PARAM_AMOUNT:
        if (strchr(text, '%')) {
            v->is_percent = true;
            return fl_parse_percent(text, f, &v->pct, err);
        }
        if (fl_parse_size(text, f, &v->u64, err) != 0)
            return fl_fail(err, FL_EINVAL, f, "--%s: '%s' is neither a size (512M) nor a percentage (5%%)",
                           f, text);
        break;
    case FL_PARAM_INT: {
        char *end;
        long long n = strtoll(text, &end, 10);
        if (!*text || *end)
            return fl_fail(err, FL_EINVAL, f, "--%s: '%s' is not an integer", f, text);
        if (p->min && n < strtoll(p->min, NULL, 10))
            return fl_fail(err, FL_EINVAL, f, "--%s: %s is below the minimum %s", f, text, p->min);
        if (p->max && n > strtoll(p->max, NULL, 10))
            return fl_fail(err, FL_EINVAL, f, "--%s: %s is above the maximum %s", f, text, p->max);
        v->i64 = n;
        break;
    }
    case FL_PARAM_ENUM: {
        size_t l = strlen(text);
        const char *c = p->choices;
        bool found = false;
        while (c && *c && !found) {
            const char *bar = strchr(c, '|');
            size_t cl = bar ? (size_t)(bar - c) : strlen(c);
            found = l > 0 && cl == l && strncmp(c, text, l) == 0;
            c = bar ? bar + 1 : NULL;
        }
        if (!found)
            return fl_fail(err, FL_EINVAL, f, "--%s: '%s' is not one of %s", f, text, p->choices);
        break;
    }
    case FL_PARAM_CPULIST:
        if (fl_parse_cpulist(text, f, &v->cpus, &v->n_cpus, err) != 0)
            return -1;
        break;
    case FL_PARAM_PATH:
        if (text[0] != '/')
            return fl_fail(err, FL_EINVAL, f, "--%s: '%s' must be an absolute path", f, text);
        if (strlen(text) > 1024)
            return fl_fail(err, FL_EINVAL, f, "--%s: path too long", f);
        break;
    case FL_PARAM_SIGNAL: {
        int signo;
        if (fl_parse_signal(text, &signo) != 0)
            return fl_fail(err, FL_EINVAL, f, "--%s: '%s' is not a signal; use e.g. SIGTERM, KILL or 9",
                           f, text);
        v->i64 = signo;
        break;
    }
    case FL_PARAM_BOOL:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return fl_fail(err, FL_EINVAL, f, "--%s: '%s' must be true or false", f, text);
        v->i64 = strcmp(text, "true") == 0;
        break;
    case FL_PARAM_REGEX: {
        regex_t re;
        int rc = regcomp(&re, text, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &re, msg, sizeof(msg));
            return fl_fail(err, FL_EINVAL, f, "--%s: '%s' is not a valid regular expression: %s", f,
                           text, msg);
        }
        regfree(&re);
        if (!*text)
            return fl_fail(err, FL_EINVAL, f, "--%s: the pattern is empty", f);
        break;
    }
    case FL_PARAM_STRING:
        if (!*text)
            return fl_fail(err, FL_EINVAL, f, "--%s: empty value", f);
        for (const char *c = text; *c; c++)
            if ((unsigned char)*c < 0x20)
                return fl_fail(err, FL_EINVAL, f, "--%s: control characters are not allowed", f);
        break;
    }
    return 0;
}

static int set_value(fl_value *v, const char *text, bool given, fl_error *err)
{
    const fl_param_spec *spec = v->spec;
    fl_value parsed = {.spec = spec};
    if (parse_value(spec, text, &parsed, err) != 0) {
        free(parsed.cpus);
        return -1;
    }
    bool again = given && v->given;
    if (again && !(spec->flags & FL_PARAM_REPEATABLE)) {
        free(parsed.cpus);
        return fl_fail(err, FL_EINVAL, spec->name, "--%s is given twice", spec->name);
    }
    /* A repeated value accumulates; a first user value replaces the default. */
    char **list = again ? v->list : NULL;
    size_t n_list = again ? v->n_list : 0;
    if (again) {
        v->list = NULL;
        v->n_list = 0;
    }
    value_reset(v);
    *v = parsed;
    v->text = strdup(text);
    v->given = given;
    v->present = true;
    char **grown = realloc(list, (n_list + 1) * sizeof(*grown));
    if (!grown)
        return fl_fail(err, FL_EINVAL, spec->name, "out of memory");
    grown[n_list++] = strdup(text);
    v->list = grown;
    v->n_list = n_list;
    return 0;
}

fl_spec *fl_spec_new(const char *kind, fl_error *err)
{
    fl_error_clear(err);
    const fl_attack *attack = kind ? fl_attack_lookup(kind) : NULL;
    if (!attack) {
        char names[256] = "";
        for (size_t i = 0; i < fl_attack_count(); i++) {
            strncat(names, fl_attack_at(i)->name, sizeof(names) - strlen(names) - 1);
            if (i + 1 < fl_attack_count())
                strncat(names, ", ", sizeof(names) - strlen(names) - 1);
        }
        fl_fail(err, FL_EINVAL, "kind", "unknown attack kind '%s'; known kinds: %s",
                kind ? kind : "", names);
        return NULL;
    }
    fl_spec *spec = calloc(1, sizeof(*spec));
    spec->attack = attack;
    spec->n_values = attack->info.n_params;
    spec->values = calloc(spec->n_values ? spec->n_values : 1, sizeof(fl_value));
    spec->duration.spec = &duration_param;
    spec->cgroup.spec = &cgroup_param;
    for (size_t i = 0; i < spec->n_values; i++) {
        fl_value *v = &spec->values[i];
        v->spec = &attack->info.params[i];
        if (v->spec->def && set_value(v, v->spec->def, false, err) != 0) {
            fl_spec_free(spec); /* a bad default is our bug; say so loudly */
            return NULL;
        }
    }
    return spec;
}

void fl_spec_free(fl_spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->n_values; i++)
        value_reset(&spec->values[i]);
    value_reset(&spec->duration);
    value_reset(&spec->cgroup);
    for (size_t i = 0; i < spec->n_claims; i++)
        free(spec->claims[i]);
    if (spec->free_data)
        spec->free_data(spec->data);
    free(spec->values);
    free(spec);
}

static fl_value *find_value(const fl_spec *spec, const char *name)
{
    for (size_t i = 0; i < spec->n_values; i++)
        if (strcmp(spec->values[i].spec->name, name) == 0)
            return &spec->values[i];
    if (strcmp(name, "duration") == 0 && !spec->attack->info.instant)
        return (fl_value *)&spec->duration;
    if (strcmp(name, "cgroup") == 0 && spec->attack->info.uses_cgroup)
        return (fl_value *)&spec->cgroup;
    return NULL;
}

int fl_spec_set(fl_spec *spec, const char *name, const char *value, fl_error *err)
{
    fl_error_clear(err);
    fl_value *v = find_value(spec, name);
    if (!v) {
        if (strcmp(name, "duration") == 0)
            return fl_fail(err, FL_EINVAL, name,
                           "--duration: %s is instantaneous and takes no duration",
                           spec->attack->info.name);
        return fl_fail(err, FL_EINVAL, name, "unknown parameter --%s for attack %s (see: faultline attacks %s)",
                       name, spec->attack->info.name, spec->attack->info.name);
    }
    if (!value)
        value = v->spec->type == FL_PARAM_BOOL ? "true" : "";
    spec->validated = false;
    return set_value(v, value, true, err);
}

int fl_spec_validate(fl_spec *spec, fl_error *err)
{
    fl_error_clear(err);
    for (size_t i = 0; i < spec->n_values; i++) {
        const fl_value *v = &spec->values[i];
        if ((v->spec->flags & FL_PARAM_REQUIRED) && !v->present)
            return fl_fail(err, FL_EINVAL, v->spec->name, "--%s is required for attack %s",
                           v->spec->name, spec->attack->info.name);
    }
    if (!spec->attack->info.instant && !spec->duration.present)
        return fl_fail(err, FL_EINVAL, "duration",
                       "--duration is required: every fault has a bounded lifetime (e.g. --duration 30s, at most 12h)");
    for (size_t i = 0; i < spec->cgroup.n_list; i++) {
        char procs[1100];
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", spec->cgroup.list[i]);
        struct stat st;
        if (stat(procs, &st) != 0)
            return fl_fail(err, FL_EINVAL, "cgroup", "--cgroup: %s is not a cgroup directory (no cgroup.procs)",
                           spec->cgroup.list[i]);
    }
    for (size_t i = 0; i < spec->n_claims; i++)
        free(spec->claims[i]);
    spec->n_claims = 0;
    if (spec->free_data)
        spec->free_data(spec->data);
    spec->data = NULL;
    spec->free_data = NULL;
    if (spec->attack->validate && spec->attack->validate(spec, err) != 0)
        return -1;
    spec->validated = true;
    return 0;
}

const char *fl_spec_kind(const fl_spec *spec) { return spec->attack->info.name; }
int64_t fl_spec_duration_us(const fl_spec *spec) { return spec->duration.i64; }

int fl_spec_plan(fl_spec *spec, fl_plan_cb step, void *user, fl_error *err)
{
    if (!spec->validated && fl_spec_validate(spec, err) != 0)
        return -1;
    spec->attack->plan(spec, step, user);
    if (!spec->attack->info.instant) {
        char d[32], line[160];
        snprintf(line, sizeof(line), "hold for %s, then undo everything above in reverse order",
                 fl_format_duration(spec->duration.i64, d, sizeof(d)));
        step(user, line, NULL);
    }
    return 0;
}

/* Accessors used by attacks. Asking for a parameter the attack does not
 * declare is a programming error, caught by the unit tests. */
const fl_value *fl_spec_value(const fl_spec *spec, const char *name)
{
    const fl_value *v = find_value(spec, name);
    if (!v) {
        fprintf(stderr, "faultline: internal error: no parameter '%s' in %s\n", name,
                spec->attack->info.name);
        abort();
    }
    return v;
}

bool fl_spec_given(const fl_spec *spec, const char *name) { return fl_spec_value(spec, name)->given; }
int64_t fl_spec_i64(const fl_spec *spec, const char *name) { return fl_spec_value(spec, name)->i64; }
uint64_t fl_spec_u64(const fl_spec *spec, const char *name) { return fl_spec_value(spec, name)->u64; }
double fl_spec_pct(const fl_spec *spec, const char *name) { return fl_spec_value(spec, name)->pct; }
const char *fl_spec_str(const fl_spec *spec, const char *name) { return fl_spec_value(spec, name)->text; }
bool fl_spec_bool(const fl_spec *spec, const char *name)
{
    const fl_value *v = fl_spec_value(spec, name);
    return v->present && v->i64;
}

int fl_spec_writable_dir(const fl_spec *spec, const char *name, struct stat *st, fl_error *err)
{
    const char *path = fl_spec_str(spec, name);
    if (stat(path, st) != 0 || !S_ISDIR(st->st_mode))
        return fl_fail(err, FL_EINVAL, name, "--%s: %s is not an existing directory", name, path);
    if (access(path, W_OK) != 0)
        return fl_fail(err, FL_EINVAL, name, "--%s: %s is not writable", name, path);
    return 0;
}

void fl_spec_claim(fl_spec *spec, const char *fmt, ...)
{
    if (spec->n_claims >= FL_MAX_CLAIMS)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    spec->claims[spec->n_claims++] = strdup(buf);
}

json_t *fl_spec_params_json(const fl_spec *spec)
{
    json_t *o = json_object();
    for (size_t i = 0; i <= spec->n_values + 1; i++) {
        const fl_value *v = i < spec->n_values ? &spec->values[i]
                            : i == spec->n_values ? &spec->duration
                                                  : &spec->cgroup;
        if (!v->present)
            continue;
        if (v->spec->flags & FL_PARAM_REPEATABLE) {
            json_t *a = json_array();
            for (size_t j = 0; j < v->n_list; j++)
                json_array_append_new(a, json_string(v->list[j]));
            json_object_set_new(o, v->spec->name, a);
        } else if (v->spec->type == FL_PARAM_BOOL) {
            json_object_set_new(o, v->spec->name, json_boolean(v->i64));
        } else {
            json_object_set_new(o, v->spec->name, json_string(v->text));
        }
    }
    return o;
}

/* ---- the catalog ---- */
static const fl_attack *const catalog[] = {
    &fl_attack_cpu,          &fl_attack_memory,       &fl_attack_disk_fill,
    &fl_attack_io_stress,    &fl_attack_process_kill, &fl_attack_process_pause,
    &fl_attack_latency,      &fl_attack_packet_loss,  &fl_attack_blackhole,
    &fl_attack_reset,        &fl_attack_bandwidth,    &fl_attack_dns,
    &fl_attack_corrupt,      &fl_attack_duplicate,    &fl_attack_reorder,
};

size_t fl_attack_count(void) { return FL_ARRAY_LEN(catalog); }
const fl_attack_info *fl_attack_at(size_t index)
{
    return index < FL_ARRAY_LEN(catalog) ? &catalog[index]->info : NULL;
}

const fl_attack *fl_attack_lookup(const char *name)
{
    for (size_t i = 0; i < FL_ARRAY_LEN(catalog); i++)
        if (strcmp(catalog[i]->info.name, name) == 0)
            return catalog[i];
    return NULL;
}

const fl_attack_info *fl_attack_find(const char *name)
{
    const fl_attack *a = fl_attack_lookup(name);
    return a ? &a->info : NULL;
}
