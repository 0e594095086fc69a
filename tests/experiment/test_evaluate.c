/* The pure experiment logic: hypotheses over samples with missing ones and
 * coverage, phase bounds, the `for:` of stop conditions, and the merge of
 * load windows sent from several hosts. */
#include "experiment/loads/load_source.h"
#include "experiment/metrics/evaluate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define S 1000000LL /* one second in us */

static condition_def below(double threshold, double min_coverage) {
    return (condition_def){.bound = BOUND_BELOW, .threshold = threshold, .min_coverage = min_coverage};
}

static sample ok(int64_t t, double v) { return (sample){.t_us = t, .len_us = S, .value = v, .valid = true}; }
static sample gap(int64_t t, sample_gap why) { return (sample){.t_us = t, .len_us = S, .gap = (uint8_t)why}; }

static series_view view(const sample *s, size_t n) {
    return (series_view){.samples = s, .n = n, .scale = 1, .interval_us = S, .noun = "scrapes"};
}

static void every_sample_holds_and_covers_the_phase(void **state) {
    (void)state;
    sample s[20];
    for (int i = 0; i < 20; i++)
        s[i] = ok(i * S, 40 + i % 3);
    condition_def cd = below(60, 0.8);
    series_view sv = view(s, 20);
    evaluation ev;
    evaluate_condition(&cd, &sv, 0, 20 * S, &ev);
    assert_int_equal(ev.verdict, VERDICT_PASS);
    assert_int_equal(ev.expected, 20);
    assert_int_equal(ev.evaluated, 20);
    assert_true(ev.worst == 42);
    assert_string_equal(ev.coverage_text, "20 of 20 scrapes (100%)");
}

/* The demo's failure mode: the scrapes that fail are the ones taken while
 * the service is sick, and the few that get through look fine. */
static void few_good_samples_are_no_data_never_a_pass(void **state) {
    (void)state;
    sample s[20];
    for (int i = 0; i < 20; i++)
        s[i] = i < 6 ? ok(i * S, 1.1) : gap(i * S, GAP_TIMEOUT);
    condition_def cd = below(100, 0.8);
    series_view sv = view(s, 20);
    evaluation ev;
    evaluate_condition(&cd, &sv, 0, 20 * S, &ev);
    assert_int_equal(ev.verdict, VERDICT_NO_DATA);
    assert_int_equal(ev.evaluated, 6);
    assert_int_equal(ev.gaps[GAP_TIMEOUT], 14);
    assert_string_equal(ev.coverage_text, "6 of 20 scrapes (30%): 14 timed out");
    /* min-coverage 0%: evaluated on what came */
    cd.min_coverage = 0;
    evaluate_condition(&cd, &sv, 0, 20 * S, &ev);
    assert_int_equal(ev.verdict, VERDICT_PASS);
}

static void a_failing_sample_fails_whatever_the_coverage(void **state) {
    (void)state;
    sample s[4] = {ok(0, 10), gap(S, GAP_TIMEOUT), gap(2 * S, GAP_TIMEOUT), ok(3 * S, 2000)};
    condition_def cd = below(100, 0.8);
    series_view sv = view(s, 4);
    evaluation ev;
    evaluate_condition(&cd, &sv, 0, 20 * S, &ev);
    assert_int_equal(ev.verdict, VERDICT_FAIL);
    assert_true(ev.worst == 2000);
    assert_int_equal(ev.worst_t_us, 3 * S);
}

static void samples_never_taken_count_against_coverage(void **state) {
    (void)state;
    sample s[15];
    for (int i = 0; i < 15; i++)
        s[i] = ok(i * S, 1);
    condition_def cd = below(100, 0.8);
    series_view sv = view(s, 15);
    evaluation ev;
    evaluate_condition(&cd, &sv, 0, 20 * S, &ev);
    assert_int_equal(ev.verdict, VERDICT_NO_DATA);
    assert_int_equal(ev.gaps[GAP_NONE], 5);
    assert_string_equal(ev.coverage_text, "15 of 20 scrapes (75%): 5 not taken");
    s[0].value = 0; /* exactly 80% is enough */
    sv.n = 16;
    sample more[16];
    memcpy(more, s, sizeof(s));
    more[15] = ok(15 * S, 1);
    sv.samples = more;
    evaluate_condition(&cd, &sv, 0, 20 * S, &ev);
    assert_int_equal(ev.verdict, VERDICT_PASS);
}

static void only_samples_mostly_inside_the_phase_count(void **state) {
    (void)state;
    /* A scrape at 4.6 s describes (3.6 s, 4.6 s]: before a fault that
     * starts at 5 s, even though it was taken close to it. */
    sample before = {.t_us = 3600000, .len_us = S, .value = 1, .valid = true};
    assert_false(sample_in_phase(&before, 5 * S, 25 * S));
    sample straddling = {.t_us = 4600000, .len_us = S, .value = 1, .valid = true};
    assert_true(sample_in_phase(&straddling, 5 * S, 25 * S));
    sample last = {.t_us = 24400000, .len_us = S, .value = 1, .valid = true};
    assert_true(sample_in_phase(&last, 5 * S, 25 * S));
    sample after = {.t_us = 24600000, .len_us = S, .value = 1, .valid = true};
    assert_false(sample_in_phase(&after, 5 * S, 25 * S));
    assert_int_equal(expected_samples(5 * S, 25 * S + 40000, S), 20);
    assert_int_equal(expected_samples(0, 300000, S), 1); /* too short for one sample: no data */
    assert_int_equal(expected_samples(5 * S, 5 * S, S), 0);
}

static void lower_bounds_are_values_and_marked(void **state) {
    (void)state;
    sample s[2] = {ok(0, 20), ok(S, 1500)};
    s[1].lower_bound = true; /* requests still waiting after 1.5 s */
    condition_def cd = below(100, 0.8);
    series_view sv = view(s, 2);
    evaluation ev;
    evaluate_condition(&cd, &sv, 0, 2 * S, &ev);
    assert_int_equal(ev.verdict, VERDICT_FAIL);
    assert_true(ev.worst_lower_bound);
}

static void phases_follow_what_happened(void **state) {
    (void)state;
    int64_t applied[2] = {5 * S, 12 * S}, rolled_back[2] = {10 * S, -1};
    int64_t start, end;
    phase_bounds(applied, rolled_back, 2, 30 * S, PHASE_BEFORE, -1, &start, &end);
    assert_true(start == 0 && end == 5 * S);
    phase_bounds(applied, rolled_back, 2, 30 * S, PHASE_DURING, -1, &start, &end);
    assert_true(start == 5 * S && end == 30 * S); /* the second step was never rolled back: to the end */
    phase_bounds(applied, rolled_back, 2, 30 * S, PHASE_STEP, 0, &start, &end);
    assert_true(start == 5 * S && end == 10 * S);
    phase_bounds(applied, rolled_back, 2, 30 * S, PHASE_AFTER, -1, &start, &end);
    assert_true(start == 30 * S && end == 30 * S);
    int64_t never[1] = {-1}, none[1] = {-1};
    phase_bounds(never, none, 1, 30 * S, PHASE_DURING, -1, &start, &end);
    assert_true(start == end); /* a fault that never ran: an empty phase, so no data */
    phase_bounds(never, none, 1, 30 * S, PHASE_BEFORE, -1, &start, &end);
    assert_true(start == 0 && end == 30 * S);
}

static bool feed(const condition_def *cd, stop_tracker *t, sample s, int64_t *end) {
    double v;
    return stop_feed(cd, t, &s, 1, end, &v);
}

static void stop_condition_needs_the_breach_to_last(void **state) {
    (void)state;
    condition_def cd = {.bound = BOUND_ABOVE, .threshold = 0.5, .for_us = 3 * S};
    stop_tracker t = {.since_us = -1};
    int64_t end = 0;
    assert_false(feed(&cd, &t, ok(0, 0.9), &end));
    assert_false(feed(&cd, &t, ok(S, 0.9), &end));
    assert_false(feed(&cd, &t, ok(2 * S, 0.1), &end)); /* recovered: starts again */
    assert_int_equal(t.since_us, -1);
    assert_false(feed(&cd, &t, ok(3 * S, 0.9), &end));
    assert_false(feed(&cd, &t, gap(4 * S, GAP_NO_FINISHED), &end)); /* not seeing is not recovering */
    assert_true(feed(&cd, &t, ok(5 * S, 0.8), &end));
    assert_int_equal(end, 6 * S);
    /* without for: the first bad sample */
    condition_def now = {.bound = BOUND_ABOVE, .threshold = 0.5};
    stop_tracker t2 = {.since_us = -1};
    assert_true(feed(&now, &t2, ok(7 * S, 0.6), &end));
}

static void windows_from_hosts_merge_exactly(void **state) {
    (void)state;
    /* Host a: 99 fast requests; host b: 1 request of 2 s. The union's p99
     * is fast, its max 2 s; the largest per-host p99 (the old upper bound)
     * would have said 2 s. */
    fl_hist *a = fl_hist_new(), *b = fl_hist_new(), *merged = fl_hist_new();
    for (int i = 0; i < 99; i++)
        fl_hist_record(a, 1000);
    fl_hist_record(b, 2000000);
    exp_window wa = {
        .t_us = 1000, .len_us = S, .requests = 99, .sent = 100, .errors = 1, .waiting = 1, .oldest_waiting = 3};
    exp_window wb = {.t_us = 900, .len_us = S, .requests = 1, .sent = 1};
    exp_window m = {0};
    exp_window_add(&m, &wa, true);
    exp_window_add(&m, &wb, false);
    fl_hist_merge(merged, a);
    fl_hist_merge(merged, b);
    exp_window_latency(&m, merged);
    assert_int_equal(m.requests, 100);
    assert_int_equal(m.sent, 101);
    assert_int_equal(m.errors, 1);
    assert_int_equal(m.waiting, 1);
    assert_int_equal(m.t_us, 900);
    assert_int_equal(m.latency_count, 100);
    assert_true(m.p99 >= 0.99 && m.p99 <= 1.01);
    assert_true(m.max >= 1999 && m.max <= 2001);
    /* nothing seen anywhere: no latency at all */
    fl_hist_reset(merged);
    exp_window empty = {0};
    exp_window_latency(&empty, merged);
    assert_int_equal(empty.latency_count, 0);
    fl_hist_free(a);
    fl_hist_free(b);
    fl_hist_free(merged);
}

/* The stream line round trip carries the histogram. */
static void window_line_round_trip(void **state) {
    (void)state;
    const char *line = "{\"window\":3,\"start_ms\":3000.0,\"length_ms\":1000.0,\"sent\":10,\"requests\":9,"
                       "\"errors\":1,\"late\":0,\"in_flight\":1,\"backlog\":0,\"latency_count\":10,\"p50_us\":1000,"
                       "\"p90_us\":1000,\"p99_us\":5000,\"p999_us\":5000,\"max_us\":5000,\"oldest_waiting_us\":5000,"
                       "\"seen\":[[1000,9],[5000,1]]}";
    fl_load_window w;
    fl_hist *seen = fl_hist_new();
    assert_int_equal(fl_load_window_parse(line, &w, seen), 0);
    assert_int_equal(w.index, 3);
    assert_int_equal(w.start_us, 3000000);
    assert_int_equal(w.in_flight, 1);
    assert_int_equal(fl_hist_count(seen), 10);
    assert_int_equal(fl_hist_max(seen), 5000);
    assert_int_equal(fl_load_window_parse("{\"requests\":1}", &w, seen), -1);
    fl_hist_free(seen);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_sample_holds_and_covers_the_phase),
        cmocka_unit_test(few_good_samples_are_no_data_never_a_pass),
        cmocka_unit_test(a_failing_sample_fails_whatever_the_coverage),
        cmocka_unit_test(samples_never_taken_count_against_coverage),
        cmocka_unit_test(only_samples_mostly_inside_the_phase_count),
        cmocka_unit_test(lower_bounds_are_values_and_marked),
        cmocka_unit_test(phases_follow_what_happened),
        cmocka_unit_test(stop_condition_needs_the_breach_to_last),
        cmocka_unit_test(windows_from_hosts_merge_exactly),
        cmocka_unit_test(window_line_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
