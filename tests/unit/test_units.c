/* Unit parsing: durations, sizes, percentages, rates, cpu lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static void durations(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int64_t us;
    } good[] = {
        {"500us", 500},      {"40ms", 40000},   {"2s", 2000000}, {"1m", 60000000}, {"1h", 3600000000LL},
        {"1m30s", 90000000}, {"1.5s", 1500000}, {"0.5ms", 500},  {"0s", 0},        {"12h", 43200000000LL},
    };
    fl_error err;
    for (size_t i = 0; i < FL_ARRAY_LEN(good); i++) {
        int64_t us = -1;
        assert_int_equal(fl_parse_duration(good[i].text, "duration", &us, &err), 0);
        assert_int_equal(us, good[i].us);
    }
    const char *bad[] = {"", "5", "-1s", "1x", "s", "1.s", "1e3ms", "1 s", "0x10s", "1sec", "ms5", "1s2"};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        int64_t us;
        assert_int_equal(fl_parse_duration(bad[i], "delay", &us, &err), -1);
        assert_int_equal(err.code, FL_EINVAL);
        assert_string_equal(err.field, "delay");
        /* the field first, without CLI syntax: the CLI adds the "--" */
        assert_int_equal(strncmp(err.message, "delay: ", 7), 0);
        assert_null(strstr(err.message, "--"));
    }
    char buf[32];
    assert_string_equal(fl_format_duration(90000000, buf, sizeof(buf)), "1m30s");
    assert_string_equal(fl_format_duration(40000, buf, sizeof(buf)), "40ms");
    assert_string_equal(fl_format_duration(2000000, buf, sizeof(buf)), "2s");
    assert_string_equal(fl_format_duration(7200000000LL, buf, sizeof(buf)), "2h");
    assert_string_equal(fl_format_duration(1500, buf, sizeof(buf)), "1500us");
}

static void sizes(void **state) {
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {
        {"4096", 4096},       {"512K", 512 << 10},    {"512M", 512ULL << 20}, {"2G", 2ULL << 30},   {"1T", 1ULL << 40},
        {"1.5G", 3ULL << 29}, {"64MiB", 64ULL << 20}, {"64MB", 64ULL << 20},  {"64m", 64ULL << 20}, {"0", 0},
    };
    fl_error err;
    for (size_t i = 0; i < FL_ARRAY_LEN(good); i++) {
        uint64_t b = 1;
        assert_int_equal(fl_parse_size(good[i].text, "size", &b, &err), 0);
        assert_int_equal(b, good[i].bytes);
    }
    const char *bad[] = {"", "M", "-1M", "12X", "1.5.5G", "1 G", "99999999999T", "0x100"};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        uint64_t b;
        assert_int_equal(fl_parse_size(bad[i], "size", &b, &err), -1);
        assert_string_equal(err.field, "size");
    }
    char buf[32];
    assert_string_equal(fl_format_size(256ULL << 20, buf, sizeof(buf)), "256M");
    assert_string_equal(fl_format_size(3ULL << 29, buf, sizeof(buf)), "1.5G");
    assert_string_equal(fl_format_size(100, buf, sizeof(buf)), "100");
}

static void percents_and_rates(void **state) {
    (void)state;
    fl_error err;
    double v;
    assert_int_equal(fl_parse_percent("80%", "load", &v, &err), 0);
    assert_true(fabs(v - 80) < 1e-9);
    assert_int_equal(fl_parse_percent("0.5%", "load", &v, &err), 0);
    assert_true(fabs(v - 0.5) < 1e-9);
    assert_int_equal(fl_parse_percent("100", "load", &v, &err), 0);
    const char *bad[] = {"", "101%", "-5%", "5%%", "abc", "50 %"};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
        assert_int_equal(fl_parse_percent(bad[i], "load", &v, &err), -1);
    assert_int_equal(fl_parse_rate("1000/s", "rate", &v, &err), 0);
    assert_true(fabs(v - 1000) < 1e-9);
    assert_int_equal(fl_parse_rate("60/m", "rate", &v, &err), 0);
    assert_true(fabs(v - 1) < 1e-9);
    assert_int_equal(fl_parse_rate("max", "rate", &v, &err), 0);
    assert_true(isinf(v));
    assert_int_equal(fl_parse_rate("1000", "rate", &v, &err), -1);
    assert_int_equal(fl_parse_rate("0/s", "rate", &v, &err), -1);
}

static void cpulists(void **state) {
    (void)state;
    fl_error err;
    int *cpus;
    size_t n;
    assert_int_equal(fl_parse_cpulist("0-3,6,2", "cpus", &cpus, &n, &err), 0);
    assert_int_equal(n, 5);
    int want[] = {0, 1, 2, 3, 6};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cpus[i], want[i]);
    free(cpus);
    const char *bad[] = {"", "a", "3-1", "1,", "1-", "-1", "1;2", "5000"};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
        assert_int_equal(fl_parse_cpulist(bad[i], "cpus", &cpus, &n, &err), -1);
}

static void signals_by_name(void **state) {
    (void)state;
    int s;
    assert_int_equal(fl_parse_signal("SIGTERM", &s), 0);
    assert_int_equal(s, 15);
    assert_int_equal(fl_parse_signal("kill", &s), 0);
    assert_int_equal(s, 9);
    assert_int_equal(fl_parse_signal("9", &s), 0);
    assert_int_equal(fl_parse_signal("SIGNOPE", &s), -1);
    assert_int_equal(fl_parse_signal("99", &s), -1);
    assert_string_equal(fl_signal_name(18), "SIGCONT");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations), cmocka_unit_test(sizes),           cmocka_unit_test(percents_and_rates),
        cmocka_unit_test(cpulists),  cmocka_unit_test(signals_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
