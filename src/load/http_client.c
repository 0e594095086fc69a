/* HTTP/1.1 keep-alive connections over epoll. */
#include "load/http_client.h"
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t event_data(const fl_client *c, uint32_t index) {
    return (uint64_t)c->conns[index].generation << 32 | index;
}

static void watch(fl_client *c, uint32_t index, bool want_out) {
    fl_conn *conn = &c->conns[index];
    if (conn->watching_out == want_out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0u),
                             .data.u64 = event_data(c, index)};
    epoll_ctl(c->epfd, EPOLL_CTL_MOD, conn->fd, &ev);
    conn->watching_out = want_out;
}

static void close_conn(fl_client *c, uint32_t index) {
    fl_conn *conn = &c->conns[index];
    if (conn->fd >= 0) {
        epoll_ctl(c->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
        close(conn->fd);
    }
    conn->fd = -1;
    conn->state = FL_CONN_CLOSED;
    conn->generation++;
    conn->writing = false;
    conn->watching_out = false;
}

/* Idle (connected) connections go on top of the stack so that they are
 * reused before closed ones are reconnected. */
static void push_free(fl_client *c, uint32_t index) {
    if (c->conns[index].state == FL_CONN_IDLE || c->n_free == 0) {
        c->free_conns[c->n_free++] = index;
        return;
    }
    c->free_conns[c->n_free++] = c->free_conns[0];
    c->free_conns[0] = index;
}

/* Ends the connection's request, closes the connection unless it may be
 * reused, frees it, and reports the outcome. */
static void finish(fl_client *c, uint32_t index, int64_t now_ns, int outcome, bool keep) {
    fl_conn *conn = &c->conns[index];
    int64_t intended = conn->intended_ns, sent = conn->sent_ns;
    if (keep) {
        conn->state = FL_CONN_IDLE;
        conn->writing = false;
        watch(c, index, false);
    } else {
        close_conn(c, index);
    }
    c->in_flight--;
    push_free(c, index);
    c->done(c->user, intended, sent, now_ns, outcome);
}

static int error_class_of_errno(int e) {
    switch (e) {
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED: return FL_LOAD_ERR_RESET;
    case ETIMEDOUT: return FL_LOAD_ERR_TIMEOUT;
    default: return FL_LOAD_ERR_RESET;
    }
}

void fl_client_init(fl_client *c, int epfd, const struct sockaddr *addr, socklen_t addr_len, const char *request,
                    size_t request_len, bool head_request, int64_t timeout_ns, uint32_t n_conns, fl_client_done_cb done,
                    void *user) {
    memset(c, 0, sizeof(*c));
    c->epfd = epfd;
    memcpy(&c->addr, addr, addr_len);
    c->addr_len = addr_len;
    c->request = request;
    c->request_len = request_len;
    c->head_request = head_request;
    c->timeout_ns = timeout_ns;
    c->done = done;
    c->user = user;
    c->conns = fl_xcalloc(n_conns, sizeof(*c->conns));
    c->free_conns = fl_xcalloc(n_conns, sizeof(*c->free_conns));
    c->n_conns = n_conns;
    for (uint32_t i = 0; i < n_conns; i++) {
        c->conns[i].fd = -1;
        c->free_conns[c->n_free++] = n_conns - 1 - i;
    }
    c->earliest_deadline_ns = INT64_MAX;
}

void fl_client_destroy(fl_client *c) {
    if (c->conns)
        fl_client_close_all(c);
    free(c->conns);
    free(c->free_conns);
    c->conns = NULL;
    c->free_conns = NULL;
}

void fl_client_close_all(fl_client *c) {
    for (uint32_t i = 0; i < c->n_conns; i++)
        close_conn(c, i);
}

/* Writes as much of the request as the socket takes. Returns 0, or an
 * errno on failure. */
static int write_request(fl_client *c, uint32_t index) {
    fl_conn *conn = &c->conns[index];
    while (conn->written < c->request_len) {
        ssize_t n = send(conn->fd, c->request + conn->written, c->request_len - conn->written, MSG_NOSIGNAL);
        if (n > 0) {
            conn->written += (size_t)n;
            c->bytes_sent += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(c, index, true);
            return 0;
        }
        return n < 0 ? errno : EPIPE;
    }
    conn->writing = false;
    watch(c, index, false);
    return 0;
}

static void start_writing(fl_client *c, uint32_t index, int64_t now_ns) {
    fl_conn *conn = &c->conns[index];
    conn->state = FL_CONN_BUSY;
    conn->writing = true;
    conn->written = 0;
    fl_http_response_begin(&conn->response, c->head_request);
    int e = write_request(c, index);
    if (e)
        finish(c, index, now_ns, FL_CLIENT_OUTCOME(error_class_of_errno(e)), false);
}

/* Opens a non-blocking socket and starts connecting. Returns 0 (connected
 * or in progress) or an errno. */
static int open_conn(fl_client *c, uint32_t index) {
    fl_conn *conn = &c->conns[index];
    int fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return errno;
    int one = 1;
    /* Requests are small and written whole: Nagle would only add delay. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn->fd = fd;
    conn->generation++;
    c->connects++;
    int rc = connect(fd, (const struct sockaddr *)&c->addr, c->addr_len);
    bool in_progress = rc != 0 && errno == EINPROGRESS;
    if (rc != 0 && !in_progress) {
        int e = errno;
        close(fd);
        conn->fd = -1;
        return e;
    }
    conn->state = in_progress ? FL_CONN_CONNECTING : FL_CONN_BUSY;
    conn->watching_out = in_progress;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (in_progress ? EPOLLOUT : 0u),
                             .data.u64 = event_data(c, index)};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int e = errno;
        close(fd);
        conn->fd = -1;
        conn->state = FL_CONN_CLOSED;
        return e;
    }
    return 0;
}

void fl_client_send(fl_client *c, int64_t intended_ns, int64_t now_ns) {
    uint32_t index = c->free_conns[--c->n_free];
    fl_conn *conn = &c->conns[index];
    conn->intended_ns = intended_ns;
    conn->sent_ns = now_ns;
    conn->deadline_ns = now_ns + c->timeout_ns;
    if (conn->deadline_ns < c->earliest_deadline_ns)
        c->earliest_deadline_ns = conn->deadline_ns;
    c->in_flight++;
    if (conn->state == FL_CONN_IDLE) {
        start_writing(c, index, now_ns);
        return;
    }
    int e = open_conn(c, index);
    if (e) {
        conn->state = FL_CONN_BUSY;
        finish(c, index, now_ns, FL_CLIENT_OUTCOME(FL_LOAD_ERR_CONNECT), false);
        return;
    }
    if (conn->state == FL_CONN_BUSY)
        start_writing(c, index, now_ns);
    else
        conn->state = FL_CONN_CONNECTING;
}

static void on_connected(fl_client *c, uint32_t index, int64_t now_ns) {
    fl_conn *conn = &c->conns[index];
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
        so_error = errno;
    if (so_error) {
        finish(c, index, now_ns, FL_CLIENT_OUTCOME(FL_LOAD_ERR_CONNECT), false);
        return;
    }
    start_writing(c, index, now_ns);
}

/* Reads what the server sent. On a busy connection it feeds the response
 * parser; on an idle one, data or a close ends the connection quietly (the
 * server may close idle keep-alive connections whenever it likes). */
static void on_readable(fl_client *c, uint32_t index, int64_t now_ns) {
    fl_conn *conn = &c->conns[index];
    for (;;) {
        ssize_t n = recv(conn->fd, c->buf, sizeof(c->buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (conn->state != FL_CONN_BUSY) {
            /* Idle: a close, a reset, or bytes nobody asked for. */
            close_conn(c, index);
            return;
        }
        if (n < 0) {
            finish(c, index, now_ns, FL_CLIENT_OUTCOME(error_class_of_errno(errno)), false);
            return;
        }
        if (n == 0) {
            if (fl_http_response_eof(&conn->response) == FL_HTTP_DONE)
                finish(c, index, now_ns, conn->response.status, false);
            else
                finish(c, index, now_ns, FL_CLIENT_OUTCOME(FL_LOAD_ERR_RESET), false);
            return;
        }
        c->bytes_received += (uint64_t)n;
        size_t used;
        fl_http_progress p = fl_http_response_feed(&conn->response, c->buf, (size_t)n, &used);
        if (p == FL_HTTP_BAD) {
            finish(c, index, now_ns, FL_CLIENT_OUTCOME(FL_LOAD_ERR_PROTOCOL), false);
            return;
        }
        if (p == FL_HTTP_DONE) {
            /* Bytes after the response, or a request still being written
             * (the server answered early): the connection is not reusable. */
            bool keep = conn->response.keep_alive && used == (size_t)n && !conn->writing;
            finish(c, index, now_ns, conn->response.status, keep);
            return;
        }
    }
}

void fl_client_handle(fl_client *c, uint64_t data, uint32_t events, int64_t now_ns) {
    uint32_t index = (uint32_t)data;
    if (index >= c->n_conns)
        return;
    fl_conn *conn = &c->conns[index];
    if (conn->fd < 0 || conn->generation != (uint32_t)(data >> 32))
        return; /* an event of a socket closed earlier in this batch */
    if (conn->state == FL_CONN_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            on_connected(c, index, now_ns);
        return;
    }
    if (conn->state == FL_CONN_BUSY && conn->writing && (events & (EPOLLOUT | EPOLLERR))) {
        int e = write_request(c, index);
        if (e) {
            finish(c, index, now_ns, FL_CLIENT_OUTCOME(error_class_of_errno(e)), false);
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        on_readable(c, index, now_ns);
}

void fl_client_expire(fl_client *c, int64_t now_ns) {
    if (now_ns < c->earliest_deadline_ns)
        return;
    int64_t earliest = INT64_MAX;
    for (uint32_t i = 0; i < c->n_conns; i++) {
        fl_conn *conn = &c->conns[i];
        if (conn->state != FL_CONN_BUSY && conn->state != FL_CONN_CONNECTING)
            continue;
        if (conn->deadline_ns <= now_ns) {
            fl_load_error_class cls = conn->state == FL_CONN_CONNECTING ? FL_LOAD_ERR_CONNECT : FL_LOAD_ERR_TIMEOUT;
            finish(c, i, now_ns, FL_CLIENT_OUTCOME(cls), false);
        } else if (conn->deadline_ns < earliest) {
            earliest = conn->deadline_ns;
        }
    }
    c->earliest_deadline_ns = earliest;
}
