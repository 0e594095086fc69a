/* Inventory parsing (file:line:col errors), selection modes, limits, and the
 * remote-shell quoting that carries argv words through ssh. */
#include "fleet/fleet.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static const char *INV = "defaults:\n"
                         "  user: root\n"
                         "  port: 2222\n"
                         "  env: {FAULTLINE_STATE_DIR: /run/fl}\n"
                         "  tags: {env: prod}\n"
                         "hosts:\n"
                         "  a1: {address: 10.0.0.1, tags: {service: api, zone: a}}\n"
                         "  a2: {address: 10.0.0.2, tags: {service: api, zone: b}}\n"
                         "  a3: {address: 10.0.0.3, tags: {service: api, zone: a}}\n"
                         "  a4: {address: 10.0.0.4, tags: {service: api, zone: b}, port: 22}\n"
                         "  d1: {address: db.example, tags: {service: db, env: staging}}\n"
                         "  d2: {address: 'fe80::1', tags: {service: db}}\n"
                         "groups:\n"
                         "  canary: [a1, d1]\n";

static fl_inventory *load(const char *text, fl_error *err) {
    return fl_inventory_parse(text, strlen(text), "inv.yaml", err);
}

static void test_parse(void **state) {
    (void)state;
    fl_error err;
    fl_inventory *inv = load(INV, &err);
    if (!inv)
        fail_msg("%s", err.message);
    assert_int_equal(inv->n_hosts, 6);
    assert_string_equal(inv->hosts[0].name, "a1");
    assert_int_equal(inv->hosts[0].port, 2222);
    assert_int_equal(inv->hosts[3].port, 22);
    assert_string_equal(inv->hosts[0].user, "root");
    assert_int_equal(inv->hosts[0].n_env, 1);
    /* defaults' tags, overridden per host */
    size_t idx[6];
    assert_int_equal(fl_select_match(inv, "env=prod", idx, &err), 5);
    assert_int_equal(fl_select_match(inv, "env=staging", idx, &err), 1);
    assert_int_equal(fl_select_match(inv, "service=api,zone=a", idx, &err), 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 2);
    assert_int_equal(fl_select_match(inv, "service!=api", idx, &err), 2);
    assert_int_equal(fl_select_match(inv, "group=canary", idx, &err), 2);
    assert_int_equal(fl_select_match(inv, "name=d2", idx, &err), 1);
    assert_int_equal(fl_select_match(inv, "zone=*", idx, &err), 4);
    assert_int_equal(fl_select_match(inv, NULL, idx, &err), 6);
    assert_int_equal(fl_select_match(inv, "service", idx, &err), -1);
    assert_string_equal(err.field, "select");
    fl_inventory_free(inv);
}

static void expect_error(const char *text, const char *field, const char *where) {
    fl_error err = {0};
    fl_inventory *inv = load(text, &err);
    if (inv)
        fail_msg("accepted: %s", text);
    assert_int_equal(err.code, FL_EINVAL);
    assert_string_equal(err.field, field);
    if (!strstr(err.message, where))
        fail_msg("'%s' does not contain '%s'", err.message, where);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("hosts:\n  a: {address: 1.2.3.4, port: 70000}\n", "hosts.a.port", "inv.yaml:2:");
    expect_error("hosts:\n  a: {address: 1.2.3.4}\n  a: {address: 1.2.3.5}\n", "hosts", "inv.yaml:3:3");
    expect_error("hosts:\n  a: {port: 22}\n", "hosts.a", "address is required");
    expect_error("hosts:\n  a: {address: '-oProxyCommand=x'}\n", "hosts.a.address", "inv.yaml:2:");
    expect_error("hosts:\n  a: {address: 'a b'}\n", "hosts.a.address", "not a hostname");
    expect_error("hosts:\n  a: {address: h, user: '-x'}\n", "hosts.a.user", "user names");
    expect_error("hosts:\n  a: {address: h, env: {'1X': v}}\n", "hosts.a.env", "variable names");
    expect_error("hosts:\n  a: {address: h, tags: {k: 'a,b'}}\n", "hosts.a.tags.k", "cannot contain ','");
    expect_error("hosts:\n  a: {address: h, colour: red}\n", "hosts.a.colour", "unknown field");
    expect_error("hosts:\n  a: {address: h}\ngroups: {g: [b]}\n", "groups.g", "not a host");
    expect_error("hosts: {}\n", "hosts", "non-empty");
    expect_error("nodes: {}\n", "nodes", "unknown top-level");
    expect_error("hosts: [\n", "inventory", "inv.yaml:");
    expect_error("hosts:\n  a: {address: h, connect_timeout: 10ms}\n", "hosts.a.connect_timeout", "at least 1s");
    expect_error("hosts:\n  a: {address: h, host_key_checking: maybe}\n", "hosts.a.host_key_checking", "yes, no");
}

static void test_modes(void **state) {
    (void)state;
    fl_error err;
    fl_selection sel;
    assert_int_equal(fl_select_mode_parse("count(3)", &sel, &err), 0);
    assert_int_equal(sel.mode, FL_MODE_COUNT);
    size_t idx[8] = {0, 1, 2, 3, 4, 5, 6, 7}, again[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(fl_select_apply(&sel, 42, idx, 8), 3);
    assert_int_equal(fl_select_apply(&sel, 42, again, 8), 3);
    assert_memory_equal(idx, again, 3 * sizeof(size_t)); /* the seed repeats a run */
    assert_true(idx[0] < idx[1] && idx[1] < idx[2]);
    bool differs = false; /* other seeds choose other hosts */
    for (uint64_t seed = 1; seed < 20 && !differs; seed++) {
        size_t o[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        fl_select_apply(&sel, seed, o, 8);
        differs = memcmp(o, idx, 3 * sizeof(size_t)) != 0;
    }
    assert_true(differs);
    assert_int_equal(fl_select_mode_parse("percent(50)", &sel, &err), 0);
    size_t p[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(fl_select_apply(&sel, 7, p, 8), 4);
    assert_int_equal(fl_select_apply(&sel, 7, p, 1), 1); /* never zero of a non-empty match */
    assert_int_equal(fl_select_apply(&sel, 7, p, 0), 0);
    assert_int_equal(fl_select_mode_parse("count(20)", &sel, &err), 0);
    assert_int_equal(fl_select_apply(&sel, 7, p, 8), 8);
    const char *bad[] = {"count(0)", "count(1.5)", "percent(0)",  "percent(101)", "some",
                         "count()",  "count(3",    "percent(-5)", "count(x)"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(fl_select_mode_parse(bad[i], &sel, &err), -1);
        assert_string_equal(err.field, "mode");
    }
    double v;
    bool pct;
    assert_int_equal(fl_limit_parse("2", "max-concurrency", false, &v, &pct, &err), 0);
    assert_int_equal(fl_limit_resolve(v, pct, 8), 2);
    assert_int_equal(fl_limit_parse("25%", "max-errors", true, &v, &pct, &err), 0);
    assert_int_equal(fl_limit_resolve(v, pct, 8), 2);
    assert_int_equal(fl_limit_resolve(v, pct, 2), 1);
    assert_int_equal(fl_limit_parse("0", "max-errors", true, &v, &pct, &err), 0);
    assert_int_equal(fl_limit_parse("0", "max-concurrency", false, &v, &pct, &err), -1);
    assert_int_equal(fl_limit_parse("1.5", "max-errors", true, &v, &pct, &err), -1);
    assert_int_equal(fl_limit_parse("101%", "max-errors", true, &v, &pct, &err), -1);
    assert_string_equal(err.field, "max-errors");
}

static void test_quote(void **state) {
    (void)state;
    char buf[256];
    struct {
        const char *in, *out;
    } cases[] = {
        {"plain-word_1.2/x:y=z,@%+", "plain-word_1.2/x:y=z,@%+"},
        {"", "''"},
        {"two words", "'two words'"},
        {"it's", "'it'\\''s'"},
        {"$(reboot)", "'$(reboot)'"},
        {"`id`;rm -rf /&|<>*?~#!", "'`id`;rm -rf /&|<>*?~#!'"},
        {"\"x\"\\", "'\"x\"\\'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf[0] = '\0';
        assert_int_equal(fl_shell_quote(buf, sizeof(buf), cases[i].in), 0);
        assert_string_equal(buf, cases[i].out);
    }
    char small[4] = "";
    assert_int_equal(fl_shell_quote(small, sizeof(small), "long"), -1);
    char *argv[] = {"env", "A=b c", "faultline", "attack", "cpu", "--load", "5%", NULL};
    fl_error err;
    char *cmd = fl_remote_command(argv, &err);
    assert_string_equal(cmd, "env 'A=b c' faultline attack cpu --load 5%");
    free(cmd);
    char *nl[] = {"a\nb", NULL};
    assert_null(fl_remote_command(nl, &err));
}

static void test_ssh_argv(void **state) {
    (void)state;
    fl_error err;
    fl_inventory *inv = load("hosts:\n  a: {address: 10.0.0.1, user: ops, identity: /k, port: 2200,"
                             " known_hosts: /dev/null, host_key_checking: 'no'}\n",
                             &err);
    assert_non_null(inv);
    char **argv = fl_ssh_argv(&inv->hosts[0], "/ctl", "faultline status --json");
    size_t n = 0;
    while (argv[n])
        n++;
    assert_string_equal(argv[0], "ssh");
    assert_string_equal(argv[n - 1], "faultline status --json");
    assert_string_equal(argv[n - 2], "10.0.0.1");
    assert_string_equal(argv[n - 3], "--"); /* the address can never be read as an option */
    bool port = false, user = false, ctl = false;
    for (size_t i = 0; i + 1 < n; i++) {
        port |= strcmp(argv[i], "-p") == 0 && strcmp(argv[i + 1], "2200") == 0;
        user |= strcmp(argv[i], "-l") == 0 && strcmp(argv[i + 1], "ops") == 0;
        ctl |= strcmp(argv[i + 1], "ControlPath=/ctl/%C") == 0;
    }
    assert_true(port && user && ctl);
    fl_argv_free(argv);
    fl_inventory_free(inv);
}

static char *remote_true(const fl_host *h, void *user) {
    (void)h, (void)user;
    return strdup("true");
}

/* The fan-out leaves the process's signal dispositions alone: SIGPIPE stays
 * at its default, and heartbeats to an ssh that no longer reads its stdin
 * cost an EPIPE, not a SIGPIPE that would end this test. The "ssh" here is a
 * stand-in first in PATH that closes its stdin and stays a while. */
static void test_fanout_no_sigpipe(void **state) {
    (void)state;
    char dir[] = "/tmp/fl-fanout-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char ssh[64], path[4096];
    snprintf(ssh, sizeof(ssh), "%s/ssh", dir);
    FILE *f = fopen(ssh, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nexec 0<&-\nsleep 0.3\nexit 3\n", f);
    fclose(f);
    chmod(ssh, 0755);
    snprintf(path, sizeof(path), "%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    char *old_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", path, 1);
    setenv("FAULTLINE_SSH_DIR", dir, 1);
    signal(SIGPIPE, SIG_DFL);
    fl_error err;
    fl_inventory *inv = load("hosts:\n  a: {address: 127.0.0.1}\n", &err);
    assert_non_null(inv);
    const fl_host *hosts[] = {&inv->hosts[0]};
    fl_fleet_result res[1];
    fl_fanout_opts o = {.max_errors = 1, .heartbeat_us = 1000, .hold_stdin = true, .kill_after_us = 2000000};
    assert_int_equal(fl_fanout(hosts, 1, remote_true, NULL, &o, res, &err), 1);
    assert_int_equal(res[0].exit_code, 3);
    struct sigaction now;
    sigaction(SIGPIPE, NULL, &now);
    assert_true(now.sa_handler == SIG_DFL);
    fl_fleet_results_free(res, 1);
    fl_inventory_free(inv);
    if (old_path)
        setenv("PATH", old_path, 1);
    free(old_path);
    unlink(ssh);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse), cmocka_unit_test(test_errors),   cmocka_unit_test(test_modes),
        cmocka_unit_test(test_quote), cmocka_unit_test(test_ssh_argv), cmocka_unit_test(test_fanout_no_sigpipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
