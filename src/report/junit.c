/* junit.xml: the experiment as one JUnit test suite, for CI systems.
 *
 *   hypothesis        -> testcase "hypothesis: <name>"; <failure> when it
 *                        failed (measured vs bound), or with too little data
 *                        (a failure in a failed run, <skipped> in an aborted one)
 *   each fault        -> testcase "<fault>: applied and verified" and
 *                        "<fault>: rolled back"
 *   aborted / error   -> one more testcase "experiment ran to completion"
 *                        with an <error>, so that a run that stopped early
 *                        is never all green in CI
 */
#include "report/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum outcome { OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_SKIP, OUTCOME_ERROR } outcome;

typedef struct testcase {
    const char *classname;
    char name[300];
    outcome result;
    char message[600]; /* the failure, skip or error message */
    char *details;     /* longer text in the element body; owned, may be NULL */
} testcase;

typedef struct suite {
    testcase *cases;
    size_t n, cap;
} suite;

static testcase *add_case(suite *s, const char *classname) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        s->cases = fl_xreallocarray(s->cases, cap, sizeof(*s->cases));
        s->cap = cap;
    }
    testcase *c = &s->cases[s->n++];
    *c = (testcase){.classname = classname};
    return c;
}

static void hypothesis_cases(suite *s, const rp_result *r) {
    for (size_t i = 0; i < r->n_hypotheses; i++) {
        const rp_hypothesis *h = &r->hypotheses[i];
        testcase *c = add_case(s, "faultline.hypothesis");
        if (!c)
            return;
        snprintf(c->name, sizeof(c->name), "hypothesis: %s", h->name);
        char measured[80], threshold[80], number[32];
        if (h->measured_text)
            snprintf(measured, sizeof(measured), "%s", h->measured_text);
        else
            snprintf(measured, sizeof(measured), "%s %s", rp_format_number(h->measured, number, sizeof(number)),
                     h->unit);
        if (h->threshold_text)
            snprintf(threshold, sizeof(threshold), "%s", h->threshold_text);
        else
            snprintf(threshold, sizeof(threshold), "%s %s", rp_format_number(h->threshold, number, sizeof(number)),
                     h->unit);
        switch (h->verdict) {
        case RP_HYP_PASS: c->result = OUTCOME_PASS; break;
        case RP_HYP_FAIL:
            c->result = OUTCOME_FAIL;
            snprintf(c->message, sizeof(c->message), "%s measured %s, bound %s %s (phase %s)", h->metric, measured,
                     h->bound, threshold, h->phase);
            break;
        case RP_HYP_NO_DATA:
            /* In a run that failed, too little data is one of the reasons
             * (never a pass); in an aborted run the phase may never have
             * come. */
            c->result = r->verdict == RP_FAIL ? OUTCOME_FAIL : OUTCOME_SKIP;
            snprintf(c->message, sizeof(c->message), "no data for %s in phase %s%s%s", h->metric, h->phase,
                     h->reason ? ": " : "", h->reason ? h->reason : "");
            break;
        }
        if (h->verdict == RP_HYP_FAIL && !isnan(h->windows_evaluated)) {
            char worst[48];
            fl_buffer details = FL_BUFFER_UNCAPPED;
            fl_buffer_printf(&details, "%.0f of %.0f windows outside the bound; worst window at %s",
                             isnan(h->windows_failed) ? 0 : h->windows_failed, h->windows_evaluated,
                             rp_format_ms(h->worst_t_ms, worst, sizeof(worst)));
            c->details = fl_buffer_take(&details);
        }
    }
}

static void fault_cases(suite *s, const rp_result *r) {
    for (size_t i = 0; i < r->n_faults; i++) {
        const rp_fault *f = &r->faults[i];
        bool applied = !isnan(f->applied_ms);
        testcase *c = add_case(s, "faultline.fault");
        if (!c)
            return;
        snprintf(c->name, sizeof(c->name), "%s: applied and verified", f->name);
        if (applied && f->verified) {
            c->result = OUTCOME_PASS;
        } else if (!applied && !f->error && r->verdict == RP_ABORTED) {
            /* The run stopped before the fault was due: nothing went wrong
             * with the fault itself. */
            c->result = OUTCOME_SKIP;
            snprintf(c->message, sizeof(c->message), "not applied: the run was aborted before it was due");
        } else {
            c->result = OUTCOME_FAIL;
            snprintf(c->message, sizeof(c->message), "%s (%s) %s%s%s", f->name, f->attack,
                     applied ? "was applied but not verified in effect" : "was not applied", f->error ? ": " : "",
                     f->error ? f->error : "");
        }
        if (f->verification) {
            c->details = fl_xstrdup(f->verification);
        }

        c = add_case(s, "faultline.fault");
        if (!c)
            return;
        snprintf(c->name, sizeof(c->name), "%s: rolled back", f->name);
        if (!applied) {
            c->result = OUTCOME_SKIP;
            snprintf(c->message, sizeof(c->message), "never applied: nothing to roll back");
        } else if (isnan(f->rolled_back_ms)) {
            c->result = OUTCOME_FAIL;
            snprintf(c->message, sizeof(c->message),
                     "%s (%s, journal id %s) was not rolled back: run 'faultline recover'", f->name, f->attack, f->id);
        } else {
            c->result = OUTCOME_PASS;
        }
    }
}

static void put_attr(fl_buffer *out, const char *name, const char *value) {
    fl_buffer_printf(out, " %s=\"", name);
    rp_put_xml(out, value);
    fl_buffer_puts(out, "\"");
}

void rp_render_junit(const rp_result *r, fl_buffer *out) {
    suite s = {0};
    hypothesis_cases(&s, r);
    fault_cases(&s, r);
    if (r->verdict == RP_ABORTED || r->verdict == RP_ERROR) {
        testcase *c = add_case(&s, "faultline.experiment");
        if (c) {
            snprintf(c->name, sizeof(c->name), "experiment ran to completion");
            c->result = OUTCOME_ERROR;
            snprintf(c->message, sizeof(c->message), "%s: %s", r->verdict == RP_ABORTED ? "aborted" : "error",
                     r->abort_reason ? r->abort_reason : "no reason recorded");
        }
    }
    size_t failures = 0, skipped = 0, errors = 0;
    for (size_t i = 0; i < s.n; i++) {
        failures += s.cases[i].result == OUTCOME_FAIL;
        skipped += s.cases[i].result == OUTCOME_SKIP;
        errors += s.cases[i].result == OUTCOME_ERROR;
    }
    double seconds = isnan(r->duration_ms) ? 0 : r->duration_ms / 1000;

    fl_buffer_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fl_buffer_printf(out,
                     "<testsuites name=\"faultline\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                     "time=\"%.3f\">\n",
                     s.n, failures, errors, skipped, seconds);
    fl_buffer_puts(out, "  <testsuite");
    put_attr(out, "name", r->title);
    fl_buffer_printf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"", s.n, failures,
                     errors, skipped, seconds);
    if (r->started)
        put_attr(out, "timestamp", r->started);
    fl_buffer_puts(out, ">\n    <properties>\n");
    struct {
        const char *name, *value;
    } props[] = {{"verdict", rp_verdict_name(r->verdict)},
                 {"abort_reason", r->abort_reason},
                 {"experiment_file", r->file},
                 {"started", r->started},
                 {"ended", r->ended},
                 {"faultline_version", r->faultline_version}};
    for (size_t i = 0; i < FL_ARRAY_LEN(props); i++) {
        if (!props[i].value)
            continue;
        fl_buffer_puts(out, "      <property");
        put_attr(out, "name", props[i].name);
        put_attr(out, "value", props[i].value);
        fl_buffer_puts(out, "/>\n");
    }
    fl_buffer_puts(out, "    </properties>\n");
    for (size_t i = 0; i < s.n; i++) {
        const testcase *c = &s.cases[i];
        fl_buffer_puts(out, "    <testcase");
        put_attr(out, "classname", c->classname);
        put_attr(out, "name", c->name);
        fl_buffer_puts(out, " time=\"0\"");
        if (c->result == OUTCOME_PASS && !c->details) {
            fl_buffer_puts(out, "/>\n");
            continue;
        }
        fl_buffer_puts(out, ">\n");
        static const char *const elements[] = {NULL, "failure", "skipped", "error"};
        const char *element = elements[c->result];
        if (element) {
            fl_buffer_printf(out, "      <%s", element);
            put_attr(out, "message", c->message);
            if (c->result == OUTCOME_FAIL)
                put_attr(out, "type", strncmp(c->classname, "faultline.fault", 15) == 0 ? "fault" : "hypothesis");
            if (c->details && c->result != OUTCOME_SKIP) {
                fl_buffer_puts(out, ">");
                rp_put_xml(out, c->details);
                fl_buffer_printf(out, "</%s>\n", element);
            } else {
                fl_buffer_puts(out, "/>\n");
            }
        }
        if (c->details && (c->result == OUTCOME_PASS || c->result == OUTCOME_SKIP)) {
            fl_buffer_puts(out, "      <system-out>");
            rp_put_xml(out, c->details);
            fl_buffer_puts(out, "</system-out>\n");
        }
        fl_buffer_puts(out, "    </testcase>\n");
    }
    fl_buffer_puts(out, "  </testsuite>\n</testsuites>\n");
    for (size_t i = 0; i < s.n; i++)
        free(s.cases[i].details);
    free(s.cases);
}
