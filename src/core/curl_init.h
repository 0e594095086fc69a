/* libcurl's global state, set up once per process and never torn down:
 * curl_global_init is not thread-safe against other libcurl use, and a
 * cleanup at the end of one experiment would pull it from under another
 * (or from under the program that embeds the library). */
#ifndef FL_CORE_CURL_INIT_H
#define FL_CORE_CURL_INIT_H

/* Safe from any thread, any number of times; 0 or -1 if libcurl failed. */
int fl_curl_init(void);

#endif
