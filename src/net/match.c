/* Traffic matching shared by every network attack: parsing the --host,
 * --port, --protocol, --direction, --interface, --exclude-*, --netns and
 * --include-controller parameters, conflict claims, and the nftables rules
 * that select the packets.
 *
 * The rules are generated as nft commands from parsed values only (addresses
 * re-printed by inet_ntop, numbers by printf, interface names checked
 * against a strict character set), so no user text reaches nft's parser. */
#include "net/net.h"

#include "core/buffer.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int fl_net_parse_prefix(const char *text, fl_net_prefix *out) {
    char addr[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    if (alen == 0 || alen >= sizeof(addr))
        return -1;
    memcpy(addr, text, alen);
    addr[alen] = '\0';
    fl_net_prefix p = {0};
    if (inet_pton(AF_INET, addr, p.addr) == 1) {
        p.family = AF_INET;
        p.len = 32;
    } else if (inet_pton(AF_INET6, addr, p.addr) == 1) {
        p.family = AF_INET6;
        p.len = 128;
    } else {
        return -1;
    }
    if (slash) {
        char *end;
        long len = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || len < 0 || len > p.len)
            return -1;
        p.len = (int)len;
    }
    /* nftables interval sets want the network address: clear host bits. */
    int bytes = p.family == AF_INET ? 4 : 16;
    for (int bit = p.len; bit < bytes * 8; bit++)
        p.addr[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
    *out = p;
    return 0;
}

const char *fl_net_format_prefix(const fl_net_prefix *p, char *buf, size_t len) {
    char a[INET6_ADDRSTRLEN];
    inet_ntop(p->family, p->addr, a, sizeof(a));
    int full = p->family == AF_INET ? 32 : 128;
    if (p->len == full)
        snprintf(buf, len, "%s", a);
    else
        snprintf(buf, len, "%s/%d", a, p->len);
    return buf;
}

int fl_net_parse_ports(const char *text, fl_net_ports *out) {
    char *end;
    if (!isdigit((unsigned char)text[0]))
        return -1;
    long lo = strtol(text, &end, 10), hi = lo;
    if (*end == '-') {
        if (!isdigit((unsigned char)end[1]))
            return -1;
        hi = strtol(end + 1, &end, 10);
    }
    if (*end || lo < 1 || hi > 65535 || lo > hi)
        return -1;
    out->lo = (uint16_t)lo;
    out->hi = (uint16_t)hi;
    return 0;
}

static bool is_hostname(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
            return false;
    return true;
}

static bool same_prefix(const fl_net_prefix *a, const fl_net_prefix *b) {
    return a->family == b->family && a->len == b->len && memcmp(a->addr, b->addr, 16) == 0;
}

static void add_prefix(fl_net_prefix **list, size_t *n, const fl_net_prefix *p) {
    for (size_t i = 0; i < *n; i++)
        if (same_prefix(&(*list)[i], p))
            return;
    *list = fl_xreallocarray(*list, *n + 1, sizeof(**list));
    (*list)[(*n)++] = *p;
}

int fl_net_resolve(const char *name, fl_net_prefix **out, size_t *n) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fl_net_prefix p = {.family = ai->ai_family};
        if (ai->ai_family == AF_INET) {
            memcpy(p.addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
            p.len = 32;
        } else if (ai->ai_family == AF_INET6) {
            memcpy(p.addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
            p.len = 128;
        } else {
            continue;
        }
        add_prefix(out, n, &p);
    }
    freeaddrinfo(res);
    return 0;
}

/* An address, a CIDR, or (when names are allowed) a hostname resolved now. */
static int parse_host_list(const fl_value *v, const char *field, bool names_allowed, fl_net_match *m,
                           fl_net_prefix **list, size_t *n, fl_error *err) {
    for (size_t i = 0; i < v->n_list; i++) {
        const char *text = v->list[i];
        fl_net_prefix p;
        if (fl_net_parse_prefix(text, &p) == 0) {
            add_prefix(list, n, &p);
            continue;
        }
        if (strchr(text, '/') || strchr(text, ':') || !is_hostname(text))
            return fl_fail(err, FL_EINVAL, field,
                           "%s: '%s' is not an IPv4/IPv6 address, a CIDR (10.0.0.0/8) or a hostname", field, text);
        size_t before = *n;
        if (fl_net_resolve(text, list, n) != 0 || *n == before)
            return fl_fail(err, FL_EINVAL, field, "%s: cannot resolve hostname '%s'", field, text);
        if (names_allowed && m->n_hostnames < FL_NET_MAX_NAMES)
            m->hostnames[m->n_hostnames++] = fl_xstrdup(text);
    }
    return 0;
}

static int parse_port_list(const fl_value *v, const char *field, fl_net_ports *ports, size_t *n, fl_error *err) {
    if (v->n_list > FL_NET_MAX_PORTS)
        return fl_fail(err, FL_EINVAL, field, "%s: at most %d ports or ranges", field, FL_NET_MAX_PORTS);
    for (size_t i = 0; i < v->n_list; i++)
        if (fl_net_parse_ports(v->list[i], &ports[(*n)++]) != 0)
            return fl_fail(err, FL_EINVAL, field, "%s: '%s' is not a port (1-65535) or a range N-M with N <= M", field,
                           v->list[i]);
    return 0;
}

/* ---- the host's live SSH sessions ----
 * $SSH_CONNECTION names one session, and is often not there (sudo with
 * env_reset, su -, cron, a tmux started from an earlier login): the
 * sessions themselves are the established TCP connections that sshd's
 * processes hold, read from /proc in the fault's network namespace. */
static void add_controller(fl_net_match *m, const fl_net_prefix *peer, unsigned peer_port, unsigned own_port) {
    if (peer_port == 0 || peer_port > 65535 || own_port == 0 || own_port > 65535)
        return;
    for (size_t i = 0; i < m->n_controllers; i++)
        if (same_prefix(&m->controllers[i].peer, peer) && m->controllers[i].peer_port == peer_port &&
            m->controllers[i].own_port == own_port)
            return;
    if (m->n_controllers < FL_NET_MAX_CONTROLLERS)
        m->controllers[m->n_controllers++] = (struct fl_net_conn){*peer, (uint16_t)peer_port, (uint16_t)own_port};
}

/* "0100007F:0016" (IPv4, one little-endian word) or 32 hex digits (IPv6,
 * four words) and a port, as /proc/net/tcp{,6} print them. */
static bool proc_addr(const char *text, int family, fl_net_prefix *p, unsigned *port) {
    const char *colon = strchr(text, ':');
    size_t hex = family == AF_INET ? 8 : 32;
    if (!colon || (size_t)(colon - text) != hex)
        return false;
    *p = (fl_net_prefix){.family = family, .len = family == AF_INET ? 32 : 128};
    for (size_t w = 0; w < hex / 8; w++) {
        char word[9];
        memcpy(word, text + w * 8, 8);
        word[8] = '\0';
        uint32_t v = (uint32_t)strtoul(word, NULL, 16); /* stored in host order (x86, arm: little-endian) */
        memcpy(p->addr + w * 4, &v, 4);
    }
    *port = (unsigned)strtoul(colon + 1, NULL, 16);
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET6 && memcmp(p->addr, mapped, 12) == 0) { /* an IPv4 client on a [::] listener */
        memmove(p->addr, p->addr + 12, 4);
        memset(p->addr + 4, 0, 12);
        p->family = AF_INET;
        p->len = 32;
    }
    return true;
}

static bool is_ssh_daemon(const char *comm) { return strncmp(comm, "sshd", 4) == 0 || strcmp(comm, "dropbear") == 0; }

void fl_net_find_controllers(fl_net_match *m, bool notice) {
    m->n_controllers = 0;
    unsigned long long *inodes = NULL;
    size_t n_inodes = 0, cap = 0, unreadable = 0;
    pid_t reader = 0; /* one sshd process of the namespace: its /proc/PID/net */
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        char comm[32], path[96];
        if (*end || pid <= 1 || fl_proc_comm((pid_t)pid, comm, sizeof(comm)) != 0 || !is_ssh_daemon(comm))
            continue;
        struct stat st;
        snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
        if (stat(path, &st) != 0 || (uint64_t)st.st_ino != m->netns_ino)
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
        DIR *fds = opendir(path);
        if (!fds) {
            unreadable++;
            continue;
        }
        struct dirent *f;
        while ((f = readdir(fds))) {
            char link[64], target[64];
            snprintf(link, sizeof(link), "/proc/%ld/fd/%s", pid, f->d_name);
            ssize_t l = readlink(link, target, sizeof(target) - 1);
            unsigned long long ino;
            if (l <= 0)
                continue;
            target[l] = '\0';
            if (sscanf(target, "socket:[%llu]", &ino) != 1)
                continue;
            if (n_inodes == cap) {
                cap = cap ? cap * 2 : 64;
                inodes = fl_xreallocarray(inodes, cap, sizeof(*inodes));
            }
            inodes[n_inodes++] = ino;
            reader = (pid_t)pid;
        }
        closedir(fds);
    }
    if (d)
        closedir(d);
    for (int fam = 0; reader && fam < 2; fam++) {
        char path[64], line[512];
        snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)reader, fam ? "tcp6" : "tcp");
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f)) {
            char local[64], remote[64];
            unsigned state;
            unsigned long long ino;
            if (sscanf(line, " %*s %63s %63s %x %*s %*s %*s %*s %*s %llu", local, remote, &state, &ino) != 4 ||
                state != 1 /* ESTABLISHED */)
                continue;
            bool held = false;
            for (size_t i = 0; i < n_inodes && !held; i++)
                held = inodes[i] == ino;
            fl_net_prefix peer, self;
            unsigned peer_port, own_port;
            if (held && proc_addr(local, fam ? AF_INET6 : AF_INET, &self, &own_port) &&
                proc_addr(remote, fam ? AF_INET6 : AF_INET, &peer, &peer_port))
                add_controller(m, &peer, peer_port, own_port);
        }
        if (f)
            fclose(f);
    }
    free(inodes);
    /* $SSH_CONNECTION is "client_ip client_port server_ip server_port". */
    const char *ssh = getenv("SSH_CONNECTION");
    char client[INET6_ADDRSTRLEN], server[INET6_ADDRSTRLEN];
    unsigned cport, sport;
    fl_net_prefix peer;
    if (!m->netns.set && ssh && sscanf(ssh, "%45s %u %45s %u", client, &cport, server, &sport) == 4 &&
        !strchr(client, '/') && fl_net_parse_prefix(client, &peer) == 0)
        add_controller(m, &peer, cport, sport);
    if (!notice)
        return;
    if (m->n_controllers) {
        char list[700] = "";
        for (size_t i = 0; i < m->n_controllers; i++) {
            char a[64];
            size_t used = strlen(list);
            snprintf(list + used, sizeof(list) - used, "%s%s:%u->%u", i ? ", " : "",
                     fl_net_format_prefix(&m->controllers[i].peer, a, sizeof(a)), m->controllers[i].peer_port,
                     m->controllers[i].own_port);
        }
        fl_notice("leaving %zu SSH session(s) alone (%s); --include-controller hits them too", m->n_controllers, list);
    }
    if (unreadable)
        fl_notice("could not read the connections of %zu sshd process(es) (not root?): their SSH sessions are not "
                  "excluded",
                  unreadable);
}

int fl_net_match_parse(const fl_spec *spec, fl_net_match *m, fl_error *err) {
    memset(m, 0, sizeof(*m));
    const fl_value *hosts = fl_spec_value(spec, "host");
    m->any_host = !hosts->given;
    if (parse_host_list(hosts, "host", true, m, &m->hosts, &m->n_hosts, err) != 0)
        return -1;
    if (parse_host_list(fl_spec_value(spec, "exclude-host"), "exclude-host", false, m, &m->excluded, &m->n_excluded,
                        err) != 0)
        return -1;
    if (parse_port_list(fl_spec_value(spec, "port"), "port", m->ports, &m->n_ports, err) != 0)
        return -1;
    if (parse_port_list(fl_spec_value(spec, "exclude-port"), "exclude-port", m->excluded_ports, &m->n_excluded_ports,
                        err) != 0)
        return -1;

    const char *proto = fl_spec_str(spec, "protocol");
    if (strcmp(proto, "tcp") == 0)
        m->protocols = FL_NET_TCP;
    else if (strcmp(proto, "udp") == 0)
        m->protocols = FL_NET_UDP;
    else if (strcmp(proto, "icmp") == 0)
        m->protocols = FL_NET_ICMP;
    else if (m->n_ports > 0)
        m->protocols = FL_NET_TCP | FL_NET_UDP; /* ports only exist for these */
    else {
        m->protocols = FL_NET_TCP | FL_NET_UDP | FL_NET_ICMP;
        m->all_protocols = true;
    }
    if (m->protocols == FL_NET_ICMP && m->n_ports > 0)
        return fl_fail(err, FL_EINVAL, "port", "port: ICMP has no ports; drop the port, or use protocol tcp or udp");

    const char *dir = fl_spec_str(spec, "direction");
    m->directions = strcmp(dir, "egress") == 0    ? FL_NET_EGRESS
                    : strcmp(dir, "ingress") == 0 ? FL_NET_INGRESS
                                                  : FL_NET_EGRESS | FL_NET_INGRESS;

    if (fl_spec_given(spec, "interface")) {
        const char *ifname = fl_spec_str(spec, "interface");
        size_t n = strlen(ifname);
        bool ok = n > 0 && n < IF_NAMESIZE;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)ifname[i]) || strchr("_.-@:", ifname[i]);
        if (!ok)
            return fl_fail(err, FL_EINVAL, "interface",
                           "interface: '%s' is not an interface name (1-%d of A-Z a-z 0-9 _ . - @ :)", ifname,
                           IF_NAMESIZE - 1);
        snprintf(m->ifname, sizeof(m->ifname), "%s", ifname);
    }

    if (fl_spec_given(spec, "netns")) {
        if (fl_netns_resolve(fl_spec_str(spec, "netns"), &m->netns, err) != 0)
            return -1;
        m->netns_ino = m->netns.ino;
    } else {
        m->netns_ino = fl_netns_current_ino();
    }
    /* An interface that does not exist is a typo; checked where it matters. */
    if (m->ifname[0]) {
        int saved;
        if (fl_netns_enter(&m->netns, &saved, err) != 0)
            return -1;
        unsigned index = if_nametoindex(m->ifname);
        fl_netns_leave(saved);
        if (index == 0)
            return fl_fail(err, FL_EINVAL, "interface", "interface: no interface '%s'%s", m->ifname,
                           m->netns.set ? " in that network namespace" : " on this host");
    }
    if (!fl_spec_bool(spec, "include-controller"))
        fl_net_find_controllers(m, true);
    return 0;
}

void fl_net_match_free(fl_net_match *m) {
    free(m->hosts);
    free(m->excluded);
    for (size_t i = 0; i < m->n_hostnames; i++)
        free(m->hostnames[i]);
    memset(m, 0, sizeof(*m));
}

void fl_net_match_claims(fl_spec *spec, const fl_net_match *m) {
    static const struct {
        unsigned bit;
        const char *name;
    } protos[] = {{FL_NET_TCP, "tcp"}, {FL_NET_UDP, "udp"}, {FL_NET_ICMP, "icmp"}};
    size_t n_hosts = m->any_host ? 1 : m->n_hosts;
    size_t n_ports = m->n_ports ? m->n_ports : 1;
    for (size_t p = 0; p < FL_ARRAY_LEN(protos); p++) {
        if (!(m->protocols & protos[p].bit))
            continue;
        for (size_t h = 0; h < n_hosts; h++) {
            char host[64] = "*";
            if (!m->any_host)
                fl_net_format_prefix(&m->hosts[h], host, sizeof(host));
            for (size_t i = 0; i < n_ports; i++) {
                char port[16] = "*";
                if (m->n_ports && m->ports[i].lo == m->ports[i].hi)
                    snprintf(port, sizeof(port), "%u", m->ports[i].lo);
                else if (m->n_ports)
                    snprintf(port, sizeof(port), "%u-%u", m->ports[i].lo, m->ports[i].hi);
                fl_spec_claim(spec, "net:%llu:%s:%s:%s", (unsigned long long)m->netns_ino, protos[p].name, host, port);
            }
        }
    }
}

/* ---- rule text ---- */
static void print_ports(fl_buffer *out, const fl_net_ports *ports, size_t n) {
    fl_buffer_puts(out, "{ ");
    for (size_t i = 0; i < n; i++) {
        if (ports[i].lo == ports[i].hi)
            fl_buffer_printf(out, "%s%u", i ? ", " : "", ports[i].lo);
        else
            fl_buffer_printf(out, "%s%u-%u", i ? ", " : "", ports[i].lo, ports[i].hi);
    }
    fl_buffer_puts(out, " }");
}

static void print_set(fl_buffer *out, const char *table, const char *set, int family, const fl_net_prefix *list,
                      size_t n) {
    fl_buffer_printf(out, "add set inet %s %s { type %s; flags interval; auto-merge; }\n", table, set,
                     family == AF_INET ? "ipv4_addr" : "ipv6_addr");
    size_t printed = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].family != family)
            continue;
        char buf[64];
        if (printed++ == 0)
            fl_buffer_printf(out, "add element inet %s %s { ", table, set);
        else
            fl_buffer_puts(out, ", ");
        fl_buffer_puts(out, fl_net_format_prefix(&list[i], buf, sizeof(buf)));
    }
    if (printed)
        fl_buffer_puts(out, " }\n");
}

static const char *action_text(const fl_net_action *a, unsigned proto, bool egress) {
    if (a->verdict == FL_NET_QUEUE)
        return egress ? "counter goto fl_out" : "counter goto fl_in";
    /* reset: a RST for TCP; ICMP port unreachable for UDP and other
     * protocols (ECONNREFUSED on a connected socket); ICMP itself is
     * dropped. */
    if (proto == FL_NET_TCP)
        return "counter reject with tcp reset";
    return proto == FL_NET_ICMP ? "counter drop" : "counter reject";
}

/* One direction's chain: exclusions first (return), then the fault. With
 * tally, the engine's "tally" chain right after it (priority -299): the
 * same match ending in a named counter, which counts the matched packets
 * that went on past the fault's chain: those the engine let through, and
 * those the kernel let through without it (its queue full or nobody bound:
 * fail-open). The engine subtracts the first to count the second. */
enum { CHAIN_FAULT, CHAIN_TALLY, CHAIN_CLAMP };
static void print_chain(fl_buffer *out, const fl_net_match *m, const fl_net_action *a, const char *table, bool egress,
                        int kind) {
    static const char *const names[3][2] = {
        {"ingress", "egress"}, {"tally_in", "tally_out"}, {"clamp_in", "clamp_out"}};
    const char *chain = names[kind][egress];
    bool tally = kind == CHAIN_TALLY, clamp_only = kind == CHAIN_CLAMP;
    const char *peer = egress ? "daddr" : "saddr";
    const char *peer_port = egress ? "dport" : "sport";
    const char *own_port = egress ? "sport" : "dport";
    fl_buffer_printf(out, "add chain inet %s %s { type filter hook %s priority %d; policy accept; }\n", table, chain,
                     egress ? "output" : "input", tally ? -299 : -300);
    for (size_t i = 0; !clamp_only && i < m->n_controllers; i++) {
        char c[64];
        fl_buffer_printf(out, "add rule inet %s %s %s %s %s tcp %s %u tcp %s %u return\n", table, chain,
                         m->controllers[i].peer.family == AF_INET ? "ip" : "ip6", peer,
                         fl_net_format_prefix(&m->controllers[i].peer, c, sizeof(c)), peer_port,
                         m->controllers[i].peer_port, own_port, m->controllers[i].own_port);
    }
    if (a->verdict == FL_NET_QUEUE && !clamp_only) {
        /* Packets of this fault's engine and of older faults' (their stamp
         * is not higher): see FL_NET_ENGINE_MARK. */
        char own[128];
        snprintf(own, sizeof(own), "%s mark and 0xffff0000 == 0x%08x %s mark and 0x0000ffff <= 0x%08x",
                 egress ? "socket" : "meta", FL_NET_ENGINE_MARK(0), egress ? "socket" : "meta",
                 (unsigned)a->engine_stamp);
        fl_buffer_printf(out, "add rule inet %s %s %s%s return\n", table, chain, own,
                         !egress && tally ? " meta mark set 0x0" : "");
    }
    for (int fam = 0; fam < 2; fam++) {
        int family = fam ? AF_INET6 : AF_INET;
        for (size_t i = 0; i < m->n_excluded; i++)
            if (m->excluded[i].family == family) {
                fl_buffer_printf(out, "add rule inet %s %s %s %s @%s return\n", table, chain, fam ? "ip6" : "ip", peer,
                                 fam ? "ex6" : "ex4");
                break;
            }
    }
    if (m->n_excluded_ports) {
        for (int end = 0; end < 2; end++) {
            fl_buffer_printf(out, "add rule inet %s %s meta l4proto { tcp, udp } th %s ", table, chain,
                             end ? "sport" : "dport");
            print_ports(out, m->excluded_ports, m->n_excluded_ports);
            fl_buffer_puts(out, " return\n");
        }
    }
    static const unsigned protos[] = {FL_NET_TCP, FL_NET_UDP, FL_NET_ICMP};
    int families = m->any_host ? 1 : 2;
    char clamp[128] = "", count[64];
    snprintf(count, sizeof(count), "counter name %s", egress ? "tally_out" : "tally_in");
    if (a->clamp_mss && !tally)
        snprintf(clamp, sizeof(clamp), "tcp flags syn tcp option maxseg size > %u tcp option maxseg size set %u",
                 a->clamp_mss, a->clamp_mss);
    for (int fam = 0; fam < families; fam++) {
        char addr[32] = "";
        if (!m->any_host)
            snprintf(addr, sizeof(addr), "%s %s @%s ", fam ? "ip6" : "ip", peer, fam ? "dst6" : "dst4");
        char iface[40] = "";
        if (m->ifname[0])
            snprintf(iface, sizeof(iface), "%s \"%s\" ", egress ? "oifname" : "iifname", m->ifname);
        if (m->all_protocols && a->verdict != FL_NET_RESET) {
            if (clamp[0])
                fl_buffer_printf(out, "add rule inet %s %s %s%smeta l4proto tcp %s\n", table, chain, iface, addr,
                                 clamp);
            if (!clamp_only)
                fl_buffer_printf(out, "add rule inet %s %s %s%s%s\n", table, chain, iface, addr,
                                 tally ? count : action_text(a, 0, egress));
            continue;
        }
        for (size_t p = 0; p < FL_ARRAY_LEN(protos); p++) {
            if (!(m->protocols & protos[p]))
                continue;
            const char *l4 = protos[p] == FL_NET_TCP   ? "meta l4proto tcp "
                             : protos[p] == FL_NET_UDP ? "meta l4proto udp "
                             : m->any_host             ? "meta l4proto { icmp, ipv6-icmp } "
                             : fam                     ? "meta l4proto ipv6-icmp "
                                                       : "meta l4proto icmp ";
            for (int pass = protos[p] == FL_NET_TCP && clamp[0] ? 0 : 1; pass < (clamp_only ? 1 : 2); pass++) {
                fl_buffer_printf(out, "add rule inet %s %s %s%s%s", table, chain, iface, addr, l4);
                if (m->n_ports && protos[p] != FL_NET_ICMP) {
                    fl_buffer_printf(out, "th %s ", peer_port);
                    print_ports(out, m->ports, m->n_ports);
                    fl_buffer_puts(out, " ");
                }
                fl_buffer_printf(out, "%s\n", pass == 0 ? clamp : tally ? count : action_text(a, protos[p], egress));
            }
        }
        if (m->all_protocols && !clamp_only) /* reset: everything else gets ICMP unreachable */
            fl_buffer_printf(out, "add rule inet %s %s %s%scounter reject\n", table, chain, iface, addr);
    }
}

char *fl_net_rules_text(const fl_net_match *m, const fl_net_action *a, const char *table) {
    fl_buffer text = FL_BUFFER_UNCAPPED;
    fl_buffer_printf(&text, "add table inet %s\n", table);
    if (!m->any_host) {
        print_set(&text, table, "dst4", AF_INET, m->hosts, m->n_hosts);
        print_set(&text, table, "dst6", AF_INET6, m->hosts, m->n_hosts);
    }
    for (int fam = 0; fam < 2; fam++) {
        int family = fam ? AF_INET6 : AF_INET;
        for (size_t i = 0; i < m->n_excluded; i++)
            if (m->excluded[i].family == family) {
                print_set(&text, table, fam ? "ex6" : "ex4", family, m->excluded, m->n_excluded);
                break;
            }
    }
    if (a->verdict == FL_NET_QUEUE) {
        /* The engine's queues, with bypass: nobody bound, the packet passes. */
        for (int dir = 0; dir < 2; dir++) {
            if (!(m->directions & (dir ? FL_NET_INGRESS : FL_NET_EGRESS)))
                continue;
            fl_buffer_printf(&text, "add counter inet %s %s\n", table, dir ? "tally_in" : "tally_out");
            fl_buffer_printf(&text, "add chain inet %s %s\n", table, dir ? "fl_in" : "fl_out");
            if (a->queue_expr)
                fl_buffer_printf(&text, "add rule inet %s %s counter queue num %u bypass\n", table,
                                 dir ? "fl_in" : "fl_out", dir ? a->queue_in : a->queue_out);
        }
    }
    for (int kind = CHAIN_FAULT; kind <= (a->verdict == FL_NET_QUEUE ? CHAIN_TALLY : CHAIN_FAULT); kind++) {
        if (m->directions & FL_NET_EGRESS)
            print_chain(&text, m, a, table, true, kind);
        if (m->directions & FL_NET_INGRESS)
            print_chain(&text, m, a, table, false, kind);
    }
    /* The MSS is set by each end's SYN: clamp the other direction's too
     * (only SYNs of the matched flows; nothing else is touched there). */
    if (a->clamp_mss && (m->protocols & FL_NET_TCP) && !(m->directions & FL_NET_INGRESS))
        print_chain(&text, m, a, table, false, CHAIN_CLAMP);
    if (a->clamp_mss && (m->protocols & FL_NET_TCP) && !(m->directions & FL_NET_EGRESS))
        print_chain(&text, m, a, table, true, CHAIN_CLAMP);
    return fl_buffer_take(&text);
}
