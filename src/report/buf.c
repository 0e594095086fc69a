/* A growable text buffer: every report is built in memory, then written
 * out in one go so that a failed render never leaves half a file. */
#include "report/report_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(rp_buf *buf, size_t more) {
    if (buf->out_of_memory)
        return false;
    if (buf->len + more + 1 <= buf->cap)
        return true;
    size_t cap = buf->cap ? buf->cap : 4096;
    while (cap < buf->len + more + 1)
        cap *= 2;
    char *grown = fl_xrealloc(buf->data, cap);
    if (!grown) {
        buf->out_of_memory = true;
        return false;
    }
    buf->data = grown;
    buf->cap = cap;
    return true;
}

void rp_buf_free(rp_buf *buf) {
    free(buf->data);
    *buf = (rp_buf){0};
}

void rp_putn(rp_buf *buf, const char *text, size_t len) {
    if (!reserve(buf, len))
        return;
    memcpy(buf->data + buf->len, text, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void rp_puts(rp_buf *buf, const char *text) { rp_putn(buf, text, strlen(text)); }

void rp_printf(rp_buf *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0 || !reserve(buf, (size_t)need))
        return;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)need;
}
