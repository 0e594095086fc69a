/* process-pause: SIGSTOP chosen processes for the duration; SIGCONT is
 * journaled first, so it is sent on rollback, by the guardian if the
 * supervisor dies, or by `faultline recover`. Parity: ChaosBlade `process
 * stop`, Chaos Mesh/chaosd process pause, Pumba pause. */
#include "core/internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const fl_param_spec params[] = {
    FL_PROCESS_TARGET_PARAMS,
};

typedef struct pause_plan {
    fl_proc_target *targets;
    size_t n;
} pause_plan;

static void free_plan(void *data)
{
    pause_plan *p = data;
    if (p)
        free(p->targets);
    free(p);
}

static int validate(fl_spec *spec, fl_error *err)
{
    pause_plan *p = calloc(1, sizeof(*p));
    spec->data = p;
    spec->free_data = free_plan;
    if (fl_select_processes(spec, &p->targets, &p->n, err) != 0)
        return -1;
    for (size_t i = 0; i < p->n; i++)
        fl_spec_claim(spec, "pid:%d:%llu", (int)p->targets[i].pid, p->targets[i].start);
    return 0;
}

static void plan(const fl_spec *spec, fl_plan_cb step, void *user)
{
    const pause_plan *p = spec->data;
    for (size_t i = 0; i < p->n; i++) {
        char op[128], inv[128];
        snprintf(op, sizeof(op), "send SIGSTOP to pid %d (%s)", (int)p->targets[i].pid, p->targets[i].comm);
        snprintf(inv, sizeof(inv), "send SIGCONT to pid %d (%s)", (int)p->targets[i].pid, p->targets[i].comm);
        step(user, op, inv);
    }
}

static int apply(fl_ctx *ctx, fl_error *err)
{
    const pause_plan *p = ctx->spec->data;
    for (size_t i = 0; i < p->n; i++) {
        const fl_proc_target *t = &p->targets[i];
        if (fl_ctx_journal_undo(ctx, fl_undo_signal(t->pid, SIGCONT, t->comm), err) != 0)
            return -1;
        if (!fl_proc_is(t->pid, t->start) || kill(t->pid, SIGSTOP) != 0)
            return fl_fail(err, FL_EAPPLY, "pid", "cannot stop pid %d (%s): gone or not permitted", (int)t->pid,
                           t->comm);
        fl_ctx_applied(ctx, "stopped pid %d (%s)", (int)t->pid, t->comm);
    }
    return 0;
}

static int verify(fl_ctx *ctx, fl_error *err)
{
    const pause_plan *p = ctx->spec->data;
    for (size_t i = 0; i < p->n; i++) {
        char state = 0;
        for (int tries = 0; tries < 100; tries++) {
            state = fl_proc_state(p->targets[i].pid);
            if (state == 'T' || state == 't')
                break;
            fl_sleep_us(10000);
        }
        if (state != 'T' && state != 't')
            return fl_fail(err, FL_EAPPLY, "verify", "pid %d is in state '%c', not stopped", (int)p->targets[i].pid,
                           state ? state : '-');
    }
    snprintf(ctx->verified, sizeof(ctx->verified), "%zu process%s in state T (stopped)", p->n,
             p->n == 1 ? "" : "es");
    return 0;
}

const fl_attack fl_attack_process_pause = {
    .info = {.name = "process-pause",
             .summary = "freeze chosen processes (SIGSTOP) for the duration",
             .details = "Sends SIGSTOP to the processes chosen by --pid, --name and/or --pattern, at most --count. "
                        "Undo: SIGCONT, journaled before each SIGSTOP, so it is sent even after a crash of "
                        "faultline (by the guardian, or by faultline recover).",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "permission to signal the targets"},
    .validate = validate,
    .plan = plan,
    .apply = apply,
    .verify = verify,
};
