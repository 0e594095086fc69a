/* HTTP/1.1 keep-alive connections driven by one epoll loop: each connection
 * carries at most one request at a time (no pipelining), reconnects when the
 * server closes it, and enforces a per-request timeout. The caller decides
 * when requests go out (the pacer); this file only moves bytes and says how
 * each request ended. Private to libfaultline. */
#ifndef FL_LOAD_HTTP_CLIENT_H
#define FL_LOAD_HTTP_CLIENT_H

#include "faultline/load.h"
#include "load/http_response.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

typedef enum fl_conn_state {
    FL_CONN_CLOSED,     /* no socket; connects on its next request */
    FL_CONN_CONNECTING, /* with a request waiting to be written */
    FL_CONN_IDLE,       /* connected, free */
    FL_CONN_BUSY,       /* writing the request or reading the response */
} fl_conn_state;

typedef struct fl_conn {
    int fd;
    fl_conn_state state;
    uint32_t generation; /* tells events of an old socket from the current one */
    bool writing;        /* part of the request is still unwritten */
    bool watching_out;   /* EPOLLOUT is in the interest set */
    size_t written;
    int64_t intended_ns, sent_ns, deadline_ns;
    fl_http_response response;
} fl_conn;

/* How a request ended: an HTTP status (100..599), or a negative
 * -(1 + fl_load_error_class). */
typedef void (*fl_client_done_cb)(void *user, int64_t intended_ns, int64_t sent_ns, int64_t now_ns, int outcome);

typedef struct fl_client {
    int epfd;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    const char *request;
    size_t request_len;
    bool head_request;
    int64_t timeout_ns;
    fl_conn *conns;
    uint32_t n_conns;
    uint32_t *free_conns; /* stack of connections without a request; idle ones on top */
    uint32_t n_free;
    uint32_t in_flight;
    int64_t earliest_deadline_ns; /* no request times out before this */
    fl_client_done_cb done;
    void *user;
    uint64_t bytes_sent, bytes_received, connects;
    char buf[65536];
} fl_client;

#define FL_CLIENT_OUTCOME(cls) (-(1 + (int)(cls)))

void fl_client_init(fl_client *c, int epfd, const struct sockaddr *addr, socklen_t addr_len, const char *request,
                    size_t request_len, bool head_request, int64_t timeout_ns, uint32_t n_conns, fl_client_done_cb done,
                    void *user);
void fl_client_destroy(fl_client *c);
static inline bool fl_client_has_free(const fl_client *c) { return c->n_free > 0; }
/* Hands a request to a free connection (connecting it first if needed).
 * The request may finish at once (a refused connect): `done` is called
 * before this returns then. */
void fl_client_send(fl_client *c, int64_t intended_ns, int64_t now_ns);
/* Handles one epoll event whose data.u64 came from this client. */
void fl_client_handle(fl_client *c, uint64_t data, uint32_t events, int64_t now_ns);
/* Ends every request whose deadline has passed. */
void fl_client_expire(fl_client *c, int64_t now_ns);
/* Closes every connection; requests in flight are dropped without `done`. */
void fl_client_close_all(fl_client *c);

#endif
