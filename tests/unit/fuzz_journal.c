/* libFuzzer target for journal records (issue 16): whatever bytes sit in a
 * record file, faultline neither crashes nor accepts an operation it would
 * not have written. The input is written as a record of one of a few ids
 * (the first byte chooses) in a private state directory and read back the
 * way status and recover read it (fl_journal_scan); the salvage of a corrupt
 * record runs too. Nothing is ever executed: the invariants are checked on
 * what was accepted.
 *   - a record accepted as valid has the file's id, and each of its undo
 *     operations passes fl_undo_check for that id;
 *   - an unlink names a file faultline creates for that id, a kill a
 *     process labelled fl-..., a table the name faultline gives that id;
 *   - every salvaged operation passes fl_undo_check. */
#include "core/internal.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ids[] = {"io-stress-0000000a", "latency-0000000b", "process-pause-0000000c",
                                  "disk-fill-0000000d", "blackhole-0000000e"};
static char state[64];

/* The private state directory goes when the fuzzer exits. */
static void remove_state(void) {
    char path[96];
    snprintf(path, sizeof(path), "%s/faults", state);
    rmdir(path);
    rmdir(state);
}

static void check_op(json_t *op, const char *id) {
    if (!fl_undo_check(op, id, NULL, 0))
        abort();
    const char *name = json_string_value(json_object_get(op, "op"));
    if (strcmp(name, "unlink") == 0 && !strstr(json_string_value(json_object_get(op, "path")), id))
        abort();
    if (strcmp(name, "kill") == 0 && strncmp(json_string_value(json_object_get(op, "label")), "fl-", 3) != 0)
        abort();
    if (strcmp(name, "nft_delete_table") == 0) {
        char table[128];
        fl_net_table_name(id, table, sizeof(table));
        if (strcmp(json_string_value(json_object_get(op, "name")), table) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!state[0]) {
        snprintf(state, sizeof(state), "/tmp/fl-fuzz-journal-XXXXXX");
        if (!mkdtemp(state))
            abort();
        setenv("FAULTLINE_STATE_DIR", state, 1);
        atexit(remove_state);
        fl_error err;
        if (fl_state_prepare(&err) != 0)
            abort();
    }
    const char *id = ids[size ? data[0] % FL_ARRAY_LEN(ids) : 0];
    const char *text = size ? (const char *)data + 1 : "";
    size_t len = size ? size - 1 : 0;
    char path[160];
    snprintf(path, sizeof(path), "%s/faults/%s.json", state, id);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || fl_write_all(fd, text, len) != 0)
        abort();
    close(fd);

    json_t *records, *corrupt;
    fl_error err;
    if (fl_journal_scan(&records, &corrupt, &err) != 0)
        abort();
    if (json_array_size(records) + json_array_size(corrupt) != 1)
        abort();
    size_t i, j;
    json_t *rec, *op;
    json_array_foreach(records, i, rec) {
        if (strcmp(json_string_value(json_object_get(rec, "id")), id) != 0)
            abort();
        json_array_foreach(json_object_get(rec, "undo"), j, op) check_op(op, id);
    }
    json_array_foreach(corrupt, i, rec) {
        if (!json_string_value(json_object_get(rec, "problem")))
            abort();
        json_t *owner = NULL;
        json_t *ops = fl_journal_salvage(id, text, len, &owner);
        json_array_foreach(ops, j, op) check_op(op, id);
        if (owner && (json_integer_value(json_object_get(owner, "pid")) < 1))
            abort();
        json_decref(owner);
        json_decref(ops);
    }
    json_decref(records);
    json_decref(corrupt);
    unlink(path);
    return 0;
}
