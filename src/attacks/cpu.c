/* cpu: busy workers, each holding a duty cycle of --load on one core.
 * Parity: FIS AWSFIS-Run-CPU-Stress (CPU, LoadPercent), the seed's
 * CPUHogAttack, ChaosBlade `cpu fullload --cpu-count --cpu-list --cpu-percent`. */
#include "core/internal.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_US 100000 /* duty-cycle period: short enough to look steady */

static const fl_param_spec params[] = {
    {"load", FL_PARAM_PERCENT, 0, "100%", "1%", "100%", NULL, "busy share of each worker's core"},
    {"workers", FL_PARAM_INT, 0, "0", "0", "1024", NULL, "number of busy workers; 0 = one per online core"},
    {"cpus", FL_PARAM_CPULIST, 0, NULL, NULL, NULL, NULL,
     "pin one worker to each listed cpu, e.g. 0-1,3 (instead of --workers)"},
};

typedef struct cpu_plan {
    size_t n;
    int cpu[1024]; /* -1: not pinned */
    double load;
} cpu_plan;

static int validate(fl_spec *spec, fl_error *err)
{
    const fl_value *cpus = fl_spec_value(spec, "cpus");
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus->given && fl_spec_given(spec, "workers"))
        return fl_fail(err, FL_EINVAL, "cpus", "--cpus and --workers are exclusive: --cpus starts one worker per listed cpu");
    cpu_plan *plan = calloc(1, sizeof(*plan));
    plan->load = fl_spec_pct(spec, "load");
    if (cpus->given) {
        cpu_set_t allowed;
        sched_getaffinity(0, sizeof(allowed), &allowed);
        for (size_t i = 0; i < cpus->n_cpus; i++) {
            if (cpus->cpus[i] >= CPU_SETSIZE || !CPU_ISSET(cpus->cpus[i], &allowed)) {
                free(plan);
                return fl_fail(err, FL_EINVAL, "cpus", "--cpus: cpu %d is not online or not allowed here (online: 0-%ld)",
                               cpus->cpus[i], online - 1);
            }
            plan->cpu[plan->n++] = cpus->cpus[i];
            fl_spec_claim(spec, "cpu:%d", cpus->cpus[i]);
        }
    } else {
        int64_t n = fl_spec_i64(spec, "workers");
        plan->n = (size_t)(n > 0 ? n : online);
        for (size_t i = 0; i < plan->n; i++)
            plan->cpu[i] = -1;
        for (long c = 0; c < online; c++)
            fl_spec_claim(spec, "cpu:%ld", c);
    }
    spec->data = plan;
    spec->free_data = free;
    return 0;
}

static void plan(const fl_spec *spec, fl_plan_cb step, void *user)
{
    const cpu_plan *p = spec->data;
    for (size_t i = 0; i < p->n; i++) {
        char op[160], inv[96];
        if (p->cpu[i] >= 0)
            snprintf(op, sizeof(op), "start cpu worker %zu pinned to cpu %d, busy %.4g%% of each %dms", i,
                     p->cpu[i], p->load, PERIOD_US / 1000);
        else
            snprintf(op, sizeof(op), "start cpu worker %zu, busy %.4g%% of each %dms", i, p->load, PERIOD_US / 1000);
        snprintf(inv, sizeof(inv), "kill cpu worker %zu (SIGKILL)", i);
        step(user, op, inv);
    }
}

static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct worker_arg {
    int cpu;
    double load;
} worker_arg;

/* Spins until this thread has had load% of the period on a cpu (not of
 * wall time: if another process shares the core we still burn our share),
 * then sleeps out the rest of the period. */
static void burn(void *varg)
{
    worker_arg *arg = varg;
    if (arg->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(arg->cpu, &set);
        sched_setaffinity(0, sizeof(set), &set);
    }
    fl_worker_ready();
    int64_t busy = (int64_t)(PERIOD_US * arg->load / 100.0);
    volatile uint64_t sink = 0;
    for (int64_t period_start = fl_mono_us();; period_start += PERIOD_US) {
        int64_t cpu0 = thread_cpu_us();
        while (thread_cpu_us() - cpu0 < busy && fl_mono_us() - period_start < PERIOD_US)
            for (int i = 0; i < 1000; i++)
                sink = sink * 6364136223846793005ULL + 1;
        int64_t now = fl_mono_us();
        if (now - period_start > 2 * PERIOD_US)
            period_start = now - PERIOD_US; /* we were stopped: do not try to catch up */
        fl_sleep_us(period_start + PERIOD_US - now);
    }
}

static int apply(fl_ctx *ctx, fl_error *err)
{
    const cpu_plan *p = ctx->spec->data;
    for (size_t i = 0; i < p->n; i++) {
        worker_arg arg = {.cpu = p->cpu[i], .load = p->load};
        char label[16];
        pid_t pid;
        snprintf(label, sizeof(label), "fl-cpu-%zu", i);
        if (fl_ctx_spawn(ctx, label, burn, &arg, 5000, &pid, err) != 0)
            return -1;
        if (arg.cpu >= 0)
            fl_ctx_applied(ctx, "cpu worker %zu: pid %d on cpu %d at %.4g%%", i, (int)pid, arg.cpu, p->load);
        else
            fl_ctx_applied(ctx, "cpu worker %zu: pid %d at %.4g%%", i, (int)pid, p->load);
    }
    return 0;
}

static unsigned long long total_ticks(const fl_ctx *ctx, size_t *alive)
{
    unsigned long long sum = 0;
    *alive = 0;
    for (size_t i = 0; i < ctx->n_workers; i++) {
        unsigned long long t;
        if (fl_proc_cpu_ticks(ctx->workers[i], &t) == 0) {
            sum += t;
            (*alive)++;
        }
    }
    return sum;
}

static int verify(fl_ctx *ctx, fl_error *err)
{
    const cpu_plan *p = ctx->spec->data;
    size_t alive;
    int64_t t0 = fl_mono_us();
    unsigned long long a = total_ticks(ctx, &alive);
    fl_sleep_us(300000);
    unsigned long long b = total_ticks(ctx, &alive);
    double secs = (double)(fl_mono_us() - t0) / 1e6;
    double cores = (double)(b - a) / (double)sysconf(_SC_CLK_TCK) / secs;
    if (alive != p->n)
        return fl_fail(err, FL_EAPPLY, "verify", "only %zu of %zu cpu workers are running", alive, p->n);
    snprintf(ctx->verified, sizeof(ctx->verified), "%zu workers running, %.2f cores busy (target %.2f)", alive,
             cores, (double)p->n * p->load / 100.0);
    return 0;
}

const fl_attack fl_attack_cpu = {
    .info = {.name = "cpu",
             .summary = "keep cores busy at a given load",
             .details = "Starts worker processes that each spin for --load of every 100 ms on one core "
                        "(measured in the worker's own CPU time, so a shared core still gets the load). "
                        "Undo: the workers are killed; they also die with their supervisor.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "Linux /proc; nothing else",
             .uses_cgroup = true},
    .validate = validate,
    .plan = plan,
    .apply = apply,
    .verify = verify,
};
