/* Packet helpers and DNS for the packet engine: IPv4/IPv6 parsing,
 * transport checksums, reading the question of a DNS query over UDP and
 * over TCP (a small stream reader per connection), and forging the REFUSED
 * answer a server would give, from the server's address.
 *
 * DNS over TCP: each message is a 2-byte length and the message. A query's
 * name is only in the segment(s) that start a message, so each connection
 * to a server is followed: where the next message starts (from the SYN, or
 * the first data segment seen for a connection opened before the fault),
 * and the first bytes of the current message until its question is
 * complete. A refused TCP query is answered in the stream: a segment from
 * the server starting at the sequence number the client acknowledges, which
 * the client takes as the server's next data. */
#include "net/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- parsing ---- */
bool fl_pkt_parse(const unsigned char *p, size_t len, fl_pkt_view *v) {
    memset(v, 0, sizeof(*v));
    if (len >= 20 && (p[0] >> 4) == 4) {
        size_t ihl = (size_t)(p[0] & 0xf) * 4;
        if (ihl < 20 || len < ihl)
            return false;
        v->family = AF_INET;
        v->src = p + 12;
        v->dst = p + 16;
        v->proto = p[9];
        v->l4_off = ihl;
    } else if (len >= 40 && (p[0] >> 4) == 6) {
        v->family = AF_INET6;
        v->src = p + 8;
        v->dst = p + 24;
        int next = p[6];
        size_t off = 40;
        /* Hop-by-hop, routing and destination options: skip to the
         * transport header. A fragment header stops here (its payload is
         * not a whole transport header after the first fragment). */
        while ((next == 0 || next == 43 || next == 60) && off + 8 <= len) {
            next = p[off];
            off += ((size_t)p[off + 1] + 1) * 8;
        }
        if (off > len)
            return false;
        v->proto = next;
        v->l4_off = off;
    } else {
        return false;
    }
    v->l4 = p + v->l4_off;
    v->l4_len = len - v->l4_off;
    return true;
}

static uint32_t sum16(uint32_t sum, const unsigned char *p, size_t len) {
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    return sum;
}

static uint16_t fold(uint32_t sum) {
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t fl_pkt_l4_checksum(const fl_pkt_view *v, const unsigned char *l4, size_t len) {
    size_t alen = v->family == AF_INET ? 4 : 16;
    uint32_t sum = sum16(0, v->src, alen);
    sum = sum16(sum, v->dst, alen);
    sum += (uint32_t)v->proto + (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
    uint16_t c = fold(sum16(sum, l4, len));
    return v->proto == IPPROTO_UDP && c == 0 ? 0xffff : c;
}

/* ---- DNS names ---- */
int fl_dns_query_name(const unsigned char *dns, size_t len, char *name, size_t name_len) {
    if (len < 12 || name_len == 0)
        return -1;
    size_t pos = 12, out = 0;
    for (;;) {
        if (pos >= len)
            return -1;
        unsigned label = dns[pos++];
        if (label == 0)
            break;
        if (label > 63 || pos + label > len) /* compression cannot occur in a question */
            return -1;
        if (out && out + 1 < name_len)
            name[out++] = '.';
        for (unsigned i = 0; i < label && out + 1 < name_len; i++)
            name[out++] = (char)tolower(dns[pos + i]);
        pos += label;
    }
    name[out] = '\0';
    if (pos + 4 > len)
        return -1;
    return (int)(pos + 4); /* the question's end: name + type + class */
}

bool fl_dns_name_matches(const char *name, const char *domain) {
    if (!domain[0])
        return true;
    size_t n = strlen(name), d = strlen(domain);
    if (d && domain[d - 1] == '.')
        d--; /* "example.com." == "example.com" */
    if (n < d || strncasecmp(name + n - d, domain, d) != 0)
        return false;
    return n == d || name[n - d - 1] == '.';
}

/* 1: a query (not an answer) whose question names the domain; 0: another
 * name or an answer; -1: not complete (yet) or not DNS. *question_end is
 * the end of the question. */
static int query_matches(const unsigned char *dns, size_t len, const char *domain, size_t *question_end) {
    if (len < 12)
        return -1;
    if (dns[2] & 0x80)
        return 0; /* an answer */
    char name[256];
    int end = fl_dns_query_name(dns, len, name, sizeof(name));
    if (end < 0)
        return -1;
    *question_end = (size_t)end;
    return fl_dns_name_matches(name, domain) ? 1 : 0;
}

/* The REFUSED answer to a query: its header and question, flags set. */
static size_t refused_message(const unsigned char *query, size_t question_end, unsigned char *out) {
    memcpy(out, query, question_end);
    out[2] = (unsigned char)(0x80 | (query[2] & 0x79)); /* QR, same opcode, RD */
    out[3] = 0x80 | 5;                                  /* RA, rcode REFUSED */
    out[4] = 0;
    out[5] = 1;            /* one question */
    memset(out + 6, 0, 6); /* no answer/authority/additional */
    return question_end;
}

/* An IP header from the server (v->dst) to the client (v->src); returns its
 * length. The caller fills the transport part after it. */
static size_t reply_ip_header(const fl_pkt_view *v, unsigned char *pkt, size_t l4_len, int proto) {
    if (v->family == AF_INET) {
        memset(pkt, 0, 20);
        pkt[0] = 0x45;
        pkt[2] = (unsigned char)((20 + l4_len) >> 8);
        pkt[3] = (unsigned char)(20 + l4_len);
        pkt[8] = 64;
        pkt[9] = (unsigned char)proto;
        memcpy(pkt + 12, v->dst, 4);
        memcpy(pkt + 16, v->src, 4);
        return 20; /* the kernel fills the header checksum (IP_HDRINCL) */
    }
    memset(pkt, 0, 40);
    pkt[0] = 0x60;
    pkt[4] = (unsigned char)(l4_len >> 8);
    pkt[5] = (unsigned char)l4_len;
    pkt[6] = (unsigned char)proto;
    pkt[7] = 64;
    memcpy(pkt + 8, v->dst, 16);
    memcpy(pkt + 24, v->src, 16);
    return 40;
}

static void put16(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t forge_udp(const fl_pkt_view *v, const unsigned char *query, size_t question_end, unsigned char *out,
                        size_t cap) {
    size_t udp_len = 8 + question_end, ip_len = v->family == AF_INET ? 20 : 40;
    if (ip_len + udp_len > cap)
        return 0;
    size_t h = reply_ip_header(v, out, udp_len, IPPROTO_UDP);
    unsigned char *u = out + h;
    memcpy(u, v->l4 + 2, 2); /* from the server's port to the client's */
    memcpy(u + 2, v->l4, 2);
    put16(u + 4, (unsigned)udp_len);
    put16(u + 6, 0);
    refused_message(query, question_end, u + 8);
    fl_pkt_view rv = {.family = v->family, .src = v->dst, .dst = v->src, .proto = IPPROTO_UDP};
    put16(u + 6, fl_pkt_l4_checksum(&rv, u, udp_len));
    return h + udp_len;
}

/* In the stream: seq = what the client acknowledges (the server's next
 * byte), ack = the end of the client's segment. */
static size_t forge_tcp(const fl_pkt_view *v, size_t seg_payload, const unsigned char *query, size_t question_end,
                        unsigned char *out, size_t cap) {
    size_t data = 2 + question_end, tcp_len = 20 + data, ip_len = v->family == AF_INET ? 20 : 40;
    if (ip_len + tcp_len > cap)
        return 0;
    const unsigned char *t = v->l4;
    size_t h = reply_ip_header(v, out, tcp_len, IPPROTO_TCP);
    unsigned char *r = out + h;
    memset(r, 0, 20);
    memcpy(r, t + 2, 2);
    memcpy(r + 2, t, 2);
    put32(r + 4, get32(t + 8));
    put32(r + 8, get32(t + 4) + (uint32_t)seg_payload);
    r[12] = 5 << 4;
    r[13] = 0x18; /* PSH, ACK */
    put16(r + 14, 65535);
    put16(r + 20, (unsigned)question_end);
    refused_message(query, question_end, r + 22);
    fl_pkt_view rv = {.family = v->family, .src = v->dst, .dst = v->src, .proto = IPPROTO_TCP};
    put16(r + 16, fl_pkt_l4_checksum(&rv, r, tcp_len));
    return h + tcp_len;
}

/* ---- DNS over TCP: one reader per connection ---- */
#define DNS_FLOWS 256
#define MSG_PREFIX (2 + 512)

typedef struct dns_flow {
    bool used;
    int family;
    unsigned char src[16], dst[16];
    unsigned char ports[4];
    uint32_t msg_seq; /* where the next (or current) message starts */
    unsigned char buf[MSG_PREFIX];
    size_t buf_len;
    uint32_t blocked_len; /* drop: the dropped message's length (0: none) */
    uint64_t last_use;
} dns_flow;

struct fl_dns_flows {
    dns_flow flow[DNS_FLOWS];
    uint64_t clock;
};

fl_dns_flows *fl_dns_flows_new(void) { return fl_xcalloc(1, sizeof(fl_dns_flows)); }

static dns_flow *find_flow(fl_dns_flows *f, const fl_pkt_view *v, bool create) {
    size_t alen = v->family == AF_INET ? 4 : 16;
    dns_flow *oldest = &f->flow[0];
    for (size_t i = 0; i < DNS_FLOWS; i++) {
        dns_flow *d = &f->flow[i];
        if (d->used && d->family == v->family && memcmp(d->src, v->src, alen) == 0 &&
            memcmp(d->dst, v->dst, alen) == 0 && memcmp(d->ports, v->l4, 4) == 0) {
            d->last_use = ++f->clock;
            return d;
        }
        if (!d->used || (oldest->used && d->last_use < oldest->last_use))
            oldest = d;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof(*oldest));
    oldest->used = true;
    oldest->family = v->family;
    memcpy(oldest->src, v->src, alen);
    memcpy(oldest->dst, v->dst, alen);
    memcpy(oldest->ports, v->l4, 4);
    oldest->last_use = ++f->clock;
    return oldest;
}

static int inspect_tcp(fl_dns_flows *f, const fl_pkt_view *v, const char *domain, bool refuse, unsigned char *reply,
                       size_t cap, size_t *reply_len) {
    const unsigned char *t = v->l4;
    if (v->l4_len < 20)
        return 0;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (doff < 20 || doff > v->l4_len)
        return 0;
    uint8_t flags = t[13];
    uint32_t seq = get32(t + 4);
    const unsigned char *data = t + doff;
    size_t n = v->l4_len - doff;
    if (flags & 0x04) { /* RST: forget the connection */
        dns_flow *d = find_flow(f, v, false);
        if (d)
            d->used = false;
        return 0;
    }
    if (flags & 0x02) { /* SYN: the first message starts after it */
        dns_flow *d = find_flow(f, v, true);
        d->msg_seq = seq + 1;
        d->buf_len = 0;
        d->blocked_len = 0;
        return 0;
    }
    if (n == 0)
        return 0;
    /* A connection opened before the fault: take this segment as the
     * start of a message. */
    dns_flow *d = find_flow(f, v, false);
    if (!d) {
        d = find_flow(f, v, true);
        d->msg_seq = seq;
    }
    if (d->blocked_len) {
        if (seq - d->msg_seq < d->blocked_len)
            return 1; /* a retransmission of a dropped query */
        d->blocked_len = 0;
        d->msg_seq = seq; /* cannot happen in order; read on from here */
    }
    if (seq == d->msg_seq) {
        d->buf_len = 0; /* the start of the message (again, if retransmitted) */
    } else if (seq != d->msg_seq + (uint32_t)d->buf_len) {
        return 0; /* old data, or a gap: not a message start we can read */
    }
    size_t take = n < sizeof(d->buf) - d->buf_len ? n : sizeof(d->buf) - d->buf_len;
    memcpy(d->buf + d->buf_len, data, take);
    d->buf_len += take;
    if (d->buf_len < 2)
        return 0;
    size_t msg_len = (size_t)d->buf[0] << 8 | d->buf[1];
    size_t have = d->buf_len - 2 < msg_len ? d->buf_len - 2 : msg_len;
    size_t question_end = 0;
    int m = query_matches(d->buf + 2, have, domain, &question_end);
    if (m < 0) {
        if (have < msg_len && d->buf_len < sizeof(d->buf))
            return 0; /* the question continues in the next segment */
        m = 0;        /* unreadable: not ours to judge */
    }
    if (m == 0 || refuse) {
        /* The message is done with: the next one starts after it. A
         * refused query counts as delivered, as the client sees it acked. */
        d->msg_seq += (uint32_t)(2 + msg_len);
        d->buf_len = 0;
    }
    if (m == 0)
        return 0;
    if (refuse && (flags & 0x10))
        *reply_len = forge_tcp(v, n, d->buf + 2, question_end, reply, cap);
    /* drop: the client's retransmissions of any part of the message are
     * dropped too, and the lookup times out. */
    if (!refuse) {
        d->blocked_len = (uint32_t)(2 + msg_len);
        d->buf_len = 0;
    }
    return 1;
}

int fl_dns_inspect(fl_dns_flows *flows, const unsigned char *pkt, size_t len, const char *domain, bool refuse,
                   unsigned char *reply, size_t reply_cap, size_t *reply_len) {
    *reply_len = 0;
    fl_pkt_view v;
    if (!fl_pkt_parse(pkt, len, &v))
        return 0;
    if (v.proto == IPPROTO_TCP)
        return inspect_tcp(flows, &v, domain, refuse, reply, reply_cap, reply_len);
    if (v.proto != IPPROTO_UDP || v.l4_len < 8 + 12)
        return 0;
    const unsigned char *dns = v.l4 + 8;
    size_t question_end = 0;
    if (query_matches(dns, v.l4_len - 8, domain, &question_end) != 1)
        return 0;
    if (refuse)
        *reply_len = forge_udp(&v, dns, question_end, reply, reply_cap);
    return 1;
}
