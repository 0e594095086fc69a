/* Specs: typed parameters, defaults, ranges, required and exclusive ones,
 * and the catalog's own consistency (every default parses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static void catalog_defaults_parse(void **state) {
    (void)state;
    assert_true(fl_attack_count() >= 6);
    for (size_t i = 0; i < fl_attack_count(); i++) {
        const fl_attack_info *a = fl_attack_at(i);
        fl_error err;
        fl_spec *spec = fl_spec_new(a->name, &err); /* parses every default */
        assert_non_null(spec);
        assert_string_equal(fl_spec_kind(spec), a->name);
        assert_non_null(a->summary);
        assert_non_null(a->details);
        for (size_t j = 0; j < a->n_params; j++) {
            assert_non_null(a->params[j].help);
            assert_true(strlen(a->params[j].name) < 20);
        }
        fl_spec_free(spec);
    }
    assert_null(fl_attack_find("nope"));
}

static void unknown_kind_and_param(void **state) {
    (void)state;
    fl_error err;
    assert_null(fl_spec_new("nope", &err));
    assert_int_equal(err.code, FL_EINVAL);
    assert_string_equal(err.field, "kind");
    fl_spec *spec = fl_spec_new("cpu", &err);
    assert_int_equal(fl_spec_set(spec, "bogus", "1", &err), -1);
    assert_string_equal(err.field, "bogus");
    assert_int_equal(strncmp(err.message, "bogus: ", 7), 0);
    assert_string_equal(fl_error_detail(&err), err.message + 7);
    fl_spec_free(spec);
}

static void values_and_ranges(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = fl_spec_new("cpu", &err);
    assert_true(fl_spec_pct(spec, "load") == 100.0); /* default */
    assert_false(fl_spec_given(spec, "load"));
    assert_int_equal(fl_spec_set(spec, "load", "50%", &err), 0);
    assert_true(fl_spec_pct(spec, "load") == 50.0);
    assert_true(fl_spec_given(spec, "load"));
    assert_int_equal(fl_spec_set(spec, "load", "60%", &err), -1); /* not repeatable */
    assert_non_null(strstr(err.message, "twice"));
    assert_int_equal(fl_spec_set(spec, "workers", "-1", &err), -1);
    assert_string_equal(err.field, "workers");
    assert_int_equal(fl_spec_set(spec, "workers", "abc", &err), -1);
    assert_int_equal(fl_spec_set(spec, "duration", "13h", &err), -1);
    assert_non_null(strstr(err.message, "maximum"));
    assert_int_equal(fl_spec_set(spec, "duration", "2s", &err), 0);
    assert_int_equal(fl_spec_duration_us(spec), 2000000);
    assert_int_equal(fl_spec_set(spec, "cgroup", "relative/path", &err), -1);
    assert_string_equal(err.field, "cgroup");
    fl_spec_free(spec);
}

static void duration_required_and_exclusive_options(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = fl_spec_new("cpu", &err);
    assert_int_equal(fl_spec_validate(spec, &err), -1);
    assert_string_equal(err.field, "duration");
    fl_spec_set(spec, "duration", "1s", &err);
    fl_spec_set(spec, "workers", "1", &err);
    fl_spec_set(spec, "cpus", "0", &err);
    assert_int_equal(fl_spec_validate(spec, &err), -1);
    assert_string_equal(err.field, "cpus");
    fl_spec_free(spec);

    spec = fl_spec_new("memory", &err);
    fl_spec_set(spec, "duration", "1s", &err);
    assert_int_equal(fl_spec_validate(spec, &err), -1); /* neither size nor percent */
    assert_string_equal(err.field, "size");
    fl_spec_set(spec, "size", "1M", &err);
    fl_spec_set(spec, "percent", "1%", &err);
    assert_int_equal(fl_spec_validate(spec, &err), -1); /* both */
    fl_spec_free(spec);

    spec = fl_spec_new("process-kill", &err); /* instant: no duration */
    assert_int_equal(fl_spec_set(spec, "duration", "1s", &err), -1);
    assert_non_null(strstr(err.message, "instantaneous"));
    fl_spec_free(spec);
}

static void repeatable_and_json(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = fl_spec_new("process-pause", &err);
    assert_int_equal(fl_spec_set(spec, "pid", "100", &err), 0);
    assert_int_equal(fl_spec_set(spec, "pid", "200", &err), 0);
    assert_int_equal(fl_spec_value(spec, "pid")->n_list, 2);
    fl_spec_set(spec, "duration", "5s", &err);
    json_t *params = fl_spec_params_json(spec);
    assert_int_equal(json_array_size(json_object_get(params, "pid")), 2);
    assert_string_equal(json_string_value(json_object_get(params, "duration")), "5s");
    assert_string_equal(json_string_value(json_object_get(params, "count")), "0");
    json_decref(params);
    fl_spec_free(spec);
}

static void amount_and_enum(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = fl_spec_new("io-stress", &err);
    assert_int_equal(fl_spec_set(spec, "mode", "sideways", &err), -1);
    assert_non_null(strstr(err.message, "read|write|mixed"));
    assert_int_equal(fl_spec_set(spec, "mode", "mixed", &err), 0);
    fl_spec_free(spec);
    spec = fl_spec_new("disk-fill", &err);
    assert_int_equal(fl_spec_set(spec, "reserve", "10%", &err), 0);
    assert_true(fl_spec_value(spec, "reserve")->is_percent);
    fl_spec_free(spec);
    spec = fl_spec_new("disk-fill", &err);
    assert_int_equal(fl_spec_set(spec, "reserve", "100M", &err), 0);
    assert_false(fl_spec_value(spec, "reserve")->is_percent);
    assert_int_equal(fl_spec_value(spec, "reserve")->u64, 100ULL << 20);
    assert_int_equal(fl_spec_set(spec, "force", NULL, &err), 0);
    assert_true(fl_spec_bool(spec, "force"));
    fl_spec_free(spec);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalog_defaults_parse), cmocka_unit_test(unknown_kind_and_param),
        cmocka_unit_test(values_and_ranges),      cmocka_unit_test(duration_required_and_exclusive_options),
        cmocka_unit_test(repeatable_and_json),    cmocka_unit_test(amount_and_enum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
