/* The SSM SendCommand library API (src/fleet/ssm_command.c), as the
 * experiment runner uses it: request validation and body, then send, poll,
 * details, triggered alarms and cancel against the fake endpoint
 * (listener.py, started here on 127.0.0.1). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "fleet/ssm.h"

#define PY "/usr/bin/python3"

/* ---- the fake endpoint ---- */
typedef struct listener {
    pid_t pid;
    char dir[64], log[128];
    int port;
} listener;

/* Starts listener.py (polls, mode "" or "fail"); faults/alarm go to its
 * environment (FL_SSM_FAULTS, FL_SSM_ALARM). */
static void listener_start(listener *l, const char *polls, const char *mode, const char *faults, const char *alarm) {
    snprintf(l->dir, sizeof(l->dir), "/tmp/fl-ssm-api.XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    char portfile[128];
    snprintf(portfile, sizeof(portfile), "%s/port", l->dir);
    snprintf(l->log, sizeof(l->log), "%s/log", l->dir);
    l->pid = fork();
    assert_true(l->pid >= 0);
    if (l->pid == 0) {
        if (faults)
            setenv("FL_SSM_FAULTS", faults, 1);
        if (alarm)
            setenv("FL_SSM_ALARM", alarm, 1);
        execl(PY, "python3", FL_SSM_LISTENER, portfile, l->log, polls, mode, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            int ok = fscanf(f, "%d", &l->port);
            fclose(f);
            if (ok == 1)
                return;
        }
        struct timespec ts = {0, 25 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("listener.py did not start");
}

static void listener_stop(listener *l) {
    if (l->pid > 0) {
        kill(l->pid, SIGTERM);
        waitpid(l->pid, NULL, 0);
    }
    char path[160];
    snprintf(path, sizeof(path), "%s/port", l->dir);
    unlink(path);
    unlink(l->log);
    rmdir(l->dir);
}

/* Requests of an operation in the log (optionally containing `needle`). */
static int logged(const listener *l, const char *op, const char *needle) {
    FILE *f = fopen(l->log, "r");
    if (!f)
        return 0;
    char target[128], line[65536];
    snprintf(target, sizeof(target), "\"target\": \"AmazonSSM.%s\"", op);
    int n = 0;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, target) && (!needle || strstr(line, needle)))
            n++;
    fclose(f);
    return n;
}

static void config_for(fl_ssm_config *cfg, const listener *l) {
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->region, sizeof(cfg->region), "eu-west-1");
    snprintf(cfg->endpoint, sizeof(cfg->endpoint), "http://127.0.0.1:%d/", l->port);
    snprintf(cfg->access_key, sizeof(cfg->access_key), "AKIDEXAMPLE");
    snprintf(cfg->secret_key, sizeof(cfg->secret_key), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
}

/* ---- requests ---- */
static fl_ssm_request *latency_request(void) {
    fl_error err;
    fl_ssm_request *r = fl_ssm_request_new("latency", &err);
    assert_non_null(r);
    assert_int_equal(fl_ssm_request_param(r, "host", "10.0.0.5", &err), 0);
    assert_int_equal(fl_ssm_request_param(r, "host", "redis.internal", &err), 0);
    assert_int_equal(fl_ssm_request_param(r, "port", "6379", &err), 0);
    assert_int_equal(fl_ssm_request_param(r, "delay", "2s", &err), 0);
    assert_int_equal(fl_ssm_request_param(r, "include-controller", NULL, &err), 0);
    assert_int_equal(fl_ssm_request_param(r, "duration", "5m", &err), 0);
    assert_int_equal(fl_ssm_request_option(r, "tag", "service=api", &err), 0);
    assert_int_equal(fl_ssm_request_option(r, "max-concurrency", "50%", &err), 0);
    assert_int_equal(fl_ssm_request_option(r, "alarm", "api-5xx", &err), 0);
    return r;
}

static void request_body(void **state) {
    (void)state;
    fl_error err;
    fl_ssm_request *r = latency_request();
    assert_int_equal(fl_ssm_request_finish(r, &err), 0);
    assert_string_equal(fl_ssm_request_document(r), "faultline-latency");
    assert_true(fl_ssm_request_by_tags(r));
    assert_int_equal(fl_ssm_request_duration_s(r), 300);
    json_t *b = fl_ssm_request_body(r);
    json_t *p = json_object_get(b, "Parameters");
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "Host"), 0)), "10.0.0.5,redis.internal");
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "DurationSeconds"), 0)), "300");
    assert_true(fl_tag_valid(json_string_value(json_array_get(json_object_get(p, "FaultlineTag"), 0))));
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "IncludeController"), 0)), "true");
    assert_string_equal(json_string_value(json_object_get(b, "DocumentName")), "faultline-latency");
    assert_string_equal(json_string_value(json_object_get(b, "MaxConcurrency")), "50%");
    assert_string_equal(json_string_value(json_object_get(b, "MaxErrors")), "0");
    assert_int_equal(json_integer_value(json_object_get(b, "TimeoutSeconds")), 600);
    json_t *t = json_array_get(json_object_get(b, "Targets"), 0);
    assert_string_equal(json_string_value(json_object_get(t, "Key")), "tag:service");
    assert_string_equal(json_string_value(json_array_get(json_object_get(t, "Values"), 0)), "api");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(b, "AlarmConfiguration"), "Alarms"), 0), "Name")),
        "api-5xx");
    assert_null(json_object_get(b, "InstanceIds"));
    json_decref(b);
    assert_int_equal(fl_ssm_request_option(r, "document-name", "my-latency", &err), 0);
    assert_string_equal(fl_ssm_request_document(r), "my-latency");
    fl_ssm_request_free(r);

    /* an instant kind: no DurationSeconds; instance ids */
    r = fl_ssm_request_new("process-kill", &err);
    assert_int_equal(fl_ssm_request_param(r, "name", "nginx", &err), 0);
    assert_int_equal(fl_ssm_request_option(r, "instance-ids", "i-0123456789abcdef0,i-0fedcba9876543210", &err), 0);
    assert_int_equal(fl_ssm_request_finish(r, &err), 0);
    assert_false(fl_ssm_request_by_tags(r));
    assert_int_equal(fl_ssm_request_duration_s(r), 0);
    b = fl_ssm_request_body(r);
    assert_null(json_object_get(json_object_get(b, "Parameters"), "DurationSeconds"));
    assert_int_equal(json_array_size(json_object_get(b, "InstanceIds")), 2);
    assert_null(json_object_get(b, "Targets"));
    json_decref(b);
    fl_ssm_request_free(r);
}

static void request_errors(void **state) {
    (void)state;
    fl_error err;
    assert_null(fl_ssm_request_new("nope", &err));
    assert_int_equal(err.code, FL_EINVAL);
    assert_string_equal(err.field, "kind");

    fl_ssm_request *r = fl_ssm_request_new("latency", &err);
    static const struct {
        const char *name, *value, *field, *says;
    } params[] = {
        {"host", "a;reboot", "host", "allowedPattern"},
        {"host", "$(id)", "host", "host: "},
        {"delay", "2", "delay", "delay: "},
        {"nope", "1", "nope", "no such parameter"},
        {"cgroup", "/sys/fs/cgroup", "cgroup", "cgroup: "},
        {"delay", NULL, "delay", "needs a value"},
        {"duration", "1x", "duration", "duration: "},
    };
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        assert_int_equal(fl_ssm_request_param(r, params[i].name, params[i].value, &err), -1);
        assert_int_equal(err.code, FL_EINVAL);
        assert_string_equal(err.field, params[i].field);
        assert_non_null(strstr(err.message, params[i].says));
    }
    static const struct {
        const char *name, *value;
    } opts[] = {
        {"tag", "a;b"},           {"tag", "novalue"},     {"instance-ids", "i-123;reboot"},
        {"max-concurrency", "0"}, {"max-errors", "101%"}, {"alarm", "x y"},
        {"log-group", "a b"},     {"timeout", "29"},      {"timeout", "2592001"},
        {"document-name", "x;y"}, {"bogus", "1"},
    };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        assert_int_equal(fl_ssm_request_option(r, opts[i].name, opts[i].value, &err), -1);
        assert_int_equal(err.code, FL_EINVAL);
        assert_string_equal(err.field, opts[i].name);
        assert_non_null(strstr(err.message, opts[i].name));
    }
    fl_ssm_request_free(r);

    /* finish: required parameter, duration, targets */
    r = fl_ssm_request_new("latency", &err);
    assert_int_equal(fl_ssm_request_finish(r, &err), -1);
    assert_string_equal(err.field, "delay");
    assert_int_equal(fl_ssm_request_param(r, "delay", "1s", &err), 0);
    assert_int_equal(fl_ssm_request_finish(r, &err), -1);
    assert_string_equal(err.field, "duration");
    assert_int_equal(fl_ssm_request_param(r, "duration", "1500ms", &err), 0); /* faultline takes it; SSM cannot */
    assert_int_equal(fl_ssm_request_finish(r, &err), -1);
    assert_string_equal(err.field, "duration");
    assert_non_null(strstr(err.message, "whole seconds"));
    fl_ssm_request_free(r);
    r = fl_ssm_request_new("cpu", &err);
    assert_int_equal(fl_ssm_request_param(r, "duration", "13h", &err), -1); /* faultline's own maximum */
    assert_string_equal(err.field, "duration");
    fl_ssm_request_free(r);
    r = fl_ssm_request_new("cpu", &err);
    assert_int_equal(fl_ssm_request_param(r, "duration", "1m", &err), 0);
    assert_int_equal(fl_ssm_request_finish(r, &err), -1);
    assert_string_equal(err.field, "targets");
    assert_int_equal(fl_ssm_request_option(r, "tag", "a=b", &err), 0);
    assert_int_equal(fl_ssm_request_option(r, "instance-ids", "i-0123456789abcdef0", &err), 0);
    assert_int_equal(fl_ssm_request_finish(r, &err), -1);
    assert_string_equal(err.field, "targets");
    assert_non_null(strstr(err.message, "exclusive"));
    fl_ssm_request_free(r);
    r = fl_ssm_request_new("process-kill", &err);
    assert_int_equal(fl_ssm_request_param(r, "duration", "1m", &err), -1); /* instant */
    assert_string_equal(err.field, "duration");
    fl_ssm_request_free(r);

    /* configuration options */
    fl_ssm_config cfg = {0};
    assert_int_equal(fl_ssm_config_option(&cfg, "region", "eu-west-1", &err), 0);
    assert_string_equal(cfg.region, "eu-west-1");
    assert_int_equal(fl_ssm_config_option(&cfg, "region", "eu west", &err), -1);
    assert_string_equal(err.field, "region");
    assert_int_equal(fl_ssm_config_option(&cfg, "profile", "x!", &err), -1);
    assert_string_equal(err.field, "profile");
    assert_int_equal(fl_ssm_config_option(&cfg, "endpoint-url", "ftp://x", &err), -1);
    assert_string_equal(err.field, "endpoint-url");
    assert_int_equal(fl_ssm_config_option(&cfg, "endpoint-url", "http://127.0.0.1:1/", &err), 0);
    assert_int_equal(fl_ssm_config_option(&cfg, "color", "red", &err), -1);
    assert_int_equal(err.code, FL_EINVAL);
}

/* ---- commands ---- */
/* Starts a listener (polls, mode, faults, alarm: see listener.py) and sends
 * the latency request to it; the request is freed, the command kept. */
static fl_ssm_command *send_latency(listener *l, const char *polls, const char *mode, const char *faults,
                                    const char *alarm) {
    listener_start(l, polls, mode, faults, alarm);
    fl_ssm_config cfg;
    config_for(&cfg, l);
    fl_error err;
    fl_ssm_request *r = latency_request();
    fl_ssm_command *c = fl_ssm_command_send(&cfg, r, &err);
    fl_ssm_request_free(r);
    assert_non_null(c);
    return c;
}

static void send_poll_details(void **state) {
    (void)state;
    listener l;
    listener_start(&l, "1", "", "ListCommandInvocations:2:400:ThrottlingException", "api-5xx");
    fl_ssm_config cfg;
    config_for(&cfg, &l);
    fl_error err;
    fl_ssm_request *r = latency_request(); /* not finished: send finishes it */
    fl_ssm_command *c = fl_ssm_command_send(&cfg, r, &err);
    assert_non_null(c);
    fl_ssm_request_free(r); /* the command keeps what it needs */
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(strlen(fl_ssm_command_id(c)), 36);
    assert_string_equal(fl_ssm_command_status(c), "");
    assert_string_equal(fl_ssm_command_triggered_alarms(c), "");
    const fl_ssm_invocation *inv;
    assert_int_equal(fl_ssm_command_invocations(c, &inv), 0);

    int64_t before = fl_mono_us();
    assert_int_equal(fl_ssm_command_poll(c, &err), 0); /* throttled twice, then InProgress */
    assert_string_equal(fl_ssm_command_status(c), "InProgress");
    assert_int_equal(fl_ssm_command_invocations(c, &inv), 2);
    assert_string_equal(inv[0].instance_id, "i-0123456789abcdef0");
    assert_string_equal(inv[1].instance_id, "i-0fedcba9876543210");
    for (int k = 0; k < 2; k++) {
        assert_string_equal(inv[k].status, "InProgress");
        assert_true(inv[k].first_seen_us >= before);
        assert_true(inv[k].running_us >= inv[k].first_seen_us);
        assert_int_equal(inv[k].ended_us, 0);
        assert_int_equal(inv[k].response_code, -1);
        assert_null(inv[k].output);
        assert_false(inv[k].have_details);
    }
    assert_int_equal(fl_ssm_command_poll(c, &err), 1);
    assert_string_equal(fl_ssm_command_status(c), "Success");
    assert_string_equal(fl_ssm_command_triggered_alarms(c), "api-5xx");
    assert_int_equal(fl_ssm_command_invocations(c, &inv), 2);
    for (int k = 0; k < 2; k++) {
        assert_string_equal(inv[k].status, "Success");
        assert_true(inv[k].ended_us >= inv[k].running_us);
    }
    assert_int_equal(fl_ssm_command_details(c, &err), 0);
    assert_int_equal(fl_ssm_command_invocations(c, &inv), 2);
    for (int k = 0; k < 2; k++) {
        assert_true(inv[k].have_details);
        assert_int_equal(inv[k].response_code, 0);
        assert_string_equal(inv[k].output, "fault ended\n");
        assert_string_equal(inv[k].error_output, "");
    }
    assert_int_equal(logged(&l, "SendCommand", NULL), 1);
    assert_int_equal(logged(&l, "ListCommandInvocations", "\"status\": 400"), 2);
    assert_int_equal(logged(&l, "GetCommandInvocation", NULL), 2);
    fl_ssm_command_free(c);
    listener_stop(&l);
}

static void failing_instance(void **state) {
    (void)state;
    listener l;
    fl_ssm_command *c = send_latency(&l, "1", "fail", NULL, NULL);
    fl_error err;
    int rc;
    for (int i = 0; i < 10 && (rc = fl_ssm_command_poll(c, &err)) == 0; i++)
        ;
    assert_int_equal(rc, 1);
    assert_string_equal(fl_ssm_command_status(c), "Failed");
    const fl_ssm_invocation *inv;
    assert_int_equal(fl_ssm_command_invocations(c, &inv), 2);
    assert_string_equal(inv[0].status, "Success");
    assert_string_equal(inv[1].status, "Failed");
    fl_ssm_command_free(c);
    listener_stop(&l);
}

static void poll_error_then_recovers(void **state) {
    (void)state;
    listener l;
    fl_ssm_command *c = send_latency(&l, "1", "", "ListCommands:5:400:ThrottlingException", NULL);
    fl_error err;
    assert_int_equal(fl_ssm_command_poll(c, &err), -1); /* 5 attempts, all throttled */
    assert_non_null(strstr(err.message, "ThrottlingException"));
    assert_non_null(strstr(err.message, "after 5 attempts"));
    const fl_ssm_invocation *inv;
    assert_int_equal(fl_ssm_command_invocations(c, &inv), 2); /* what was read is kept */
    assert_int_equal(fl_ssm_command_poll(c, &err), 1);
    assert_int_equal(logged(&l, "ListCommands", NULL), 6);
    fl_ssm_command_free(c);
    listener_stop(&l);
}

static void cancel(void **state) {
    (void)state;
    listener l;
    fl_ssm_command *c = send_latency(&l, "0", "", NULL, NULL);
    fl_error err;
    assert_int_equal(fl_ssm_command_poll(c, &err), 0);
    assert_string_equal(fl_ssm_command_stop_id(c), "");
    assert_int_equal(fl_ssm_command_cancel(c, &err), 0);
    assert_int_equal(strlen(fl_ssm_command_stop_id(c)), 36);
    assert_string_not_equal(fl_ssm_command_stop_id(c), fl_ssm_command_id(c));
    assert_int_equal(logged(&l, "CancelCommand", fl_ssm_command_id(c)), 1);
    assert_int_equal(logged(&l, "SendCommand", "AWS-RunShellScript"), 1);
    char stop_line[96];
    snprintf(stop_line, sizeof(stop_line), "faultline stop --tag %s", fl_ssm_command_fault_tag(c));
    assert_int_equal(strlen(fl_ssm_command_fault_tag(c)), 20); /* ssm- and 16 hex digits */
    assert_int_equal(logged(&l, "SendCommand", stop_line), 1); /* this command's faults only */
    assert_int_equal(logged(&l, "SendCommand", "faultline stop --all"), 0);
    assert_int_equal(logged(&l, "SendCommand", fl_ssm_command_fault_tag(c)), 2); /* FaultlineTag, then the stop */
    assert_int_equal(logged(&l, "SendCommand", "tag:service"), 2);               /* the same targets */
    fl_ssm_command_free(c);
    listener_stop(&l);

    /* CancelCommand refused: the stop command is sent all the same */
    c = send_latency(&l, "0", "", "CancelCommand:*:400:InvalidCommandId", NULL);
    assert_int_equal(fl_ssm_command_cancel(c, &err), -1);
    assert_non_null(strstr(err.message, "CancelCommand: HTTP 400 InvalidCommandId"));
    assert_int_equal(strlen(fl_ssm_command_stop_id(c)), 36);
    assert_int_equal(logged(&l, "CancelCommand", NULL), 1); /* not retried */
    assert_int_equal(logged(&l, "SendCommand", "faultline stop --tag ssm-"), 1);
    fl_ssm_command_free(c);
    listener_stop(&l);
}

static void send_errors(void **state) {
    (void)state;
    listener l;
    listener_start(&l, "1", "", "SendCommand:*:400:ValidationException", NULL);
    fl_ssm_config cfg;
    config_for(&cfg, &l);
    fl_error err;
    fl_ssm_request *r = latency_request();
    assert_null(fl_ssm_command_send(&cfg, r, &err));
    assert_int_equal(err.code, FL_EAPPLY);
    assert_non_null(strstr(err.message, "SendCommand: HTTP 400 ValidationException"));
    assert_int_equal(logged(&l, "SendCommand", NULL), 1);
    /* an unfinishable request is refused before anything is sent */
    fl_ssm_request *bad = fl_ssm_request_new("cpu", &err);
    assert_null(fl_ssm_command_send(&cfg, bad, &err));
    assert_int_equal(err.code, FL_EINVAL);
    assert_string_equal(err.field, "duration");
    assert_int_equal(logged(&l, "SendCommand", NULL), 1);
    fl_ssm_request_free(bad);
    fl_ssm_request_free(r);
    listener_stop(&l);
}

int main(void) {
    if (access(PY, X_OK) != 0) {
        printf("python3 missing: listener.py cannot run; skipped\n");
        return 0;
    }
    setenv("FAULTLINE_SSM_RETRY_BASE_MS", "1", 1); /* short waits; the policy is the same */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_body),
        cmocka_unit_test(request_errors),
        cmocka_unit_test(send_poll_details),
        cmocka_unit_test(failing_instance),
        cmocka_unit_test(poll_error_then_recovers),
        cmocka_unit_test(cancel),
        cmocka_unit_test(send_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
