/* Small helpers: errors, clocks, /proc readers, signals. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int fl_fail(fl_error *err, int code, const char *field, const char *fmt, ...) {
    if (err) {
        err->code = code;
        snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *fl_error_detail(const fl_error *err) {
    size_t n = strlen(err->field);
    if (n && strncmp(err->message, err->field, n) == 0 && err->message[n] == ':' && err->message[n + 1] == ' ')
        return err->message + n + 2;
    return err->message;
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if none starts there. */
static size_t utf8_sequence(const unsigned char *s) {
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xC2 && s[0] <= 0xDF   ? 2
               : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
               : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* no overlong forms, no surrogates, nothing above U+10FFFF */
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

json_t *fl_json_text(const char *text) {
    if (!text)
        text = "";
    json_t *s = json_string(text);
    if (s)
        return s;
    size_t len = strlen(text);
    char *fixed = fl_xmalloc(len * 3 + 1), *w = fixed;
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        size_t n = utf8_sequence(p);
        if (n) {
            memcpy(w, p, n);
            w += n, p += n;
        } else {
            memcpy(w, "\xEF\xBF\xBD", 3);
            w += 3, p++;
        }
    }
    *w = '\0';
    s = json_string(fixed);
    free(fixed);
    return s;
}

void fl_error_clear(fl_error *err) {
    if (err) {
        err->code = FL_OK;
        err->field[0] = '\0';
        err->message[0] = '\0';
    }
}

static int64_t clock_us(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fl_wall_us(void) { return clock_us(CLOCK_REALTIME); }

int64_t fl_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t fl_mono_us(void) { return clock_us(CLOCK_MONOTONIC); }

void fl_mono_cond_init(pthread_cond_t *cond) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

struct timespec fl_mono_deadline(int64_t from_now_us) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (from_now_us <= 0)
        return ts;
    ts.tv_sec += from_now_us / 1000000;
    ts.tv_nsec += (long)(from_now_us % 1000000) * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

/* A time namespace (Linux 5.6+) shifts CLOCK_MONOTONIC, CLOCK_BOOTTIME and
 * the start times in /proc/PID/stat by its offsets, as seen by whoever
 * reads them. faultline compares these numbers between processes that may
 * live in different time namespaces (a supervisor and a `status` run in a
 * container), so it takes the offsets of its own namespace out: every
 * process then speaks the host's boot clock. */
static int64_t boottime_offset_ns(void) {
    static int64_t offset_ns;
    static pid_t read_by; /* a forked child shares the namespace: keep it */
    if (read_by)
        return offset_ns;
    read_by = getpid();
    FILE *f = fopen("/proc/self/timens_offsets", "re");
    if (!f)
        return offset_ns = 0; /* no time namespaces: no offsets */
    char name[32];
    long long secs, nsecs;
    while (fscanf(f, "%31s %lld %lld", name, &secs, &nsecs) == 3)
        if (strcmp(name, "boottime") == 0)
            offset_ns = secs * 1000000000LL + nsecs;
    fclose(f);
    return offset_ns;
}

int64_t fl_boot_us(void) { return clock_us(CLOCK_BOOTTIME) - boottime_offset_ns() / 1000; }

void fl_sleep_us(int64_t us) {
    if (us <= 0)
        return;
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

const char *fl_format_time(int64_t unix_us, char *buf, size_t len) {
    time_t secs = (time_t)(unix_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, (int)(unix_us % 1000000 / 1000));
    return buf;
}

/* Reads /proc/PID/stat and returns a pointer just past the ")" that ends the
 * command name, which may itself contain spaces and parentheses. */
static char *read_stat(pid_t pid, char *buf, size_t len, char *comm, size_t comm_len) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *open = strchr(buf, '(');
    char *close = strrchr(buf, ')');
    if (!open || !close || close < open)
        return NULL;
    if (comm) {
        size_t l = (size_t)(close - open - 1);
        if (l >= comm_len)
            l = comm_len - 1;
        memcpy(comm, open + 1, l);
        comm[l] = '\0';
    }
    return close + 2; /* field 3 (state) */
}

/* Field `index` (1-based, as in proc(5)) of /proc/PID/stat. */
static int stat_field(pid_t pid, int index, unsigned long long *out, char *state) {
    char buf[1024];
    char *p = read_stat(pid, buf, sizeof(buf), NULL, 0);
    if (!p)
        return -1;
    if (state)
        *state = *p;
    for (int field = 3; field < index; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    if (out)
        *out = strtoull(p, NULL, 10);
    return 0;
}

/* Start times are shown shifted by the reader's time namespace offset; the
 * host's value is the same for every reader. */
static unsigned long long host_ticks(unsigned long long seen) {
    long hz = sysconf(_SC_CLK_TCK);
    int64_t off = boottime_offset_ns() / (1000000000LL / (hz > 0 ? hz : 100));
    int64_t host = (int64_t)seen - off;
    return host > 0 ? (unsigned long long)host : 0;
}

int fl_proc_start_ticks(pid_t pid, unsigned long long *ticks) {
    unsigned long long seen;
    if (stat_field(pid, 22, &seen, NULL) != 0)
        return -1;
    *ticks = host_ticks(seen);
    return 0;
}

bool fl_proc_is(pid_t pid, unsigned long long ticks) {
    unsigned long long now;
    char state;
    if (pid <= 0 || stat_field(pid, 22, &now, &state) != 0)
        return false;
    now = host_ticks(now);
    /* A zombie has done all it will do; it is not holding anything. */
    return now == ticks && state != 'Z' && state != 'X';
}

char fl_proc_state(pid_t pid) {
    char state = 0;
    if (stat_field(pid, 3, NULL, &state) != 0)
        return 0;
    return state;
}

int fl_proc_comm(pid_t pid, char *buf, size_t len) {
    char stat[1024];
    return read_stat(pid, stat, sizeof(stat), buf, len) ? 0 : -1;
}

int fl_proc_cmdline(pid_t pid, char *buf, size_t len) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[n] = '\0';
    return 0;
}

int fl_proc_cpu_ticks(pid_t pid, unsigned long long *ticks) {
    unsigned long long utime, stime;
    if (stat_field(pid, 14, &utime, NULL) != 0 || stat_field(pid, 15, &stime, NULL) != 0)
        return -1;
    *ticks = utime + stime;
    return 0;
}

int fl_proc_rss(pid_t pid, uint64_t *bytes) {
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int rc = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            *bytes = strtoull(line + 6, NULL, 10) * 1024;
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

bool fl_proc_is_ancestor_or_self(pid_t pid) {
    pid_t p = getpid();
    for (int depth = 0; p > 0 && depth < 256; depth++) {
        if (p == pid)
            return true;
        unsigned long long ppid;
        if (stat_field(p, 4, &ppid, NULL) != 0)
            break;
        p = (pid_t)ppid;
    }
    return false;
}

void fl_close_fds_except(const int *keep, size_t n) {
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int self = dirfd(d);
    int fds[1024];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < FL_ARRAY_LEN(fds)) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd < 3 || fd == self)
            continue;
        bool kept = false;
        for (size_t i = 0; i < n; i++)
            kept = kept || keep[i] == fd;
        if (!kept)
            fds[count++] = fd;
    }
    closedir(d);
    for (size_t i = 0; i < count; i++)
        close(fds[i]);
}

int fl_make_dirs(const char *dir, mode_t mode, const char *field, fl_error *err) {
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s", dir) >= sizeof(path))
        return fl_fail(err, FL_EINVAL, field, "%s: path too long: %s", field, dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, mode) != 0 && errno != EEXIST)
            return fl_fail(err, FL_EAPPLY, field, "%s: cannot create %s: %s", field, path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return fl_fail(err, FL_EAPPLY, field, "%s: cannot create %s: %s", field, path, strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return fl_fail(err, FL_EAPPLY, field, "%s: %s is not a directory", field, path);
    return 0;
}

int fl_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static const struct {
    const char *name;
    int signo;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ABRT", SIGABRT}, {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"BUS", SIGBUS},
};

int fl_parse_signal(const char *text, int *signo) {
    if (!text || !*text)
        return -1;
    char *end;
    long n = strtol(text, &end, 10);
    if (*end == '\0' && end != text)
        return (n >= 1 && n <= 64) ? (*signo = (int)n, 0) : -1;
    const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    for (size_t i = 0; i < FL_ARRAY_LEN(signals); i++)
        if (strcasecmp(name, signals[i].name) == 0)
            return (*signo = signals[i].signo, 0);
    return -1;
}

const char *fl_signal_name(int signo) {
    static __thread char buf[16];
    for (size_t i = 0; i < FL_ARRAY_LEN(signals); i++)
        if (signals[i].signo == signo) {
            snprintf(buf, sizeof(buf), "SIG%s", signals[i].name);
            return buf;
        }
    snprintf(buf, sizeof(buf), "%d", signo);
    return buf;
}

bool fl_have_cap(int cap) {
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return false;
    char line[256];
    unsigned long long eff = 0;
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = sscanf(line, "CapEff: %llx", &eff) == 1;
    fclose(f);
    return found && cap >= 0 && cap < 64 && (eff >> cap) & 1;
}

/* ---- notices: what the user should know, though nothing failed ---- */
static void notice_to_stderr(void *user, const char *message) {
    (void)user;
    fprintf(stderr, "faultline: %s\n", message);
}

static fl_notice_fn notice_fn = notice_to_stderr;
static void *notice_user;

void fl_set_notice_handler(fl_notice_fn fn, void *user) {
    notice_fn = fn ? fn : notice_to_stderr;
    notice_user = fn ? user : NULL;
}

void fl_notice(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    notice_fn(notice_user, buf);
}
