/* Issue 16 in the library: sizes and counts at their limits (no
 * wrap-around), the memory attack's safety margins, YAML bounds, the
 * inventory's aliases and duplicates, the SSM session token. */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "fleet/fleet.h"
#include "fleet/ssm.h"

static char dir[64];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-harden-XXXXXX");
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

/* Item 4: every size is checked against what the arithmetic can hold. */
static void sizes_at_their_limits(void **state) {
    (void)state;
    uint64_t b;
    fl_error err;
    assert_int_equal(fl_parse_size("8388607T", "size", &b, &err), 0);
    assert_int_equal(b, 8388607ULL << 40);
    assert_int_equal(fl_parse_size("8388608T", "size", &b, &err), -1); /* 2^63 */
    assert_int_equal(fl_parse_size("16000000T", "size", &b, &err), -1);
    assert_non_null(strstr(err.message, "'16000000T' is too large"));
    assert_int_equal(fl_parse_size("99999999999999999999999999", "size", &b, &err), -1);
    uint64_t out;
    assert_true(fl_mul_u64(1ULL << 62, 3, &out));
    assert_false(fl_mul_u64(1ULL << 62, 4, &out));
    assert_false(fl_add_u64(UINT64_MAX, 1, &out));
    int64_t o;
    assert_false(fl_add_i64(INT64_MAX, 1, &o));

    /* 4194304T x 4 workers is 2^64: it used to wrap to 0 and pass the
     * free-space check. */
    fl_spec *spec = fl_spec_new("io-stress", &err);
    assert_int_equal(fl_spec_set(spec, "path", "/tmp", &err), 0);
    assert_int_equal(fl_spec_set(spec, "size", "4194304T", &err), 0);
    assert_int_equal(fl_spec_set(spec, "workers", "4", &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", "1s", &err), 0);
    assert_int_equal(fl_spec_validate(spec, &err), -1);
    assert_int_equal(err.code, FL_EINVAL);
    assert_string_equal(err.field, "size");
    fl_spec_free(spec);

    /* Messages name the value given. */
    int64_t us;
    assert_int_equal(fl_parse_duration("1e3s", "duration", &us, &err), -1);
    assert_null(strstr(err.message, "e.g. 1e3s"));
    assert_non_null(strstr(err.message, "'e3s' is not a unit"));
    assert_int_equal(fl_parse_duration("30", "duration", &us, &err), -1);
    assert_non_null(strstr(err.message, "e.g. 30s"));
    spec = fl_spec_new("memory", &err);
    assert_int_equal(fl_spec_set(spec, "size", "16000000T", &err), -1);
    assert_non_null(strstr(err.message, "16000000T"));
    fl_spec_free(spec);
}

/* Item 4: io-stress never writes through something planted at its file
 * name (a symlink to a file of root's): the attack is applied here by hand
 * with a known id, as a supervisor would. */
static void io_stress_never_writes_through_a_planted_symlink(void **state) {
    (void)state;
    char work[128], victim[160], planted[200];
    snprintf(work, sizeof(work), "%s.io", dir);
    mkdir(work, 0700);
    snprintf(victim, sizeof(victim), "%s.victim", dir);
    FILE *f = fopen(victim, "w");
    fputs("precious", f);
    fclose(f);
    snprintf(planted, sizeof(planted), "%s/faultline-io-io-stress-0000000a-0.tmp", work);
    assert_int_equal(symlink(victim, planted), 0);
    fl_error err;
    fl_spec *spec = fl_spec_new("io-stress", &err);
    assert_int_equal(fl_spec_set(spec, "path", work, &err), 0);
    assert_int_equal(fl_spec_set(spec, "size", "1M", &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", "1s", &err), 0);
    assert_int_equal(fl_spec_validate(spec, &err), 0);
    assert_int_equal(fl_state_prepare(&err), 0);
    fl_ctx ctx = {.spec = spec,
                  .rec = json_pack("{s:s, s:s, s:[]}", "id", "io-stress-0000000a", "kind", "io-stress", "undo")};
    int rc = spec->attack->apply(&ctx, &err);
    for (size_t i = 0; i < ctx.n_workers; i++) { /* only if it was not refused */
        usleep(200000);
        kill(ctx.workers[i], SIGKILL);
    }
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.message, "already there"));
    char text[32] = "";
    f = fopen(victim, "r");
    assert_non_null(fgets(text, sizeof(text), f));
    fclose(f);
    assert_string_equal(text, "precious");
    json_decref(ctx.rec);
    fl_journal_remove("io-stress-0000000a"); /* a bare record of this test's own */
    fl_spec_free(spec);
    unlink(planted);
    unlink(victim);
    rmdir(work);
}

static pid_t worker_pid(const fl_fault *fault) {
    const char *p = strstr(fl_fault_applied(fault), "pid ");
    return p ? (pid_t)atoi(p + 4) : 0;
}

static uint64_t mem_available(void) {
    FILE *f = fopen("/proc/meminfo", "re");
    char line[128];
    uint64_t kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %lu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024;
}

/* Item 10: the OOM killer takes the memory worker first. */
static void memory_worker_goes_first_under_oom(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = fl_spec_new("memory", &err);
    assert_int_equal(fl_spec_set(spec, "size", "16M", &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", "10s", &err), 0);
    fl_fault *fault = fl_fault_start(spec, 0, &err);
    assert_non_null(fault);
    char path[64], text[16] = "";
    snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)worker_pid(fault));
    FILE *f = fopen(path, "re");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof(text), f));
    fclose(f);
    assert_int_equal(atoi(text), 1000);
    assert_int_equal(fl_fault_stop(fault, &err), 0);
    fl_fault_free(fault);
    fl_spec_free(spec);
}

/* Item 10: the reserve is checked again when the memory is taken, not
 * only at validation: memory others took meanwhile counts. */
static void memory_reserve_is_rechecked_when_taking(void **state) {
    (void)state;
    const uint64_t size = 64ULL << 20, margin = 256ULL << 20, others = 768ULL << 20;
    fl_error err;
    fl_spec *spec = fl_spec_new("memory", &err);
    char reserve[32];
    snprintf(reserve, sizeof(reserve), "%llu", (unsigned long long)(mem_available() - size - margin));
    assert_int_equal(fl_spec_set(spec, "size", "64M", &err), 0);
    assert_int_equal(fl_spec_set(spec, "reserve", reserve, &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", "10s", &err), 0);
    assert_int_equal(fl_spec_validate(spec, &err), 0); /* 256M to spare now */
    /* Someone else takes 768M between validation and apply. */
    unsigned char *taken = mmap(NULL, others, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(taken != MAP_FAILED);
    for (uint64_t off = 0; off < others; off += 4096)
        taken[off] = 1;
    fl_fault *fault = fl_fault_start(spec, 0, &err);
    munmap(taken, others);
    if (fault) {
        fl_fault_stop(fault, NULL);
        fl_fault_free(fault);
    }
    assert_null(fault);
    assert_int_equal(err.code, FL_EAPPLY);
    assert_non_null(strstr(err.message, "reserve"));
    fl_spec_free(spec);
}

/* Item 11: nesting and size of YAML inputs are bounded before loading. */
static void yaml_bounds(void **state) {
    (void)state;
    char text[200];
    int line, col;
    char why[100];
    memset(text, '[', 64);
    memset(text + 64, ']', 64);
    text[128] = '\0';
    assert_int_equal(fl_yaml_bounded(text, strlen(text), false, &line, &col, why, sizeof(why)), 0);
    memset(text, '[', 65);
    memset(text + 65, ']', 65);
    text[130] = '\0';
    assert_int_equal(fl_yaml_bounded(text, strlen(text), false, &line, &col, why, sizeof(why)), -1);
    assert_int_equal(line, 1);
    assert_int_equal(col, 65);
    assert_non_null(strstr(why, "deeper than 64"));
    const char *alias = "a: &x 1\nb: *x\n";
    assert_int_equal(fl_yaml_bounded(alias, strlen(alias), false, &line, &col, why, sizeof(why)), 0);
    assert_int_equal(fl_yaml_bounded(alias, strlen(alias), true, &line, &col, why, sizeof(why)), -1);
    assert_int_equal(line, 2);

    /* A 1 MiB nesting bomb: refused, with its position, at once. */
    size_t n = 1 << 20;
    char *bomb = malloc(n);
    memset(bomb, '[', n);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fl_error err;
    fl_experiment *exp = fl_experiment_parse(bomb, n, "bomb.yaml", &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_null(exp);
    assert_int_equal(err.code, FL_EINVAL);
    assert_non_null(strstr(err.message, "bomb.yaml:1:65"));
    fl_inventory *inv = fl_inventory_parse(bomb, n, "bomb.yaml", &err);
    assert_null(inv);
    assert_int_equal(err.code, FL_EINVAL);
    free(bomb);
}

/* Item 13: the inventory refuses aliases, as the experiment parser does,
 * and finds duplicates among many hosts without comparing every pair. */
static void inventory_aliases_and_duplicates(void **state) {
    (void)state;
    fl_error err;
    const char *alias = "defaults: &d {user: root}\nhosts:\n  a: {address: 10.0.0.1}\n  b: *d\n";
    assert_null(fl_inventory_parse(alias, strlen(alias), "inv.yaml", &err));
    assert_int_equal(err.code, FL_EINVAL);
    assert_non_null(strstr(err.message, "inv.yaml:4:"));
    assert_non_null(strstr(err.message, "aliases"));

    size_t hosts = 20000, cap = hosts * 48 + 64, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "hosts:\n");
    for (size_t i = 0; i < hosts; i++)
        len += (size_t)snprintf(text + len, cap - len, "  h%zu: {address: 10.%zu.%zu.1}\n", i, i / 256 % 256, i % 256);
    len += (size_t)snprintf(text + len, cap - len, "groups:\n  g: [h7, h19999]\n");
    fl_inventory *inv = fl_inventory_parse(text, len, "big.yaml", &err);
    assert_non_null(inv);
    fl_inventory_free(inv);
    len += (size_t)snprintf(text + len, cap - len, "%s", ""); /* same text plus one duplicate: */
    char *dup = malloc(len + 64);
    char *groups = strstr(text, "groups:");
    size_t head = (size_t)(groups - text);
    memcpy(dup, text, head);
    size_t dl = head + (size_t)sprintf(dup + head, "  h12345: {address: 10.9.9.9}\n%s", groups);
    inv = fl_inventory_parse(dup, dl, "big.yaml", &err);
    assert_null(inv);
    assert_non_null(strstr(err.message, "host 'h12345' given twice"));
    assert_non_null(strstr(err.message, "big.yaml:20002:"));
    free(dup);
    free(text);
}

/* Item 13: a session token is never cut short. */
static void long_session_token_is_kept_whole(void **state) {
    (void)state;
    char *token = malloc(9001);
    memset(token, 'T', 3000);
    token[3000] = '\0';
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_SESSION_TOKEN", token, 1);
    fl_ssm_config cfg = {0};
    fl_error err;
    assert_int_equal(fl_ssm_config_load(&cfg, &err), 0);
    assert_int_equal(strlen(cfg.session_token), 3000);
    memset(token, 'T', 9000);
    token[9000] = '\0';
    setenv("AWS_SESSION_TOKEN", token, 1);
    fl_ssm_config big = {0};
    assert_int_equal(fl_ssm_config_load(&big, &err), -1);
    assert_int_equal(err.code, FL_EINVAL);
    assert_non_null(strstr(err.message, "AWS_SESSION_TOKEN"));
    unsetenv("AWS_SESSION_TOKEN");
    free(token);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_at_their_limits),
        cmocka_unit_test(io_stress_never_writes_through_a_planted_symlink),
        cmocka_unit_test_teardown(memory_worker_goes_first_under_oom, teardown),
        cmocka_unit_test_teardown(memory_reserve_is_rechecked_when_taking, teardown),
        cmocka_unit_test(yaml_bounds),
        cmocka_unit_test(inventory_aliases_and_duplicates),
        cmocka_unit_test(long_session_token_is_kept_whole),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
