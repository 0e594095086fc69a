/* A C test suite embedding faultline, as the case study used its library:
 * start an attack in the test's setup (@Before), exercise the code under
 * test, stop it in teardown (@After). Build against the installed library:
 *
 *     cc embed.c $(pkg-config --cflags --libs faultline) -o embed
 *
 * This one holds two cores at 50% while it times a CPU-bound loop, and
 * checks the loop still finishes within its budget. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c17 */
#include <faultline.h>

#include <stdio.h>
#include <time.h>

static fl_fault *fault;
static fl_spec *spec;

static int setup(void) /* @Before */
{
    fl_error err;
    spec = fl_spec_new("cpu", &err);
    if (!spec || fl_spec_set(spec, "load", "50%", &err) || fl_spec_set(spec, "workers", "2", &err) ||
        fl_spec_set(spec, "duration", "30s", &err)) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    fault = fl_fault_start(spec, 0, &err); /* returns once applied and verified */
    if (!fault) {
        fprintf(stderr, "setup: %s (exit code class %d)\n", err.message, err.code);
        return -1;
    }
    printf("setup: %s active: %s\n", fl_fault_id(fault), fl_fault_verified(fault));
    return 0;
}

static void teardown(void) /* @After: always runs; the fault is also rolled back if we crash */
{
    fl_error err;
    if (fault && fl_fault_stop(fault, &err) != 0)
        fprintf(stderr, "teardown: %s\n", err.message);
    fl_fault_free(fault);
    fl_spec_free(spec);
}

static int test_loop_finishes_within_budget(void) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 50000000UL; i++)
        x += i;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("test: loop (sum %lu) took %.1f ms under cpu pressure (budget 5000 ms)\n", (unsigned long)x, ms);
    return ms < 5000 ? 0 : 1;
}

int main(void) {
    if (setup() != 0) {
        teardown();
        return 2;
    }
    int failed = test_loop_finishes_within_budget();
    teardown();
    printf("%s\n", failed ? "FAIL" : "PASS");
    return failed;
}
