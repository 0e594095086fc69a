/* fl_load_config: every option of a load, set from text and validated at
 * once, so that the CLI and an experiment file share the same checks and
 * messages. */
#include "core/buffer.h"
#include "core/internal.h"
#include "load/http_request.h"
#include "load/load_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

fl_load_config *fl_load_config_new(void) {
    fl_load_config *cfg = fl_xcalloc(1, sizeof(*cfg));
    cfg->connections = FL_LOAD_DEFAULT_CONNECTIONS;
    cfg->method = fl_xstrdup("GET");
    cfg->timeout_us = FL_LOAD_DEFAULT_TIMEOUT_US;
    cfg->late_after_us = FL_LOAD_DEFAULT_LATE_AFTER_US;
    cfg->window_us = FL_LOAD_DEFAULT_WINDOW_US;
    return cfg;
}

void fl_load_config_free(fl_load_config *cfg) {
    if (!cfg)
        return;
    free(cfg->url);
    free(cfg->method);
    for (size_t i = 0; i < cfg->n_headers; i++)
        free(cfg->headers[i]);
    free(cfg->headers);
    free(cfg->body);
    free(cfg);
}

fl_load_config *fl_load_config_copy(const fl_load_config *cfg) {
    fl_load_config *copy = fl_xcalloc(1, sizeof(*copy));
    *copy = *cfg;
    copy->url = cfg->url ? fl_xstrdup(cfg->url) : NULL;
    copy->method = fl_xstrdup(cfg->method);
    copy->headers = cfg->n_headers ? fl_xcalloc(cfg->n_headers, sizeof(char *)) : NULL;
    copy->body = NULL;
    if (cfg->body_len || cfg->body) {
        copy->body = fl_xmalloc(cfg->body_len + 1);
        memcpy(copy->body, cfg->body, cfg->body_len);
        copy->body[cfg->body_len] = '\0';
    }
    for (size_t i = 0; i < cfg->n_headers; i++)
        copy->headers[i] = fl_xstrdup(cfg->headers[i]);
    return copy;
}

static void set_string(char **slot, const char *value) {
    char *copy = fl_xstrdup(value);
    free(*slot);
    *slot = copy;
}

static void set_body(fl_load_config *cfg, const char *data, size_t len) {
    char *copy = fl_xmalloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    free(cfg->body);
    cfg->body = copy;
    cfg->body_len = len;
}

/* The body limit keeps one pre-built request (sent as is, every time) in a
 * sensible size. */

static int read_body_file(fl_load_config *cfg, const char *path, const char *field, fl_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fl_fail(err, FL_EINVAL, field, "%s: cannot open '%s': %s", field, path, strerror(errno));
    fl_buffer body;
    fl_buffer_init(&body, FL_LOAD_MAX_BODY_BYTES, false);
    int rc = fl_buffer_read_fd(&body, fd, false);
    close(fd);
    if (rc != 0) {
        rc = fl_fail(err, FL_EINVAL, field,
                     body.overflow ? "%s: '%s' is larger than " FL_LOAD_MAX_BODY_TEXT : "%s: cannot read '%s'", field,
                     path);
        fl_buffer_free(&body);
        return rc;
    }
    set_body(cfg, fl_buffer_str(&body), body.len);
    fl_buffer_free(&body);
    return 0;
}

static int set_duration_option(int64_t *slot, const char *value, const char *field, int64_t min_us, int64_t max_us,
                               fl_error *err) {
    int64_t us;
    if (fl_parse_duration(value, field, &us, err) != 0)
        return -1;
    char lo[32], hi[32];
    if (us < min_us || us > max_us)
        return fl_fail(err, FL_EINVAL, field, "%s: %s is out of range (%s to %s)", field, value,
                       fl_format_duration(min_us, lo, sizeof(lo)), fl_format_duration(max_us, hi, sizeof(hi)));
    *slot = us;
    return 0;
}

int fl_load_config_set(fl_load_config *cfg, const char *name, const char *value, fl_error *err) {
    fl_error_clear(err);
    if (!name)
        return fl_fail(err, FL_EINVAL, "", "no option name");
    if (!value)
        return fl_fail(err, FL_EINVAL, name, "%s: needs a value", name);
    if (strcmp(name, "url") == 0) {
        fl_http_target t;
        if (fl_http_parse_url(value, name, &t, err) != 0)
            return -1;
        fl_http_target_clear(&t);
        set_string(&cfg->url, value);
        return 0;
    }
    if (strcmp(name, "rate") == 0) {
        double rate;
        if (fl_parse_rate(value, name, &rate, err) != 0)
            return -1;
        if (isfinite(rate) && rate > FL_LOAD_MAX_RATE)
            return fl_fail(err, FL_EINVAL, name, "%s: %s is above %.0f/s; use max for as fast as possible", name, value,
                           FL_LOAD_MAX_RATE);
        cfg->rate = rate;
        cfg->rate_given = true;
        return 0;
    }
    if (strcmp(name, "duration") == 0) {
        if (set_duration_option(&cfg->duration_us, value, name, FL_LOAD_MIN_DURATION_US, FL_LOAD_MAX_DURATION_US,
                                err) != 0)
            return -1;
        cfg->duration_given = true;
        return 0;
    }
    if (strcmp(name, "connections") == 0) {
        char *end;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno || end == value || *end || n < 1 || n > FL_LOAD_MAX_CONNECTIONS)
            return fl_fail(err, FL_EINVAL, name, "%s: '%s' is not a number from 1 to %d", name, value,
                           FL_LOAD_MAX_CONNECTIONS);
        cfg->connections = (uint32_t)n;
        return 0;
    }
    if (strcmp(name, "method") == 0) {
        if (fl_http_check_method(value, name, err) != 0)
            return -1;
        set_string(&cfg->method, value);
        return 0;
    }
    if (strcmp(name, "header") == 0) {
        if (fl_http_check_header(value, name, err) != 0)
            return -1;
        cfg->headers = fl_xreallocarray(cfg->headers, cfg->n_headers + 1, sizeof(*cfg->headers));
        cfg->headers[cfg->n_headers++] = fl_xstrdup(value);
        return 0;
    }
    if (strcmp(name, "body") == 0) {
        size_t len = strlen(value);
        if (len > FL_LOAD_MAX_BODY_BYTES)
            return fl_fail(err, FL_EINVAL, name, "%s: larger than " FL_LOAD_MAX_BODY_TEXT, name);
        set_body(cfg, value, len);
        return 0;
    }
    if (strcmp(name, "body-file") == 0)
        return read_body_file(cfg, value, name, err);
    if (strcmp(name, "timeout") == 0)
        return set_duration_option(&cfg->timeout_us, value, name, FL_LOAD_MIN_TIMEOUT_US, FL_LOAD_MAX_OPTION_US, err);
    if (strcmp(name, "late-after") == 0)
        return set_duration_option(&cfg->late_after_us, value, name, 0, FL_LOAD_MAX_OPTION_US, err);
    if (strcmp(name, "window") == 0)
        return set_duration_option(&cfg->window_us, value, name, FL_LOAD_MIN_WINDOW_US, FL_LOAD_MAX_OPTION_US, err);
    return fl_fail(err, FL_EINVAL, name,
                   "%s: not a load option (url, rate, duration, connections, method, header, body, body-file, "
                   "timeout, late-after, window)",
                   name);
}

int fl_load_config_validate(const fl_load_config *cfg, fl_error *err) {
    fl_error_clear(err);
    if (!cfg->url)
        return fl_fail(err, FL_EINVAL, "url", "url: which URL? e.g. http://127.0.0.1:8080/");
    if (!cfg->rate_given)
        return fl_fail(err, FL_EINVAL, "rate", "rate: required, e.g. 1000/s (or max for closed loop)");
    if (!cfg->duration_given)
        return fl_fail(err, FL_EINVAL, "duration", "duration: required, e.g. 30s");
    return 0;
}
