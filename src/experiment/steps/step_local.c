/* A step's fault on this host. fl_fault_start returns once the fault is
 * applied and the library has verified it, which for a latency fault takes
 * one delayed round trip (2 s for 2 s of delay), and the experiment then
 * measures it again from outside. Both happen in a thread of the step's
 * own, so the runner goes on reading the load and watching stop conditions
 * meanwhile; the step records when it was applied and when verified.
 *
 * The outside check: for a network fault aimed at one host and port that a
 * TCP connect can see (fl_attack_info.observe), the connect time to it,
 * measured before the run (create) and while the fault is on. A latency
 * fault must add at least half its delay; a cut must make the connect
 * fail. */
#include "core/internal.h"
#include "experiment/steps/step.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One fault applied at a time in this process: each supervisor is forked
 * with the caller's open descriptors, and two forks at once would hand each
 * other's report pipe to the other supervisor. */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct local_step {
    const step_def *st;
    int64_t baseline_us; /* TCP connect time before the run; -1: not measured */
    char baseline_why[128];
    pthread_t thread;
    bool thread_running;
    pthread_mutex_t lock;
    bool applied;     /* fl_fault_start returned: fault or err is set */
    bool done;        /* the thread finished: the outcome is set */
    fl_fault *fault;  /* NULL when it failed */
    fl_error err;     /* why it failed */
    step_outcome out; /* when applied */
    bool stop_wanted; /* stop() was called while applying: skip the outside check */
    bool stopped;
    bool has_engine;             /* a network fault with a packet engine */
    fl_engine_counters counters; /* its counters, read when it was stopped */
} local_step;

static int64_t median3(int64_t a, int64_t b, int64_t c) {
    if (a > b) {
        int64_t t = a;
        a = b;
        b = t;
    }
    if (b > c)
        b = c;
    return a > b ? a : b;
}

static void *local_create(const step_def *st, uint64_t seed, fl_error *err) {
    (void)seed, (void)err; /* preparing a local step cannot fail */
    local_step *ls = fl_xcalloc(1, sizeof(*ls));
    ls->st = st;
    ls->baseline_us = -1;
    pthread_mutex_init(&ls->lock, NULL);
    if (st->observe == FL_OBSERVE_NONE || !st->verify_host)
        return ls;
    int64_t t[3];
    for (int k = 0; k < 3; k++) {
        t[k] = tcp_connect_time(st->verify_host, st->verify_port, 1000000, ls->baseline_why, sizeof(ls->baseline_why));
        if (t[k] < 0)
            return ls;
    }
    ls->baseline_us = median3(t[0], t[1], t[2]);
    return ls;
}

/* The outside check, appended to what the library verified. */
static void check_from_outside(local_step *ls) {
    const step_def *st = ls->st;
    step_outcome *o = &ls->out;
    const char *lib = fl_fault_verified(ls->fault);
    o->verified = true;
    snprintf(o->verification, sizeof(o->verification), "%s", lib && *lib ? lib : "applied");
    bool delay = st->observe == FL_OBSERVE_DELAY && st->verify_delay_us > 0;
    if (!st->verify_host || !(delay || st->observe == FL_OBSERVE_CUT))
        return;
    size_t used = strlen(o->verification);
    if (ls->baseline_us < 0) {
        snprintf(o->verification + used, sizeof(o->verification) - used,
                 "; TCP connect to %s:%d not measured (before the fault: %s)", st->verify_host, st->verify_port,
                 ls->baseline_why);
        return;
    }
    char base[64], why[128] = "", measured[256];
    snprintf(base, sizeof(base), "%.2f ms", (double)ls->baseline_us / 1000);
    int64_t timeout = delay ? 2 * st->verify_delay_us + 1000000 : 1000000;
    int64_t during = tcp_connect_time(st->verify_host, st->verify_port, timeout, why, sizeof(why));
    if (delay) {
        o->verified = during >= 0 && during - ls->baseline_us >= st->verify_delay_us / 2;
        if (during >= 0)
            snprintf(measured, sizeof(measured), "TCP connect to %s:%d: %s before, %.2f ms during", st->verify_host,
                     st->verify_port, base, (double)during / 1000);
        else
            snprintf(measured, sizeof(measured), "TCP connect to %s:%d: %s before, failed during (%s)", st->verify_host,
                     st->verify_port, base, why);
    } else {
        o->verified = during < 0;
        snprintf(measured, sizeof(measured), "TCP connect to %s:%d: %s before, %s during", st->verify_host,
                 st->verify_port, base, during < 0 ? why : "still connects");
    }
    snprintf(o->verification, sizeof(o->verification), "%s; %s", lib && *lib ? lib : "applied", measured);
    if (!o->verified)
        snprintf(o->error, sizeof(o->error), "the fault was applied but had no measurable effect: %s", measured);
}

static void *apply_main(void *arg) {
    local_step *ls = arg;
    fl_error err;
    pthread_mutex_lock(&start_lock);
    fl_fault *fault = fl_fault_start(ls->st->spec, 0, &err);
    pthread_mutex_unlock(&start_lock);
    pthread_mutex_lock(&ls->lock);
    ls->fault = fault;
    if (fault)
        ls->out.applied_text = fl_xstrdup(fl_fault_applied(fault));
    else
        ls->err = err;
    ls->applied = true;
    bool check = fault && !ls->stop_wanted;
    pthread_mutex_unlock(&ls->lock);
    if (check)
        check_from_outside(ls); /* only this thread touches the outcome until done */
    pthread_mutex_lock(&ls->lock);
    ls->done = true;
    pthread_mutex_unlock(&ls->lock);
    return NULL;
}

static int local_start(void *self, fl_error *err) {
    local_step *ls = self;
    if (pthread_create(&ls->thread, NULL, apply_main, ls) != 0)
        return fl_fail(err, FL_EAPPLY, "method", "cannot start a thread to apply the fault");
    ls->thread_running = true;
    return 0;
}

static int local_applied(void *self, step_outcome *out) {
    local_step *ls = self;
    pthread_mutex_lock(&ls->lock);
    bool applied = ls->applied;
    if (applied && ls->fault) {
        out->applied_text = ls->out.applied_text;
        ls->out.applied_text = NULL; /* handed over */
    }
    pthread_mutex_unlock(&ls->lock);
    if (!applied)
        return 0;
    if (!ls->fault) {
        snprintf(out->error, sizeof(out->error), "%s", ls->err.message);
        return -1;
    }
    return 1;
}

static int local_verified(void *self, step_outcome *out) {
    local_step *ls = self;
    pthread_mutex_lock(&ls->lock);
    bool done = ls->done;
    pthread_mutex_unlock(&ls->lock);
    if (!done)
        return 0;
    if (ls->thread_running) {
        pthread_join(ls->thread, NULL);
        ls->thread_running = false;
    }
    out->verified = ls->out.verified;
    snprintf(out->verification, sizeof(out->verification), "%s", ls->out.verification);
    snprintf(out->error, sizeof(out->error), "%s", ls->out.error);
    return 1;
}

static int local_ended(void *self, char *why, size_t len) {
    local_step *ls = self;
    (void)why, (void)len;
    if (!ls->fault || ls->stopped)
        return 1;
    fl_error e;
    return fl_fault_wait(ls->fault, 0, &e) == 1 ? 1 : 0;
}

static int local_stop(void *self, char *why, size_t len) {
    local_step *ls = self;
    if (ls->thread_running) { /* still applying: rolled back as soon as fl_fault_start returns */
        pthread_mutex_lock(&ls->lock);
        ls->stop_wanted = true;
        pthread_mutex_unlock(&ls->lock);
        pthread_join(ls->thread, NULL);
        ls->thread_running = false;
    }
    if (!ls->fault)
        return 1;
    if (ls->stopped)
        return 0;
    ls->stopped = true;
    fl_error e;
    int rc = 0;
    if (fl_fault_stop(ls->fault, &e) != 0) {
        snprintf(why, len, "%s", e.message);
        rc = -1;
    }
    /* The engine's last numbers stay readable after the stop. */
    ls->has_engine = fl_fault_engine_stats(ls->fault, &ls->counters, &e) == 1;
    return rc;
}

static int local_degraded(void *self, char *why, size_t len) {
    local_step *ls = self;
    if (!ls->has_engine || !ls->counters.degraded)
        return 0;
    snprintf(why, len, "%s", ls->counters.reason);
    return 1;
}

static void local_describe(void *self, json_t *fault, int64_t t0_mono_us) {
    local_step *ls = self;
    (void)t0_mono_us;
    if (ls->fault)
        json_object_set_new(fault, "id", json_string(fl_fault_id(ls->fault)));
    json_object_set_new(fault, "targets", json_pack("{s:s}", "kind", "local"));
    char *engine = ls->has_engine ? fl_engine_counters_json(&ls->counters) : NULL;
    json_t *counters = engine ? json_loads(engine, 0, NULL) : NULL;
    free(engine);
    json_object_set_new(fault, "engine", counters ? counters : json_null());
    json_object_set_new(fault, "degraded", json_boolean(ls->has_engine && ls->counters.degraded));
}

static void local_free(void *self) {
    local_step *ls = self;
    char why[8];
    local_stop(ls, why, sizeof(why));
    fl_fault_free(ls->fault);
    free(ls->out.applied_text);
    pthread_mutex_destroy(&ls->lock);
    free(ls);
}

const step_ops step_local_ops = {.create = local_create,
                                 .start = local_start,
                                 .applied = local_applied,
                                 .verified = local_verified,
                                 .ended = local_ended,
                                 .stop = local_stop,
                                 .degraded = local_degraded,
                                 .describe = local_describe,
                                 .free = local_free};
