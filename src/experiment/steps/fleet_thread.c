/* The fan-out thread shared by steps on ssh hosts and load sent from
 * hosts (fleet_thread.h). */
#include "experiment/steps/fleet_thread.h"
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- the fan-out thread ------------------------------------------------- */
typedef struct thread_args {
    fleet_thread *ft;
    fl_fanout_opts opts;
} thread_args;

static char *build_remote(const fl_host *h, void *user) {
    const fleet_thread *ft = user;
    return fl_remote_faultline(h, ft->words, ft->n_words);
}

static void *fanout_main(void *arg) {
    thread_args *ta = arg;
    fleet_thread *ft = ta->ft;
    fl_error err;
    int errors = fl_fanout(ft->plan->hosts, ft->plan->n, build_remote, ft, &ta->opts, ft->res, &err);
    pthread_mutex_lock(&ft->lock);
    ft->errors = errors;
    if (errors < 0)
        ft->err = err;
    ft->done = true;
    pthread_mutex_unlock(&ft->lock);
    free(ta);
    return NULL;
}

int fleet_thread_start(fleet_thread *ft, fl_fleet_plan *plan, char **words, size_t n_words, const fl_fanout_opts *opts,
                       fl_error *err) {
    ft->plan = plan;
    ft->words = words;
    ft->n_words = n_words;
    ft->res = fl_xcalloc(plan->n ? plan->n : 1, sizeof(*ft->res));
    for (size_t i = 0; i < plan->n; i++) /* readable before the thread fills them */
        ft->res[i] = (fl_fleet_result){.host = plan->hosts[i], .exit_code = -1};
    pthread_mutex_init(&ft->lock, NULL);
    thread_args *ta = fl_xcalloc(1, sizeof(*ta));
    ta->ft = ft;
    ta->opts = *opts;
    ta->opts.stop = &ft->stop;
    ta->opts.max_concurrency = plan->max_conc;
    ta->opts.max_errors = plan->max_err;
    if (pthread_create(&ft->thread, NULL, fanout_main, ta) != 0) {
        free(ta);
        return fl_fail(err, FL_EAPPLY, "targets", "cannot start the fan-out thread");
    }
    ft->running = true;
    return 0;
}

bool fleet_thread_done(fleet_thread *ft) {
    pthread_mutex_lock(&ft->lock);
    bool done = ft->done;
    pthread_mutex_unlock(&ft->lock);
    return done;
}

void fleet_thread_stop(fleet_thread *ft) {
    if (!ft->running)
        return;
    ft->stop = 1;
    pthread_join(ft->thread, NULL);
    ft->running = false;
}

void fleet_thread_free(fleet_thread *ft) {
    fleet_thread_stop(ft);
    if (ft->res)
        fl_fleet_results_free(ft->res, ft->plan ? ft->plan->n : 0);
    free(ft->res);
    exp_free_argv(ft->words, ft->n_words);
    if (ft->plan)
        pthread_mutex_destroy(&ft->lock);
    memset(ft, 0, sizeof(*ft));
}

size_t fleet_thread_index(const fleet_thread *ft, const fl_fleet_result *r) { return (size_t)(r - ft->res); }

int remote_ssh_plan(const target_def *t, uint64_t seed, fl_fleet_plan *plan, fl_error *err) {
    fl_fleet_spec spec = {.select = t->select,
                          .mode = t->mode,
                          .max_concurrency = t->max_concurrency,
                          .max_errors = t->max_errors,
                          .has_seed = true,
                          .seed = t->has_seed ? t->seed : seed};
    return fl_fleet_plan_make(&spec, t->inv, plan, err);
}
