/* A log-linear histogram of durations, 1 us to 1 h, 3 significant digits.
 *
 * Layout: values below 2048 us each get their own slot (exact). Above that,
 * every power-of-two range [2^k, 2^(k+1)) is cut into 1024 equal slots, so a
 * slot is never wider than 1/1024 of the values in it: the relative error is
 * under 0.1%, which is what "3 significant digits" promises. The slot of a
 * value is found from its highest set bit and a shift; no floating point,
 * no allocation, no loop. 1 h in us is below 2^32, so 21 ranges of 1024
 * slots follow the 2048 exact ones: 23,552 counters, 184 KiB.
 */
#include "core/internal.h"
#include "faultline/load.h"
#include "load/histogram_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct fl_hist {
    uint64_t total;
    int64_t min, max;      /* exact, unclamped */
    double sum;            /* for the mean */
    uint32_t lowest_used;  /* slots [lowest_used, highest_used] may be non-zero */
    uint32_t highest_used; /* so that reset and merge touch only those */
    uint64_t counts[FL_HIST_SLOTS];
};

uint32_t fl_hist_slot_of(int64_t value_us) {
    if (value_us < FL_HIST_LOWEST_US)
        value_us = FL_HIST_LOWEST_US;
    if (value_us > FL_HIST_HIGHEST_US)
        value_us = FL_HIST_HIGHEST_US;
    uint64_t v = (uint64_t)value_us;
    if (v < FL_HIST_EXACT)
        return (uint32_t)v;
    int top_bit = 63 - __builtin_clzll(v);
    int shift = top_bit - (FL_HIST_SUB_BITS - 1); /* >= 1 here */
    uint64_t sub = (v >> shift) - FL_HIST_HALF;   /* 0..1023 */
    return (uint32_t)(FL_HIST_EXACT + (uint64_t)(shift - 1) * FL_HIST_HALF + sub);
}

int64_t fl_hist_slot_lowest(uint32_t slot) {
    if (slot < FL_HIST_EXACT)
        return slot;
    uint32_t k = slot - FL_HIST_EXACT;
    int shift = (int)(k / FL_HIST_HALF) + 1;
    return (int64_t)((uint64_t)(k % FL_HIST_HALF + FL_HIST_HALF) << shift);
}

int64_t fl_hist_slot_highest(uint32_t slot) {
    if (slot < FL_HIST_EXACT)
        return slot;
    int shift = (int)((slot - FL_HIST_EXACT) / FL_HIST_HALF) + 1;
    return fl_hist_slot_lowest(slot) + ((int64_t)1 << shift) - 1;
}

fl_hist *fl_hist_new(void) {
    fl_hist *h = fl_xcalloc(1, sizeof(*h));
    fl_hist_reset(h);
    return h;
}

void fl_hist_free(fl_hist *h) { free(h); }

void fl_hist_record_n(fl_hist *h, int64_t value_us, uint64_t count) {
    if (count == 0)
        return;
    uint32_t slot = fl_hist_slot_of(value_us);
    h->counts[slot] += count;
    if (h->total == 0 || value_us < h->min)
        h->min = value_us;
    if (h->total == 0 || value_us > h->max)
        h->max = value_us;
    h->total += count;
    h->sum += (double)value_us * (double)count;
    if (slot < h->lowest_used)
        h->lowest_used = slot;
    if (slot > h->highest_used || h->highest_used == UINT32_MAX)
        h->highest_used = slot;
}

void fl_hist_record(fl_hist *h, int64_t value_us) { fl_hist_record_n(h, value_us, 1); }

static bool has_used_range(const fl_hist *h) { return h->highest_used != UINT32_MAX; }

void fl_hist_merge(fl_hist *into, const fl_hist *from) {
    if (from->total == 0)
        return;
    for (uint32_t s = from->lowest_used; s <= from->highest_used; s++)
        into->counts[s] += from->counts[s];
    if (into->total == 0 || from->min < into->min)
        into->min = from->min;
    if (into->total == 0 || from->max > into->max)
        into->max = from->max;
    into->total += from->total;
    into->sum += from->sum;
    if (from->lowest_used < into->lowest_used)
        into->lowest_used = from->lowest_used;
    if (!has_used_range(into) || from->highest_used > into->highest_used)
        into->highest_used = from->highest_used;
}

void fl_hist_reset(fl_hist *h) {
    if (has_used_range(h) && h->lowest_used <= h->highest_used)
        memset(&h->counts[h->lowest_used], 0, (h->highest_used - h->lowest_used + 1) * sizeof(h->counts[0]));
    h->total = 0;
    h->min = h->max = 0;
    h->sum = 0;
    h->lowest_used = UINT32_MAX - 1; /* above any slot: the first record lowers it */
    h->highest_used = UINT32_MAX;    /* "none": the first record sets it */
}

void fl_hist_copy(fl_hist *into, const fl_hist *from) {
    fl_hist_reset(into);
    fl_hist_merge(into, from);
}

uint64_t fl_hist_count(const fl_hist *h) { return h->total; }
int64_t fl_hist_min(const fl_hist *h) { return h->total ? h->min : 0; }
int64_t fl_hist_max(const fl_hist *h) { return h->total ? h->max : 0; }
double fl_hist_mean(const fl_hist *h) { return h->total ? h->sum / (double)h->total : 0.0; }

/* The value reported for a slot: its highest equivalent value, so that a
 * percentile is never understated, but never beyond the true extremes. */
static int64_t reported_value(const fl_hist *h, uint32_t slot) {
    int64_t v = fl_hist_slot_highest(slot);
    if (v > h->max)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

void fl_hist_percentiles(const fl_hist *h, const double *percentiles, size_t n, int64_t *out_us) {
    size_t next = 0;
    if (h->total == 0) {
        for (size_t i = 0; i < n; i++)
            out_us[i] = 0;
        return;
    }
    uint64_t seen = 0;
    for (uint32_t s = h->lowest_used; s <= h->highest_used && next < n; s++) {
        if (!h->counts[s])
            continue;
        seen += h->counts[s];
        while (next < n) {
            double q = percentiles[next];
            q = q < 0 ? 0 : q > 100 ? 100 : q;
            /* rank of the value: ceil(q% of total), at least the first */
            uint64_t rank = (uint64_t)ceil(q / 100.0 * (double)h->total - 1e-9);
            if (rank < 1)
                rank = 1;
            if (rank > seen)
                break;
            out_us[next++] = reported_value(h, s);
        }
    }
    for (; next < n; next++)
        out_us[next] = h->max;
}

int64_t fl_hist_percentile(const fl_hist *h, double percentile) {
    int64_t v;
    fl_hist_percentiles(h, &percentile, 1, &v);
    return v;
}

size_t fl_hist_memory(const fl_hist *h) { return h ? sizeof(*h) : sizeof(fl_hist); }

void fl_hist_foreach(const fl_hist *h, fl_hist_bucket_cb step, void *user) {
    if (h->total == 0)
        return;
    for (uint32_t s = h->lowest_used; s <= h->highest_used; s++)
        if (h->counts[s])
            step(user, reported_value(h, s), h->counts[s]);
}

uint64_t fl_hist_slot_count(const fl_hist *h, uint32_t slot) { return h->counts[slot]; }

void fl_hist_used_range(const fl_hist *h, uint32_t *lowest, uint32_t *highest) {
    if (h->total == 0) {
        *lowest = 1;
        *highest = 0;
        return;
    }
    *lowest = h->lowest_used;
    *highest = h->highest_used;
}
