/* memory: a worker that allocates and really touches --size (or --percent of
 * MemTotal), optionally locked in RAM. Refuses to leave less than --reserve
 * available unless --force. Parity: FIS AWSFIS-Run-Memory-Stress (Percent),
 * the seed's MemoryHogAttack, ChaosBlade `mem load --mem-percent --reserve`. */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const fl_param_spec params[] = {
    {"size", FL_PARAM_SIZE, 0, NULL, "4K", NULL, NULL, "memory to take, e.g. 512M (or --percent)"},
    {"percent", FL_PARAM_PERCENT, 0, NULL, "1%", "100%", NULL, "memory to take as a share of MemTotal"},
    {"lock", FL_PARAM_BOOL, 0, NULL, NULL, NULL, NULL, "mlock the pages so they cannot be swapped out"},
    {"reserve", FL_PARAM_AMOUNT, 0, "5%", NULL, NULL, NULL,
     "refuse if less than this would stay available (size or % of MemTotal)"},
    {"force", FL_PARAM_BOOL, 0, NULL, NULL, NULL, NULL, "go past --reserve anyway"},
};

static int meminfo(const char *key, uint64_t *bytes)
{
    FILE *f = fopen("/proc/meminfo", "re");
    if (!f)
        return -1;
    char line[256];
    size_t l = strlen(key);
    int rc = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, l) == 0 && line[l] == ':') {
            *bytes = strtoull(line + l + 1, NULL, 10) * 1024;
            rc = 0;
            break;
        }
    fclose(f);
    return rc;
}

typedef struct mem_plan {
    uint64_t bytes;
    bool lock;
} mem_plan;

static int validate(fl_spec *spec, fl_error *err)
{
    bool by_size = fl_spec_given(spec, "size"), by_pct = fl_spec_given(spec, "percent");
    if (by_size == by_pct)
        return fl_fail(err, FL_EINVAL, by_size ? "percent" : "size",
                       by_size ? "--size and --percent are exclusive: give one" : "--size or --percent is required (e.g. --size 512M)");
    uint64_t total = 0, avail = 0;
    if (meminfo("MemTotal", &total) != 0 || meminfo("MemAvailable", &avail) != 0)
        return fl_fail(err, FL_EAPPLY, "memory", "cannot read /proc/meminfo");
    mem_plan *p = calloc(1, sizeof(*p));
    p->bytes = by_size ? fl_spec_u64(spec, "size") : (uint64_t)((double)total * fl_spec_pct(spec, "percent") / 100.0);
    p->bytes = (p->bytes + 4095) & ~4095ULL;
    p->lock = fl_spec_bool(spec, "lock");
    spec->data = p;
    spec->free_data = free;
    const fl_value *r = fl_spec_value(spec, "reserve");
    uint64_t reserve = r->is_percent ? (uint64_t)((double)total * r->pct / 100.0) : r->u64;
    if (!fl_spec_bool(spec, "force") && (p->bytes > avail || avail - p->bytes < reserve)) {
        char b[32], a[32], rs[32];
        return fl_fail(err, FL_EINVAL, by_size ? "size" : "percent",
                       "--%s: taking %s would leave less than the reserve of %s available (%s available now); "
                       "lower it, lower --reserve, or add --force",
                       by_size ? "size" : "percent", fl_format_size(p->bytes, b, sizeof(b)),
                       fl_format_size(reserve, rs, sizeof(rs)), fl_format_size(avail, a, sizeof(a)));
    }
    fl_spec_claim(spec, "memory");
    return 0;
}

static void plan(const fl_spec *spec, fl_plan_cb step, void *user)
{
    const mem_plan *p = spec->data;
    char op[160], b[32];
    snprintf(op, sizeof(op), "start a memory worker that maps and writes every page of %s%s",
             fl_format_size(p->bytes, b, sizeof(b)), p->lock ? ", locked with mlock" : "");
    step(user, op, "kill the memory worker (SIGKILL), which frees the memory");
}

static void hog(void *arg)
{
    const mem_plan *p = arg;
    unsigned char *mem = mmap(NULL, p->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        _exit(1);
    long page = sysconf(_SC_PAGESIZE);
    /* A distinct non-zero byte per page: the kernel must back every page. */
    for (uint64_t off = 0; off < p->bytes; off += (uint64_t)page)
        mem[off] = (unsigned char)(off / (uint64_t)page) | 1;
    if (p->lock && mlock(mem, p->bytes) != 0)
        _exit(2);
    fl_worker_ready();
    for (;;)
        pause();
}

static int apply(fl_ctx *ctx, fl_error *err)
{
    const mem_plan *p = ctx->spec->data;
    pid_t pid;
    /* Touching pages runs at well over 500 MB/s; allow for slow hosts. */
    int timeout_ms = 30000 + (int)(p->bytes / (20ULL << 20)) * 1000;
    if (fl_ctx_spawn(ctx, "fl-memory", hog, (void *)p, timeout_ms, &pid, err) != 0) {
        snprintf(err->message + strlen(err->message), sizeof(err->message) - strlen(err->message),
                 " (out of memory, a cgroup limit, or --lock beyond RLIMIT_MEMLOCK?)");
        return -1;
    }
    char b[32];
    fl_ctx_applied(ctx, "memory worker: pid %d holding %s%s", (int)pid, fl_format_size(p->bytes, b, sizeof(b)),
                   p->lock ? " (locked)" : "");
    return 0;
}

static int verify(fl_ctx *ctx, fl_error *err)
{
    const mem_plan *p = ctx->spec->data;
    uint64_t rss = 0;
    if (fl_proc_rss(ctx->workers[0], &rss) != 0)
        return fl_fail(err, FL_EAPPLY, "verify", "the memory worker is gone");
    char a[32], b[32];
    snprintf(ctx->verified, sizeof(ctx->verified), "memory worker RSS %s (target %s)",
             fl_format_size(rss, a, sizeof(a)), fl_format_size(p->bytes, b, sizeof(b)));
    if ((double)rss < 0.9 * (double)p->bytes)
        return fl_fail(err, FL_EAPPLY, "verify", "memory worker holds only %s of %s in RAM", a, b);
    return 0;
}

const fl_attack fl_attack_memory = {
    .info = {.name = "memory",
             .summary = "take memory: allocate and touch it, optionally locked",
             .details = "Starts one worker that maps --size (or --percent of MemTotal) and writes every page, so "
                        "the memory is really resident. Refuses to leave less than --reserve available unless "
                        "--force. Undo: the worker is killed and the kernel frees the memory.",
             .params = params,
             .n_params = FL_ARRAY_LEN(params),
             .requires = "Linux /proc/meminfo; CAP_IPC_LOCK or RLIMIT_MEMLOCK for --lock",
             .uses_cgroup = true},
    .validate = validate,
    .plan = plan,
    .apply = apply,
    .verify = verify,
};
