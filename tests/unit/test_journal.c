/* The journal: durable records, conflicts, undo operations, rollback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/internal.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-journal-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    setenv("FAULTLINE_STATE_DIR", dir, 1);
    fl_error err;
    return fl_state_prepare(&err);
}

static int teardown(void **state)
{
    (void)state;
    json_t *all = fl_journal_load_all();
    size_t i;
    json_t *rec;
    json_array_foreach(all, i, rec) fl_journal_remove(json_string_value(json_object_get(rec, "id")));
    json_decref(all);
    return 0;
}

static json_t *record(const char *id, const char *claim)
{
    unsigned long long start;
    fl_proc_start_ticks(getpid(), &start);
    return json_pack("{s:s, s:s, s:[s], s:s, s:{s:i, s:I}, s:I, s:I, s:[]}", "id", id, "kind", "test", "claims",
                     claim, "state", "active", "owner", "pid", (int)getpid(), "start", (json_int_t)start,
                     "started_us", (json_int_t)fl_wall_us(), "expires_us", (json_int_t)fl_wall_us(), "undo");
}

static void state_dir_must_be_private(void **state)
{
    (void)state;
    fl_error err;
    chmod(dir, 0755);
    assert_int_equal(fl_state_prepare(&err), -1);
    assert_non_null(strstr(err.message, "0700"));
    chmod(dir, 0700);
    assert_int_equal(fl_state_prepare(&err), 0);
}

static void save_load_remove(void **state)
{
    (void)state;
    fl_error err;
    json_t *rec = record("t-1", "x");
    assert_int_equal(fl_journal_create(rec, &err), 0);
    json_t *back = fl_journal_load("t-1");
    assert_non_null(back);
    assert_true(json_equal(rec, back));
    assert_true(fl_journal_owner_alive(back));
    char path[256];
    snprintf(path, sizeof(path), "%s/faults/t-1.json", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(fl_journal_remove("t-1"), 0);
    assert_null(fl_journal_load("t-1"));
    json_decref(rec);
    json_decref(back);
}

static void conflicting_claims_are_refused(void **state)
{
    (void)state;
    fl_error err;
    json_t *a = record("t-a", "cpu:0"), *b = record("t-b", "cpu:0"), *c = record("t-c", "cpu:1");
    assert_int_equal(fl_journal_create(a, &err), 0);
    assert_int_equal(fl_journal_create(b, &err), -1);
    assert_non_null(strstr(err.message, "t-a"));
    assert_non_null(strstr(err.message, "cpu:0"));
    assert_int_equal(fl_journal_create(c, &err), 0);
    json_t *all = fl_journal_load_all();
    assert_int_equal(json_array_size(all), 2);
    json_decref(all);
    json_decref(a), json_decref(b), json_decref(c);
}

static void rollback_runs_undo_in_reverse_and_is_idempotent(void **state)
{
    (void)state;
    fl_error err;
    char file[256];
    snprintf(file, sizeof(file), "%s/victim", dir);
    FILE *f = fopen(file, "w");
    fputs("x", f);
    fclose(f);
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    usleep(20000);
    kill(child, SIGSTOP);
    json_t *rec = record("t-r", "r");
    json_t *undo = json_object_get(rec, "undo");
    json_array_append_new(undo, fl_undo_unlink(file));
    json_array_append_new(undo, fl_undo_signal(child, SIGCONT, "child"));
    json_array_append_new(undo, fl_undo_kill(child, "child"));
    assert_int_equal(fl_journal_create(rec, &err), 0);
    char text[128];
    fl_undo_describe(json_array_get(undo, 0), text, sizeof(text));
    assert_non_null(strstr(text, "remove"));
    assert_int_equal(fl_rollback_id("t-r", &err), 0);
    assert_int_equal(access(file, F_OK), -1);
    assert_false(fl_proc_is(child, 0));
    assert_null(fl_journal_load("t-r"));
    assert_int_equal(fl_rollback_id("t-r", &err), 0); /* again: nothing to do */
    json_decref(rec);
}

static void pid_reuse_is_not_touched(void **state)
{
    (void)state;
    fl_error err;
    json_t *op = fl_undo_kill(getpid(), "me");
    json_object_set_new(op, "start", json_integer(1)); /* same pid, another process */
    assert_int_equal(fl_undo_run(op, &err), 0);       /* and we are still alive */
    json_decref(op);
    json_t *unknown = json_pack("{s:s}", "op", "from-the-future");
    assert_int_equal(fl_undo_run(unknown, &err), -1);
    json_decref(unknown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(state_dir_must_be_private, teardown),
        cmocka_unit_test_teardown(save_load_remove, teardown),
        cmocka_unit_test_teardown(conflicting_claims_are_refused, teardown),
        cmocka_unit_test_teardown(rollback_runs_undo_in_reverse_and_is_idempotent, teardown),
        cmocka_unit_test_teardown(pid_reuse_is_not_touched, teardown),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
