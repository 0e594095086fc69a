/* Declarations shared inside libfaultline; not part of the public API. */
#ifndef FL_INTERNAL_H
#define FL_INTERNAL_H

#include "attacks/catalog.h"
#include "faultline.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#define FL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A number macro as a string literal, for the bounds of parameter tables:
 * FL_STR(FL_MAX_WORKERS) is "1024". */
#define FL_STR(x) FL_STR_(x)
#define FL_STR_(x) #x

/* ---- memory (xmalloc.c) ----
 * Every allocation of the library goes through these: they never return
 * NULL. Out of memory they print "faultline: out of memory allocating N
 * bytes" on stderr and abort() the process (docs/architecture.md, "the
 * library's manners"). A size of 0 allocates 1 byte. */
void *fl_xmalloc(size_t size) __attribute__((malloc, returns_nonnull));
void *fl_xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *fl_xrealloc(void *ptr, size_t size) __attribute__((returns_nonnull));
/* n * size bytes; aborts when the product overflows, as out of memory. */
void *fl_xreallocarray(void *ptr, size_t n, size_t size) __attribute__((returns_nonnull));
char *fl_xstrdup(const char *s) __attribute__((malloc, returns_nonnull, nonnull));
/* At most n bytes of s, NUL-terminated. */
char *fl_xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull, nonnull));
/* The formatted text in memory of its own ("" if the format cannot be
 * converted, which is a bug of its caller). */
char *fl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc, returns_nonnull));

/* ---- errors ---- */
int fl_fail(fl_error *err, int code, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void fl_error_clear(fl_error *err);

/* ---- time ----
 * The library's one monotonic clock (CLOCK_MONOTONIC): durations, timeouts,
 * pacing and sampling within a process. fl_mono_ns is the same clock at the
 * resolution the load's pacer needs. */
int64_t fl_mono_us(void);
int64_t fl_mono_ns(void);
/* A condition variable whose timed waits run on that clock, and the
 * absolute time `from_now_us` from now (now if <= 0) to give
 * pthread_cond_timedwait on it. */
void fl_mono_cond_init(pthread_cond_t *cond);
struct timespec fl_mono_deadline(int64_t from_now_us);
/* CLOCK_BOOTTIME (counts suspend) without this process's time namespace
 * offset: comparable between processes, unaffected by wall clock steps.
 * Every lifetime (fault expiry, lease, hung supervisor) is measured on it. */
int64_t fl_boot_us(void);
void fl_sleep_us(int64_t us);

/* ---- JSON (jansson is the library's one JSON writer) ---- */
/* A JSON string of any C string: valid UTF-8 as it is, each byte that is
 * not part of a valid UTF-8 sequence replaced by U+FFFD (json_string()
 * refuses such text: process names, file names and corrupt records may
 * hold it). "" for NULL. Never NULL unless out of memory in jansson. */
json_t *fl_json_text(const char *text);

/* ---- checked arithmetic: false on overflow ---- */
static inline bool fl_mul_u64(uint64_t a, uint64_t b, uint64_t *out) { return !__builtin_mul_overflow(a, b, out); }
static inline bool fl_add_u64(uint64_t a, uint64_t b, uint64_t *out) { return !__builtin_add_overflow(a, b, out); }
static inline bool fl_add_i64(int64_t a, int64_t b, int64_t *out) { return !__builtin_add_overflow(a, b, out); }

/* ---- YAML input bounds (experiment files, inventories) ---- */
#define FL_YAML_MAX_DEPTH 64
#define FL_YAML_MAX_NODES 1000000
/* 0 if `text` nests at most FL_YAML_MAX_DEPTH levels and holds at most
 * FL_YAML_MAX_NODES values (and, if asked, no alias); else -1 with the
 * 1-based position and why.
 * Takes time linear in what it reads, whatever the input. */
int fl_yaml_bounded(const char *text, size_t len, bool refuse_aliases, int *line, int *col, char *why, size_t why_len);

/* ---- capabilities, notices ---- */
/* True if `cap` (CAP_NET_ADMIN = 12, ...) is in the effective set. */
bool fl_have_cap(int cap);
void fl_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- processes ---- */
/* Start time of a process in clock ticks since boot (field 22 of
 * /proc/PID/stat); together with the pid it names one process for good. */
int fl_proc_start_ticks(pid_t pid, unsigned long long *ticks);
bool fl_proc_is(pid_t pid, unsigned long long ticks);
/* State letter from /proc/PID/stat ('R', 'S', 'T', ...), 0 if gone. */
char fl_proc_state(pid_t pid);
int fl_proc_comm(pid_t pid, char *buf, size_t len);
/* Whole command line with NULs replaced by spaces. */
int fl_proc_cmdline(pid_t pid, char *buf, size_t len);
/* utime + stime in clock ticks. */
int fl_proc_cpu_ticks(pid_t pid, unsigned long long *ticks);
/* VmRSS in bytes. */
int fl_proc_rss(pid_t pid, uint64_t *bytes);
/* True if `pid` is this process or one of its ancestors. */
bool fl_proc_is_ancestor_or_self(pid_t pid);
/* Closes every descriptor >= 3 except those listed. */
void fl_close_fds_except(const int *keep, size_t n);
/* mkdir -p: creates `dir` and its missing parents with `mode` (less the
 * umask); 0 if it is a directory at the end. Errors name `field`
 * ("out: cannot create /x/y: Permission denied"). */
int fl_make_dirs(const char *dir, mode_t mode, const char *field, fl_error *err);
/* Writes all of buf, retrying on EINTR. */
int fl_write_all(int fd, const void *buf, size_t len);
int fl_parse_signal(const char *text, int *signo);
const char *fl_signal_name(int signo);

/* ---- specs ---- */
/* The longest path parameter (characters): what an attack copies a path
 * into holds FL_MAX_PATH + 1. */
#define FL_MAX_PATH 1024
/* A file an attack creates under a path parameter: the path, '/', a name. */
#define FL_MAX_FILE_PATH (FL_MAX_PATH + 128)
typedef struct fl_value {
    const fl_param_spec *spec;
    bool given;   /* set by the user (not just a default) */
    bool present; /* given or defaulted */
    char *text;   /* canonical text; for repeatables the last one */
    char **list;  /* repeatable: every text given */
    size_t n_list;
    int64_t i64;     /* duration (us), int, signal */
    uint64_t u64;    /* size; amount when !is_percent */
    double pct;      /* percent (0-100); amount when is_percent */
    bool is_percent; /* amount given as a percentage */
    int *cpus;       /* cpulist, sorted */
    size_t n_cpus;
} fl_value;

typedef struct fl_attack fl_attack;

#define FL_MAX_CLAIMS 256

struct fl_spec {
    const fl_attack *attack;
    fl_value *values; /* one per attack parameter */
    size_t n_values;
    fl_value duration;
    fl_value cgroup; /* repeatable path; hog attacks only */
    fl_value tag;    /* held attacks: a label to stop them by */
    bool validated;
    /* Filled by the attack's validate(): resources it takes, so that two
     * faults taking the same resource are refused. */
    char *claims[FL_MAX_CLAIMS];
    size_t n_claims;
    void *data; /* attack-private, resolved at validation */
    void (*free_data)(void *data);
};

const fl_value *fl_spec_value(const fl_spec *spec, const char *name);
bool fl_spec_given(const fl_spec *spec, const char *name);
int64_t fl_spec_i64(const fl_spec *spec, const char *name);
uint64_t fl_spec_u64(const fl_spec *spec, const char *name);
double fl_spec_pct(const fl_spec *spec, const char *name);
const char *fl_spec_str(const fl_spec *spec, const char *name);
bool fl_spec_bool(const fl_spec *spec, const char *name);
void fl_spec_claim(fl_spec *spec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* {"name":"text",...} of every present parameter (repeatables as arrays). */
json_t *fl_spec_params_json(const fl_spec *spec);
int fl_parse_cpulist(const char *text, const char *field, int **cpus, size_t *n, fl_error *err);
/* Checks that the path parameter `name` is an existing, writable directory;
 * fills *st for its filesystem's device. */
int fl_spec_writable_dir(const fl_spec *spec, const char *name, struct stat *st, fl_error *err);

/* ---- the journal ---- */
/* A fault record is a JSON object stored in STATE/faults/ID.json:
 *   id, kind, params, claims, state, owner {pid, start}, guardian {pid,start},
 *   started_us, expires_us, undo [op...]
 * Undo operations are objects with an "op" member (see undo.c). They are
 * appended, and the file fsync'ed, before the change they undo is made. */
int fl_state_prepare(fl_error *err);
/* Creates the record under the global lock, refusing it if another active
 * record holds one of the same claims. */
int fl_journal_create(json_t *rec, fl_error *err);
/* Rewrites the record durably (write temp, fsync, rename, fsync dir). */
int fl_journal_save(json_t *rec, fl_error *err);
/* Loads one valid record; NULL if it does not exist or is corrupt. */
json_t *fl_journal_load(const char *id);
/* 1 with *rec (valid), 0 if there is no such record, -1 with err: an id
 * that is not one (FL_EINVAL), a corrupt record (FL_EAPPLY, field
 * "corrupt"), or a state directory that cannot be trusted (field "state"). */
int fl_journal_read(const char *id, json_t **rec, fl_error *err);
/* Loads every valid record, sorted by start time. Returns a JSON array. */
json_t *fl_journal_load_all(void);
/* Every record: the valid ones into *records (sorted by start time), the
 * others into *corrupt as {file, name, problem, id?, text?}. -1 with err if
 * the state directory cannot be trusted; an absent journal is empty. Both
 * arrays are set either way: the caller releases them. */
int fl_journal_scan(json_t **records, json_t **corrupt, fl_error *err);
/* Validation of a record (as stored in faults/ID.json) and of one undo
 * operation of fault `id`: exactly what faultline writes, nothing else. */
bool fl_record_check(json_t *rec, const char *id, char *why, size_t len);
bool fl_undo_check(json_t *op, const char *id, char *why, size_t len);
/* Moves faults/NAME to corrupt/ (kept for inspection); dest gets the path. */
int fl_journal_quarantine(const char *name, char *dest, size_t len, fl_error *err);
/* Paths of the records kept in corrupt/. */
json_t *fl_journal_quarantined(void);
/* The undo operations of fault `id` that can be read, each valid on its
 * own, from the text of a corrupt record; *owner gets {pid, start} if
 * found. */
json_t *fl_journal_salvage(const char *id, const char *text, size_t len, json_t **owner);
int fl_journal_remove(const char *id);
/* Exclusive per-fault lock (STATE/faults/ID.lock); returns an fd or -1. */
int fl_journal_lock(const char *id);
void fl_journal_unlock(const char *id, int fd, bool remove);
bool fl_journal_owner_alive(json_t *rec);

/* ---- undo operations ---- */
json_t *fl_undo_kill(pid_t pid, const char *label);
json_t *fl_undo_signal(pid_t pid, int signo, const char *label);
json_t *fl_undo_unlink(const char *path);
/* Network faults (src/net): a fault's nftables table (table inet NAME in the
 * host namespace, or in the pinned --netns one), deleted whole; the packet
 * engine, asked to release the packets it holds before it is killed. */
json_t *fl_undo_nft_delete_table(const char *name, const char *netns_path, uint64_t netns_dev, uint64_t netns_ino);
json_t *fl_undo_engine_drain(pid_t pid);
int fl_net_undo_delete_table(json_t *op, fl_error *err);
int fl_net_undo_engine_drain(json_t *op, fl_error *err);
/* The packet engine's counters file of a fault (src/net/engine_stats.c),
 * mapped read-only; NULL if it has none. The fault handle keeps it mapped
 * from its start, so the engine's last numbers outlive the rollback. */
const void *fl_engine_stats_map_id(const char *id);
void fl_engine_stats_unmap_any(const void *map);
const void *fl_fault_engine_map(const fl_fault *fault);
/* Deletes faultline_* nftables tables (this namespace) that no journal
 * record owns; reports each through cb. Returns how many. */
int fl_net_remove_leftovers(fl_recover_cb cb, void *user);
/* Carries out one undo operation; idempotent: a process already gone or a
 * file already removed counts as done. */
int fl_undo_run(json_t *op, fl_error *err);
/* A sentence describing the operation ("kill pid 123 (cpu worker 1)"). */
void fl_undo_describe(json_t *op, char *buf, size_t len);

/* Rolls back a journaled fault: every undo operation in reverse order, then
 * removes the record. Takes the per-fault lock, so concurrent rollbacks
 * (supervisor, guardian, recover) do the work once. */
int fl_rollback_id(const char *id, fl_error *err);
/* The same, for the supervisor: if the record on disk is corrupt, its own
 * copy `known` is undone instead (and the corrupt file left for recover). */
int fl_rollback_known(const char *id, json_t *known, fl_error *err);
/* Fault tags (--tag): 1-64 of a-z A-Z 0-9 _ . - */
bool fl_tag_valid(const char *tag);
/* The table name of a fault (src/net/match.c). */
void fl_net_table_name(const char *id, char *buf, size_t len);

/* ---- workers ---- */
/* How long a fault may take to apply before its guardian takes over; a
 * fault's resources can outlive its duration by at most this plus grace. */
#define FL_APPLY_ALLOWANCE_US (300 * 1000000LL)
#define FL_GUARDIAN_GRACE_US (10 * 1000000LL)
/* A descriptor the workers started from now on keep open (the owner
 * session's netlink socket, src/net/nft.c); forget it when closing it. */
void fl_workers_keep_fd(int fd);
void fl_workers_forget_fd(int fd);

/* ---- apply context: what an attack uses to change the host ---- */
/* The most worker processes one fault may start: the upper bound of every
 * attack's workers parameter (cpu: one per cpu of a CPU_SETSIZE set). */
#define FL_MAX_WORKERS 1024
typedef struct fl_ctx {
    fl_spec *spec;
    json_t *rec;        /* the journal record */
    char applied[4096]; /* human lines, one per operation */
    char verified[1024];
    pid_t workers[FL_MAX_WORKERS];
    size_t n_workers;
} fl_ctx;

/* Journals an undo operation durably; call before making the change. */
int fl_ctx_journal_undo(fl_ctx *ctx, json_t *op, fl_error *err);
void fl_ctx_applied(fl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A worker function runs in its own process and never returns normally.
 * It calls fl_worker_ready() once it has done its setup (touched memory,
 * created its file) so that apply() can verify from then on. */
typedef void (*fl_worker_fn)(void *arg);
/* Forks a worker that dies with the supervisor (PDEATHSIG), journals how to
 * kill it, places it in the spec's cgroups, and lets it run; waits up to
 * ready_timeout_ms for fl_worker_ready() (0: do not wait). */
int fl_ctx_spawn(fl_ctx *ctx, const char *label, fl_worker_fn fn, void *arg, int ready_timeout_ms, pid_t *out,
                 fl_error *err);
void fl_worker_ready(void);

/* ---- attacks ---- */
struct fl_attack {
    fl_attack_info info;
    /* Checks parameters together and against the host; records claims and
     * resolves targets into spec->data. Must not change anything. */
    int (*validate)(fl_spec *spec, fl_error *err);
    /* Describes each operation and its inverse without applying anything. */
    void (*plan)(const fl_spec *spec, fl_plan_cb step, void *user);
    /* Applies the fault, journaling each undo operation before its change.
     * Undo is generic (the journal), so there is no revert hook. */
    int (*apply)(fl_ctx *ctx, fl_error *err);
    /* Measures that the fault took effect; writes what it saw into
     * ctx->verified. FL_EAPPLY if it did not. */
    int (*verify)(fl_ctx *ctx, fl_error *err);
};

const fl_attack *fl_attack_lookup(const char *name);

/* Every kind of src/attacks/catalog.h: extern const fl_attack fl_attack_NAME; */
#define FL_DECLARE_ATTACK(name) extern const fl_attack fl_attack_##name;
FL_ATTACKS(FL_DECLARE_ATTACK)
#undef FL_DECLARE_ATTACK

/* Process selection shared by process-kill and process-pause:
 * --pid, --name (exact comm), --pattern (regex on the command line). */
#define FL_PROCESS_TARGET_PARAMS                                                                                         \
    {"pid", FL_PARAM_INT, FL_PARAM_REPEATABLE, NULL, "2", "4194304", NULL, "target process id"},                         \
        {"name", FL_PARAM_STRING, 0, NULL, NULL, NULL, NULL, "target processes by exact name (comm, as in ps -o comm)"}, \
        {"pattern", FL_PARAM_REGEX, 0, NULL, NULL, NULL, NULL, "target processes whose command line matches (ERE)"}, {   \
        "count", FL_PARAM_INT, 0, "0", "0", "100000", NULL, "at most this many, lowest pids first; 0 = all matching"     \
    }
typedef struct fl_proc_target {
    pid_t pid;
    unsigned long long start;
    char comm[32];
} fl_proc_target;
int fl_select_processes(const fl_spec *spec, fl_proc_target **out, size_t *n, fl_error *err);

#endif
