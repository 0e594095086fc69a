/* netprobe: the measuring end of the network tests. Talks RESP to a real
 * redis-server (PING), counts UDP datagrams, measures TCP throughput, and
 * serves DNS, so that the scripts assert on numbers rather than on rules.
 *
 *   netprobe rtt HOST PORT COUNT                  median/min/max PING round trip (us)
 *   netprobe rtt-around HOST PORT COUNT FLAG      one connection: COUNT pings, wait for FLAG file, COUNT more
 *   netprobe udp HOST PORT COUNT                  send COUNT datagrams to a local receiver, print the share lost
 *   netprobe connect HOST PORT TIMEOUT_MS         print ok or the errno name of a TCP connect
 *   netprobe reset-open HOST PORT FLAG            open + PING, wait for FLAG, PING again: print the errno name
 *   netprobe recovers HOST PORT THRESH_US MAX_MS  new connections until a PING is faster than THRESH: print ms
 *   netprobe throughput HOST PORT SECONDS         bits/s received by a local sink over a TCP connection
 *   netprobe dns-server HOST PORT                 answer every A query with 10.9.8.7 (for getent)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int addr_of(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len) {
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *res;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static const char *errno_name(int e) {
    switch (e) {
    case 0: return "ok";
    case ECONNRESET: return "ECONNRESET";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EPIPE: return "EPIPE";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    default: return strerror(e);
    }
}

/* Connects with a timeout; returns the fd, or -1 with errno set. */
static int dial(const char *host, const char *port, int type, int timeout_ms) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (addr_of(host, port, &ss, &len) != 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(ss.ss_family, type | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        if (errno != EINPROGRESS) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, timeout_ms) <= 0) {
            close(fd);
            errno = ETIMEDOUT;
            return -1;
        }
        int e = 0;
        socklen_t el = sizeof(e);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
        if (e) {
            close(fd);
            errno = e;
            return -1;
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* One PING; returns the round trip in us, or -1 with errno set. */
static int64_t ping(int fd, int timeout_ms) {
    int64_t t0 = now_us();
    if (send(fd, "PING\r\n", 6, MSG_NOSIGNAL) != 6)
        return -1;
    char buf[64];
    size_t got = 0;
    while (got < 7) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (n < 0)
            return -1;
        got += (size_t)n;
    }
    return now_us() - t0;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int series(int fd, int count, const char *label) {
    int64_t *v = calloc((size_t)count, sizeof(*v));
    for (int i = 0; i < count; i++) {
        v[i] = ping(fd, 10000);
        if (v[i] < 0) {
            printf("%s_error=%s\n", label, errno_name(errno));
            return 1;
        }
    }
    qsort(v, (size_t)count, sizeof(*v), cmp64);
    printf("%s_median_us=%lld %s_min_us=%lld %s_max_us=%lld\n", label, (long long)v[count / 2], label, (long long)v[0],
           label, (long long)v[count - 1]);
    fflush(stdout);
    free(v);
    return 0;
}

static void wait_file(const char *path, int present) {
    struct stat st;
    while ((stat(path, &st) == 0) != present)
        usleep(2000);
}

static int cmd_udp(const char *host, const char *port, int count) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (addr_of(host, port, &ss, &len) != 0)
        return 2;
    int rx = socket(ss.ss_family, SOCK_DGRAM, 0), tx = socket(ss.ss_family, SOCK_DGRAM, 0);
    int big = 8 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    if (bind(rx, (struct sockaddr *)&ss, len) != 0) {
        perror("bind");
        return 2;
    }
    int received = 0;
    char buf[64] = "faultline";
    for (int i = 0; i < count; i++) {
        sendto(tx, buf, 32, 0, (struct sockaddr *)&ss, len);
        while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
            received++;
    }
    int64_t end = now_us() + 300000;
    while (now_us() < end) {
        struct pollfd p = {.fd = rx, .events = POLLIN};
        if (poll(&p, 1, 50) > 0 && recv(rx, buf, sizeof(buf), 0) > 0)
            received++;
    }
    printf("sent=%d received=%d lost_pct=%.2f\n", count, received, 100.0 * (count - received) / count);
    return 0;
}

static int cmd_throughput(const char *host, const char *port, int seconds) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (addr_of(host, port, &ss, &len) != 0)
        return 2;
    int ls = socket(ss.ss_family, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)&ss, len) != 0 || listen(ls, 1) != 0) {
        perror("listen");
        return 2;
    }
    int result[2];
    if (pipe(result) != 0)
        return 2;
    pid_t sink = fork();
    if (sink == 0) {
        int c = accept(ls, NULL, NULL);
        char buf[65536];
        int64_t start = now_us(), from = start + 1000000, until = start + (int64_t)seconds * 1000000;
        long long bytes = 0;
        for (;;) {
            ssize_t n = recv(c, buf, sizeof(buf), 0);
            int64_t t = now_us();
            if (n <= 0 || t >= until)
                break;
            if (t >= from)
                bytes += n;
        }
        double bps = (double)bytes * 8.0 / ((double)(until - from) / 1e6);
        if (write(result[1], &bps, sizeof(bps)) != sizeof(bps))
            _exit(1);
        _exit(0);
    }
    int fd = dial(host, port, SOCK_STREAM, 2000);
    if (fd < 0) {
        perror("connect");
        return 2;
    }
    char buf[16384];
    memset(buf, 'x', sizeof(buf));
    int64_t until = now_us() + (int64_t)seconds * 1000000 + 200000;
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (now_us() < until)
        if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            break;
    double bps = 0;
    if (read(result[0], &bps, sizeof(bps)) != sizeof(bps))
        return 2;
    close(fd);
    waitpid(sink, NULL, 0);
    printf("bits_per_s=%.0f\n", bps);
    return 0;
}

static int cmd_dns_server(const char *host, const char *port) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (addr_of(host, port, &ss, &len) != 0)
        return 2;
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        perror("bind");
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        unsigned char q[512], a[600];
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
        if (n < 17)
            continue;
        size_t pos = 12;
        while (pos < (size_t)n && q[pos])
            pos += q[pos] + 1u;
        pos += 5; /* zero label, type, class */
        if (pos > (size_t)n)
            continue;
        unsigned qtype = (unsigned)(q[pos - 4] << 8 | q[pos - 3]);
        memcpy(a, q, pos);
        a[2] = 0x81;
        a[3] = 0x80;
        memset(a + 6, 0, 6);
        size_t out = pos;
        if (qtype == 1) { /* A: one answer, pointing at the question's name */
            a[7] = 1;
            static const unsigned char rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 9, 8, 7};
            memcpy(a + out, rr, sizeof(rr));
            out += sizeof(rr);
        }
        sendto(fd, a, out, 0, (struct sockaddr *)&from, flen);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: see the comment at the top of netprobe.c\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *cmd = argv[1], *host = argv[2], *port = argv[3];
    if (strcmp(cmd, "rtt") == 0 && argc == 5) {
        int fd = dial(host, port, SOCK_STREAM, 5000);
        if (fd < 0) {
            printf("error=%s\n", errno_name(errno));
            return 1;
        }
        ping(fd, 5000); /* warm up */
        return series(fd, atoi(argv[4]), "rtt");
    }
    if (strcmp(cmd, "rtt-around") == 0 && argc == 6) {
        int fd = dial(host, port, SOCK_STREAM, 5000);
        if (fd < 0) {
            printf("error=%s\n", errno_name(errno));
            return 1;
        }
        ping(fd, 5000);
        if (series(fd, atoi(argv[4]), "before") != 0)
            return 1;
        wait_file(argv[5], 1);
        return series(fd, atoi(argv[4]), "during");
    }
    if (strcmp(cmd, "udp") == 0 && argc == 5)
        return cmd_udp(host, port, atoi(argv[4]));
    if (strcmp(cmd, "connect") == 0 && argc == 5) {
        int fd = dial(host, port, SOCK_STREAM, atoi(argv[4]));
        printf("%s\n", fd >= 0 ? "ok" : errno_name(errno));
        return 0;
    }
    if (strcmp(cmd, "reset-open") == 0 && argc == 5) {
        int fd = dial(host, port, SOCK_STREAM, 5000);
        if (fd < 0 || ping(fd, 5000) < 0) {
            printf("setup_error=%s\n", errno_name(errno));
            return 1;
        }
        printf("open\n");
        fflush(stdout);
        wait_file(argv[4], 1);
        int64_t r = ping(fd, 3000);
        printf("%s\n", r >= 0 ? "ok" : errno_name(errno));
        return 0;
    }
    if (strcmp(cmd, "recovers") == 0 && argc == 6) {
        int64_t thresh = atoll(argv[4]), start = now_us(), max = atoll(argv[5]) * 1000;
        while (now_us() - start < max) {
            int fd = dial(host, port, SOCK_STREAM, 50);
            if (fd < 0)
                continue;
            int64_t r = ping(fd, 100);
            close(fd);
            if (r >= 0 && r < thresh) {
                printf("recovered_ms=%.1f\n", (double)(now_us() - start) / 1000.0);
                return 0;
            }
        }
        printf("recovered_ms=never\n");
        return 1;
    }
    if (strcmp(cmd, "throughput") == 0 && argc == 5)
        return cmd_throughput(host, port, atoi(argv[4]));
    if (strcmp(cmd, "dns-server") == 0)
        return cmd_dns_server(host, port);
    fprintf(stderr, "netprobe: unknown command or arguments\n");
    return 2;
}
