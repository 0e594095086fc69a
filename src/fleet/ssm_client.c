/* The AWS Systems Manager API over AWS JSON 1.1: POST / with
 * X-Amz-Target: AmazonSSM.<Operation>, signed with SigV4 by libcurl itself
 * (CURLOPT_AWS_SIGV4). Credentials and region come from the standard
 * environment variables and the shared credentials/config files. */
#include "core/buffer.h"
#include "core/curl_init.h"
#include "core/internal.h"
#include "fleet/ssm.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

/* Reads key from [section] of an INI file; returns 1 if found, -1 if the
 * value does not fit in out (never cut short). */
static int ini_get(const char *path, const char *section, const char *key, char *out, size_t len) {
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    bool in = false;
    int found = 0;
    while (!found && getline(&line, &cap, f) >= 0) {
        trim(line);
        if (line[0] == '#' || line[0] == ';' || !line[0])
            continue;
        if (line[0] == '[') {
            char *end = strchr(line, ']');
            if (end)
                *end = '\0';
            char *name = line + 1;
            trim(name);
            in = strcmp(name, section) == 0;
            continue;
        }
        char *eq = strchr(line, '=');
        if (!in || !eq)
            continue;
        *eq = '\0';
        char *k = line, *v = eq + 1;
        trim(k);
        trim(v);
        if (strcmp(k, key) == 0)
            found = (size_t)snprintf(out, len, "%s", v) < len ? 1 : -1;
    }
    free(line);
    fclose(f);
    return found;
}

static void shared_path(char *out, size_t len, const char *env, const char *file) {
    const char *e = getenv(env);
    const char *home = getenv("HOME");
    if (e && *e)
        snprintf(out, len, "%s", e);
    else
        snprintf(out, len, "%s/.aws/%s", home ? home : "", file);
}

static bool region_ok(const char *r) {
    for (const char *c = r; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
            return false;
    return true;
}

int fl_ssm_config_load(fl_ssm_config *cfg, fl_error *err) {
    fl_error_clear(err);
    if (!cfg->profile[0]) {
        const char *p = getenv("AWS_PROFILE");
        snprintf(cfg->profile, sizeof(cfg->profile), "%s", p && *p ? p : "default");
    }
    char creds[4096], config[4096], section[256];
    shared_path(creds, sizeof(creds), "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    shared_path(config, sizeof(config), "AWS_CONFIG_FILE", "config");
    if (strcmp(cfg->profile, "default") == 0)
        snprintf(section, sizeof(section), "default");
    else
        snprintf(section, sizeof(section), "profile %s", cfg->profile);

    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (ak && *ak && sk && *sk) {
        snprintf(cfg->access_key, sizeof(cfg->access_key), "%s", ak);
        snprintf(cfg->secret_key, sizeof(cfg->secret_key), "%s", sk);
        const char *tok = getenv("AWS_SESSION_TOKEN");
        if ((size_t)snprintf(cfg->session_token, sizeof(cfg->session_token), "%s", tok ? tok : "") >=
            sizeof(cfg->session_token))
            return fl_fail(err, FL_EINVAL, "credentials", "AWS_SESSION_TOKEN is longer than %zu characters",
                           sizeof(cfg->session_token) - 1);
    } else if (ini_get(creds, cfg->profile, "aws_access_key_id", cfg->access_key, sizeof(cfg->access_key)) ||
               ini_get(config, section, "aws_access_key_id", cfg->access_key, sizeof(cfg->access_key))) {
        if (!ini_get(creds, cfg->profile, "aws_secret_access_key", cfg->secret_key, sizeof(cfg->secret_key)))
            ini_get(config, section, "aws_secret_access_key", cfg->secret_key, sizeof(cfg->secret_key));
        int t = ini_get(creds, cfg->profile, "aws_session_token", cfg->session_token, sizeof(cfg->session_token));
        if (t == 0)
            t = ini_get(config, section, "aws_session_token", cfg->session_token, sizeof(cfg->session_token));
        if (t < 0)
            return fl_fail(err, FL_EINVAL, "credentials",
                           "the aws_session_token of profile '%s' is longer than %zu "
                           "characters",
                           cfg->profile, sizeof(cfg->session_token) - 1);
    }
    if (!cfg->access_key[0] || !cfg->secret_key[0])
        return fl_fail(err, FL_EINVAL, "credentials",
                       "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile "
                       "'%s' to %s",
                       cfg->profile, creds);
    for (const char *c = cfg->access_key; *c; c++)
        if (!isalnum((unsigned char)*c))
            return fl_fail(err, FL_EINVAL, "credentials", "the AWS access key id is not alphanumeric");
    if (!cfg->region[0]) {
        const char *r = getenv("AWS_REGION");
        if (!r || !*r)
            r = getenv("AWS_DEFAULT_REGION");
        if (r && *r)
            snprintf(cfg->region, sizeof(cfg->region), "%s", r);
        else
            ini_get(config, section, "region", cfg->region, sizeof(cfg->region));
    }
    if (!cfg->region[0])
        return fl_fail(err, FL_EINVAL, "region", "region: none given (set it, AWS_REGION, or region in %s)", config);
    if (!region_ok(cfg->region))
        return fl_fail(err, FL_EINVAL, "region", "region: '%s' is not a region like us-east-1", cfg->region);
    if (!cfg->endpoint[0]) {
        const char *e = getenv("AWS_ENDPOINT_URL_SSM");
        if (!e || !*e)
            e = getenv("AWS_ENDPOINT_URL");
        if (e && *e)
            snprintf(cfg->endpoint, sizeof(cfg->endpoint), "%s", e);
        else
            snprintf(cfg->endpoint, sizeof(cfg->endpoint), "https://ssm.%s.amazonaws.com/", cfg->region);
    }
    return 0;
}

int fl_ssm_config_option(fl_ssm_config *cfg, const char *name, const char *value, fl_error *err) {
    fl_error_clear(err);
    const char *v = value ? value : "";
    if (name && strcmp(name, "region") == 0) {
        if (!region_ok(v) || strlen(v) >= sizeof(cfg->region))
            return fl_fail(err, FL_EINVAL, "region", "region: '%s' is not a region like us-east-1", v);
        snprintf(cfg->region, sizeof(cfg->region), "%s", v); /* "": from the environment or the profile */
        return 0;
    }
    if (name && strcmp(name, "profile") == 0) {
        size_t n = strlen(v);
        bool ok = n > 0 && n <= 64;
        for (const char *c = v; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || strchr("_.-", *c);
        if (!ok)
            return fl_fail(err, FL_EINVAL, "profile", "profile: '%s' is not a profile name", v);
        snprintf(cfg->profile, sizeof(cfg->profile), "%s", v);
        return 0;
    }
    if (name && strcmp(name, "endpoint-url") == 0) {
        if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) || strlen(v) >= sizeof(cfg->endpoint))
            return fl_fail(err, FL_EINVAL, "endpoint-url", "endpoint-url: '%s' is not an http(s) URL", v);
        snprintf(cfg->endpoint, sizeof(cfg->endpoint), "%s", v);
        return 0;
    }
    return fl_fail(err, FL_EINVAL, name ? name : "", "%s: not an SSM configuration option", name ? name : "");
}

/* ---- retries --------------------------------------------------------------
 * Throttling (HTTP 429, or 400 with a throttling __type), server errors
 * (5xx) and transport failures are retried, at most RETRY_ATTEMPTS attempts
 * in all, with exponential backoff and full jitter: after the k-th failed
 * attempt (k = 1, 2, ...) the wait is uniform in [0, min(cap, base * 2^(k-1))).
 * Other 4xx (validation, AccessDenied, unknown ids) are final at once. Every
 * attempt is a new curl_easy_perform, so libcurl signs it afresh. */
#define RETRY_ATTEMPTS 5
#define RETRY_BASE_MS 200
#define RETRY_CAP_MS 5000
#define MAX_REPLY_BYTES (16u << 20)

static bool throttling_type(const char *type) {
    static const char *const t[] = {"ThrottlingException", "ThrottledException", "TooManyRequestsException",
                                    "RequestLimitExceeded"};
    size_t n = type ? strlen(type) : 0;
    for (size_t i = 0; i < FL_ARRAY_LEN(t); i++) {
        size_t k = strlen(t[i]);
        if (n >= k && strcmp(type + n - k, t[i]) == 0)
            return true;
    }
    return false;
}

/* A transport failure worth another attempt. SendCommand is not idempotent
 * (SSM has no client token for it): it is retried only when the request
 * cannot have reached the service (no connection was made), so a slow
 * reply never starts the fault twice. */
static bool transport_retryable(CURLcode rc, bool idempotent, bool request_sent) {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return true;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return idempotent || !request_sent;
    default: return false;
    }
}

static int64_t retry_base_us(void) {
    const char *e = getenv("FAULTLINE_SSM_RETRY_BASE_MS"); /* tests: shorter waits only */
    if (e && *e) {
        char *end;
        long ms = strtol(e, &end, 10);
        if (!*end && ms >= 0 && ms < RETRY_BASE_MS)
            return (int64_t)ms * 1000;
    }
    return (int64_t)RETRY_BASE_MS * 1000;
}

static uint64_t jitter_random(void) {
    static _Thread_local uint64_t x;
    if (!x) {
        if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != (ssize_t)sizeof(x) || !x)
            x = (uint64_t)fl_mono_us() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
    }
    x ^= x << 13; /* xorshift64 */
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

/* Full jitter after the `failures`-th failed attempt (1, 2, ...). */
static void backoff(int failures) {
    int64_t ceiling = retry_base_us() << (failures - 1);
    if (ceiling > (int64_t)RETRY_CAP_MS * 1000)
        ceiling = (int64_t)RETRY_CAP_MS * 1000;
    if (ceiling <= 0)
        return;
    int64_t us = (int64_t)(jitter_random() % (uint64_t)ceiling);
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL); /* a stop signal ends the wait early (no SA_RESTART) */
}

/* One HTTP exchange. Returns the HTTP status (0 on a transport failure,
 * *crc set); *reply gets the body. */
static long perform(const fl_ssm_config *cfg, const char *operation, const char *payload, fl_buffer *reply,
                    CURLcode *crc, bool *request_sent) {
    *crc = CURLE_FAILED_INIT;
    *request_sent = false;
    CURL *c = curl_easy_init();
    if (!c)
        return 0;
    char target[128], sigv4[128], userpwd[512];
    snprintf(target, sizeof(target), "X-Amz-Target: AmazonSSM.%s", operation);
    snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:ssm", cfg->region);
    snprintf(userpwd, sizeof(userpwd), "%s:%s", cfg->access_key, cfg->secret_key);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.1");
    h = curl_slist_append(h, target);
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Expect:");
    if (cfg->session_token[0]) {
        char *token = fl_xasprintf("X-Amz-Security-Token: %s", cfg->session_token);
        h = curl_slist_append(h, token);
        free(token); /* curl_slist_append copied it */
    }
    fl_buffer_reset(reply);
    curl_easy_setopt(c, CURLOPT_URL, cfg->endpoint);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4); /* signed afresh by every perform */
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "faultline/" FL_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fl_buffer_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_VERBOSE, cfg->verbose > 1 ? 1L : 0L);
    *crc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t connected = 0, pretransfer = 0; /* microseconds; 0: that stage was never reached */
    curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected);
    curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    *request_sent = connected > 0 || pretransfer > 0 || status != 0;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return *crc == CURLE_OK ? status : 0;
}

int fl_ssm_call(const fl_ssm_config *cfg, const char *operation, const json_t *body, json_t **response, fl_error *err) {
    fl_error_clear(err);
    *response = NULL;
    fl_curl_init(); /* the experiment runner calls from its threads */
    char *payload = json_dumps(body, JSON_COMPACT);
    if (!payload)
        return fl_fail(err, FL_EAPPLY, "ssm", "%s: cannot encode the request", operation);
    bool idempotent = strcmp(operation, "SendCommand") != 0;
    fl_buffer reply;
    fl_buffer_init(&reply, MAX_REPLY_BYTES, false);
    fl_error e = {0}; /* the last attempt's failure */
    json_t *doc = NULL;
    long status = 0;
    int attempt;
    for (attempt = 1;; attempt++) {
        json_decref(doc);
        doc = NULL;
        fl_error_clear(&e);
        CURLcode crc;
        bool sent, again;
        status = perform(cfg, operation, payload, &reply, &crc, &sent);
        if (crc != CURLE_OK) {
            again = transport_retryable(crc, idempotent, sent);
            fl_fail(&e, FL_EAPPLY, "ssm", "%s: %s: %s", operation, cfg->endpoint,
                    crc == CURLE_WRITE_ERROR && reply.overflow ? "the reply is over 16 MiB" : curl_easy_strerror(crc));
        } else {
            json_error_t jerr;
            doc = reply.len ? json_loads(fl_buffer_str(&reply), 0, &jerr) : json_object();
            if (status == 200)
                break;
            const char *type = doc ? json_string_value(json_object_get(doc, "__type")) : NULL;
            const char *msg = doc ? json_string_value(json_object_get(doc, "message")) : NULL;
            if (!msg && doc)
                msg = json_string_value(json_object_get(doc, "Message"));
            again = status == 429 || (status >= 500 && status <= 599) || (status == 400 && throttling_type(type));
            fl_fail(&e, FL_EAPPLY, "ssm", "%s: HTTP %ld %s%s%s", operation, status, type ? type : "", msg ? ": " : "",
                    msg ? msg : "");
        }
        if (!again || attempt >= RETRY_ATTEMPTS)
            break;
        backoff(attempt);
    }
    free(payload);
    fl_buffer_free(&reply);
    if (e.message[0]) {
        json_decref(doc);
        if (attempt > 1) { /* say how hard we tried */
            size_t n = strlen(e.message);
            snprintf(e.message + n, sizeof(e.message) - n, " (after %d attempts)", attempt);
        }
        if (err)
            *err = e;
        return status ? (int)status : -1;
    }
    if (!doc)
        return fl_fail(err, FL_EAPPLY, "ssm", "%s: the reply is not JSON", operation);
    *response = doc;
    return 200;
}
