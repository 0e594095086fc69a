/* A fleet plan: the inventory, the hosts a selection picks (with the seed
 * that repeats it) and the fan-out limits resolved against the selection.
 * Shared by `faultline attack --inventory` and experiment targets. Also the
 * remote faultline command line for one host. */
#include "core/internal.h"
#include "fleet/fleet.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

uint64_t fl_fleet_new_seed(void) {
    uint64_t seed;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
        seed = (uint64_t)fl_wall_us() ^ (uint64_t)getpid();
    return seed % 1000000000000ULL; /* short enough to retype */
}

void fl_fleet_plan_free(fl_fleet_plan *p) {
    if (!p)
        return;
    free(p->hosts);
    if (p->owns_inventory)
        fl_inventory_free(p->inv);
    memset(p, 0, sizeof(*p));
}

int fl_fleet_plan_make(const fl_fleet_spec *s, fl_inventory *inv, fl_fleet_plan *p, fl_error *err) {
    memset(p, 0, sizeof(*p));
    if (fl_select_mode_parse(s->mode ? s->mode : "all", &p->sel, err) != 0)
        return -1;
    double mc = 50, me = 0;
    bool mc_pct = false, me_pct = false;
    if (s->max_concurrency && fl_limit_parse(s->max_concurrency, "max-concurrency", false, &mc, &mc_pct, err) != 0)
        return -1;
    if (s->max_errors && fl_limit_parse(s->max_errors, "max-errors", true, &me, &me_pct, err) != 0)
        return -1;
    p->seed = s->has_seed ? s->seed : fl_fleet_new_seed();
    p->inv = inv;
    if (!inv) {
        p->inv = fl_inventory_load(s->inventory, err);
        if (!p->inv)
            return -1;
        p->owns_inventory = true;
    }
    size_t *idx = fl_xcalloc(p->inv->n_hosts ? p->inv->n_hosts : 1, sizeof(*idx));
    int m = fl_select_match(p->inv, s->select, idx, err);
    if (m < 0) {
        free(idx);
        fl_fleet_plan_free(p);
        return -1;
    }
    p->matched = (size_t)m;
    p->n = fl_select_apply(&p->sel, p->seed, idx, (size_t)m);
    p->hosts = fl_xcalloc(p->n ? p->n : 1, sizeof(*p->hosts));
    for (size_t i = 0; i < p->n; i++)
        p->hosts[i] = &p->inv->hosts[idx[i]];
    free(idx);
    p->max_conc = fl_limit_resolve(mc, mc_pct, p->n);
    p->max_err = fl_limit_resolve(me, me_pct, p->n);
    if (p->n == 0) {
        fl_fail(err, FL_EINVAL, "select", "select: '%s' matches no host of %s", s->select ? s->select : "",
                p->inv->path ? p->inv->path : "the inventory");
        fl_fleet_plan_free(p);
        return -1;
    }
    return 0;
}

char *fl_remote_faultline(const fl_host *h, char *const *words, size_t n_words) {
    size_t cap = h->n_env + n_words + 3;
    char **argv = fl_xcalloc(cap, sizeof(char *));
    char **envs = fl_xcalloc(h->n_env + 1, sizeof(char *));
    size_t k = 0;
    if (h->n_env)
        argv[k++] = "env";
    for (size_t i = 0; i < h->n_env; i++)
        argv[k++] = envs[i] = fl_xasprintf("%s=%s", h->env[i].key, h->env[i].value);
    argv[k++] = h->faultline ? h->faultline : "faultline";
    for (size_t i = 0; i < n_words; i++)
        argv[k++] = words[i];
    argv[k] = NULL;
    fl_error err;
    char *cmd = fl_remote_command(argv, &err);
    for (size_t i = 0; i < h->n_env; i++)
        free(envs[i]);
    free(envs);
    free(argv);
    return cmd;
}
