/* fl_curl_init(): curl_global_init once per process (curl_init.h). */
#include "core/curl_init.h"

#include <curl/curl.h>
#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode result = CURLE_FAILED_INIT;

static void init(void) { result = curl_global_init(CURL_GLOBAL_DEFAULT); }

int fl_curl_init(void) {
    pthread_once(&once, init);
    return result == CURLE_OK ? 0 : -1;
}
