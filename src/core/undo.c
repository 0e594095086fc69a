/* Undo operations: the inverse of every change faultline makes, in a form
 * that any faultline process can carry out from the journal alone. Each one
 * is idempotent, and each names its target by pid AND start time, so a pid
 * reused by an unrelated process is never touched. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static json_t *process_op(const char *op, pid_t pid, const char *label) {
    unsigned long long start = 0;
    if (fl_proc_start_ticks(pid, &start) != 0)
        return NULL;
    return json_pack("{s:s, s:i, s:I, s:s}", "op", op, "pid", (int)pid, "start", (json_int_t)start, "label",
                     label ? label : "");
}

json_t *fl_undo_kill(pid_t pid, const char *label) { return process_op("kill", pid, label); }

json_t *fl_undo_signal(pid_t pid, int signo, const char *label) {
    json_t *op = process_op("signal", pid, label);
    if (op)
        json_object_set_new(op, "signal", json_integer(signo));
    return op;
}

json_t *fl_undo_unlink(const char *path) { return json_pack("{s:s, s:s}", "op", "unlink", "path", path); }

static int run_kill(json_t *op, fl_error *err) {
    pid_t pid = (pid_t)json_integer_value(json_object_get(op, "pid"));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(op, "start"));
    const char *label = json_string_value(json_object_get(op, "label"));
    /* Workers carry their label as their name (PR_SET_NAME) from the moment
     * they exist; any other process is not ours to kill. */
    char comm[32] = "";
    if (fl_proc_is(pid, start) && fl_proc_comm(pid, comm, sizeof(comm)) == 0 && label && strncmp(comm, label, 15) != 0)
        return fl_fail(err, FL_EAPPLY, "undo", "not killing pid %d: it is '%s', not the worker %s", (int)pid, comm,
                       label);
    if (fl_proc_is(pid, start))
        kill(pid, SIGKILL);
    /* Reap it if it is our child; otherwise wait until it is gone. */
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid || !fl_proc_is(pid, start))
            return 0;
        fl_sleep_us(2000);
    }
    return fl_fail(err, FL_EAPPLY, "undo", "process %d did not exit after SIGKILL", (int)pid);
}

static int run_signal(json_t *op, fl_error *err) {
    pid_t pid = (pid_t)json_integer_value(json_object_get(op, "pid"));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(op, "start"));
    int signo = (int)json_integer_value(json_object_get(op, "signal"));
    if (fl_proc_is(pid, start) && kill(pid, signo) != 0 && errno != ESRCH)
        return fl_fail(err, FL_EAPPLY, "undo", "cannot send %s to pid %d: %s", fl_signal_name(signo), (int)pid,
                       strerror(errno));
    return 0;
}

static int run_unlink(json_t *op, fl_error *err) {
    const char *path = json_string_value(json_object_get(op, "path"));
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash || !slash[1])
        return fl_fail(err, FL_EAPPLY, "undo", "unlink: not a path");
    char *dir = fl_xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (dfd < 0)
        return errno == ENOENT
                   ? 0
                   : fl_fail(err, FL_EAPPLY, "undo", "cannot open the directory of %s: %s", path, strerror(errno));
    /* unlinkat never follows the name: a symlink put there is removed, not
     * what it points to. */
    int rc = 0;
    if (unlinkat(dfd, slash + 1, 0) != 0 && errno != ENOENT)
        rc = fl_fail(err, FL_EAPPLY, "undo", "cannot remove %s: %s", path, strerror(errno));
    close(dfd);
    return rc;
}

static const struct {
    const char *name;
    int (*run)(json_t *op, fl_error *err);
} handlers[] = {
    {"kill", run_kill},
    {"signal", run_signal},
    {"unlink", run_unlink},
    {"nft_delete_table", fl_net_undo_delete_table},
    {"engine_drain", fl_net_undo_engine_drain},
};

int fl_undo_run(json_t *op, fl_error *err) {
    const char *name = json_string_value(json_object_get(op, "op"));
    for (size_t i = 0; name && i < FL_ARRAY_LEN(handlers); i++)
        if (strcmp(handlers[i].name, name) == 0)
            return handlers[i].run(op, err);
    return fl_fail(err, FL_EAPPLY, "undo", "unknown undo operation '%s' (journal written by a newer faultline?)",
                   name ? name : "?");
}

void fl_undo_describe(json_t *op, char *buf, size_t len) {
    const char *name = json_string_value(json_object_get(op, "op"));
    const char *label = json_string_value(json_object_get(op, "label"));
    int pid = (int)json_integer_value(json_object_get(op, "pid"));
    if (!name)
        snprintf(buf, len, "?");
    else if (strcmp(name, "kill") == 0)
        snprintf(buf, len, "kill pid %d (%s)", pid, label ? label : "");
    else if (strcmp(name, "signal") == 0)
        snprintf(buf, len, "send %s to pid %d (%s)",
                 fl_signal_name((int)json_integer_value(json_object_get(op, "signal"))), pid, label ? label : "");
    else if (strcmp(name, "unlink") == 0)
        snprintf(buf, len, "remove %s", json_string_value(json_object_get(op, "path")));
    else if (strcmp(name, "nft_delete_table") == 0) {
        const char *ns = json_string_value(json_object_get(json_object_get(op, "netns"), "path"));
        snprintf(buf, len, "delete nftables table %s %s%s%s", json_string_value(json_object_get(op, "family")),
                 json_string_value(json_object_get(op, "name")), ns ? " in " : "", ns ? ns : "");
    } else if (strcmp(name, "engine_drain") == 0)
        snprintf(buf, len, "stop the packet engine pid %d, releasing held packets", pid);
    else
        snprintf(buf, len, "%s", name);
}

int fl_rollback_id(const char *id, fl_error *err) { return fl_rollback_known(id, NULL, err); }

int fl_rollback_known(const char *id, json_t *known, fl_error *err) {
    if (!fl_fault_id_valid(id))
        return fl_fail(err, FL_EINVAL, "id", "'%s' is not a fault id", id ? id : "");
    int lock = fl_journal_lock(id);
    if (lock < 0)
        return fl_fail(err, FL_EAPPLY, "journal", "cannot lock the record of %s", id);
    json_t *rec;
    fl_error rerr;
    int found = fl_journal_read(id, &rec, &rerr);
    if (found == 0) { /* already rolled back by someone else */
        fl_journal_unlock(id, lock, true);
        return 0;
    }
    if (found < 0) {
        if (!known) { /* never act on a record that cannot be trusted */
            fl_journal_unlock(id, lock, false);
            if (err)
                *err = rerr;
            return -1;
        }
        /* Our own copy is what we applied: undo it, and leave the corrupt
         * file to recover, which reports it and keeps it for inspection. */
        json_t *undo = json_object_get(known, "undo");
        int failures = 0;
        fl_error first = {0};
        for (size_t i = json_array_size(undo); i-- > 0;) {
            fl_error e;
            if (fl_undo_run(json_array_get(undo, i), &e) != 0 && failures++ == 0)
                first = e;
        }
        fl_journal_unlock(id, lock, false);
        return failures ? fl_fail(err, FL_EAPPLY, "rollback", "rollback of %s incomplete: %s", id, first.message) : 0;
    }
    json_object_set_new(rec, "state", json_string("reverting"));
    fl_journal_save(rec, NULL);
    json_t *undo = json_object_get(rec, "undo");
    int failures = 0;
    fl_error first = {0};
    for (size_t i = json_array_size(undo); i-- > 0;) {
        fl_error e;
        if (fl_undo_run(json_array_get(undo, i), &e) != 0 && failures++ == 0)
            first = e;
    }
    int rc = 0;
    if (failures) {
        json_object_set_new(rec, "state", json_string("revert-failed"));
        json_object_set_new(rec, "error", json_string(first.message));
        fl_journal_save(rec, NULL);
        rc = fl_fail(err, FL_EAPPLY, "rollback",
                     "rollback of %s incomplete: %s (the record is kept; retry with faultline recover)", id,
                     first.message);
        fl_journal_unlock(id, lock, false);
    } else {
        fl_journal_remove(id);
        fl_journal_unlock(id, lock, true);
    }
    json_decref(rec);
    return rc;
}
