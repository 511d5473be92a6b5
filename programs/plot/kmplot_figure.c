/*
 * kmplot_figure.c - building figures: colormaps, figures and panels, and
 * the items they hold (data copied when added, drawn by kmplot_render.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kmplot_internal.h"

/* ---- colors --------------------------------------------------------------
 */

kmplot_color kmplot_rgb(uint8_t r, uint8_t g, uint8_t b)
{
    kmplot_color c = {r / 255.0, g / 255.0, b / 255.0, 1.0};
    return c;
}

kmplot_color kmplot_alpha(kmplot_color c, double a)
{
    c.a = a;
    return c;
}

static kmplot_color from_hex(uint32_t hex)
{
    return kmplot_rgb((uint8_t)(hex >> 16), (uint8_t)(hex >> 8), (uint8_t)hex);
}

static int wrap(int i, int n)
{
    int m = i % n;
    return m < 0 ? m + n : m;
}

kmplot_color kmplot_tab10(int i)
{
    static const uint32_t tab10[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728,
                                       0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f,
                                       0xbcbd22, 0x17becf};
    return from_hex(tab10[wrap(i, 10)]);
}

kmplot_color kmplot_tab20(int i)
{
    static const uint32_t tab20[20] = {
        0x1f77b4, 0xaec7e8, 0xff7f0e, 0xffbb78, 0x2ca02c, 0x98df8a, 0xd62728,
        0xff9896, 0x9467bd, 0xc5b0d5, 0x8c564b, 0xc49c94, 0xe377c2, 0xf7b6d2,
        0x7f7f7f, 0xc7c7c7, 0xbcbd22, 0xdbdb8d, 0x17becf, 0x9edae5};
    return from_hex(tab20[wrap(i, 20)]);
}

kmplot_color kmplot_spectral(double t)
{
    /* matplotlib's nipy_spectral between 0.10 and 0.90 (its anchors every
       0.05), linearly interpolated: the black and light-gray ends are left
       out so every color stands out on white. */
    static const double anchor[17][3] = {
        {0.5333, 0.0, 0.6000}, {0.0, 0.0, 0.6667},    {0.0, 0.0, 0.8667},
        {0.0, 0.4667, 0.8667}, {0.0, 0.6000, 0.8667}, {0.0, 0.6667, 0.6667},
        {0.0, 0.6667, 0.5333}, {0.0, 0.6000, 0.0},    {0.0, 0.7333, 0.0},
        {0.0, 0.8667, 0.0},    {0.0, 1.0, 0.0},       {0.7333, 1.0, 0.0},
        {0.9333, 0.9333, 0.0}, {1.0, 0.8000, 0.0},    {1.0, 0.6000, 0.0},
        {1.0, 0.0, 0.0},       {0.8667, 0.0, 0.0}};
    kmplot_color c;
    double u, f;
    int i;

    if (!(t > 0.0))
        t = 0.0;
    if (t > 1.0)
        t = 1.0;
    u = t * 16.0;
    i = (int)floor(u);
    if (i >= 16)
        i = 15;
    f = u - i;
    c.r = anchor[i][0] + f * (anchor[i + 1][0] - anchor[i][0]);
    c.g = anchor[i][1] + f * (anchor[i + 1][1] - anchor[i][1]);
    c.b = anchor[i][2] + f * (anchor[i + 1][2] - anchor[i][2]);
    c.a = 1.0;
    return c;
}

kmplot_color kmplot_spectral_index(int i, int n)
{
    return kmplot_spectral(n > 1 ? (double)i / (double)(n - 1) : 0.0);
}

kmplot_style kmplot_style_default(int i)
{
    kmplot_style s;

    s.color = kmplot_tab10(i);
    s.line_width = 2.0;
    s.dash = KMPLOT_SOLID;
    s.marker = KMPLOT_MARKER_NONE;
    s.marker_size = 7.0;
    s.label = NULL;
    return s;
}

/* ---- allocation with the figure's sticky out-of-memory flag --------------
 */

static char *dup_text(kmplot_figure *fig, const char *s)
{
    char *copy;
    size_t len;

    if (s == NULL)
        return NULL;
    len = strlen(s) + 1;
    copy = malloc(len);
    if (copy == NULL) {
        fig->nomem = true;
        return NULL;
    }
    memcpy(copy, s, len);
    return copy;
}

static void set_text(kmplot_figure *fig, char **slot, const char *s)
{
    free(*slot);
    *slot = dup_text(fig, s);
}

static double *dup_doubles(kmplot_figure *fig, const double *v, size_t n)
{
    double *copy;

    if (n > SIZE_MAX / sizeof *copy ||
        (copy = malloc((n ? n : 1) * sizeof *copy)) == NULL) {
        fig->nomem = true;
        return NULL;
    }
    if (n > 0)
        memcpy(copy, v, n * sizeof *copy);
    return copy;
}

/* ---- figures ------------------------------------------------------------
 */

kmplot_figure *kmplot_figure_new(int width, int height, int rows, int cols)
{
    kmplot_figure *fig;

    if (width < 16 || width > 16384 || height < 16 || height > 16384 ||
        rows < 1 || rows > 64 || cols < 1 || cols > 64)
        return NULL;
    fig = calloc(1, sizeof *fig);
    if (fig == NULL)
        return NULL;
    fig->panels = calloc((size_t)rows * (size_t)cols, sizeof *fig->panels);
    if (fig->panels == NULL) {
        free(fig);
        return NULL;
    }
    fig->width = width;
    fig->height = height;
    fig->rows = rows;
    fig->cols = cols;
    fig->font_px = width >= 500 ? 13.0 : fmax(8.0, 13.0 * width / 500.0);
    for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++)
        fig->panels[i].fig = fig;
    return fig;
}

static void free_ticks(kmplot_axis *a)
{
    free(a->tick_v);
    if (a->tick_l != NULL) {
        for (size_t i = 0; i < a->tick_n; i++)
            free(a->tick_l[i]);
        free(a->tick_l);
    }
    a->tick_v = NULL;
    a->tick_l = NULL;
    a->tick_n = 0;
}

static void free_axis(kmplot_axis *a)
{
    free(a->label);
    a->label = NULL;
    free_ticks(a);
}

void kmplot_figure_free(kmplot_figure *fig)
{
    if (fig == NULL)
        return;
    for (size_t i = 0; i < (size_t)fig->rows * (size_t)fig->cols; i++) {
        kmplot_panel *p = &fig->panels[i];
        free(p->title);
        free_axis(&p->ax[0]);
        free_axis(&p->ax[1]);
        for (size_t j = 0; j < p->n_items; j++) {
            kmplot_item *it = &p->items[j];
            free(it->label);
            free(it->text);
            free(it->x);
            free(it->y);
            free(it->colors);
        }
        free(p->items);
        free(p->img);
    }
    free(fig->panels);
    free(fig->title);
    free(fig);
}

void kmplot_figure_title(kmplot_figure *fig, const char *title)
{
    if (fig != NULL)
        set_text(fig, &fig->title, title);
}

void kmplot_figure_font_size(kmplot_figure *fig, double px)
{
    if (fig != NULL && px >= 4.0 && px <= 200.0)
        fig->font_px = px;
}

kmplot_panel *kmplot_panel_at(kmplot_figure *fig, int row, int col)
{
    if (fig == NULL || row < 0 || row >= fig->rows || col < 0 ||
        col >= fig->cols)
        return NULL;
    return &fig->panels[(size_t)row * (size_t)fig->cols + (size_t)col];
}

/* ---- panel settings -----------------------------------------------------
 */

void kmplot_title(kmplot_panel *p, const char *text)
{
    if (p != NULL)
        set_text(p->fig, &p->title, text);
}

void kmplot_xlabel(kmplot_panel *p, const char *text)
{
    if (p != NULL)
        set_text(p->fig, &p->ax[0].label, text);
}

void kmplot_ylabel(kmplot_panel *p, const char *text)
{
    if (p != NULL)
        set_text(p->fig, &p->ax[1].label, text);
}

static void set_lim(kmplot_panel *p, int axis, double lo, double hi)
{
    if (p == NULL || !isfinite(lo) || !isfinite(hi) || !(lo < hi))
        return;
    p->ax[axis].lim_set = true;
    p->ax[axis].lo = lo;
    p->ax[axis].hi = hi;
}

void kmplot_xlim(kmplot_panel *p, double lo, double hi)
{
    set_lim(p, 0, lo, hi);
}

void kmplot_ylim(kmplot_panel *p, double lo, double hi)
{
    set_lim(p, 1, lo, hi);
}

void kmplot_nice_limits(kmplot_panel *p, bool x, bool y)
{
    if (p == NULL)
        return;
    p->ax[0].nice = x;
    p->ax[1].nice = y;
}

static void set_ticks(kmplot_panel *p, int axis, const double *values,
                      const char *const *labels, size_t n)
{
    kmplot_axis *a;

    if (p == NULL || n > 256 || (n > 0 && values == NULL))
        return;
    a = &p->ax[axis];
    free_ticks(a);
    a->ticks_set = true;
    if (n == 0)
        return;
    a->tick_v = dup_doubles(p->fig, values, n);
    a->tick_l = calloc(n, sizeof *a->tick_l);
    if (a->tick_v == NULL || a->tick_l == NULL) {
        p->fig->nomem = true;
        return;
    }
    a->tick_n = n;
    for (size_t i = 0; i < n; i++)
        a->tick_l[i] = labels != NULL ? dup_text(p->fig, labels[i]) : NULL;
}

void kmplot_xticks(kmplot_panel *p, const double *values,
                   const char *const *labels, size_t n)
{
    set_ticks(p, 0, values, labels, n);
}

void kmplot_yticks(kmplot_panel *p, const double *values,
                   const char *const *labels, size_t n)
{
    set_ticks(p, 1, values, labels, n);
}

void kmplot_integer_ticks(kmplot_panel *p, bool x, bool y)
{
    if (p == NULL)
        return;
    p->ax[0].integer = x;
    p->ax[1].integer = y;
}

void kmplot_grid(kmplot_panel *p, bool on)
{
    if (p != NULL)
        p->grid = on;
}

void kmplot_equal_aspect(kmplot_panel *p, bool on)
{
    if (p != NULL)
        p->equal = on;
}

void kmplot_axes_off(kmplot_panel *p)
{
    if (p != NULL)
        p->axes_off = true;
}

void kmplot_legend(kmplot_panel *p, kmplot_corner corner)
{
    if (p == NULL)
        return;
    p->legend = true;
    p->corner = corner;
}

/* ---- items ------------------------------------------------------------------
 */

static kmplot_item *new_item(kmplot_panel *p, item_kind kind)
{
    kmplot_item *it;

    if (p->n_items == p->cap_items) {
        size_t cap = p->cap_items ? 2 * p->cap_items : 8;
        kmplot_item *grown = realloc(p->items, cap * sizeof *grown);
        if (grown == NULL) {
            p->fig->nomem = true;
            return NULL;
        }
        p->items = grown;
        p->cap_items = cap;
    }
    it = &p->items[p->n_items++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->style = kmplot_style_default(0);
    return it;
}

void kmplot_series(kmplot_panel *p, const double *x, const double *y, size_t n,
                   const kmplot_style *style)
{
    kmplot_item *it;

    if (p == NULL || y == NULL || style == NULL || n == 0)
        return;
    it = new_item(p, ITEM_SERIES);
    if (it == NULL)
        return;
    it->style = *style;
    it->style.label = NULL;
    it->label = dup_text(p->fig, style->label);
    it->y = dup_doubles(p->fig, y, n);
    it->x = dup_doubles(p->fig, x, x != NULL ? n : 0);
    if (it->x != NULL && x == NULL) {
        double *xs = realloc(it->x, n * sizeof *xs);
        if (xs == NULL) {
            p->fig->nomem = true;
        } else {
            it->x = xs;
            for (size_t i = 0; i < n; i++)
                xs[i] = (double)i;
        }
    }
    if (it->x != NULL && it->y != NULL)
        it->n = n;
}

void kmplot_scatter(kmplot_panel *p, const double *x, const double *y,
                    const kmplot_color *colors, size_t n, kmplot_marker marker,
                    double size, const char *label)
{
    kmplot_item *it;

    if (p == NULL || x == NULL || y == NULL || colors == NULL || n == 0)
        return;
    it = new_item(p, ITEM_SCATTER);
    if (it == NULL)
        return;
    it->style.line_width = 0.0;
    it->style.marker = marker;
    it->style.marker_size = size > 0.0 ? size : 7.0;
    it->style.color = colors[0];
    it->label = dup_text(p->fig, label);
    it->x = dup_doubles(p->fig, x, n);
    it->y = dup_doubles(p->fig, y, n);
    if (n <= SIZE_MAX / sizeof *colors)
        it->colors = malloc(n * sizeof *colors);
    if (it->colors == NULL)
        p->fig->nomem = true;
    else
        memcpy(it->colors, colors, n * sizeof *colors);
    if (it->x != NULL && it->y != NULL && it->colors != NULL)
        it->n = n;
}

static void ref_line(kmplot_panel *p, item_kind kind, double v,
                     kmplot_color color, double width, kmplot_dash dash,
                     const char *label)
{
    kmplot_item *it;

    if (p == NULL || !isfinite(v))
        return;
    it = new_item(p, kind);
    if (it == NULL)
        return;
    it->a = v;
    it->style.color = color;
    it->style.line_width = width > 0.0 ? width : 1.0;
    it->style.dash = dash;
    it->label = dup_text(p->fig, label);
}

void kmplot_vline(kmplot_panel *p, double x, kmplot_color color, double width,
                  kmplot_dash dash, const char *label)
{
    ref_line(p, ITEM_VLINE, x, color, width, dash, label);
}

void kmplot_hline(kmplot_panel *p, double y, kmplot_color color, double width,
                  kmplot_dash dash, const char *label)
{
    ref_line(p, ITEM_HLINE, y, color, width, dash, label);
}

void kmplot_text(kmplot_panel *p, double x, double y, const char *text,
                 kmplot_align align, kmplot_color color)
{
    kmplot_item *it;

    if (p == NULL || text == NULL || !isfinite(x) || !isfinite(y))
        return;
    it = new_item(p, ITEM_TEXT);
    if (it == NULL)
        return;
    it->a = x;
    it->b = y;
    it->align = align;
    it->style.color = color;
    it->text = dup_text(p->fig, text);
}

void kmplot_annotate(kmplot_panel *p, double x, double y, const char *text,
                     double dx, double dy, kmplot_color color)
{
    kmplot_item *it;

    if (p == NULL || text == NULL || !isfinite(x) || !isfinite(y) ||
        !isfinite(dx) || !isfinite(dy))
        return;
    it = new_item(p, ITEM_ANNOTATE);
    if (it == NULL)
        return;
    it->a = x;
    it->b = y;
    it->c = dx;
    it->d = dy;
    it->style.color = color;
    it->text = dup_text(p->fig, text);
}

void kmplot_hbars(kmplot_panel *p, double y0, double height,
                  const double *x_end, size_t n, double base,
                  kmplot_color color, const char *label)
{
    kmplot_item *it;

    if (p == NULL || x_end == NULL || n == 0 || !isfinite(y0) ||
        !isfinite(height) || !(height > 0.0) || !isfinite(base))
        return;
    it = new_item(p, ITEM_HBARS);
    if (it == NULL)
        return;
    it->a = y0;
    it->b = height;
    it->c = base;
    it->style.color = color;
    it->label = dup_text(p->fig, label);
    it->x = dup_doubles(p->fig, x_end, n);
    if (it->x != NULL)
        it->n = n;
}

void kmplot_rect(kmplot_panel *p, double x0, double y0, double x1, double y1,
                 kmplot_color color)
{
    kmplot_item *it;

    if (p == NULL || !isfinite(x0) || !isfinite(y0) || !isfinite(x1) ||
        !isfinite(y1))
        return;
    it = new_item(p, ITEM_RECT);
    if (it == NULL)
        return;
    it->a = fmin(x0, x1);
    it->b = fmin(y0, y1);
    it->c = fmax(x0, x1);
    it->d = fmax(y0, y1);
    it->style.color = color;
}

void kmplot_image(kmplot_panel *p, const uint8_t *pixels, int w, int h,
                  int channels, size_t stride)
{
    unsigned char *img;
    int out_stride;

    if (p == NULL || pixels == NULL || w < 1 || h < 1 || w > 32767 ||
        h > 32767 || (channels != 1 && channels != 3 && channels != 4))
        return;
    if (stride == 0)
        stride = (size_t)w * (size_t)channels;
    if (stride < (size_t)w * (size_t)channels)
        return;
    out_stride = w * 4; /* cairo's ARGB32 stride for any width */
    img = malloc((size_t)out_stride * (size_t)h);
    if (img == NULL) {
        p->fig->nomem = true;
        return;
    }
    /* cairo wants premultiplied 0xAARRGGBB words in native byte order. */
    for (int r = 0; r < h; r++) {
        const uint8_t *src = pixels + (size_t)r * stride;
        uint32_t *dst =
            (uint32_t *)(void *)(img + (size_t)r * (size_t)out_stride);
        for (int c = 0; c < w; c++) {
            uint32_t R, G, B, A = 255;
            if (channels == 1) {
                R = G = B = src[c];
            } else {
                const uint8_t *s = src + (size_t)c * (size_t)channels;
                R = s[0];
                G = s[1];
                B = s[2];
                if (channels == 4) {
                    A = s[3];
                    R = (R * A + 127) / 255;
                    G = (G * A + 127) / 255;
                    B = (B * A + 127) / 255;
                }
            }
            dst[c] = (A << 24) | (R << 16) | (G << 8) | B;
        }
    }
    free(p->img);
    p->img = img;
    p->img_w = w;
    p->img_h = h;
    p->img_stride = out_stride;
    p->axes_off = true;
}
