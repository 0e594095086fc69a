/* disk-fill: one preallocated file under --path that brings the filesystem
 * to --percent usage (or takes --size), keeping --reserve free unless
 * --force. Parity: FIS AWSFIS-Run-Disk-Fill (Percent), the seed's
 * DiskSpaceAttack, ChaosBlade `disk fill --path --size --percent --reserve`. */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const fl_param_spec params[] = {
    {"path", FL_PARAM_PATH, FL_PARAM_REQUIRED, NULL, NULL, NULL, NULL, "directory on the filesystem to fill"},
    {"size", FL_PARAM_SIZE, 0, NULL, "4K", NULL, NULL, "size of the fill file (or --percent)"},
    {"percent", FL_PARAM_PERCENT, 0, NULL, "1%", "100%", NULL, "target usage of the filesystem, as df shows it"},
    {"reserve", FL_PARAM_AMOUNT, 0, "2%", NULL, NULL, NULL,
     "refuse to leave less than this free (size or % of the filesystem)"},
    {"force", FL_PARAM_BOOL, 0, NULL, NULL, NULL, NULL, "go past --reserve anyway (up to a full disk)"},
};

typedef struct fill_plan {
    char dir[1024];
    uint64_t bytes;
    double target_pct;
} fill_plan;

typedef struct fs_usage {
    uint64_t used, avail, size; /* size = used + avail, as df computes Use% */
} fs_usage;

static int usage(const char *path, fs_usage *u)
{
    struct statvfs s;
    if (statvfs(path, &s) != 0)
        return -1;
    u->used = (uint64_t)(s.f_blocks - s.f_bfree) * s.f_frsize;
    u->avail = (uint64_t)s.f_bavail * s.f_frsize;
    u->size = u->used + u->avail;
    return 0;
}

static int validate(fl_spec *spec, fl_error *err)
{
    const char *path = fl_spec_str(spec, "path");
    struct stat st;
    if (fl_spec_writable_dir(spec, "path", &st, err) != 0)
        return -1;
    bool by_size = fl_spec_given(spec, "size"), by_pct = fl_spec_given(spec, "percent");
    if (by_size == by_pct)
        return fl_fail(err, FL_EINVAL, by_size ? "percent" : "size",
                       by_size ? "--size and --percent are exclusive: give one" : "--size or --percent is required (e.g. --percent 90%%)");
    fs_usage u;
    if (usage(path, &u) != 0 || u.size == 0)
        return fl_fail(err, FL_EINVAL, "path", "--path: cannot stat the filesystem of %s", path);
    fill_plan *p = calloc(1, sizeof(*p));
    snprintf(p->dir, sizeof(p->dir), "%s", path);
    spec->data = p;
    spec->free_data = free;
    if (by_size) {
        p->bytes = fl_spec_u64(spec, "size");
    } else {
        double target = fl_spec_pct(spec, "percent") / 100.0 * (double)u.size;
        if (target <= (double)u.used)
            return fl_fail(err, FL_EINVAL, "percent", "--percent: the filesystem of %s is already at %.1f%%", path,
                           100.0 * (double)u.used / (double)u.size);
        p->bytes = (uint64_t)(target - (double)u.used);
    }
    p->target_pct = 100.0 * (double)(u.used + p->bytes) / (double)u.size;
    const fl_value *r = fl_spec_value(spec, "reserve");
    uint64_t reserve = r->is_percent ? (uint64_t)((double)u.size * r->pct / 100.0) : r->u64;
    if (p->bytes > u.avail || (!fl_spec_bool(spec, "force") && u.avail - p->bytes < reserve)) {
        char b[32], a[32], rs[32];
        return fl_fail(err, FL_EINVAL, by_size ? "size" : "percent",
                       "--%s: writing %s would leave less than %s free (%s free now)%s", by_size ? "size" : "percent",
                       fl_format_size(p->bytes, b, sizeof(b)),
                       fl_format_size(p->bytes > u.avail ? 0 : reserve, rs, sizeof(rs)),
                       fl_format_size(u.avail, a, sizeof(a)),
                       p->bytes > u.avail ? "" : "; lower it, lower --reserve, or add --force");
    }
    fl_spec_claim(spec, "disk-fill:dev=%llu", (unsigned long long)st.st_dev);
    return 0;
}

static void plan(const fl_spec *spec, fl_plan_cb step, void *user)
{
    const fill_plan *p = spec->data;
    char op[1200], inv[1100], b[32];
    snprintf(op, sizeof(op), "create %s/faultline-fill-<id>.tmp and allocate %s (filesystem to %.1f%%)", p->dir,
             fl_format_size(p->bytes, b, sizeof(b)), p->target_pct);
    snprintf(inv, sizeof(inv), "remove %s/faultline-fill-<id>.tmp", p->dir);
    step(user, op, inv);
}

static int write_zeros(int fd, uint64_t bytes)
{
    static char block[1 << 20];
    for (uint64_t done = 0; done < bytes;) {
        size_t n = bytes - done < sizeof(block) ? (size_t)(bytes - done) : sizeof(block);
        if (fl_write_all(fd, block, n) != 0)
            return -1;
        done += n;
    }
    return fsync(fd);
}

static int apply(fl_ctx *ctx, fl_error *err)
{
    const fill_plan *p = ctx->spec->data;
    char path[1200];
    snprintf(path, sizeof(path), "%s/faultline-fill-%s.tmp", p->dir,
             json_string_value(json_object_get(ctx->rec, "id")));
    if (fl_ctx_journal_undo(ctx, fl_undo_unlink(path), err) != 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fl_fail(err, FL_EAPPLY, "path", "cannot create %s: %s", path, strerror(errno));
    int rc = fallocate(fd, 0, 0, (off_t)p->bytes);
    if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS))
        rc = write_zeros(fd, p->bytes); /* filesystems without fallocate */
    int e = errno;
    close(fd);
    if (rc != 0)
        return fl_fail(err, FL_EAPPLY, "path", "cannot allocate %s: %s", path, strerror(e));
    char b[32];
    fl_ctx_applied(ctx, "fill file %s: %s", path, fl_format_size(p->bytes, b, sizeof(b)));
    return 0;
}

static int verify(fl_ctx *ctx, fl_error *err)
{
    const fill_plan *p = ctx->spec->data;
    fs_usage u;
    if (usage(p->dir, &u) != 0)
        return fl_fail(err, FL_EAPPLY, "verify", "cannot stat %s", p->dir);
    double pct = 100.0 * (double)u.used / (double)u.size;
    char a[32];
    snprintf(ctx->verified, sizeof(ctx->verified), "filesystem of %s at %.1f%% used, %s free (target %.1f%%)",
             p->dir, pct, fl_format_size(u.avail, a, sizeof(a)), p->target_pct);
    if (pct + 2.0 < p->target_pct)
        return fl_fail(err, FL_EAPPLY, "verify", "the filesystem is at %.1f%%, short of the target %.1f%%", pct,
                       p->target_pct);
    return 0;
}

const fl_attack fl_attack_disk_fill = {
    .info = {.name = "disk-fill",
             .summary = "fill a filesystem to a target usage",
             .details = "Creates faultline-fill-<id>.tmp under --path and preallocates it (fallocate, or zeros "
                        "where unsupported) so the filesystem reaches --percent usage or grows by --size. Keeps "
                        "--reserve free unless --force. Undo: the file is removed.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "a writable directory; nothing else"},
    .validate = validate,
    .plan = plan,
    .apply = apply,
    .verify = verify,
};
