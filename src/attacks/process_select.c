/* Choosing target processes for process-kill and process-pause. All given
 * criteria must match. faultline never selects pid 1, kernel threads,
 * itself, its ancestors, nor any process it started: supervisors and
 * guardians, and everything below them (the workers: fl-net-engine,
 * fl-memory, fl-io-N, ...), wherever their journal is, and every process a
 * record of this journal names. Pausing the packet engine would turn a
 * latency fault into a blackhole; killing a supervisor would end a fault. */
#include "core/internal.h"

#include <dirent.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A supervisor or guardian, or a process started by one (up the parents). */
static bool started_by_faultline(pid_t pid) {
    for (int depth = 0; pid > 1 && depth < 64; depth++) {
        char comm[32];
        if (fl_proc_comm(pid, comm, sizeof(comm)) != 0)
            return false;
        if (strcmp(comm, "fl-supervisor") == 0 || strcmp(comm, "fl-guardian") == 0)
            return true;
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        pid_t parent = 0;
        while (f && fgets(line, sizeof(line), f))
            if (sscanf(line, "PPid: %d", &parent) == 1)
                break;
        if (f)
            fclose(f);
        pid = parent;
    }
    return false;
}

/* Every process the journal names: owners, guardians, callers, workers. */
static bool journaled(json_t *records, pid_t pid) {
    size_t i, j;
    json_t *rec, *op;
    json_array_foreach(records, i, rec) {
        static const char *const who[] = {"owner", "guardian"};
        for (size_t k = 0; k < FL_ARRAY_LEN(who); k++)
            if (json_integer_value(json_object_get(json_object_get(rec, who[k]), "pid")) == pid)
                return true;
        json_array_foreach(json_object_get(rec, "undo"), j, op) {
            const char *name = json_string_value(json_object_get(op, "op"));
            if (name && (strcmp(name, "kill") == 0 || strcmp(name, "engine_drain") == 0) &&
                json_integer_value(json_object_get(op, "pid")) == pid)
                return true;
        }
    }
    return false;
}

static bool is_kernel_thread(pid_t pid) {
    char cmd[8];
    /* Kernel threads have an empty command line. */
    return fl_proc_cmdline(pid, cmd, sizeof(cmd)) != 0 || cmd[0] == '\0';
}

int fl_select_processes(const fl_spec *spec, fl_proc_target **out, size_t *n, fl_error *err) {
    const fl_value *pids = fl_spec_value(spec, "pid");
    const char *name = fl_spec_value(spec, "name")->present ? fl_spec_str(spec, "name") : NULL;
    const char *pattern = fl_spec_value(spec, "pattern")->present ? fl_spec_str(spec, "pattern") : NULL;
    int64_t count = fl_spec_i64(spec, "count");
    if (!pids->given && !name && !pattern)
        return fl_fail(err, FL_EINVAL, "pid", "pid: give pid, name or pattern to choose the target processes");
    regex_t re;
    if (pattern && regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return fl_fail(err, FL_EINVAL, "pattern", "pattern: invalid regular expression");
    fl_proc_target *list = NULL;
    size_t count_found = 0;
    json_t *records = fl_journal_load_all();
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1 || fl_proc_is_ancestor_or_self((pid_t)pid) || is_kernel_thread((pid_t)pid))
            continue;
        fl_proc_target t = {.pid = (pid_t)pid};
        if (fl_proc_comm(t.pid, t.comm, sizeof(t.comm)) != 0 || fl_proc_start_ticks(t.pid, &t.start) != 0)
            continue;
        if (started_by_faultline(t.pid) || journaled(records, t.pid))
            continue;
        bool ok = true;
        if (pids->given) {
            ok = false;
            for (size_t i = 0; i < pids->n_list; i++)
                ok = ok || strtol(pids->list[i], NULL, 10) == pid;
        }
        if (ok && name)
            ok = strcmp(t.comm, name) == 0;
        if (ok && pattern) {
            char cmd[4096];
            ok = fl_proc_cmdline(t.pid, cmd, sizeof(cmd)) == 0 && regexec(&re, cmd, 0, NULL, 0) == 0;
        }
        if (!ok)
            continue;
        list = fl_xreallocarray(list, count_found + 1, sizeof(*list));
        list[count_found++] = t;
    }
    if (d)
        closedir(d);
    json_decref(records);
    if (pattern)
        regfree(&re);
    if (count_found == 0) {
        free(list);
        const char *field = pids->given ? "pid" : name ? "name" : "pattern";
        return fl_fail(err, FL_EINVAL, field,
                       "%s: no process matches %s (pid 1, kernel threads, faultline itself and every process it "
                       "started are never chosen)",
                       field,
                       pids->given ? pids->text
                       : name      ? name
                                   : pattern);
    }
    /* /proc lists in pid order; --count takes the first ones. */
    if (count > 0 && (size_t)count < count_found)
        count_found = (size_t)count;
    *out = list;
    *n = count_found;
    return 0;
}
