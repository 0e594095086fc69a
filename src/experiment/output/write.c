/* What a run leaves in its output directory: result.json, junit.xml and
 * report.html, written by the report subsystem (fl_report_write_all). */
#include "core/internal.h"
#include "experiment/model/model.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int make_dirs(const char *dir, fl_error *err) {
    char path[4096];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return fl_fail(err, FL_EAPPLY, "out", "out: cannot create %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return fl_fail(err, FL_EAPPLY, "out", "out: cannot create %s: %s", path, strerror(errno));
    return 0;
}

int fl_experiment_write_output(const char *result_json, const char *dir, fl_error *err) {
    fl_error_clear(err);
    if (make_dirs(dir, err) != 0)
        return -1;
    return fl_report_write_all(result_json, dir, err);
}
