/* io-stress: workers that read and/or write files under --path as fast as
 * allowed, or at a --bandwidth target. Writes are fdatasync'ed and reads
 * drop the page cache for their file first, so the device does the work.
 * Parity: FIS AWSFIS-Run-IO-Stress (Workers, Percent), the seed's
 * DiskHogAttack (stress-ng --iomix), ChaosBlade `disk burn --read --write`. */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const fl_param_spec params[] = {
    {"path", FL_PARAM_PATH, FL_PARAM_REQUIRED, NULL, NULL, NULL, NULL, "directory for the workers' files"},
    {"workers", FL_PARAM_INT, 0, "1", "1", "64", NULL, "number of I/O workers"},
    {"mode", FL_PARAM_ENUM, 0, "write", NULL, NULL, "read|write|mixed", "what the workers do"},
    {"size", FL_PARAM_SIZE, 0, "64M", "1M", NULL, NULL, "size of each worker's file"},
    {"block", FL_PARAM_SIZE, 0, "1M", "4K", "64M", NULL, "size of each read or write"},
    {"bandwidth", FL_PARAM_SIZE, 0, NULL, "4K", NULL, NULL,
     "total bytes per second to aim for, e.g. 20M (default: as fast as possible)"},
};

typedef struct io_plan {
    char dir[1024];
    int workers;
    char mode[8];
    uint64_t size, block, bandwidth;
} io_plan;

typedef struct io_arg {
    const io_plan *p;
    char path[1200];
} io_arg;

static int validate(fl_spec *spec, fl_error *err)
{
    const char *path = fl_spec_str(spec, "path");
    struct stat st;
    if (fl_spec_writable_dir(spec, "path", &st, err) != 0)
        return -1;
    io_plan *p = calloc(1, sizeof(*p));
    snprintf(p->dir, sizeof(p->dir), "%s", path);
    p->workers = (int)fl_spec_i64(spec, "workers");
    snprintf(p->mode, sizeof(p->mode), "%s", fl_spec_str(spec, "mode"));
    p->size = fl_spec_u64(spec, "size");
    p->block = fl_spec_u64(spec, "block");
    p->bandwidth = fl_spec_given(spec, "bandwidth") ? fl_spec_u64(spec, "bandwidth") : 0;
    spec->data = p;
    spec->free_data = free;
    if (p->block > p->size)
        return fl_fail(err, FL_EINVAL, "block", "--block is larger than --size");
    struct statvfs s;
    uint64_t need = p->size * (uint64_t)p->workers;
    if (statvfs(path, &s) == 0) {
        uint64_t avail = (uint64_t)s.f_bavail * s.f_frsize;
        uint64_t total = (uint64_t)s.f_blocks * s.f_frsize;
        if (need + total / 50 > avail) {
            char n[32], a[32];
            return fl_fail(err, FL_EINVAL, "size",
                           "--size: %d files of this size need %s but only %s is free (keeping 2%% in reserve)",
                           p->workers, fl_format_size(need, n, sizeof(n)), fl_format_size(avail, a, sizeof(a)));
        }
    }
    fl_spec_claim(spec, "io-stress:dev=%llu", (unsigned long long)st.st_dev);
    return 0;
}

static void plan(const fl_spec *spec, fl_plan_cb step, void *user)
{
    const io_plan *p = spec->data;
    char s[32], b[32], bw[48] = "as fast as possible";
    if (p->bandwidth)
        snprintf(bw, sizeof(bw), "at %s/s in total", fl_format_size(p->bandwidth, s, sizeof(s)));
    for (int i = 0; i < p->workers; i++) {
        char op[1400], inv[1300];
        snprintf(op, sizeof(op), "start io worker %d: %s %s/faultline-io-<id>-%d.tmp (%s) in %s blocks, %s", i,
                 p->mode, p->dir, i, fl_format_size(p->size, s, sizeof(s)), fl_format_size(p->block, b, sizeof(b)), bw);
        snprintf(inv, sizeof(inv), "kill io worker %d (SIGKILL) and remove %s/faultline-io-<id>-%d.tmp", i, p->dir, i);
        step(user, op, inv);
    }
}

/* Sleeps as needed so that `done` bytes since `start` stay at `rate`. */
static void pace(int64_t start, uint64_t done, uint64_t rate)
{
    if (!rate)
        return;
    int64_t due = start + (int64_t)((double)done * 1e6 / (double)rate);
    fl_sleep_us(due - fl_mono_us());
}

static void churn(void *varg)
{
    io_arg *arg = varg;
    const io_plan *p = arg->p;
    int fd = open(arg->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    char *buf = malloc(p->block);
    if (fd < 0 || !buf)
        _exit(1);
    memset(buf, 0xa5, p->block);
    bool reads = strcmp(p->mode, "write") != 0, writes = strcmp(p->mode, "read") != 0;
    if (reads) { /* the file must exist before it can be read */
        for (uint64_t off = 0; off < p->size; off += p->block)
            if (pwrite(fd, buf, p->block, (off_t)off) < 0)
                _exit(1);
        fdatasync(fd);
    }
    fl_worker_ready();
    uint64_t rate = p->bandwidth / (uint64_t)p->workers;
    int64_t start = fl_mono_us();
    uint64_t done = 0, since_sync = 0;
    for (uint64_t round = 0;; round++) {
        bool write_now = writes && (!reads || round % 2 == 0);
        if (!write_now)
            posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); /* read from the device, not the cache */
        for (uint64_t off = 0; off + p->block <= p->size; off += p->block) {
            ssize_t n = write_now ? pwrite(fd, buf, p->block, (off_t)off) : pread(fd, buf, p->block, (off_t)off);
            if (n < 0 && errno != EINTR)
                fl_sleep_us(100000); /* e.g. ENOSPC: keep the pressure, do not spin */
            done += p->block;
            since_sync += p->block;
            if (write_now && since_sync >= (8u << 20)) {
                fdatasync(fd);
                since_sync = 0;
            }
            pace(start, done, rate);
        }
    }
}

static int apply(fl_ctx *ctx, fl_error *err)
{
    const io_plan *p = ctx->spec->data;
    const char *id = json_string_value(json_object_get(ctx->rec, "id"));
    for (int i = 0; i < p->workers; i++) {
        io_arg arg = {.p = p};
        snprintf(arg.path, sizeof(arg.path), "%s/faultline-io-%s-%d.tmp", p->dir, id, i);
        if (fl_ctx_journal_undo(ctx, fl_undo_unlink(arg.path), err) != 0)
            return -1;
        char label[16];
        pid_t pid;
        snprintf(label, sizeof(label), "fl-io-%d", i);
        if (fl_ctx_spawn(ctx, label, churn, &arg, 120000, &pid, err) != 0)
            return -1;
        fl_ctx_applied(ctx, "io worker %d: pid %d, %s on %s", i, (int)pid, p->mode, arg.path);
    }
    return 0;
}

static int io_bytes(const fl_ctx *ctx, uint64_t *rd, uint64_t *wr)
{
    int alive = 0;
    *rd = *wr = 0;
    for (size_t i = 0; i < ctx->n_workers; i++) {
        char path[64], line[128];
        snprintf(path, sizeof(path), "/proc/%d/io", (int)ctx->workers[i]);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        alive++;
        while (fgets(line, sizeof(line), f)) {
            if (strncmp(line, "rchar:", 6) == 0)
                *rd += strtoull(line + 6, NULL, 10);
            else if (strncmp(line, "wchar:", 6) == 0)
                *wr += strtoull(line + 6, NULL, 10);
        }
        fclose(f);
    }
    return alive;
}

static int verify(fl_ctx *ctx, fl_error *err)
{
    const io_plan *p = ctx->spec->data;
    uint64_t r0, w0, r1, w1;
    int64_t t0 = fl_mono_us();
    io_bytes(ctx, &r0, &w0);
    fl_sleep_us(300000);
    int alive = io_bytes(ctx, &r1, &w1);
    double secs = (double)(fl_mono_us() - t0) / 1e6;
    if (alive != p->workers)
        return fl_fail(err, FL_EAPPLY, "verify", "only %d of %d io workers are running", alive, p->workers);
    snprintf(ctx->verified, sizeof(ctx->verified), "%d io workers: %.1f MiB/s read, %.1f MiB/s written", alive,
             (double)(r1 - r0) / secs / 1048576.0, (double)(w1 - w0) / secs / 1048576.0);
    if (r1 == r0 && w1 == w0)
        return fl_fail(err, FL_EAPPLY, "verify", "the io workers did no I/O in 300ms");
    return 0;
}

const fl_attack fl_attack_io_stress = {
    .info = {.name = "io-stress",
             .summary = "load a filesystem's device with reads and/or writes",
             .details = "Starts --workers processes, each with its own --size file under --path, reading (after "
                        "dropping its pages from the cache), writing (fdatasync every 8 MiB) or alternating, "
                        "as fast as possible or at --bandwidth in total. Undo: workers killed, files removed.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "a writable directory with room for workers x size",
             .uses_cgroup = true},
    .validate = validate,
    .plan = plan,
    .apply = apply,
    .verify = verify,
};
