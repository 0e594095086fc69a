/* One SendCommand of a kind's SSM document, as a library (ssm.h): the
 * request (parameters checked by faultline's parser and by the document's
 * allowedPattern, targets, delivery options), then the command (send, poll
 * ListCommandInvocations/ListCommands, GetCommandInvocation, cancel + a
 * `faultline stop --all` command). Used by `faultline ssm send` and by the
 * experiment runner. Prints nothing. */
#include "core/internal.h"
#include "fleet/ssm.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define MAX_TAGS 16
/* SendCommand's TimeoutSeconds: its documented range. */
#define MIN_TIMEOUT_S 30
#define MAX_TIMEOUT_S 2592000
#define US_PER_S 1000000LL
#define MAX_DURATION_S FL_SSM_MAX_DURATION_S

struct fl_ssm_request {
    char kind[64];
    const fl_attack_info *info;
    fl_spec *spec;        /* validates every parameter as faultline does */
    json_t *params;       /* SSM Parameters: {"Host": ["a,b"], ...} */
    char *tags[MAX_TAGS]; /* KEY=VALUE */
    size_t n_tags;
    char *instance_ids; /* "i-a,i-b", or NULL */
    char document[160]; /* faultline-<kind> unless --document-name */
    char max_concurrency[16], max_errors[16];
    char *alarm, *log_group;
    long timeout_s;
    char *duration;     /* the --duration text as given, or NULL */
    int64_t duration_s; /* set by fl_ssm_request_finish */
    bool finished;
    char fault_tag[40]; /* --tag of the faults this command starts: what an abort stops */
};

struct fl_ssm_command {
    fl_ssm_config cfg;
    char id[64];
    char stop_id[64];
    char document[160];
    char fault_tag[40];
    json_t *targets;      /* the Targets array, or NULL */
    json_t *instance_ids; /* the InstanceIds array, or NULL */
    char status[48];
    char *alarms; /* TriggeredAlarms names, comma-joined */
    fl_ssm_invocation *inv;
    size_t n_inv, cap_inv;
};

/* ---- validation helpers ---- */
static bool matches(const char *pattern, const char *s) {
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* "N" or "N%" as SSM's MaxConcurrency/MaxErrors pattern: ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$ */
static bool valid_rate(const char *s, bool zero_ok) {
    return matches("^([1-9][0-9]{0,9}|0|[1-9][0-9]%|[0-9]%|100%)$", s) &&
           (zero_ok || (strcmp(s, "0") != 0 && strcmp(s, "0%") != 0));
}

static bool charset(const char *s, const char *extra, size_t max) {
    size_t n = strlen(s);
    if (!n || n > max)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr(extra, *c)))
            return false;
    return true;
}

static int replace_str(char **slot, const char *v) {
    char *copy = fl_xstrdup(v);
    free(*slot);
    *slot = copy;
    return 0;
}

bool fl_ssm_status_terminal(const char *s) {
    static const char *const t[] = {
        "Success",       "Cancelled",  "Failed",          "TimedOut",    "Delivery Timed Out", "Execution Timed Out",
        "Undeliverable", "Terminated", "InvalidPlatform", "AccessDenied"};
    for (size_t i = 0; s && i < FL_ARRAY_LEN(t); i++)
        if (strcmp(s, t[i]) == 0)
            return true;
    return false;
}

/* ---- the request ---- */
fl_ssm_request *fl_ssm_request_new(const char *kind, fl_error *err) {
    fl_error_clear(err);
    fl_spec *spec = fl_spec_new(kind ? kind : "", err);
    if (!spec)
        return NULL;
    fl_ssm_request *r = fl_xcalloc(1, sizeof(*r));
    snprintf(r->kind, sizeof(r->kind), "%s", kind);
    r->info = fl_attack_find(kind);
    r->spec = spec;
    r->params = json_object();
    snprintf(r->document, sizeof(r->document), "faultline-%s", kind);
    /* Each command tags the faults it starts with a tag of its own, so that
     * aborting it stops those faults only, not others on the same hosts. */
    unsigned char rnd[8] = {0};
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        int64_t t = fl_mono_us() ^ ((int64_t)getpid() << 20);
        memcpy(rnd, &t, sizeof(rnd));
    }
    snprintf(r->fault_tag, sizeof(r->fault_tag), "ssm-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
             rnd[4], rnd[5], rnd[6], rnd[7]);
    snprintf(r->max_concurrency, sizeof(r->max_concurrency), "1");
    snprintf(r->max_errors, sizeof(r->max_errors), "0");
    r->timeout_s = 600;
    return r;
}

void fl_ssm_request_free(fl_ssm_request *r) {
    if (!r)
        return;
    fl_spec_free(r->spec);
    json_decref(r->params);
    for (size_t i = 0; i < r->n_tags; i++)
        free(r->tags[i]);
    free(r->instance_ids);
    free(r->alarm);
    free(r->log_group);
    free(r->duration);
    free(r);
}

const char *fl_ssm_request_kind(const fl_ssm_request *r) { return r->kind; }
bool fl_ssm_request_by_tags(const fl_ssm_request *r) { return r->n_tags > 0; }
int64_t fl_ssm_request_duration_s(const fl_ssm_request *r) { return r->finished ? r->duration_s : 0; }

int fl_ssm_request_param(fl_ssm_request *r, const char *name, const char *value, fl_error *err) {
    fl_error_clear(err);
    if (!name || !*name)
        return fl_fail(err, FL_EINVAL, "", "a parameter needs a name");
    r->finished = false;
    if (strcmp(name, "duration") == 0) {
        if (!value)
            return fl_fail(err, FL_EINVAL, name, "duration: needs a value");
        if (fl_spec_set(r->spec, "duration", value, err) != 0) /* instant kinds refuse it here */
            return -1;
        return replace_str(&r->duration, value);
    }
    const fl_param_spec *ps = NULL;
    for (size_t k = 0; k < r->info->n_params && !ps; k++)
        if (strcmp(r->info->params[k].name, name) == 0)
            ps = &r->info->params[k];
    if (!ps)
        return fl_fail(err, FL_EINVAL, name, "%s: %s has no such parameter (faultline attacks lists them)", name,
                       r->kind);
    char sname[64];
    fl_ssm_param_name(name, sname, sizeof(sname));
    if (ps->type == FL_PARAM_BOOL) {
        if (fl_spec_set(r->spec, name, value, err) != 0)
            return -1;
        json_object_set_new(r->params, sname, json_pack("[s]", value ? value : "true"));
        return 0;
    }
    if (!value)
        return fl_fail(err, FL_EINVAL, name, "%s: needs a value", name);
    if (fl_spec_set(r->spec, name, value, err) != 0)
        return -1;
    /* A repeatable parameter's values travel comma-separated in one string;
     * the pattern checks the whole list. */
    json_t *cur = json_object_get(r->params, sname);
    char *joined = NULL;
    const char *v = value;
    if (cur && (ps->flags & FL_PARAM_REPEATABLE)) {
        const char *prev = json_string_value(json_array_get(cur, 0));
        v = joined = fl_xasprintf("%s,%s", prev, value);
    }
    const char *pat = fl_ssm_param_pattern(ps);
    int rc = 0;
    if (pat && !matches(pat, v))
        rc = fl_fail(err, FL_EINVAL, name,
                     "%s: '%s' does not match the document's allowedPattern %s (no shell metacharacters, quotes "
                     "or spaces)",
                     name, v, pat);
    /* Kept even when refused, as the CLI always did: the request is not
     * usable after an error anyway. */
    json_object_set_new(r->params, sname, json_pack("[s]", v));
    free(joined);
    return rc;
}

int fl_ssm_request_option(fl_ssm_request *r, const char *name, const char *value, fl_error *err) {
    fl_error_clear(err);
    if (!name)
        return fl_fail(err, FL_EINVAL, "", "an option needs a name");
    r->finished = false;
    if (!value)
        return fl_fail(err, FL_EINVAL, name, "%s: needs a value", name);
    const char *v = value;
    if (strcmp(name, "tag") == 0) {
        if (r->n_tags == MAX_TAGS || !strchr(v, '=') || v[0] == '=' || !charset(v, " _.:/=+-@", 256))
            return fl_fail(err, FL_EINVAL, name, "tag: '%s' is not KEY=VALUE (letters, digits, spaces and _.:/=+-@)",
                           v);
        r->tags[r->n_tags++] = fl_xstrdup(v);
        return 0;
    }
    if (strcmp(name, "instance-ids") == 0) {
        if (!matches("^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})(,(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})){0,49}$", v))
            return fl_fail(err, FL_EINVAL, name,
                           "instance-ids: '%s' is not a comma-separated list of i-... ids (at most 50)", v);
        return replace_str(&r->instance_ids, v);
    }
    if (strcmp(name, "document-name") == 0) {
        if (!charset(v, "_.-:/", 128))
            return fl_fail(err, FL_EINVAL, name, "document-name: '%s' is not a document name or ARN", v);
        snprintf(r->document, sizeof(r->document), "%s", v);
        return 0;
    }
    if (strcmp(name, "max-concurrency") == 0 || strcmp(name, "max-errors") == 0) {
        bool conc = name[4] == 'c';
        if (!valid_rate(v, !conc))
            return fl_fail(
                err, FL_EINVAL, name,
                conc ? "max-concurrency: '%s' is not N or N%% (at least 1)" : "max-errors: '%s' is not N or N%%", v);
        snprintf(conc ? r->max_concurrency : r->max_errors, sizeof(r->max_errors), "%s", v);
        return 0;
    }
    if (strcmp(name, "alarm") == 0) {
        if (!charset(v, "_.-/#:", 255))
            return fl_fail(err, FL_EINVAL, name, "alarm: '%s' is not a CloudWatch alarm name", v);
        return replace_str(&r->alarm, v);
    }
    if (strcmp(name, "log-group") == 0) {
        if (!charset(v, "_.-/#", 512))
            return fl_fail(err, FL_EINVAL, name, "log-group: '%s' is not a log group name", v);
        return replace_str(&r->log_group, v);
    }
    if (strcmp(name, "timeout") == 0) {
        char *end;
        long tmo = strtol(v, &end, 10);
        if (!*v || *end || tmo < MIN_TIMEOUT_S || tmo > MAX_TIMEOUT_S)
            return fl_fail(err, FL_EINVAL, name, "timeout: '%s' is not seconds from %d to %d", v, MIN_TIMEOUT_S,
                           MAX_TIMEOUT_S);
        r->timeout_s = tmo;
        return 0;
    }
    return fl_fail(err, FL_EINVAL, name, "%s: not an SSM option", name);
}

/* The final checks, without changing the request; *duration_s gets
 * DurationSeconds (0 for instant kinds). */
static int check_request(const fl_ssm_request *r, int64_t *duration_s, fl_error *err) {
    for (size_t k = 0; k < r->info->n_params; k++)
        if ((r->info->params[k].flags & FL_PARAM_REQUIRED) && !fl_spec_given(r->spec, r->info->params[k].name))
            return fl_fail(err, FL_EINVAL, r->info->params[k].name, "%s: required for %s", r->info->params[k].name,
                           r->kind);
    *duration_s = 0;
    if (!r->info->instant) {
        if (!r->duration)
            return fl_fail(err, FL_EINVAL, "duration", "duration: required (1s to 12h, whole seconds)");
        int64_t us = fl_spec_duration_us(r->spec);
        if (us % US_PER_S != 0 || us < US_PER_S || us > MAX_DURATION_S * US_PER_S)
            return fl_fail(err, FL_EINVAL, "duration",
                           "duration: '%s' must be whole seconds from 1s to 12h (DurationSeconds)", r->duration);
        *duration_s = us / US_PER_S;
    }
    if (!r->n_tags && !r->instance_ids)
        return fl_fail(err, FL_EINVAL, "targets", "targets: none given; give a tag KEY=VALUE or instance-ids i-...");
    if (r->n_tags && r->instance_ids)
        return fl_fail(err, FL_EINVAL, "targets", "targets: tag and instance-ids are exclusive");
    return 0;
}

int fl_ssm_request_finish(fl_ssm_request *r, fl_error *err) {
    fl_error_clear(err);
    r->finished = check_request(r, &r->duration_s, err) == 0;
    return r->finished ? 0 : -1;
}

const char *fl_ssm_request_document(const fl_ssm_request *r) { return r->document; }

static json_t *split_ids(const char *list) {
    json_t *ids = json_array();
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        json_array_append_new(ids, json_stringn(p, l));
        p += l + (comma ? 1 : 0);
    }
    return ids;
}

json_t *fl_ssm_request_body(const fl_ssm_request *r) {
    json_t *body = json_object();
    if (r->n_tags) {
        json_t *targets = json_array();
        for (size_t k = 0; k < r->n_tags; k++) {
            const char *eq = strchr(r->tags[k], '=');
            char key[300];
            snprintf(key, sizeof(key), "tag:%.*s", (int)(eq - r->tags[k]), r->tags[k]);
            json_array_append_new(targets, json_pack("{s:s, s:[s]}", "Key", key, "Values", eq + 1));
        }
        json_object_set_new(body, "Targets", targets);
    }
    if (r->instance_ids)
        json_object_set_new(body, "InstanceIds", split_ids(r->instance_ids));
    json_object_set_new(body, "DocumentName", json_string(fl_ssm_request_document(r)));
    json_object_set_new(body, "TimeoutSeconds", json_integer(r->timeout_s));
    char comment[100];
    snprintf(comment, sizeof(comment), "faultline %s", r->kind);
    json_object_set_new(body, "Comment", json_string(comment));
    json_t *params = json_deep_copy(r->params);
    int64_t us = fl_spec_duration_us(r->spec);
    if (!r->info->instant && r->duration && us % US_PER_S == 0 && us >= US_PER_S && us <= MAX_DURATION_S * US_PER_S) {
        char secs[32];
        snprintf(secs, sizeof(secs), "%lld", (long long)(us / US_PER_S));
        json_object_set_new(params, "DurationSeconds", json_pack("[s]", secs));
    }
    if (!r->info->instant)
        json_object_set_new(params, "FaultlineTag", json_pack("[s]", r->fault_tag));
    json_object_set_new(body, "Parameters", params);
    json_object_set_new(body, "MaxConcurrency", json_string(r->max_concurrency));
    json_object_set_new(body, "MaxErrors", json_string(r->max_errors));
    if (r->log_group)
        json_object_set_new(
            body, "CloudWatchOutputConfig",
            json_pack("{s:s, s:b}", "CloudWatchLogGroupName", r->log_group, "CloudWatchOutputEnabled", 1));
    if (r->alarm)
        json_object_set_new(body, "AlarmConfiguration",
                            json_pack("{s:b, s:[{s:s}]}", "IgnorePollAlarmFailure", 0, "Alarms", "Name", r->alarm));
    return body;
}

/* ---- the command ---- */
fl_ssm_command *fl_ssm_command_send(const fl_ssm_config *cfg, const fl_ssm_request *r, fl_error *err) {
    fl_error_clear(err);
    int64_t duration_s;
    if (!r->finished && check_request(r, &duration_s, err) != 0)
        return NULL;
    json_t *body = fl_ssm_request_body(r);
    json_t *resp = NULL;
    if (fl_ssm_call(cfg, "SendCommand", body, &resp, err) != 200) {
        json_decref(body);
        return NULL;
    }
    const char *id = json_string_value(json_object_get(json_object_get(resp, "Command"), "CommandId"));
    if (!id || !*id || strlen(id) >= 64) {
        json_decref(resp);
        json_decref(body);
        fl_fail(err, FL_EAPPLY, "ssm", "SendCommand: no CommandId in the reply");
        return NULL;
    }
    fl_ssm_command *c = fl_xcalloc(1, sizeof(*c));
    c->cfg = *cfg;
    snprintf(c->id, sizeof(c->id), "%s", id);
    snprintf(c->document, sizeof(c->document), "%s", fl_ssm_request_document(r));
    snprintf(c->fault_tag, sizeof(c->fault_tag), "%s", r->info->instant ? "" : r->fault_tag);
    c->targets = json_incref(json_object_get(body, "Targets"));
    c->instance_ids = json_incref(json_object_get(body, "InstanceIds"));
    c->alarms = fl_xstrdup("");
    json_decref(resp);
    json_decref(body);
    return c;
}

const char *fl_ssm_command_id(const fl_ssm_command *c) { return c->id; }
const char *fl_ssm_command_stop_id(const fl_ssm_command *c) { return c->stop_id; }
const char *fl_ssm_command_fault_tag(const fl_ssm_command *c) { return c->fault_tag; }
const char *fl_ssm_command_status(const fl_ssm_command *c) { return c->status; }
const char *fl_ssm_command_triggered_alarms(const fl_ssm_command *c) { return c->alarms ? c->alarms : ""; }

size_t fl_ssm_command_invocations(const fl_ssm_command *c, const fl_ssm_invocation **out) {
    *out = c->inv;
    return c->n_inv;
}

static fl_ssm_invocation *find_or_add(fl_ssm_command *c, const char *id, int64_t now) {
    for (size_t k = 0; k < c->n_inv; k++)
        if (strcmp(c->inv[k].instance_id, id) == 0)
            return &c->inv[k];
    if (strlen(id) >= sizeof(c->inv[0].instance_id))
        return NULL;
    if (c->n_inv == c->cap_inv) {
        size_t cap = c->cap_inv ? c->cap_inv * 2 : 16;
        c->inv = fl_xreallocarray(c->inv, cap, sizeof(*c->inv));
        c->cap_inv = cap;
    }
    fl_ssm_invocation *v = &c->inv[c->n_inv++];
    *v = (fl_ssm_invocation){.response_code = -1, .first_seen_us = now};
    snprintf(v->instance_id, sizeof(v->instance_id), "%s", id);
    return v;
}

static void set_status(fl_ssm_invocation *v, const char *st, int64_t now) {
    snprintf(v->status, sizeof(v->status), "%s", st);
    if (!v->running_us && strcmp(st, "Pending") != 0 && strcmp(st, "Delayed") != 0)
        v->running_us = now;
    if (!v->ended_us && fl_ssm_status_terminal(st))
        v->ended_us = now;
}

int fl_ssm_command_poll(fl_ssm_command *c, fl_error *err) {
    fl_error_clear(err);
    bool all_final = true;
    char next[1024] = "";
    for (int page = 0; page < 100; page++) { /* every page (NextToken) */
        json_t *resp;
        json_t *body = json_pack("{s:s, s:b}", "CommandId", c->id, "Details", 0);
        if (next[0])
            json_object_set_new(body, "NextToken", json_string(next));
        int rc = fl_ssm_call(&c->cfg, "ListCommandInvocations", body, &resp, err);
        json_decref(body);
        if (rc != 200)
            return -1;
        int64_t now = fl_mono_us();
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(resp, "CommandInvocations"), i, item) {
            const char *id = json_string_value(json_object_get(item, "InstanceId"));
            const char *st = json_string_value(json_object_get(item, "Status"));
            if (!id || !st)
                continue;
            if (!fl_ssm_status_terminal(st))
                all_final = false;
            fl_ssm_invocation *v = find_or_add(c, id, now);
            if (v)
                set_status(v, st, now);
        }
        const char *tok = json_string_value(json_object_get(resp, "NextToken"));
        snprintf(next, sizeof(next), "%s", tok ? tok : "");
        json_decref(resp);
        if (!next[0])
            break;
    }
    /* The command is over when its own status is final: with
     * MaxConcurrency, instances receive it in turns, so every listed
     * invocation being final is not enough. */
    json_t *q = json_pack("{s:s}", "CommandId", c->id), *resp;
    int rc = fl_ssm_call(&c->cfg, "ListCommands", q, &resp, err);
    json_decref(q);
    if (rc != 200)
        return -1;
    json_t *cmd = json_array_get(json_object_get(resp, "Commands"), 0);
    const char *cst = json_string_value(json_object_get(cmd, "Status"));
    if (cst)
        snprintf(c->status, sizeof(c->status), "%s", cst);
    size_t n = 0, i;
    json_t *alarm;
    json_t *alarms = json_object_get(cmd, "TriggeredAlarms");
    json_array_foreach(alarms, i, alarm) {
        const char *name = json_string_value(json_object_get(alarm, "Name"));
        n += name ? strlen(name) + 1 : 0;
    }
    char *joined = fl_xmalloc(n + 1);
    joined[0] = '\0';
    json_array_foreach(alarms, i, alarm) {
        const char *name = json_string_value(json_object_get(alarm, "Name"));
        if (name) {
            if (joined[0])
                strcat(joined, ",");
            strcat(joined, name);
        }
    }
    free(c->alarms);
    c->alarms = joined;
    bool over = cst && fl_ssm_status_terminal(cst) && all_final;
    json_decref(resp); /* cst points into it */
    return over ? 1 : 0;
}

int fl_ssm_command_details(fl_ssm_command *c, fl_error *err) {
    fl_error_clear(err);
    int result = 0;
    fl_error e;
    for (size_t k = 0; k < c->n_inv; k++) {
        fl_ssm_invocation *v = &c->inv[k];
        json_t *q = json_pack("{s:s, s:s}", "CommandId", c->id, "InstanceId", v->instance_id), *resp;
        int rc = fl_ssm_call(&c->cfg, "GetCommandInvocation", q, &resp, &e);
        json_decref(q);
        if (rc != 200) {
            result = -1;
            if (err)
                *err = e;
            continue;
        }
        const char *st = json_string_value(json_object_get(resp, "Status"));
        if (st)
            set_status(v, st, fl_mono_us());
        json_t *code = json_object_get(resp, "ResponseCode");
        v->response_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
        const char *out = json_string_value(json_object_get(resp, "StandardOutputContent"));
        const char *eout = json_string_value(json_object_get(resp, "StandardErrorContent"));
        free(v->output);
        free(v->error_output);
        v->output = out ? fl_xstrdup(out) : NULL;
        v->error_output = eout ? fl_xstrdup(eout) : NULL;
        v->have_details = true;
        json_decref(resp);
    }
    return result;
}

int fl_ssm_command_cancel(fl_ssm_command *c, fl_error *err) {
    fl_error_clear(err);
    fl_error e1 = {0}, e2 = {0};
    json_t *resp;
    json_t *cancel = json_pack("{s:s}", "CommandId", c->id);
    bool cancelled = fl_ssm_call(&c->cfg, "CancelCommand", cancel, &resp, &e1) == 200;
    json_decref(cancel);
    if (cancelled)
        json_decref(resp);
    /* Then every targeted instance is asked to stop its faults, for
     * instances where cancelling comes too late or does not reach the
     * process. Each instance's faultline would roll back on its own at the
     * end of --duration anyway. */
    if (!c->fault_tag[0]) {
        if (cancelled)
            return 0;
        if (err)
            *err = e1;
        return -1;
    }
    json_t *stop = json_object();
    if (c->targets)
        json_object_set(stop, "Targets", c->targets);
    if (c->instance_ids)
        json_object_set(stop, "InstanceIds", c->instance_ids);
    json_object_set_new(stop, "DocumentName", json_string("AWS-RunShellScript"));
    /* Only the faults this command started (its tag); an instant kind holds
     * nothing, and a document of our own kind without the tag cannot be
     * told apart: nothing then but the cancel. */
    char line[96];
    snprintf(line, sizeof(line), "faultline stop --tag %s", c->fault_tag);
    json_object_set_new(stop, "Comment", json_string(line));
    json_object_set_new(stop, "Parameters", json_pack("{s:[s]}", "commands", line));
    json_object_set_new(stop, "MaxConcurrency", json_string("100%"));
    json_object_set_new(stop, "MaxErrors", json_string("100%"));
    json_object_set_new(stop, "TimeoutSeconds", json_integer(60));
    bool stopped = fl_ssm_call(&c->cfg, "SendCommand", stop, &resp, &e2) == 200;
    json_decref(stop);
    if (stopped) {
        const char *id = json_string_value(json_object_get(json_object_get(resp, "Command"), "CommandId"));
        snprintf(c->stop_id, sizeof(c->stop_id), "%s", id ? id : "");
        json_decref(resp);
    }
    if (cancelled && stopped)
        return 0;
    if (!cancelled && !stopped)
        return fl_fail(err, FL_EAPPLY, "ssm", "%s; %s", e1.message, e2.message);
    if (err)
        *err = cancelled ? e2 : e1;
    return -1;
}

void fl_ssm_command_free(fl_ssm_command *c) {
    if (!c)
        return;
    for (size_t k = 0; k < c->n_inv; k++) {
        free(c->inv[k].output);
        free(c->inv[k].error_output);
    }
    free(c->inv);
    free(c->alarms);
    json_decref(c->targets);
    json_decref(c->instance_ids);
    free(c);
}
