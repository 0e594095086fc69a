/* The open-loop schedule. Intended times are computed from the request's
 * number, never accumulated from the previous one, so rounding cannot drift
 * over a long run and a stall does not shift the schedule. */
#include "load/pacer.h"

#include <math.h>

void fl_pacer_init(fl_pacer *p, int64_t start_ns, double rate, int64_t duration_us) {
    p->start_ns = start_ns;
    p->interval_ns = 1e9 / rate;
    double expected = (double)duration_us / 1e6 * rate;
    /* i / rate < duration  <=>  i < duration * rate; the epsilon keeps
     * 1000/s over 6 s at exactly 6000 despite floating point. */
    double total = ceil(expected - 1e-6);
    p->total = total < 1 ? 1 : (uint64_t)total;
}

int64_t fl_pacer_intended_ns(const fl_pacer *p, uint64_t seq) {
    return p->start_ns + (int64_t)((double)seq * p->interval_ns);
}

uint64_t fl_pacer_due(const fl_pacer *p, int64_t now_ns) {
    if (now_ns < p->start_ns)
        return 0;
    double guess = floor((double)(now_ns - p->start_ns) / p->interval_ns) + 1;
    uint64_t n = guess > (double)p->total ? p->total : (uint64_t)guess;
    /* Settle rounding at the edges so that due() agrees with intended_ns(). */
    while (n < p->total && fl_pacer_intended_ns(p, n) <= now_ns)
        n++;
    while (n > 0 && fl_pacer_intended_ns(p, n - 1) > now_ns)
        n--;
    return n;
}
