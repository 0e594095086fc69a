/* The target URL and the request bytes, built once and sent as they are for
 * every request. Private to libfaultline. */
#ifndef FL_LOAD_HTTP_REQUEST_H
#define FL_LOAD_HTTP_REQUEST_H

#include "faultline.h"

#include <stddef.h>

typedef struct fl_http_target {
    char host[256];      /* as written, without brackets for IPv6 */
    char port[8];        /* "80" when not given */
    char authority[280]; /* host[:port] as it goes in the Host header */
    char *path;          /* path and query, "/" when empty; malloc'ed */
} fl_http_target;

/* Accepts http://host[:port][/path][?query]; https and user info are
 * refused with a message naming `field`. */
int fl_http_parse_url(const char *url, const char *field, fl_http_target *out, fl_error *err);
void fl_http_target_clear(fl_http_target *t);

/* Checks "Name: value" (a token, a colon, no CR or LF). */
int fl_http_check_header(const char *header, const char *field, fl_error *err);
int fl_http_check_method(const char *method, const char *field, fl_error *err);

/* The request bytes: request line, Host, User-Agent, the user's headers,
 * Content-Length when there is a body or the method usually has one.
 * Returns malloc'ed bytes, *len their count. */
char *fl_http_build_request(const fl_http_target *t, const char *method, char *const *headers, size_t n_headers,
                            const char *body, size_t body_len, size_t *len);

#endif
