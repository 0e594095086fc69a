/* The open-loop schedule: request number i is due at start + i / rate,
 * whatever happened to the requests before it. Private to libfaultline. */
#ifndef FL_LOAD_PACER_H
#define FL_LOAD_PACER_H

#include <stdint.h>

typedef struct fl_pacer {
    int64_t start_ns; /* CLOCK_MONOTONIC */
    double interval_ns;
    uint64_t total; /* requests in the whole schedule */
} fl_pacer;

/* `rate` in requests per second (> 0, finite). The schedule holds every
 * request whose intended time falls inside [start, start + duration). */
void fl_pacer_init(fl_pacer *p, int64_t start_ns, double rate, int64_t duration_us);
/* The intended send time of request `seq` (0-based). */
int64_t fl_pacer_intended_ns(const fl_pacer *p, uint64_t seq);
/* How many requests are due at `now_ns` (intended time <= now), at most
 * total. */
uint64_t fl_pacer_due(const fl_pacer *p, int64_t now_ns);

#endif
