/* faultline report <result.json> [--out DIR]: regenerate junit.xml and
 * report.html from a result document. */
#include "cli.h"
#include "core/buffer.h"
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *USAGE = "faultline report <result.json> [--out DIR]";

/* Bigger than any real result (an hour of 100 ms windows is a few MB). */
#define MAX_RESULT_BYTES (256u << 20)

static const char *INTRO = "Regenerates the reports of an experiment from its result document: junit.xml (one\n"
                           "testcase per hypothesis and per fault verification and rollback, for CI) and\n"
                           "report.html (one self-contained page: latency p50/p99/max, throughput and errors over\n"
                           "time with each fault's window shaded, one chart per extra metric, hypothesis bounds\n"
                           "as dashed lines, the hypotheses and faults tables, the timeline, the load summary).\n"
                           "The page needs no network access: open it in any browser, attach it to a ticket.\n\n"
                           "'faultline run exp.yaml --out DIR' already writes all three files into DIR; use this\n"
                           "command after upgrading faultline, after editing result.json by hand, or to render a\n"
                           "result somewhere else.\n\n"
                           "  <result.json>  a result document (schema: docs/result-format.md)";
static const char *OUTRO =
    "Exit codes: 0 reports written (whatever the experiment's verdict), 2 the document is\n"
    "missing or malformed (the message names the member), 4 a report could not be written.\n\n"
    "examples:\n"
    "  faultline report out/result.json                # -> out/junit.xml, out/report.html\n"
    "  faultline report out/result.json --out /tmp/r   # -> /tmp/r/junit.xml, /tmp/r/report.html\n"
    "  xdg-open out/report.html\n"
    "See docs/report.md for what the report shows and the JUnit mapping.";

/* The whole file as a string, or NULL with err filled. */
static char *read_document(const char *path, fl_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err->code = FL_EINVAL;
        snprintf(err->message, sizeof(err->message), "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    fl_buffer text;
    fl_buffer_init(&text, MAX_RESULT_BYTES - 1, false);
    int rc = fl_buffer_read_fd(&text, fd, false);
    close(fd);
    if (rc != 0) {
        err->code = text.overflow ? FL_EINVAL : FL_EAPPLY;
        snprintf(err->message, sizeof(err->message), "cannot read %s: %s", path,
                 text.overflow ? "too large for a result document" : "read error");
        fl_buffer_free(&text);
        return NULL;
    }
    return text.data ? fl_buffer_take(&text) : fl_xstrdup("");
}

int cmd_report(int argc, char **argv) {
    const char *out_dir = NULL;
    const cli_option options[] = {
        CLI_STRING("out", &out_dir, "DIR",
                   "write the reports into DIR (created if missing) instead of next to\nresult.json"),
        CLI_END,
    };
    cli_parser p = {.command = "report", .usage = USAGE, .intro = INTRO, .outro = OUTRO, .tables = CLI_TABLES(options)};
    int prc = cli_parse(&p, argc, argv);
    if (prc != CLI_CONTINUE)
        return prc;
    if (p.n_args > 1)
        return cli_usage_error(USAGE, "one result document at a time ('%s' and '%s')", p.args[0], p.args[1]);
    if (p.n_args == 0)
        return cli_usage_error(USAGE, "which result.json? (faultline run --out DIR writes DIR/result.json)");
    const char *input = p.args[0];

    fl_error err = {0};
    char *document = read_document(input, &err);
    if (!document)
        return cli_fail(&err);

    char *input_copy = fl_xstrdup(input);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", out_dir ? out_dir : dirname(input_copy));
    free(input_copy);
    char junit[4200], html[4200];
    snprintf(junit, sizeof(junit), "%s/junit.xml", dir);
    snprintf(html, sizeof(html), "%s/report.html", dir);

    int rc = 0;
    if (out_dir) {
        /* Write all three there, so that the directory is a complete record. */
        rc = fl_report_write_all(document, out_dir, &err);
    } else {
        rc = fl_report_junit(document, junit, &err);
        if (rc == 0)
            rc = fl_report_html(document, html, &err);
    }
    free(document);
    if (rc < 0 && strcmp(err.field, "dir") == 0) { /* the library's dir is --out here */
        char message[sizeof(err.message) + 80];
        fprintf(stderr, "faultline: %s\n", cli_option_message(&p, &err, "out", message, sizeof(message)));
        return err.code;
    }
    if (rc < 0)
        return cli_fail(&err);
    printf("%s\n%s\n", junit, html);
    return 0;
}
