/* What a run leaves in its output directory: result.json, junit.xml and
 * report.html, written by the report subsystem (fl_report_write_all). */
#include "core/internal.h"
#include "experiment/model/model.h"

int fl_experiment_write_output(const char *result_json, const char *dir, fl_error *err) {
    fl_error_clear(err);
    if (fl_make_dirs(dir, 0755, "out", err) != 0)
        return -1;
    return fl_report_write_all(result_json, dir, err);
}
