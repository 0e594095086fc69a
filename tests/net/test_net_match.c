/* Network matching: address, CIDR and port parsing, field-named errors for
 * bad input, conflict claims, the generated nft rules, and DNS name parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "net/net.h"

static void prefixes(void **state) {
    (void)state;
    fl_net_prefix p;
    char buf[64];
    assert_int_equal(fl_net_parse_prefix("127.0.0.1", &p), 0);
    assert_int_equal(p.len, 32);
    assert_int_equal(fl_net_parse_prefix("10.1.2.3/8", &p), 0);
    assert_string_equal(fl_net_format_prefix(&p, buf, sizeof(buf)), "10.0.0.0/8"); /* host bits cleared */
    assert_int_equal(fl_net_parse_prefix("::1", &p), 0);
    assert_string_equal(fl_net_format_prefix(&p, buf, sizeof(buf)), "::1");
    assert_int_equal(fl_net_parse_prefix("fd00::/8", &p), 0);
    assert_int_equal(p.len, 8);
    assert_int_equal(fl_net_parse_prefix("10.0.0.1/33", &p), -1);
    assert_int_equal(fl_net_parse_prefix("10.0.0.1/", &p), -1);
    assert_int_equal(fl_net_parse_prefix("example.com", &p), -1);
    assert_int_equal(fl_net_parse_prefix("1.2.3.4; drop", &p), -1);
}

static void ports(void **state) {
    (void)state;
    fl_net_ports r;
    assert_int_equal(fl_net_parse_ports("6379", &r), 0);
    assert_int_equal(r.lo, 6379);
    assert_int_equal(r.hi, 6379);
    assert_int_equal(fl_net_parse_ports("8000-8100", &r), 0);
    assert_int_equal(r.hi, 8100);
    assert_int_equal(fl_net_parse_ports("0", &r), -1);
    assert_int_equal(fl_net_parse_ports("65536", &r), -1);
    assert_int_equal(fl_net_parse_ports("9-8", &r), -1);
    assert_int_equal(fl_net_parse_ports("-5", &r), -1);
    assert_int_equal(fl_net_parse_ports("80,81", &r), -1);
}

/* Sets params on a new spec; returns the validation result code. */
static int validate_with(const char *kind, const char *const *pairs, fl_error *err) {
    fl_spec *spec = fl_spec_new(kind, err);
    assert_non_null(spec);
    int rc = 0;
    for (size_t i = 0; pairs[i] && rc == 0; i += 2)
        rc = fl_spec_set(spec, pairs[i], pairs[i + 1], err);
    if (rc == 0)
        rc = fl_spec_validate(spec, err);
    fl_spec_free(spec);
    return rc == 0 ? 0 : err->code;
}

static void bad_input_names_the_field(void **state) {
    (void)state;
    static const struct {
        const char *kind;
        const char *pairs[8];
        const char *field;
    } cases[] = {
        {"blackhole", {"host", "300.1.1.1", "duration", "1s"}, "host"},
        {"blackhole", {"host", "10.0.0.0/40", "duration", "1s"}, "host"},
        {"blackhole", {"host", "bad host!", "duration", "1s"}, "host"},
        {"blackhole", {"port", "70000", "duration", "1s"}, "port"},
        {"blackhole", {"port", "x", "duration", "1s"}, "port"},
        {"blackhole", {"protocol", "sctp", "duration", "1s"}, "protocol"},
        {"blackhole", {"protocol", "icmp", "port", "80", "duration", "1s"}, "port"},
        {"blackhole", {"direction", "sideways", "duration", "1s"}, "direction"},
        {"blackhole", {"interface", "eth0;x", "duration", "1s"}, "interface"},
        {"blackhole", {"interface", "nosuchif0", "duration", "1s"}, "interface"},
        {"blackhole", {"exclude-host", "nope/", "duration", "1s"}, "exclude-host"},
        {"blackhole", {"exclude-port", "0", "duration", "1s"}, "exclude-port"},
        {"blackhole", {"netns", "/nonexistent/ns", "duration", "1s"}, "netns"},
        {"blackhole", {"netns", "../etc", "duration", "1s"}, "netns"},
        {"packet-loss", {"percent", "130%", "duration", "1s"}, "percent"},
        {"packet-loss", {"duration", "1s"}, "percent"},
        {"latency", {"delay", "-1ms", "duration", "1s"}, "delay"},
        {"latency", {"delay", "2m", "duration", "1s"}, "delay"},
        {"latency", {"delay", "1ms", "jitter", "abc", "duration", "1s"}, "jitter"},
        {"latency", {"delay", "1ms", "distribution", "pareto", "duration", "1s"}, "distribution"},
        {"bandwidth", {"rate", "fast", "duration", "1s"}, "rate"},
        {"bandwidth", {"rate", "1mbit/s", "duration", "1s"}, "rate"},
        {"bandwidth", {"rate", "1bit", "duration", "1s"}, "rate"},
        {"dns", {"mode", "nxdomain", "duration", "1s"}, "mode"},
        {"dns", {"domain", "a b", "duration", "1s"}, "domain"},
        {"reset", {"protocol", "icmp", "duration", "1s"}, "protocol"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fl_error err;
        int code = validate_with(cases[i].kind, cases[i].pairs, &err);
        if (code != FL_EINVAL || strcmp(err.field, cases[i].field) != 0)
            fail_msg("case %zu (%s): code %d field '%s' (%s), wanted field '%s'", i, cases[i].kind, code, err.field,
                     err.message, cases[i].field);
    }
}

static void claims_and_rules(void **state) {
    (void)state;
    fl_error err;
    fl_spec *spec = fl_spec_new("latency", &err);
    assert_int_equal(fl_spec_set(spec, "host", "127.0.0.1", &err), 0);
    assert_int_equal(fl_spec_set(spec, "host", "::1", &err), 0);
    assert_int_equal(fl_spec_set(spec, "port", "6379", &err), 0);
    assert_int_equal(fl_spec_set(spec, "protocol", "tcp", &err), 0);
    assert_int_equal(fl_spec_set(spec, "delay", "40ms", &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", "1s", &err), 0);
    assert_int_equal(fl_spec_validate(spec, &err), 0);
    assert_int_equal(spec->n_claims, 2);
    assert_non_null(strstr(spec->claims[0], ":tcp:127.0.0.1:6379"));
    assert_non_null(strstr(spec->claims[1], ":tcp:::1:6379"));
    fl_net_plan *p = spec->data;
    p->action.queue_num = 20001;
    p->action.queue_expr = true;
    char *text = fl_net_rules_text(&p->match, &p->action, "faultline_t");
    assert_non_null(strstr(text, "add element inet faultline_t dst4 { 127.0.0.1 }"));
    assert_non_null(strstr(text, "add element inet faultline_t dst6 { ::1 }"));
    assert_non_null(strstr(text, "add rule inet faultline_t fl_queue counter queue num 20001 bypass"));
    assert_non_null(strstr(text, "egress ip daddr @dst4 meta l4proto tcp th dport { 6379 } counter goto fl_queue"));
    assert_non_null(strstr(text, "egress ip6 daddr @dst6 meta l4proto tcp th dport { 6379 } counter goto fl_queue"));
    assert_null(strstr(text, "ingress"));
    free(text);
    fl_spec_free(spec);
}

static void controller_is_excluded(void **state) {
    (void)state;
    setenv("SSH_CONNECTION", "192.0.2.10 51000 192.0.2.1 22", 1);
    fl_error err;
    fl_spec *spec = fl_spec_new("blackhole", &err);
    assert_int_equal(fl_spec_set(spec, "direction", "both", &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", "1s", &err), 0);
    assert_int_equal(fl_spec_validate(spec, &err), 0);
    fl_net_plan *p = spec->data;
    char *text = fl_net_rules_text(&p->match, &p->action, "faultline_t");
    assert_non_null(strstr(text, "egress ip daddr 192.0.2.10 tcp dport 51000 tcp sport 22 return"));
    assert_non_null(strstr(text, "ingress ip saddr 192.0.2.10 tcp sport 51000 tcp dport 22 return"));
    free(text);
    fl_spec_free(spec);

    spec = fl_spec_new("blackhole", &err);
    assert_int_equal(fl_spec_set(spec, "include-controller", NULL, &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", "1s", &err), 0);
    assert_int_equal(fl_spec_validate(spec, &err), 0);
    p = spec->data;
    text = fl_net_rules_text(&p->match, &p->action, "faultline_t");
    assert_null(strstr(text, "192.0.2.10"));
    free(text);
    fl_spec_free(spec);
    unsetenv("SSH_CONNECTION");
}

static void dns_names(void **state) {
    (void)state;
    static const unsigned char query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
                                          0,    3,    'A',  'p',  'i', 7,   'e', 'x', 'a', 'm', 'p',
                                          'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1};
    char name[256];
    assert_int_equal(fl_dns_query_name(query, sizeof(query), name, sizeof(name)), (int)sizeof(query));
    assert_string_equal(name, "api.example.com");
    assert_int_equal(fl_dns_query_name(query, sizeof(query) - 3, name, sizeof(name)), -1);
    assert_true(fl_dns_name_matches("api.example.com", "example.com"));
    assert_true(fl_dns_name_matches("example.com", "example.com."));
    assert_true(fl_dns_name_matches("api.example.com", "EXAMPLE.com"));
    assert_false(fl_dns_name_matches("badexample.com", "example.com"));
    assert_false(fl_dns_name_matches("example.org", "example.com"));
    assert_true(fl_dns_name_matches("anything", ""));
}

static void table_names(void **state) {
    (void)state;
    char buf[128];
    /* faultline_, 8 hex digits naming the state directory, the id */
    fl_net_table_name("packet-loss-0a1b2c3d", buf, sizeof(buf));
    assert_int_equal(strlen(buf), strlen("faultline_01234567_packet_loss_0a1b2c3d"));
    assert_memory_equal(buf, "faultline_", 10);
    assert_string_equal(buf + 18, "_packet_loss_0a1b2c3d");
    char other[128];
    setenv("FAULTLINE_STATE_DIR", "/tmp/another-state-dir", 1);
    fl_net_table_name("packet-loss-0a1b2c3d", other, sizeof(other));
    unsetenv("FAULTLINE_STATE_DIR");
    assert_string_not_equal(buf, other);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefixes),
        cmocka_unit_test(ports),
        cmocka_unit_test(bad_input_names_the_field),
        cmocka_unit_test(claims_and_rules),
        cmocka_unit_test(controller_is_excluded),
        cmocka_unit_test(dns_names),
        cmocka_unit_test(table_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
