/* SVG chart primitives; see svg.h. Pixel coordinates are written with one
 * decimal: the charts are scaled by their viewBox, and more digits only make
 * the file bigger. */
#include "report/svg.h"

#include <math.h>
#include <string.h>

#define CHART_WIDTH 1000.0
#define MARGIN_LEFT 72.0
#define MARGIN_RIGHT 16.0
#define MARGIN_TOP 34.0 /* the legend sits here */
#define MARGIN_BOTTOM 36.0
/* Values a chart can show at all; documents are not trusted to be sane and
 * a 1e308 must not turn an axis loop into an endless one. */
#define MAX_MAGNITUDE 1e15
#define MIN_LOG_VALUE 1e-9
#define MAX_TICKS 64

void rp_range_init(rp_range *range) { *range = (rp_range){.min_positive = INFINITY, .max = 0, .any = false}; }

void rp_range_add(rp_range *range, double value) {
    if (isnan(value) || isinf(value))
        return;
    if (value > MAX_MAGNITUDE)
        value = MAX_MAGNITUDE;
    range->any = true;
    if (value > range->max)
        range->max = value;
    if (value > 0 && value < range->min_positive)
        range->min_positive = value;
}

double rp_scale_map(const rp_scale *s, double value) {
    double d0 = s->domain0, d1 = s->domain1, v = value;
    if (s->log) {
        /* Zero and below have no place on a log axis: they sit on its floor. */
        v = log10(v > d0 ? v : d0);
        d0 = log10(d0);
        d1 = log10(d1);
    }
    if (d1 == d0)
        return s->range0;
    double px = s->range0 + (v - d0) / (d1 - d0) * (s->range1 - s->range0);
    /* Keep wild values (a 1 h outlier on a 10 ms axis) drawable. */
    double lo = fmin(s->range0, s->range1) - 1000, hi = fmax(s->range0, s->range1) + 1000;
    return px < lo ? lo : (px > hi ? hi : px);
}

/* 1, 2 or 5 times a power of ten, at least `raw`. */
static double nice_step(double raw) {
    if (!(raw > 0))
        return 1;
    double magnitude = pow(10, floor(log10(raw)));
    double fraction = raw / magnitude;
    double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
    return nice * magnitude;
}

static void choose_y_scale(rp_scale *y, const rp_range *range, bool allow_log) {
    double max = range->any ? range->max : 0;
    double min_positive = range->min_positive;
    /* Two decades or more apart (1 ms baseline, 2 s fault): linear would
     * flatten the baseline into the axis, so go logarithmic. */
    if (allow_log && max > 0 && isfinite(min_positive) && min_positive >= MIN_LOG_VALUE && max / min_positive >= 100) {
        y->log = true;
        /* A decade below a baseline that sits just over a power of ten,
         * so that it does not run along the axis. */
        y->domain0 = pow(10, floor(log10(min_positive * 0.7)));
        y->domain1 = pow(10, ceil(log10(max)));
        if (y->domain1 <= y->domain0)
            y->domain1 = y->domain0 * 10;
        return;
    }
    y->log = false;
    y->domain0 = 0;
    if (!(max > 0)) {
        y->domain1 = 1;
        return;
    }
    double step = nice_step(max * 1.08 / 5);
    y->domain1 = ceil(max * 1.08 / step) * step;
}

const char *rp_tick_ms(double ms, char *buf, size_t len) {
    if (ms >= 1000)
        snprintf(buf, len, "%g s", ms / 1000);
    else if (ms >= 1 || ms == 0)
        snprintf(buf, len, "%g ms", ms);
    else
        snprintf(buf, len, "%g \xC2\xB5s", ms * 1000);
    return buf;
}

const char *rp_tick_plain(double value, char *buf, size_t len) {
    if (fabs(value) >= 1e6)
        snprintf(buf, len, "%gM", value / 1e6);
    else if (fabs(value) >= 1e4)
        snprintf(buf, len, "%gk", value / 1e3);
    else
        snprintf(buf, len, "%g", value);
    return buf;
}

const char *rp_tick_percent(double value, char *buf, size_t len) {
    snprintf(buf, len, "%g%%", value);
    return buf;
}

static const char *tick_seconds(double ms, double step_ms, char *buf, size_t len) {
    double s = ms / 1000;
    if (step_ms >= 60000 && fmod(step_ms, 60000) == 0)
        snprintf(buf, len, "%g min", s / 60);
    else
        snprintf(buf, len, "%g s", s);
    return buf;
}

void rp_chart_begin(rp_chart *c, fl_buffer *out, const char *id, double height, double span_ms, const rp_range *range,
                    bool allow_log, const char *y_title, rp_tick_format y_format) {
    *c = (rp_chart){.out = out, .width = CHART_WIDTH, .height = height, .y_format = y_format};
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->plot_left = MARGIN_LEFT;
    c->plot_right = CHART_WIDTH - MARGIN_RIGHT;
    c->plot_top = MARGIN_TOP;
    c->plot_bottom = height - MARGIN_BOTTOM;
    c->x = (rp_scale){
        .domain0 = 0, .domain1 = span_ms > 0 ? span_ms : 1000, .range0 = c->plot_left, .range1 = c->plot_right};
    c->y.range0 = c->plot_bottom;
    c->y.range1 = c->plot_top;
    choose_y_scale(&c->y, range, allow_log);
    /* A share of requests never goes past all of them. */
    if (y_format == rp_tick_percent && c->y.domain1 > 100 && range->max <= 100)
        c->y.domain1 = 100;

    fl_buffer_printf(out, "<svg class=\"chart\" id=\"");
    rp_put_html(out, id);
    fl_buffer_printf(out, "\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", c->width, c->height);
    rp_put_html(out, y_title);
    fl_buffer_printf(out, " over time\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    fl_buffer_printf(out,
                     "<defs><clipPath id=\"%s-plot\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                     "height=\"%.1f\"/></clipPath><pattern id=\"%s-hatch\" width=\"6\" height=\"6\" "
                     "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" "
                     "fill=\"#f3f4f6\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9ca3af\" "
                     "stroke-width=\"2\"/></pattern></defs>\n",
                     c->id, c->plot_left, c->plot_top - 1, c->plot_right - c->plot_left,
                     c->plot_bottom - c->plot_top + 2, c->id);
    fl_buffer_printf(out, "<rect class=\"plot-bg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
                     c->plot_left, c->plot_top, c->plot_right - c->plot_left, c->plot_bottom - c->plot_top);
    /* The y title, turned along the axis. */
    double mid = (c->plot_top + c->plot_bottom) / 2;
    fl_buffer_printf(
        out, "<text class=\"axis-title\" transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">", mid);
    rp_put_html(out, y_title);
    if (c->y.log)
        fl_buffer_puts(out, ", log scale");
    fl_buffer_puts(out, "</text>\n");
}

void rp_chart_band(rp_chart *c, double start_ms, double end_ms, const char *color, const char *tooltip) {
    double x0 = rp_scale_map(&c->x, start_ms), x1 = rp_scale_map(&c->x, end_ms);
    if (x1 - x0 < 2)
        x1 = x0 + 2; /* a fault that lasted an instant still shows */
    fl_buffer_printf(c->out,
                     "<g class=\"fault-window\"><rect class=\"fault-window\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                     "height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.16\" stroke=\"%s\" stroke-opacity=\"0.5\">",
                     x0, c->plot_top, x1 - x0, c->plot_bottom - c->plot_top, color, color);
    if (tooltip) {
        fl_buffer_puts(c->out, "<title>");
        rp_put_html(c->out, tooltip);
        fl_buffer_puts(c->out, "</title>");
    }
    fl_buffer_puts(c->out, "</rect></g>\n");
}

void rp_chart_gap(rp_chart *c, double start_ms, double end_ms, const char *tooltip) {
    double x0 = rp_scale_map(&c->x, start_ms), x1 = rp_scale_map(&c->x, end_ms);
    if (x1 - x0 < 2)
        x1 = x0 + 2;
    fl_buffer_printf(c->out,
                     "<rect class=\"missing-sample\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                     "fill=\"url(#%s-hatch)\" fill-opacity=\"0.7\" stroke=\"none\">",
                     x0, c->plot_top, x1 - x0, c->plot_bottom - c->plot_top, c->id);
    if (tooltip) {
        fl_buffer_puts(c->out, "<title>");
        rp_put_html(c->out, tooltip);
        fl_buffer_puts(c->out, "</title>");
    }
    fl_buffer_puts(c->out, "</rect>\n");
}

void rp_chart_band_label(rp_chart *c, double start_ms, const char *text_color, const char *label) {
    fl_buffer_printf(c->out, "<text class=\"band-label\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\">",
                     rp_scale_map(&c->x, start_ms) + 5, c->plot_top + 14, text_color);
    rp_put_html(c->out, label);
    fl_buffer_puts(c->out, "</text>\n");
}

void rp_time_axis(fl_buffer *out, const rp_scale *x, double y0, double y1, bool labels) {
    double span = x->domain1 - x->domain0;
    double step = nice_step(span / 10);
    /* Minutes read better in whole minutes than in 50 s steps. */
    if (step > 30000 && step < 60000)
        step = 60000;
    fl_buffer_puts(out, "<g class=\"axis axis-x\">");
    for (int k = 0; k <= MAX_TICKS && k * step <= x->domain1 + step * 1e-9; k++) {
        double t = k * step;
        double px = rp_scale_map(x, t);
        fl_buffer_printf(out, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", px, px, y0, y1);
        if (labels) {
            char text[32];
            fl_buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", px, y1 + 15,
                             tick_seconds(t, step, text, sizeof(text)));
        }
    }
    fl_buffer_puts(out, "</g>\n");
}

static void y_tick(rp_chart *c, double value, bool label, bool major) {
    double py = rp_scale_map(&c->y, value);
    fl_buffer_printf(c->out, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>",
                     major ? "grid" : "grid-minor", c->plot_left, c->plot_right, py, py);
    if (label) {
        char text[32];
        fl_buffer_printf(c->out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", c->plot_left - 6, py + 4);
        rp_put_html(c->out, c->y_format(value, text, sizeof(text)));
        fl_buffer_puts(c->out, "</text>");
    }
}

void rp_chart_axes(rp_chart *c) {
    rp_time_axis(c->out, &c->x, c->plot_top, c->plot_bottom, true);
    fl_buffer_puts(c->out, "<g class=\"axis axis-y\">");
    if (c->y.log) {
        double decade = c->y.domain0;
        for (int k = 0; k <= MAX_TICKS && decade <= c->y.domain1 * 1.0001; k++, decade *= 10) {
            y_tick(c, decade, true, true);
            for (int m = 2; m <= 9 && decade * m < c->y.domain1; m++)
                y_tick(c, decade * m, false, false);
        }
    } else {
        double step = nice_step((c->y.domain1 - c->y.domain0) / 5);
        for (int k = 0; k <= MAX_TICKS && c->y.domain0 + k * step <= c->y.domain1 + step * 1e-9; k++)
            y_tick(c, c->y.domain0 + k * step, true, true);
    }
    fl_buffer_puts(c->out, "</g>\n");
    fl_buffer_printf(c->out, "<path class=\"axis-line\" d=\"M%.1f %.1fV%.1fH%.1f\"/>\n", c->plot_left, c->plot_top,
                     c->plot_bottom, c->plot_right);
    fl_buffer_printf(c->out,
                     "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">time since start</text>\n",
                     c->plot_right, c->height - 3);
}

static void put_title(fl_buffer *out, const char *tooltip) {
    if (!tooltip)
        return;
    fl_buffer_puts(out, "<title>");
    rp_put_html(out, tooltip);
    fl_buffer_puts(out, "</title>");
}

void rp_chart_threshold(rp_chart *c, double start_ms, double end_ms, double value, const char *color, const char *label,
                        const char *tooltip) {
    if (isnan(value))
        return;
    double py = rp_scale_map(&c->y, value);
    if (py < c->plot_top - 0.5 || py > c->plot_bottom + 0.5)
        return; /* only possible for a bound at or under 0 on a log axis */
    double x0 = rp_scale_map(&c->x, start_ms), x1 = rp_scale_map(&c->x, end_ms);
    fl_buffer_printf(c->out,
                     "<g class=\"threshold\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"1.6\" stroke-dasharray=\"7 4\">",
                     x0, x1, py, py, color);
    put_title(c->out, tooltip);
    fl_buffer_puts(c->out, "</line>");
    if (label) {
        /* Above the line, at its right end, where series rarely start. */
        fl_buffer_printf(c->out,
                         "<text class=\"threshold-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\">",
                         x1 - 4, py - 4, color);
        rp_put_html(c->out, label);
        fl_buffer_puts(c->out, "</text>");
    }
    fl_buffer_puts(c->out, "</g>\n");
}

void rp_chart_marker(rp_chart *c, double t_ms, const char *color, const char *label, const char *tooltip) {
    double px = rp_scale_map(&c->x, t_ms);
    fl_buffer_printf(c->out,
                     "<g class=\"marker\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"1.5\" stroke-dasharray=\"3 3\">",
                     px, px, c->plot_top, c->plot_bottom, color);
    put_title(c->out, tooltip);
    fl_buffer_puts(c->out, "</line>");
    if (label) {
        fl_buffer_printf(c->out, "<text class=\"marker-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\">",
                         px - 4, c->plot_bottom - 6, color);
        rp_put_html(c->out, label);
        fl_buffer_puts(c->out, "</text>");
    }
    fl_buffer_puts(c->out, "</g>\n");
}

void rp_chart_line(rp_chart *c, const double *t_ms, const double *values, size_t n, const char *css_class,
                   const char *color, double stroke_width) {
    fl_buffer_printf(c->out,
                     "<path class=\"series %s\" clip-path=\"url(#%s-plot)\" fill=\"none\" stroke=\"%s\" "
                     "stroke-width=\"%.1f\" stroke-linejoin=\"round\" d=\"",
                     css_class, c->id, color, stroke_width);
    bool pen_down = false;
    for (size_t i = 0; i < n; i++) {
        if (isnan(values[i]) || isnan(t_ms[i])) {
            pen_down = false; /* no data in this window: a gap, not a line across it */
            continue;
        }
        fl_buffer_printf(c->out, "%s%.1f %.1f", pen_down ? "L" : "M", rp_scale_map(&c->x, t_ms[i]),
                         rp_scale_map(&c->y, values[i]));
        pen_down = true;
    }
    fl_buffer_puts(c->out, "\"/>\n");
    /* A lone point between gaps would be invisible as a path: a dot. */
    for (size_t i = 0; i < n; i++) {
        bool here = !isnan(values[i]) && !isnan(t_ms[i]);
        bool before = i > 0 && !isnan(values[i - 1]) && !isnan(t_ms[i - 1]);
        bool after = i + 1 < n && !isnan(values[i + 1]) && !isnan(t_ms[i + 1]);
        if (here && !before && !after)
            fl_buffer_printf(c->out, "<circle class=\"lone-point\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n",
                             rp_scale_map(&c->x, t_ms[i]), rp_scale_map(&c->y, values[i]), color);
    }
}

void rp_chart_bars(rp_chart *c, const double *t_ms, const double *values, size_t n, double width_ms,
                   const char *css_class, const char *color) {
    fl_buffer_printf(c->out, "<g class=\"bars %s\" fill=\"%s\" clip-path=\"url(#%s-plot)\">", css_class, color, c->id);
    double base = rp_scale_map(&c->y, c->y.domain0);
    for (size_t i = 0; i < n; i++) {
        if (isnan(values[i]) || !(values[i] > 0))
            continue;
        double x0 = rp_scale_map(&c->x, t_ms[i]), x1 = rp_scale_map(&c->x, t_ms[i] + width_ms);
        double top = rp_scale_map(&c->y, values[i]);
        double w = x1 - x0 > 2 ? x1 - x0 - 1 : 1;
        double h = base - top > 1 ? base - top : 1; /* any error at all is visible */
        fl_buffer_printf(c->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x0, base - h, w, h);
    }
    fl_buffer_puts(c->out, "</g>\n");
}

void rp_chart_dot(rp_chart *c, double t_ms, double value, const char *color, const char *tooltip) {
    if (isnan(t_ms) || isnan(value))
        return;
    fl_buffer_printf(c->out,
                     "<circle class=\"worst\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#fff\" stroke=\"%s\" "
                     "stroke-width=\"2\">",
                     rp_scale_map(&c->x, t_ms), rp_scale_map(&c->y, value), color);
    put_title(c->out, tooltip);
    fl_buffer_puts(c->out, "</circle>\n");
}

void rp_chart_hover(rp_chart *c, double start_ms, double end_ms, const char *tooltip) {
    if (isnan(start_ms) || isnan(end_ms))
        return;
    double x0 = rp_scale_map(&c->x, start_ms), x1 = rp_scale_map(&c->x, end_ms);
    fl_buffer_printf(c->out, "<rect class=\"hover\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">", x0,
                     c->plot_top, x1 - x0 > 0.5 ? x1 - x0 : 0.5, c->plot_bottom - c->plot_top);
    put_title(c->out, tooltip);
    fl_buffer_puts(c->out, "</rect>");
}

void rp_chart_legend(rp_chart *c, const rp_legend_item *items, size_t n) {
    double x = c->plot_left;
    double y = 16;
    fl_buffer_puts(c->out, "<g class=\"legend\">");
    for (size_t i = 0; i < n; i++) {
        const rp_legend_item *it = &items[i];
        switch (it->kind) {
        case RP_LEGEND_LINE:
            fl_buffer_printf(
                c->out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>", x,
                x + 20, y - 4, y - 4, it->color);
            break;
        case RP_LEGEND_DASH:
            fl_buffer_printf(c->out,
                             "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.6\" "
                             "stroke-dasharray=\"5 3\"/>",
                             x, x + 20, y - 4, y - 4, it->color);
            break;
        case RP_LEGEND_BAND:
        case RP_LEGEND_BAR:
            fl_buffer_printf(c->out,
                             "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"10\" fill=\"%s\" fill-opacity=\"%s\"/>",
                             x, y - 9, it->color, it->kind == RP_LEGEND_BAND ? "0.25" : "1");
            break;
        }
        fl_buffer_printf(c->out, "<text x=\"%.1f\" y=\"%.1f\">", x + 25, y);
        rp_put_html(c->out, it->label);
        fl_buffer_puts(c->out, "</text>");
        /* No text metrics here: an estimate from the length is close enough
         * for a 12 px sans-serif label. */
        x += 25 + 6.8 * (double)strlen(it->label) + 22;
    }
    fl_buffer_puts(c->out, "</g>\n");
}

void rp_chart_end(rp_chart *c) { fl_buffer_puts(c->out, "</svg>\n"); }
