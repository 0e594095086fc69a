/* A fake wall clock for the tests (LD_PRELOAD): CLOCK_REALTIME, time() and
 * gettimeofday() run FL_FAKE_REALTIME_FILE's number of seconds ahead (or
 * behind, if negative), read at every call, so a test can step the wall
 * clock of one faultline process in the middle of its run without touching
 * the machine's clock. Every other clock is left alone. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long offset_s(void) {
    const char *file = getenv("FL_FAKE_REALTIME_FILE");
    long long off = 0;
    FILE *f = file ? fopen(file, "re") : NULL;
    if (f) {
        if (fscanf(f, "%lld", &off) != 1)
            off = 0;
        fclose(f);
    }
    return off;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real)
        real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int rc = real(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        ts->tv_sec += (time_t)offset_s();
    return rc;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out)
        *out = ts.tv_sec;
    return ts.tv_sec;
}

int gettimeofday(struct timeval *tv, void *tz) {
    (void)tz;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}
