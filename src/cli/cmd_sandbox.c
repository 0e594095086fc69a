/* faultline sandbox [--] <command>...: run a command in a private user,
 * network and mount namespace, as root inside, with loopback up and its own
 * faultline journal. Nothing done in there reaches the host's network. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *USAGE = "faultline sandbox [--] <command> [args...]";

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return rc;
}

/* Removes the sandbox's own state directory (files and one level of
 * subdirectories: faults/, corrupt/), never following a symlink. */
static void remove_tree(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    static const char *const subs[] = {"faults", "corrupt", "."};
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        int sub = openat(fd, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = sub >= 0 ? fdopendir(sub) : NULL;
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_type != DT_DIR)
                unlinkat(sub, e->d_name, 0);
        if (d)
            closedir(d);
        else if (sub >= 0)
            close(sub);
        if (strcmp(subs[i], ".") != 0)
            unlinkat(fd, subs[i], AT_REMOVEDIR);
    }
    close(fd);
    rmdir(dir);
}

/* Runs the command as a child, so that the private journal can be cleaned
 * up after it: faults it left are rolled back (nothing outside can reach
 * them once the sandbox is gone) and the directory removed. Returns the
 * command's exit status (128 + signal if a signal ended it). */
static int run_and_clean_up(char **command, const char *own_dir) {
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "faultline: sandbox: fork: %s\n", strerror(errno));
        return FL_EAPPLY;
    }
    if (child == 0) {
        execvp(command[0], command);
        fprintf(stderr, "faultline: sandbox: cannot run %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }
    /* Ctrl-C and friends reach the command (same process group); we wait. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (own_dir) {
        fl_error err;
        int n = fl_recover(FL_RECOVER_ALL, NULL, NULL, &err);
        if (n > 0)
            fprintf(stderr, "faultline: sandbox: rolled back %d fault(s) left in the sandbox\n", n);
        else if (n < 0)
            fprintf(stderr, "faultline: sandbox: %s (kept %s)\n", err.message, own_dir);
        if (n >= 0)
            remove_tree(own_dir);
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int cmd_sandbox(int argc, char **argv) {
    const cli_option none[] = {CLI_END};
    cli_parser p = {.command = "sandbox",
                    .usage = USAGE,
                    .intro = "Runs the command as root in a new user, network and mount namespace: only a\n"
                             "loopback interface, which is up, and FAULTLINE_STATE_DIR set to a private directory\n"
                             "unless already set. Needs unprivileged user namespaces (or root). Network faults,\n"
                             "servers and load inside cannot touch the host's own network.",
                    .outro =
                        "example: faultline sandbox -- sh -c 'redis-server --daemonize yes && faultline attack ...'",
                    .tables = CLI_TABLES(none),
                    .flags = CLI_STOP_AT_ARG};
    int rc = cli_parse(&p, argc, argv);
    if (rc != CLI_CONTINUE)
        return rc;
    if (p.n_args == 0)
        return cli_usage_error(USAGE, "which command?");
    char **command = p.args;
    command[p.n_args] = NULL; /* argv[argc] was NULL; the arguments moved down */
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS) != 0) {
        fprintf(stderr, "faultline: sandbox: cannot create namespaces: %s (are user namespaces enabled?)\n",
                strerror(errno));
        return FL_EAPPLY;
    }
    char map[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof(map), "0 %d 1\n", (int)uid);
    if (write_file("/proc/self/uid_map", map) != 0) {
        fprintf(stderr, "faultline: sandbox: cannot map uid: %s\n", strerror(errno));
        return FL_EAPPLY;
    }
    snprintf(map, sizeof(map), "0 %d 1\n", (int)gid);
    write_file("/proc/self/gid_map", map);
    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    if (loopback_up() != 0) {
        fprintf(stderr, "faultline: sandbox: cannot bring loopback up: %s\n", strerror(errno));
        return FL_EAPPLY;
    }
    char own_dir[] = "/tmp/faultline-sandbox-XXXXXX";
    bool own = !getenv("FAULTLINE_STATE_DIR");
    if (own) {
        if (!mkdtemp(own_dir)) {
            fprintf(stderr, "faultline: sandbox: mkdtemp: %s\n", strerror(errno));
            return FL_EAPPLY;
        }
        setenv("FAULTLINE_STATE_DIR", own_dir, 1);
    }
    return run_and_clean_up(command, own ? own_dir : NULL);
}
