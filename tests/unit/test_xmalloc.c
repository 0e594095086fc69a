/* The allocation policy (src/core/xmalloc.c): fl_xmalloc and its family
 * never return NULL; out of memory they name the size on stderr and abort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

static void beyond_the_address_space_limit(void) {
    struct rlimit rl = {256u << 20, 256u << 20};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        _exit(2);
    volatile size_t size = 1u << 30;
    char *p = fl_xmalloc(size);
    p[0] = 1;
    free(p);
}

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocates),
        cmocka_unit_test(aborts_on_overflow),
        cmocka_unit_test(aborts_when_memory_is_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
