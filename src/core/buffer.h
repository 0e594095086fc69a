/* The library's one growable byte buffer, with a cap: bodies received from
 * libcurl (the SSM client, HTTP probes, Prometheus scrapes), the output of
 * ssh sessions, files read whole, the reports built in memory before they
 * are written (src/report), and a network fault's nftables rules. Over the cap it either keeps the beginning
 * and drops the rest (truncate) or fails (so that a transfer or a read
 * fails). The data is always NUL-terminated once something was appended.
 * Memory comes from fl_xrealloc: only the cap makes an append fail. */
#ifndef FL_CORE_BUFFER_H
#define FL_CORE_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fl_buffer {
    char *data;     /* NULL until the first append; then len bytes + '\0' */
    size_t len;     /* bytes kept */
    size_t alloc;   /* bytes allocated (data) */
    size_t max;     /* at most this many bytes are kept */
    bool truncate;  /* over max: keep the first max bytes (true) or fail (false) */
    bool truncated; /* truncate mode: bytes were dropped since the last reset */
    bool overflow;  /* fail mode: an append went over max since the last reset */
} fl_buffer;

/* A buffer without a cap, for what the library builds itself (reports,
 * tooltips): fl_buffer b = FL_BUFFER_UNCAPPED; */
#define FL_BUFFER_UNCAPPED                                                                                             \
    { .max = SIZE_MAX }

void fl_buffer_init(fl_buffer *b, size_t max, bool truncate);
/* Appends n bytes. Returns 0 (in truncate mode also when bytes were
 * dropped), or -1 when over the cap in fail mode (nothing appended,
 * overflow set). */
int fl_buffer_append(fl_buffer *b, const void *data, size_t n);
int fl_buffer_puts(fl_buffer *b, const char *text);
int fl_buffer_printf(fl_buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends what fd gives until end of file: 0 at the end, -1 on a read
 * error (errno set) or over the cap in fail mode (overflow set). With
 * until_newline, it stops after the read that brought a '\n' (a reply line
 * on a pipe whose writer stays open). */
int fl_buffer_read_fd(fl_buffer *b, int fd, bool until_newline);
/* Empties the buffer (keeps its memory, its cap and mode); data is "" if it
 * was allocated. */
void fl_buffer_reset(fl_buffer *b);
void fl_buffer_free(fl_buffer *b);
/* The data as a C string: "" when nothing was appended. */
const char *fl_buffer_str(const fl_buffer *b);
/* Hands the data over to the caller (free() it; NULL when nothing was
 * appended) and leaves the buffer empty, with its cap and mode. */
char *fl_buffer_take(fl_buffer *b);
/* A CURLOPT_WRITEFUNCTION (user: the fl_buffer): returns size * n, or 0 so
 * that libcurl fails the transfer (CURLE_WRITE_ERROR) when the append fails. */
size_t fl_buffer_curl_write(char *ptr, size_t size, size_t n, void *user);

#endif
