/* udp_blast PORT SECONDS DELAY_US: sends UDP datagrams to 127.0.0.1:PORT as
 * fast as one core allows for SECONDS (each carrying its send time), and
 * counts those received at least 90% of DELAY_US after they were sent,
 * i.e. those the packet engine really held. Prints sent, received, held, and
 * the held packets per second over the sending time. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv) {
    if (argc != 4)
        return 2;
    int port = atoi(argv[1]), seconds = atoi(argv[2]);
    int64_t delay = atoll(argv[3]);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    int rx = socket(AF_INET, SOCK_DGRAM, 0), big = 64 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    if (bind(rx, (struct sockaddr *)&to, sizeof(to)) != 0)
        return perror("bind"), 2;
    int counts[2];
    if (pipe(counts) != 0)
        return 2;
    pid_t sender = fork();
    if (sender == 0) {
        /* Held packets stay charged to their sender socket's buffer
         * (~570 per socket at the default size, and SO_SNDBUFFORCE needs
         * real root): spread the sending over many sockets so that the
         * sender, not the engine, is never the limit at 2 s. */
        enum { SOCKETS = 512 };
        int tx[SOCKETS];
        for (int i = 0; i < SOCKETS; i++) {
            tx[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
            connect(tx[i], (struct sockaddr *)&to, sizeof(to));
        }
        long long sent = 0;
        int64_t end = now_us() + (int64_t)seconds * 1000000;
        for (int64_t t = now_us(), k = 0; t < end; t = now_us())
            for (int i = 0; i < 64; i++, k++)
                if (send(tx[k % SOCKETS], &t, sizeof(t), 0) == (ssize_t)sizeof(t))
                    sent++;
        if (write(counts[1], &sent, sizeof(sent)) != sizeof(sent))
            _exit(1);
        _exit(0);
    }
    long long received = 0, held = 0;
    int64_t end = now_us() + (int64_t)seconds * 1000000 + delay + 500000;
    while (now_us() < end) {
        struct pollfd p = {.fd = rx, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int64_t sent_at;
        while (recv(rx, &sent_at, sizeof(sent_at), MSG_DONTWAIT) == (ssize_t)sizeof(sent_at)) {
            received++;
            if (now_us() - sent_at >= delay * 9 / 10)
                held++;
        }
    }
    long long sent = 0;
    if (read(counts[0], &sent, sizeof(sent)) != sizeof(sent))
        return 2;
    waitpid(sender, NULL, 0);
    printf("sent=%lld received=%lld held=%lld held_pps=%.0f\n", sent, received, held, (double)held / seconds);
    return 0;
}
