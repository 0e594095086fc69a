/* Steps: where an experiment's fault runs. One small interface, three
 * implementations, and the runner never asks which one it has:
 *   step_local.c  this host: fl_fault_start in a thread of its own, then the
 *                 experiment's own check (TCP connect time to the dependency)
 *   step_ssh.c    ssh hosts of an inventory (the fleet fan-out, under leases)
 *   step_ssm.c    instances reached through AWS Systems Manager
 * Every call but stop returns at once, so the runner keeps reading the load
 * and watching stop conditions while a fault is applied and verified. */
#ifndef FL_EXPERIMENT_STEP_H
#define FL_EXPERIMENT_STEP_H

#include "experiment/model/model.h"
#include "fleet/ssm.h"

#include <jansson.h>

/* What a step says once it is applied, and once it is verified. */
typedef struct step_outcome {
    char *applied_text;     /* what was applied, '\n'-separated lines (malloc'ed; the runner keeps it) */
    bool verified;          /* in effect as measured */
    char verification[512]; /* how it was measured */
    char error[512];        /* why it failed, or why it is not verified */
} step_outcome;

typedef struct step_ops {
    /* Shown in the timeline when the step starts ("over ssh"); NULL: none. */
    const char *starting;
    /* Prepares the step before the run starts; nothing is applied (a local
     * network fault measures its dependency's connect time here, to compare
     * with it once the fault is on). NULL with err when it cannot run. */
    void *(*create)(const step_def *st, uint64_t seed, fl_error *err);
    /* Starts applying and returns at once; -1 with err when nothing started. */
    int (*start)(void *self, fl_error *err);
    /* 0 while applying; 1 once applied (out->applied_text); -1 when it
     * failed (out->error). */
    int (*applied)(void *self, step_outcome *out);
    /* Once applied: 0 while its effect is being measured; 1 once measured
     * (out->verified, out->verification, and out->error if not verified). */
    int (*verified)(void *self, step_outcome *out);
    /* 0 while held; 1 when it ended by itself everywhere; 2 when an
     * external stop condition ended it (an SSM alarm; why names it). */
    int (*ended)(void *self, char *why, size_t len);
    /* Rolls back everywhere and waits for it (a step still applying is
     * waited for first). 0; 1 when nothing had been applied; -1 with why
     * when it could not confirm. */
    int (*stop)(void *self, char *why, size_t len);
    /* Once stopped: whether the fault fell short of what was asked (a
     * network fault whose packet engine bypassed or released late more than
     * 0.1% of what it matched, or died): 1 with why (the numbers), else 0.
     * May be NULL (never degraded as far as the step can tell). */
    int (*degraded)(void *self, char *why, size_t len);
    /* Adds what it knows to the result document's fault object: "id",
     * "targets", for network faults "engine" (the packet engine's counters)
     * and "degraded", and for fleets "hosts" (times since t0). */
    void (*describe)(void *self, json_t *fault, int64_t t0_mono_us);
    void (*free)(void *self);
} step_ops;

/* The implementation for a step's targets. */
const step_ops *step_ops_for(const step_def *st);

extern const step_ops step_local_ops, step_ssh_ops, step_ssm_ops;

/* `verified` of the fleet steps: each host's faultline verifies its own
 * fault before it reports it applied, so applied on a host is verified. */
int step_verified_by_hosts(void *self, step_outcome *out);

/* The SSM client configuration of a target: its region, profile and
 * endpoint, then credentials and region from the environment and the
 * shared files. Returns 0 or -1 (err names "region" or "credentials"). */
int remote_ssm_config(const target_def *t, fl_ssm_config *cfg, fl_error *err);

#endif
