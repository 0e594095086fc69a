/* Undo operations: the inverse of every change faultline makes, in a form
 * that any faultline process can carry out from the journal alone. Each one
 * is idempotent, and each names its target by pid AND start time, so a pid
 * reused by an unrelated process is never touched. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static json_t *process_op(const char *op, pid_t pid, const char *label)
{
    unsigned long long start = 0;
    if (fl_proc_start_ticks(pid, &start) != 0)
        return NULL;
    return json_pack("{s:s, s:i, s:I, s:s}", "op", op, "pid", (int)pid, "start", (json_int_t)start, "label",
                     label ? label : "");
}

json_t *fl_undo_kill(pid_t pid, const char *label) { return process_op("kill", pid, label); }

json_t *fl_undo_signal(pid_t pid, int signo, const char *label)
{
    json_t *op = process_op("signal", pid, label);
    if (op)
        json_object_set_new(op, "signal", json_integer(signo));
    return op;
}

json_t *fl_undo_unlink(const char *path) { return json_pack("{s:s, s:s}", "op", "unlink", "path", path); }

static int run_kill(json_t *op, fl_error *err)
{
    pid_t pid = (pid_t)json_integer_value(json_object_get(op, "pid"));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(op, "start"));
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

static int run_signal(json_t *op, fl_error *err)
{
    pid_t pid = (pid_t)json_integer_value(json_object_get(op, "pid"));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(op, "start"));
    int signo = (int)json_integer_value(json_object_get(op, "signal"));
    if (fl_proc_is(pid, start) && kill(pid, signo) != 0 && errno != ESRCH)
        return fl_fail(err, FL_EAPPLY, "undo", "cannot send %s to pid %d: %s", fl_signal_name(signo), (int)pid,
                       strerror(errno));
    return 0;
}

static int run_unlink(json_t *op, fl_error *err)
{
    const char *path = json_string_value(json_object_get(op, "path"));
    if (path && unlink(path) != 0 && errno != ENOENT)
        return fl_fail(err, FL_EAPPLY, "undo", "cannot remove %s: %s", path, strerror(errno));
    return 0;
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

int fl_undo_run(json_t *op, fl_error *err)
{
    const char *name = json_string_value(json_object_get(op, "op"));
    for (size_t i = 0; name && i < FL_ARRAY_LEN(handlers); i++)
        if (strcmp(handlers[i].name, name) == 0)
            return handlers[i].run(op, err);
    return fl_fail(err, FL_EAPPLY, "undo", "unknown undo operation '%s' (journal written by a newer faultline?)",
                   name ? name : "?");
}

void fl_undo_describe(json_t *op, char *buf, size_t len)
{
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

int fl_rollback_id(const char *id, fl_error *err)
{
    int lock = fl_journal_lock(id);
    if (lock < 0)
        return fl_fail(err, FL_EAPPLY, "journal", "cannot lock the record of %s", id);
    json_t *rec = fl_journal_load(id);
    if (!rec) { /* already rolled back by someone else */
        fl_journal_unlock(id, lock, true);
        return 0;
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
        rc = fl_fail(err, FL_EAPPLY, "rollback", "rollback of %s incomplete: %s (the record is kept; retry with faultline recover)",
                     id, first.message);
        fl_journal_unlock(id, lock, false);
    } else {
        fl_journal_remove(id);
        fl_journal_unlock(id, lock, true);
    }
    json_decref(rec);
    return rc;
}
