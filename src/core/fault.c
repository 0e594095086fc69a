/* The fault lifecycle: supervisor, guardian and workers.
 *
 *   caller ──lifeline pipe──▶ supervisor ──guardian pipe──▶ guardian
 *                              │ (holds the fault, reverts it at expiry,
 *                              │  on SIGTERM, or when the lifeline closes)
 *                              └─▶ workers (die with the supervisor: PDEATHSIG)
 *
 * The caller's end of the lifeline closes when the caller exits for any
 * reason, kill -9 included, so an attached fault never outlives its caller.
 * The guardian rolls the fault back from the journal if the supervisor dies,
 * or kills it and rolls back if it is still holding past expiry plus a grace
 * period. Detached faults have no lifeline; their bound is the expiry. */
#include "buffer.h"
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUARDIAN_GRACE_US FL_GUARDIAN_GRACE_US
#define STOP_TIMEOUT_MS 30000
#define APPLY_ALLOWANCE_US FL_APPLY_ALLOWANCE_US

struct fl_fault {
    char id[40];
    pid_t supervisor;
    unsigned long long supervisor_start;
    int lifeline; /* write end; -1 when detached or finished */
    bool child;   /* the supervisor is our child (attached) */
    bool finished;
    char *applied;
    char *verified;
    int64_t active_us, expires_us;
    const void *engine_stats; /* the packet engine's counters, mapped (network faults) */
};

static void make_id(const char *kind, char *buf, size_t len) {
    unsigned char r[4] = {0};
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        int64_t t = fl_mono_us() ^ getpid();
        memcpy(r, &t, sizeof(r));
    }
    snprintf(buf, len, "%s-%02x%02x%02x%02x", kind, r[0], r[1], r[2], r[3]);
}

/* This boot's id: boot-clock times in a record mean something only within
 * the boot that wrote them. */
static void boot_id(char *buf, size_t len) {
    buf[0] = '\0';
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f) {
        if (fgets(buf, (int)len, f))
            buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
}

static json_t *new_record(fl_spec *spec, const char *id, int64_t duration_us) {
    unsigned long long start = 0;
    fl_proc_start_ticks(getpid(), &start);
    json_t *claims = json_array();
    for (size_t i = 0; i < spec->n_claims; i++)
        json_array_append_new(claims, json_string(spec->claims[i]));
    int64_t now = fl_wall_us();
    char boot[64];
    boot_id(boot, sizeof(boot));
    /* expires_us (wall clock) is for people; every decision uses
     * expires_boot_us, which no clock step moves. */
    return json_pack("{s:i, s:s, s:s, s:o, s:o, s:s, s:{s:i, s:I}, s:I, s:I, s:I, s:s, s:[]}", "version", 1, "id", id,
                     "kind", fl_spec_kind(spec), "params", fl_spec_params_json(spec), "claims", claims, "state",
                     "applying", "owner", "pid", (int)getpid(), "start", (json_int_t)start, "started_us",
                     (json_int_t)now, "expires_us", (json_int_t)(now + duration_us), "expires_boot_us",
                     (json_int_t)(fl_boot_us() + duration_us + APPLY_ALLOWANCE_US), "boot_id", boot, "undo");
}

/* When a supervisor that is still there has held its fault too long: the
 * boot clock against the record's boot-clock expiry, and never across a
 * reboot (a record from another boot has no live supervisor anyway). */
static bool past_expiry(json_t *rec, int64_t margin_us) {
    json_t *exp = json_object_get(rec, "expires_boot_us");
    const char *rec_boot = json_string_value(json_object_get(rec, "boot_id"));
    char boot[64];
    boot_id(boot, sizeof(boot));
    if (!json_is_integer(exp) || !rec_boot || strcmp(rec_boot, boot) != 0)
        return false;
    return fl_boot_us() > json_integer_value(exp) + margin_us;
}

/* ---- workers ---- */
static int worker_ready_fd = -1;
static int inherited_fds[4] = {-1, -1, -1, -1};

void fl_workers_keep_fd(int fd) {
    for (size_t i = 0; i < FL_ARRAY_LEN(inherited_fds); i++)
        if (inherited_fds[i] < 0) {
            inherited_fds[i] = fd;
            return;
        }
}

void fl_workers_forget_fd(int fd) {
    for (size_t i = 0; i < FL_ARRAY_LEN(inherited_fds); i++)
        if (inherited_fds[i] == fd)
            inherited_fds[i] = -1;
}

void fl_worker_ready(void) {
    if (worker_ready_fd >= 0) {
        fl_write_all(worker_ready_fd, "R", 1);
        close(worker_ready_fd);
        worker_ready_fd = -1;
    }
}

int fl_ctx_journal_undo(fl_ctx *ctx, json_t *op, fl_error *err) {
    if (!op)
        return fl_fail(err, FL_EAPPLY, "journal", "cannot describe the undo operation (process gone?)");
    json_array_append_new(json_object_get(ctx->rec, "undo"), op);
    return fl_journal_save(ctx->rec, err);
}

void fl_ctx_applied(fl_ctx *ctx, const char *fmt, ...) {
    size_t used = strlen(ctx->applied);
    if (used + 2 >= sizeof(ctx->applied))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->applied + used, sizeof(ctx->applied) - used - 1, fmt, ap);
    va_end(ap);
    strcat(ctx->applied, "\n");
}

int fl_ctx_spawn(fl_ctx *ctx, const char *label, fl_worker_fn fn, void *arg, int ready_timeout_ms, pid_t *out,
                 fl_error *err) {
    if (ctx->n_workers >= FL_ARRAY_LEN(ctx->workers))
        return fl_fail(err, FL_EINVAL, "workers", "too many workers");
    int go[2], ready[2];
    if (pipe2(go, O_CLOEXEC) != 0)
        return fl_fail(err, FL_EAPPLY, "workers", "pipe: %s", strerror(errno));
    if (pipe2(ready, O_CLOEXEC) != 0) {
        close(go[0]);
        close(go[1]);
        return fl_fail(err, FL_EAPPLY, "workers", "pipe: %s", strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);
        return fl_fail(err, FL_EAPPLY, "workers", "fork: %s", strerror(e));
    }
    if (pid == 0) {
        /* The worker must not outlive the supervisor, whatever kills it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int keep[2 + FL_ARRAY_LEN(inherited_fds)] = {go[0], ready[1]};
        size_t n_keep = 2;
        for (size_t i = 0; i < FL_ARRAY_LEN(inherited_fds); i++)
            if (inherited_fds[i] >= 0)
                keep[n_keep++] = inherited_fds[i];
        fl_close_fds_except(keep, n_keep);
        prctl(PR_SET_NAME, label);
        char c = 0;
        /* Wait until the supervisor has journaled how to kill us. */
        if (read(go[0], &c, 1) != 1 || c != 'G')
            _exit(0);
        close(go[0]);
        worker_ready_fd = ready[1];
        fn(arg);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    int rc = fl_ctx_journal_undo(ctx, fl_undo_kill(pid, label), err);
    if (rc != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    ctx->workers[ctx->n_workers++] = pid;
    for (size_t i = 0; rc == 0 && i < ctx->spec->cgroup.n_list; i++) {
        char path[1200], text[32];
        snprintf(path, sizeof(path), "%s/cgroup.procs", ctx->spec->cgroup.list[i]);
        snprintf(text, sizeof(text), "%d\n", (int)pid);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || fl_write_all(fd, text, strlen(text)) != 0)
            rc = fl_fail(err, FL_EAPPLY, "cgroup", "cannot move %s (pid %d) into %s: %s", label, (int)pid,
                         ctx->spec->cgroup.list[i], strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    if (rc == 0 && fl_write_all(go[1], "G", 1) != 0)
        rc = fl_fail(err, FL_EAPPLY, "workers", "%s did not start", label);
    close(go[1]);
    if (rc == 0 && ready_timeout_ms > 0) {
        struct pollfd p = {.fd = ready[0], .events = POLLIN};
        char c = 0;
        int n;
        while ((n = poll(&p, 1, ready_timeout_ms)) < 0 && errno == EINTR) {
        }
        if (n <= 0 || read(ready[0], &c, 1) != 1)
            rc = fl_fail(err, FL_EAPPLY, "workers", "%s (pid %d) %s", label, (int)pid,
                         n == 0 ? "did not get ready in time" : "exited during setup");
    }
    close(ready[0]);
    if (rc == 0 && out)
        *out = pid;
    return rc;
}

/* ---- guardian ---- */
static void report(int fd, const fl_error *err, const fl_ctx *ctx) {
    json_t *msg;
    if (err)
        msg =
            json_pack("{s:b, s:i, s:s, s:s}", "ok", 0, "code", err->code, "field", err->field, "message", err->message);
    else
        msg = json_pack("{s:b, s:i, s:s, s:s, s:O, s:O}", "ok", 1, "pid", (int)getpid(), "applied", ctx->applied,
                        "verified", ctx->verified, "active_us", json_object_get(ctx->rec, "active_us"), "expires_us",
                        json_object_get(ctx->rec, "expires_us"));
    char *text = json_dumps(msg, JSON_COMPACT);
    if (text) {
        fl_write_all(fd, text, strlen(text));
        fl_write_all(fd, "\n", 1);
    }
    free(text);
    json_decref(msg);
}

/* The guardian's pipe carries 'A' + an int64 boot-clock deadline once the
 * fault is active, and 'D' once the supervisor has rolled back. */
static void run_guardian(const char *id, int fd, pid_t supervisor, unsigned long long supervisor_start,
                         int64_t deadline_boot) {
    prctl(PR_SET_NAME, "fl-guardian");
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    fl_close_fds_except(&fd, 1);
    for (;;) {
        int64_t left_ms = (deadline_boot + GUARDIAN_GRACE_US - fl_boot_us()) / 1000;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, left_ms > 0 ? (int)(left_ms > 3600000 ? 3600000 : left_ms) : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && left_ms > 3600000)
            continue;
        char c = 0;
        if (n > 0 && read(fd, &c, 1) == 1) {
            if (c == 'D')
                _exit(0); /* the supervisor rolled back and said so */
            int64_t deadline;
            if (c == 'A' && read(fd, &deadline, sizeof(deadline)) == (ssize_t)sizeof(deadline)) {
                deadline_boot = deadline;
                continue;
            }
        }
        if (n == 0 && fl_proc_is(supervisor, supervisor_start))
            kill(supervisor, SIGKILL); /* holding past expiry: hung */
        /* The supervisor is gone without saying it finished: roll back. */
        fl_error err;
        _exit(fl_rollback_id(id, &err) == 0 ? 0 : FL_EAPPLY);
    }
}

static void guardian_done(int fd, pid_t guardian) {
    fl_write_all(fd, "D", 1);
    close(fd);
    for (int i = 0; i < 200 && waitpid(guardian, NULL, WNOHANG) == 0; i++)
        fl_sleep_us(1000);
}

/* ---- supervisor ---- */
static int supervise(fl_spec *spec, const char *id, int report_fd, int lifeline, pid_t caller,
                     unsigned long long caller_start) {
    prctl(PR_SET_NAME, "fl-supervisor");
    signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    bool detached = caller <= 0;
    if (detached) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, 0), dup2(null, 1), dup2(null, 2);
            close(null);
        }
    }

    fl_error err;
    fl_error_clear(&err);
    int64_t duration = spec->duration.i64;
    /* Until the fault is active the guardian allows this long to apply. */
    int64_t deadline = fl_boot_us() + duration + APPLY_ALLOWANCE_US;
    fl_ctx ctx = {.spec = spec, .rec = new_record(spec, id, duration)};
    /* An attached fault's caller: once it is gone the fault is orphaned even
     * while this supervisor is still applying (it only reads the lifeline
     * when holding), so recover knows to stop it and wait. */
    if (!detached)
        json_object_set_new(ctx.rec, "caller",
                            json_pack("{s:i, s:I}", "pid", (int)caller, "start", (json_int_t)caller_start));
    if (fl_journal_create(ctx.rec, &err) != 0) {
        report(report_fd, &err, NULL);
        return FL_EAPPLY;
    }

    int g[2];
    pid_t guardian = -1;
    if (pipe2(g, O_CLOEXEC) == 0) {
        pid_t me = getpid();
        unsigned long long my_start = 0;
        fl_proc_start_ticks(me, &my_start);
        guardian = fork();
        if (guardian == 0)
            run_guardian(id, g[0], me, my_start, deadline);
        close(g[0]);
    }
    if (guardian < 0) {
        fl_fail(&err, FL_EAPPLY, "guardian", "cannot start the guardian process: %s", strerror(errno));
        fl_rollback_id(id, NULL);
        report(report_fd, &err, NULL);
        return FL_EAPPLY;
    }
    unsigned long long gstart = 0;
    fl_proc_start_ticks(guardian, &gstart);
    json_object_set_new(ctx.rec, "guardian",
                        json_pack("{s:i, s:I}", "pid", (int)guardian, "start", (json_int_t)gstart));

    int rc = fl_journal_save(ctx.rec, &err);
    if (rc == 0)
        rc = spec->attack->apply(&ctx, &err);
    if (rc == 0 && spec->attack->verify)
        rc = spec->attack->verify(&ctx, &err);
    if (rc == 0) {
        /* The duration counts from the moment the fault is in effect. */
        deadline = fl_boot_us() + duration;
        char msg[1 + sizeof(deadline)] = {'A'};
        memcpy(msg + 1, &deadline, sizeof(deadline));
        fl_write_all(g[1], msg, sizeof(msg));
        int64_t active = fl_wall_us();
        json_object_set_new(ctx.rec, "active_us", json_integer(active));
        json_object_set_new(ctx.rec, "expires_us", json_integer(active + duration));
        json_object_set_new(ctx.rec, "expires_boot_us", json_integer(deadline));
        json_object_set_new(ctx.rec, "state", json_string("active"));
        json_object_set_new(ctx.rec, "applied", json_string(ctx.applied));
        json_object_set_new(ctx.rec, "verified", json_string(ctx.verified));
        rc = fl_journal_save(ctx.rec, &err);
    }
    if (rc != 0) {
        if (err.code == FL_OK)
            fl_fail(&err, FL_EAPPLY, "apply", "the attack failed");
        fl_error rb;
        if (fl_rollback_known(id, ctx.rec, &rb) != 0) {
            size_t used = strlen(err.message);
            if (used + 3 < sizeof(err.message))
                snprintf(err.message + used, sizeof(err.message) - used, "; %.*s",
                         (int)(sizeof(err.message) - used - 3), rb.message);
        }
        guardian_done(g[1], guardian);
        report(report_fd, &err, NULL);
        return err.code;
    }
    report(report_fd, NULL, &ctx);
    close(report_fd);

    /* Hold until expiry, a stop signal, or the caller's exit. */
    for (;;) {
        int64_t left_ms = (deadline - fl_boot_us() + 999) / 1000;
        if (left_ms <= 0)
            break;
        struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = lifeline, .events = POLLIN}};
        int n = poll(p, lifeline >= 0 ? 2 : 1, left_ms > 60000 ? 60000 : (int)left_ms);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            break; /* the caller is gone (or closed its handle) */
        if (n > 0 && (p[0].revents & POLLIN)) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGCHLD)
                break;
            while (waitpid(-1, NULL, WNOHANG) > 0) {
                /* a worker died early (OOM killer?): its undo is a no-op */
            }
        }
    }
    rc = fl_rollback_known(id, ctx.rec, &err);
    guardian_done(g[1], guardian);
    json_decref(ctx.rec);
    return rc == 0 ? 0 : FL_EAPPLY;
}

/* ---- the caller's side ---- */
static fl_fault *fault_new(const char *id) {
    fl_fault *f = fl_xcalloc(1, sizeof(*f));
    snprintf(f->id, sizeof(f->id), "%s", id);
    f->lifeline = -1;
    return f;
}

static fl_fault *run_instant(fl_spec *spec, const char *id, fl_error *err) {
    fl_ctx ctx = {.spec = spec, .rec = new_record(spec, id, 0)};
    json_object_set_new(ctx.rec, "state", json_string("active"));
    fl_fault *fault = NULL;
    if (fl_journal_create(ctx.rec, err) == 0) {
        int rc = spec->attack->apply(&ctx, err);
        if (rc == 0 && spec->attack->verify)
            rc = spec->attack->verify(&ctx, err);
        fl_journal_remove(id);
        if (rc == 0) {
            fault = fault_new(id);
            fault->finished = true;
            fault->applied = fl_xstrdup(ctx.applied);
            fault->verified = fl_xstrdup(ctx.verified);
            fault->active_us = fault->expires_us = fl_wall_us();
        }
    }
    json_decref(ctx.rec);
    return fault;
}

/* The supervisor's reply: one line of JSON ("" if it said nothing). */
static char *read_line(int fd) {
    fl_buffer line = FL_BUFFER_UNCAPPED;
    fl_buffer_read_fd(&line, fd, true);
    return line.data ? fl_buffer_take(&line) : fl_xstrdup("");
}

fl_fault *fl_fault_start(fl_spec *spec, unsigned flags, fl_error *err) {
    fl_error_clear(err);
    if (!spec->validated && fl_spec_validate(spec, err) != 0)
        return NULL;
    if (fl_state_prepare(err) != 0)
        return NULL;
    char id[40];
    make_id(fl_spec_kind(spec), id, sizeof(id));
    if (spec->attack->info.instant)
        return run_instant(spec, id, err);

    bool detach = flags & FL_START_DETACH;
    int rep[2], life[2];
    if (pipe2(rep, O_CLOEXEC) != 0 || pipe2(life, O_CLOEXEC) != 0) {
        fl_fail(err, FL_EAPPLY, "supervisor", "pipe: %s", strerror(errno));
        return NULL;
    }
    fflush(NULL);
    pid_t caller = getpid();
    unsigned long long caller_start = 0;
    fl_proc_start_ticks(caller, &caller_start);
    pid_t pid = fork();
    if (pid < 0) {
        fl_fail(err, FL_EAPPLY, "supervisor", "fork: %s", strerror(errno));
        close(rep[0]), close(rep[1]), close(life[0]), close(life[1]);
        return NULL;
    }
    if (pid == 0) {
        close(rep[0]);
        close(life[1]);
        if (detach) {
            close(life[0]);
            life[0] = -1;
            setsid();
            pid_t again = fork();
            if (again != 0)
                _exit(again < 0 ? FL_EAPPLY : 0);
        } else {
            /* Own process group: a terminal's Ctrl-C reaches the caller,
             * which decides; the lifeline covers the caller's death. */
            setpgid(0, 0);
        }
        _exit(supervise(spec, id, rep[1], life[0], detach ? 0 : caller, caller_start));
    }
    close(rep[1]);
    close(life[0]);
    if (detach) {
        waitpid(pid, NULL, 0);
        close(life[1]);
        life[1] = -1;
    }
    char *line = read_line(rep[0]);
    close(rep[0]);
    json_t *msg = json_loads(line, 0, NULL);
    free(line);
    fl_fault *fault = NULL;
    if (msg && json_is_true(json_object_get(msg, "ok"))) {
        fault = fault_new(id);
        fault->supervisor = (pid_t)json_integer_value(json_object_get(msg, "pid"));
        fl_proc_start_ticks(fault->supervisor, &fault->supervisor_start);
        fault->child = !detach;
        fault->lifeline = life[1];
        fault->applied = fl_xstrdup(json_string_value(json_object_get(msg, "applied")));
        fault->verified = fl_xstrdup(json_string_value(json_object_get(msg, "verified")));
        fault->active_us = json_integer_value(json_object_get(msg, "active_us"));
        fault->expires_us = json_integer_value(json_object_get(msg, "expires_us"));
        fault->engine_stats = fl_engine_stats_map_id(id);
    } else {
        if (msg)
            fl_fail(err, (int)json_integer_value(json_object_get(msg, "code")),
                    json_string_value(json_object_get(msg, "field")), "%s",
                    json_string_value(json_object_get(msg, "message")));
        else
            fl_fail(err, FL_EAPPLY, "supervisor", "the supervisor died before reporting; rolled back");
        if (!detach) {
            close(life[1]);
            waitpid(pid, NULL, 0);
        }
        fl_rollback_id(id, NULL); /* in case it died mid-apply */
    }
    json_decref(msg);
    return fault;
}

const char *fl_fault_id(const fl_fault *fault) { return fault->id; }
const void *fl_fault_engine_map(const fl_fault *fault) { return fault->engine_stats; }
const char *fl_fault_applied(const fl_fault *fault) { return fault->applied ? fault->applied : ""; }
const char *fl_fault_verified(const fl_fault *fault) { return fault->verified ? fault->verified : ""; }
pid_t fl_fault_supervisor_pid(const fl_fault *fault) { return fault->supervisor; }
int64_t fl_fault_active_us(const fl_fault *fault) { return fault->active_us; }
int64_t fl_fault_expires_us(const fl_fault *fault) { return fault->expires_us; }

/* Waits for a process to exit: reaps it when it is our child. Returns 1 if
 * it is gone, 0 on timeout. A signal interrupts the wait (returns 0). */
static int wait_gone(pid_t pid, unsigned long long start, bool child, int timeout_ms) {
    int64_t deadline = fl_mono_us() + (int64_t)timeout_ms * 1000;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int gone = 0;
    for (;;) {
        if (child) {
            pid_t r = waitpid(pid, NULL, WNOHANG);
            if (r == pid || (r < 0 && errno == ECHILD)) {
                gone = 1;
                break;
            }
        } else if (!fl_proc_is(pid, start)) {
            gone = 1;
            break;
        }
        int64_t left_ms = timeout_ms < 0 ? 1000 : (deadline - fl_mono_us()) / 1000;
        if (left_ms <= 0)
            break;
        int slice = (int)(left_ms > 1000 ? 1000 : left_ms);
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            if (poll(&p, 1, slice) < 0 && errno == EINTR)
                break; /* a signal: let the caller look at it */
        } else {
            fl_sleep_us((slice > 10 ? 10 : slice) * 1000);
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return gone;
}

int fl_fault_wait(fl_fault *fault, int timeout_ms, fl_error *err) {
    fl_error_clear(err);
    if (fault->finished)
        return 1;
    int gone = wait_gone(fault->supervisor, fault->supervisor_start, fault->child, timeout_ms);
    if (gone) {
        fault->finished = true;
        json_t *rec;
        fl_error rerr;
        int found = fl_journal_read(fault->id, &rec, &rerr);
        json_decref(rec);
        if (found != 0 && fl_rollback_id(fault->id, err) != 0)
            return -1;
    }
    return gone;
}

/* Asks the supervisor to roll back and waits; takes over if it does not. */
static int stop_supervisor(const char *id, pid_t pid, unsigned long long start, bool child, fl_error *err) {
    if (fl_proc_is(pid, start)) {
        kill(pid, SIGTERM);
        if (!wait_gone(pid, start, child, STOP_TIMEOUT_MS)) {
            kill(pid, SIGKILL);
            wait_gone(pid, start, child, 5000);
        }
    } else if (child) {
        waitpid(pid, NULL, WNOHANG);
    }
    return fl_rollback_id(id, err); /* a no-op when the supervisor did it */
}

int fl_fault_stop(fl_fault *fault, fl_error *err) {
    fl_error_clear(err);
    if (fault->finished)
        return 0;
    int rc = stop_supervisor(fault->id, fault->supervisor, fault->supervisor_start, fault->child, err);
    fault->finished = true;
    if (fault->lifeline >= 0) {
        close(fault->lifeline);
        fault->lifeline = -1;
    }
    return rc;
}

void fl_fault_free(fl_fault *fault) {
    if (!fault)
        return;
    if (fault->child && !fault->finished)
        fl_fault_stop(fault, NULL);
    if (fault->lifeline >= 0)
        close(fault->lifeline);
    fl_engine_stats_unmap_any(fault->engine_stats);
    free(fault->applied);
    free(fault->verified);
    free(fault);
}

int fl_stop_id(const char *id, fl_error *err) {
    fl_error_clear(err);
    if (!fl_fault_id_valid(id))
        return fl_fail(err, FL_EINVAL, "id",
                       "'%s' is not a fault id (ids look like cpu-1a2b3c4d; see faultline status)", id ? id : "");
    json_t *rec;
    int found = fl_journal_read(id, &rec, err);
    if (found < 0)
        return -1; /* a corrupt record: faultline recover deals with it */
    if (found == 0)
        return fl_fail(err, FL_EINVAL, "id", "no active fault with id '%s' (see faultline status)", id);
    json_t *owner = json_object_get(rec, "owner");
    pid_t pid = (pid_t)json_integer_value(json_object_get(owner, "pid"));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(owner, "start"));
    json_decref(rec);
    return stop_supervisor(id, pid, start, false, err);
}

bool fl_tag_valid(const char *tag) {
    size_t n = tag ? strlen(tag) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)tag[i]) && !strchr("_.-", tag[i]))
            return false;
    return true;
}

int fl_stop_tag(const char *tag, fl_error *err) {
    fl_error_clear(err);
    if (!fl_tag_valid(tag))
        return fl_fail(err, FL_EINVAL, "tag", "tag: '%s' is not a tag (1-64 of a-z A-Z 0-9 _ . -)", tag ? tag : "");
    json_t *all, *corrupt;
    if (fl_journal_scan(&all, &corrupt, err) != 0) {
        json_decref(all);
        json_decref(corrupt);
        return -1;
    }
    int stopped = 0, failed = 0;
    size_t i;
    json_t *rec;
    json_array_foreach(all, i, rec) {
        const char *t = json_string_value(json_object_get(json_object_get(rec, "params"), "tag"));
        if (!t || strcmp(t, tag) != 0)
            continue;
        fl_error e;
        if (fl_stop_id(json_string_value(json_object_get(rec, "id")), &e) == 0)
            stopped++;
        else if (failed++ == 0 && err)
            *err = e;
    }
    json_decref(all);
    json_decref(corrupt);
    return failed ? -1 : stopped;
}

/* ---- status and recovery ---- */
static void status_of_record(json_t *rec, fl_fault_status *s) {
    snprintf(s->id, sizeof(s->id), "%s", json_string_value(json_object_get(rec, "id")));
    snprintf(s->kind, sizeof(s->kind), "%s", json_string_value(json_object_get(rec, "kind")));
    s->params_json = json_dumps(json_object_get(rec, "params"), JSON_COMPACT);
    s->undo_json = json_dumps(json_object_get(rec, "undo"), JSON_COMPACT);
    json_t *active = json_object_get(rec, "active_us"); /* set once in effect */
    s->started_us = json_integer_value(active ? active : json_object_get(rec, "started_us"));
    s->expires_us = json_integer_value(json_object_get(rec, "expires_us"));
    s->owner_pid = (pid_t)json_integer_value(json_object_get(json_object_get(rec, "owner"), "pid"));
    s->owner_alive = fl_journal_owner_alive(rec);
    json_t *g = json_object_get(rec, "guardian");
    s->guardian_pid = (pid_t)json_integer_value(json_object_get(g, "pid"));
    s->guardian_alive =
        g && fl_proc_is(s->guardian_pid, (unsigned long long)json_integer_value(json_object_get(g, "start")));
    const char *tag = json_string_value(json_object_get(json_object_get(rec, "params"), "tag"));
    snprintf(s->tag, sizeof(s->tag), "%s", tag ? tag : "");
    const char *state = json_string_value(json_object_get(rec, "state"));
    if (!s->owner_alive && strcmp(state ? state : "", "revert-failed") != 0)
        state = "orphaned";
    else if (s->owner_alive && strcmp(state, "active") == 0 && past_expiry(rec, 2000000))
        state = "expired";
    snprintf(s->state, sizeof(s->state), "%s", state ? state : "?");
}

int fl_status_list(fl_fault_status **out, size_t *count, fl_error *err) {
    fl_error_clear(err);
    *out = NULL;
    *count = 0;
    json_t *all, *corrupt;
    if (fl_journal_scan(&all, &corrupt, err) != 0) {
        json_decref(all);
        json_decref(corrupt);
        return -1;
    }
    json_t *kept = fl_journal_quarantined();
    size_t n = json_array_size(all), nc = json_array_size(corrupt), nk = json_array_size(kept);
    fl_fault_status *list = fl_xcalloc(n + nc + nk ? n + nc + nk : 1, sizeof(*list));
    for (size_t i = 0; i < n; i++)
        status_of_record(json_array_get(all, i), &list[i]);
    for (size_t i = 0; i < nc + nk; i++) {
        fl_fault_status *s = &list[n + i];
        snprintf(s->state, sizeof(s->state), "corrupt");
        if (i < nc) {
            json_t *c = json_array_get(corrupt, i);
            const char *id = json_string_value(json_object_get(c, "id"));
            snprintf(s->id, sizeof(s->id), "%s", id ? id : "?");
            snprintf(s->file, sizeof(s->file), "%s", json_string_value(json_object_get(c, "file")));
            snprintf(s->problem, sizeof(s->problem), "%s (faultline recover moves it aside and undoes what it can)",
                     json_string_value(json_object_get(c, "problem")));
        } else {
            snprintf(s->id, sizeof(s->id), "?");
            snprintf(s->file, sizeof(s->file), "%s", json_string_value(json_array_get(kept, i - nc)));
            snprintf(s->problem, sizeof(s->problem), "kept for inspection after recover; remove it once inspected");
        }
    }
    json_decref(all);
    json_decref(corrupt);
    json_decref(kept);
    *out = list;
    *count = n + nc + nk;
    return 0;
}

void fl_status_free(fl_fault_status *list, size_t count) {
    for (size_t i = 0; list && i < count; i++) {
        free(list[i].params_json);
        free(list[i].undo_json);
    }
    free(list);
}

static bool is_network_kind(const char *kind) {
    static const char *const net[] = {"latency", "packet-loss", "blackhole", "reset", "bandwidth", "dns"};
    for (size_t i = 0; i < FL_ARRAY_LEN(net); i++)
        if (strcmp(kind, net[i]) == 0)
            return true;
    return false;
}

/* A corrupt record: its supervisor, if it is still there, rolls back from
 * its own copy; what else can be read in the record, each operation valid
 * on its own, is undone, and so is what faultline names after the id (a
 * network fault's table); the file is moved to corrupt/. Always reported
 * as a failure: nobody can tell from the record that nothing is left. */
static void recover_corrupt(json_t *c, fl_recover_cb cb, void *user, int *failed, fl_error *err) {
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *text = json_string_value(json_object_get(c, "text"));
    char msg[sizeof(err->message)];
    int undone = 0;
    if (id) {
        json_t *owner = NULL;
        json_t *ops = fl_journal_salvage(id, text, text ? json_string_length(json_object_get(c, "text")) : 0, &owner);
        if (owner) {
            pid_t pid = (pid_t)json_integer_value(json_object_get(owner, "pid"));
            unsigned long long start = (unsigned long long)json_integer_value(json_object_get(owner, "start"));
            char comm[32] = "";
            if (fl_proc_is(pid, start) && fl_proc_comm(pid, comm, sizeof(comm)) == 0 &&
                strcmp(comm, "fl-supervisor") == 0) {
                kill(pid, SIGTERM);
                wait_gone(pid, start, false, STOP_TIMEOUT_MS);
            }
            json_decref(owner);
        }
        char kind[32];
        snprintf(kind, sizeof(kind), "%.*s", (int)(strlen(id) - 9), id);
        if (is_network_kind(kind)) {
            char table[128];
            fl_net_table_name(id, table, sizeof(table));
            json_array_insert_new(ops, 0, fl_undo_nft_delete_table(table, NULL, 0, 0));
        }
        for (size_t i = json_array_size(ops); i-- > 0;) {
            fl_error e;
            if (fl_undo_run(json_array_get(ops, i), &e) == 0)
                undone++;
        }
        json_decref(ops);
    }
    char dest[1200] = "";
    fl_error qerr;
    if (fl_journal_quarantine(name, dest, sizeof(dest), &qerr) != 0)
        snprintf(dest, sizeof(dest), "(could not be moved: %s)", qerr.message);
    snprintf(
        msg, sizeof(msg), "corrupt journal record %s (%s): %d undo operation(s) recovered from it and run; moved to %s",
        json_string_value(json_object_get(c, "file")), json_string_value(json_object_get(c, "problem")), undone, dest);
    if (cb)
        cb(user, id ? id : name, "corrupt record", msg);
    if ((*failed)++ == 0 && err)
        fl_fail(err, FL_EAPPLY, "corrupt", "%s", msg);
}

int fl_recover(unsigned flags, fl_recover_cb cb, void *user, fl_error *err) {
    fl_error_clear(err);
    json_t *all, *corrupt;
    if (fl_journal_scan(&all, &corrupt, err) != 0) {
        json_decref(all);
        json_decref(corrupt);
        return -1;
    }
    size_t i;
    json_t *rec;
    int count = 0, failed = 0;
    json_array_foreach(all, i, rec) {
        const char *id = json_string_value(json_object_get(rec, "id"));
        const char *kind = json_string_value(json_object_get(rec, "kind"));
        bool alive = fl_journal_owner_alive(rec);
        /* A supervisor still holding well past expiry is hung: take over. */
        bool hung = alive && past_expiry(rec, 2 * GUARDIAN_GRACE_US);
        /* An attached fault whose caller died is orphaned even while its
         * supervisor lives (it may still be applying): stop it and wait. */
        json_t *caller = json_object_get(rec, "caller");
        bool caller_gone =
            caller && !fl_proc_is((pid_t)json_integer_value(json_object_get(caller, "pid")),
                                  (unsigned long long)json_integer_value(json_object_get(caller, "start")));
        if (alive && !hung && !caller_gone && !(flags & FL_RECOVER_ALL))
            continue;
        fl_error e;
        /* Stop by the owner already read: the supervisor may finish its own
         * rollback meanwhile, and a record gone by then is a success. */
        json_t *owner = json_object_get(rec, "owner");
        int rc =
            alive ? stop_supervisor(id, (pid_t)json_integer_value(json_object_get(owner, "pid")),
                                    (unsigned long long)json_integer_value(json_object_get(owner, "start")), false, &e)
                  : fl_rollback_id(id, &e);
        if (rc == 0)
            count++;
        else if (failed++ == 0 && err)
            *err = e;
        if (cb)
            cb(user, id, kind, rc == 0 ? NULL : e.message);
    }
    json_decref(all);
    json_array_foreach(corrupt, i, rec) recover_corrupt(rec, cb, user, &failed, err);
    json_decref(corrupt);
    /* Records kept aside earlier: nobody has looked at them yet. */
    json_t *kept = fl_journal_quarantined();
    if (json_array_size(kept) > 0 && failed++ == 0 && err)
        fl_fail(err, FL_EAPPLY, "corrupt",
                "%zu corrupt journal record(s) kept for inspection (first: %s); remove them once inspected",
                json_array_size(kept), json_string_value(json_array_get(kept, 0)));
    json_decref(kept);
    /* Network rules whose fault has no journal record any more (a wiped
     * state directory): faultline_* nftables tables of this state
     * directory in this namespace. */
    count += fl_net_remove_leftovers(cb, user);
    return failed ? -1 : count;
}
