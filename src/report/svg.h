/* Chart primitives for the report: time on x (ms since the start of the
 * experiment), one value axis on y, linear or logarithmic. Every chart is one
 * inline <svg> with a viewBox, so it scales with the page and needs nothing
 * but the browser. Drawing order matters (later is on top): begin, bands,
 * axes, thresholds, series, markers, hover columns, legend, end. */
#ifndef FL_REPORT_SVG_H
#define FL_REPORT_SVG_H

#include "report/report_internal.h"

typedef struct rp_scale {
    double domain0, domain1; /* values */
    double range0, range1;   /* pixels */
    bool log;
} rp_scale;

/* The values a chart's y axis must show; decides the scale. */
typedef struct rp_range {
    double min_positive; /* smallest value > 0 seen, for a log scale */
    double max;
    bool any;
} rp_range;

typedef const char *(*rp_tick_format)(double value, char *buf, size_t len);

typedef struct rp_chart {
    fl_buffer *out;
    char id[40];
    double width, height;                                /* the viewBox */
    double plot_left, plot_top, plot_right, plot_bottom; /* the plotting area */
    rp_scale x, y;
    rp_tick_format y_format;
} rp_chart;

typedef enum rp_legend_kind { RP_LEGEND_LINE, RP_LEGEND_DASH, RP_LEGEND_BAND, RP_LEGEND_BAR } rp_legend_kind;

typedef struct rp_legend_item {
    const char *label;
    const char *color;
    rp_legend_kind kind;
} rp_legend_item;

void rp_range_init(rp_range *range);
void rp_range_add(rp_range *range, double value); /* NAN is ignored */

/* Ticks for y: "10 ms", "1 s", "250 us". */
const char *rp_tick_ms(double ms, char *buf, size_t len);
/* Ticks for y: a plain number ("1000", "0.5", "2.5k"). */
const char *rp_tick_plain(double value, char *buf, size_t len);
/* Ticks for y: a percentage of 0-100 ("5%"). */
const char *rp_tick_percent(double value, char *buf, size_t len);

/* Starts a chart `height` px high spanning 0..span_ms. The y scale covers
 * `range` (from 0 when linear); it is logarithmic when allow_log and the
 * values span more than two decades. `label` is read by screen readers and
 * shown as the y axis title. */
void rp_chart_begin(rp_chart *chart, fl_buffer *out, const char *id, double height, double span_ms,
                    const rp_range *range, bool allow_log, const char *y_title, rp_tick_format y_format);
/* A shaded time window (a fault in effect); its label is drawn apart, after
 * the grid, so that no grid line crosses it. */
void rp_chart_band(rp_chart *chart, double start_ms, double end_ms, const char *color, const char *tooltip);
/* A span with no value (a scrape that timed out, a window that saw no
 * request): a light grey hatched column with the reason as its tooltip. */
void rp_chart_gap(rp_chart *chart, double start_ms, double end_ms, const char *tooltip);
void rp_chart_band_label(rp_chart *chart, double start_ms, const char *text_color, const char *label);
void rp_chart_axes(rp_chart *chart);
/* A dashed horizontal line at `value` over [start_ms, end_ms]. */
void rp_chart_threshold(rp_chart *chart, double start_ms, double end_ms, double value, const char *color,
                        const char *label, const char *tooltip);
/* A vertical marker line across the plot (an abort, a stop condition). */
void rp_chart_marker(rp_chart *chart, double t_ms, const char *color, const char *label, const char *tooltip);
/* A line through (t_ms[i], values[i]); NAN values leave a gap. */
void rp_chart_line(rp_chart *chart, const double *t_ms, const double *values, size_t n, const char *css_class,
                   const char *color, double stroke_width);
/* Bars from 0 of width `width_ms` starting at t_ms[i]. */
void rp_chart_bars(rp_chart *chart, const double *t_ms, const double *values, size_t n, double width_ms,
                   const char *css_class, const char *color);
/* A small circle on a point (the worst window of a hypothesis). */
void rp_chart_dot(rp_chart *chart, double t_ms, double value, const char *color, const char *tooltip);
/* An invisible full-height column whose tooltip gives the values in it:
 * hover values without any script. */
void rp_chart_hover(rp_chart *chart, double start_ms, double end_ms, const char *tooltip);
void rp_chart_legend(rp_chart *chart, const rp_legend_item *items, size_t n);
void rp_chart_end(rp_chart *chart);

/* Scale helpers, also used by the timeline strip. */
double rp_scale_map(const rp_scale *scale, double value);
/* Vertical grid and tick labels for time on x between y0 and y1 px. */
void rp_time_axis(fl_buffer *out, const rp_scale *x, double y0, double y1, bool labels);

#endif
