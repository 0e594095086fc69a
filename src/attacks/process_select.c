/* Choosing target processes for process-kill and process-pause. All given
 * criteria must match. faultline never selects pid 1, kernel threads,
 * itself, its ancestors, or its own supervisors and guardians. */
#include "core/internal.h"

#include <dirent.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_kernel_thread(pid_t pid)
{
    char cmd[8];
    /* Kernel threads have an empty command line. */
    return fl_proc_cmdline(pid, cmd, sizeof(cmd)) != 0 || cmd[0] == '\0';
}

int fl_select_processes(const fl_spec *spec, fl_proc_target **out, size_t *n, fl_error *err)
{
    const fl_value *pids = fl_spec_value(spec, "pid");
    const char *name = fl_spec_value(spec, "name")->present ? fl_spec_str(spec, "name") : NULL;
    const char *pattern = fl_spec_value(spec, "pattern")->present ? fl_spec_str(spec, "pattern") : NULL;
    int64_t count = fl_spec_i64(spec, "count");
    if (!pids->given && !name && !pattern)
        return fl_fail(err, FL_EINVAL, "pid", "give --pid, --name or --pattern to choose the target processes");
    regex_t re;
    if (pattern && regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return fl_fail(err, FL_EINVAL, "pattern", "--pattern: invalid regular expression");
    fl_proc_target *list = NULL;
    size_t count_found = 0;
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
        if (strcmp(t.comm, "fl-supervisor") == 0 || strcmp(t.comm, "fl-guardian") == 0)
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
        fl_proc_target *grown = realloc(list, (count_found + 1) * sizeof(*grown));
        if (!grown)
            break;
        list = grown;
        list[count_found++] = t;
    }
    if (d)
        closedir(d);
    if (pattern)
        regfree(&re);
    if (count_found == 0) {
        free(list);
        const char *field = pids->given ? "pid" : name ? "name" : "pattern";
        return fl_fail(err, FL_EINVAL, field, "--%s: no process matches %s (faultline itself and pid 1 are never chosen)",
                       field, pids->given ? pids->text : name ? name : pattern);
    }
    /* /proc lists in pid order; --count takes the first ones. */
    if (count > 0 && (size_t)count < count_found)
        count_found = (size_t)count;
    *out = list;
    *n = count_found;
    return 0;
}
