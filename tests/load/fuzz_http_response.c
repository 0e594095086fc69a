/* libFuzzer target for the response parsing path: arbitrary bytes from a
 * "server", cut into arbitrary pieces, optionally followed by a close, for a
 * GET or a HEAD request. The parser must never crash, read out of bounds,
 * or claim more bytes than it was given; a completed response must have a
 * status. Built with -DFAULTLINE_FUZZ=ON and clang; run by run-fuzz.sh. */
#include "load/http_response.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    /* The first byte chooses the request kind, the piece size and whether
     * the server closes the connection at the end. */
    uint8_t control = data[0];
    bool head = control & 1;
    bool close_at_end = control & 2;
    size_t piece = (size_t)(control >> 2) + 1;
    data++;
    size--;

    fl_http_response r;
    fl_http_response_begin(&r, head);
    size_t offset = 0;
    fl_http_progress p = FL_HTTP_MORE;
    while (offset < size && p == FL_HTTP_MORE) {
        size_t len = size - offset < piece ? size - offset : piece;
        size_t used = 0;
        p = fl_http_response_feed(&r, (const char *)data + offset, len, &used);
        if (used > len)
            abort();
        offset += len;
    }
    if (p == FL_HTTP_MORE && close_at_end)
        p = fl_http_response_eof(&r);
    if (p == FL_HTTP_DONE && (r.status < 100 || r.status > 999))
        abort();
    return 0;
}
