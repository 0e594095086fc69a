/* The library's allocation policy (docs/architecture.md, "the library's
 * manners"): memory for its own work never comes back NULL. Out of memory,
 * the process says how much it asked for and aborts; the faults it holds are
 * rolled back by their supervisors and guardians, as after any crash. */
#include "internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Noreturn void out_of_memory(size_t n, size_t size) {
    /* No stdio: it may want memory itself. */
    char msg[128];
    int len = n == 1 ? snprintf(msg, sizeof(msg), "faultline: out of memory allocating %zu bytes\n", size)
                     : snprintf(msg, sizeof(msg), "faultline: out of memory allocating %zu x %zu bytes\n", n, size);
    if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0) {
        /* nothing left to tell it to */
    }
    abort();
}

void *fl_xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(1, size);
    return p;
}

void *fl_xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n, size);
    return p;
}

void *fl_xrealloc(void *ptr, size_t size) {
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(1, size);
    return p;
}

void *fl_xreallocarray(void *ptr, size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        out_of_memory(n, size);
    return fl_xrealloc(ptr, total);
}

char *fl_xstrdup(const char *s) { return fl_xstrndup(s, strlen(s)); }

char *fl_xstrndup(const char *s, size_t n) {
    size_t len = strnlen(s, n);
    if (len == SIZE_MAX)
        out_of_memory(1, len);
    char *copy = fl_xmalloc(len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *fl_xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) /* an encoding error: a bug in the caller's format, not memory */
        need = 0;
    char *out = fl_xmalloc((size_t)need + 1);
    va_start(ap, fmt);
    vsnprintf(out, (size_t)need + 1, fmt, ap);
    va_end(ap);
    return out;
}
