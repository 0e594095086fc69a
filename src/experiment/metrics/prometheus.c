/* Prometheus metrics scraped from a service's /metrics: the expression
 * syntax of a metric name (prometheus:URL#EXPR), the text exposition format,
 * and the scraper that turns consecutive scrapes into one value per
 * interval (a gauge, a counter's rate, a histogram's quantile). */
#include "core/buffer.h"
#include "core/internal.h"
#include "experiment/metrics/sampler.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCRAPE_BYTES (8 * 1024 * 1024)

/* ---- expressions: NAME, NAME{l="v"}, max(..), sum(..), rate(..),
 *      quantile(0.99, NAME) ----------------------------------------------- */
static bool name_char(char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

static int parse_selector(const char *s, const char *end, prom_expr *e, char *why, size_t why_len) {
    const char *p = s;
    while (p < end && name_char(*p, p == s))
        p++;
    if (p == s) {
        snprintf(why, why_len, "expected a Prometheus metric name after '#'");
        return -1;
    }
    e->name = fl_xstrndup(s, (size_t)(p - s));
    if (p == end)
        return 0;
    if (*p != '{' || end[-1] != '}') {
        snprintf(why, why_len, "'%.*s': expected NAME or NAME{label=\"value\",...}", (int)(end - s), s);
        return -1;
    }
    p++;
    end--;
    while (p < end) {
        const char *l = p;
        while (p < end && name_char(*p, p == l))
            p++;
        if (p == l || p + 1 >= end || *p != '=' || p[1] != '"') {
            snprintf(why, why_len, "labels are written name=\"value\"");
            return -1;
        }
        if (e->n_labels == PROM_MAX_LABELS) {
            snprintf(why, why_len, "at most %d labels", PROM_MAX_LABELS);
            return -1;
        }
        const char *v = p + 2, *q = v;
        while (q < end && *q != '"')
            q++;
        if (q >= end) {
            snprintf(why, why_len, "a label value is not closed with '\"'");
            return -1;
        }
        e->label_names[e->n_labels] = fl_xstrndup(l, (size_t)(p - l));
        e->label_values[e->n_labels] = fl_xstrndup(v, (size_t)(q - v));
        e->n_labels++;
        p = q + 1;
        if (p < end && *p == ',')
            p++;
    }
    return 0;
}

int prom_expr_parse(const char *text, prom_expr *e, char *why, size_t why_len) {
    memset(e, 0, sizeof(*e));
    const char *hash = strrchr(text, '#');
    if (!hash || (strncmp(text, "http://", 7) != 0 && strncmp(text, "https://", 8) != 0)) {
        snprintf(why, why_len,
                 "write prometheus:http://HOST:PORT/metrics#NAME (or #rate(NAME), #quantile(0.99, NAME), "
                 "#max(NAME), #sum(NAME))");
        return -1;
    }
    e->url = fl_xstrndup(text, (size_t)(hash - text));
    const char *s = hash + 1, *end = s + strlen(s);
    static const struct {
        const char *fn;
        prom_func func;
    } fns[] = {{"max(", PROM_MAX}, {"sum(", PROM_SUM}, {"rate(", PROM_RATE}, {"quantile(", PROM_QUANTILE}};
    e->func = PROM_VALUE;
    for (size_t i = 0; i < FL_ARRAY_LEN(fns); i++) {
        size_t n = strlen(fns[i].fn);
        if (strncmp(s, fns[i].fn, n) != 0)
            continue;
        if (end[-1] != ')') {
            snprintf(why, why_len, "'%s': missing ')'", s);
            prom_expr_free(e);
            return -1;
        }
        e->func = fns[i].func;
        s += n;
        end--;
        if (e->func == PROM_QUANTILE) {
            char *q_end;
            e->quantile = strtod(s, &q_end);
            if (q_end == s || *q_end != ',' || !(e->quantile > 0 && e->quantile < 1)) {
                snprintf(why, why_len, "quantile(Q, NAME): Q is a number between 0 and 1, e.g. quantile(0.99, NAME)");
                prom_expr_free(e);
                return -1;
            }
            s = q_end + 1;
            while (*s == ' ')
                s++;
        }
        break;
    }
    if (parse_selector(s, end, e, why, why_len) != 0) {
        prom_expr_free(e);
        return -1;
    }
    return 0;
}

void prom_expr_free(prom_expr *e) {
    free(e->url);
    free(e->name);
    for (size_t i = 0; i < e->n_labels; i++) {
        free(e->label_names[i]);
        free(e->label_values[i]);
    }
    memset(e, 0, sizeof(*e));
}

bool prom_expr_same(const prom_expr *a, const prom_expr *b) {
    if (strcmp(a->url, b->url) || strcmp(a->name, b->name) || a->func != b->func || a->quantile != b->quantile ||
        a->n_labels != b->n_labels)
        return false;
    for (size_t i = 0; i < a->n_labels; i++)
        if (strcmp(a->label_names[i], b->label_names[i]) || strcmp(a->label_values[i], b->label_values[i]))
            return false;
    return true;
}

/* ---- the exposition format ---------------------------------------------- */
/* Finds label `name` in a "{a="x",b="y"}" label set; copies its value. */
static bool label_value(const char *labels, const char *labels_end, const char *name, char *out, size_t len) {
    size_t nlen = strlen(name);
    const char *p = labels;
    while (p && p < labels_end) {
        while (p < labels_end && (*p == '{' || *p == ',' || *p == ' '))
            p++;
        const char *eq = memchr(p, '=', (size_t)(labels_end - p));
        if (!eq || eq + 1 >= labels_end || eq[1] != '"')
            return false;
        const char *v = eq + 2, *q = v;
        size_t o = 0;
        while (q < labels_end && *q != '"') {
            if (*q == '\\' && q + 1 < labels_end)
                q++;
            if (o + 1 < len)
                out[o++] = *q;
            q++;
        }
        out[o] = 0;
        if ((size_t)(eq - p) == nlen && strncmp(p, name, nlen) == 0)
            return true;
        p = q + 1;
    }
    return false;
}

static bool labels_match(const prom_expr *e, const char *labels, const char *labels_end) {
    char v[256];
    for (size_t i = 0; i < e->n_labels; i++)
        if (!labels || !label_value(labels, labels_end, e->label_names[i], v, sizeof(v)) ||
            strcmp(v, e->label_values[i]) != 0)
            return false;
    return true;
}

#define MAX_BUCKETS 128

typedef struct scrape_values {
    bool found;
    double max, sum;
    size_t n_buckets;
    double le[MAX_BUCKETS];
    double count[MAX_BUCKETS]; /* cumulative, summed over series */
} scrape_values;

static void add_bucket(scrape_values *sv, double le, double count) {
    for (size_t i = 0; i < sv->n_buckets; i++)
        if (sv->le[i] == le) {
            sv->count[i] += count;
            return;
        }
    if (sv->n_buckets == MAX_BUCKETS)
        return;
    size_t i = sv->n_buckets++;
    while (i > 0 && sv->le[i - 1] > le) { /* keep them sorted by le */
        sv->le[i] = sv->le[i - 1];
        sv->count[i] = sv->count[i - 1];
        i--;
    }
    sv->le[i] = le;
    sv->count[i] = count;
}

/* Reads the series of one scrape that the expression selects. */
static void extract(const prom_expr *e, const char *text, size_t len, scrape_values *sv) {
    memset(sv, 0, sizeof(*sv));
    sv->max = -INFINITY;
    char bucket_name[256];
    snprintf(bucket_name, sizeof(bucket_name), "%s_bucket", e->name);
    const char *want = e->func == PROM_QUANTILE ? bucket_name : e->name;
    size_t want_len = strlen(want);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *line = p;
        p = nl ? nl + 1 : end;
        if (line == line_end || *line == '#')
            continue;
        if ((size_t)(line_end - line) <= want_len || strncmp(line, want, want_len) != 0)
            continue;
        const char *after = line + want_len;
        const char *labels = NULL, *labels_end = NULL;
        if (*after == '{') {
            labels = after;
            labels_end = memchr(after, '}', (size_t)(line_end - after));
            if (!labels_end)
                continue;
            after = labels_end + 1;
        }
        if (*after != ' ' && *after != '\t')
            continue;
        char num[64];
        while (after < line_end && (*after == ' ' || *after == '\t'))
            after++;
        size_t nlen = 0;
        while (after + nlen < line_end && after[nlen] != ' ' && nlen + 1 < sizeof(num))
            nlen++;
        memcpy(num, after, nlen);
        num[nlen] = 0;
        char *num_end;
        double value = strtod(num, &num_end);
        if (num_end == num || *num_end)
            continue;
        if (!labels_match(e, labels, labels_end))
            continue;
        if (e->func == PROM_QUANTILE) {
            char le_text[64];
            if (!labels || !label_value(labels, labels_end, "le", le_text, sizeof(le_text)))
                continue;
            double le = strcmp(le_text, "+Inf") == 0 ? INFINITY : strtod(le_text, NULL);
            add_bucket(sv, le, value);
        } else {
            if (value > sv->max)
                sv->max = value;
            sv->sum += value;
        }
        sv->found = true;
    }
}

/* The quantile of the observations between two scrapes, interpolated
 * linearly inside its bucket as Prometheus's histogram_quantile does. */
static bool bucket_quantile(const scrape_values *now, const scrape_values *prev, double q, double *out) {
    if (now->n_buckets == 0)
        return false;
    double delta[MAX_BUCKETS];
    for (size_t i = 0; i < now->n_buckets; i++) {
        double before = 0;
        for (size_t j = 0; j < prev->n_buckets; j++)
            if (prev->le[j] == now->le[i])
                before = prev->count[j];
        delta[i] = now->count[i] - before;
        if (delta[i] < 0) /* counter reset: count from zero */
            delta[i] = now->count[i];
    }
    double total = delta[now->n_buckets - 1];
    if (total <= 0)
        return false;
    double rank = q * total;
    for (size_t i = 0; i < now->n_buckets; i++) {
        if (delta[i] >= rank) {
            double lo = i ? now->le[i - 1] : 0, below = i ? delta[i - 1] : 0;
            double hi = now->le[i];
            if (isinf(hi)) /* in the +Inf bucket: the highest finite bound */
                *out = lo;
            else
                *out = lo + (hi - lo) * (delta[i] > below ? (rank - below) / (delta[i] - below) : 1);
            return true;
        }
    }
    *out = now->le[now->n_buckets - 1];
    return true;
}

/* ---- the scraper ------------------------------------------------------- */
typedef struct scraper {
    const prom_expr *expr;
    int64_t timeout_us;
    size_t series_index;
    CURL *curl;
    fl_buffer body; /* one scrape; over MAX_SCRAPE_BYTES the scrape fails */
    bool have_prev;
    scrape_values prev;
    int64_t prev_end_us; /* when the last answered scrape ended (run time) */
    int64_t last_end_us; /* when the last scrape, answered or not, ended; -1 before the first */
} scraper;

/* Why a scrape gave nothing. */
static sample_gap scrape_gap(CURLcode rc, long status) {
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return GAP_TIMEOUT;
    if (rc != CURLE_OK)
        return GAP_UNREACHABLE;
    return status != 200 ? GAP_HTTP_ERROR : GAP_NONE;
}

/* A scrape describes the time since the scrape before it: a gauge such as
 * "the slowest call of the last second" looks back, and a histogram's or a
 * counter's increase is what happened between the two scrapes. So its
 * sample covers (previous scrape's end, this scrape's end], never the time
 * after it: a scrape taken just before a fault starts describes the time
 * before the fault. */
static void scrape_once(sampler *s) {
    scraper *sc = s->data;
    fl_buffer_reset(&sc->body);
    curl_easy_setopt(sc->curl, CURLOPT_TIMEOUT_MS, (long)(sc->timeout_us / 1000));
    CURLcode rc = curl_easy_perform(sc->curl);
    long status = 0;
    curl_easy_getinfo(sc->curl, CURLINFO_RESPONSE_CODE, &status);
    int64_t end = fl_mono_us() - s->t0_mono_us;
    int64_t since = sc->last_end_us >= 0 ? sc->last_end_us : end - s->interval_us;
    sc->last_end_us = end;
    sample out = {.t_us = since, .len_us = end - since, .gap = scrape_gap(rc, status)};
    if (out.gap != GAP_NONE) {
        store_add(s->store, sc->series_index, out);
        return;
    }
    scrape_values now;
    extract(sc->expr, fl_buffer_str(&sc->body), sc->body.len, &now);
    out.gap = now.found ? GAP_NONE : GAP_ABSENT;
    switch (sc->expr->func) {
    case PROM_VALUE:
    case PROM_MAX:
        out.valid = now.found;
        out.value = now.max;
        break;
    case PROM_SUM:
        out.valid = now.found;
        out.value = now.sum;
        break;
    case PROM_RATE:
    case PROM_QUANTILE:
        /* An increase needs the scrape before: the sample spans both. */
        if (now.found && sc->have_prev && sc->prev.found) {
            out.t_us = sc->prev_end_us;
            out.len_us = end - sc->prev_end_us;
        }
        if (!now.found || !sc->have_prev || !sc->prev.found)
            out.gap = now.found ? GAP_NO_CHANGE : GAP_ABSENT;
        else if (sc->expr->func == PROM_RATE) {
            double inc = now.sum >= sc->prev.sum ? now.sum - sc->prev.sum : now.sum;
            out.value = inc / ((double)out.len_us / 1e6);
            out.valid = out.len_us > 0;
        } else {
            out.valid = bucket_quantile(&now, &sc->prev, sc->expr->quantile, &out.value);
            out.gap = out.valid ? GAP_NONE : GAP_NO_CHANGE;
        }
        break;
    }
    bool first = !sc->have_prev;
    sc->prev = now;
    sc->have_prev = true;
    sc->prev_end_us = end;
    /* Rates and quantiles need two scrapes: the first one is the baseline
     * (taken before the run's first second is over), not a missing sample. */
    if (!(first && (sc->expr->func == PROM_RATE || sc->expr->func == PROM_QUANTILE)))
        store_add(s->store, sc->series_index, out);
}

static void scraper_cleanup(sampler *s) {
    scraper *sc = s->data;
    curl_easy_cleanup(sc->curl);
    fl_buffer_free(&sc->body);
    free(sc);
}

sampler *prom_sampler_start(const prom_expr *expr, int64_t interval_us, int64_t timeout_us, series_store *st,
                            size_t series_index, int64_t t0_mono_us, fl_error *err) {
    scraper *sc = fl_xcalloc(1, sizeof(*sc));
    sc->expr = expr;
    sc->timeout_us = timeout_us;
    sc->series_index = series_index;
    sc->last_end_us = -1;
    store_set_cadence(st, series_index, interval_us, "scrapes");
    fl_buffer_init(&sc->body, MAX_SCRAPE_BYTES, false);
    sc->curl = curl_easy_init();
    if (!sc->curl) {
        free(sc);
        fl_fail(err, FL_EAPPLY, "prometheus", "could not initialise libcurl");
        return NULL;
    }
    curl_easy_setopt(sc->curl, CURLOPT_URL, expr->url);
    curl_easy_setopt(sc->curl, CURLOPT_WRITEFUNCTION, fl_buffer_curl_write);
    curl_easy_setopt(sc->curl, CURLOPT_WRITEDATA, &sc->body);
    curl_easy_setopt(sc->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(sc->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    sampler *s = fl_xcalloc(1, sizeof(*s));
    s->interval_us = interval_us;
    s->t0_mono_us = t0_mono_us;
    s->store = st;
    s->take = scrape_once;
    s->cleanup = scraper_cleanup;
    s->data = sc;
    if (sampler_launch(s) != 0) {
        scraper_cleanup(s);
        free(s);
        fl_fail(err, FL_EAPPLY, "prometheus", "could not start the scraper thread");
        return NULL;
    }
    return s;
}
