/* process-kill: send a signal (SIGTERM by default) to chosen processes, once.
 * Nothing is held and nothing can be undone, so it takes no --duration.
 * Parity: FIS AWSFIS-Run-Kill-Process (ProcessName, Signal), ChaosBlade
 * `process kill --process --process-cmd --count --signal`. */
#include "core/internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const fl_param_spec params[] = {
    FL_PROCESS_TARGET_PARAMS,
    {"signal", FL_PARAM_SIGNAL, 0, "SIGTERM", NULL, NULL, NULL, "signal to send: SIGTERM, SIGKILL, HUP, 9, ..."},
};

typedef struct kill_plan {
    fl_proc_target *targets;
    size_t n;
    int signo;
} kill_plan;

static void free_plan(void *data)
{
    kill_plan *p = data;
    if (p)
        free(p->targets);
    free(p);
}

static int validate(fl_spec *spec, fl_error *err)
{
    kill_plan *p = calloc(1, sizeof(*p));
    p->signo = (int)fl_spec_i64(spec, "signal");
    spec->data = p;
    spec->free_data = free_plan;
    if (p->signo == SIGSTOP || p->signo == SIGCONT)
        return fl_fail(err, FL_EINVAL, "signal", "--signal: use process-pause to stop and resume processes");
    return fl_select_processes(spec, &p->targets, &p->n, err);
}

static void plan(const fl_spec *spec, fl_plan_cb step, void *user)
{
    const kill_plan *p = spec->data;
    for (size_t i = 0; i < p->n; i++) {
        char op[160];
        snprintf(op, sizeof(op), "send %s to pid %d (%s)", fl_signal_name(p->signo), (int)p->targets[i].pid,
                 p->targets[i].comm);
        step(user, op, NULL);
    }
}

static int apply(fl_ctx *ctx, fl_error *err)
{
    const kill_plan *p = ctx->spec->data;
    size_t sent = 0;
    for (size_t i = 0; i < p->n; i++) {
        const fl_proc_target *t = &p->targets[i];
        if (fl_proc_is(t->pid, t->start) && kill(t->pid, p->signo) == 0) {
            sent++;
            fl_ctx_applied(ctx, "sent %s to pid %d (%s)", fl_signal_name(p->signo), (int)t->pid, t->comm);
        }
    }
    if (sent == 0)
        return fl_fail(err, FL_EAPPLY, "pid", "no target could be signalled (gone, or not permitted)");
    return 0;
}

static int verify(fl_ctx *ctx, fl_error *err)
{
    (void)err;
    const kill_plan *p = ctx->spec->data;
    size_t gone = 0;
    /* Give them a second to exit; a process may handle the signal. */
    for (int i = 0; i < 100; i++) {
        gone = 0;
        for (size_t j = 0; j < p->n; j++)
            gone += !fl_proc_is(p->targets[j].pid, p->targets[j].start);
        if (gone == p->n)
            break;
        fl_sleep_us(10000);
    }
    snprintf(ctx->verified, sizeof(ctx->verified), "%zu of %zu processes exited after %s", gone, p->n,
             fl_signal_name(p->signo));
    return 0;
}

const fl_attack fl_attack_process_kill = {
    .info = {.name = "process-kill",
             .summary = "send a signal to chosen processes (once)",
             .details = "Sends --signal to the processes chosen by --pid, --name and/or --pattern (all must "
                        "match), at most --count of them. Instantaneous: no duration, nothing to undo; the "
                        "report says how many exited within a second.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .instant = true,
             .requires = "permission to signal the targets"},
    .validate = validate,
    .plan = plan,
    .apply = apply,
    .verify = verify,
};
