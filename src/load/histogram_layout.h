/* The slot layout of fl_hist, shared with the compact per-window encoding
 * (compact_hist.c) and the tests. Private to libfaultline. */
#ifndef FL_LOAD_HISTOGRAM_LAYOUT_H
#define FL_LOAD_HISTOGRAM_LAYOUT_H

#include "faultline/load.h"

#define FL_HIST_SUB_BITS 11                    /* 2048 exact slots, then 1024 per power of two */
#define FL_HIST_EXACT (1u << FL_HIST_SUB_BITS) /* values below this are exact */
#define FL_HIST_HALF (1u << (FL_HIST_SUB_BITS - 1))
/* 1 h = 3.6e9 us < 2^32: power-of-two ranges 2^11 .. 2^31, 21 of them. */
#define FL_HIST_RANGES 21u
#define FL_HIST_SLOTS (FL_HIST_EXACT + FL_HIST_RANGES * FL_HIST_HALF)

uint32_t fl_hist_slot_of(int64_t value_us);
int64_t fl_hist_slot_lowest(uint32_t slot);
int64_t fl_hist_slot_highest(uint32_t slot);
uint64_t fl_hist_slot_count(const fl_hist *h, uint32_t slot);
/* Slots that may be non-zero; lowest > highest when empty. */
void fl_hist_used_range(const fl_hist *h, uint32_t *lowest, uint32_t *highest);

#endif
