/* libFuzzer target for what the packet engine reads from the wire: a
 * sequence of IP packets (each a 2-byte length and its bytes) going to a DNS
 * server, given to the IPv4/IPv6 parser and to the DNS reader, which follows
 * TCP streams across packets and may forge an answer. It must never crash,
 * read out of bounds, or forge an answer larger than its buffer. Built with
 * -DFAULTLINE_FUZZ=ON and clang; run by tests/fuzz.sh. */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    bool refuse = data[0] & 1;
    const char *domain = (data[0] & 2) ? "" : "example.com";
    data++;
    size--;
    fl_dns_flows *flows = fl_dns_flows_new();
    while (size >= 2) {
        size_t len = (size_t)data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (len > size)
            len = size;
        /* A copy of exactly len bytes, so that any read past it is caught. */
        unsigned char *pkt = malloc(len ? len : 1);
        memcpy(pkt, data, len);
        fl_pkt_view v;
        if (fl_pkt_parse(pkt, len, &v) && v.l4_off > len)
            abort();
        unsigned char reply[700];
        size_t reply_len = 0;
        fl_dns_inspect(flows, pkt, len, domain, refuse, reply, sizeof(reply), &reply_len);
        if (reply_len > sizeof(reply))
            abort();
        free(pkt);
        data += len;
        size -= len;
    }
    free(flows);
    return 0;
}
