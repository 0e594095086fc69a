/* The journal: durable records, conflicts, undo operations, rollback. */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/internal.h"

static char dir[64];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-journal-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    setenv("FAULTLINE_STATE_DIR", dir, 1);
    fl_error err;
    return fl_state_prepare(&err);
}

static int teardown(void **state) {
    (void)state;
    setenv("FAULTLINE_STATE_DIR", dir, 1);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s/faults %s/corrupt", dir, dir);
    if (system(cmd) != 0)
        return -1;
    fl_error err;
    return fl_state_prepare(&err);
}

/* Ids as faultline makes them: a kind of the catalog and 8 hex digits. */
#define ID(n) "cpu-0000000" #n

static json_t *record(const char *id, const char *claim) {
    unsigned long long start;
    fl_proc_start_ticks(getpid(), &start);
    return json_pack("{s:s, s:s, s:[s], s:s, s:{s:i, s:I}, s:I, s:I, s:[]}", "id", id, "kind", "cpu", "claims", claim,
                     "state", "active", "owner", "pid", (int)getpid(), "start", (json_int_t)start, "started_us",
                     (json_int_t)fl_wall_us(), "expires_us", (json_int_t)fl_wall_us(), "undo");
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static void state_dir_must_be_private(void **state) {
    (void)state;
    fl_error err;
    chmod(dir, 0755);
    assert_int_equal(fl_state_prepare(&err), -1);
    assert_non_null(strstr(err.message, "0700"));
    chmod(dir, 0700);
    assert_int_equal(fl_state_prepare(&err), 0);
}

static void save_load_remove(void **state) {
    (void)state;
    fl_error err;
    json_t *rec = record(ID(1), "x");
    assert_int_equal(fl_journal_create(rec, &err), 0);
    json_t *back = fl_journal_load(ID(1));
    assert_non_null(back);
    assert_true(json_equal(rec, back));
    assert_true(fl_journal_owner_alive(back));
    char path[256];
    snprintf(path, sizeof(path), "%s/faults/" ID(1) ".json", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(fl_journal_remove(ID(1)), 0);
    assert_null(fl_journal_load(ID(1)));
    json_decref(rec);
    json_decref(back);
}

static void conflicting_claims_are_refused(void **state) {
    (void)state;
    fl_error err;
    json_t *a = record(ID(a), "cpu:0"), *b = record(ID(b), "cpu:0"), *c = record(ID(c), "cpu:1");
    assert_int_equal(fl_journal_create(a, &err), 0);
    assert_int_equal(fl_journal_create(b, &err), -1);
    assert_non_null(strstr(err.message, ID(a)));
    assert_non_null(strstr(err.message, "cpu:0"));
    assert_int_equal(fl_journal_create(c, &err), 0);
    json_t *all = fl_journal_load_all();
    assert_int_equal(json_array_size(all), 2);
    json_decref(all);
    json_decref(a), json_decref(b), json_decref(c);
}

static void rollback_runs_undo_in_reverse_and_is_idempotent(void **state) {
    (void)state;
    fl_error err;
    char file[256];
    snprintf(file, sizeof(file), "%s/faultline-fill-" ID(e) ".tmp", dir);
    write_text(file, "x");
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_NAME, "fl-child");
        for (;;)
            pause();
    }
    usleep(20000);
    kill(child, SIGSTOP);
    json_t *rec = record(ID(e), "r");
    json_t *undo = json_object_get(rec, "undo");
    json_array_append_new(undo, fl_undo_unlink(file));
    json_array_append_new(undo, fl_undo_signal(child, SIGCONT, "child"));
    json_array_append_new(undo, fl_undo_kill(child, "fl-child"));
    assert_int_equal(fl_journal_create(rec, &err), 0);
    char text[128];
    fl_undo_describe(json_array_get(undo, 0), text, sizeof(text));
    assert_non_null(strstr(text, "remove"));
    assert_int_equal(fl_rollback_id(ID(e), &err), 0);
    assert_int_equal(access(file, F_OK), -1);
    assert_false(fl_proc_is(child, 0));
    assert_null(fl_journal_load(ID(e)));
    assert_int_equal(fl_rollback_id(ID(e), &err), 0); /* again: nothing to do */
    json_decref(rec);
}

static void pid_reuse_is_not_touched(void **state) {
    (void)state;
    fl_error err;
    json_t *op = fl_undo_kill(getpid(), "fl-me");
    json_object_set_new(op, "start", json_integer(1)); /* same pid, another process */
    assert_int_equal(fl_undo_run(op, &err), 0);        /* and we are still alive */
    json_decref(op);
    json_t *unknown = json_pack("{s:s}", "op", "from-the-future");
    assert_int_equal(fl_undo_run(unknown, &err), -1);
    json_decref(unknown);
}

/* Item 1 (issue 16): a journal that someone else could have written is never
 * read, let alone executed; the check follows no symlink. */
static void untrusted_state_dir_is_not_read(void **state) {
    (void)state;
    char victim[256], path[300];
    snprintf(victim, sizeof(victim), "%s.victim", dir);
    mkdir(victim, 0700);
    snprintf(path, sizeof(path), "%s/faultline-fill-" ID(f) ".tmp", victim);
    write_text(path, "x");
    json_t *rec = record(ID(f), "f");
    json_object_set_new(json_object_get(rec, "owner"), "pid", json_integer(4194304)); /* a dead owner */
    json_array_append_new(json_object_get(rec, "undo"), fl_undo_unlink(path));
    fl_error err;
    assert_int_equal(fl_journal_save(rec, &err), 0);
    json_decref(rec);

    chmod(dir, 0777); /* anyone could have put that record there */
    assert_int_equal(fl_state_check(&err), -1);
    assert_int_equal(fl_recover(0, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.message, "0700"));
    fl_fault_status *list;
    size_t n;
    assert_int_equal(fl_status_list(&list, &n, &err), -1);
    assert_true(exists(path));
    chmod(dir, 0700);

    char link[300];
    snprintf(link, sizeof(link), "%s.link", dir);
    unlink(link);
    assert_int_equal(symlink(dir, link), 0);
    setenv("FAULTLINE_STATE_DIR", link, 1);
    assert_int_equal(fl_state_check(&err), -1);
    assert_non_null(strstr(err.message, "symlink"));
    assert_int_equal(fl_recover(0, NULL, NULL, &err), -1);
    assert_true(exists(path));
    unlink(link);
    setenv("FAULTLINE_STATE_DIR", dir, 1);
    assert_int_equal(fl_recover(0, NULL, NULL, &err), 1); /* trusted again: now it is undone */
    assert_false(exists(path));
    rmdir(victim);
}

/* Item 1: every field is validated; operations faultline never writes are
 * not run, whatever the record around them. */
static void forged_operations_are_refused(void **state) {
    (void)state;
    char why[300];
    json_t *op = fl_undo_unlink("/etc/passwd");
    assert_false(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    op = fl_undo_unlink("/tmp/../etc/faultline-fill-" ID(1) ".tmp");
    assert_false(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    op = fl_undo_unlink("/tmp/faultline-fill-" ID(2) ".tmp"); /* another fault's file */
    assert_false(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    op = fl_undo_unlink("/tmp/x/faultline-io-" ID(1) "-3.tmp");
    assert_true(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    /* The packet engine's counters file: beside the fault's record only. */
    char counters[1024];
    snprintf(counters, sizeof(counters), "%s/faults/%s.engine", fl_state_dir(), ID(1));
    op = fl_undo_unlink(counters);
    assert_true(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    op = fl_undo_unlink("/etc/" ID(1) ".engine");
    assert_false(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    snprintf(counters, sizeof(counters), "%s/faults/%s.engine", fl_state_dir(), ID(2));
    op = fl_undo_unlink(counters); /* another fault's */
    assert_false(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    op = json_pack("{s:s, s:s, s:s}", "op", "nft_delete_table", "family", "inet", "name",
                   "faultline_a\nadd table inet injected_by_journal");
    assert_false(fl_undo_check(op, "blackhole-0000000a", why, sizeof(why)));
    fl_error err;
    assert_int_equal(fl_undo_run(op, &err), -1); /* and the runner refuses the name by itself */
    json_decref(op);
    op = json_pack("{s:s, s:i, s:I, s:s}", "op", "kill", "pid", 1, "start", (json_int_t)1, "label", "fl-x");
    assert_false(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    op = fl_undo_kill(getppid(), "sshd"); /* not a worker's label */
    assert_false(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    op = fl_undo_signal(getppid(), SIGKILL, "x");
    assert_false(fl_undo_check(op, ID(1), why, sizeof(why)));
    json_decref(op);
    /* A kill of a live process whose name is not the worker's is refused at
     * run time too (a pid+start read from /proc by whoever forged it). */
    op = fl_undo_kill(getpid(), "fl-worker");
    assert_int_equal(fl_undo_run(op, &err), -1);
    json_decref(op);

    json_t *rec = record(ID(1), "x");
    json_object_set_new(rec, "id", json_string(ID(2)));
    assert_false(fl_record_check(rec, ID(1), why, sizeof(why)));
    json_object_set_new(rec, "id", json_string(ID(1)));
    assert_true(fl_record_check(rec, ID(1), why, sizeof(why)));
    json_object_set_new(rec, "state", json_string("whatever"));
    assert_false(fl_record_check(rec, ID(1), why, sizeof(why)));
    json_decref(rec);
}

/* Item 2: only fault ids name records; a path never does. */
static void ids_are_validated(void **state) {
    (void)state;
    assert_true(fl_fault_id_valid("cpu-0a1b2c3d"));
    assert_true(fl_fault_id_valid("packet-loss-0a1b2c3d"));
    assert_false(fl_fault_id_valid("../../x"));
    assert_false(fl_fault_id_valid("a/b"));
    assert_false(fl_fault_id_valid("cpu-0A1B2C3D"));
    assert_false(fl_fault_id_valid("nosuchkind-0a1b2c3d"));
    assert_false(fl_fault_id_valid("cpu-0a1b2c3d/../../x"));
    char outside[300], path[300];
    snprintf(outside, sizeof(outside), "%s.x.json", dir);
    snprintf(path, sizeof(path), "%s/faultline-fill-" ID(1) ".tmp", dir);
    write_text(path, "x");
    json_t *rec = record(ID(1), "x");
    json_array_append_new(json_object_get(rec, "undo"), fl_undo_unlink(path));
    char *text = json_dumps(rec, 0);
    write_text(outside, text);
    free(text);
    json_decref(rec);
    char rel[400];
    snprintf(rel, sizeof(rel), "../../../../../../..%s.x", dir);
    fl_error err;
    assert_int_equal(fl_stop_id(rel, &err), -1);
    assert_int_equal(err.code, FL_EINVAL);
    assert_non_null(strstr(err.message, "not a fault id"));
    assert_int_equal(fl_rollback_id(rel, &err), -1);
    assert_true(exists(path));
    unlink(outside);
    unlink(path);
}

/* Item 3: a record that cannot be read is reported, kept aside, and what
 * can still be identified as ours in it is undone. */
static void corrupt_records_are_reported_kept_and_salvaged(void **state) {
    (void)state;
    char file[300], path[300];
    snprintf(file, sizeof(file), "%s/faultline-fill-disk-fill-0000000c.tmp", dir);
    write_text(file, "x");
    json_t *rec = record("disk-fill-0000000c", "c");
    json_object_set_new(rec, "kind", json_string("disk-fill"));
    json_object_set_new(json_object_get(rec, "owner"), "pid", json_integer(4194304));
    json_array_append_new(json_object_get(rec, "undo"), fl_undo_unlink(file));
    char *text = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(rec);
    /* Cut just after the undo operation: the record's end is lost. */
    char *cut = strstr(text, "\"path\"");
    cut = strchr(cut, '}') + 1;
    *cut = '\0';
    snprintf(path, sizeof(path), "%s/faults/disk-fill-0000000c.json", dir);
    write_text(path, text);
    free(text);

    fl_fault_status *list;
    size_t n;
    fl_error err;
    assert_int_equal(fl_status_list(&list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].state, "corrupt");
    assert_non_null(strstr(list[0].file, "disk-fill-0000000c.json"));
    fl_status_free(list, n);
    json_t *other = record(ID(9), "other");
    assert_int_equal(fl_journal_create(other, &err), -1); /* nothing new meanwhile */
    json_decref(other);

    assert_int_equal(fl_recover(0, NULL, NULL, &err), -1);
    assert_int_equal(err.code, FL_EAPPLY);
    assert_non_null(strstr(err.message, "disk-fill-0000000c.json"));
    assert_false(exists(file)); /* undone: the name faultline gave it */
    assert_false(exists(path)); /* and the record moved aside */
    char kept[300];
    snprintf(kept, sizeof(kept), "%s/corrupt/disk-fill-0000000c.json", dir);
    assert_true(exists(kept));
    assert_int_equal(fl_recover(0, NULL, NULL, &err), -1); /* until someone looks at it */
    assert_non_null(strstr(err.message, "kept for inspection"));
    assert_int_equal(fl_status_list(&list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].state, "corrupt");
    fl_status_free(list, n);
    unlink(kept);
    assert_int_equal(fl_recover(0, NULL, NULL, &err), 0);
}

/* Item 3: no silent cap on the number of records. */
static void more_than_4096_records_are_all_seen(void **state) {
    (void)state;
    fl_error err;
    for (int i = 0; i < 4200; i++) {
        char id[40];
        snprintf(id, sizeof(id), "cpu-%08x", i);
        json_t *rec = record(id, id);
        assert_int_equal(fl_journal_save(rec, &err), 0);
        json_decref(rec);
    }
    json_t *all = fl_journal_load_all();
    assert_int_equal(json_array_size(all), 4200);
    json_decref(all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(state_dir_must_be_private, teardown),
        cmocka_unit_test_teardown(save_load_remove, teardown),
        cmocka_unit_test_teardown(conflicting_claims_are_refused, teardown),
        cmocka_unit_test_teardown(rollback_runs_undo_in_reverse_and_is_idempotent, teardown),
        cmocka_unit_test_teardown(pid_reuse_is_not_touched, teardown),
        cmocka_unit_test_teardown(untrusted_state_dir_is_not_read, teardown),
        cmocka_unit_test_teardown(forged_operations_are_refused, teardown),
        cmocka_unit_test_teardown(ids_are_validated, teardown),
        cmocka_unit_test_teardown(corrupt_records_are_reported_kept_and_salvaged, teardown),
        cmocka_unit_test_teardown(more_than_4096_records_are_all_seen, teardown),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
