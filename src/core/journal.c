/* The journal: one durable JSON record per fault in STATE/faults/. A record
 * is written, fsync'ed and renamed into place before any change it describes
 * is made, so a crash at any instant leaves enough on disk to undo it.
 *
 * faultline runs as root and acts on what the journal says, so the journal
 * is trusted only when it cannot have been written by anyone else: the state
 * directory and faults/ must be real directories (never followed through a
 * symlink), owned by the effective user, with no access for group or
 * others. That is checked on every access, and every file is opened
 * relative to the checked directory (openat, O_NOFOLLOW), so nothing can be
 * swapped in between. Every record is validated field by field on load
 * (record_check): a record faultline would not have written is corrupt, is
 * never executed as it stands, and is reported. */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RECORD_BYTES (1 << 20)

const char *fl_state_dir(void) {
    const char *env = getenv("FAULTLINE_STATE_DIR");
    return env && *env ? env : "/run/faultline";
}

bool fl_fault_id_valid(const char *id) {
    if (!id)
        return false;
    size_t n = strlen(id);
    if (n < 10 || n >= 40 || id[n - 9] != '-')
        return false;
    for (size_t i = n - 8; i < n; i++)
        if (!isdigit((unsigned char)id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
            return false;
    char kind[32];
    snprintf(kind, sizeof(kind), "%.*s", (int)(n - 9), id);
    return fl_attack_lookup(kind) != NULL;
}

/* ---- the trusted directories ---- */
/* Opens `name` under `at` as a directory that must be ours and private.
 * Returns the fd, -2 if it does not exist (and create is false), or -1. */
static int open_private_dir(int at, const char *name, const char *shown, bool create, fl_error *err) {
    if (create && mkdirat(at, name, 0700) != 0 && errno != EEXIST)
        return fl_fail(err, FL_EAPPLY, "state", "cannot create %s: %s (set FAULTLINE_STATE_DIR)", shown,
                       strerror(errno));
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !create)
            return -2;
        if (errno == ELOOP || errno == ENOTDIR)
            return fl_fail(err, FL_EAPPLY, "state",
                           "%s is a symlink or not a directory: faultline reads its journal only from a real "
                           "directory of its own",
                           shown);
        return fl_fail(err, FL_EAPPLY, "state", "cannot open %s: %s", shown, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        close(fd);
        return fl_fail(err, FL_EAPPLY, "state", "%s is not a directory", shown);
    }
    if (st.st_uid != geteuid() || (st.st_mode & 0077)) {
        close(fd);
        return fl_fail(err, FL_EAPPLY, "state",
                       "state directory %s must belong to this user with mode 0700 (it is %o, uid %d): "
                       "another user could forge undo records; nothing in it was read",
                       shown, (unsigned)(st.st_mode & 07777), (int)st.st_uid);
    }
    return fd;
}

/* The state directory's fd and, with faults_fd, that of faults/. Returns 0,
 * 1 if the journal does not exist (and create is false), or -1. */
static int open_state(bool create, int *state_fd, int *faults_fd, fl_error *err) {
    const char *dir = fl_state_dir();
    int s = open_private_dir(AT_FDCWD, dir, dir, create, err);
    if (s == -2)
        return 1;
    if (s < 0)
        return -1;
    if (faults_fd) {
        char shown[PATH_MAX + 16];
        snprintf(shown, sizeof(shown), "%s/faults", dir);
        int f = open_private_dir(s, "faults", shown, create, err);
        if (f < 0) {
            close(s);
            return f == -2 ? 1 : -1;
        }
        *faults_fd = f;
    }
    if (state_fd)
        *state_fd = s;
    else
        close(s);
    return 0;
}

int fl_state_prepare(fl_error *err) {
    int s, f;
    if (open_state(true, &s, &f, err) != 0)
        return -1;
    close(s);
    close(f);
    return 0;
}

int fl_state_check(fl_error *err) {
    fl_error_clear(err);
    int f;
    int rc = open_state(false, NULL, &f, err);
    if (rc == 0)
        close(f);
    return rc == 0 ? 1 : rc == 1 ? 0 : -1;
}

/* faults/ for one operation; -1 with err if it cannot be trusted or made. */
static int faults_dir(fl_error *err) {
    int f;
    int rc = open_state(true, NULL, &f, err);
    return rc == 0 ? f : -1;
}

/* ---- validation: a record must look exactly like one faultline writes ---- */
static bool bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool bad(char *why, size_t len, const char *fmt, ...) {
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool is_int_in(json_t *v, json_int_t lo, json_int_t hi) {
    return json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi;
}

/* {pid, start}: a process named for good by its pid and start time. */
static bool process_ok(json_t *o, const char *what, char *why, size_t len) {
    if (!json_is_object(o) || !is_int_in(json_object_get(o, "pid"), 1, 4194304) ||
        !is_int_in(json_object_get(o, "start"), 0, INT64_MAX))
        return bad(why, len, "%s is not {pid, start}", what);
    return true;
}

static bool text_ok(json_t *v, size_t max) {
    const char *s = json_string_value(v);
    if (!s || strlen(s) > max)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* The file names faultline gives the files it creates (disk-fill,
 * io-stress), which carry the fault's id. */
static bool own_file_name(const char *base, const char *id) {
    char want[128];
    snprintf(want, sizeof(want), "faultline-fill-%s.tmp", id);
    if (strcmp(base, want) == 0)
        return true;
    int n = snprintf(want, sizeof(want), "faultline-io-%s-", id);
    if (strncmp(base, want, (size_t)n) != 0)
        return false;
    const char *p = base + n;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    return strcmp(p, ".tmp") == 0 && p - (base + n) <= 3;
}

static bool path_ok(const char *path, const char *id) {
    if (!path || path[0] != '/' || strlen(path) > 1200)
        return false;
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c < 0x20)
            return false;
    /* No empty, "." or ".." component: the path is the one faultline built. */
    for (const char *c = path; *c;) {
        const char *next = strchr(c + 1, '/');
        size_t l = next ? (size_t)(next - c - 1) : strlen(c + 1);
        if (l == 0 || (l == 1 && c[1] == '.') || (l == 2 && c[1] == '.' && c[2] == '.'))
            return false;
        if (!next)
            break;
        c = next;
    }
    /* The packet engine's counters file lives beside the record, nowhere else. */
    char counters[1300];
    snprintf(counters, sizeof(counters), "%s/faults/%s.engine", fl_state_dir(), id);
    if (strcmp(path, counters) == 0)
        return true;
    return own_file_name(strrchr(path, '/') + 1, id);
}

bool fl_undo_check(json_t *op, const char *id, char *why, size_t len) {
    const char *name = json_string_value(json_object_get(op, "op"));
    if (!json_is_object(op) || !name)
        return bad(why, len, "an undo operation without \"op\"");
    if (strcmp(name, "kill") == 0 || strcmp(name, "engine_drain") == 0) {
        if (!process_ok(op, name, why, len))
            return false;
        if (json_integer_value(json_object_get(op, "pid")) < 2)
            return bad(why, len, "%s of pid 1", name);
        /* A worker is named by its label (fl-...); kill checks the name. */
        const char *label = json_string_value(json_object_get(op, "label"));
        if (strcmp(name, "kill") == 0 && (!label || strncmp(label, "fl-", 3) != 0 || strlen(label) > 15 ||
                                          !text_ok(json_object_get(op, "label"), 15)))
            return bad(why, len, "kill of a process that is not a faultline worker (label %s)", label ? label : "?");
        return true;
    }
    if (strcmp(name, "signal") == 0) {
        if (!process_ok(op, name, why, len) || json_integer_value(json_object_get(op, "pid")) < 2)
            return false;
        /* The only signal faultline ever sends as an undo resumes a process. */
        if (json_integer_value(json_object_get(op, "signal")) != SIGCONT)
            return bad(why, len, "an undo signal other than SIGCONT");
        if (!text_ok(json_object_get(op, "label"), 64))
            return bad(why, len, "signal: bad label");
        return true;
    }
    if (strcmp(name, "unlink") == 0) {
        if (!path_ok(json_string_value(json_object_get(op, "path")), id))
            return bad(why, len, "unlink of a path faultline did not create for %s", id);
        return true;
    }
    if (strcmp(name, "nft_delete_table") == 0) {
        char table[128];
        fl_net_table_name(id, table, sizeof(table));
        const char *t = json_string_value(json_object_get(op, "name"));
        const char *family = json_string_value(json_object_get(op, "family"));
        if (!t || strcmp(t, table) != 0 || !family || strcmp(family, "inet") != 0)
            return bad(why, len, "nft_delete_table of a table that is not %s's (%s)", id, table);
        json_t *ns = json_object_get(op, "netns");
        if (ns && (!json_is_object(ns) || !text_ok(json_object_get(ns, "path"), 290) ||
                   json_string_value(json_object_get(ns, "path"))[0] != '/' ||
                   !is_int_in(json_object_get(ns, "dev"), 0, INT64_MAX) ||
                   !is_int_in(json_object_get(ns, "ino"), 0, INT64_MAX)))
            return bad(why, len, "nft_delete_table: bad netns");
        return true;
    }
    return bad(why, len, "unknown undo operation '%.40s'", name);
}

bool fl_record_check(json_t *rec, const char *id, char *why, size_t len) {
    if (!json_is_object(rec))
        return bad(why, len, "not a JSON object");
    if (!fl_fault_id_valid(id))
        return bad(why, len, "not a fault id");
    const char *rid = json_string_value(json_object_get(rec, "id"));
    if (!rid || strcmp(rid, id) != 0)
        return bad(why, len, "its id is not the one in its file name");
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    size_t kl = kind ? strlen(kind) : 0;
    if (!kind || strncmp(id, kind, kl) != 0 || id[kl] != '-')
        return bad(why, len, "its kind does not match its id");
    const char *state = json_string_value(json_object_get(rec, "state"));
    static const char *const states[] = {"applying", "active", "reverting", "revert-failed"};
    bool known = false;
    for (size_t i = 0; state && i < FL_ARRAY_LEN(states); i++)
        known = known || strcmp(state, states[i]) == 0;
    if (!known)
        return bad(why, len, "unknown state");
    if (!process_ok(json_object_get(rec, "owner"), "owner", why, len))
        return false;
    json_t *g = json_object_get(rec, "guardian"), *c = json_object_get(rec, "caller");
    if ((g && !process_ok(g, "guardian", why, len)) || (c && !process_ok(c, "caller", why, len)))
        return false;
    if (!json_is_integer(json_object_get(rec, "started_us")) || !json_is_integer(json_object_get(rec, "expires_us")))
        return bad(why, len, "no started_us/expires_us");
    static const char *const times[] = {"active_us", "expires_boot_us"};
    for (size_t i = 0; i < FL_ARRAY_LEN(times); i++)
        if (json_object_get(rec, times[i]) && !json_is_integer(json_object_get(rec, times[i])))
            return bad(why, len, "%s is not an integer", times[i]);
    if (json_object_get(rec, "boot_id") && !text_ok(json_object_get(rec, "boot_id"), 64))
        return bad(why, len, "bad boot_id");
    json_t *params = json_object_get(rec, "params");
    if (params && !json_is_object(params))
        return bad(why, len, "params is not an object");
    json_t *tag = json_object_get(params, "tag");
    if (tag && !fl_tag_valid(json_string_value(tag)))
        return bad(why, len, "bad tag");
    json_t *claims = json_object_get(rec, "claims"), *v;
    size_t i;
    if (claims && !json_is_array(claims))
        return bad(why, len, "claims is not an array");
    json_array_foreach(claims, i, v) if (!text_ok(v, 255)) return bad(why, len, "bad claim");
    json_t *undo = json_object_get(rec, "undo");
    if (!json_is_array(undo))
        return bad(why, len, "no undo list");
    json_array_foreach(undo, i, v) {
        char w[200];
        if (!fl_undo_check(v, id, w, sizeof(w)))
            return bad(why, len, "undo[%zu]: %s", i, w);
    }
    return true;
}

/* ---- reading ---- */
/* Reads faults/NAME; 1 with *text (NUL-terminated), 0 if absent, -1 with why. */
static int read_file(int dfd, const char *name, char **text, size_t *len, char *why, size_t wl) {
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return bad(why, wl, "cannot open it: %s", errno == ELOOP ? "a symlink" : strerror(errno)), -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size > MAX_RECORD_BYTES) {
        close(fd);
        return bad(why, wl, "not a regular file of ours under 1 MiB"), -1;
    }
    char *buf = fl_xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return 1;
}

/* Parses and validates; 1 with *rec, -1 with why. */
static int parse_record(const char *text, size_t len, const char *id, json_t **rec, char *why, size_t wl) {
    json_error_t jerr;
    json_t *r = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!r) {
        if (len == 0)
            return bad(why, wl, "empty"), -1;
        return bad(why, wl, "not JSON (%s at byte %d: truncated?)", jerr.text, jerr.position), -1;
    }
    if (!fl_record_check(r, id, why, wl)) {
        json_decref(r);
        return -1;
    }
    *rec = r;
    return 1;
}

int fl_journal_read(const char *id, json_t **rec, fl_error *err) {
    *rec = NULL;
    if (!fl_fault_id_valid(id))
        return fl_fail(err, FL_EINVAL, "id", "'%s' is not a fault id (ids look like cpu-1a2b3c4d)", id ? id : "");
    int f;
    int st = open_state(false, NULL, &f, err);
    if (st != 0)
        return st == 1 ? 0 : -1;
    char name[64], *text = NULL, why[300] = "";
    size_t len = 0;
    snprintf(name, sizeof(name), "%s.json", id);
    int rc = read_file(f, name, &text, &len, why, sizeof(why));
    close(f);
    if (rc == 1)
        rc = parse_record(text, len, id, rec, why, sizeof(why));
    free(text);
    if (rc < 0)
        return fl_fail(err, FL_EAPPLY, "corrupt", "corrupt journal record %s/faults/%s: %s", fl_state_dir(), name, why);
    return rc;
}

json_t *fl_journal_load(const char *id) {
    json_t *rec;
    fl_error err;
    return fl_journal_read(id, &rec, &err) == 1 ? rec : NULL;
}

static int by_start(const void *a, const void *b) {
    json_t *ra = *(json_t *const *)a, *rb = *(json_t *const *)b;
    json_int_t sa = json_integer_value(json_object_get(ra, "started_us"));
    json_int_t sb = json_integer_value(json_object_get(rb, "started_us"));
    return (sa > sb) - (sa < sb);
}

int fl_journal_scan(json_t **records, json_t **corrupt, fl_error *err) {
    *records = json_array();
    if (corrupt)
        *corrupt = json_array();
    int f;
    int st = open_state(false, NULL, &f, err);
    if (st != 0)
        return st == 1 ? 0 : -1;
    DIR *d = fdopendir(f);
    if (!d) {
        close(f);
        return fl_fail(err, FL_EAPPLY, "state", "cannot list %s/faults: %s", fl_state_dir(), strerror(errno));
    }
    json_t **items = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue; /* .lock and .json.tmp files, ".", ".." */
        char id[256], why[300] = "", *text = NULL;
        size_t len = 0;
        snprintf(id, sizeof(id), "%.*s", (int)(l - 5), e->d_name);
        json_t *rec = NULL;
        int rc = fl_fault_id_valid(id) ? read_file(dirfd(d), e->d_name, &text, &len, why, sizeof(why))
                                       : (bad(why, sizeof(why), "not a name faultline gives records"), -1);
        if (rc == 0)
            continue; /* removed meanwhile */
        if (rc == 1)
            rc = parse_record(text, len, id, &rec, why, sizeof(why));
        if (rc == 1) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                items = fl_xreallocarray(items, cap, sizeof(*items));
            }
            items[n++] = rec;
        } else if (corrupt) {
            char path[PATH_MAX + 300];
            snprintf(path, sizeof(path), "%s/faults/%s", fl_state_dir(), e->d_name);
            json_t *c = json_pack("{s:s, s:s, s:s}", "file", path, "name", e->d_name, "problem", why);
            if (fl_fault_id_valid(id))
                json_object_set_new(c, "id", json_string(id));
            if (text)
                json_object_set_new(c, "text", json_stringn_nocheck(text, len));
            json_array_append_new(*corrupt, c);
        }
        free(text);
    }
    closedir(d);
    if (n)
        qsort(items, n, sizeof(items[0]), by_start);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(*records, items[i]);
    free(items);
    return 0;
}

json_t *fl_journal_load_all(void) {
    json_t *records;
    fl_error err;
    fl_journal_scan(&records, NULL, &err);
    return records;
}

/* ---- writing ---- */
int fl_journal_save(json_t *rec, fl_error *err) {
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (!fl_fault_id_valid(id))
        return fl_fail(err, FL_EAPPLY, "journal", "refusing to journal a record without a valid id");
    int f = faults_dir(err);
    if (f < 0)
        return -1;
    char name[64], tmp[64];
    snprintf(name, sizeof(name), "%s.json", id);
    snprintf(tmp, sizeof(tmp), "%s.json.tmp", id);
    char *text = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (!text) {
        close(f);
        return fl_fail(err, FL_EAPPLY, "journal", "cannot encode the journal record");
    }
    unlinkat(f, tmp, 0);
    int fd = openat(f, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd >= 0) {
        size_t len = strlen(text);
        rc = (fl_write_all(fd, text, len) == 0 && fl_write_all(fd, "\n", 1) == 0 && fsync(fd) == 0) ? 0 : -1;
        close(fd);
    }
    free(text);
    if (rc != 0 || renameat(f, tmp, f, name) != 0 || fsync(f) != 0) {
        int e = errno;
        unlinkat(f, tmp, 0);
        close(f);
        return fl_fail(err, FL_EAPPLY, "journal", "cannot write the journal record %s/faults/%s: %s", fl_state_dir(),
                       name, strerror(e));
    }
    close(f);
    return 0;
}

int fl_journal_remove(const char *id) {
    if (!fl_fault_id_valid(id))
        return -1;
    int f = faults_dir(NULL);
    if (f < 0)
        return -1;
    char name[64];
    snprintf(name, sizeof(name), "%s.json", id);
    int rc = (unlinkat(f, name, 0) != 0 && errno != ENOENT) ? -1 : fsync(f);
    close(f);
    return rc;
}

static int lock_at(int dfd, const char *name) {
    int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
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

int fl_journal_lock(const char *id) {
    if (!fl_fault_id_valid(id))
        return -1;
    int f = faults_dir(NULL);
    if (f < 0)
        return -1;
    char name[64];
    snprintf(name, sizeof(name), "%s.lock", id);
    int fd = lock_at(f, name);
    close(f);
    return fd;
}

void fl_journal_unlock(const char *id, int fd, bool remove) {
    if (remove && fl_fault_id_valid(id)) {
        /* Unlink while still holding the lock: a waiter then wakes on the
         * old inode, finds no record and does nothing. */
        int f = faults_dir(NULL);
        if (f >= 0) {
            char name[64];
            snprintf(name, sizeof(name), "%s.lock", id);
            unlinkat(f, name, 0);
            close(f);
        }
    }
    if (fd >= 0)
        close(fd);
}

bool fl_journal_owner_alive(json_t *rec) {
    json_t *owner = json_object_get(rec, "owner");
    pid_t pid = (pid_t)json_integer_value(json_object_get(owner, "pid"));
    unsigned long long start = (unsigned long long)json_integer_value(json_object_get(owner, "start"));
    return fl_proc_is(pid, start);
}

int fl_journal_create(json_t *rec, fl_error *err) {
    int s;
    if (open_state(true, &s, NULL, err) != 0)
        return -1;
    int lock = lock_at(s, "lock");
    close(s);
    if (lock < 0)
        return fl_fail(err, FL_EAPPLY, "journal", "cannot lock %s/lock: %s", fl_state_dir(), strerror(errno));
    json_t *all, *corrupt;
    int rc = fl_journal_scan(&all, &corrupt, err);
    json_t *mine = json_object_get(rec, "claims");
    size_t i, j, k;
    json_t *other, *a, *b;
    json_array_foreach(all, i, other) {
        json_array_foreach(json_object_get(other, "claims"), j, a) {
            json_array_foreach(mine, k, b) {
                if (rc == 0 && json_equal(a, b)) {
                    const char *oid = json_string_value(json_object_get(other, "id"));
                    rc = fl_fail(err, FL_EAPPLY, "conflict",
                                 "refused: fault %s (%s) already holds %s; stop it first (faultline stop %s)%s", oid,
                                 json_string_value(json_object_get(other, "kind")), json_string_value(a), oid,
                                 fl_journal_owner_alive(other) ? "" : " or run faultline recover");
                }
            }
        }
    }
    /* A corrupt record may hold anything: nothing new until it is dealt with. */
    if (rc == 0 && json_array_size(corrupt) > 0)
        rc = fl_fail(err, FL_EAPPLY, "corrupt",
                     "refused: the journal holds a corrupt record (%s: %s); run faultline recover first",
                     json_string_value(json_object_get(json_array_get(corrupt, 0), "file")),
                     json_string_value(json_object_get(json_array_get(corrupt, 0), "problem")));
    json_decref(all);
    json_decref(corrupt);
    if (rc == 0)
        rc = fl_journal_save(rec, err);
    close(lock);
    return rc;
}

/* ---- corrupt records: kept aside, and what is ours in them undone ---- */
int fl_journal_quarantine(const char *name, char *dest, size_t len, fl_error *err) {
    int s, f;
    if (open_state(false, &s, &f, err) != 0)
        return -1;
    char shown[PATH_MAX + 16];
    snprintf(shown, sizeof(shown), "%s/corrupt", fl_state_dir());
    int c = open_private_dir(s, "corrupt", shown, true, err);
    int rc = -1;
    if (c >= 0) {
        char target[300];
        snprintf(target, sizeof(target), "%s", name);
        for (int i = 1; i < 1000 && faccessat(c, target, F_OK, AT_SYMLINK_NOFOLLOW) == 0; i++)
            snprintf(target, sizeof(target), "%s.%d", name, i);
        if (renameat(f, name, c, target) == 0 && fsync(f) == 0 && fsync(c) == 0) {
            snprintf(dest, len, "%s/%s", shown, target);
            rc = 0;
        } else {
            fl_fail(err, FL_EAPPLY, "journal", "cannot move %s/faults/%s to %s: %s", fl_state_dir(), name, shown,
                    strerror(errno));
        }
        close(c);
    }
    close(s);
    close(f);
    return rc;
}

json_t *fl_journal_quarantined(void) {
    json_t *list = json_array();
    int s;
    fl_error err;
    if (open_state(false, &s, NULL, &err) != 0)
        return list;
    char shown[PATH_MAX + 16];
    snprintf(shown, sizeof(shown), "%s/corrupt", fl_state_dir());
    int c = open_private_dir(s, "corrupt", shown, false, &err);
    close(s);
    if (c < 0)
        return list;
    DIR *d = fdopendir(c);
    if (!d) {
        close(c);
        return list;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            char path[PATH_MAX + 300];
            snprintf(path, sizeof(path), "%s/%s", shown, e->d_name);
            json_array_append_new(list, json_string(path));
        }
    closedir(d);
    return list;
}

/* Finds, in what is left of a record, every undo operation that is
 * complete and valid for `id` on its own (each names its target exactly as
 * faultline does), and the owner. A truncated record keeps most of them:
 * keys are written sorted, "undo" last, and each operation is one object. */
json_t *fl_journal_salvage(const char *id, const char *text, size_t len, json_t **owner) {
    json_t *ops = json_array();
    if (owner)
        *owner = NULL;
    if (!fl_fault_id_valid(id) || !text)
        return ops;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '{')
            continue;
        json_error_t jerr;
        json_t *v = json_loadb(text + i, len - i, JSON_DISABLE_EOF_CHECK, &jerr);
        if (!v)
            continue;
        if (json_object_get(v, "op") && fl_undo_check(v, id, NULL, 0))
            json_array_append(ops, v);
        json_decref(v);
    }
    /* The text need not end with a NUL: search within len only. */
    const char *o = owner ? memmem(text, len, "\"owner\"", 7) : NULL;
    const char *brace = o ? memchr(o, '{', len - (size_t)(o - text)) : NULL;
    if (brace) {
        json_error_t jerr;
        json_t *v = json_loadb(brace, len - (size_t)(brace - text), JSON_DISABLE_EOF_CHECK, &jerr);
        if (v && process_ok(v, "owner", NULL, 0))
            *owner = v;
        else
            json_decref(v);
    }
    return ops;
}
