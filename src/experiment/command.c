/* Running a program from an experiment (a load command, a probe, a rollback
 * action): fork and exec of an argv array, never a shell. The child gets
 * its own process group so that a timeout stops it and whatever it started,
 * by the pid started here. */
#include "core/internal.h"
#include "experiment/model/model.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_child(pid_t pid, int64_t deadline_us, bool *timed_out) {
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
        if (!*timed_out && fl_mono_us() >= deadline_us) {
            *timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        usleep(2000);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int exp_run_command(char *const *argv, int64_t timeout_us, char *out, size_t out_len, char *why, size_t why_len) {
    int outp[2] = {-1, -1}, errp[2];
    if (pipe2(errp, O_CLOEXEC) != 0 || (out && pipe2(outp, O_CLOEXEC) != 0)) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        return -1;
    }
    int64_t deadline = fl_mono_us() + timeout_us;
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        close(errp[0]);
        close(errp[1]);
        if (out) {
            close(outp[0]);
            close(outp[1]);
        }
        return -1;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            if (!out)
                dup2(devnull, 1);
        }
        if (out)
            dup2(outp[1], 1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        int e = errno;
        ssize_t w = write(errp[1], &e, sizeof(e));
        (void)w;
        _exit(127);
    }
    setpgid(pid, pid);
    close(errp[1]);
    size_t got = 0;
    if (out) {
        close(outp[1]);
        out[0] = 0;
        for (;;) {
            int64_t left = deadline - fl_mono_us();
            if (left <= 0)
                break;
            struct pollfd pfd = {.fd = outp[0], .events = POLLIN};
            int r = poll(&pfd, 1, (int)(left / 1000) + 1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            char chunk[1024];
            ssize_t n = read(outp[0], chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            size_t keep = got + 1 < out_len ? out_len - 1 - got : 0;
            if ((size_t)n < keep)
                keep = (size_t)n;
            memcpy(out + got, chunk, keep);
            got += keep;
            out[got] = 0;
        }
        close(outp[0]);
    }
    bool timed_out = false;
    int status = wait_child(pid, deadline, &timed_out);
    int exec_errno = 0;
    ssize_t n = read(errp[0], &exec_errno, sizeof(exec_errno));
    close(errp[0]);
    if (n == (ssize_t)sizeof(exec_errno)) {
        snprintf(why, why_len, "could not run %s: %s", argv[0], strerror(exec_errno));
        return -1;
    }
    if (timed_out) {
        snprintf(why, why_len, "%s did not finish within the timeout; killed", argv[0]);
        return 128 + SIGKILL;
    }
    if (status < 0)
        snprintf(why, why_len, "waitpid: %s", strerror(errno));
    else
        why[0] = 0;
    return status;
}
