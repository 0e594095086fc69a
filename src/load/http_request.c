/* URL parsing (with http-parser's URL parser) and request building. */
#include "load/http_request.h"
#include "core/internal.h"

#include <ctype.h>
#include <http_parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int fl_http_parse_url(const char *url, const char *field, fl_http_target *out, fl_error *err) {
    memset(out, 0, sizeof(*out));
    if (!url || !*url)
        return fl_fail(err, FL_EINVAL, field, "%s: empty; use e.g. http://127.0.0.1:8080/item/1", field);
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(url, strlen(url), 0, &u) != 0 || !(u.field_set & (1 << UF_SCHEMA)) ||
        !(u.field_set & (1 << UF_HOST)))
        return fl_fail(err, FL_EINVAL, field, "%s: '%s' is not an absolute URL; use e.g. http://127.0.0.1:8080/", field,
                       url);
    const char *scheme = url + u.field_data[UF_SCHEMA].off;
    size_t scheme_len = u.field_data[UF_SCHEMA].len;
    if (scheme_len == 5 && strncasecmp(scheme, "https", 5) == 0)
        return fl_fail(err, FL_EINVAL, field, "%s: https is not supported yet; use http:// (plain HTTP/1.1)", field);
    if (scheme_len != 4 || strncasecmp(scheme, "http", 4) != 0)
        return fl_fail(err, FL_EINVAL, field, "%s: '%.*s' is not supported; use http://", field, (int)scheme_len,
                       scheme);
    if (u.field_set & (1 << UF_USERINFO))
        return fl_fail(err, FL_EINVAL, field,
                       "%s: user info in the URL is not supported; use a header 'Authorization: ...'", field);
    size_t host_len = u.field_data[UF_HOST].len;
    if (host_len == 0 || host_len >= sizeof(out->host))
        return fl_fail(err, FL_EINVAL, field, "%s: the host name is empty or too long", field);
    memcpy(out->host, url + u.field_data[UF_HOST].off, host_len);
    out->host[host_len] = '\0';
    if (u.field_set & (1 << UF_PORT)) {
        if (u.port == 0)
            return fl_fail(err, FL_EINVAL, field, "%s: port 0 is not a port", field);
        snprintf(out->port, sizeof(out->port), "%u", u.port);
    } else {
        snprintf(out->port, sizeof(out->port), "80");
    }
    bool ipv6 = strchr(out->host, ':') != NULL;
    bool default_port = strcmp(out->port, "80") == 0;
    snprintf(out->authority, sizeof(out->authority), "%s%s%s%s%s", ipv6 ? "[" : "", out->host, ipv6 ? "]" : "",
             default_port ? "" : ":", default_port ? "" : out->port);
    /* The path and query as written, from the path to the end (no fragment). */
    size_t start = 0, end = 0;
    if (u.field_set & (1 << UF_PATH)) {
        start = u.field_data[UF_PATH].off;
        end = start + u.field_data[UF_PATH].len;
    }
    if (u.field_set & (1 << UF_QUERY)) {
        if (!start)
            start = u.field_data[UF_QUERY].off - 1; /* the '?' */
        end = u.field_data[UF_QUERY].off + u.field_data[UF_QUERY].len;
    }
    if (end > start) {
        bool needs_slash = url[start] != '/';
        out->path = fl_xasprintf("%s%.*s", needs_slash ? "/" : "", (int)(end - start), url + start);
    } else {
        out->path = fl_xstrdup("/");
    }
    for (const char *p = out->path; p && *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            free(out->path);
            out->path = NULL;
            return fl_fail(err, FL_EINVAL, field,
                           "%s: the path contains a space or a control character; percent-encode it", field);
        }
    return 0;
}

void fl_http_target_clear(fl_http_target *t) {
    free(t->path);
    t->path = NULL;
}

/* RFC 9110 token characters. */
static bool is_token_char(unsigned char c) { return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c)); }

int fl_http_check_method(const char *method, const char *field, fl_error *err) {
    if (!method || !*method || strlen(method) > 32)
        return fl_fail(err, FL_EINVAL, field, "%s: give an HTTP method such as GET or POST", field);
    for (const char *p = method; *p; p++)
        if (!is_token_char((unsigned char)*p))
            return fl_fail(err, FL_EINVAL, field, "%s: '%s' is not an HTTP method; use e.g. GET, POST, PUT", field,
                           method);
    return 0;
}

int fl_http_check_header(const char *header, const char *field, fl_error *err) {
    const char *colon = header ? strchr(header, ':') : NULL;
    if (!colon || colon == header)
        return fl_fail(err, FL_EINVAL, field, "%s: '%s' is not 'Name: value'", field, header ? header : "");
    for (const char *p = header; p < colon; p++)
        if (!is_token_char((unsigned char)*p))
            return fl_fail(err, FL_EINVAL, field, "%s: '%.*s' is not a valid header name", field, (int)(colon - header),
                           header);
    for (const char *p = colon + 1; *p; p++)
        if (*p == '\r' || *p == '\n')
            return fl_fail(err, FL_EINVAL, field, "%s: a header value cannot contain a line break", field);
    size_t name_len = (size_t)(colon - header);
    if ((name_len == 14 && strncasecmp(header, "Content-Length", 14) == 0) ||
        (name_len == 17 && strncasecmp(header, "Transfer-Encoding", 17) == 0))
        return fl_fail(err, FL_EINVAL, field, "%s: %.*s is set by faultline from the body", field, (int)name_len,
                       header);
    return 0;
}

static bool has_header(char *const *headers, size_t n, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strncasecmp(headers[i], name, len) == 0 && headers[i][len] == ':')
            return true;
    return false;
}

char *fl_http_build_request(const fl_http_target *t, const char *method, char *const *headers, size_t n_headers,
                            const char *body, size_t body_len, size_t *len) {
    size_t cap = strlen(method) + strlen(t->path) + strlen(t->authority) + body_len + 256;
    for (size_t i = 0; i < n_headers; i++)
        cap += strlen(headers[i]) + 2;
    char *out = fl_xmalloc(cap);
    size_t n = (size_t)snprintf(out, cap, "%s %s HTTP/1.1\r\n", method, t->path);
    if (!has_header(headers, n_headers, "Host"))
        n += (size_t)snprintf(out + n, cap - n, "Host: %s\r\n", t->authority);
    if (!has_header(headers, n_headers, "User-Agent"))
        n += (size_t)snprintf(out + n, cap - n, "User-Agent: faultline/%s\r\n", FL_VERSION);
    for (size_t i = 0; i < n_headers; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s\r\n", headers[i]);
    bool method_has_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
    if (body_len || method_has_body)
        n += (size_t)snprintf(out + n, cap - n, "Content-Length: %zu\r\n", body_len);
    n += (size_t)snprintf(out + n, cap - n, "\r\n");
    if (body_len) {
        memcpy(out + n, body, body_len);
        n += body_len;
    }
    *len = n;
    return out;
}
