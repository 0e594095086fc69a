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
        {"packet-loss", {"percent", "0.001%", "duration", "1s"}, "percent"},
        {"packet-loss", {"percent", "90%", "burst", "5", "duration", "1s"}, "burst"},
        {"packet-loss", {"percent", "30%", "burst", "0", "duration", "1s"}, "burst"},
        {"latency", {"delay", "1ms", "correlation", "50%", "duration", "1s"}, "correlation"},
        {"latency", {"delay", "1ms", "max-held-bytes", "1K", "duration", "1s"}, "max-held-bytes"},
        {"corrupt", {"percent", "0%", "duration", "1s"}, "percent"},
        {"duplicate", {"duration", "1s"}, "percent"},
        {"reorder", {"percent", "10%", "gap", "0", "duration", "1s"}, "gap"},
        {"reorder", {"percent", "10%", "max-wait", "0ms", "duration", "1s"}, "max-wait"},
        {"blackhole", {"verify", "maybe", "duration", "1s"}, "verify"},
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
    p->action.queue_out = 20001;
    p->action.engine_stamp = 3;
    p->action.queue_expr = true;
    char *text = fl_net_rules_text(&p->match, &p->action, "faultline_t");
    assert_non_null(strstr(text, "add element inet faultline_t dst4 { 127.0.0.1 }"));
    assert_non_null(strstr(text, "add element inet faultline_t dst6 { ::1 }"));
    assert_non_null(strstr(text, "add rule inet faultline_t fl_out counter queue num 20001 bypass"));
    /* The engine's re-sent copies pass before anything else matches. */
    const char *skip = strstr(text, "add rule inet faultline_t egress socket mark and 0xffff0000 == 0x464c0000 socket "
                                    "mark and 0x0000ffff <= 0x00000003 return");
    const char *rule = strstr(text, "egress ip daddr @dst4 meta l4proto tcp th dport { 6379 } counter goto fl_out");
    assert_non_null(skip);
    assert_non_null(rule);
    assert_true(skip < rule);
    assert_non_null(strstr(text, "egress ip6 daddr @dst6 meta l4proto tcp th dport { 6379 } counter goto fl_out"));
    assert_null(strstr(text, "chain inet faultline_t ingress"));
    /* The engine copies: new connections' MSS keeps segments whole in a
     * queue message, SYN and SYN-ACK (the other way, clamp only). */
    assert_non_null(strstr(text, "egress ip daddr @dst4 meta l4proto tcp th dport { 6379 } tcp flags syn tcp option "
                                 "maxseg size > 65000 tcp option maxseg size set 65000"));
    assert_non_null(strstr(text, "clamp_in ip saddr @dst4 meta l4proto tcp th sport { 6379 } tcp flags syn tcp option "
                                 "maxseg size > 65000 tcp option maxseg size set 65000\n"));
    assert_null(strstr(text, "clamp_in ip saddr @dst4 meta l4proto tcp th sport { 6379 } counter"));
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

/* What each kind asks of the engine. */
static fl_spec *plans[32];
static size_t n_plans;
static fl_net_plan *plan_of(const char *kind, const char *const *pairs) {
    fl_error err;
    fl_spec *spec = fl_spec_new(kind, &err);
    for (int i = 0; pairs[i]; i += 2)
        assert_int_equal(fl_spec_set(spec, pairs[i], pairs[i + 1], &err), 0);
    assert_int_equal(fl_spec_set(spec, "duration", "1s", &err), 0);
    if (fl_spec_validate(spec, &err) != 0)
        fail_msg("%s: %s", kind, err.message);
    plans[n_plans++] = spec; /* freed at the end of the test */
    return spec->data;
}

static void engine_plans(void **state) {
    (void)state;
    fl_net_plan *p = plan_of("packet-loss", (const char *const[]){"percent", "100%", NULL});
    assert_int_equal(p->engine.mode, FL_ENGINE_LOSS);
    assert_true(p->engine.probability == 1.0);
    p = plan_of("packet-loss", (const char *const[]){"percent", "30%", "burst", "5", NULL});
    assert_true(p->engine.burst == 5.0);
    p = plan_of("blackhole", (const char *const[]){"direction", "both", NULL});
    assert_int_equal(p->engine.mode, FL_ENGINE_LOSS);
    assert_int_equal(p->engine.directions, FL_NET_EGRESS | FL_NET_INGRESS);
    p = plan_of("dns", (const char *const[]){NULL});
    assert_int_equal(p->action.verdict, FL_NET_QUEUE); /* drop: silent, in the engine */
    p = plan_of("dns", (const char *const[]){"mode", "refuse", NULL});
    assert_int_equal(p->action.verdict, FL_NET_RESET);
    assert_false(p->uses_engine);
    p = plan_of("bandwidth", (const char *const[]){"rate", "1mbit", "port", "8080", NULL});
    assert_int_equal(p->engine.directions, FL_NET_EGRESS | FL_NET_INGRESS); /* both ways by default */
    assert_int_equal(p->action.clamp_mss, 1460);
    p->action.queue_expr = true;
    p->action.engine_stamp = 7;
    char *text = fl_net_rules_text(&p->match, &p->action, "faultline_t");
    assert_non_null(strstr(text, "ingress meta l4proto tcp th sport { 8080 } tcp flags syn tcp option maxseg size > "
                                 "1460 tcp option maxseg size set 1460"));
    assert_non_null(
        strstr(text, "ingress meta mark and 0xffff0000 == 0x464c0000 meta mark and 0x0000ffff <= 0x00000007 return"));
    assert_non_null(strstr(text, "tally_in meta mark and 0xffff0000 == 0x464c0000 meta mark and 0x0000ffff <= "
                                 "0x00000007 meta mark set 0x0 return"));
    assert_non_null(strstr(text, "tally_in meta l4proto tcp th sport { 8080 } counter name tally_in"));
    assert_non_null(strstr(text, "add chain inet faultline_t fl_in"));
    free(text);
    p = plan_of("bandwidth", (const char *const[]){"rate", "1gbit", NULL});
    assert_int_equal(p->action.clamp_mss, 65000); /* whole copies; no need of small packets */
    p = plan_of("latency", (const char *const[]){"delay", "2s", "jitter", "10ms", "correlation", "25%",
                                                 "max-held-bytes", "1M", NULL});
    assert_true(p->engine.correlation == 0.25);
    assert_int_equal(p->engine.max_held_bytes, 1 << 20);
    p = plan_of("reorder", (const char *const[]){"percent", "10%", "gap", "3", NULL});
    assert_int_equal(p->engine.gap, 3);
    assert_int_equal(p->engine.reorder_wait_us, 20000);
    p = plan_of("corrupt", (const char *const[]){"percent", "10%", "direction", "ingress", NULL});
    assert_int_equal(p->engine.directions, FL_NET_INGRESS);
    p = plan_of("duplicate", (const char *const[]){"percent", "10%", "verify", "passive", NULL});
    assert_true(p->passive);
    while (n_plans)
        fl_spec_free(plans[--n_plans]);
}

static size_t tcp_query(unsigned char *pkt, uint32_t seq, uint32_t ack, uint8_t flags, const unsigned char *data,
                        size_t n) {
    memset(pkt, 0, 40);
    pkt[0] = 0x45;
    pkt[2] = (unsigned char)((40 + n) >> 8);
    pkt[3] = (unsigned char)(40 + n);
    pkt[9] = 6;
    pkt[12] = 127, pkt[15] = 1, pkt[16] = 127, pkt[19] = 53; /* 127.0.0.1 -> 127.0.0.53 */
    unsigned char *t = pkt + 20;
    t[0] = 0xc0, t[1] = 0x00, t[2] = 0, t[3] = 53;
    t[4] = (unsigned char)(seq >> 24), t[5] = (unsigned char)(seq >> 16), t[6] = (unsigned char)(seq >> 8),
    t[7] = (unsigned char)seq;
    t[8] = (unsigned char)(ack >> 24), t[9] = (unsigned char)(ack >> 16), t[10] = (unsigned char)(ack >> 8),
    t[11] = (unsigned char)ack;
    t[12] = 5 << 4;
    t[13] = flags;
    if (n)
        memcpy(pkt + 40, data, n);
    return 40 + n;
}

static void dns_over_tcp(void **state) {
    (void)state;
    static const unsigned char msg[] = {0,    33, /* length */
                                        0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0, 0,   0,   0,   0, 3, 'a', 'p', 'i', 7,
                                        'e',  'x',  'a',  'm',  'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1,   0,   1};
    unsigned char pkt[200], reply[700];
    size_t reply_len, n;
    fl_dns_flows *flows = fl_dns_flows_new();
    /* SYN, then the query in one segment: dropped; its retransmission too. */
    n = tcp_query(pkt, 1000, 0, 0x02, NULL, 0);
    assert_int_equal(fl_dns_inspect(flows, pkt, n, "example.com", false, reply, sizeof(reply), &reply_len), 0);
    n = tcp_query(pkt, 1001, 5000, 0x18, msg, sizeof(msg));
    assert_int_equal(fl_dns_inspect(flows, pkt, n, "example.com", false, reply, sizeof(reply), &reply_len), 1);
    assert_int_equal(reply_len, 0);
    assert_int_equal(fl_dns_inspect(flows, pkt, n, "example.com", false, reply, sizeof(reply), &reply_len), 1);
    /* Whatever the domain now, this is the dropped query again. */
    assert_int_equal(fl_dns_inspect(flows, pkt, n, "example.org", false, reply, sizeof(reply), &reply_len), 1);
    free(flows);
    flows = fl_dns_flows_new();
    n = tcp_query(pkt, 1000, 0, 0x02, NULL, 0);
    fl_dns_inspect(flows, pkt, n, "example.org", false, reply, sizeof(reply), &reply_len);
    n = tcp_query(pkt, 1001, 5000, 0x18, msg, sizeof(msg));
    assert_int_equal(fl_dns_inspect(flows, pkt, n, "example.org", false, reply, sizeof(reply), &reply_len), 0);
    free(flows);
    /* Split: the length alone, then the message; refused in the stream. */
    flows = fl_dns_flows_new();
    n = tcp_query(pkt, 1000, 0, 0x02, NULL, 0);
    fl_dns_inspect(flows, pkt, n, "example.com", true, reply, sizeof(reply), &reply_len);
    n = tcp_query(pkt, 1001, 5000, 0x18, msg, 2);
    assert_int_equal(fl_dns_inspect(flows, pkt, n, "example.com", true, reply, sizeof(reply), &reply_len), 0);
    n = tcp_query(pkt, 1003, 5000, 0x18, msg + 2, sizeof(msg) - 2);
    assert_int_equal(fl_dns_inspect(flows, pkt, n, "example.com", true, reply, sizeof(reply), &reply_len), 1);
    assert_int_equal(reply_len, 20 + 20 + 2 + 33);
    /* From the server, in its stream: seq = what the client acked, ack =
     * the end of the client's segment; rcode REFUSED. */
    static const unsigned char addrs[] = {127, 0, 0, 53, 127, 0, 0, 1};
    assert_memory_equal(reply + 12, addrs, sizeof(addrs));
    assert_int_equal(reply[20 + 4] << 24 | reply[20 + 5] << 16 | reply[20 + 6] << 8 | reply[20 + 7], 5000);
    assert_int_equal(reply[20 + 8] << 24 | reply[20 + 9] << 16 | reply[20 + 10] << 8 | reply[20 + 11],
                     1003 + (int)sizeof(msg) - 2);
    assert_int_equal(reply[20 + 20 + 2 + 3] & 0xf, 5);
    fl_pkt_view v;
    assert_true(fl_pkt_parse(reply, reply_len, &v));
    unsigned char copy[200];
    memcpy(copy, v.l4, v.l4_len);
    copy[16] = copy[17] = 0;
    uint16_t sum = fl_pkt_l4_checksum(&v, copy, v.l4_len);
    assert_int_equal(sum, v.l4[16] << 8 | v.l4[17]);
    free(flows);
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
        cmocka_unit_test(engine_plans),
        cmocka_unit_test(dns_over_tcp),
        cmocka_unit_test(table_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
