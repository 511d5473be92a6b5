/*
 * kmplot_internal.h - the retained figure model shared by kmplot_figure.c
 * (building figures) and kmplot_render.c (layout and drawing with cairo).
 */
#ifndef KMPLOT_INTERNAL_H
#define KMPLOT_INTERNAL_H

#include "kmplot.h"

typedef enum item_kind {
    ITEM_SERIES,
    ITEM_SCATTER,
    ITEM_VLINE,
    ITEM_HLINE,
    ITEM_TEXT,
    ITEM_ANNOTATE,
    ITEM_HBARS,
    ITEM_RECT
} item_kind;

/* One thing drawn in a panel; which fields matter depends on kind. */
typedef struct kmplot_item {
    item_kind kind;
    kmplot_style style;   /* SERIES; color/width/dash for lines; color else */
    char *label;          /* legend entry or NULL (style.label is unused) */
    char *text;           /* TEXT, ANNOTATE */
    double *x, *y;        /* SERIES, SCATTER: n points; HBARS: x = ends */
    size_t n;             /* points or bars */
    kmplot_color *colors; /* SCATTER: n colors */
    /* VLINE: a = x; HLINE: a = y; TEXT, ANNOTATE: (a, b) the point, (c, d)
       the offset in pixels; HBARS: a = y0, b = height, c = base; RECT:
       (a, b) - (c, d). */
    double a, b, c, d;
    kmplot_align align;
} kmplot_item;

/* One axis of a panel. */
typedef struct kmplot_axis {
    char *label;
    bool lim_set;
    double lo, hi;
    bool nice;
    bool integer;
    bool ticks_set;
    double *tick_v; /* ticks_set: tick_n values and labels (NULL = auto) */
    char **tick_l;
    size_t tick_n;
} kmplot_axis;

struct kmplot_panel {
    kmplot_figure *fig;
    char *title;
    kmplot_axis ax[2]; /* 0 = x, 1 = y */
    bool grid, equal, axes_off, legend;
    kmplot_corner corner;
    kmplot_item *items;
    size_t n_items, cap_items;
    /* An image panel: cairo ARGB32 (premultiplied, native endian). */
    unsigned char *img;
    int img_w, img_h, img_stride;
};

struct kmplot_figure {
    int width, height, rows, cols;
    char *title;
    double font_px;
    bool nomem; /* an allocation failed while building; save reports it */
    kmplot_panel *panels; /* rows * cols, row-major */
};

#endif
