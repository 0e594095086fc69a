/* What a run leaves in its output directory. The report subsystem
 * (src/report, fl_report_write_all) writes result.json, junit.xml and
 * report.html; until it is part of the build, result.json is written here. */
#include "core/internal.h"
#include "experiment/model/model.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_dirs(const char *dir, fl_error *err) {
    char path[4096];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return fl_fail(err, FL_EAPPLY, "out", "--out: cannot create %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return fl_fail(err, FL_EAPPLY, "out", "--out: cannot create %s: %s", path, strerror(errno));
    return 0;
}

int fl_experiment_write_output(const char *result_json, const char *dir, fl_error *err) {
    fl_error_clear(err);
    if (make_dirs(dir, err) != 0)
        return -1;
#ifdef FAULTLINE_HAVE_REPORT
    return fl_report_write_all(result_json, dir, err);
#else
    /* TODO(report): remove this branch once src/report provides
     * fl_report_write_all (junit.xml and report.html come from it). */
    char path[4200];
    snprintf(path, sizeof(path), "%s/result.json", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fl_fail(err, FL_EAPPLY, "out", "cannot write %s: %s", path, strerror(errno));
    size_t len = strlen(result_json);
    int rc = fl_write_all(fd, result_json, len) == 0 && fl_write_all(fd, "\n", 1) == 0 ? 0 : -1;
    close(fd);
    if (rc != 0)
        return fl_fail(err, FL_EAPPLY, "out", "cannot write %s: %s", path, strerror(errno));
    return 0;
#endif
}
