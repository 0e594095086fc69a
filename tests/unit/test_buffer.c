/* The capped growable buffer (src/core/buffer.c) used for libcurl bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty),     cmocka_unit_test(grows_and_terminates),
        cmocka_unit_test(fail_mode), cmocka_unit_test(truncate_mode),
        cmocka_unit_test(zero_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
