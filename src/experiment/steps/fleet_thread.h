/* A fan-out over fleet hosts run in its own thread (fleet_thread.c), shared
 * by steps on ssh hosts (step_ssh.c) and load sent from hosts
 * (loads/load_hosts.c): the runner's thread never blocks on ssh. */
#ifndef FL_EXPERIMENT_FLEET_THREAD_H
#define FL_EXPERIMENT_FLEET_THREAD_H

#include "experiment/model/model.h"
#include "fleet/fleet.h"

#include <pthread.h>
#include <signal.h>

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

/* The selection of an ssh target for this run (seed: used when the target
 * names none); errors name the field. */
int remote_ssh_plan(const target_def *t, uint64_t seed, fl_fleet_plan *plan, fl_error *err);

#endif
