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
    char message[512]; /* a sentence for a human, naming the field */
} fl_error;

/* ---- units ------------------------------------------------------------
 * Durations: "500us", "40ms", "2s", "1m", "1h", "1m30s", "1.5s".
 * Sizes: "512M", "2G", "64K", "1T", "4096" (bytes); K/M/G/T are powers of
 * 1024, optionally written KiB/MiB/... or KB/MB/...
 * Percentages: "80%" or "80", 0 to 100.
 * Rates: "1000/s", "60/m", "max".
 * All return 0 or -1 with err filled (field set to `field`). */
int fl_parse_duration(const char *text, const char *field, int64_t *out_us, fl_error *err);
int fl_parse_size(const char *text, const char *field, uint64_t *out_bytes, fl_error *err);
int fl_parse_percent(const char *text, const char *field, double *out_percent, fl_error *err);
int fl_parse_rate(const char *text, const char *field, double *out_per_second, fl_error *err);
/* Formats a duration compactly ("2s", "40ms", "1m30s") into buf. */
const char *fl_format_duration(int64_t us, char *buf, size_t len);
/* Formats Unix time in microseconds as RFC 3339 UTC with milliseconds
 * ("2026-11-27T00:29:09.123Z") into buf. */
const char *fl_format_time(int64_t unix_us, char *buf, size_t len);
/* The current Unix time in microseconds. */
int64_t fl_wall_us(void);
/* Formats a byte count ("256M", "1.5G") into buf. */
const char *fl_format_size(uint64_t bytes, char *buf, size_t len);

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
    const char *name;   /* CLI flag without "--", YAML key */
    fl_param_type type;
    unsigned flags;
    const char *def;     /* default in CLI syntax, NULL if none */
    const char *min;     /* inclusive bounds in the type's syntax, NULL if none */
    const char *max;
    const char *choices; /* FL_PARAM_ENUM: "read|write|mixed" */
    const char *help;    /* one line */
} fl_param_spec;

typedef struct fl_attack_info {
    const char *name;    /* "cpu", "memory", ... */
    const char *summary; /* one line */
    const char *details; /* a paragraph: what it does, how it is undone */
    const fl_param_spec *params;
    size_t n_params;
    bool instant;         /* one-shot (process-kill): no duration, nothing held */
    const char *requires; /* what the target host needs, for docs */
    bool uses_cgroup;     /* starts workers; accepts --cgroup */
} fl_attack_info;

size_t fl_attack_count(void);
const fl_attack_info *fl_attack_at(size_t index);
const fl_attack_info *fl_attack_find(const char *name);
const char *fl_param_type_name(fl_param_type type);
/* The parameters every held attack takes besides its own: "duration", and
 * "cgroup" for attacks that start workers. NULL for other names. */
const fl_param_spec *fl_common_param(const char *name);
/* A parameter of attack `kind` by name, or a common one; NULL if neither. */
const fl_param_spec *fl_attack_param(const char *kind, const char *name);

/* Parameters every held attack accepts, besides its own. */
#define FL_MAX_DURATION_US (12LL * 3600 * 1000000) /* 12 h */

/* ---- specs: a validated attack request -------------------------------- */
typedef struct fl_spec fl_spec;

fl_spec *fl_spec_new(const char *kind, fl_error *err);
void fl_spec_free(fl_spec *spec);
/* Sets a parameter from its text form; validates type and range at once.
 * "duration" (required for held attacks, at most 12 h) and "cgroup" (hog
 * attacks) are accepted besides the kind's own parameters. A repeatable
 * parameter accumulates. */
int fl_spec_set(fl_spec *spec, const char *name, const char *value, fl_error *err);
/* Checks what needs all parameters together (required ones, exclusive ones,
 * the host: does the path exist, does the process exist). */
int fl_spec_validate(fl_spec *spec, fl_error *err);
const char *fl_spec_kind(const fl_spec *spec);
int64_t fl_spec_duration_us(const fl_spec *spec);

/* Dry run: calls `step` for each operation the attack would perform, with
 * the operation that would undo it (NULL when nothing needs undoing).
 * Applies nothing. Validates first. */
typedef void (*fl_plan_cb)(void *user, const char *operation, const char *inverse);
int fl_spec_plan(fl_spec *spec, fl_plan_cb step, void *user, fl_error *err);

/* ---- faults ------------------------------------------------------------ */
typedef struct fl_fault fl_fault;

#define FL_START_DETACH 0x1u /* the supervisor outlives the caller */

/* Validates, journals and applies the attack, verifies that it took effect,
 * and returns once it is active (or failed: FL_EINVAL, FL_EAPPLY; on
 * failure everything already applied has been rolled back). Unless
 * FL_START_DETACH is given, the fault is rolled back when the caller's
 * process exits or calls fl_fault_free(). Instant attacks (process-kill)
 * are carried out and return a fault that is already finished. */
fl_fault *fl_fault_start(fl_spec *spec, unsigned flags, fl_error *err);
const char *fl_fault_id(const fl_fault *fault);
/* One line per applied operation, '\n'-separated, for display. */
const char *fl_fault_applied(const fl_fault *fault);
/* What verification measured ("4 workers at 80% on cpus 0-3: 3.2 cores busy"). */
const char *fl_fault_verified(const fl_fault *fault);
pid_t fl_fault_supervisor_pid(const fl_fault *fault);
/* When the fault took effect and when it expires (Unix time, microseconds):
 * --duration counts from the moment the fault is verified in effect. */
int64_t fl_fault_active_us(const fl_fault *fault);
int64_t fl_fault_expires_us(const fl_fault *fault);
/* Waits until the fault ends by itself (expiry) or timeout_ms passes
 * (-1: no limit). Returns 1 if it ended, 0 on timeout, -1 on error. */
int fl_fault_wait(fl_fault *fault, int timeout_ms, fl_error *err);
/* Rolls back now and waits until that is done. Idempotent. */
int fl_fault_stop(fl_fault *fault, fl_error *err);
/* Releases the handle; an attached fault still active is rolled back. */
void fl_fault_free(fl_fault *fault);

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
    uint64_t max_held_bytes;                   /* the cap (--max-held-bytes) */
    bool running;  /* the engine is bound and working */
    bool lost;     /* it died while the fault was in effect (fail-open) */
    bool degraded; /* see above; `reason` says why, with the numbers */
    char reason[256];
} fl_engine_counters;

/* The counters of a fault started by this process; they stay readable
 * after fl_fault_stop() (the engine's last numbers), until fl_fault_free().
 * Returns 1 with *out filled, 0 if the fault has no packet engine (not a
 * network attack, or `reset`), -1 on error. */
int fl_fault_engine_stats(const fl_fault *fault, fl_engine_counters *out, fl_error *err);
/* The same for any active fault by id (one held by a supervisor of another
 * process, a detached one): 1, 0 or -1 as above. */
int fl_engine_stats_by_id(const char *id, fl_engine_counters *out, fl_error *err);
/* The counters as one JSON object (snake_case keys, as in `faultline status
 * --json`), malloc'ed; NULL if out of memory. */
char *fl_engine_counters_json(const fl_engine_counters *c);

/* ---- status, stop by id, recovery -------------------------------------- */
typedef struct fl_fault_status {
    char id[40];
    char kind[32];
    char state[16];       /* applying, active, reverting, orphaned, expired */
    char *params_json;    /* {"load":"80%",...} */
    char *undo_json;      /* the journaled undo operations */
    int64_t started_us;   /* Unix time, microseconds */
    int64_t expires_us;
    pid_t owner_pid;      /* the supervisor */
    bool owner_alive;
} fl_fault_status;

/* Lists journaled faults. Free with fl_status_free. */
int fl_status_list(fl_fault_status **out, size_t *count, fl_error *err);
void fl_status_free(fl_fault_status *list, size_t count);

/* Rolls back the fault with this id (by asking its supervisor, or directly
 * if the supervisor is gone). */
int fl_stop_id(const char *id, fl_error *err);

#define FL_RECOVER_ALL 0x1u /* also faults whose owner is alive */
/* Called for each fault rolled back; `result` is NULL on success. */
typedef void (*fl_recover_cb)(void *user, const char *id, const char *kind, const char *result);
/* Rolls back every journaled fault whose owner is gone (or, with
 * FL_RECOVER_ALL, every fault), and removes leftovers of faultline's own
 * that no journal mentions. Returns the number of faults rolled back. */
int fl_recover(unsigned flags, fl_recover_cb cb, void *user, fl_error *err);

/* The state directory in use (FAULTLINE_STATE_DIR or /run/faultline). */
const char *fl_state_dir(void);

#ifdef __cplusplus
}
#endif
#include "faultline/load.h"
#include "faultline/report.h"
#include "faultline/experiment.h"
#endif
