/* Escaping for HTML and XML. Titles, fault names, verification texts and
 * hypothesis names all come from user-written files and measured output, so
 * none of them may reach the page as markup. */
#include "report/report_internal.h"

#include <string.h>

/* The entity for a character that is markup in HTML and XML, or NULL. The
 * quotes are escaped too so that the same function serves attribute values. */
static const char *entity(char c) {
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static void put_escaped(fl_buffer *buf, const char *text, bool xml) {
    if (!text)
        return;
    const char *run = text; /* start of the stretch that needs no escaping */
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        const char *replacement = entity(*p);
        /* XML 1.0 has no way to carry these, not even as references; HTML
         * parsers would turn them into U+FFFD themselves. */
        if (!replacement && c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            replacement = xml ? "\xEF\xBF\xBD" : " ";
        if (!replacement)
            continue;
        fl_buffer_append(buf, run, (size_t)(p - run));
        fl_buffer_puts(buf, replacement);
        run = p + 1;
    }
    fl_buffer_puts(buf, run);
}

void rp_put_html(fl_buffer *buf, const char *text) { put_escaped(buf, text, false); }
void rp_put_xml(fl_buffer *buf, const char *text) { put_escaped(buf, text, true); }
