/* The public report API (include/faultline/report.h): parse the result
 * document once, render, and write each file whole. A file is written to a
 * temporary name next to it and renamed into place, so a reader (a CI job,
 * a browser refreshing) never sees half a report. */
#include "report/report_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_file(const char *path, const char *data, size_t len, fl_error *err) {
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= sizeof(tmp))
        return fl_fail(err, FL_EINVAL, "path", "path too long: %s", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return fl_fail(err, FL_EAPPLY, "path", "cannot write %s: %s", path, strerror(errno));
    /* mkstemp makes it 0600; a report is meant to be shared like any file. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) < 0 || fl_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        return fl_fail(err, FL_EAPPLY, "path", "cannot write %s: %s", path, strerror(saved));
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return fl_fail(err, FL_EAPPLY, "path", "cannot write %s: %s", path, strerror(saved));
    }
    return 0;
}

typedef void (*renderer)(const rp_result *result, fl_buffer *out);

static int render_to(const rp_result *result, renderer render, const char *path, fl_error *err) {
    fl_buffer out = FL_BUFFER_UNCAPPED;
    render(result, &out);
    int rc = write_file(path, fl_buffer_str(&out), out.len, err);
    fl_buffer_free(&out);
    return rc;
}

static int render_file(const char *result_json, renderer render, const char *path, fl_error *err) {
    fl_error_clear(err);
    if (!path || !*path)
        return fl_fail(err, FL_EINVAL, "path", "no output path given");
    rp_result result;
    if (rp_result_parse(result_json, &result, err) < 0)
        return -1;
    int rc = render_to(&result, render, path, err);
    rp_result_free(&result);
    return rc;
}

int fl_report_html(const char *result_json, const char *html_path, fl_error *err) {
    return render_file(result_json, rp_render_html, html_path, err);
}

int fl_report_junit(const char *result_json, const char *junit_path, fl_error *err) {
    return render_file(result_json, rp_render_junit, junit_path, err);
}

int fl_report_write_all(const char *result_json, const char *dir, fl_error *err) {
    fl_error_clear(err);
    if (!dir || !*dir)
        return fl_fail(err, FL_EINVAL, "dir", "no output directory given");
    if (!result_json)
        return fl_fail(err, FL_EINVAL, "result_json", "no result document given");
    if (fl_make_dirs(dir, 0777, "dir", err) < 0)
        return -1;
    char path[4096];
    /* result.json first and as given: even if it cannot be read back into a
     * report, the run's record is kept for whoever investigates. */
    snprintf(path, sizeof(path), "%s/result.json", dir);
    if (write_file(path, result_json, strlen(result_json), err) < 0)
        return -1;
    rp_result result;
    if (rp_result_parse(result_json, &result, err) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/junit.xml", dir);
    int rc = render_to(&result, rp_render_junit, path, err);
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/report.html", dir);
        rc = render_to(&result, rp_render_html, path, err);
    }
    rp_result_free(&result);
    return rc;
}
