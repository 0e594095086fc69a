/* Compact per-window histograms: the 3-digit slots of fl_hist are folded into
 * 2-digit slots (exact below 256 us, then 128 slots per power of two) and the
 * non-empty ones are written as (gap from the previous slot, count) pairs of
 * LEB128 varints. The 2-digit boundaries are powers of two apart like the
 * 3-digit ones and coarser, so each fine slot falls inside one coarse slot. */
#include "load/compact_hist.h"
#include "core/internal.h"
#include "load/histogram_layout.h"

#include <stdlib.h>
#include <string.h>

#define COARSE_SUB_BITS 8
#define COARSE_EXACT (1u << COARSE_SUB_BITS)
#define COARSE_HALF (1u << (COARSE_SUB_BITS - 1))
#define COARSE_RANGES 24u /* 2^8 .. 2^31 */
#define COARSE_SLOTS (COARSE_EXACT + COARSE_RANGES * COARSE_HALF)

static uint32_t coarse_slot_of(int64_t value_us) {
    if (value_us < 0)
        value_us = 0;
    if (value_us > FL_HIST_HIGHEST_US)
        value_us = FL_HIST_HIGHEST_US;
    uint64_t v = (uint64_t)value_us;
    if (v < COARSE_EXACT)
        return (uint32_t)v;
    int shift = (63 - __builtin_clzll(v)) - (COARSE_SUB_BITS - 1);
    return (uint32_t)(COARSE_EXACT + (uint64_t)(shift - 1) * COARSE_HALF + ((v >> shift) - COARSE_HALF));
}

/* The middle of a coarse slot: the value that best stands for it. */
static int64_t coarse_slot_value(uint32_t slot) {
    if (slot < COARSE_EXACT)
        return slot;
    uint32_t k = slot - COARSE_EXACT;
    int shift = (int)(k / COARSE_HALF) + 1;
    int64_t low = (int64_t)((uint64_t)(k % COARSE_HALF + COARSE_HALF) << shift);
    return low + ((int64_t)1 << shift) / 2;
}

static size_t put_varint(uint8_t *out, uint64_t v) {
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        out[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    return n;
}

static int get_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len)
            return -1;
        uint8_t byte = buf[(*pos)++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

uint8_t *fl_compact_hist_encode(const fl_hist *h, size_t *len) {
    *len = 0;
    uint32_t lowest, highest;
    fl_hist_used_range(h, &lowest, &highest);
    if (lowest > highest)
        return NULL;
    /* Worst case: every coarse slot used, 10 bytes per varint. */
    size_t cap = 64;
    uint8_t *out = fl_xmalloc(cap);
    size_t used = 0;
    uint32_t previous = 0, current = UINT32_MAX;
    uint64_t current_count = 0;
    for (uint32_t s = lowest; s <= highest + 1; s++) {
        uint64_t c = s <= highest ? fl_hist_slot_count(h, s) : 0;
        uint32_t coarse = s <= highest ? coarse_slot_of(fl_hist_slot_lowest(s)) : UINT32_MAX;
        if (s <= highest && !c)
            continue;
        if (coarse != current && current != UINT32_MAX) {
            if (used + 20 > cap) {
                cap *= 2;
                out = fl_xrealloc(out, cap);
            }
            used += put_varint(out + used, current - previous);
            used += put_varint(out + used, current_count);
            previous = current;
            current_count = 0;
        }
        current = coarse;
        current_count += c;
    }
    *len = used;
    return fl_xrealloc(out, used);
}

int fl_compact_hist_merge(fl_hist *into, const uint8_t *buf, size_t len) {
    size_t pos = 0;
    uint64_t slot = 0;
    while (pos < len) {
        uint64_t gap, count;
        if (get_varint(buf, len, &pos, &gap) != 0 || get_varint(buf, len, &pos, &count) != 0)
            return -1;
        slot += gap;
        if (slot >= COARSE_SLOTS)
            return -1;
        fl_hist_record_n(into, coarse_slot_value((uint32_t)slot), count);
    }
    return 0;
}
