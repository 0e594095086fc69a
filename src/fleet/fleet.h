/* Fleets (docs/fleet.md): an inventory of SSH hosts with tags and groups,
 * selection by tag filters with FIS-like modes, and the fan-out of faultline
 * commands to the selected hosts through the system's OpenSSH client. */
#ifndef FL_FLEET_H
#define FL_FLEET_H

#include "faultline.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fl_kv {
    char *key, *value;
} fl_kv;

typedef struct fl_host {
    char *name;
    char *address;           /* hostname, IPv4 or IPv6 */
    int port;                /* 1..65535 */
    char *user;              /* NULL: ssh's default */
    char *identity;          /* NULL: ssh's default */
    char *faultline;         /* the remote faultline binary, default "faultline" */
    char *known_hosts;       /* NULL: ssh's default */
    char *host_key_checking; /* "yes", "no", "accept-new"; NULL: ssh's default */
    int64_t connect_timeout_us;
    fl_kv *tags;
    size_t n_tags;
    fl_kv *env; /* exported to the remote faultline (env NAME=value ...) */
    size_t n_env;
    char **groups; /* the groups that list this host */
    size_t n_groups;
} fl_host;

typedef struct fl_inventory {
    char *path;
    fl_host *hosts;
    size_t n_hosts;
} fl_inventory;

/* Parses an inventory file; errors name file:line:col and the field (exit 2). */
fl_inventory *fl_inventory_load(const char *path, fl_error *err);
fl_inventory *fl_inventory_parse(const char *text, size_t len, const char *name, fl_error *err);
void fl_inventory_free(fl_inventory *inv);

/* Selection: "key=value,key!=value,name=h1,group=web" (all must hold; a
 * missing filter selects every host). */
typedef enum { FL_MODE_ALL, FL_MODE_COUNT, FL_MODE_PERCENT } fl_select_mode;
typedef struct fl_selection {
    fl_select_mode mode;
    double amount; /* N for count, P for percent */
} fl_selection;

int fl_select_mode_parse(const char *text, fl_selection *out, fl_error *err);
/* Matching hosts, in inventory order, into idx (n_hosts entries); returns the
 * number matched or -1 on an invalid filter. */
int fl_select_match(const fl_inventory *inv, const char *filter, size_t *idx, fl_error *err);
/* Reduces idx[0..n) by the mode using seed (random choice, original order
 * kept); returns the new count. */
size_t fl_select_apply(const fl_selection *sel, uint64_t seed, size_t *idx, size_t n);

/* "N" or "P%" of total: max-concurrency and max-errors as in SSM. */
int fl_limit_parse(const char *text, const char *field, bool zero_ok, double *value, bool *percent, fl_error *err);
size_t fl_limit_resolve(double value, bool percent, size_t total);

/* Appends s to buf quoted for a POSIX shell ('...' with '\'' for quotes);
 * returns 0 or -1 if it does not fit. ssh hands the remote command to the
 * remote user's login shell, which must therefore be POSIX (sh, dash, bash,
 * ksh, zsh; not fish, csh or tcsh): docs/fleet.md. */
int fl_shell_quote(char *buf, size_t cap, const char *s);
/* Joins argv into one remote command line, every word quoted. */
char *fl_remote_command(char *const *argv, fl_error *err);

/* The ssh argv for a host: ssh -o ... [user@]address -- <remote command>.
 * control_dir: the private multiplexing directory. Returned array and its
 * strings are malloc'ed (fl_argv_free). */
char **fl_ssh_argv(const fl_host *host, const char *control_dir, const char *remote_command);
void fl_argv_free(char **argv);
/* The private directory for ControlPath sockets ($FAULTLINE_SSH_DIR, or
 * $XDG_RUNTIME_DIR/faultline-ssh, or /tmp/faultline-ssh-<uid>), 0700 and ours. */
int fl_ssh_control_dir(char *buf, size_t len, fl_error *err);

/* One remote invocation per selected host. */
typedef struct fl_fleet_result {
    const fl_host *host;
    enum { FL_HOST_PENDING, FL_HOST_RUNNING, FL_HOST_DONE, FL_HOST_FAILED, FL_HOST_SKIPPED } state;
    int exit_code;                        /* remote faultline's (255: ssh failed), -1 if not run */
    char *first;                          /* the first JSON line on stdout (attack: the applied fault) */
    char *last;                           /* the last JSON line on stdout */
    char *out;                            /* all of stdout */
    char *err_text;                       /* stderr, trimmed */
    int64_t start_us, applied_us, end_us; /* monotonic */
} fl_fleet_result;

typedef struct fl_fanout_opts {
    size_t max_concurrency;
    size_t max_errors;           /* stop launching once errors exceed this */
    int64_t heartbeat_us;        /* 0: no heartbeat; else write "\n" to stdin this often */
    bool hold_stdin;             /* keep stdin open until the run ends (leases) */
    volatile sig_atomic_t *stop; /* set by a signal handler: close stdins, wait, stop */
    int64_t kill_after_us;       /* after stop, kill our ssh processes after this */
    void (*on_event)(void *user, const fl_fleet_result *r, const char *event);
    /* Every complete line a host writes on stdout, as it arrives (streams). */
    void (*on_line)(void *user, const fl_fleet_result *r, const char *line);
    void *user;
} fl_fanout_opts;

/* Runs the remote command build(host, build_user) returns on every host in
 * hosts[0..n) through ssh with the given concurrency; fills results[0..n).
 * Returns the number of failed hosts. */
typedef char *(*fl_remote_builder)(const fl_host *host, void *user);
int fl_fanout(const fl_host *const *hosts, size_t n, fl_remote_builder build, void *build_user,
              const fl_fanout_opts *opts, fl_fleet_result *results, fl_error *err);
void fl_fleet_results_free(fl_fleet_result *results, size_t n);

/* ---- plans (plan.c) ---- */
/* What selects hosts: the inventory file, a filter, a mode, an optional
 * seed, and the limits as text ("N" or "P%"); NULL members take defaults
 * (all hosts, mode all, a random seed, max-concurrency 50, max-errors 0). */
typedef struct fl_fleet_spec {
    const char *inventory, *select, *mode, *max_concurrency, *max_errors;
    bool has_seed;
    uint64_t seed;
} fl_fleet_spec;

typedef struct fl_fleet_plan {
    fl_inventory *inv;
    bool owns_inventory;
    const fl_host **hosts; /* the selected hosts, in inventory order */
    size_t n, matched;     /* selected, and matching the filter */
    uint64_t seed;
    fl_selection sel;
    size_t max_conc, max_err; /* resolved against n */
} fl_fleet_plan;

/* Selects hosts from inv (borrowed), or from s->inventory when inv is NULL.
 * Errors (FL_EINVAL) name the field: mode, max-concurrency, max-errors,
 * select (also when nothing matches), or the inventory's file:line:col. */
int fl_fleet_plan_make(const fl_fleet_spec *s, fl_inventory *inv, fl_fleet_plan *p, fl_error *err);
void fl_fleet_plan_free(fl_fleet_plan *p);
/* A random seed short enough to retype (< 10^12). */
uint64_t fl_fleet_new_seed(void);
/* The remote command line for one host: [env K=V...] <faultline> words...,
 * every word quoted for the remote shell; NULL when it cannot be built. */
char *fl_remote_faultline(const fl_host *h, char *const *words, size_t n_words);

#endif
