/* The library's one growable buffer (src/core/buffer.c), capped or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buffer.h"

static void empty(void **state) {
    (void)state;
    fl_buffer b;
    fl_buffer_init(&b, 16, false);
    assert_null(b.data);
    assert_string_equal(fl_buffer_str(&b), "");
    assert_int_equal(fl_buffer_append(&b, "", 0), 0);
    assert_non_null(b.data);
    assert_string_equal(fl_buffer_str(&b), "");
    fl_buffer_free(&b);
    fl_buffer_free(&b); /* twice is harmless */
    assert_null(b.data);
}

static void grows_and_terminates(void **state) {
    (void)state;
    fl_buffer b;
    fl_buffer_init(&b, 1 << 20, false);
    char chunk[1000];
    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (char)('a' + i % 26);
    for (int i = 0; i < 300; i++)
        assert_int_equal(fl_buffer_append(&b, chunk, sizeof(chunk)), 0);
    assert_int_equal(b.len, 300000);
    assert_true(b.alloc > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(strlen(b.data), 300000);
    assert_memory_equal(b.data + 299000, chunk, sizeof(chunk));
    assert_false(b.truncated);
    assert_false(b.overflow);
    fl_buffer_free(&b);
}

static void fail_mode(void **state) {
    (void)state;
    fl_buffer b;
    fl_buffer_init(&b, 10, false);
    assert_int_equal(fl_buffer_append(&b, "hello", 5), 0);
    assert_int_equal(fl_buffer_append(&b, "world", 5), 0); /* exactly the cap */
    assert_string_equal(fl_buffer_str(&b), "helloworld");
    assert_int_equal(fl_buffer_append(&b, "!", 1), -1);
    assert_true(b.overflow);
    assert_string_equal(fl_buffer_str(&b), "helloworld"); /* unchanged */
    /* as a libcurl write callback: 0 makes the transfer fail */
    assert_int_equal(fl_buffer_curl_write("!", 1, 1, &b), 0);
    fl_buffer_reset(&b);
    assert_false(b.overflow);
    assert_int_equal(b.len, 0);
    assert_string_equal(fl_buffer_str(&b), "");
    assert_int_equal(fl_buffer_curl_write("abc", 1, 3, &b), 3);
    assert_int_equal(fl_buffer_curl_write("de", 2, 1, &b), 2);
    assert_string_equal(fl_buffer_str(&b), "abcde");
    fl_buffer_free(&b);
}

static void truncate_mode(void **state) {
    (void)state;
    fl_buffer b;
    fl_buffer_init(&b, 8, true);
    assert_int_equal(fl_buffer_append(&b, "12345", 5), 0);
    assert_false(b.truncated);
    assert_int_equal(fl_buffer_append(&b, "67890", 5), 0); /* keeps the beginning */
    assert_true(b.truncated);
    assert_string_equal(fl_buffer_str(&b), "12345678");
    assert_int_equal(fl_buffer_append(&b, "xyz", 3), 0); /* full: all dropped */
    assert_string_equal(fl_buffer_str(&b), "12345678");
    /* libcurl sees every byte taken, so the transfer goes on */
    assert_int_equal(fl_buffer_curl_write("more", 1, 4, &b), 4);
    assert_int_equal(b.len, 8);
    assert_false(b.overflow);
    fl_buffer_reset(&b);
    assert_false(b.truncated);
    assert_int_equal(fl_buffer_append(&b, "ab", 2), 0);
    assert_string_equal(fl_buffer_str(&b), "ab");
    fl_buffer_free(&b);
}

static void zero_cap(void **state) {
    (void)state;
    fl_buffer b;
    fl_buffer_init(&b, 0, true);
    assert_int_equal(fl_buffer_append(&b, "x", 1), 0);
    assert_int_equal(b.len, 0);
    assert_true(b.truncated);
    assert_string_equal(fl_buffer_str(&b), "");
    fl_buffer_free(&b);
    fl_buffer_init(&b, 0, false);
    assert_int_equal(fl_buffer_append(&b, "x", 1), -1);
    assert_int_equal(fl_buffer_append(&b, "", 0), 0);
    fl_buffer_free(&b);
}

static void text(void **state) {
    (void)state;
    fl_buffer b = FL_BUFFER_UNCAPPED;
    assert_int_equal(fl_buffer_puts(&b, "p99 "), 0);
    assert_int_equal(fl_buffer_printf(&b, "%d ms, %s", 40, "pass"), 0);
    assert_string_equal(fl_buffer_str(&b), "p99 40 ms, pass");
    assert_int_equal(b.len, strlen("p99 40 ms, pass"));
    char *taken = fl_buffer_take(&b);
    assert_string_equal(taken, "p99 40 ms, pass");
    free(taken);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_null(fl_buffer_take(&b));                  /* nothing appended since */
    assert_int_equal(fl_buffer_puts(&b, "again"), 0); /* still usable */
    assert_string_equal(fl_buffer_str(&b), "again");
    fl_buffer_free(&b);
    /* formatted text obeys the cap like any append */
    fl_buffer_init(&b, 6, true);
    assert_int_equal(fl_buffer_printf(&b, "%s", "truncated"), 0);
    assert_string_equal(fl_buffer_str(&b), "trunca");
    assert_true(b.truncated);
    fl_buffer_free(&b);
    fl_buffer_init(&b, 6, false);
    assert_int_equal(fl_buffer_printf(&b, "%d", 123), 0);
    assert_int_equal(fl_buffer_printf(&b, "%d", 4567), -1);
    assert_true(b.overflow);
    assert_string_equal(fl_buffer_str(&b), "123");
    fl_buffer_free(&b);
}

static void reads_fds(void **state) {
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "{\"ok\":true}\n", 12), 12);
    fl_buffer b = FL_BUFFER_UNCAPPED;
    /* a reply line: returns with the line, the writer still open */
    assert_int_equal(fl_buffer_read_fd(&b, fds[0], true), 0);
    assert_string_equal(fl_buffer_str(&b), "{\"ok\":true}\n");
    assert_int_equal(write(fds[1], "rest", 4), 4);
    close(fds[1]);
    assert_int_equal(fl_buffer_read_fd(&b, fds[0], false), 0); /* to the end */
    assert_string_equal(fl_buffer_str(&b), "{\"ok\":true}\nrest");
    close(fds[0]);
    fl_buffer_free(&b);
    /* over the cap in fail mode: -1 with overflow, as a file too large */
    assert_int_equal(pipe(fds), 0);
    char big[5000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(write(fds[1], big, sizeof(big)), (ssize_t)sizeof(big));
    close(fds[1]);
    fl_buffer_init(&b, 4096, false);
    assert_int_equal(fl_buffer_read_fd(&b, fds[0], false), -1);
    assert_true(b.overflow);
    close(fds[0]);
    fl_buffer_free(&b);
    /* a read error: -1 without overflow */
    assert_int_equal(fl_buffer_read_fd(&b, -1, false), -1);
    assert_false(b.overflow);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty),     cmocka_unit_test(grows_and_terminates),
        cmocka_unit_test(fail_mode), cmocka_unit_test(truncate_mode),
        cmocka_unit_test(zero_cap),  cmocka_unit_test(text),
        cmocka_unit_test(reads_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
