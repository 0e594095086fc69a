/* The library API as an embedding test suite uses it: start in setup, stop
 * in teardown; detached faults stopped by id; an attached fault rolled back
 * when its handle is freed or its process dies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faultline.h"

static char dir[64];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-lib-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    setenv("FAULTLINE_STATE_DIR", dir, 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    fl_error err;
    fl_recover(FL_RECOVER_ALL, NULL, NULL, &err);
    return 0;
}

static size_t active_count(void) {
    fl_fault_status *list;
    size_t n;
    fl_error err;
    fl_status_list(&list, &n, &err);
    fl_status_free(list, n);
    return n;
}

static fl_spec *cpu_spec(const char *duration) {
    fl_error err;
    fl_spec *spec = fl_spec_new("cpu", &err);
    assert_non_null(spec);
    assert_int_equal(fl_spec_set(spec, "load", "10%", &err), 0);
    assert_int_equal(fl_spec_set(spec, "workers", "1", &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", duration, &err), 0);
    return spec;
}

static void start_and_stop(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = cpu_spec("30s");
    fl_fault *fault = fl_fault_start(spec, 0, &err);
    assert_non_null(fault);
    assert_non_null(strstr(fl_fault_id(fault), "cpu-"));
    assert_non_null(strstr(fl_fault_applied(fault), "cpu worker 0"));
    assert_non_null(strstr(fl_fault_verified(fault), "1 workers running"));
    assert_true(fl_fault_expires_us(fault) - fl_fault_active_us(fault) == 30000000);
    assert_int_equal(active_count(), 1);
    fl_fault_status *list;
    size_t n;
    fl_status_list(&list, &n, &err);
    assert_string_equal(list[0].state, "active");
    assert_int_equal(list[0].owner_pid, fl_fault_supervisor_pid(fault));
    fl_status_free(list, n);
    assert_int_equal(fl_fault_stop(fault, &err), 0);
    assert_int_equal(fl_fault_stop(fault, &err), 0); /* idempotent */
    assert_int_equal(active_count(), 0);
    fl_fault_free(fault);
    fl_spec_free(spec);
}

static void expires_by_itself(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = cpu_spec("300ms");
    fl_fault *fault = fl_fault_start(spec, 0, &err);
    assert_non_null(fault);
    assert_int_equal(fl_fault_wait(fault, 5000, &err), 1);
    assert_int_equal(active_count(), 0);
    fl_fault_free(fault);
    fl_spec_free(spec);
}

static void free_rolls_back(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = cpu_spec("30s");
    fl_fault *fault = fl_fault_start(spec, 0, &err);
    assert_non_null(fault);
    fl_fault_free(fault);
    assert_int_equal(active_count(), 0);
    fl_spec_free(spec);
}

static void detached_stop_by_id(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = cpu_spec("30s");
    fl_fault *fault = fl_fault_start(spec, FL_START_DETACH, &err);
    assert_non_null(fault);
    char id[40];
    snprintf(id, sizeof(id), "%s", fl_fault_id(fault));
    fl_fault_free(fault); /* detached: stays */
    assert_int_equal(active_count(), 1);
    assert_int_equal(fl_stop_id(id, &err), 0);
    assert_int_equal(active_count(), 0);
    assert_int_equal(fl_stop_id(id, &err), -1);
    assert_int_equal(err.code, FL_EINVAL);
    fl_spec_free(spec);
}

static void caller_death_rolls_back(void **state) {
    (void)state;
    pid_t child = fork();
    if (child == 0) {
        fl_error err;
        fl_spec *spec = cpu_spec("30s");
        if (!fl_fault_start(spec, 0, &err))
            _exit(1);
        kill(getpid(), SIGKILL); /* die without any cleanup */
    }
    int status;
    waitpid(child, &status, 0);
    for (int i = 0; i < 200 && active_count() > 0; i++)
        usleep(10000);
    assert_int_equal(active_count(), 0);
}

static void invalid_spec_applies_nothing(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = fl_spec_new("memory", &err);
    fl_spec_set(spec, "duration", "1s", &err);
    assert_null(fl_fault_start(spec, 0, &err));
    assert_int_equal(err.code, FL_EINVAL);
    assert_string_equal(err.field, "size");
    assert_int_equal(active_count(), 0);
    fl_spec_free(spec);
}

static void conflict_is_refused(void **state) {
    (void)state;
    fl_error err;
    fl_spec *a = cpu_spec("30s"), *b = cpu_spec("30s");
    fl_fault *fa = fl_fault_start(a, 0, &err);
    assert_non_null(fa);
    assert_null(fl_fault_start(b, 0, &err));
    assert_int_equal(err.code, FL_EAPPLY);
    assert_non_null(strstr(err.message, fl_fault_id(fa)));
    fl_fault_free(fa);
    fl_spec_free(a);
    fl_spec_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(start_and_stop, teardown),
        cmocka_unit_test_teardown(expires_by_itself, teardown),
        cmocka_unit_test_teardown(free_rolls_back, teardown),
        cmocka_unit_test_teardown(detached_stop_by_id, teardown),
        cmocka_unit_test_teardown(caller_death_rolls_back, teardown),
        cmocka_unit_test_teardown(invalid_spec_applies_nothing, teardown),
        cmocka_unit_test_teardown(conflict_is_refused, teardown),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
