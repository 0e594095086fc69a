/* The fan-out: one ssh process per host (argv arrays, no shell), at most
 * max_concurrency at a time, stdout/stderr collected, stdin kept open as the
 * lease heartbeat when asked. */
#include "core/buffer.h"
#include "core/internal.h"
#include "fleet/fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct slot {
    pid_t pid;
    int in, out, err;                   /* -1 when closed */
    fl_buffer stdout_text, stderr_text; /* the first MAX_STREAM_BYTES of each */
    size_t line_from;                   /* stdout: where the next unreported line starts */
    bool exited, finished;
    int status;
    int64_t exited_us;
} slot;

#define MAX_STREAM_BYTES (1u << 20) /* what is kept of a session's stdout and of its stderr */

static char *line_at(const char *buf, bool last) {
    if (!buf)
        return NULL;
    const char *start = NULL, *p = buf;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len && p[0] == '{') {
            if (!last)
                return fl_xstrndup(p, len);
            start = p;
        }
        p += len + (nl ? 1 : 0);
    }
    if (!start)
        return NULL;
    const char *nl = strchr(start, '\n');
    return fl_xstrndup(start, nl ? (size_t)(nl - start) : strlen(start));
}

static int spawn(char **argv, slot *s, bool want_stdin) {
    /* ssh's stdin is a socket, not a pipe: heartbeats go with MSG_NOSIGNAL,
     * so a host whose ssh has exited costs an EPIPE, never a SIGPIPE (the
     * library leaves the process's signal dispositions alone). */
    int in[2], out[2], er[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        return -1;
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]), close(in[1]);
        return -1;
    }
    if (pipe2(er, O_CLOEXEC) != 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(er[0]), close(er[1]);
        return -1;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        /* If the controller dies (even kill -9), its ssh clients go with it:
         * each closes its session, so the host sees EOF and rolls back now,
         * and a client still connecting never starts a fault late. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(255);
        /* Our own process group: a Ctrl-C at the terminal reaches the
         * controller, which ends the remote faults in order. */
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(er[1], 2);
        execvp("ssh", argv);
        dprintf(2, "cannot run ssh: %s\n", strerror(errno));
        _exit(255);
    }
    close(in[0]);
    close(out[1]);
    close(er[1]);
    s->pid = pid;
    s->in = in[1];
    if (!want_stdin) {
        close(s->in);
        s->in = -1;
    }
    s->out = out[0];
    s->err = er[0];
    fcntl(s->out, F_SETFL, O_NONBLOCK);
    fcntl(s->err, F_SETFL, O_NONBLOCK);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    return 0;
}

static void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static char *trim(char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int fl_fanout(const fl_host *const *hosts, size_t n, fl_remote_builder build, void *build_user, const fl_fanout_opts *o,
              fl_fleet_result *res, fl_error *err) {
    char dir[512];
    if (fl_ssh_control_dir(dir, sizeof(dir), err) != 0)
        return -1;
    slot *slots = fl_xcalloc(n ? n : 1, sizeof(*slots));
    for (size_t i = 0; i < n; i++) {
        res[i] = (fl_fleet_result){.host = hosts[i], .state = FL_HOST_PENDING, .exit_code = -1};
        slots[i] = (slot){.pid = -1, .in = -1, .out = -1, .err = -1};
        fl_buffer_init(&slots[i].stdout_text, MAX_STREAM_BYTES, true);
        fl_buffer_init(&slots[i].stderr_text, MAX_STREAM_BYTES, true);
    }
    size_t next = 0, running = 0, errors = 0, done = 0;
    size_t maxc = o->max_concurrency ? o->max_concurrency : n;
    bool stop_launching = false, stopping = false;
    int64_t stop_at = 0, last_beat = fl_mono_us();
    while (done < n) {
        if (o->stop && *o->stop && !stopping) {
            stopping = true;
            stop_launching = true;
            stop_at = fl_mono_us();
            for (size_t i = 0; i < n; i++)
                close_fd(&slots[i].in); /* EOF: the remote faultline rolls back now */
        }
        /* Launch. */
        while (!stop_launching && next < n && running < maxc) {
            size_t i = next++;
            char *remote = build(hosts[i], build_user);
            char **argv = remote ? fl_ssh_argv(hosts[i], dir, remote) : NULL;
            res[i].start_us = fl_mono_us();
            if (!argv || spawn(argv, &slots[i], o->hold_stdin || o->heartbeat_us) != 0) {
                res[i].state = FL_HOST_FAILED;
                res[i].err_text = fl_xstrdup(remote ? "cannot start ssh" : "cannot build the remote command");
                res[i].end_us = res[i].start_us;
                errors++;
                done++;
            } else {
                res[i].state = FL_HOST_RUNNING;
                running++;
                if (o->on_event)
                    o->on_event(o->user, &res[i], "started");
            }
            fl_argv_free(argv);
            free(remote);
            if (errors > o->max_errors)
                stop_launching = true;
        }
        if (stop_launching && next < n) { /* the rest are skipped */
            for (; next < n; next++) {
                res[next].state = FL_HOST_SKIPPED;
                done++;
            }
            continue;
        }
        if (done >= n)
            break;
        /* Wait for output, exits, or the next heartbeat. */
        struct pollfd *pf = fl_xcalloc(2 * n, sizeof(*pf));
        size_t *who = fl_xcalloc(2 * n, sizeof(*who));
        nfds_t np = 0;
        for (size_t i = 0; i < n; i++) {
            if (slots[i].out >= 0)
                pf[np] = (struct pollfd){.fd = slots[i].out, .events = POLLIN}, who[np++] = i;
            if (slots[i].err >= 0)
                pf[np] = (struct pollfd){.fd = slots[i].err, .events = POLLIN}, who[np++] = i;
        }
        int timeout = 200;
        poll(pf, np, timeout);
        for (nfds_t k = 0; k < np; k++) {
            if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            slot *s = &slots[who[k]];
            bool is_out = pf[k].fd == s->out;
            char buf[4096];
            ssize_t got = read(pf[k].fd, buf, sizeof(buf));
            if (got > 0) {
                if (is_out) {
                    fl_buffer *text = &s->stdout_text;
                    fl_buffer_append(text, buf, (size_t)got);
                    fl_fleet_result *r = &res[who[k]];
                    char *nl;
                    while (o->on_line && s->line_from < text->len &&
                           (nl = memchr(text->data + s->line_from, '\n', text->len - s->line_from))) {
                        *nl = '\0'; /* restored below: the buffer keeps every line */
                        o->on_line(o->user, r, text->data + s->line_from);
                        *nl = '\n';
                        s->line_from = (size_t)(nl - text->data) + 1;
                    }
                    if (!r->first && text->len && memchr(text->data, '\n', text->len)) {
                        r->first = line_at(text->data, false);
                        if (r->first) {
                            r->applied_us = fl_mono_us();
                            if (o->on_event)
                                o->on_event(o->user, r, "first");
                        }
                    }
                } else {
                    fl_buffer_append(&s->stderr_text, buf, (size_t)got);
                }
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                if (is_out)
                    close_fd(&s->out);
                else
                    close_fd(&s->err);
            }
        }
        free(pf);
        free(who);
        /* Heartbeats. */
        int64_t now = fl_mono_us();
        if (o->heartbeat_us && !stopping && now - last_beat >= o->heartbeat_us) {
            last_beat = now;
            for (size_t i = 0; i < n; i++)
                if (slots[i].in >= 0 && send(slots[i].in, "\n", 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
                    close_fd(&slots[i].in);
        }
        /* Exits. */
        for (size_t i = 0; i < n; i++) {
            slot *s = &slots[i];
            if (s->pid <= 0 || s->finished)
                continue;
            int st = s->status;
            if (!s->exited && waitpid(s->pid, &st, WNOHANG) == s->pid) {
                s->exited = true;
                s->status = st;
                s->exited_us = fl_mono_us();
            }
            /* Output pipes may be held by a ControlPersist master that ssh
             * forked: stop reading shortly after the child is gone. */
            if (s->exited && fl_mono_us() - s->exited_us > 300000) {
                close_fd(&s->out);
                close_fd(&s->err);
            }
            if (s->exited && s->out < 0 && s->err < 0) {
                fl_fleet_result *r = &res[i];
                s->finished = true;
                close_fd(&s->in);
                r->end_us = fl_mono_us();
                r->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                r->out = s->stdout_text.data ? fl_buffer_take(&s->stdout_text) : fl_xstrdup("");
                r->err_text = trim(fl_buffer_take(&s->stderr_text));
                if (!r->first)
                    r->first = line_at(r->out, false);
                r->last = line_at(r->out, true);
                /* An attack ended by the controller's stop exits 3: not a host error. */
                bool ok = r->exit_code == 0 || (stopping && r->exit_code == FL_EABORTED && r->first);
                r->state = ok ? FL_HOST_DONE : FL_HOST_FAILED;
                if (!ok)
                    errors++;
                running--;
                done++;
                if (o->on_event)
                    o->on_event(o->user, r, ok ? "done" : "failed");
                if (errors > o->max_errors)
                    stop_launching = true;
            }
        }
        if (stopping && o->kill_after_us && fl_mono_us() - stop_at > o->kill_after_us) {
            for (size_t i = 0; i < n; i++)
                if (slots[i].pid > 0 && !slots[i].exited && !slots[i].finished)
                    kill(slots[i].pid, SIGTERM); /* only the ssh processes we started */
        }
    }
    for (size_t i = 0; i < n; i++) {
        close_fd(&slots[i].in);
        close_fd(&slots[i].out);
        close_fd(&slots[i].err);
        fl_buffer_free(&slots[i].stdout_text);
        fl_buffer_free(&slots[i].stderr_text);
    }
    free(slots);
    return (int)errors;
}

void fl_fleet_results_free(fl_fleet_result *r, size_t n) {
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].first);
        free(r[i].last);
        free(r[i].out);
        free(r[i].err_text);
    }
}
