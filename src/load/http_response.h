/* Incremental parsing of one HTTP/1.x response (http-parser underneath):
 * Content-Length, chunked, and read-until-close bodies; interim 1xx
 * responses are skipped; HEAD responses have no body. Private to
 * libfaultline; fuzzed by tests/load/fuzz_http_response.c. */
#ifndef FL_LOAD_HTTP_RESPONSE_H
#define FL_LOAD_HTTP_RESPONSE_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum fl_http_progress {
    FL_HTTP_MORE, /* the response is not complete yet */
    FL_HTTP_DONE, /* complete */
    FL_HTTP_BAD,  /* not valid HTTP/1.x: the connection cannot be reused */
} fl_http_progress;

typedef struct fl_http_response {
    http_parser parser;
    bool head_request;
    bool complete;
    bool keep_alive; /* valid once complete */
    int status;      /* valid once the headers are in */
    uint64_t body_bytes;
} fl_http_response;

void fl_http_response_begin(fl_http_response *r, bool head_request);
/* Parses `len` bytes; *consumed says how many belong to this response (any
 * rest arrived after its end). */
fl_http_progress fl_http_response_feed(fl_http_response *r, const char *data, size_t len, size_t *consumed);
/* The server closed the connection: DONE if that ends the response (a body
 * delimited by the close), else BAD. */
fl_http_progress fl_http_response_eof(fl_http_response *r);

#endif
