/* The few lines a person reads after a run (fl_experiment_summary): the
 * verdict, why the run was aborted, each fault, each hypothesis with what
 * it measured and the coverage it rests on. */
#include "core/internal.h"
#include "experiment/model/model.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void say(fl_experiment_line_cb line, void *user, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(fl_experiment_line_cb line, void *user, const char *fmt, ...) {
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    line(user, buf);
}

static const char *str(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* verified / UNVERIFIED / skipped / failed, as the fault's state says. */
static const char *fault_label(const json_t *f) {
    const char *state = str(f, "state");
    if (strcmp(state, "skipped") == 0 || strcmp(state, "pending") == 0)
        return "skipped";
    if (json_is_true(json_object_get(f, "degraded")))
        return "DEGRADED";
    if (json_is_true(json_object_get(f, "verified")))
        return "verified";
    return strcmp(state, "failed") == 0 ? "FAILED" : "UNVERIFIED";
}

static const char *fault_detail(const json_t *f) {
    const char *label = fault_label(f);
    if (strcmp(label, "skipped") == 0)
        return json_is_string(json_object_get(f, "error")) ? str(f, "error") : "never started: the run ended first";
    return json_is_string(json_object_get(f, "error")) ? str(f, "error") : str(f, "verification");
}

static void hypothesis_line(fl_experiment_line_cb line, void *user, const json_t *h) {
    const char *v = str(h, "verdict");
    const char *m = json_string_value(json_object_get(h, "measured_text"));
    const json_t *cov = json_object_get(h, "coverage");
    bool lower = json_is_true(json_object_get(h, "measured_is_lower_bound"));
    say(line, user, "  %-7s %s: measured %s%s, bound %s %s; %s",
        strcmp(v, "pass") == 0   ? "PASS"
        : strcmp(v, "fail") == 0 ? "FAIL"
                                 : "NO-DATA",
        str(h, "name"), lower ? "at least " : "", m ? m : "nothing", str(h, "bound"), str(h, "threshold_text"),
        cov ? str(cov, "text") : "");
    if (json_is_string(json_object_get(h, "reason")))
        say(line, user, "          no data: %s", str(h, "reason"));
}

int fl_experiment_summary(const char *result_json, fl_experiment_line_cb line, void *user, fl_error *err) {
    json_error_t je;
    json_t *doc = json_loads(result_json, 0, &je);
    if (!doc)
        return fl_fail(err, FL_EINVAL, "result", "not a result document: %s", je.text);
    say(line, user, "%s: %s", str(json_object_get(doc, "experiment"), "title"), str(doc, "verdict"));
    if (json_is_string(json_object_get(doc, "abort_reason")))
        say(line, user, "  reason: %s", str(doc, "abort_reason"));
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(doc, "faults"), i, x) {
        say(line, user, "  fault %-20s %-10s %s", str(x, "name"), fault_label(x), fault_detail(x));
    }
    json_array_foreach(json_object_get(doc, "hypotheses"), i, x) { hypothesis_line(line, user, x); }
    json_decref(doc);
    return 0;
}
