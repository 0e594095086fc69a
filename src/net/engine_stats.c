/* The packet engine's counters: a small file beside the fault's journal
 * record (STATE/faults/ID.engine) that the supervisor creates and maps
 * shared before it starts the engine, the engine writes, and anyone may map
 * and read: the caller holding the fault (which maps it when the fault
 * starts, so the engine's last numbers stay readable after the rollback has
 * removed the file), `faultline status`, the experiment runner. */
#include "net/net.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATS_FILE_SIZE 4096

_Static_assert(sizeof(fl_engine_shared) <= STATS_FILE_SIZE, "the counters fit in one page");

void fl_engine_stats_path(const char *id, char *buf, size_t len) {
    snprintf(buf, len, "%s/faults/%s.engine", fl_state_dir(), id);
}

fl_engine_shared *fl_engine_stats_create(const char *path, fl_error *err) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        fl_fail(err, FL_EAPPLY, "engine", "cannot create %s: %s", path, strerror(errno));
        return NULL;
    }
    fl_engine_shared *s = MAP_FAILED;
    if (ftruncate(fd, STATS_FILE_SIZE) == 0)
        s = mmap(NULL, STATS_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (s == MAP_FAILED) {
        fl_fail(err, FL_EAPPLY, "engine", "cannot map %s: %s", path, strerror(e));
        return NULL;
    }
    s->version = FL_ENGINE_SHARED_VERSION;
    atomic_store(&s->queue_out, -1);
    atomic_store(&s->queue_in, -1);
    __atomic_store_n(&s->magic, FL_ENGINE_SHARED_MAGIC, __ATOMIC_RELEASE);
    return s;
}

const fl_engine_shared *fl_engine_stats_open(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    const fl_engine_shared *s = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= STATS_FILE_SIZE)
        s = mmap(NULL, STATS_FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (s == MAP_FAILED)
        return NULL;
    if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != FL_ENGINE_SHARED_MAGIC ||
        s->version != FL_ENGINE_SHARED_VERSION) {
        munmap((void *)s, STATS_FILE_SIZE);
        return NULL;
    }
    return s;
}

void fl_engine_stats_unmap(const fl_engine_shared *shared) {
    if (shared)
        munmap((void *)shared, STATS_FILE_SIZE);
}

uint16_t fl_engine_next_stamp(void) {
    char dir[1100];
    snprintf(dir, sizeof(dir), "%s/faults", fl_state_dir());
    DIR *d = opendir(dir);
    unsigned highest = 0;
    struct dirent *ent;
    while (d && (ent = readdir(d))) {
        size_t n = strlen(ent->d_name);
        if (n < 8 || strcmp(ent->d_name + n - 7, ".engine") != 0)
            continue;
        char path[1400];
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        const fl_engine_shared *s = fl_engine_stats_open(path);
        if (s && s->stamp > highest)
            highest = s->stamp;
        fl_engine_stats_unmap(s);
    }
    if (d)
        closedir(d);
    return (uint16_t)(highest >= 0xffff ? 1 : highest + 1);
}

/* For the core, which keeps the mapping in the fault handle. */
const void *fl_engine_stats_map_id(const char *id) {
    char path[1200];
    fl_engine_stats_path(id, path, sizeof(path));
    return fl_engine_stats_open(path);
}

void fl_engine_stats_unmap_any(const void *map) { fl_engine_stats_unmap(map); }

void fl_engine_stats_read(const fl_engine_shared *s, fl_engine_counters *out) {
    memset(out, 0, sizeof(*out));
    uint64_t c[FL_EC_COUNT];
    for (int i = 0; i < FL_EC_COUNT; i++)
        c[i] = atomic_load_explicit(&((fl_engine_shared *)s)->counters[i], memory_order_relaxed);
    out->matched = c[FL_EC_MATCHED];
    out->held = c[FL_EC_HELD];
    out->released = c[FL_EC_RELEASED];
    out->late = c[FL_EC_LATE];
    out->bypassed = c[FL_EC_BYPASSED];
    out->dropped = c[FL_EC_DROPPED];
    out->passed = c[FL_EC_PASSED];
    out->corrupted = c[FL_EC_CORRUPTED];
    out->duplicated = c[FL_EC_DUPLICATED];
    out->reordered = c[FL_EC_REORDERED];
    out->refused = c[FL_EC_REFUSED];
    out->errors = c[FL_EC_ERRORS];
    out->held_packets = c[FL_EC_HELD_PACKETS];
    out->held_bytes = c[FL_EC_HELD_BYTES];
    out->peak_held_packets = c[FL_EC_PEAK_HELD_PACKETS];
    out->peak_held_bytes = c[FL_EC_PEAK_HELD_BYTES];
    out->max_held_bytes = s->max_held_bytes;
    int state = atomic_load(&((fl_engine_shared *)s)->state);
    pid_t pid = (pid_t)atomic_load(&((fl_engine_shared *)s)->pid);
    unsigned long long start = atomic_load(&((fl_engine_shared *)s)->start_ticks);
    bool alive = pid > 0 && fl_proc_is(pid, start) && fl_proc_state(pid) != 'Z';
    out->running = state == FL_ENGINE_RUNNING && alive;
    /* Died while in effect: its table still sent packets to a queue nobody
     * read, and the kernel let them through (fail-open). An engine killed
     * while draining had its table deleted first. */
    out->lost = state == FL_ENGINE_RUNNING && !alive;
    uint64_t off = out->bypassed + out->late;
    if (out->lost) {
        out->degraded = true;
        snprintf(out->reason, sizeof(out->reason),
                 "the packet engine died while the fault was in effect: matched traffic passed untouched "
                 "(fail-open) until the rollback; %llu packets were handled before",
                 (unsigned long long)out->matched);
    } else if (out->matched && off * 1000 > out->matched) {
        out->degraded = true;
        snprintf(out->reason, sizeof(out->reason),
                 "%llu of %llu matched packets (%.2f%%, over 0.1%%) did not get the fault: %llu bypassed "
                 "(queue full, engine behind or over --max-held-bytes %llu), %llu released late",
                 (unsigned long long)off, (unsigned long long)out->matched, 100.0 * (double)off / (double)out->matched,
                 (unsigned long long)out->bypassed, (unsigned long long)out->max_held_bytes,
                 (unsigned long long)out->late);
    }
}

static bool valid_id(const char *id) {
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return false;
    for (const char *c = id; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
            return false;
    return true;
}

int fl_engine_stats_by_id(const char *id, fl_engine_counters *out, fl_error *err) {
    fl_error_clear(err);
    if (!id || !valid_id(id))
        return fl_fail(err, FL_EINVAL, "id", "'%s' is not a fault id", id ? id : "");
    const fl_engine_shared *s = fl_engine_stats_map_id(id);
    if (!s)
        return 0;
    fl_engine_stats_read(s, out);
    fl_engine_stats_unmap(s);
    return 1;
}

int fl_fault_engine_stats(const fl_fault *fault, fl_engine_counters *out, fl_error *err) {
    fl_error_clear(err);
    const fl_engine_shared *s = fl_fault_engine_map(fault);
    if (!s)
        return 0;
    fl_engine_stats_read(s, out);
    return 1;
}

char *fl_engine_counters_json(const fl_engine_counters *c) {
    json_t *o = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:b, s:b, s:b}",
        "matched", (json_int_t)c->matched, "held", (json_int_t)c->held, "released", (json_int_t)c->released, "late",
        (json_int_t)c->late, "bypassed", (json_int_t)c->bypassed, "dropped", (json_int_t)c->dropped, "passed",
        (json_int_t)c->passed, "corrupted", (json_int_t)c->corrupted, "duplicated", (json_int_t)c->duplicated,
        "reordered", (json_int_t)c->reordered, "refused", (json_int_t)c->refused, "errors", (json_int_t)c->errors,
        "held_packets", (json_int_t)c->held_packets, "held_bytes", (json_int_t)c->held_bytes, "peak_held_packets",
        (json_int_t)c->peak_held_packets, "peak_held_bytes", (json_int_t)c->peak_held_bytes, "max_held_bytes",
        (json_int_t)c->max_held_bytes, "running", c->running, "lost", c->lost, "degraded", c->degraded);
    if (!o)
        return NULL;
    json_object_set_new(o, "reason", c->degraded ? json_string(c->reason) : json_null());
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}
