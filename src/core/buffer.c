/* Growable byte buffer with a cap (buffer.h). */
#include "core/buffer.h"
#include "core/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fl_buffer_init(fl_buffer *b, size_t max, bool truncate) { *b = (fl_buffer){.max = max, .truncate = truncate}; }

static void reserve(fl_buffer *b, size_t need) { /* room for need bytes + '\0' */
    if (need < b->alloc)
        return;
    size_t alloc = b->alloc ? b->alloc : 256;
    while (alloc <= need)
        alloc = alloc > SIZE_MAX / 2 ? need + 1 : alloc * 2;
    b->data = fl_xrealloc(b->data, alloc);
    b->alloc = alloc;
}

/* Whether n more bytes may be appended under the cap; *kept: all of them,
 * or the ones that fit (truncate mode). False when the append must fail. */
static bool admit(fl_buffer *b, size_t n, size_t *kept) {
    size_t room = b->max > b->len ? b->max - b->len : 0;
    *kept = n;
    if (n <= room)
        return true;
    if (!b->truncate) {
        b->overflow = true;
        return false;
    }
    b->truncated = true;
    *kept = room;
    return true;
}

int fl_buffer_append(fl_buffer *b, const void *data, size_t n) {
    if (!admit(b, n, &n))
        return -1;
    reserve(b, b->len + n);
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int fl_buffer_puts(fl_buffer *b, const char *text) { return fl_buffer_append(b, text, strlen(text)); }

int fl_buffer_printf(fl_buffer *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0)
        return -1;
    size_t n;
    if (!admit(b, (size_t)need, &n))
        return -1;
    /* Formatted in place, whole (vsnprintf writes its own '\0'), then cut
     * to what the cap admits. */
    reserve(b, b->len + (size_t)need);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int fl_buffer_read_fd(fl_buffer *b, int fd, bool until_newline) {
    char chunk[65536];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            return 0;
        if (fl_buffer_append(b, chunk, (size_t)got) != 0)
            return -1;
        if (until_newline && memchr(chunk, '\n', (size_t)got))
            return 0;
    }
}

void fl_buffer_reset(fl_buffer *b) {
    b->len = 0;
    b->truncated = b->overflow = false;
    if (b->data)
        b->data[0] = '\0';
}

void fl_buffer_free(fl_buffer *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
    b->truncated = b->overflow = false;
}

const char *fl_buffer_str(const fl_buffer *b) { return b->data ? b->data : ""; }

char *fl_buffer_take(fl_buffer *b) {
    char *data = b->data;
    b->data = NULL;
    b->len = b->alloc = 0;
    b->truncated = b->overflow = false;
    return data;
}

size_t fl_buffer_curl_write(char *ptr, size_t size, size_t n, void *user) {
    if (n && size > SIZE_MAX / n)
        return 0;
    return fl_buffer_append(user, ptr, size * n) == 0 ? size * n : 0;
}
