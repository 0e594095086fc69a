/* The histogram promises: every percentile within 0.1% of the exact value
 * (and never below it), merge equal to recording into one, fixed memory
 * under 200 KB, and a 1 h run at 10,000 req/s under 64 MB in all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "faultline.h"
#include "load/compact_hist.h"
#include "load/histogram_layout.h"
#include "load/pacer.h"
#include "load/series.h"

#include <math.h>
#include <stdlib.h>

/* A small deterministic generator: tests must not depend on libc's rand. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Log-uniform from 1 us to 1 h: every range of the histogram gets values. */
static int64_t random_duration(void) {
    double unit = (double)(next_random() >> 11) / (double)(1ULL << 53);
    return (int64_t)exp(unit * log((double)FL_HIST_HIGHEST_US));
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void every_percentile_within_precision(void **state) {
    (void)state;
    enum { N = 200000 };
    int64_t *values = malloc(N * sizeof(*values));
    fl_hist *h = fl_hist_new();
    for (int i = 0; i < N; i++) {
        values[i] = random_duration();
        fl_hist_record(h, values[i]);
    }
    qsort(values, N, sizeof(*values), cmp_i64);
    assert_int_equal(fl_hist_count(h), N);
    assert_int_equal(fl_hist_min(h), values[0]);
    assert_int_equal(fl_hist_max(h), values[N - 1]);
    /* Every 0.01 percent from 0.01 to 100, plus the usual tail ones. */
    for (int step = 1; step <= 10000; step++) {
        double q = step / 100.0;
        size_t rank = (size_t)ceil(q / 100.0 * N - 1e-9);
        int64_t exact = values[rank - 1];
        int64_t got = fl_hist_percentile(h, q);
        if (exact < (int64_t)FL_HIST_EXACT)
            assert_int_equal(got, exact);
        assert_true(got >= exact);
        assert_true((double)(got - exact) <= (double)exact / 1000.0);
    }
    free(values);
    fl_hist_free(h);
}

static void small_values_are_exact_and_range_is_clamped(void **state) {
    (void)state;
    fl_hist *h = fl_hist_new();
    for (int64_t v = 1; v < 2048; v++)
        fl_hist_record(h, v);
    for (int64_t v = 1; v < 2048; v++)
        assert_int_equal(fl_hist_percentile(h, 100.0 * (double)v / 2047.0), v);
    fl_hist_reset(h);
    assert_int_equal(fl_hist_count(h), 0);
    assert_int_equal(fl_hist_percentile(h, 99), 0);
    fl_hist_record(h, 0);                       /* below the range */
    fl_hist_record(h, 10 * FL_HIST_HIGHEST_US); /* above it */
    assert_int_equal(fl_hist_count(h), 2);
    assert_int_equal(fl_hist_min(h), 0);
    assert_int_equal(fl_hist_max(h), 10 * FL_HIST_HIGHEST_US);
    fl_hist_free(h);
}

static void slots_tile_the_range(void **state) {
    (void)state;
    /* Each slot starts right after the previous one ends, and its width is
     * at most 1/1024 of its lowest value: 3 significant digits. */
    for (uint32_t s = 1; s < FL_HIST_SLOTS; s++) {
        assert_int_equal(fl_hist_slot_lowest(s), fl_hist_slot_highest(s - 1) + 1);
        int64_t width = fl_hist_slot_highest(s) - fl_hist_slot_lowest(s) + 1;
        assert_true(width == 1 || width * 1024 <= fl_hist_slot_lowest(s));
        if (fl_hist_slot_highest(s) > FL_HIST_HIGHEST_US)
            continue; /* above 1 h: values are clamped into the slot of 1 h */
        assert_int_equal(fl_hist_slot_of(fl_hist_slot_lowest(s)), s);
        assert_int_equal(fl_hist_slot_of(fl_hist_slot_highest(s)), s);
    }
    assert_true(fl_hist_slot_highest(FL_HIST_SLOTS - 1) >= FL_HIST_HIGHEST_US);
}

static void merge_equals_recording_into_one(void **state) {
    (void)state;
    fl_hist *a = fl_hist_new(), *b = fl_hist_new(), *both = fl_hist_new();
    for (int i = 0; i < 50000; i++) {
        int64_t v = random_duration();
        fl_hist_record(i % 3 ? a : b, v);
        fl_hist_record(both, v);
    }
    fl_hist_record_n(b, 123456, 1000);
    fl_hist_record_n(both, 123456, 1000);
    fl_hist_merge(a, b);
    assert_int_equal(fl_hist_count(a), fl_hist_count(both));
    assert_int_equal(fl_hist_min(a), fl_hist_min(both));
    assert_int_equal(fl_hist_max(a), fl_hist_max(both));
    assert_true(fabs(fl_hist_mean(a) - fl_hist_mean(both)) <= 1e-9 * fl_hist_mean(both));
    for (uint32_t s = 0; s < FL_HIST_SLOTS; s++)
        assert_int_equal(fl_hist_slot_count(a, s), fl_hist_slot_count(both, s));
    for (double q = 0.5; q <= 100; q += 0.5)
        assert_int_equal(fl_hist_percentile(a, q), fl_hist_percentile(both, q));
    /* Merging into an empty one and copying give the same. */
    fl_hist *copy = fl_hist_new();
    fl_hist_record(copy, 7);
    fl_hist_copy(copy, both);
    assert_int_equal(fl_hist_percentile(copy, 99.9), fl_hist_percentile(both, 99.9));
    assert_int_equal(fl_hist_count(copy), fl_hist_count(both));
    fl_hist_free(a);
    fl_hist_free(b);
    fl_hist_free(both);
    fl_hist_free(copy);
}

static void memory_is_fixed_and_small(void **state) {
    (void)state;
    fl_hist *h = fl_hist_new();
    size_t before = fl_hist_memory(h);
    for (int i = 0; i < 100000; i++)
        fl_hist_record(h, random_duration());
    assert_int_equal(fl_hist_memory(h), before);
    assert_true(before < 200 * 1024);
    fl_hist_free(h);
}

static void compact_window_within_one_percent(void **state) {
    (void)state;
    fl_hist *h = fl_hist_new(), *back = fl_hist_new();
    for (int i = 0; i < 20000; i++)
        fl_hist_record(h, random_duration());
    size_t len;
    uint8_t *blob = fl_compact_hist_encode(h, &len);
    assert_non_null(blob);
    assert_int_equal(fl_compact_hist_merge(back, blob, len), 0);
    assert_int_equal(fl_hist_count(back), fl_hist_count(h));
    for (double q = 1; q <= 100; q += 1) {
        double want = (double)fl_hist_percentile(h, q), got = (double)fl_hist_percentile(back, q);
        assert_true(fabs(got - want) <= want * 0.01 + 1);
    }
    assert_int_equal(fl_compact_hist_merge(back, blob, len - 1), -1); /* truncated */
    free(blob);
    fl_hist_free(h);
    fl_hist_free(back);
}

/* The memory promise: a 1 h run at 10,000 req/s with 1 s windows. The
 * windows here are the worst case for the compact encoding: each window's
 * 10,000 latencies spread over every 2-digit slot from 1 us to 1 h. */
static void one_hour_at_10k_per_second_under_64_mb(void **state) {
    (void)state;
    fl_hist *window = fl_hist_new();
    for (int i = 0; i < 10000; i++)
        fl_hist_record(window, random_duration());
    fl_series series;
    fl_series_init(&series);
    for (int i = 0; i < 3600; i++) {
        size_t len;
        uint8_t *blob = fl_compact_hist_encode(window, &len);
        /* the worst case again: every window also had requests waiting */
        size_t seen_len;
        uint8_t *seen = fl_compact_hist_encode(window, &seen_len);
        fl_load_window w = {.index = (uint32_t)i, .requests = 10000};
        assert_int_equal(fl_series_append(&series, &w, blob, len, seen, seen_len), 0);
    }
    /* Five full histograms (cumulative and per window, latency and service
     * time, and the window's scratch with its waiting requests), the series,
     * and 10,000 connections' state at most. */
    size_t total = fl_series_memory(&series) + 5 * fl_hist_memory(window) + 10000 * 256;
    print_message("1 h at 10k req/s: series %.1f MB, total %.1f MB\n", fl_series_memory(&series) / 1048576.0,
                  total / 1048576.0);
    assert_true(total < 64u * 1024 * 1024);
    fl_hist *phase = fl_hist_new();
    assert_int_equal(fl_series_latency(&series, 10, 20, phase), 0);
    assert_int_equal(fl_hist_count(phase), 10 * 10000);
    fl_hist_free(phase);
    fl_series_free(&series);
    fl_hist_free(window);
}

static void pacer_schedule_is_exact(void **state) {
    (void)state;
    fl_pacer p;
    fl_pacer_init(&p, 1000, 1000.0, 6000000);
    assert_int_equal(p.total, 6000);
    assert_int_equal(fl_pacer_intended_ns(&p, 0), 1000);
    assert_int_equal(fl_pacer_intended_ns(&p, 5999), 1000 + 5999000000LL);
    assert_int_equal(fl_pacer_due(&p, 999), 0);
    assert_int_equal(fl_pacer_due(&p, 1000), 1);
    assert_int_equal(fl_pacer_due(&p, 1000 + 999999), 1);
    assert_int_equal(fl_pacer_due(&p, 1000 + 1000000), 2);
    assert_int_equal(fl_pacer_due(&p, INT64_MAX / 2), 6000);
    fl_pacer_init(&p, 0, 3.0, 1000000); /* 3/s over 1 s: at 0, 1/3, 2/3 */
    assert_int_equal(p.total, 3);
    fl_pacer_init(&p, 0, 10000.0, 3600LL * 1000000); /* 1 h at 10k/s: no drift */
    assert_int_equal(p.total, 36000000);
    assert_true(llabs(fl_pacer_intended_ns(&p, 35999999) - 3599999900000LL) < 1000);
    for (uint64_t i = 1; i < 100000; i += 7)
        assert_int_equal(fl_pacer_due(&p, fl_pacer_intended_ns(&p, i)), i + 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_percentile_within_precision),
        cmocka_unit_test(small_values_are_exact_and_range_is_clamped),
        cmocka_unit_test(slots_tile_the_range),
        cmocka_unit_test(merge_equals_recording_into_one),
        cmocka_unit_test(memory_is_fixed_and_small),
        cmocka_unit_test(compact_window_within_one_percent),
        cmocka_unit_test(one_hour_at_10k_per_second_under_64_mb),
        cmocka_unit_test(pacer_schedule_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
