/* Selection (filters and FIS-like modes), SSM-like limits, and the quoting
 * and ssh argv that carry a command to a host without a shell on our side. */
#include "core/internal.h"
#include "fleet/fleet.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int inval(fl_error *err, const char *field, const char *msg, const char *what) {
    err->code = FL_EINVAL;
    snprintf(err->field, sizeof(err->field), "%s", field);
    snprintf(err->message, sizeof(err->message), "%s: %s%s%s%s", field, msg, what ? " ('" : "", what ? what : "",
             what ? "')" : "");
    return -1;
}

int fl_select_mode_parse(const char *text, fl_selection *out, fl_error *err) {
    if (strcmp(text, "all") == 0) {
        *out = (fl_selection){FL_MODE_ALL, 0};
        return 0;
    }
    bool count = strncmp(text, "count(", 6) == 0, percent = strncmp(text, "percent(", 8) == 0;
    const char *p = text + (count ? 6 : 8);
    size_t len = strlen(text);
    if ((!count && !percent) || len < 2 || text[len - 1] != ')')
        return inval(err, "mode", "expected all, count(N) or percent(P)", text);
    char num[32];
    snprintf(num, sizeof(num), "%.*s", (int)(text + len - 1 - p), p);
    char *end;
    errno = 0;
    double v = strtod(num, &end);
    if (!num[0] || *end || errno || !isdigit((unsigned char)num[0]))
        return inval(err, "mode", "expected a number inside the parentheses", text);
    if (count && (v < 1 || v > 100000 || v != floor(v)))
        return inval(err, "mode", "count(N) takes a whole number of hosts >= 1", text);
    if (percent && (v <= 0 || v > 100))
        return inval(err, "mode", "percent(P) takes 0 < P <= 100", text);
    *out = (fl_selection){count ? FL_MODE_COUNT : FL_MODE_PERCENT, v};
    return 0;
}

static bool host_has(const fl_host *h, const char *key, const char *value) {
    if (strcmp(key, "name") == 0)
        return strcmp(h->name, value) == 0;
    if (strcmp(key, "group") == 0) {
        for (size_t i = 0; i < h->n_groups; i++)
            if (strcmp(h->groups[i], value) == 0)
                return true;
        return false;
    }
    for (size_t i = 0; i < h->n_tags; i++)
        if (strcmp(h->tags[i].key, key) == 0)
            return strcmp(value, "*") == 0 || strcmp(h->tags[i].value, value) == 0;
    return false;
}

int fl_select_match(const fl_inventory *inv, const char *filter, size_t *idx, fl_error *err) {
    char *copy = fl_xstrdup(filter ? filter : "");
    int n = 0;
    bool *ok = fl_xmalloc(inv->n_hosts * sizeof(bool));
    for (size_t i = 0; i < inv->n_hosts; i++)
        ok[i] = true;
    int rc = 0;
    char *save = NULL;
    for (char *term = strtok_r(copy, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
        while (*term == ' ')
            term++;
        char *eq = strchr(term, '=');
        if (!eq || eq == term || !eq[1] || (eq[-1] == '!' && eq - 1 == term)) {
            rc = inval(err, "select", "each filter is key=value or key!=value (tags, name, group), comma-separated",
                       term);
            break;
        }
        bool neg = eq[-1] == '!';
        *(neg ? eq - 1 : eq) = '\0';
        const char *value = eq + 1;
        for (const char *p = term; *p; p++)
            if (!isalnum((unsigned char)*p) && !strchr("_-./:", *p)) {
                rc = inval(err, "select", "a key is letters, digits and _ - . / :", term);
                break;
            }
        if (rc)
            break;
        for (size_t i = 0; i < inv->n_hosts; i++)
            if (host_has(&inv->hosts[i], term, value) == neg)
                ok[i] = false;
    }
    if (rc == 0)
        for (size_t i = 0; i < inv->n_hosts; i++)
            if (ok[i])
                idx[n++] = i;
    free(ok);
    free(copy);
    return rc ? -1 : n;
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

size_t fl_select_apply(const fl_selection *sel, uint64_t seed, size_t *idx, size_t n) {
    size_t want = n;
    if (sel->mode == FL_MODE_COUNT)
        want = (size_t)sel->amount;
    else if (sel->mode == FL_MODE_PERCENT) {
        /* Rounded down, but never zero hosts out of a non-empty match. */
        want = (size_t)floor((double)n * sel->amount / 100.0 + 1e-9);
        if (want == 0 && n > 0)
            want = 1;
    }
    if (want >= n)
        return n;
    uint64_t s = seed;
    for (size_t i = 0; i < want; i++) { /* partial Fisher-Yates */
        size_t j = i + (size_t)(splitmix(&s) % (n - i));
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    qsort(idx, want, sizeof(*idx), cmp_size);
    return want;
}

int fl_limit_parse(const char *text, const char *field, bool zero_ok, double *value, bool *percent, fl_error *err) {
    size_t len = strlen(text);
    *percent = len > 0 && text[len - 1] == '%';
    char num[32];
    snprintf(num, sizeof(num), "%.*s", (int)(len - (*percent ? 1 : 0)), text);
    char *end;
    errno = 0;
    double v = strtod(num, &end);
    if (!num[0] || *end || errno || !isdigit((unsigned char)num[0]) || (!*percent && v != floor(v)) ||
        (*percent && v > 100) || v > 1e6 || (!zero_ok && v <= 0))
        return inval(err, field,
                     zero_ok ? "expected a number of hosts >= 0 or a percentage (10%)"
                             : "expected a number of hosts >= 1 or a percentage (10%)",
                     text);
    *value = v;
    return 0;
}

size_t fl_limit_resolve(double value, bool percent, size_t total) {
    if (!percent)
        return (size_t)value;
    size_t n = (size_t)floor((double)total * value / 100.0 + 1e-9);
    return n == 0 && value > 0 ? 1 : n;
}

int fl_shell_quote(char *buf, size_t cap, const char *s) {
    size_t len = strlen(buf);
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_./=:,@%+", *p))
            plain = false;
    if (plain) { /* nothing a shell would interpret: as is */
        size_t n = strlen(s);
        if (len + n + 1 > cap)
            return -1;
        memcpy(buf + len, s, n + 1);
        return 0;
    }
    if (len + 1 >= cap)
        return -1;
    buf[len++] = '\'';
    for (const char *p = s; *p; p++) {
        const char *piece = *p == '\'' ? "'\\''" : NULL;
        size_t n = piece ? 4 : 1;
        if (len + n + 2 > cap)
            return -1;
        if (piece)
            memcpy(buf + len, piece, n);
        else
            buf[len] = *p;
        len += n;
    }
    buf[len++] = '\'';
    buf[len] = '\0';
    return 0;
}

char *fl_remote_command(char *const *argv, fl_error *err) {
    size_t cap = 64;
    for (size_t i = 0; argv[i]; i++)
        cap += strlen(argv[i]) * 4 + 3;
    char *buf = fl_xcalloc(1, cap);
    for (size_t i = 0; argv[i]; i++) {
        if (strchr(argv[i], '\n') || strchr(argv[i], '\r')) {
            free(buf);
            inval(err, "remote", "arguments cannot contain line breaks", NULL);
            return NULL;
        }
        if (i)
            strcat(buf, " ");
        if (fl_shell_quote(buf, cap, argv[i]) != 0) {
            free(buf);
            inval(err, "remote", "command too long", NULL);
            return NULL;
        }
    }
    return buf;
}

typedef struct argv_b {
    char **v;
    size_t n;
} argv_b;

static void push(argv_b *b, const char *s) {
    b->v = fl_xreallocarray(b->v, b->n + 2, sizeof(*b->v));
    b->v[b->n++] = fl_xstrdup(s);
    b->v[b->n] = NULL;
}

static void push_opt(argv_b *b, const char *name, const char *value) {
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s=%s", name, value);
    push(b, "-o");
    push(b, buf);
}

char **fl_ssh_argv(const fl_host *h, const char *control_dir, const char *remote_command) {
    argv_b b = {0};
    char num[32];
    push(&b, "ssh");
    push(&b, "-T"); /* no tty: stdin stays a plain pipe (the lease heartbeat) */
    push_opt(&b, "BatchMode", "yes");
    push_opt(&b, "LogLevel", "ERROR");
    snprintf(num, sizeof(num), "%d", h->port);
    push(&b, "-p");
    push(&b, num);
    if (h->identity) {
        push(&b, "-i");
        push(&b, h->identity);
        push_opt(&b, "IdentitiesOnly", "yes");
    }
    if (h->user) {
        push(&b, "-l");
        push(&b, h->user);
    }
    if (h->known_hosts)
        push_opt(&b, "UserKnownHostsFile", h->known_hosts);
    if (h->host_key_checking)
        push_opt(&b, "StrictHostKeyChecking", h->host_key_checking);
    snprintf(num, sizeof(num), "%lld", (long long)((h->connect_timeout_us + 999999) / 1000000));
    push_opt(&b, "ConnectTimeout", num);
    /* Dead connections are noticed by ssh too, not only by the lease. */
    push_opt(&b, "ServerAliveInterval", "2");
    push_opt(&b, "ServerAliveCountMax", "3");
    if (control_dir) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%%C", control_dir);
        push_opt(&b, "ControlMaster", "auto");
        push_opt(&b, "ControlPath", path);
        push_opt(&b, "ControlPersist", "60s");
    }
    push(&b, "--");
    push(&b, h->address);
    push(&b, remote_command);
    return b.v;
}

void fl_argv_free(char **argv) {
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

int fl_ssh_control_dir(char *buf, size_t len, fl_error *err) {
    const char *env = getenv("FAULTLINE_SSH_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
    if (env && *env)
        snprintf(buf, len, "%s", env);
    else if (xdg && *xdg)
        snprintf(buf, len, "%s/faultline-ssh", xdg);
    else
        snprintf(buf, len, "/tmp/faultline-ssh-%u", (unsigned)getuid());
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        goto bad;
    struct stat st;
    if (lstat(buf, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
        goto bad;
    return 0;
bad:
    err->code = FL_EINVAL;
    snprintf(err->field, sizeof(err->field), "FAULTLINE_SSH_DIR");
    snprintf(err->message, sizeof(err->message),
             "ssh control directory %s must be a directory of ours with mode 0700 (set FAULTLINE_SSH_DIR)", buf);
    return -1;
}
