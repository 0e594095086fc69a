/* Bounds on YAML nesting and size, checked before a document is loaded.
 * libyaml's scanner keeps one potential simple key per flow level and walks
 * them all for every token, so a file of nested '[' takes time quadratic in
 * its depth (200,000 levels in 400 KB: over a minute). Streaming the events
 * and stopping at the first level past the bound keeps that cost linear. */
#include "internal.h"

#include <yaml.h>

int fl_yaml_bounded(const char *text, size_t len, bool refuse_aliases, int *line, int *col, char *why, size_t why_len) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return 0;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int depth = 0, rc = 0;
    size_t nodes = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev))
            break; /* a syntax error: the loader reports it, with its position */
        yaml_event_type_t type = ev.type;
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT)
            depth++;
        else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT)
            depth--;
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT || type == YAML_SCALAR_EVENT ||
            type == YAML_ALIAS_EVENT)
            nodes++;
        if (depth > FL_YAML_MAX_DEPTH || nodes > FL_YAML_MAX_NODES || (refuse_aliases && type == YAML_ALIAS_EVENT)) {
            *line = (int)ev.start_mark.line + 1;
            *col = (int)ev.start_mark.column + 1;
            if (type == YAML_ALIAS_EVENT && refuse_aliases)
                snprintf(why, why_len, "aliases (*name) are not supported; write the value out");
            else if (depth > FL_YAML_MAX_DEPTH)
                snprintf(why, why_len, "nested deeper than %d levels", FL_YAML_MAX_DEPTH);
            else
                snprintf(why, why_len, "more than %d values", FL_YAML_MAX_NODES);
            rc = -1;
        }
        yaml_event_delete(&ev);
        if (rc != 0 || type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&parser);
    return rc;
}
