/* SSM: parameter names, patterns (POSIX ERE: they must compile and decide
 * like the documented grammar), documents per kind, credentials and region
 * from the environment and the shared files. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet/ssm.h"

static bool ere(const char *pattern, const char *s) {
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static void names(void **state) {
    (void)state;
    char n[64];
    fl_ssm_param_name("exclude-host", n, sizeof(n));
    assert_string_equal(n, "ExcludeHost");
    fl_ssm_param_name("include-controller", n, sizeof(n));
    assert_string_equal(n, "IncludeController");
    fl_ssm_param_name("duration", n, sizeof(n));
    assert_string_equal(n, "DurationSeconds");
}

static void patterns_compile_and_refuse_metacharacters(void **state) {
    (void)state;
    static const char *const hostile[] = {"a;b", "$(id)", "`id`", "a&&b", "a\nb",     "'",
                                          "\"",  "a b",   ">x",   "\\",   "{{ssm:x}}"};
    size_t n = 0;
    for (size_t i = 0; i < fl_attack_count(); i++) {
        const fl_attack_info *a = fl_attack_at(i);
        for (size_t j = 0; j < a->n_params; j++) {
            const char *pat = fl_ssm_param_pattern(&a->params[j]);
            if (!pat)
                continue;
            char copy[1024];
            snprintf(copy, sizeof(copy), "%s", pat);
            for (size_t h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++, n++)
                if (ere(copy, hostile[h]))
                    fail_msg("%s --%s: %s accepts %s", a->name, a->params[j].name, copy, hostile[h]);
        }
    }
    assert_true(n > 200);
    assert_true(ere(FL_SSM_DURATION_PATTERN, "1"));
    assert_true(ere(FL_SSM_DURATION_PATTERN, "43200"));
    assert_false(ere(FL_SSM_DURATION_PATTERN, "43201"));
    assert_false(ere(FL_SSM_DURATION_PATTERN, "0"));
}

static const char *pattern_of(const char *kind, const char *param) {
    const fl_attack_info *a = fl_attack_find(kind);
    for (size_t j = 0; j < a->n_params; j++)
        if (strcmp(a->params[j].name, param) == 0)
            return fl_ssm_param_pattern(&a->params[j]);
    return NULL;
}

static void patterns_accept_the_grammar(void **state) {
    (void)state;
    char p[1024];
    snprintf(p, sizeof(p), "%s", pattern_of("latency", "delay"));
    assert_true(ere(p, "1m30s"));
    assert_true(ere(p, "500us"));
    assert_false(ere(p, "2"));
    assert_false(ere(p, "")); /* required */
    snprintf(p, sizeof(p), "%s", pattern_of("latency", "host"));
    assert_true(ere(p, ""));
    assert_true(ere(p, "10.0.0.0/8,fd00::/8,redis.internal"));
    assert_false(ere(p, "a,,b"));
    snprintf(p, sizeof(p), "%s", pattern_of("disk-fill", "path"));
    assert_true(ere(p, "/var/tmp"));
    assert_false(ere(p, "/var/../etc"));
    assert_false(ere(p, "var"));
    snprintf(p, sizeof(p), "%s", pattern_of("process-kill", "signal"));
    assert_true(ere(p, "SIGKILL"));
    assert_true(ere(p, "term"));
    assert_true(ere(p, "9"));
    assert_false(ere(p, "65"));
}

static void documents(void **state) {
    (void)state;
    assert_null(fl_ssm_document("nope", false));
    json_t *d = fl_ssm_document("latency", true);
    assert_string_equal(json_string_value(json_object_get(d, "schemaVersion")), "2.2");
    json_t *params = json_object_get(d, "parameters");
    assert_non_null(json_object_get(params, "DurationSeconds"));
    assert_non_null(json_object_get(params, "InstallFaultline"));
    assert_int_equal(json_array_size(json_object_get(d, "mainSteps")), 2);
    json_decref(d);
    d = fl_ssm_document("process-kill", false); /* instant: no duration */
    assert_null(json_object_get(json_object_get(d, "parameters"), "DurationSeconds"));
    assert_int_equal(json_array_size(json_object_get(d, "mainSteps")), 1);
    json_decref(d);
}

static char dir[64];

static void write_file(const char *name, const char *text) {
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void clear_env(void) {
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_REGION",        "AWS_DEFAULT_REGION",    "AWS_ENDPOINT_URL",  "AWS_ENDPOINT_URL_SSM"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

static void config(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fl-ssm-unit.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char creds[128], conf[128];
    snprintf(creds, sizeof(creds), "%s/credentials", dir);
    snprintf(conf, sizeof(conf), "%s/config", dir);
    write_file("credentials", "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n"
                              "# comment\n[ci]\n  aws_access_key_id=AKIDCI\naws_secret_access_key=s2\n"
                              "aws_session_token = tok\n");
    write_file("config", "[default]\nregion = us-east-1\n[profile ci]\nregion=eu-west-1\n");
    clear_env();
    setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
    setenv("AWS_CONFIG_FILE", conf, 1);
    fl_error err;

    fl_ssm_config c = {0};
    assert_int_equal(fl_ssm_config_load(&c, &err), 0);
    assert_string_equal(c.access_key, "AKIDDEFAULT");
    assert_string_equal(c.region, "us-east-1");
    assert_string_equal(c.endpoint, "https://ssm.us-east-1.amazonaws.com/");

    fl_ssm_config ci = {0};
    setenv("AWS_PROFILE", "ci", 1);
    assert_int_equal(fl_ssm_config_load(&ci, &err), 0);
    assert_string_equal(ci.access_key, "AKIDCI");
    assert_string_equal(ci.secret_key, "s2");
    assert_string_equal(ci.session_token, "tok");
    assert_string_equal(ci.region, "eu-west-1");

    fl_ssm_config env = {0};
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s3", 1);
    setenv("AWS_REGION", "ap-south-1", 1);
    setenv("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:1/", 1);
    assert_int_equal(fl_ssm_config_load(&env, &err), 0);
    assert_string_equal(env.access_key, "AKIDENV");
    assert_string_equal(env.region, "ap-south-1");
    assert_string_equal(env.endpoint, "http://127.0.0.1:1/");

    fl_ssm_config flag = {0}; /* --region and --profile win */
    snprintf(flag.region, sizeof(flag.region), "sa-east-1");
    assert_int_equal(fl_ssm_config_load(&flag, &err), 0);
    assert_string_equal(flag.region, "sa-east-1");

    fl_ssm_config bad = {0};
    snprintf(bad.region, sizeof(bad.region), "eu west");
    assert_int_not_equal(fl_ssm_config_load(&bad, &err), 0);
    assert_string_equal(err.field, "region");

    clear_env();
    fl_ssm_config none = {0};
    snprintf(none.profile, sizeof(none.profile), "missing");
    assert_int_not_equal(fl_ssm_config_load(&none, &err), 0);
    assert_string_equal(err.field, "credentials");

    unlink(creds);
    unlink(conf);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(patterns_compile_and_refuse_metacharacters),
        cmocka_unit_test(patterns_accept_the_grammar),
        cmocka_unit_test(documents),
        cmocka_unit_test(config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
