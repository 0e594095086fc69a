/* The journal: one durable JSON record per fault in STATE/faults/. A record
 * is written, fsync'ed and renamed into place before any change it describes
 * is made, so a crash at any instant leaves enough on disk to undo it. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fl_state_dir(void)
{
    const char *env = getenv("FAULTLINE_STATE_DIR");
    return env && *env ? env : "/run/faultline";
}

static void state_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", fl_state_dir(), name);
}

static void record_path(char *buf, size_t len, const char *id, const char *suffix)
{
    snprintf(buf, len, "%s/faults/%s%s", fl_state_dir(), id, suffix);
}

int fl_state_prepare(fl_error *err)
{
    const char *dir = fl_state_dir();
    char faults[1100];
    state_path(faults, sizeof(faults), "faults");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fl_fail(err, FL_EAPPLY, "state", "cannot create the state directory %s: %s (set FAULTLINE_STATE_DIR)",
                       dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return fl_fail(err, FL_EAPPLY, "state", "state directory %s is not a directory", dir);
    if (st.st_uid != geteuid() || (st.st_mode & 0077))
        return fl_fail(err, FL_EAPPLY, "state",
                       "state directory %s must belong to this user with mode 0700 (it is %o, uid %d): "
                       "another user could forge undo records",
                       dir, (unsigned)(st.st_mode & 07777), (int)st.st_uid);
    if (mkdir(faults, 0700) != 0 && errno != EEXIST)
        return fl_fail(err, FL_EAPPLY, "state", "cannot create %s: %s", faults, strerror(errno));
    return 0;
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int fl_journal_save(json_t *rec, fl_error *err)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    char path[1200], tmp[1200], dir[1100];
    record_path(path, sizeof(path), id, ".json");
    record_path(tmp, sizeof(tmp), id, ".json.tmp");
    state_path(dir, sizeof(dir), "faults");
    char *text = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (!text)
        return fl_fail(err, FL_EAPPLY, "journal", "cannot encode the journal record");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd >= 0) {
        size_t len = strlen(text);
        rc = (fl_write_all(fd, text, len) == 0 && fl_write_all(fd, "\n", 1) == 0 && fsync(fd) == 0) ? 0 : -1;
        close(fd);
    }
    free(text);
    if (rc != 0 || rename(tmp, path) != 0 || fsync_dir(dir) != 0) {
        int e = errno;
        unlink(tmp);
        return fl_fail(err, FL_EAPPLY, "journal", "cannot write the journal record %s: %s", path, strerror(e));
    }
    return 0;
}

json_t *fl_journal_load(const char *id)
{
    char path[1200];
    record_path(path, sizeof(path), id, ".json");
    json_error_t jerr;
    json_t *rec = json_load_file(path, 0, &jerr);
    if (rec && !json_is_object(rec)) {
        json_decref(rec);
        return NULL;
    }
    return rec;
}

static int by_start(const void *a, const void *b)
{
    json_t *ra = *(json_t *const *)a, *rb = *(json_t *const *)b;
    json_int_t sa = json_integer_value(json_object_get(ra, "started_us"));
    json_int_t sb = json_integer_value(json_object_get(rb, "started_us"));
    return (sa > sb) - (sa < sb);
}

json_t *fl_journal_load_all(void)
{
    char dir[1100];
    state_path(dir, sizeof(dir), "faults");
    json_t *all = json_array();
    DIR *d = opendir(dir);
    if (!d)
        return all;
    json_t *items[4096];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < FL_ARRAY_LEN(items)) {
        size_t l = strlen(e->d_name);
        if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        char id[256];
        snprintf(id, sizeof(id), "%.*s", (int)(l - 5), e->d_name);
        json_t *rec = fl_journal_load(id);
        if (rec)
            items[n++] = rec;
    }
    closedir(d);
    qsort(items, n, sizeof(items[0]), by_start);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(all, items[i]);
    return all;
}

int fl_journal_remove(const char *id)
{
    char path[1200], dir[1100];
    record_path(path, sizeof(path), id, ".json");
    state_path(dir, sizeof(dir), "faults");
    if (unlink(path) != 0 && errno != ENOENT)
        return -1;
    return fsync_dir(dir);
}

static int lock_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

int fl_journal_lock(const char *id)
{
    char path[1200];
    record_path(path, sizeof(path), id, ".lock");
    return lock_file(path);
}

void fl_journal_unlock(const char *id, int fd, bool remove)
{
    if (remove) {
        /* Unlink while still holding the lock: a waiter then wakes on the
         * old inode, finds no record and does nothing. */
        char path[1200];
        record_path(path, sizeof(path), id, ".lock");
        unlink(path);
    }
    if (fd >= 0)
        close(fd);
}

bool fl_journal_owner_alive(json_t *rec)
{
    json_t *owner = json_object_get(rec, "owner");
    pid_t pid = (pid_t)json_integer_value(json_object_get(owner, "pid"));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(owner, "start"));
    return fl_proc_is(pid, start);
}

int fl_journal_create(json_t *rec, fl_error *err)
{
    char lock_path[1100];
    state_path(lock_path, sizeof(lock_path), "lock");
    int lock = lock_file(lock_path);
    if (lock < 0)
        return fl_fail(err, FL_EAPPLY, "journal", "cannot lock %s: %s", lock_path, strerror(errno));
    json_t *all = fl_journal_load_all();
    json_t *mine = json_object_get(rec, "claims");
    size_t i, j, k;
    json_t *other, *a, *b;
    int rc = 0;
    json_array_foreach(all, i, other) {
        json_array_foreach(json_object_get(other, "claims"), j, a) {
            json_array_foreach(mine, k, b) {
                if (rc == 0 && json_equal(a, b)) {
                    const char *oid = json_string_value(json_object_get(other, "id"));
                    rc = fl_fail(err, FL_EAPPLY, "conflict",
                                 "refused: fault %s (%s) already holds %s; stop it first (faultline stop %s)%s",
                                 oid, json_string_value(json_object_get(other, "kind")), json_string_value(a), oid,
                                 fl_journal_owner_alive(other) ? "" : " or run faultline recover");
                }
            }
        }
    }
    json_decref(all);
    if (rc == 0)
        rc = fl_journal_save(rec, err);
    close(lock);
    return rc;
}
