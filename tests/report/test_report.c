/* Unit tests of the report writers on the hand-made documents in data/:
 * the page has its charts, shaded fault windows, one path per series and
 * one row per hypothesis; JUnit counts are right; nothing from the
 * document reaches the page as markup; malformed documents are refused
 * with the member named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "faultline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    return text;
}

static char *data_file(const char *name) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", FL_REPORT_DATA, name);
    return read_text(path);
}

static size_t count(const char *haystack, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

typedef struct rendered {
    char dir[64];
    char *html, *junit;
} rendered;

/* Renders data/<name> with fl_report_write_all into a fresh directory. */
static void render(const char *name, rendered *out) {
    snprintf(out->dir, sizeof(out->dir), "/tmp/fl-report-test-XXXXXX");
    assert_non_null(mkdtemp(out->dir));
    char *doc = data_file(name);
    char dir[128], path[192];
    snprintf(dir, sizeof(dir), "%s/sub/dir", out->dir); /* created on the way */
    fl_error err = {0};
    int rc = fl_report_write_all(doc, dir, &err);
    if (rc != 0)
        fail_msg("%s: %s", name, err.message);
    snprintf(path, sizeof(path), "%s/report.html", dir);
    out->html = read_text(path);
    snprintf(path, sizeof(path), "%s/junit.xml", dir);
    out->junit = read_text(path);
    snprintf(path, sizeof(path), "%s/result.json", dir);
    char *copy = read_text(path);
    assert_string_equal(copy, doc); /* result.json exactly as given */
    free(copy);
    free(doc);
}

static void discard(rendered *r) {
    char path[192];
    static const char *const files[] = {"report.html", "junit.xml", "result.json"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/sub/dir/%s", r->dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/sub/dir", r->dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/sub", r->dir);
    rmdir(path);
    rmdir(r->dir);
    free(r->html);
    free(r->junit);
}

static void fail_report_has_charts_tables_and_shading(void **state) {
    (void)state;
    rendered r;
    render("fail.json", &r);
    const char *html = r.html;
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "class=\"badge verdict-fail\" id=\"verdict\">FAIL<"));
    /* latency, throughput, errors, one metric, the timeline */
    assert_int_equal(count(html, "<svg class=\"chart"), 5);
    assert_non_null(strstr(html, "id=\"chart-latency\""));
    assert_non_null(strstr(html, "id=\"chart-metric-0\""));
    /* one shaded window for the one fault on each of the 4 time charts */
    assert_int_equal(count(html, "<rect class=\"fault-window\""), 4);
    assert_non_null(strstr(html, "cache-latency \xC2\xB7 latency"));
    /* one path per latency series, and the others */
    assert_int_equal(count(html, "class=\"series series-p50\""), 1);
    assert_int_equal(count(html, "class=\"series series-p99\""), 1);
    assert_int_equal(count(html, "class=\"series series-max\""), 1);
    assert_int_equal(count(html, "class=\"series series-rate\""), 1);
    assert_int_equal(count(html, "class=\"series series-metric\""), 1);
    assert_int_equal(count(html, "class=\"bars series-errors\""), 1);
    /* the latency chart is logarithmic: 1 ms next to 2 s */
    assert_non_null(strstr(html, "client latency, log scale"));
    /* bounds: p99 on latency, redis max on the metric, error ratio on errors; plus the target rate */
    assert_int_equal(count(html, "<g class=\"threshold\">"), 4);
    assert_non_null(strstr(html, "below 60ms: FAIL"));
    assert_non_null(strstr(html, "below 45ms: FAIL"));
    assert_non_null(strstr(html, "below 0.1%: PASS"));
    /* the hypotheses table */
    assert_int_equal(count(html, "<tr class=\"hypothesis hyp-fail\">"), 2);
    assert_int_equal(count(html, "<tr class=\"hypothesis hyp-pass\">"), 1);
    assert_non_null(strstr(html, "2.140s"));
    /* faults, timeline, events, load */
    assert_int_equal(count(html, "<tr class=\"fault\">"), 1);
    assert_non_null(strstr(html, "id=\"chart-timeline\""));
    assert_int_equal(count(html, "<tr class=\"event\">"), 7);
    assert_non_null(strstr(html, "PING to 127.0.0.1:6379: 0.05 ms before, 2001.3 ms during"));
    assert_non_null(strstr(html, "<section id=\"load\">"));
    assert_non_null(strstr(html, "1000 / 992 per second"));
    /* self-contained: nothing fetched from anywhere */
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "src=\""));
    assert_null(strstr(html, "@import"));

    /* JUnit: 3 hypotheses + 2 per fault; 2 failures */
    assert_non_null(strstr(r.junit, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert_int_equal(count(r.junit, "<testcase "), 5);
    assert_int_equal(count(r.junit, "<failure "), 2);
    assert_int_equal(count(r.junit, "<skipped"), 0);
    assert_non_null(strstr(r.junit, "tests=\"5\" failures=\"2\" errors=\"0\" skipped=\"0\""));
    assert_non_null(strstr(r.junit, "message=\"load.latency.p99 measured 2.140s, bound below 60ms (phase during)\""));
    discard(&r);
}

static void pass_report(void **state) {
    (void)state;
    rendered r;
    render("pass.json", &r);
    assert_non_null(strstr(r.html, ">PASS</span>"));
    assert_int_equal(count(r.html, "<tr class=\"hypothesis hyp-pass\">"), 4);
    assert_int_equal(count(r.html, "<tr class=\"hypothesis hyp-fail\">"), 0);
    /* no failed hypothesis, no worst-window circle */
    assert_null(strstr(r.html, "class=\"worst\""));
    assert_int_equal(count(r.junit, "<testcase "), 6);
    assert_int_equal(count(r.junit, "<failure"), 0);
    discard(&r);
}

static void aborted_report(void **state) {
    (void)state;
    rendered r;
    render("aborted.json", &r);
    assert_non_null(strstr(r.html, "class=\"badge verdict-aborted\" id=\"verdict\">ABORTED<"));
    assert_non_null(strstr(r.html, "id=\"abort-reason\""));
    assert_non_null(strstr(r.html, "stop condition: load.errors.ratio above 50% for 3s"));
    /* the stop condition is marked on the 3 time charts */
    assert_int_equal(count(r.html, "<g class=\"marker\">"), 3);
    assert_int_equal(count(r.html, "<tr class=\"hypothesis hyp-no-data\">"), 1);
    assert_non_null(strstr(r.html, "NO DATA"));
    /* only the applied fault is shaded; the other is "not applied" */
    assert_int_equal(count(r.html, "<rect class=\"fault-window\""), 3);
    assert_non_null(strstr(r.html, "second-wave \xC2\xB7 latency (not applied)"));
    /* no "after" phase happened: its bound is not drawn */
    assert_null(strstr(r.html, "below 10ms: NO DATA"));
    /* no load summary */
    assert_null(strstr(r.html, "<section id=\"load\">"));
    /* JUnit: 2 hypotheses (1 failed, 1 skipped), 2 faults x 2 (the second
     * skipped twice), and the run that did not complete */
    assert_int_equal(count(r.junit, "<testcase "), 7);
    assert_int_equal(count(r.junit, "<failure "), 1);
    assert_int_equal(count(r.junit, "<skipped "), 3);
    assert_int_equal(count(r.junit, "<error "), 1);
    assert_non_null(strstr(r.junit, "name=\"experiment ran to completion\""));
    discard(&r);
}

/* A hypothesis with too little data fails a run (exit 1): JUnit must not
 * call it skipped, or a CI pipeline would count it as fine. */
static void no_data_fails_in_junit(void **state) {
    (void)state;
    char *doc = data_file("fail.json");
    char *at = strstr(doc, "\"verdict\": \"pass\"");
    assert_non_null(at); /* the first hypothesis that passed: now it had too little data */
    char *fixed = malloc(strlen(doc) + 8);
    size_t head = (size_t)(at - doc) + strlen("\"verdict\": \"");
    memcpy(fixed, doc, head);
    strcpy(fixed + head, "no-data");
    strcpy(fixed + head + 7, at + strlen("\"verdict\": \"pass"));
    fl_error err = {0};
    char dir[] = "/tmp/fl-report-nodata-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(fl_report_write_all(fixed, dir, &err), 0);
    char path[96];
    snprintf(path, sizeof(path), "%s/junit.xml", dir);
    char *junit = read_text(path);
    assert_non_null(strstr(junit, "message=\"no data for "));
    assert_int_equal(count(junit, "<skipped "), 0);
    static const char *const files[] = {"report.html", "junit.xml", "result.json"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    free(junit);
    free(fixed);
    free(doc);
}

static void minimal_report(void **state) {
    (void)state;
    rendered r;
    render("minimal.json", &r);
    assert_non_null(strstr(r.html, ">ERROR</span>"));
    assert_non_null(strstr(r.html, "No load ran in this experiment"));
    assert_non_null(strstr(r.html, "This experiment states no hypothesis."));
    assert_non_null(strstr(r.html, "NOT APPLIED"));
    assert_non_null(strstr(r.html, "Permission denied"));
    assert_null(strstr(r.html, "id=\"chart-latency\""));
    assert_non_null(strstr(r.html, "id=\"chart-timeline\""));
    assert_int_equal(count(r.junit, "<testcase "), 3); /* applied, rolled back, completion */
    assert_int_equal(count(r.junit, "<failure "), 1);
    assert_int_equal(count(r.junit, "<skipped "), 1);
    assert_int_equal(count(r.junit, "<error "), 1);
    discard(&r);
}

static void hostile_strings_are_text(void **state) {
    (void)state;
    rendered r;
    render("hostile.json", &r);
    const char *html = r.html;
    /* none of the injected markup survives as markup */
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "</script>"));
    assert_null(strstr(html, "<iframe"));
    assert_null(strstr(html, "<svg onload"));
    assert_null(strstr(html, "<svg/onload"));
    assert_null(strstr(html, "<b>"));
    assert_null(strstr(html, "<i>"));
    assert_null(strstr(html, "\"><svg"));
    assert_null(strstr(html, "onerror=alert(1)>"));
    /* ... and is shown as text */
    assert_non_null(strstr(html, "<h1>&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</h1>"));
    assert_non_null(strstr(html, "<title>FAIL: &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; - faultline</title>"));
    assert_non_null(strstr(html, "&lt;iframe src=javascript:alert(5)&gt;"));
    assert_non_null(strstr(html, "&quot;&gt;&lt;svg onload=alert(3)&gt;"));
    assert_non_null(strstr(html, "&lt;i&gt;2&lt;/i&gt;"));
    /* the control character is not passed through */
    assert_null(strchr(html, '\x01'));
    /* XML: escaped, and the control character (illegal in XML 1.0) replaced */
    assert_null(strchr(r.junit, '\x01'));
    assert_null(strstr(r.junit, "<img"));
    assert_null(strstr(r.junit, "]]>"));
    assert_non_null(strstr(r.junit, "name=\"&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;\""));
    assert_non_null(strstr(r.junit, "ctl\xEF\xBF\xBD"
                                    "char"));
    discard(&r);
}

/* A malformed document gives FL_EINVAL, names the member, writes nothing. */
static void expect_invalid(const char *doc, const char *member) {
    char path[] = "/tmp/fl-report-bad-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    fl_error err = {0};
    assert_int_equal(fl_report_html(doc, path, &err), -1);
    assert_int_equal(err.code, FL_EINVAL);
    if (!strstr(err.message, member))
        fail_msg("message '%s' does not name '%s'", err.message, member);
    assert_int_equal(access(path, F_OK), -1);
    err = (fl_error){0};
    assert_int_equal(fl_report_junit(doc, path, &err), -1);
    assert_int_equal(err.code, FL_EINVAL);
}

static void malformed_documents(void **state) {
    (void)state;
    expect_invalid("{not json", "not valid JSON");
    expect_invalid("[1,2]", "JSON object");
    expect_invalid("{\"verdict\":\"pass\"}", "schema_version");
    expect_invalid("{\"schema_version\":2,\"verdict\":\"pass\"}", "schema_version");
    expect_invalid("{\"schema_version\":1}", "verdict");
    expect_invalid("{\"schema_version\":1,\"verdict\":\"maybe\"}", "verdict");
    expect_invalid("{\"schema_version\":1,\"verdict\":\"pass\",\"faults\":3}", "faults");
    expect_invalid("{\"schema_version\":1,\"verdict\":\"pass\",\"faults\":[{\"applied_ms\":\"soon\"}]}",
                   "faults[0].applied_ms");
    expect_invalid("{\"schema_version\":1,\"verdict\":\"pass\",\"hypotheses\":[{},{\"verdict\":\"ok\"}]}",
                   "hypotheses[1].verdict");
    expect_invalid("{\"schema_version\":1,\"verdict\":\"pass\",\"series\":{\"windows\":[{\"latency_ms\":"
                   "{\"p99\":\"x\"}}]}}",
                   "series.windows[0].latency_ms.p99");
    expect_invalid("{\"schema_version\":1,\"verdict\":\"pass\",\"series\":{\"metrics\":[{\"points\":[7]}]}}",
                   "series.metrics[0].points[0]");
    expect_invalid("{\"schema_version\":1,\"verdict\":\"pass\",\"experiment\":{\"title\":5}}", "experiment.title");
    expect_invalid("{\"schema_version\":1,\"verdict\":\"pass\",\"verdict\":\"fail\"}", "duplicate");
}

static void io_errors_are_fl_eapply(void **state) {
    (void)state;
    const char *doc = "{\"schema_version\":1,\"verdict\":\"pass\"}";
    fl_error err = {0};
    assert_int_equal(fl_report_html(doc, "/nonexistent-dir/report.html", &err), -1);
    assert_int_equal(err.code, FL_EAPPLY);
    assert_non_null(strstr(err.message, "/nonexistent-dir/report.html"));
    err = (fl_error){0};
    assert_int_equal(fl_report_junit(doc, "/nonexistent-dir/junit.xml", &err), -1);
    assert_int_equal(err.code, FL_EAPPLY);
    err = (fl_error){0};
    assert_int_equal(fl_report_write_all(doc, "/proc/self/fl-report", &err), -1);
    assert_int_equal(err.code, FL_EAPPLY);
    /* the smallest valid document renders */
    char path[] = "/tmp/fl-report-min-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(fl_report_html(doc, path, &err), 0);
    char *html = read_text(path);
    assert_non_null(strstr(html, "Untitled experiment"));
    free(html);
    assert_int_equal(fl_report_junit(doc, path, &err), 0);
    char *xml = read_text(path);
    assert_non_null(strstr(xml, "tests=\"0\""));
    free(xml);
    unlink(path);
}

/* Numbers at the edge of what a double holds must neither hang an axis
 * loop nor put "nan" or "inf" into the SVG. */
static void extreme_numbers_render(void **state) {
    (void)state;
    static const char *const values[] = {"1.7e308", "-1.7e308", "5e-324", "0"};
    for (size_t i = 0; i < 4; i++) {
        char doc[1024];
        snprintf(doc, sizeof(doc),
                 "{\"schema_version\":1,\"verdict\":\"fail\",\"duration_ms\":%s,"
                 "\"faults\":[{\"name\":\"f\",\"applied_ms\":%s,\"rolled_back_ms\":%s}],"
                 "\"series\":{\"windows\":[{\"t_ms\":0,\"latency_ms\":{\"p50\":1,\"max\":%s}},"
                 "{\"t_ms\":%s,\"latency_ms\":{\"p50\":%s}}],"
                 "\"metrics\":[{\"name\":\"m\",\"unit\":\"ms\",\"points\":[{\"t_ms\":%s,\"value\":%s},"
                 "{\"t_ms\":1,\"value\":2}]}]},"
                 "\"hypotheses\":[{\"metric\":\"load.latency.max\",\"threshold\":%s,\"verdict\":\"fail\","
                 "\"measured\":%s,\"worst_t_ms\":%s}]}",
                 values[i], values[i], values[i], values[i], values[i], values[i], values[i], values[i], values[i],
                 values[i], values[i]);
        char path[] = "/tmp/fl-report-extreme-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        fl_error err = {0};
        if (fl_report_html(doc, path, &err) != 0)
            fail_msg("%s: %s", values[i], err.message);
        char *html = read_text(path);
        assert_null(strstr(html, "nan"));
        assert_null(strstr(html, "=\"inf"));
        assert_null(strstr(html, "=\"-inf"));
        free(html);
        unlink(path);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fail_report_has_charts_tables_and_shading),
        cmocka_unit_test(pass_report),
        cmocka_unit_test(aborted_report),
        cmocka_unit_test(minimal_report),
        cmocka_unit_test(no_data_fails_in_junit),
        cmocka_unit_test(hostile_strings_are_text),
        cmocka_unit_test(malformed_documents),
        cmocka_unit_test(io_errors_are_fl_eapply),
        cmocka_unit_test(extreme_numbers_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
