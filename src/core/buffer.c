/* Growable byte buffer with a cap (buffer.h). */
#include "core/buffer.h"
#include "core/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void fl_buffer_init(fl_buffer *b, size_t max, bool truncate) { *b = (fl_buffer){.max = max, .truncate = truncate}; }

static int reserve(fl_buffer *b, size_t need) { /* room for need bytes + '\0' */
    if (need < b->alloc)
        return 0;
    size_t alloc = b->alloc ? b->alloc : 256;
    while (alloc <= need)
        alloc = alloc > SIZE_MAX / 2 ? need + 1 : alloc * 2;
    b->data = fl_xrealloc(b->data, alloc);
    b->alloc = alloc;
    return 0;
}

int fl_buffer_append(fl_buffer *b, const void *data, size_t n) {
    size_t room = b->max > b->len ? b->max - b->len : 0;
    if (n > room) {
        if (!b->truncate) {
            b->overflow = true;
            return -1;
        }
        b->truncated = true;
        n = room;
    }
    if (reserve(b, b->len + n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
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

size_t fl_buffer_curl_write(char *ptr, size_t size, size_t n, void *user) {
    if (n && size > SIZE_MAX / n)
        return 0;
    return fl_buffer_append(user, ptr, size * n) == 0 ? size * n : 0;
}
