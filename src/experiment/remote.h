/* Faults on other hosts: one small interface, two transports. A step whose
 * targets are ssh hosts of an inventory (remote_ssh.c) or instances reached
 * through AWS Systems Manager (remote_ssm.c) is started, watched and ended
 * by the runner through these calls; every call but stop returns at once,
 * so the runner keeps evaluating stop conditions while hosts apply. */
#ifndef FL_EXPERIMENT_REMOTE_H
#define FL_EXPERIMENT_REMOTE_H

#include "experiment/internal.h"
#include "fleet/fleet.h"
#include "fleet/ssm.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>

typedef struct remote_ops {
    /* Starts the step's fault on its targets. seed: the run's selection seed
     * for targets that name none. NULL with err when nothing was started. */
    void *(*start)(const step_def *st, uint64_t seed, fl_error *err);
    /* 0 while applying; 1 once applied (failures within max-errors); -1 when
     * it failed (why says which hosts and how). */
    int (*applied)(void *self, char *why, size_t len);
    /* 0 while held; 1 when every host's fault ended by itself; 2 when an
     * external stop condition ended it (an SSM alarm; why names it). */
    int (*ended)(void *self, char *why, size_t len);
    /* Ends the fault everywhere and waits for the hosts (bounded by the
     * lease). 0, or -1 with why when a host could not confirm. */
    int (*stop)(void *self, char *why, size_t len);
    /* One line for the timeline: "on 3 of 3 hosts: web-1 web-4 web-7". */
    void (*summary)(void *self, char *buf, size_t len);
    /* The selection (targets object) and one row per host, times since t0. */
    json_t *(*targets_json)(void *self);
    json_t *(*hosts_json)(void *self, int64_t t0_mono_us);
    void (*free)(void *self);
} remote_ops;

extern const remote_ops remote_ssh_ops;
extern const remote_ops remote_ssm_ops;

/* The selection of an ssh target for this run (seed: used when the target
 * names none); errors name the field. */
int remote_ssh_plan(const target_def *t, uint64_t seed, fl_fleet_plan *plan, fl_error *err);

/* The SSM client configuration of a target: its region, profile and
 * endpoint, then credentials and region from the environment and the
 * shared files. Returns 0 or -1 (err names "region" or "credentials"). */
int remote_ssm_config(const target_def *t, fl_ssm_config *cfg, fl_error *err);

/* A fan-out run in its own thread (remote_ssh.c), shared by faults and
 * load on ssh hosts: the runner's thread never blocks on ssh. */
typedef struct fleet_thread {
    fl_fleet_plan *plan;
    char **words; /* the remote faultline's words (owned) */
    size_t n_words;
    fl_fleet_result *res; /* one per selected host */
    pthread_t thread;
    bool running;
    volatile sig_atomic_t stop; /* set: close every lease, wait for the hosts */
    pthread_mutex_t lock;       /* guards what the callbacks record, and done */
    bool done;
    int errors;
    fl_error err;
} fleet_thread;

/* Starts fl_fanout on the plan's hosts with the given options (their stop,
 * max_concurrency and max_errors are set here). Returns 0 or -1 (err). */
int fleet_thread_start(fleet_thread *ft, fl_fleet_plan *plan, char **words, size_t n_words, const fl_fanout_opts *opts,
                       fl_error *err);
bool fleet_thread_done(fleet_thread *ft);
/* Sets stop and joins the thread. */
void fleet_thread_stop(fleet_thread *ft);
void fleet_thread_free(fleet_thread *ft);
/* Index of a result in ft->res (callbacks get a pointer into it). */
size_t fleet_thread_index(const fleet_thread *ft, const fl_fleet_result *r);

/* Load from fleet hosts (remote_load.c): `faultline load --stream --held`
 * on every selected host, the per-window lines merged into one series. */
typedef struct remote_load remote_load;
remote_load *remote_load_start(const load_def *def, uint64_t seed, int64_t t0_mono_us,
                               fl_error *err); /* def->duration_us */
size_t remote_load_windows(remote_load *rl, size_t from, exp_window *out, size_t max);
bool remote_load_finished(remote_load *rl);
void remote_load_stop(remote_load *rl);
json_t *remote_load_json(remote_load *rl, int64_t t0_mono_us);
void remote_load_free(remote_load *rl);

#endif
