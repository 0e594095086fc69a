/* Network namespaces: --netns NAME|PATH|PID, pinned by inode, entered with
 * setns() for the few calls that must run inside (netlink sockets bind to
 * the namespace they are created in). faultline's processes are
 * single-threaded, so switching the calling thread is switching the process. */
#include "net/net.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t fl_netns_current_ino(void) {
    struct stat st;
    return stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int fl_netns_resolve(const char *text, fl_netns *ns, fl_error *err) {
    memset(ns, 0, sizeof(*ns));
    bool digits = *text != '\0';
    for (const char *c = text; *c; c++)
        digits = digits && isdigit((unsigned char)*c);
    if (digits) {
        long pid = strtol(text, NULL, 10);
        if (pid < 1 || pid > 4194304)
            return fl_fail(err, FL_EINVAL, "netns", "netns: %s is not a valid pid", text);
        snprintf(ns->path, sizeof(ns->path), "/proc/%ld/ns/net", pid);
    } else if (text[0] == '/') {
        if (strlen(text) >= sizeof(ns->path))
            return fl_fail(err, FL_EINVAL, "netns", "netns: path too long");
        snprintf(ns->path, sizeof(ns->path), "%s", text);
    } else {
        bool ok = strlen(text) < 200 && strcmp(text, ".") != 0 && strcmp(text, "..") != 0;
        for (const char *c = text; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || strchr("_.-", *c);
        if (!ok)
            return fl_fail(err, FL_EINVAL, "netns", "netns: '%s' is not a namespace name, an absolute path or a pid",
                           text);
        snprintf(ns->path, sizeof(ns->path), "/run/netns/%s", text);
    }
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fl_fail(err, FL_EINVAL, "netns", "netns: cannot open %s: %s", ns->path, strerror(errno));
    int type = ioctl(fd, NS_GET_NSTYPE);
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    if (type != CLONE_NEWNET || rc != 0)
        return fl_fail(err, FL_EINVAL, "netns", "netns: %s is not a network namespace", ns->path);
    ns->dev = (uint64_t)st.st_dev;
    ns->ino = (uint64_t)st.st_ino;
    ns->set = true;
    return 0;
}

/* 0: entered (or nothing to enter); 1: the namespace is gone or the path
 * now names another one; -1: error. */
static int enter(const fl_netns *ns, int *saved, fl_error *err) {
    *saved = -1;
    if (!ns || !ns->set)
        return 0;
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ESRCH
                   ? 1
                   : fl_fail(err, FL_EAPPLY, "netns", "cannot open %s: %s", ns->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_ino != ns->ino || (uint64_t)st.st_dev != ns->dev) {
        close(fd);
        return 1;
    }
    *saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (*saved < 0 || setns(fd, CLONE_NEWNET) != 0) {
        int e = errno;
        close(fd);
        if (*saved >= 0)
            close(*saved);
        *saved = -1;
        return fl_fail(err, FL_EAPPLY, "netns", "cannot enter the network namespace %s: %s", ns->path, strerror(e));
    }
    close(fd);
    return 0;
}

int fl_netns_enter(const fl_netns *ns, int *saved, fl_error *err) {
    int rc = enter(ns, saved, err);
    if (rc == 1)
        return fl_fail(err, FL_EAPPLY, "netns", "the network namespace %s is gone", ns->path);
    return rc;
}

int fl_netns_enter_if_present(const fl_netns *ns, int *saved, fl_error *err) { return enter(ns, saved, err); }

void fl_netns_leave(int saved) {
    if (saved < 0)
        return;
    if (setns(saved, CLONE_NEWNET) != 0) {
        /* Staying in the wrong namespace would aim later rules at the
         * wrong traffic: better to stop here. */
        fprintf(stderr, "faultline: cannot return to the original network namespace: %s\n", strerror(errno));
        abort();
    }
    close(saved);
}
