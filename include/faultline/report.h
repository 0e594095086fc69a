/* faultline reports: what `faultline run` leaves in its --out directory.
 * The input is an experiment result document (result.json; its schema is
 * documented in docs/experiment.md). */
#ifndef FAULTLINE_REPORT_H
#define FAULTLINE_REPORT_H

#include "faultline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes a self-contained HTML report (inline SVG charts, no network access
 * needed to view it) of the result document `result_json` to `html_path`. */
FL_API int fl_report_html(const char *result_json, const char *html_path, fl_error *err);

/* Writes JUnit XML with one testcase per hypothesis (plus one per fault
 * verification) to `junit_path`, for CI systems. */
FL_API int fl_report_junit(const char *result_json, const char *junit_path, fl_error *err);

/* Writes result.json, junit.xml and report.html into `dir` (created if
 * missing). */
FL_API int fl_report_write_all(const char *result_json, const char *dir, fl_error *err);

#ifdef __cplusplus
}
#endif
#endif
