/* faultline: controlled fault injection for Linux hosts.
 *
 * This header is the whole public API. The faultline CLI is a thin client of
 * it; a C or C++ test suite can use it directly, starting an attack in its
 * setup and stopping it in its teardown:
 *
 *     fl_error err;
 *     fl_spec *spec = fl_spec_new("cpu", &err);
 *     fl_spec_set(spec, "load", "80%", &err);
 *     fl_spec_set(spec, "duration", "30s", &err);
 *     fl_fault *fault = fl_fault_start(spec, 0, &err);   // setup
 *     ...
 *     fl_fault_stop(fault, &err);                        // teardown
 *     fl_fault_free(fault);
 *     fl_spec_free(spec);
 *
 * Every function that can fail takes an fl_error and returns a negative value
 * or NULL on failure; err->code is then one of the FL_E* codes, which are also
 * the CLI's exit codes. Nothing is applied when a function fails with
 * FL_EINVAL.
 *
 * Safety model (docs/safety.md): a fault is held by a supervisor process. Each
 * undo operation is written to the journal (FAULTLINE_STATE_DIR, default
 * /run/faultline) and fsync'ed before the change it undoes is made. The
 * supervisor rolls the fault back at expiry, on fl_fault_stop(), on SIGTERM,
 * and when the process that started it dies. A guardian process rolls it back
 * if the supervisor itself dies, and fl_recover() (run by every faultline
 * command) handles whatever is left.
 */
#ifndef FAULTLINE_H
#define FAULTLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FL_VERSION "0.1.0"

/* Marks the public functions: the library is built with
 * -fvisibility=hidden, so these are the only symbols libfaultline.so
 * exports (its internals stay internal, whatever their names). */
#define FL_API __attribute__((visibility("default")))

/* Result codes; identical to the CLI's exit codes. */
enum fl_code {
    FL_OK = 0,
    FL_EHYPOTHESIS = 1, /* a hypothesis failed */
    FL_EINVAL = 2,      /* invalid input; nothing was applied */
    FL_EABORTED = 3,    /* aborted by a stop condition or a signal; rolled back */
    FL_EAPPLY = 4,      /* a fault could not be applied, verified or rolled back */
};

typedef struct fl_error {
    int code;          /* enum fl_code */
    char field[64];    /* the parameter or field at fault, "" if none */
    char message[512]; /* a sentence for a human; "delay: '2' needs a unit ..." */
} fl_error;

/* Messages about a parameter start with its name and ": ", as the parameter
 * is named in fl_spec_set() and in experiment files (no CLI syntax). This is
 * the rest, for a caller that names the field its own way ("--delay: ...",
 * "method[0].with.delay: ..."); the whole message when it has no such start. */
FL_API const char *fl_error_detail(const fl_error *err);

/* ---- units ------------------------------------------------------------
 * Durations: "500us", "40ms", "2s", "1m", "1h", "1m30s", "1.5s".
 * Sizes: "512M", "2G", "64K", "1T", "4096" (bytes); K/M/G/T are powers of
 * 1024, optionally written KiB/MiB/... or KB/MB/...
 * Percentages: "80%" or "80", 0 to 100.
 * Rates: "1000/s", "60/m", "max".
 * All return 0 or -1 with err filled (field set to `field`). */
FL_API int fl_parse_duration(const char *text, const char *field, int64_t *out_us, fl_error *err);
FL_API int fl_parse_size(const char *text, const char *field, uint64_t *out_bytes, fl_error *err);
FL_API int fl_parse_percent(const char *text, const char *field, double *out_percent, fl_error *err);
FL_API int fl_parse_rate(const char *text, const char *field, double *out_per_second, fl_error *err);
/* Formats a duration compactly ("2s", "40ms", "1m30s") into buf. */
FL_API const char *fl_format_duration(int64_t us, char *buf, size_t len);
/* Formats Unix time in microseconds as RFC 3339 UTC with milliseconds
 * ("2026-11-27T00:29:09.123Z") into buf. */
FL_API const char *fl_format_time(int64_t unix_us, char *buf, size_t len);
/* The current Unix time in microseconds. */
FL_API int64_t fl_wall_us(void);
/* Formats a byte count ("256M", "1.5G") into buf. */
FL_API const char *fl_format_size(uint64_t bytes, char *buf, size_t len);

/* ---- the attack catalog ---------------------------------------------- */
typedef enum fl_param_type {
    FL_PARAM_DURATION,
    FL_PARAM_SIZE,
    FL_PARAM_PERCENT,
    FL_PARAM_AMOUNT, /* a size or a percentage of a whole: "2G" or "10%" */
    FL_PARAM_INT,
    FL_PARAM_STRING,
    FL_PARAM_ENUM,
    FL_PARAM_CPULIST, /* "0-3,6" */
    FL_PARAM_PATH,    /* an absolute path */
    FL_PARAM_SIGNAL,  /* "SIGTERM", "TERM" or "15" */
    FL_PARAM_BOOL,    /* a flag: present or not */
    FL_PARAM_REGEX,   /* POSIX extended regular expression */
} fl_param_type;

#define FL_PARAM_REQUIRED 0x1u   /* must be given */
#define FL_PARAM_REPEATABLE 0x2u /* may be given several times */

typedef struct fl_param_spec {
    const char *name; /* CLI flag without "--", YAML key */
    fl_param_type type;
    unsigned flags;
    const char *def; /* default in CLI syntax, NULL if none */
    const char *min; /* inclusive bounds in the type's syntax, NULL if none */
    const char *max;
    const char *choices; /* FL_PARAM_ENUM: "read|write|mixed" */
    const char *help;    /* one line */
} fl_param_spec;

/* How a fault aimed at one host and port shows from outside, for a caller
 * that wants to check it with a TCP connect to that host:port before and
 * while the fault is on (the experiment runner does). */
typedef enum fl_observe {
    FL_OBSERVE_NONE,  /* not by a TCP connect */
    FL_OBSERVE_DELAY, /* the connect takes longer by the "delay" parameter */
    FL_OBSERVE_CUT,   /* the connect fails */
} fl_observe;

typedef struct fl_attack_info {
    const char *name;    /* "cpu", "memory", ... */
    const char *summary; /* one line */
    const char *details; /* a paragraph: what it does, how it is undone */
    const fl_param_spec *params;
    size_t n_params;
    bool instant;         /* one-shot (process-kill): no duration, nothing held */
    const char *requires; /* what the target host needs, for docs */
    bool uses_cgroup;     /* starts workers; accepts --cgroup */
    fl_observe observe;   /* how a TCP connect to its one host:port sees it */
} fl_attack_info;

FL_API size_t fl_attack_count(void);
FL_API const fl_attack_info *fl_attack_at(size_t index);
FL_API const fl_attack_info *fl_attack_find(const char *name);
FL_API const char *fl_param_type_name(fl_param_type type);
/* The parameters every held attack takes besides its own: "duration",
 * "tag", and "cgroup" for attacks that start workers. NULL for other names. */
FL_API const fl_param_spec *fl_common_param(const char *name);
/* A parameter of attack `kind` by name, or a common one; NULL if neither. */
FL_API const fl_param_spec *fl_attack_param(const char *kind, const char *name);

/* Parameters every held attack accepts, besides its own. */
#define FL_MAX_DURATION_US (12LL * 3600 * 1000000) /* 12 h */

/* ---- specs: a validated attack request -------------------------------- */
typedef struct fl_spec fl_spec;

FL_API fl_spec *fl_spec_new(const char *kind, fl_error *err);
FL_API void fl_spec_free(fl_spec *spec);
/* Sets a parameter from its text form; validates type and range at once.
 * "duration" (required for held attacks, at most 12 h) and "cgroup" (hog
 * attacks) are accepted besides the kind's own parameters. A repeatable
 * parameter accumulates. */
FL_API int fl_spec_set(fl_spec *spec, const char *name, const char *value, fl_error *err);
/* Checks what needs all parameters together (required ones, exclusive ones,
 * the host: does the path exist, does the process exist). */
FL_API int fl_spec_validate(fl_spec *spec, fl_error *err);
FL_API const char *fl_spec_kind(const fl_spec *spec);
FL_API int64_t fl_spec_duration_us(const fl_spec *spec);

/* Dry run: calls `step` for each operation the attack would perform, with
 * the operation that would undo it (NULL when nothing needs undoing).
 * Applies nothing. Validates first. */
typedef void (*fl_plan_cb)(void *user, const char *operation, const char *inverse);
FL_API int fl_spec_plan(fl_spec *spec, fl_plan_cb step, void *user, fl_error *err);

/* ---- faults ------------------------------------------------------------ */
typedef struct fl_fault fl_fault;

#define FL_START_DETACH 0x1u /* the supervisor outlives the caller */

/* Validates, journals and applies the attack, verifies that it took effect,
 * and returns once it is active (or failed: FL_EINVAL, FL_EAPPLY; on
 * failure everything already applied has been rolled back). Unless
 * FL_START_DETACH is given, the fault is rolled back when the caller's
 * process exits or calls fl_fault_free(). Instant attacks (process-kill)
 * are carried out and return a fault that is already finished. */
FL_API fl_fault *fl_fault_start(fl_spec *spec, unsigned flags, fl_error *err);
FL_API const char *fl_fault_id(const fl_fault *fault);
/* One line per applied operation, '\n'-separated, for display. */
FL_API const char *fl_fault_applied(const fl_fault *fault);
/* What verification measured ("4 workers at 80% on cpus 0-3: 3.2 cores busy"). */
FL_API const char *fl_fault_verified(const fl_fault *fault);
FL_API pid_t fl_fault_supervisor_pid(const fl_fault *fault);
/* When the fault took effect and when it expires (Unix time, microseconds):
 * --duration counts from the moment the fault is verified in effect. */
FL_API int64_t fl_fault_active_us(const fl_fault *fault);
FL_API int64_t fl_fault_expires_us(const fl_fault *fault);
/* Waits until the fault ends by itself (expiry) or timeout_ms passes
 * (-1: no limit). Returns 1 if it ended, 0 on timeout, -1 on error. */
FL_API int fl_fault_wait(fl_fault *fault, int timeout_ms, fl_error *err);
/* Rolls back now and waits until that is done. Idempotent. */
FL_API int fl_fault_stop(fl_fault *fault, fl_error *err);
/* Releases the handle; an attached fault still active is rolled back. */
FL_API void fl_fault_free(fl_fault *fault);

/* ---- the packet engine's accounting (network faults) ------------------
 * Every network attack but `reset` (and `dns --mode refuse` without
 * --domain, done in the kernel) sends its matched packets through a packet
 * engine that counts what it did with each (docs/network.md):
 *
 *   matched   every packet the fault's rules matched
 *   held      held for a while (latency, bandwidth, reorder)
 *   released  held packets released on time
 *   late      held packets released more than max(0.5 ms, 2% of their
 *             delay) after they were due
 *   bypassed  matched packets that passed untouched because the engine
 *             could not take them: its queue or socket was full, holding
 *             them would exceed --max-held-bytes, or it was gone (fail-open)
 *   dropped   dropped by the fault (loss, blackhole, dns, a full link queue)
 *   passed    matched packets the fault left alone by design (the share
 *             not lost, corrupted, ...; DNS queries for other names)
 *
 * A fault is degraded when bypassed + late exceed 0.1% of matched, or when
 * its engine died while the fault was in effect: it was not the fault asked
 * for, and an experiment around it is never a pass. */
typedef struct fl_engine_counters {
    uint64_t matched, held, released, late, bypassed, dropped, passed;
    uint64_t corrupted, duplicated, reordered; /* the new kinds' work */
    uint64_t refused;                          /* dns: forged REFUSED answers */
    uint64_t errors;                           /* copies the kernel refused to re-send */
    uint64_t held_packets, held_bytes;         /* held now */
    uint64_t peak_held_packets, peak_held_bytes;
    uint64_t max_held_bytes; /* the cap (--max-held-bytes) */
    bool running;            /* the engine is bound and working */
    bool lost;               /* it died while the fault was in effect (fail-open) */
    bool degraded;           /* see above; `reason` says why, with the numbers */
    char reason[256];
} fl_engine_counters;

/* The counters of a fault started by this process; they stay readable
 * after fl_fault_stop() (the engine's last numbers), until fl_fault_free().
 * Returns 1 with *out filled, 0 if the fault has no packet engine (not a
 * network attack, or `reset`), -1 on error. */
FL_API int fl_fault_engine_stats(const fl_fault *fault, fl_engine_counters *out, fl_error *err);
/* The same for any active fault by id (one held by a supervisor of another
 * process, a detached one): 1, 0 or -1 as above. */
FL_API int fl_engine_stats_by_id(const char *id, fl_engine_counters *out, fl_error *err);
/* The counters as one JSON object (snake_case keys, as in `faultline status
 * --json`), malloc'ed; NULL if out of memory. */
FL_API char *fl_engine_counters_json(const fl_engine_counters *c);

/* ---- status, stop by id, recovery -------------------------------------- */
typedef struct fl_fault_status {
    char id[40];
    char kind[32];
    char state[16];     /* applying, active, reverting, revert-failed, orphaned, expired, corrupt */
    char *params_json;  /* {"load":"80%",...} */
    char *undo_json;    /* the journaled undo operations */
    int64_t started_us; /* Unix time, microseconds */
    int64_t expires_us;
    pid_t owner_pid; /* the supervisor */
    bool owner_alive;
    pid_t guardian_pid; /* rolls back if the supervisor dies; 0 if none */
    bool guardian_alive;
    char tag[64]; /* the --tag it was started with, "" if none */
    /* state "corrupt": a record that cannot be trusted (unreadable,
     * truncated, or with a field faultline never writes). `file` names it
     * and `problem` says what is wrong; the other fields are empty. */
    char file[512];
    char problem[256];
} fl_fault_status;

/* Lists journaled faults, corrupt records included (state "corrupt").
 * Free with fl_status_free. Fails (FL_EAPPLY) if the state directory
 * cannot be trusted (see fl_state_check). */
FL_API int fl_status_list(fl_fault_status **out, size_t *count, fl_error *err);
FL_API void fl_status_free(fl_fault_status *list, size_t count);

/* True if `id` has the form faultline gives fault ids: "<kind>-" and 8
 * lowercase hex digits, with a kind from the catalog. */
FL_API bool fl_fault_id_valid(const char *id);

/* Rolls back the fault with this id (by asking its supervisor, or directly
 * if the supervisor is gone). FL_EINVAL for a text that is not a fault id
 * and for an id with no record. */
FL_API int fl_stop_id(const char *id, fl_error *err);

/* Rolls back every fault started with --tag `tag` (a tag is 1-64 of
 * a-z A-Z 0-9 _ . -). Returns how many, or -1 with err. */
FL_API int fl_stop_tag(const char *tag, fl_error *err);

#define FL_RECOVER_ALL 0x1u /* also faults whose owner is alive */
/* Called for each fault rolled back; `result` is NULL on success. */
typedef void (*fl_recover_cb)(void *user, const char *id, const char *kind, const char *result);
/* Rolls back every journaled fault whose owner is gone (or, with
 * FL_RECOVER_ALL, every fault), and removes leftovers of faultline's own
 * that no journal mentions. A corrupt record is moved to STATE/corrupt/
 * (kept for inspection), what faultline can still identify as its own from
 * it is undone, and the call fails with FL_EAPPLY naming the file; so does
 * every later call while a record sits in STATE/corrupt/. Returns the
 * number of faults rolled back, or -1. */
FL_API int fl_recover(unsigned flags, fl_recover_cb cb, void *user, fl_error *err);

/* The state directory in use (FAULTLINE_STATE_DIR or /run/faultline). */
FL_API const char *fl_state_dir(void);
/* Checks that the state directory can be trusted before anything in it is
 * read: it and its faults/ are real directories (no symlink), owned by the
 * effective user, with no access for group or others. Returns 1 if it is
 * trusted, 0 if it does not exist (nothing journaled), -1 (FL_EAPPLY, err
 * says why) otherwise. Every function that reads the journal checks this. */
FL_API int fl_state_check(fl_error *err);

/* Notices: things the user should know although nothing failed (which SSH
 * connections a network fault leaves alone, ...). By default each is
 * printed on stderr as "faultline: <message>"; a program embedding the
 * library may take them instead (NULL restores the default). */
typedef void (*fl_notice_fn)(void *user, const char *message);
FL_API void fl_set_notice_handler(fl_notice_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#include "faultline/experiment.h"
#include "faultline/load.h"
#include "faultline/report.h"
#endif
