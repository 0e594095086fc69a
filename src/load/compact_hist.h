/* A compact, lossy (2 significant digits, within 1%) encoding of a histogram,
 * so that every window of a long run can keep its latency distribution:
 * percentiles over any range of windows (a phase of an experiment) can then
 * be computed afterwards. A window of 10,000 requests typically takes a few
 * hundred bytes; the worst case is bounded by the number of 2-digit slots
 * (3,328) at under 5 bytes each. Private to libfaultline. */
#ifndef FL_LOAD_COMPACT_HIST_H
#define FL_LOAD_COMPACT_HIST_H

#include "faultline/load.h"

#include <stddef.h>
#include <stdint.h>

/* Encodes `h` into a new buffer (free()); *len gets its size. NULL with
 * *len 0 when `h` is empty or memory is short. */
uint8_t *fl_compact_hist_encode(const fl_hist *h, size_t *len);
/* Adds the encoded counts into `into`. Returns 0, or -1 if the buffer is
 * malformed (nothing is guaranteed about `into` then). */
int fl_compact_hist_merge(fl_hist *into, const uint8_t *buf, size_t len);

#endif
