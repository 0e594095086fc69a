/* A step's fault on instances reached through AWS Systems Manager: one
 * SendCommand of the kind's document (validated when the file was parsed),
 * polled at the target's interval. The fault counts as applied once the
 * command runs on the instances SSM has released to it; the step's end (or
 * an abort) sends CancelCommand and `faultline stop --tag T` (the faults this
 * command started, and no other), and faultline on each instance ends the
 * fault at DurationSeconds whatever happens to the command. SSM's AlarmConfiguration stopping the command is a stop
 * condition of the experiment. */
#include "core/internal.h"
#include "experiment/steps/step.h"
#include "fleet/fleet.h"
#include "fleet/ssm.h"

#include <stdlib.h>
#include <string.h>

typedef struct ssm_fault {
    const step_def *st;
    fl_ssm_command *cmd;
    fl_ssm_config cfg;
    int64_t poll_us, last_poll_us;
    bool over, cancelled;
    char poll_error[300];
} ssm_fault;

static void maybe_poll(ssm_fault *sf) {
    int64_t now = fl_mono_us();
    if (sf->over || now - sf->last_poll_us < sf->poll_us)
        return;
    sf->last_poll_us = now;
    fl_error e;
    int rc = fl_ssm_command_poll(sf->cmd, &e);
    if (rc < 0) /* polled again at the next interval */
        snprintf(sf->poll_error, sizeof(sf->poll_error), "%s", e.message);
    else if (rc == 1)
        sf->over = true;
}

int remote_ssm_config(const target_def *t, fl_ssm_config *cfg, fl_error *err) {
    memset(cfg, 0, sizeof(*cfg));
    if ((t->ssm_region && fl_ssm_config_option(cfg, "region", t->ssm_region, err) != 0) ||
        (t->ssm_profile && fl_ssm_config_option(cfg, "profile", t->ssm_profile, err) != 0) ||
        (t->ssm_endpoint && fl_ssm_config_option(cfg, "endpoint-url", t->ssm_endpoint, err) != 0))
        return -1;
    return fl_ssm_config_load(cfg, err);
}

static void *ssm_create(const step_def *st, uint64_t seed, fl_error *err) {
    (void)err,
        (void)seed; /* nothing can fail before it starts; SSM selects the instances itself (tags, MaxConcurrency) */
    ssm_fault *sf = fl_xcalloc(1, sizeof(*sf));
    sf->st = st;
    sf->poll_us = st->target->ssm_poll_us;
    return sf;
}

static int ssm_start(void *self, fl_error *err) {
    ssm_fault *sf = self;
    if (remote_ssm_config(sf->st->target, &sf->cfg, err) != 0 ||
        !(sf->cmd = fl_ssm_command_send(&sf->cfg, sf->st->ssm, err)))
        return -1;
    sf->last_poll_us = fl_mono_us();
    return 0;
}

static bool ran(const fl_ssm_invocation *v) {
    return v->running_us > 0 || strcmp(v->status, "InProgress") == 0 || strcmp(v->status, "Success") == 0;
}

static void ssm_summary(ssm_fault *sf, char *buf, size_t len);

/* 0 while the invocations wait; 1 once running (or over with some that
 * ran); -1 when over without any. */
static int invocations_applied(ssm_fault *sf, char *why, size_t len) {
    maybe_poll(sf);
    const fl_ssm_invocation *inv;
    size_t n = fl_ssm_command_invocations(sf->cmd, &inv), running = 0, waiting = 0, failed = 0;
    why[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (ran(&inv[i]))
            running++;
        else if (fl_ssm_status_terminal(inv[i].status)) {
            failed++;
            size_t used = strlen(why);
            snprintf(why + used, len - used, "%s%s: %s", used ? "; " : "", inv[i].instance_id, inv[i].status);
        } else {
            waiting++;
        }
    }
    if (running > 0 && waiting == 0)
        return 1;
    if (sf->over) {
        char detail[600];
        snprintf(detail, sizeof(detail), "%s", why);
        snprintf(why, len, "SSM command %s ended %s on %zu instance(s)%s%s", fl_ssm_command_id(sf->cmd),
                 fl_ssm_command_status(sf->cmd), n, detail[0] ? ": " : "", detail);
        return running ? 1 : -1;
    }
    return 0;
}

static int ssm_applied(void *self, step_outcome *out) {
    ssm_fault *sf = self;
    char why[1500] = "";
    int a = invocations_applied(sf, why, sizeof(why));
    if (a < 0)
        snprintf(out->error, sizeof(out->error), "%s", why);
    if (a != 1)
        return a;
    char summary[700];
    ssm_summary(sf, summary, sizeof(summary));
    if (why[0])
        snprintf(summary + strlen(summary), sizeof(summary) - strlen(summary), "; %s", why);
    out->applied_text = fl_xstrdup(summary);
    return 1;
}

static int ssm_ended(void *self, char *why, size_t len) {
    ssm_fault *sf = self;
    if (!sf->cmd)
        return 1;
    maybe_poll(sf);
    if (!sf->over)
        return 0;
    const char *alarms = fl_ssm_command_triggered_alarms(sf->cmd);
    if (alarms && *alarms) {
        snprintf(why, len, "SSM alarm %s stopped command %s (%s)", alarms, fl_ssm_command_id(sf->cmd),
                 fl_ssm_command_status(sf->cmd));
        return 2;
    }
    return 1;
}

static int ssm_stop(void *self, char *why, size_t len) {
    ssm_fault *sf = self;
    if (!sf->cmd) /* never sent */
        return 1;
    fl_error e;
    int rc = 0;
    sf->last_poll_us = 0;
    maybe_poll(sf);
    if (!sf->over) {
        sf->cancelled = true;
        if (fl_ssm_command_cancel(sf->cmd, &e) != 0) {
            snprintf(why, len, "%s; faultline on each instance still ends the fault at DurationSeconds", e.message);
            rc = -1;
        }
        sf->last_poll_us = 0;
        maybe_poll(sf);
    }
    fl_ssm_command_details(sf->cmd, &e); /* best effort: exit codes and output for the report */
    return rc;
}

static void ssm_summary(ssm_fault *sf, char *buf, size_t len) {
    const fl_ssm_invocation *inv;
    size_t n = fl_ssm_command_invocations(sf->cmd, &inv), running = 0;
    char names[500] = "";
    for (size_t i = 0; i < n; i++)
        if (ran(&inv[i])) {
            running++;
            snprintf(names + strlen(names), sizeof(names) - strlen(names), " %s", inv[i].instance_id);
        }
    snprintf(buf, len, "on %zu of %zu instance(s) through SSM command %s:%s", running, n, fl_ssm_command_id(sf->cmd),
             names);
}

static json_t *ssm_targets_json(ssm_fault *sf) {
    json_t *body = fl_ssm_request_body(sf->st->ssm);
    json_t *t = json_pack("{s:s, s:s, s:s, s:s}", "kind", "ssm", "region", sf->cfg.region, "document",
                          fl_ssm_request_document(sf->st->ssm), "command_id", fl_ssm_command_id(sf->cmd));
    static const char *const copy[] = {"Targets", "InstanceIds", "MaxConcurrency", "MaxErrors", "AlarmConfiguration"};
    static const char *const as[] = {"tags", "instance_ids", "max_concurrency", "max_errors", "alarm"};
    for (size_t i = 0; i < FL_ARRAY_LEN(copy); i++) {
        json_t *v = json_object_get(body, copy[i]);
        if (v)
            json_object_set(t, as[i], v);
    }
    const char *tag = fl_ssm_command_fault_tag(sf->cmd);
    if (tag && *tag)
        json_object_set_new(t, "fault_tag", json_string(tag));
    const char *stop_id = fl_ssm_command_stop_id(sf->cmd);
    if (stop_id && *stop_id)
        json_object_set_new(t, "stop_command_id", json_string(stop_id));
    json_object_set_new(t, "cancelled", json_boolean(sf->cancelled));
    json_object_set_new(t, "status", json_string(fl_ssm_command_status(sf->cmd)));
    const char *alarms = fl_ssm_command_triggered_alarms(sf->cmd);
    if (alarms && *alarms)
        json_object_set_new(t, "triggered_alarms", json_string(alarms));
    json_decref(body);
    return t;
}

static json_t *excerpt(const char *text) {
    if (!text || !*text)
        return json_null();
    size_t n = strlen(text);
    return n > 2000 ? json_stringn(text + n - 2000, 2000) : json_string(text);
}

static json_t *ssm_hosts_json(ssm_fault *sf, int64_t t0) {
    const fl_ssm_invocation *inv;
    size_t n = fl_ssm_command_invocations(sf->cmd, &inv);
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        const fl_ssm_invocation *v = &inv[i];
        json_t *row =
            json_pack("{s:s, s:s, s:s}", "name", v->instance_id, "address", v->instance_id, "result", v->status);
        json_object_set_new(row, "applied_ms", v->running_us ? json_integer((v->running_us - t0) / 1000) : json_null());
        json_object_set_new(row, "ended_ms", v->ended_us ? json_integer((v->ended_us - t0) / 1000) : json_null());
        json_object_set_new(row, "exit_code", json_integer(v->response_code));
        json_object_set_new(row, "output", excerpt(v->output));
        if (v->error_output && *v->error_output)
            json_object_set_new(row, "error", excerpt(v->error_output));
        json_array_append_new(rows, row);
    }
    return rows;
}

static void ssm_describe(void *self, json_t *fault, int64_t t0_mono_us) {
    ssm_fault *sf = self;
    if (!sf->cmd) {
        json_object_set_new(fault, "targets", json_pack("{s:s}", "kind", "ssm"));
        return;
    }
    json_object_set_new(fault, "targets", ssm_targets_json(sf));
    json_object_set_new(fault, "hosts", ssm_hosts_json(sf, t0_mono_us));
}

static void ssm_free(void *self) {
    ssm_fault *sf = self;
    fl_ssm_command_free(sf->cmd);
    free(sf);
}

const step_ops step_ssm_ops = {.starting = "through SSM",
                               .create = ssm_create,
                               .start = ssm_start,
                               .applied = ssm_applied,
                               .verified = step_verified_by_hosts,
                               .ended = ssm_ended,
                               .stop = ssm_stop,
                               .describe = ssm_describe,
                               .free = ssm_free};
