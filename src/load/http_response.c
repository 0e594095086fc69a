/* Response parsing on top of http-parser. The parser is paused at the end of
 * each final response so that its caller learns where the response ended and
 * the parser state is kept for no other message. */
#include "load/http_response.h"

#include <string.h>

static int on_headers_complete(http_parser *p) {
    fl_http_response *r = p->data;
    r->status = (int)p->status_code;
    /* http-parser takes "HTTP/1.1 2" as status 2; a status has 3 digits. */
    if (p->status_code < 100)
        return -1;
    /* 1 tells http-parser that this response has no body (HEAD). */
    return r->head_request && (p->status_code < 100 || p->status_code >= 200) ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
    (void)at;
    fl_http_response *r = p->data;
    r->body_bytes += len;
    return 0;
}

static int on_message_complete(http_parser *p) {
    fl_http_response *r = p->data;
    /* An interim response (100 Continue, 103 Early Hints): the final one
     * follows on the same connection. */
    if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101)
        return 0;
    r->complete = true;
    r->status = (int)p->status_code;
    r->keep_alive = http_should_keep_alive(p) && p->status_code != 101;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void fl_http_response_begin(fl_http_response *r, bool head_request) {
    memset(r, 0, sizeof(*r));
    http_parser_init(&r->parser, HTTP_RESPONSE);
    r->parser.data = r;
    r->head_request = head_request;
}

fl_http_progress fl_http_response_feed(fl_http_response *r, const char *data, size_t len, size_t *consumed) {
    *consumed = 0;
    if (r->complete)
        return FL_HTTP_DONE;
    if (len == 0)
        return FL_HTTP_MORE;
    size_t n = http_parser_execute(&r->parser, &settings, data, len);
    *consumed = n;
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
    if (r->complete)
        return FL_HTTP_DONE;
    if (e != HPE_OK)
        return FL_HTTP_BAD;
    return FL_HTTP_MORE;
}

fl_http_progress fl_http_response_eof(fl_http_response *r) {
    if (r->complete)
        return FL_HTTP_DONE;
    if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK)
        return FL_HTTP_BAD;
    http_parser_execute(&r->parser, &settings, NULL, 0);
    if (r->complete) {
        r->keep_alive = false;
        return FL_HTTP_DONE;
    }
    return FL_HTTP_BAD;
}
