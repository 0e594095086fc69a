/* netprobe: the measuring end of the network tests. Talks RESP to a real
 * redis-server (PING), counts UDP datagrams, measures TCP throughput, and
 * serves DNS, so that the scripts assert on numbers rather than on rules.
 *
 *   netprobe rtt HOST PORT COUNT                  median/min/max PING round trip (us)
 *   netprobe rtt-around HOST PORT COUNT FLAG      one connection: COUNT pings, wait for FLAG file, COUNT more
 *   netprobe udp HOST PORT COUNT                  send COUNT datagrams to a local receiver: failed sends, and the
 *                                                 shares lost, duplicated, reordered, altered; mean run of losses
 *   netprobe udp-rate HOST PORT SECONDS           one socket sending as fast as it can: sendto() per second
 *   netprobe udp-paced HOST PORT RATE SECONDS EXPECT_US TOL_PCT
 *                                                 paced sender; each datagram's one-way delay, how many off
 *   netprobe tcp-window HOST PORT SECONDS FROM_S RCVBUF
 *                                                 bulk transfer: bytes in flight vs what the window allows
 *   netprobe rate HOST PORT SECONDS up|down WARM_S  TCP transfer to/from a server: goodput and IP rate
 *   netprobe connect HOST PORT TIMEOUT_MS         print ok or the errno name of a TCP connect
 *   netprobe reset-open HOST PORT FLAG            open + PING, wait for FLAG, PING again: print the errno name
 *   netprobe recovers HOST PORT THRESH_US MAX_MS  new connections until a PING is faster than THRESH: print ms
 *   netprobe throughput HOST PORT SECONDS         bits/s received by a local sink over a TCP connection
 *   netprobe dns-server HOST PORT                 answer every A query with 10.9.8.7 (for getent), UDP and TCP
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setns */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_snd_wnd */
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

static int socket_in(const char *env, int family, int type);

/* Datagrams carry their sequence number and a pattern derived from it, so
 * that the receiver tells lost, duplicated, reordered and altered ones. */
#define DGRAM 32
static void fill_dgram(unsigned char *b, uint64_t seq) {
    memcpy(b, &seq, 8);
    for (int i = 8; i < DGRAM; i++)
        b[i] = (unsigned char)(seq * 31 + (uint64_t)i);
}

static int cmd_udp(const char *host, const char *port, int count) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (addr_of(host, port, &ss, &len) != 0)
        return 2;
    int rx = socket_in("NETPROBE_RX_NS", ss.ss_family, SOCK_DGRAM),
        tx = socket_in("NETPROBE_TX_NS", ss.ss_family, SOCK_DGRAM);
    int big = 8 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    if (bind(rx, (struct sockaddr *)&ss, len) != 0) {
        perror("bind");
        return 2;
    }
    unsigned char *seen = calloc((size_t)count, 1);
    long received = 0, dups = 0, reordered = 0, altered = 0, failed = 0;
    int64_t max_seq = -1;
    unsigned char buf[256];
    for (int i = 0, pending = 1; pending;) {
        if (i < count) {
            fill_dgram(buf, (uint64_t)i);
            if (sendto(tx, buf, DGRAM, 0, (struct sockaddr *)&ss, len) != DGRAM)
                failed++;
            i++;
        }
        int wait = i < count ? 0 : 300;
        struct pollfd p = {.fd = rx, .events = POLLIN};
        while (poll(&p, 1, wait) > 0) {
            ssize_t n = recv(rx, buf, sizeof(buf), MSG_DONTWAIT);
            if (n <= 0)
                break;
            uint64_t seq;
            memcpy(&seq, buf, 8);
            unsigned char want[DGRAM];
            fill_dgram(want, seq);
            if (n != DGRAM || seq >= (uint64_t)count || memcmp(buf, want, DGRAM) != 0) {
                altered++;
                continue;
            }
            if (seen[seq]++) {
                dups++;
                continue;
            }
            received++;
            if ((int64_t)seq < max_seq)
                reordered++;
            else
                max_seq = (int64_t)seq;
        }
        pending = i < count;
    }
    /* Runs of consecutive losses. */
    long runs = 0, lost = 0;
    for (int i = 0; i < count; i++)
        if (!seen[i]) {
            lost++;
            if (i == 0 || seen[i - 1])
                runs++;
        }
    printf("sent=%d send_failed=%ld received=%ld lost_pct=%.2f dup_pct=%.2f reordered_pct=%.2f altered_pct=%.2f "
           "mean_loss_run=%.2f\n",
           count, failed, received, 100.0 * (double)lost / count, 100.0 * (double)dups / count,
           100.0 * (double)reordered / count, 100.0 * (double)altered / count,
           runs ? (double)lost / (double)runs : 0.0);
    free(seen);
    return 0;
}

/* One socket sending as fast as it can for SECONDS to a receiver that
 * never reads (its drops are silent): successful sendto() per second. */
static int cmd_udp_rate(const char *host, const char *port, double seconds) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (addr_of(host, port, &ss, &len) != 0)
        return 2;
    int rx = socket(ss.ss_family, SOCK_DGRAM, 0), tx = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (bind(rx, (struct sockaddr *)&ss, len) != 0) {
        perror("bind");
        return 2;
    }
    unsigned char buf[DGRAM] = {0};
    long sent = 0, failed = 0, full = 0;
    int64_t start = now_us(), end = start + (int64_t)(seconds * 1e6), t = start;
    while (t < end) {
        for (int k = 0; k < 64; k++) {
            /* Non-blocking: a full send buffer shows as EAGAIN (retried),
             * counted apart from real failures. */
            if (sendto(tx, buf, DGRAM, MSG_DONTWAIT, (struct sockaddr *)&ss, len) == DGRAM)
                sent++;
            else if (errno == EAGAIN || errno == EWOULDBLOCK)
                full++;
            else
                failed++;
        }
        t = now_us();
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu =
        (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    printf("sent=%ld send_failed=%ld buffer_full=%ld send_rate=%.0f cpu=%.2f slept=%ld preempted=%ld\n", sent, failed,
           full, (double)sent / ((double)(t - start) / 1e6), cpu / ((double)(t - start) / 1e6), ru.ru_nvcsw,
           ru.ru_nivcsw);
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A sender pacing RATE datagrams/s for SECONDS (each carrying its send
 * time); the receiver measures each one's one-way delay. Prints the rate
 * achieved, failed sends, how many arrived, the delay's min/median/max,
 * and how many arrived outside EXPECT_US +- TOL_PCT%. */
static int cmd_udp_paced(const char *host, const char *port, double rate, double seconds, double expect_us,
                         double tol_pct) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (addr_of(host, port, &ss, &len) != 0)
        return 2;
    int rx = socket(ss.ss_family, SOCK_DGRAM, 0), big = 64 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    if (bind(rx, (struct sockaddr *)&ss, len) != 0) {
        perror("bind");
        return 2;
    }
    int result[2];
    if (pipe(result) != 0)
        return 2;
    pid_t sender = fork();
    if (sender == 0) {
        int tx = socket(ss.ss_family, SOCK_DGRAM, 0);
        long total = (long)(rate * seconds), sent = 0, failed = 0;
        int64_t start = now_us();
        for (long i = 0; i < total; i++) {
            int64_t due = start + (int64_t)((double)i * 1e6 / rate);
            while (now_us() < due) {
            }
            int64_t t = now_us();
            if (sendto(tx, &t, sizeof(t), 0, (struct sockaddr *)&ss, len) == (ssize_t)sizeof(t))
                sent++;
            else
                failed++;
        }
        double took = (double)(now_us() - start) / 1e6;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double out[4] = {(double)sent, (double)failed, (double)sent / took, (double)ru.ru_nivcsw};
        if (write(result[1], out, sizeof(out)) != sizeof(out))
            _exit(1);
        _exit(0);
    }
    long cap = (long)(rate * seconds) + 16, got = 0;
    double *delays = malloc((size_t)cap * sizeof(double));
    int64_t quiet_until = now_us() + (int64_t)(seconds * 1e6) + (int64_t)expect_us * 2 + 1000000;
    while (now_us() < quiet_until) {
        struct pollfd p = {.fd = rx, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int64_t sent_at;
        while (recv(rx, &sent_at, sizeof(sent_at), MSG_DONTWAIT) == (ssize_t)sizeof(sent_at))
            if (got < cap)
                delays[got++] = (double)(now_us() - sent_at);
    }
    double out[4];
    if (read(result[0], out, sizeof(out)) != sizeof(out))
        return 2;
    waitpid(sender, NULL, 0);
    long off = 0;
    for (long i = 0; i < got; i++)
        if (delays[i] < expect_us * (1 - tol_pct / 100) || delays[i] > expect_us * (1 + tol_pct / 100))
            off++;
    qsort(delays, (size_t)got, sizeof(double), cmp_double);
    printf("sent=%.0f send_failed=%.0f send_rate=%.0f received=%ld delay_min_us=%.0f delay_median_us=%.0f "
           "delay_max_us=%.0f off=%ld sender_preempted=%.0f\n",
           out[0], out[1], out[2], got, got ? delays[0] : 0, got ? delays[got / 2] : 0, got ? delays[got - 1] : 0, off,
           out[3]);
    free(delays);
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

static int listen_on(const char *host, const char *port, int rcvbuf) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (addr_of(host, port, &ss, &len) != 0)
        return -1;
    int ls = socket(ss.ss_family, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (rcvbuf > 0)
        setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (bind(ls, (struct sockaddr *)&ss, len) != 0 || listen(ls, 1) != 0) {
        perror("listen");
        return -1;
    }
    return ls;
}

static void send_forever(int fd, int64_t until) {
    char buf[65536];
    memset(buf, 'x', sizeof(buf));
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (now_us() < until)
        if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            break;
}

/* A TCP transfer for SECONDS from a sender to a receiver whose buffer is
 * RCVBUF bytes. From FROM_S on, samples the sender's TCP_INFO every 20 ms:
 * the bytes in flight (sent, not yet acknowledged) against what its window
 * allows: the peer's window (in whole segments: TCP does not split one to
 * fill it) and its congestion window. Prints the median ratio, and the
 * throughput (bytes acknowledged over whole round trips: they come in one
 * burst per round trip) against allowed / RTT. */
static int cmd_tcp_window(const char *host, const char *port, double seconds, double from_s, int rcvbuf) {
    int ls = listen_on(host, port, rcvbuf);
    if (ls < 0)
        return 2;
    int64_t start = now_us(), from = start + (int64_t)(from_s * 1e6), until = start + (int64_t)(seconds * 1e6);
    pid_t sink = fork();
    if (sink == 0) {
        int c = accept(ls, NULL, NULL);
        char buf[65536];
        while (recv(c, buf, sizeof(buf), 0) > 0) {
        }
        _exit(0);
    }
    int fd = dial(host, port, SOCK_STREAM, 5000);
    if (fd < 0) {
        perror("connect");
        return 2;
    }
    pid_t writer = fork();
    if (writer == 0) {
        send_forever(fd, until + 500000);
        _exit(0);
    }
    enum { MAX = 4096 };
    static double t[MAX], acked[MAX], allowed[MAX], ratio[MAX], rtt[MAX], sorted[MAX];
    int n = 0;
    while (now_us() < until && n < MAX) {
        usleep(20000);
        struct tcp_info ti;
        socklen_t tl = sizeof(ti);
        int64_t now = now_us();
        if (now < from || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) != 0 || !ti.tcpi_snd_mss)
            continue;
        double mss = ti.tcpi_snd_mss, w = (double)ti.tcpi_snd_cwnd * mss;
        double peer = (double)(ti.tcpi_snd_wnd / ti.tcpi_snd_mss) * mss;
        if (peer < w)
            w = peer;
        double inflight = (double)(ti.tcpi_bytes_sent - ti.tcpi_bytes_acked);
        if (getenv("NETPROBE_VERBOSE"))
            fprintf(stderr, "t=%.2f acked=%llu inflight=%.0f allowed=%.0f cwnd=%u mss=%u snd_wnd=%u rtt=%u\n",
                    (double)(now - start) / 1e6, (unsigned long long)ti.tcpi_bytes_acked, inflight, w, ti.tcpi_snd_cwnd,
                    ti.tcpi_snd_mss, ti.tcpi_snd_wnd, ti.tcpi_rtt);
        t[n] = (double)now / 1e6;
        acked[n] = (double)ti.tcpi_bytes_acked;
        allowed[n] = w;
        ratio[n] = w > 0 ? inflight / w : 0;
        rtt[n++] = (double)ti.tcpi_rtt / 1e6;
    }
    kill(writer, SIGKILL);
    kill(sink, SIGKILL);
    waitpid(writer, NULL, 0);
    waitpid(sink, NULL, 0);
    if (n < 2)
        return 2;
    memcpy(sorted, rtt, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), cmp_double);
    double r = sorted[n / 2];
    memcpy(sorted, allowed, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), cmp_double);
    double w = sorted[n / 2];
    qsort(ratio, (size_t)n, sizeof(double), cmp_double);
    int rounds = (int)((t[n - 1] - t[0]) / r), last = 0;
    for (int i = 0; i < n; i++)
        if (t[i] - t[0] <= rounds * r)
            last = i;
    double bps = rounds > 0 ? (acked[last] - acked[0]) * 8.0 / (t[last] - t[0]) : 0;
    printf("bits_per_s=%.0f allowed_bytes=%.0f rtt_ms=%.1f allowed_bits_per_s=%.0f inflight_ratio=%.3f rounds=%d\n",
           bps, w, r * 1000, w * 8.0 / r, ratio[n / 2], rounds);
    return 0;
}

/* A TCP transfer between a server at HOST:PORT (the dependency) and a
 * client: `down` from the server, `up` to it. The receiver times every
 * arrival; from WARM_S on, the rate is the bytes after the first arrival
 * over the time to the last one. Prints that goodput and the rate of IP
 * packets it implies (segments of the sender's MSS plus headers). */
static int cmd_rate(const char *host, const char *port, double seconds, const char *way, double warm_s) {
    bool down = strcmp(way, "down") == 0;
    int ls = listen_on(host, port, 0);
    if (ls < 0)
        return 2;
    int result[2];
    if (pipe(result) != 0)
        return 2;
    int64_t start = now_us(), warm = start + (int64_t)(warm_s * 1e6), until = start + (int64_t)(seconds * 1e6);
    pid_t server = fork();
    if (server == 0) {
        int c = accept(ls, NULL, NULL);
        if (down) {
            send_forever(c, until + 1000000);
            _exit(0);
        }
        char buf[65536];
        long long bytes = 0;
        int64_t first = 0, last = 0;
        for (;;) {
            ssize_t n = recv(c, buf, sizeof(buf), 0);
            int64_t t = now_us();
            if (n <= 0 || t >= until)
                break;
            if (t < warm)
                continue;
            if (!first)
                first = t;
            else
                bytes += n, last = t;
        }
        double bps = last > first ? (double)bytes * 8.0 / ((double)(last - first) / 1e6) : 0;
        if (write(result[1], &bps, sizeof(bps)) != sizeof(bps))
            _exit(1);
        _exit(0);
    }
    int fd = dial(host, port, SOCK_STREAM, 5000);
    if (fd < 0) {
        perror("connect");
        return 2;
    }
    double bps = 0;
    struct tcp_info ti = {0};
    socklen_t tl = sizeof(ti);
    if (down) {
        char buf[65536];
        long long bytes = 0;
        int64_t first = 0, last = 0;
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof(buf), 0);
            int64_t t = now_us();
            if (n <= 0 || t >= until)
                break;
            if (t < warm)
                continue;
            if (!first)
                first = t;
            else
                bytes += n, last = t;
        }
        bps = last > first ? (double)bytes * 8.0 / ((double)(last - first) / 1e6) : 0;
        getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl); /* rcv_mss: the server's segments */
        kill(server, SIGKILL);
    } else {
        send_forever(fd, until);
        getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl);
        if (read(result[0], &bps, sizeof(bps)) != sizeof(bps))
            return 2;
    }
    waitpid(server, NULL, 0);
    struct sockaddr_storage ss;
    socklen_t len;
    addr_of(host, port, &ss, &len);
    unsigned mss = down ? ti.tcpi_rcv_mss : ti.tcpi_snd_mss;
    unsigned hdr = (ss.ss_family == AF_INET6 ? 40 : 20) + 20 + ((ti.tcpi_options & TCPI_OPT_TIMESTAMPS) ? 12 : 0);
    printf("goodput_bits_per_s=%.0f ip_bits_per_s=%.0f mss=%u\n", bps, mss ? bps * (mss + hdr) / mss : bps, mss);
    return 0;
}

/* The answer to a query: A queries get 10.9.8.7. Returns its length, 0 if
 * the query is not readable. */
static size_t dns_answer(const unsigned char *q, size_t n, unsigned char *a) {
    if (n < 17)
        return 0;
    size_t pos = 12;
    while (pos < n && q[pos])
        pos += q[pos] + 1u;
    pos += 5; /* zero label, type, class */
    if (pos > n)
        return 0;
    unsigned qtype = (unsigned)(q[pos - 4] << 8 | q[pos - 3]);
    memcpy(a, q, pos);
    a[2] = 0x81;
    a[3] = 0x80;
    memset(a + 6, 0, 6);
    a[5] = 1;
    size_t out = pos;
    if (qtype == 1) { /* A: one answer, pointing at the question's name */
        a[7] = 1;
        static const unsigned char rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 9, 8, 7};
        memcpy(a + out, rr, sizeof(rr));
        out += sizeof(rr);
    }
    return out;
}

/* One DNS-over-TCP connection: length-prefixed queries, answered in turn. */
static void dns_tcp_conn(int c) {
    unsigned char buf[2048];
    size_t have = 0;
    for (;;) {
        ssize_t n = recv(c, buf + have, sizeof(buf) - have, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
        while (have >= 2) {
            size_t len = (size_t)buf[0] << 8 | buf[1];
            if (len > sizeof(buf) - 2)
                return;
            if (have < 2 + len)
                break;
            unsigned char a[700];
            size_t out = dns_answer(buf + 2, len, a + 2);
            a[0] = (unsigned char)(out >> 8);
            a[1] = (unsigned char)out;
            if (out && send(c, a, out + 2, MSG_NOSIGNAL) < 0)
                return;
            memmove(buf, buf + 2 + len, have - 2 - len);
            have -= 2 + len;
        }
    }
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
    int ls = listen_on(host, port, 0);
    if (ls < 0)
        return 2;
    signal(SIGCHLD, SIG_IGN);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = ls, .events = POLLIN}};
        if (poll(p, 2, -1) <= 0)
            continue;
        if (p[1].revents & POLLIN) {
            int c = accept(ls, NULL, NULL);
            if (c >= 0 && fork() == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the server */
                struct timeval tv = {.tv_sec = 10};
                setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                dns_tcp_conn(c);
                _exit(0);
            }
            if (c >= 0)
                close(c);
        }
        if (!(p[0].revents & POLLIN))
            continue;
        unsigned char q[512], a[600];
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
        size_t out = n > 0 ? dns_answer(q, (size_t)n, a) : 0;
        if (out)
            sendto(fd, a, out, 0, (struct sockaddr *)&from, flen);
    }
}

/* The udp command's sockets may live in other network namespaces (to send
 * over a real interface between two): NETPROBE_RX_NS / NETPROBE_TX_NS name
 * the namespace (a /proc/PID/ns/net path) to create each one in. */
static int socket_in(const char *env, int family, int type) {
    const char *path = getenv(env);
    if (!path || !*path)
        return socket(family, type, 0);
    int target = open(path, O_RDONLY | O_CLOEXEC), home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (target < 0 || home < 0 || setns(target, CLONE_NEWNET) != 0) {
        perror(env);
        exit(2);
    }
    int fd = socket(family, type, 0);
    if (setns(home, CLONE_NEWNET) != 0)
        exit(2);
    close(target);
    close(home);
    return fd;
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
    if (strcmp(cmd, "udp-rate") == 0 && argc == 5)
        return cmd_udp_rate(host, port, atof(argv[4]));
    if (strcmp(cmd, "udp-paced") == 0 && argc == 8)
        return cmd_udp_paced(host, port, atof(argv[4]), atof(argv[5]), atof(argv[6]), atof(argv[7]));
    if (strcmp(cmd, "tcp-window") == 0 && argc == 7)
        return cmd_tcp_window(host, port, atof(argv[4]), atof(argv[5]), atoi(argv[6]));
    if (strcmp(cmd, "rate") == 0 && argc == 7)
        return cmd_rate(host, port, atof(argv[4]), argv[5], atof(argv[6]));
    fprintf(stderr, "netprobe: unknown command or arguments\n");
    return 2;
}
