/* One line of live progress, shared by the CLI and library users. */
#include "core/internal.h"
#include "experiment/model/model.h"

#include <string.h>

const char *fl_run_progress_format(const fl_run_progress *p, char *buf, size_t len) {
    if (p->event) {
        snprintf(buf, len, "%7.1fs  %s", (double)p->elapsed_us / 1e6, p->event);
        return buf;
    }
    char left[32];
    int64_t remaining_s = (p->remaining_us + 999999) / 1000000;
    snprintf(buf, len, "%7.1fs  %-6s  %-24s  %7.1f req/s  p99 %8.2fms  errors %llu  %s left",
             (double)p->elapsed_us / 1e6, p->phase, p->active_faults ? p->active : "-", p->rate, p->p99_ms,
             (unsigned long long)p->errors, fl_format_duration(remaining_s * 1000000, left, sizeof(left)));
    return buf;
}
