/* The core helpers every layer shares (docs/architecture.md, "the library's
 * manners"): the allocation policy (src/core/xmalloc.c: fl_xmalloc and its
 * family never return NULL; out of memory they name the size on stderr and
 * abort), the monotonic clock, mkdir -p and JSON text of any bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define FL_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FL_TEST_ASAN 1
#endif
#endif

static void allocates(void **state) {
    (void)state;
    char *p = fl_xmalloc(0); /* a size of 0 is still a pointer to free */
    assert_non_null(p);
    free(p);
    int *zeros = fl_xcalloc(100, sizeof(int));
    for (int i = 0; i < 100; i++)
        assert_int_equal(zeros[i], 0);
    zeros[99] = 7;
    zeros = fl_xreallocarray(zeros, 1000, sizeof(int));
    assert_int_equal(zeros[99], 7);
    free(zeros);
    char *s = fl_xstrdup("faultline");
    assert_string_equal(s, "faultline");
    free(s);
    s = fl_xstrndup("faultline", 5);
    assert_string_equal(s, "fault");
    free(s);
    s = fl_xstrndup("ab", 10);
    assert_string_equal(s, "ab");
    free(s);
    s = fl_xasprintf("%s=%d", "workers", 4);
    assert_string_equal(s, "workers=4");
    free(s);
    s = fl_xrealloc(NULL, 3);
    memcpy(s, "ok", 3);
    assert_string_equal(s, "ok");
    free(s);
}

typedef void (*allocation)(void);

/* Runs `fn` in a child; returns the signal that ended it (0 if it exited)
 * and what it wrote on stderr. */
static int in_child(allocation fn, char *err, size_t len) {
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        signal(SIGABRT, SIG_DFL);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        fn();
        _exit(0);
    }
    close(pipefd[1]);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < len && (n = read(pipefd[0], err + got, len - 1 - got)) > 0)
        got += (size_t)n;
    err[got] = '\0';
    close(pipefd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void overflowing_array(void) {
    volatile size_t n = SIZE_MAX / 2 + 1;
    free(fl_xreallocarray(NULL, n, 4));
}

static void aborts_on_overflow(void **state) {
    (void)state;
    char err[512];
    assert_int_equal(in_child(overflowing_array, err, sizeof(err)), SIGABRT);
    assert_non_null(strstr(err, "faultline: out of memory allocating 9223372036854775808 x 4 bytes"));
}

#ifndef FL_TEST_ASAN
static void beyond_the_address_space_limit(void) {
    struct rlimit rl = {256u << 20, 256u << 20};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        _exit(2);
    volatile size_t size = 1u << 30;
    char *p = fl_xmalloc(size);
    p[0] = 1;
    free(p);
}
#endif

static void aborts_when_memory_is_short(void **state) {
    (void)state;
#ifdef FL_TEST_ASAN
    skip(); /* ASan reserves terabytes of address space: RLIMIT_AS cannot be set for it */
#else
    char err[512];
    assert_int_equal(in_child(beyond_the_address_space_limit, err, sizeof(err)), SIGABRT);
    assert_string_equal(err, "faultline: out of memory allocating 1073741824 bytes\n");
#endif
}

static void monotonic_clock(void **state) {
    (void)state;
    int64_t us = fl_mono_us(), ns = fl_mono_ns(), us2 = fl_mono_us();
    assert_true(us <= ns / 1000 && ns / 1000 <= us2); /* one clock, two resolutions */
    struct timespec now = fl_mono_deadline(0), later = fl_mono_deadline(1500000);
    assert_true(later.tv_nsec >= 0 && later.tv_nsec < 1000000000);
    int64_t gap_us = (later.tv_sec - now.tv_sec) * 1000000 + (later.tv_nsec - now.tv_nsec) / 1000;
    assert_true(gap_us >= 1500000);
    /* a timed wait on that clock ends at that deadline */
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond;
    fl_mono_cond_init(&cond);
    pthread_mutex_lock(&lock);
    int64_t before = fl_mono_us();
    struct timespec deadline = fl_mono_deadline(20000);
    int rc;
    while ((rc = pthread_cond_timedwait(&cond, &lock, &deadline)) == 0) {
    }
    assert_int_equal(rc, ETIMEDOUT);
    assert_true(fl_mono_us() - before >= 20000);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&cond);
}

static void makes_dirs(void **state) {
    (void)state;
    char root[] = "/tmp/fl-dirs-XXXXXX", path[128];
    assert_non_null(mkdtemp(root));
    fl_error err;
    snprintf(path, sizeof(path), "%s/a/b/c", root);
    assert_int_equal(fl_make_dirs(path, 0755, "out", &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(fl_make_dirs(path, 0755, "out", &err), 0); /* already there */
    snprintf(path, sizeof(path), "%s/a/file", root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(fl_make_dirs(path, 0755, "out", &err), -1);
    assert_string_equal(err.field, "out");
    assert_non_null(strstr(err.message, "out: "));
    assert_non_null(strstr(err.message, "is not a directory"));
    snprintf(path, sizeof(path), "%s/a/file/below", root);
    assert_int_equal(fl_make_dirs(path, 0755, "dir", &err), -1);
    assert_non_null(strstr(err.message, "dir: cannot create"));
    const char *made[] = {"a/file", "a/b/c", "a/b", "a", ""};
    for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", root, made[i]);
        assert_int_equal(remove(path), 0);
    }
}

static void json_text_of_any_bytes(void **state) {
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9 \xe6\x97\xa5", "caf\xc3\xa9 \xe6\x97\xa5"}, /* valid UTF-8 as it is */
        {"a\xff"
         "b",
         "a\xef\xbf\xbd"
         "b"},                                                                    /* a stray byte */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                                 /* an overlong '/' */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},                 /* a surrogate */
        {"end\xe6\x97", "end\xef\xbf\xbd\xef\xbf\xbd"},                           /* cut short */
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* above U+10FFFF */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *s = fl_json_text(cases[i].in);
        assert_non_null(s);
        assert_string_equal(json_string_value(s), cases[i].out);
        json_decref(s);
    }
    json_t *s = fl_json_text(NULL);
    assert_string_equal(json_string_value(s), "");
    json_decref(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocates),
        cmocka_unit_test(aborts_on_overflow),
        cmocka_unit_test(aborts_when_memory_is_short),
        cmocka_unit_test(monotonic_clock),
        cmocka_unit_test(makes_dirs),
        cmocka_unit_test(json_text_of_any_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
