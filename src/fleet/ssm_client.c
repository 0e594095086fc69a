/* The AWS Systems Manager API over AWS JSON 1.1: POST / with
 * X-Amz-Target: AmazonSSM.<Operation>, signed with SigV4 by libcurl itself
 * (CURLOPT_AWS_SIGV4). Credentials and region come from the standard
 * environment variables and the shared credentials/config files. */
#include "core/internal.h"
#include "fleet/ssm.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

/* Reads key from [section] of an INI file; returns 1 if found. */
static int ini_get(const char *path, const char *section, const char *key, char *out, size_t len) {
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    bool in = false;
    int found = 0;
    while (!found && fgets(line, sizeof(line), f)) {
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
        if (strcmp(k, key) == 0) {
            snprintf(out, len, "%s", v);
            found = 1;
        }
    }
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
        snprintf(cfg->session_token, sizeof(cfg->session_token), "%s", tok ? tok : "");
    } else if (ini_get(creds, cfg->profile, "aws_access_key_id", cfg->access_key, sizeof(cfg->access_key)) ||
               ini_get(config, section, "aws_access_key_id", cfg->access_key, sizeof(cfg->access_key))) {
        if (!ini_get(creds, cfg->profile, "aws_secret_access_key", cfg->secret_key, sizeof(cfg->secret_key)))
            ini_get(config, section, "aws_secret_access_key", cfg->secret_key, sizeof(cfg->secret_key));
        if (!ini_get(creds, cfg->profile, "aws_session_token", cfg->session_token, sizeof(cfg->session_token)))
            ini_get(config, section, "aws_session_token", cfg->session_token, sizeof(cfg->session_token));
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
        return fl_fail(err, FL_EINVAL, "region", "--region: no AWS region (use --region, AWS_REGION, or region in %s)",
                       config);
    for (const char *c = cfg->region; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
            return fl_fail(err, FL_EINVAL, "region", "--region: '%s' is not a region like us-east-1", cfg->region);
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

typedef struct buf {
    char *data;
    size_t len;
} buf;

static size_t on_data(char *ptr, size_t size, size_t n, void *user) {
    buf *b = user;
    size_t add = size * n;
    if (b->len + add > (16u << 20))
        return 0;
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

int fl_ssm_call(const fl_ssm_config *cfg, const char *operation, const json_t *body, json_t **response, fl_error *err) {
    fl_error_clear(err);
    *response = NULL;
    static bool inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    CURL *c = curl_easy_init();
    if (!c)
        return fl_fail(err, FL_EAPPLY, "ssm", "cannot initialise libcurl");
    char *payload = json_dumps(body, JSON_COMPACT);
    char target[128], sigv4[128], userpwd[512], token[2200];
    snprintf(target, sizeof(target), "X-Amz-Target: AmazonSSM.%s", operation);
    snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:ssm", cfg->region);
    snprintf(userpwd, sizeof(userpwd), "%s:%s", cfg->access_key, cfg->secret_key);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.1");
    h = curl_slist_append(h, target);
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Expect:");
    if (cfg->session_token[0]) {
        snprintf(token, sizeof(token), "X-Amz-Security-Token: %s", cfg->session_token);
        h = curl_slist_append(h, token);
    }
    buf resp = {0};
    curl_easy_setopt(c, CURLOPT_URL, cfg->endpoint);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "faultline/" FL_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_VERBOSE, cfg->verbose > 1 ? 1L : 0L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(payload);
    if (rc != CURLE_OK) {
        free(resp.data);
        return fl_fail(err, FL_EAPPLY, "ssm", "%s: %s: %s", operation, cfg->endpoint, curl_easy_strerror(rc));
    }
    json_error_t jerr;
    json_t *doc = resp.data && resp.len ? json_loads(resp.data, 0, &jerr) : json_object();
    if (status != 200) {
        const char *type = doc ? json_string_value(json_object_get(doc, "__type")) : NULL;
        const char *msg = doc ? json_string_value(json_object_get(doc, "message")) : NULL;
        if (!msg && doc)
            msg = json_string_value(json_object_get(doc, "Message"));
        fl_fail(err, FL_EAPPLY, "ssm", "%s: HTTP %ld %s%s%s", operation, status, type ? type : "", msg ? ": " : "",
                msg ? msg : "");
        json_decref(doc);
        free(resp.data);
        return (int)status ? (int)status : -1;
    }
    free(resp.data);
    if (!doc)
        return fl_fail(err, FL_EAPPLY, "ssm", "%s: the reply is not JSON", operation);
    *response = doc;
    return 200;
}
