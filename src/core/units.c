/* Parsing and formatting of the units used everywhere: durations, sizes,
 * percentages, rates. Strict: no trailing garbage, no negative values, no
 * overflow, and every error names the field and shows an example. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reads a non-negative decimal number (digits with an optional fraction)
 * from *p, advancing it. No sign, no exponent, no hex: "1e3" and "0x10" are
 * typos here, not numbers. */
static bool read_number(const char **p, double *out) {
    const char *s = *p;
    const char *start = s;
    while (isdigit((unsigned char)*s))
        s++;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (s == start)
        return false;
    char buf[64];
    size_t n = (size_t)(s - start);
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, start, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    *p = s;
    return true;
}

int fl_parse_duration(const char *text, const char *field, int64_t *out_us, fl_error *err) {
    static const struct {
        const char *suffix;
        double us;
    } units[] = {
        /* longest suffixes first so "ms" is not read as "m" */
        {"us", 1.0}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"h", 3600e6},
    };
    if (!text || !*text)
        return fl_fail(err, FL_EINVAL, field, "%s: empty duration; use e.g. 500ms, 30s, 2m", field);
    const char *p = text;
    double total = 0;
    while (*p) {
        double n;
        if (!read_number(&p, &n))
            return fl_fail(err, FL_EINVAL, field,
                           "%s: '%s' is not a duration; use a number and a unit: 500us, 40ms, 2s, 1m, 1h", field, text);
        size_t i;
        for (i = 0; i < FL_ARRAY_LEN(units); i++) {
            size_t l = strlen(units[i].suffix);
            if (strncmp(p, units[i].suffix, l) == 0 && !isalpha((unsigned char)p[l]))
                break;
        }
        if (i == FL_ARRAY_LEN(units) && !*p)
            return fl_fail(err, FL_EINVAL, field, "%s: '%s' needs a unit (us, ms, s, m, h), e.g. %ss", field, text,
                           text);
        if (i == FL_ARRAY_LEN(units))
            return fl_fail(err, FL_EINVAL, field,
                           "%s: '%s' is not a duration: '%s' is not a unit (us, ms, s, m, h; no exponents), "
                           "e.g. 500ms, 30s, 1m30s",
                           field, text, p);
        total += n * units[i].us;
        p += strlen(units[i].suffix);
        if (total > 9.2e18 / 2)
            return fl_fail(err, FL_EINVAL, field, "%s: '%s' is too long", field, text);
    }
    *out_us = (int64_t)llround(total);
    return 0;
}

int fl_parse_size(const char *text, const char *field, uint64_t *out_bytes, fl_error *err) {
    if (!text || !*text)
        return fl_fail(err, FL_EINVAL, field, "%s: empty size; use e.g. 512M, 2G", field);
    const char *p = text;
    double n;
    if (!read_number(&p, &n))
        return fl_fail(err, FL_EINVAL, field,
                       "%s: '%s' is not a size; use bytes or K, M, G, T (powers of 1024): 512M, 2G", field, text);
    double mult = 1;
    switch (toupper((unsigned char)*p)) {
    case 'K':
        mult = 1024.0;
        p++;
        break;
    case 'M':
        mult = 1024.0 * 1024;
        p++;
        break;
    case 'G':
        mult = 1024.0 * 1024 * 1024;
        p++;
        break;
    case 'T':
        mult = 1024.0 * 1024 * 1024 * 1024;
        p++;
        break;
    default: break;
    }
    if (mult > 1 && (*p == 'i' || *p == 'I'))
        p++;
    if (*p == 'B' || *p == 'b')
        p++;
    if (*p)
        return fl_fail(err, FL_EINVAL, field, "%s: '%s' has an unknown unit; use bytes or K, M, G, T: 512M, 2G", field,
                       text);
    /* Sizes end up in off_t and int64_t: at most 2^63 - 1 bytes. Compared
     * before converting, which past that would be undefined. */
    double bytes = n * mult;
    if (!(bytes < 9223372036854775807.0))
        return fl_fail(err, FL_EINVAL, field, "%s: '%s' is too large (at most 8388607T)", field, text);
    *out_bytes = (uint64_t)llround(bytes);
    return 0;
}

int fl_parse_percent(const char *text, const char *field, double *out_percent, fl_error *err) {
    if (!text || !*text)
        return fl_fail(err, FL_EINVAL, field, "%s: empty percentage; use e.g. 80%%", field);
    const char *p = text;
    double n;
    if (!read_number(&p, &n) || (*p && strcmp(p, "%") != 0))
        return fl_fail(err, FL_EINVAL, field, "%s: '%s' is not a percentage; use e.g. 80%%", field, text);
    if (n > 100.0)
        return fl_fail(err, FL_EINVAL, field, "%s: %s is more than 100%%", field, text);
    *out_percent = n;
    return 0;
}

int fl_parse_rate(const char *text, const char *field, double *out_per_second, fl_error *err) {
    if (text && strcmp(text, "max") == 0) {
        *out_per_second = INFINITY;
        return 0;
    }
    const char *p = text ? text : "";
    double n;
    if (!read_number(&p, &n))
        return fl_fail(err, FL_EINVAL, field, "%s: '%s' is not a rate; use e.g. 1000/s, 60/m or max", field,
                       text ? text : "");
    double per = 1;
    if (strcmp(p, "/s") == 0)
        per = 1;
    else if (strcmp(p, "/m") == 0)
        per = 60;
    else if (strcmp(p, "/h") == 0)
        per = 3600;
    else
        return fl_fail(err, FL_EINVAL, field, "%s: '%s' needs a unit: /s, /m or /h (e.g. 1000/s)", field, text);
    if (n <= 0)
        return fl_fail(err, FL_EINVAL, field, "%s: the rate must be above zero", field);
    *out_per_second = n / per;
    return 0;
}

const char *fl_format_duration(int64_t us, char *buf, size_t len) {
    if (us % 3600000000LL == 0 && us)
        snprintf(buf, len, "%lldh", (long long)(us / 3600000000LL));
    else if (us % 60000000LL == 0 && us)
        snprintf(buf, len, "%lldm", (long long)(us / 60000000LL));
    else if (us >= 60000000LL && us % 1000000 == 0)
        snprintf(buf, len, "%lldm%llds", (long long)(us / 60000000LL), (long long)(us % 60000000LL / 1000000));
    else if (us % 1000000 == 0)
        snprintf(buf, len, "%llds", (long long)(us / 1000000));
    else if (us % 1000 == 0)
        snprintf(buf, len, "%lldms", (long long)(us / 1000));
    else
        snprintf(buf, len, "%lldus", (long long)us);
    return buf;
}

const char *fl_format_size(uint64_t bytes, char *buf, size_t len) {
    static const char units[] = "KMGT";
    double v = (double)bytes;
    int u = -1;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, len, "%llu", (unsigned long long)bytes);
    else if (v == floor(v))
        snprintf(buf, len, "%.0f%c", v, units[u]);
    else
        snprintf(buf, len, "%.1f%c", v, units[u]);
    return buf;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int fl_parse_cpulist(const char *text, const char *field, int **cpus, size_t *n, fl_error *err) {
    enum { MAX_CPU = 4096 };
    const char *p = text ? text : "";
    int *out = NULL;
    size_t count = 0;
    if (!*p)
        return fl_fail(err, FL_EINVAL, field, "%s: empty cpu list; use e.g. 0-3,6", field);
    while (*p) {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)*p))
            goto bad;
        long lo = strtol(p, &end, 10), hi = lo;
        p = end;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad;
            hi = strtol(p, &end, 10);
            p = end;
        }
        if (errno || lo > hi || hi >= MAX_CPU) {
            free(out);
            return fl_fail(err, FL_EINVAL, field, "%s: bad range in '%s' (cpus are 0-%d, low-high)", field, text,
                           MAX_CPU - 1);
        }
        for (long c = lo; c <= hi; c++) {
            out = fl_xreallocarray(out, count + 1, sizeof(*out));
            out[count++] = (int)c;
        }
        if (*p == ',' && p[1])
            p++;
        else if (*p)
            goto bad;
    }
    qsort(out, count, sizeof(*out), cmp_int);
    size_t w = 0;
    for (size_t r = 0; r < count; r++)
        if (w == 0 || out[w - 1] != out[r])
            out[w++] = out[r];
    *cpus = out;
    *n = w;
    return 0;
bad:
    free(out);
    return fl_fail(err, FL_EINVAL, field, "%s: '%s' is not a cpu list; use e.g. 0-3,6", field, text);
}
