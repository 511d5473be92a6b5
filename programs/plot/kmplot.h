/*
 * kmplot.h - figures for the kmeans command: line and scatter plots,
 * reference lines, annotations, horizontal bars and images, in a grid of
 * panels, drawn with cairo and written to PNG, SVG or PDF by the file's
 * extension.
 *
 * The model is retained: a figure holds panels, a panel holds items (series,
 * lines, bars, texts, images) whose data are copied when added.  Nothing is
 * drawn until kmplot_save(), which computes each panel's data limits (unless
 * set), "nice" ticks, margins from the text sizes, and renders everything.
 *
 * Sizes are in pixels of the output (points for SVG and PDF); data
 * coordinates are doubles.  Text is DejaVu Sans through cairo's toy font API.
 *
 * Errors: the add/set functions never fail loudly; an allocation failure is
 * remembered by the figure and reported by kmplot_save() (as cairo does with
 * its status).  kmplot_save() returns -1 with a message naming the file in
 * err; the plot layer never prints and never exits.  A figure is not
 * thread-safe; different figures may be used from different threads.
 *
 * Leak checkers: fontconfig keeps its font cache until exit, so kmplot
 * defines __lsan_default_suppressions() (ignoring fontconfig's allocations)
 * and __lsan_default_options() (print_suppressions=0); a program linking
 * kmplot must not define them again.
 */
#ifndef KMPLOT_H
#define KMPLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmio.h"

typedef struct kmplot_figure kmplot_figure;
typedef struct kmplot_panel kmplot_panel;

/* ---- colors --------------------------------------------------------------
 */

typedef struct kmplot_color {
    double r, g, b, a; /* each in [0, 1]; a = 1 is opaque */
} kmplot_color;

/* An opaque color from 8-bit components. */
kmplot_color kmplot_rgb(uint8_t r, uint8_t g, uint8_t b);
/* The same color with alpha a. */
kmplot_color kmplot_alpha(kmplot_color c, double a);

/* Categorical colormaps (matplotlib's tab10 and tab20), index taken
   modulo 10 or 20; negative indices are allowed. */
kmplot_color kmplot_tab10(int i);
kmplot_color kmplot_tab20(int i);
/* A sequential "spectral" colormap for t in [0, 1] (clamped), like
   matplotlib's nipy_spectral without its near-black and near-white ends:
   purple, blue, cyan, green, yellow, orange, red. */
kmplot_color kmplot_spectral(double t);
/* Color i of n spread over kmplot_spectral (i / max(n - 1, 1)). */
kmplot_color kmplot_spectral_index(int i, int n);

#define KMPLOT_BLACK ((kmplot_color){0.0, 0.0, 0.0, 1.0})
#define KMPLOT_GRAY  ((kmplot_color){0.5, 0.5, 0.5, 1.0})
#define KMPLOT_RED   ((kmplot_color){0.84, 0.15, 0.16, 1.0})

/* ---- styles ----------------------------------------------------------------
 */

typedef enum kmplot_marker {
    KMPLOT_MARKER_NONE = 0,
    KMPLOT_MARKER_CIRCLE,
    KMPLOT_MARKER_SQUARE,
    KMPLOT_MARKER_TRIANGLE,
    KMPLOT_MARKER_DIAMOND,
    KMPLOT_MARKER_CROSS, /* x */
    KMPLOT_MARKER_PLUS,
    KMPLOT_MARKER_STAR
} kmplot_marker;

typedef enum kmplot_dash {
    KMPLOT_SOLID = 0,
    KMPLOT_DASHED,
    KMPLOT_DOTTED
} kmplot_dash;

/* How a series is drawn.  kmplot_style_default() gives a solid 2 px line
   in tab10 color i, no marker, no legend label. */
typedef struct kmplot_style {
    kmplot_color color;
    double line_width;    /* 0 draws no line (a scatter plot) */
    kmplot_dash dash;     /* of the line */
    kmplot_marker marker; /* at each point */
    double marker_size;   /* diameter in pixels (default 7) */
    const char *label;    /* legend entry (copied), or NULL for none */
} kmplot_style;

kmplot_style kmplot_style_default(int i);

/* Where kmplot_legend() puts the legend box inside the plot area. */
typedef enum kmplot_corner {
    KMPLOT_UPPER_RIGHT = 0,
    KMPLOT_UPPER_LEFT,
    KMPLOT_LOWER_RIGHT,
    KMPLOT_LOWER_LEFT
} kmplot_corner;

/* Horizontal anchoring of a text at its point (vertically centered). */
typedef enum kmplot_align {
    KMPLOT_ALIGN_LEFT = 0, /* text starts at the point */
    KMPLOT_ALIGN_CENTER,
    KMPLOT_ALIGN_RIGHT /* text ends at the point */
} kmplot_align;

/* ---- figures ----------------------------------------------------------------
 */

/*
 * A new figure of width x height pixels (each 16..16384) with a grid of
 * rows x cols panels (each 1..64) of equal size, white background.
 * Returns NULL when an argument is out of range or memory runs out.
 */
kmplot_figure *kmplot_figure_new(int width, int height, int rows, int cols);

/* Free a figure and everything in it; NULL is accepted. */
void kmplot_figure_free(kmplot_figure *fig);

/* A title centered above all panels (matplotlib's suptitle). */
void kmplot_figure_title(kmplot_figure *fig, const char *title);

/* Base font size in pixels (default: 13, scaled down for figures under
   500 px wide).  Titles are drawn 1.15x, tick labels 0.9x. */
void kmplot_figure_font_size(kmplot_figure *fig, double px);

/* The panel at (row, col), 0-based, row 0 at the top; NULL when out of
   range.  Panels belong to the figure.  A panel given nothing (no item,
   image, title or label) is left blank, without axes. */
kmplot_panel *kmplot_panel_at(kmplot_figure *fig, int row, int col);

/*
 * Write the figure to path, format by extension (case-insensitive): ".png",
 * ".svg" or ".pdf".  Rendered to memory and written atomically through
 * kmio_atomic_* (a temporary file beside path, renamed over it), so a
 * failure leaves no partial file.  Returns 0, or -1 with err naming the
 * file (unknown extension, out of memory, cairo or write failure).
 */
int kmplot_save(kmplot_figure *fig, const char *path, kmio_error *err);

/* Whether path ends in an extension kmplot_save() writes (.png, .svg or
   .pdf, any case): lets a command reject a bad name before working. */
bool kmplot_format_known(const char *path);

/* ---- panel settings ---------------------------------------------------------
 */

/* Text above the panel, below the x axis, and rotated left of the y axis.
   On an image panel the x label serves as a caption under the image. */
void kmplot_title(kmplot_panel *p, const char *text);
void kmplot_xlabel(kmplot_panel *p, const char *text);
void kmplot_ylabel(kmplot_panel *p, const char *text);

/* Fixed data limits (lo < hi); otherwise each axis covers its items' data
   with a 5% margin, extended to nice tick values only when
   kmplot_nice_limits() asks for it. */
void kmplot_xlim(kmplot_panel *p, double lo, double hi);
void kmplot_ylim(kmplot_panel *p, double lo, double hi);
void kmplot_nice_limits(kmplot_panel *p, bool x, bool y);

/* Explicit ticks at values (n <= 256), with labels (copied; NULL or a NULL
   entry: the value formatted as the automatic ticks are).  n = 0 draws no
   ticks on that axis.  Without this, ticks are automatic: 1, 2 or 5 times
   a power of ten, about one per 80 pixels. */
void kmplot_xticks(kmplot_panel *p, const double *values,
                   const char *const *labels, size_t n);
void kmplot_yticks(kmplot_panel *p, const double *values,
                   const char *const *labels, size_t n);

/* Automatic ticks restricted to integers (for k, cluster counts). */
void kmplot_integer_ticks(kmplot_panel *p, bool x, bool y);

/* Light grid lines at the ticks (default off). */
void kmplot_grid(kmplot_panel *p, bool on);

/* Equal scale on both axes (a unit in x is as long as a unit in y), for
   scatter plots of 2-D points.  Default off. */
void kmplot_equal_aspect(kmplot_panel *p, bool on);

/* Hide the frame, ticks and tick labels (titles and labels still show). */
void kmplot_axes_off(kmplot_panel *p);

/* Show a legend of the labeled series, lines and bars in that corner. */
void kmplot_legend(kmplot_panel *p, kmplot_corner corner);

/* ---- items --------------------------------------------------------------
 */

/* A series of n points (x, y) drawn as style says: a polyline and/or
   markers.  x may be NULL for 0, 1, ..., n-1.  Non-finite points are
   skipped (and break the line). */
void kmplot_series(kmplot_panel *p, const double *x, const double *y, size_t n,
                   const kmplot_style *style);

/* A scatter plot with one color per point (colors[i]), markers of the given
   kind and diameter, no line.  label (or NULL) is a legend entry drawn with
   colors[0]. */
void kmplot_scatter(kmplot_panel *p, const double *x, const double *y,
                    const kmplot_color *colors, size_t n, kmplot_marker marker,
                    double size, const char *label);

/* A vertical line at x (or horizontal at y) across the whole plot area;
   width in pixels; label (or NULL) is a legend entry. */
void kmplot_vline(kmplot_panel *p, double x, kmplot_color color, double width,
                  kmplot_dash dash, const char *label);
void kmplot_hline(kmplot_panel *p, double y, kmplot_color color, double width,
                  kmplot_dash dash, const char *label);

/* Text at data point (x, y). */
void kmplot_text(kmplot_panel *p, double x, double y, const char *text,
                 kmplot_align align, kmplot_color color);

/*
 * Mark the data point (x, y): a circle of the given color around it, and
 * text placed dx, dy pixels away (dx > 0 right, dy > 0 down) with an arrow
 * from the text to the point.  dx = dy = 0 puts the text next to the
 * circle without an arrow.  Used to mark the elbow of a curve.
 */
void kmplot_annotate(kmplot_panel *p, double x, double y, const char *text,
                     double dx, double dy, kmplot_color color);

/*
 * n horizontal bars stacked upwards, bar i spanning y in [y0 + i * height,
 * y0 + (i + 1) * height] and x from base to x_end[i] (either side of base),
 * all of one color, no gaps: a filled profile (matplotlib's fill_betweenx,
 * used for silhouette bands).  label (or NULL) is a legend entry.
 */
void kmplot_hbars(kmplot_panel *p, double y0, double height,
                  const double *x_end, size_t n, double base,
                  kmplot_color color, const char *label);

/* A filled rectangle [x0, x1] x [y0, y1] in data coordinates. */
void kmplot_rect(kmplot_panel *p, double x0, double y0, double x1, double y1,
                 kmplot_color color);

/*
 * An image of w x h pixels, channels 1 (gray: 0 black, 255 white), 3 (RGB)
 * or 4 (RGBA, not premultiplied), row-major with stride bytes per row (0 =
 * w * channels), copied.  The panel becomes an image panel: no axes, the
 * image centered in the plot area at the largest size keeping its aspect
 * ratio; scaled up with nearest-neighbour (crisp pixels, e.g. 8x8 digits),
 * scaled down with a smoothing filter.  Ignored when w, h or channels are
 * invalid or memory runs out (the latter reported by kmplot_save).
 */
void kmplot_image(kmplot_panel *p, const uint8_t *pixels, int w, int h,
                  int channels, size_t stride);

#endif
