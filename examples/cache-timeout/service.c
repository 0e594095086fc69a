/* cache-timeout demo service: the service of the Prime Video case study.
 *
 *   GET /item/<id>  reads "item:<id>" from Redis and answers 200 with the
 *                   value, or 200 with a fallback answer when the cache call
 *                   fails or times out (the fallback is a success).
 *   GET /metrics    Prometheus text: the service->Redis call latency as a
 *                   histogram, the slowest call of the last second (calls
 *                   still waiting count at their age), and counts of cache
 *                   errors and timeouts.
 *
 * The cache call has a 40 ms budget. Two builds of the same code differ in
 * one line of configuration, as in the case study's bug:
 *   --mode fixed  the timeout applies to every Redis command (redisSetTimeout)
 *   --mode buggy  only the connect timeout is set, so a command on an already
 *                 open connection waits as long as the network makes it wait.
 *
 * Redis connections come from a pool opened at start-up, which is exactly
 * the case a fault must hit: connections opened before it. */
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Fine between 40 and 100 ms, where the fixed service's calls end (the 40 ms
 * timeout plus scheduling): a quantile is interpolated inside a bucket, so a
 * coarse (50 ms, 100 ms] bucket made calls of 50.1 ms read as a p99 of 73 ms. */
static const double bucket_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.045, 0.05, 0.055, 0.06,
                                       0.07,  0.08,   0.1,   0.25, 0.5,  1,    2,     2.5,  5,     10};
#define N_BUCKETS (sizeof(bucket_bounds) / sizeof(bucket_bounds[0]))

static struct {
    const char *redis_host;
    int redis_port;
    bool fixed;
    struct timeval timeout;
} config = {"127.0.0.1", 6379, true, {0, 40000}};

/* The slowest call is kept per 100 ms slot, so every scraper sees the max
 * of the last second (a reset-on-scrape max would hand a second scraper
 * zero). The gauge looks back over the current slot and the ten before it,
 * so it always covers at least a whole second: a lookback shorter than the
 * scrape interval leaves gaps between scrapes, and calls that end together
 * (every pooled connection released by the same stalled network at once)
 * can fall into a gap on every scrape, so a 2 s call was never seen. */
#define POOL_MAX 1024     /* Redis connections at most */
#define LOOKBACK_SLOTS 11 /* the current slot + 10 whole slots = 1.0-1.1 s */
#define MAX_SLOTS 12
#define SLOT_SECONDS 0.1

static struct {
    pthread_mutex_t lock;
    uint64_t buckets[N_BUCKETS]; /* cumulative at render time */
    uint64_t count;
    double sum;
    double slot_max[MAX_SLOTS];
    long slot_epoch[MAX_SLOTS]; /* which 100 ms slot since start a value belongs to */
    uint64_t errors, timeouts, requests, fallbacks;
    double call_started[POOL_MAX]; /* per pool slot: when its call began, 0 when idle */
} metrics = {.lock = PTHREAD_MUTEX_INITIALIZER};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long current_slot(void) { return (long)(now_seconds() / SLOT_SECONDS); }

static void observe_call(double seconds, bool error, bool timeout) {
    long slot = current_slot();
    pthread_mutex_lock(&metrics.lock);
    int s = (int)(slot % MAX_SLOTS);
    if (metrics.slot_epoch[s] != slot) {
        metrics.slot_epoch[s] = slot;
        metrics.slot_max[s] = 0;
    }
    if (seconds > metrics.slot_max[s])
        metrics.slot_max[s] = seconds;
    for (size_t i = 0; i < N_BUCKETS; i++)
        if (seconds <= bucket_bounds[i]) {
            metrics.buckets[i]++;
            break;
        }
    metrics.count++;
    metrics.sum += seconds;
    metrics.errors += error;
    metrics.timeouts += timeout;
    pthread_mutex_unlock(&metrics.lock);
}

/* A fixed pool of Redis connections, opened at start-up and kept: the
 * long-lived, pooled connections of a real service, which is exactly what a
 * fault must hit (they were open before it started). */
static int pool_size = 64; /* 1000 req/s x 40 ms = 40 calls in flight at the timeout */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    redisContext *conn[POOL_MAX];
    int free_slots[POOL_MAX];
    int n_free;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER};

static redisContext *connect_cache(void) {
    redisContext *c = redisConnectWithTimeout(config.redis_host, config.redis_port, config.timeout);
    /* The fix: every command is bounded by the timeout. The bug: the command
     * timeout is left at 0 (wait forever), as happens with a client whose
     * connect and command timeouts are separate settings and only the
     * connect one was configured. (hiredis 0.14 applies the connect timeout
     * to commands too, so the bug is spelled out here.) */
    static const struct timeval forever = {0, 0};
    if (c && !c->err)
        redisSetTimeout(c, config.fixed ? config.timeout : forever);
    return c;
}

static int pool_take(void) {
    pthread_mutex_lock(&pool.lock);
    while (pool.n_free == 0)
        pthread_cond_wait(&pool.freed, &pool.lock);
    int slot = pool.free_slots[--pool.n_free];
    pthread_mutex_unlock(&pool.lock);
    return slot;
}

static void pool_give(int slot) {
    pthread_mutex_lock(&pool.lock);
    pool.free_slots[pool.n_free++] = slot;
    pthread_cond_signal(&pool.freed);
    pthread_mutex_unlock(&pool.lock);
}

static void pool_open(void) {
    for (int i = 0; i < pool_size; i++) {
        pool.conn[i] = connect_cache();
        pool.free_slots[pool.n_free++] = i;
    }
}

/* Reads the item; returns a malloc'ed value, or NULL for the fallback. */
static char *cache_get(const char *id) {
    int slot = pool_take();
    double t0 = now_seconds();
    pthread_mutex_lock(&metrics.lock);
    metrics.call_started[slot] = t0;
    pthread_mutex_unlock(&metrics.lock);
    redisContext *c = pool.conn[slot];
    if (!c || c->err) { /* broken by an earlier error or timeout: reconnect */
        if (c)
            redisFree(c);
        c = pool.conn[slot] = connect_cache();
    }
    redisReply *reply = NULL;
    if (c && !c->err)
        reply = redisCommand(c, "GET item:%s", id);
    double took = now_seconds() - t0;
    pthread_mutex_lock(&metrics.lock);
    metrics.call_started[slot] = 0;
    pthread_mutex_unlock(&metrics.lock);
    pool_give(slot);
    bool error = !reply || reply->type == REDIS_REPLY_ERROR;
    double budget = (double)config.timeout.tv_sec + (double)config.timeout.tv_usec / 1e6;
    bool timeout = error && took >= 0.9 * budget; /* hiredis reports it as an I/O error (EAGAIN) */
    observe_call(took, error, timeout);
    char *value = NULL;
    if (reply && reply->type == REDIS_REPLY_STRING)
        value = strndup(reply->str, reply->len);
    else if (reply && reply->type == REDIS_REPLY_NIL)
        value = strdup("(not cached)");
    if (reply)
        freeReplyObject(reply);
    return value;
}

static int respond(struct MHD_Connection *conn, unsigned status, const char *type, char *body) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", type);
    int rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static char *render_metrics(void) {
    size_t cap = 8192;
    char *out = malloc(cap);
    size_t n = 0;
    double now = now_seconds();
    long slot = (long)(now / SLOT_SECONDS);
    pthread_mutex_lock(&metrics.lock);
    double max_last_second = 0;
    for (int i = 0; i < MAX_SLOTS; i++)
        if (slot - metrics.slot_epoch[i] < LOOKBACK_SLOTS && metrics.slot_max[i] > max_last_second)
            max_last_second = metrics.slot_max[i];
    /* A call still waiting is at least as slow as its age: without it, a
     * second in which every call is stuck would read as a fast second. */
    for (int i = 0; i < pool_size; i++)
        if (metrics.call_started[i] > 0 && now - metrics.call_started[i] > max_last_second)
            max_last_second = now - metrics.call_started[i];
    n += (size_t)snprintf(out + n, cap - n,
                          "# HELP redis_call_seconds Latency of the service's calls to Redis.\n"
                          "# TYPE redis_call_seconds histogram\n");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        cumulative += metrics.buckets[i];
        n += (size_t)snprintf(out + n, cap - n, "redis_call_seconds_bucket{le=\"%g\"} %" PRIu64 "\n", bucket_bounds[i],
                              cumulative);
    }
    n += (size_t)snprintf(
        out + n, cap - n,
        "redis_call_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
        "redis_call_seconds_sum %.6f\nredis_call_seconds_count %" PRIu64 "\n"
        "# HELP redis_call_seconds_max Slowest Redis call of the last second; calls still waiting count at their age.\n"
        "# TYPE redis_call_seconds_max gauge\nredis_call_seconds_max %.6f\n"
        "# TYPE cache_errors_total counter\ncache_errors_total %" PRIu64 "\n"
        "# TYPE cache_timeouts_total counter\ncache_timeouts_total %" PRIu64 "\n"
        "# TYPE cache_fallbacks_total counter\ncache_fallbacks_total %" PRIu64 "\n"
        "# TYPE http_requests_total counter\nhttp_requests_total %" PRIu64 "\n",
        metrics.count, metrics.sum, metrics.count, max_last_second, metrics.errors, metrics.timeouts, metrics.fallbacks,
        metrics.requests);
    pthread_mutex_unlock(&metrics.lock);
    return out;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)cls, (void)version, (void)upload, (void)upload_size, (void)state;
    if (strcmp(method, "GET") != 0)
        return respond(conn, 405, "text/plain", strdup("GET only\n"));
    if (strcmp(url, "/metrics") == 0)
        return respond(conn, 200, "text/plain; version=0.0.4", render_metrics());
    if (strncmp(url, "/item/", 6) == 0 && url[6] && strlen(url + 6) < 64 && !strpbrk(url + 6, "/ \r\n")) {
        char *value = cache_get(url + 6);
        pthread_mutex_lock(&metrics.lock);
        metrics.requests++;
        metrics.fallbacks += value == NULL;
        pthread_mutex_unlock(&metrics.lock);
        char *body;
        if (value) {
            if (asprintf(&body, "{\"id\":\"%s\",\"value\":\"%s\",\"source\":\"cache\"}\n", url + 6, value) < 0)
                body = NULL;
            free(value);
        } else if (asprintf(&body, "{\"id\":\"%s\",\"value\":null,\"source\":\"fallback\"}\n", url + 6) < 0) {
            body = NULL;
        }
        return body ? respond(conn, 200, "application/json", body) : MHD_NO;
    }
    return respond(conn, 404, "text/plain", strdup("try /item/1 or /metrics\n"));
}

static void usage(FILE *out) {
    fprintf(out, "usage: cache-timeout-service [--listen PORT] [--redis HOST:PORT] [--mode fixed|buggy] "
                 "[--timeout-ms N] [--pool N]\n"
                 "  fixed: every Redis command is bounded by the timeout (default)\n"
                 "  buggy: only the connect timeout is set (the case study's bug)\n"
                 "  --pool: Redis connections opened at start-up (default 64)\n");
}

int main(int argc, char **argv) {
    int port = 8080;
    for (int i = 1; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--listen") == 0 && next) {
            port = atoi(next), i++;
        } else if (strcmp(argv[i], "--redis") == 0 && next) {
            static char host[256];
            snprintf(host, sizeof(host), "%s", next);
            char *colon = strrchr(host, ':');
            if (colon) {
                *colon = '\0';
                config.redis_port = atoi(colon + 1);
            }
            config.redis_host = host, i++;
        } else if (strcmp(argv[i], "--mode") == 0 && next && (!strcmp(next, "fixed") || !strcmp(next, "buggy"))) {
            config.fixed = strcmp(next, "fixed") == 0, i++;
        } else if (strcmp(argv[i], "--pool") == 0 && next && atoi(next) > 0 && atoi(next) <= POOL_MAX) {
            pool_size = atoi(next), i++;
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && next && atoi(next) > 0) {
            int ms = atoi(next);
            config.timeout = (struct timeval){ms / 1000, (ms % 1000) * 1000}, i++;
        } else {
            usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "--listen: bad port\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    pool_open();
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                         handle, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_CONNECTION_LIMIT, 1024u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    fprintf(stderr, "cache-timeout-service: http://127.0.0.1:%d/item/1, redis %s:%d, mode %s, timeout %ldms\n", port,
            config.redis_host, config.redis_port, config.fixed ? "fixed" : "buggy",
            (long)(config.timeout.tv_sec * 1000 + config.timeout.tv_usec / 1000));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
