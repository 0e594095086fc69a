/* faultline ssm document <kind> | documents --out DIR: AWS Systems Manager
 * Command documents that run faultline on instances (docs/ssm.md). */
#include "cli.h"
#include "fleet/ssm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *USAGE =
    "faultline ssm document <kind> [--format yaml|json] [--install]\n"
    "       faultline ssm documents --out DIR [--format yaml|json] [--install]\n"
    "       faultline ssm send <kind> [--param value]... --duration D --tag K=V ... (see ssm send --help)";

static const char *INTRO = "Prints an AWS Systems Manager Command document (schemaVersion 2.2) that runs\n"
                           "'faultline attack <kind>' on the instances a SendCommand targets. Every faultline\n"
                           "parameter is a typed document parameter (Delay, Host, ExcludePort, ...) whose\n"
                           "allowedPattern/allowedValues accept faultline's own grammar and no shell\n"
                           "metacharacters; DurationSeconds is 1-43200. Repeatable parameters take several\n"
                           "values separated by commas. faultline re-validates every value on the instance\n"
                           "and bounds the fault's lifetime there, so a cancelled or lost command cannot\n"
                           "leave the fault behind.";
static const char *OUTRO = "examples:\n"
                           "  faultline ssm document latency > faultline-latency.yaml\n"
                           "  aws ssm create-document --name faultline-latency --document-type Command \\\n"
                           "      --document-format YAML --content file://faultline-latency.yaml\n"
                           "  faultline ssm documents --out ssm-docs --format json";

typedef struct ssm_docs {
    const char *dir, *format;
    bool install;
} ssm_docs;

#define SSM_OPTIONS(d)                                                                                                 \
    {                                                                                                                  \
        CLI_STRING("format", &(d)->format, "F", "yaml (default) or json"),                                             \
            CLI_FLAG("install", &(d)->install,                                                                         \
                     "add an InstallFaultline parameter and a step that installs the\n"                                \
                     "'faultline' package with apt-get or dnf (a placeholder name:\n"                                  \
                     "point it at your own repository)"),                                                              \
            CLI_STRING("out", &(d)->dir, "DIR", "(documents) write faultline-<kind>.yaml|json for every kind"),        \
            CLI_END,                                                                                                   \
    }

static void help(const cli_parser *unused) {
    (void)unused;
    ssm_docs none = {0};
    const cli_option options[] = SSM_OPTIONS(&none);
    cli_parser p = {.usage = USAGE, .intro = INTRO, .outro = OUTRO, .tables = CLI_TABLES(options)};
    cli_print_help(&p, stdout);
}

static int write_doc(FILE *out, const char *kind, bool json, bool install) {
    json_t *doc = fl_ssm_document(kind, install);
    if (!doc)
        return -1;
    if (json) {
        json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
    } else {
        fl_ssm_write_yaml(out, doc);
    }
    json_decref(doc);
    return 0;
}

static int write_all(const ssm_docs *d, bool json) {
    if (!d->dir)
        return cli_usage_error(USAGE, "--out DIR is required");
    if (mkdir(d->dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "faultline: --out: cannot create %s: %s\n", d->dir, strerror(errno));
        return FL_EINVAL;
    }
    for (size_t i = 0; i < fl_attack_count(); i++) {
        const char *k = fl_attack_at(i)->name;
        char path[4096];
        snprintf(path, sizeof(path), "%s/faultline-%s.%s", d->dir, k, d->format);
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "faultline: --out: cannot write %s: %s\n", path, strerror(errno));
            return FL_EAPPLY;
        }
        write_doc(f, k, json, d->install);
        if (fclose(f) != 0) {
            fprintf(stderr, "faultline: --out: cannot write %s: %s\n", path, strerror(errno));
            return FL_EAPPLY;
        }
        printf("%s\n", path);
    }
    return 0;
}

int cmd_ssm(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        help(NULL);
        return argc < 2 ? cli_usage_error(USAGE, "which subcommand? document, documents or send") : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "send") == 0)
        return cmd_ssm_send(argc - 1, argv + 1);
    bool all = strcmp(sub, "documents") == 0;
    if (!all && strcmp(sub, "document") != 0)
        return cli_usage_error(USAGE, "unknown subcommand '%s' (document, documents, send)", sub);
    ssm_docs d = {.format = "yaml"};
    const cli_option options[] = SSM_OPTIONS(&d);
    cli_parser p = {.command = "ssm", .usage = USAGE, .tables = CLI_TABLES(options), .help = help};
    int rc = cli_parse(&p, argc - 1, argv + 1);
    if (rc != CLI_CONTINUE)
        return rc;
    if (p.n_args > (all ? 0 : 1))
        return cli_usage_error(USAGE, "unexpected argument '%s'", p.args[all ? 0 : 1]);
    if (strcmp(d.format, "yaml") != 0 && strcmp(d.format, "json") != 0)
        return cli_usage_error(USAGE, "--format: '%s' is not yaml or json", d.format);
    bool json = d.format[0] == 'j';
    if (all)
        return write_all(&d, json);
    const char *kind = p.n_args ? p.args[0] : NULL;
    if (!kind)
        return cli_usage_error(USAGE, "which attack kind? (faultline attacks lists them)");
    if (!fl_attack_find(kind))
        return cli_usage_error(USAGE, "unknown attack kind '%s' (faultline attacks lists them)", kind);
    return write_doc(stdout, kind, json, d.install) == 0 ? 0 : FL_EAPPLY;
}
