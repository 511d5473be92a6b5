/*
 * kmplot_render.c - layout and drawing of a kmplot figure with cairo, and
 * writing it as PNG, SVG or PDF.
 *
 * Layout of a panel: its data limits (given, or the items' extent plus a
 * 5% margin), ticks at 1, 2 or 5 times a power of ten spaced for the axis
 * length (Heckbert's "nice numbers"), then margins measured from the actual
 * tick-label and title text, so nothing is clipped whatever the numbers.
 * Equal aspect widens the limits of one axis (matplotlib's "datalim").
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>

#include "kmplot_internal.h"

#define MAX_TICKS  258
#define TICK_LEN   4.0
#define FONT_NAME  "DejaVu Sans"
#define FRAME_GRAY 0.2
#define GRID_GRAY  0.88
#define KMPLOT_PI  3.14159265358979323846

/*
 * fontconfig (behind cairo's toy text API) keeps its font cache for the
 * life of the process; freeing it needs FcFini() after every cairo object
 * is gone, which a library layer cannot know.  So programs linking kmplot
 * tell LeakSanitizer (when built with it) to ignore allocations made by
 * fontconfig, quietly.  Defined here, once for the whole program.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* ...without printing the list of suppressions used on stderr. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

typedef struct box {
    double x, y, w, h;
} box;

/* One axis as laid out: limits and the ticks inside them. */
typedef struct axis_layout {
    double lo, hi;
    size_t n;
    double v[MAX_TICKS];
    const char *label[MAX_TICKS];
    char buf[MAX_TICKS][48];
} axis_layout;

typedef struct panel_layout {
    box cell, plot;
    axis_layout ax[2];
} panel_layout;

/* ---- text ---------------------------------------------------------------
 */

static void set_font(cairo_t *cr, double px)
{
    cairo_select_font_face(cr, FONT_NAME, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, px);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;

    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

/* Draw s with its vertical middle at y; align as kmplot_align. */
static void draw_text(cairo_t *cr, const char *s, double x, double y,
                      kmplot_align align)
{
    cairo_font_extents_t fe;
    double w = text_width(cr, s);

    cairo_font_extents(cr, &fe);
    if (align == KMPLOT_ALIGN_CENTER)
        x -= w / 2.0;
    else if (align == KMPLOT_ALIGN_RIGHT)
        x -= w;
    cairo_move_to(cr, x, y + (fe.ascent - fe.descent) / 2.0);
    cairo_show_text(cr, s);
}

static void set_color(cairo_t *cr, kmplot_color c)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

static void set_dash(cairo_t *cr, kmplot_dash dash, double width)
{
    double s = fmax(width, 1.0);

    if (dash == KMPLOT_DASHED) {
        double pat[2] = {3.7 * s, 1.6 * s};
        cairo_set_dash(cr, pat, 2, 0.0);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    } else if (dash == KMPLOT_DOTTED) {
        double pat[2] = {0.0, 2.0 * s};
        cairo_set_dash(cr, pat, 2, 0.0);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    } else {
        cairo_set_dash(cr, NULL, 0, 0.0);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    }
}

/* ---- limits and ticks ------------------------------------------------------
 */

static void extend(double *lo, double *hi, double v)
{
    if (!isfinite(v))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

/* The extent of the panel's data along axis (0 = x, 1 = y). */
static void data_extent(const kmplot_panel *p, int axis, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < p->n_items; i++) {
        const kmplot_item *it = &p->items[i];
        switch (it->kind) {
        case ITEM_SERIES:
        case ITEM_SCATTER:
            for (size_t j = 0; j < it->n; j++) {
                if (isfinite(it->x[j]) && isfinite(it->y[j]))
                    extend(lo, hi, axis == 0 ? it->x[j] : it->y[j]);
            }
            break;
        case ITEM_VLINE:
            if (axis == 0)
                extend(lo, hi, it->a);
            break;
        case ITEM_HLINE:
            if (axis == 1)
                extend(lo, hi, it->a);
            break;
        case ITEM_TEXT:
        case ITEM_ANNOTATE:
            extend(lo, hi, axis == 0 ? it->a : it->b);
            break;
        case ITEM_HBARS:
            if (axis == 0) {
                extend(lo, hi, it->c);
                for (size_t j = 0; j < it->n; j++)
                    extend(lo, hi, it->x[j]);
            } else if (it->n > 0) {
                extend(lo, hi, it->a);
                extend(lo, hi, it->a + (double)it->n * it->b);
            }
            break;
        case ITEM_RECT:
            extend(lo, hi, axis == 0 ? it->a : it->b);
            extend(lo, hi, axis == 0 ? it->c : it->d);
            break;
        }
    }
    if (!(*lo <= *hi)) {
        *lo = 0.0;
        *hi = 1.0;
    } else if (*lo == *hi) {
        double pad = *lo != 0.0 ? fabs(*lo) * 0.1 : 1.0;
        *lo -= pad;
        *hi += pad;
    } else {
        double pad = 0.05 * (*hi - *lo);
        *lo -= pad;
        *hi += pad;
    }
}

/* The nice tick step for about `target` intervals over [lo, hi]. */
static double nice_step(double lo, double hi, double target, bool integer)
{
    double raw = (hi - lo) / fmax(target, 1.0);
    double mag = pow(10.0, floor(log10(raw)));
    double step = 10.0 * mag;

    if (raw <= mag)
        step = mag;
    else if (raw <= 2.0 * mag)
        step = 2.0 * mag;
    else if (raw <= 5.0 * mag)
        step = 5.0 * mag;
    if (integer && step < 1.0)
        step = 1.0;
    return step;
}

static void format_number(char *buf, size_t size, double v, double step)
{
    double big = fabs(v);
    int decimals = 0;

    if (step > 0.0 && step < 1.0)
        decimals = (int)ceil(-log10(step) - 1e-9);
    if (step > 0.0 && fabs(v) < step * 1e-9)
        v = 0.0;
    if (big >= 1e6 || (step > 0.0 && step < 1e-5) || decimals > 8)
        snprintf(buf, size, "%.4g", v);
    else
        snprintf(buf, size, "%.*f", decimals, v);
    if (buf[0] == '-' && strlen(buf) + 3 < size) {
        /* U+2212 MINUS SIGN, as matplotlib draws it. */
        memmove(buf + 3, buf + 1, strlen(buf));
        memcpy(buf, "\xe2\x88\x92", 3);
    }
}

/* Ticks of one axis for a plot length of len pixels. */
static void layout_ticks(const kmplot_axis *a, axis_layout *al, double len,
                         double spacing, bool allow_nice)
{
    al->n = 0;
    if (a->ticks_set) {
        for (size_t i = 0; i < a->tick_n && al->n < MAX_TICKS; i++) {
            double v = a->tick_v[i];
            if (!(v >= al->lo - 1e-9 * (al->hi - al->lo) &&
                  v <= al->hi + 1e-9 * (al->hi - al->lo)))
                continue;
            if (a->tick_l != NULL && a->tick_l[i] != NULL) {
                al->label[al->n] = a->tick_l[i];
            } else {
                snprintf(al->buf[al->n], sizeof al->buf[0], "%g", v);
                al->label[al->n] = al->buf[al->n];
            }
            al->v[al->n++] = v;
        }
        return;
    }
    {
        double step = nice_step(al->lo, al->hi, len / spacing, a->integer);
        double first;

        if (allow_nice && a->nice && !a->lim_set) {
            al->lo = floor(al->lo / step + 1e-9) * step;
            al->hi = ceil(al->hi / step - 1e-9) * step;
        }
        first = ceil(al->lo / step - 1e-9);
        for (double t = first; al->n < MAX_TICKS; t += 1.0) {
            double v = t * step;
            if (v > al->hi + 1e-9 * (al->hi - al->lo))
                break;
            format_number(al->buf[al->n], sizeof al->buf[0], v, step);
            al->label[al->n] = al->buf[al->n];
            al->v[al->n++] = v;
        }
    }
}

/* ---- layout ---------------------------------------------------------------
 */

static bool is_image(const kmplot_panel *p)
{
    return p->img != NULL;
}

static double px_x(const panel_layout *L, double x)
{
    const axis_layout *a = &L->ax[0];
    return L->plot.x + (x - a->lo) / (a->hi - a->lo) * L->plot.w;
}

static double px_y(const panel_layout *L, double y)
{
    const axis_layout *a = &L->ax[1];
    return L->plot.y + L->plot.h - (y - a->lo) / (a->hi - a->lo) * L->plot.h;
}

/* Widen one axis's limits so that both have the same data units per pixel
   (about the middle of the current range). */
static void equalize(panel_layout *L)
{
    axis_layout *x = &L->ax[0], *y = &L->ax[1];
    double ux = (x->hi - x->lo) / L->plot.w, uy = (y->hi - y->lo) / L->plot.h;

    if (ux > uy) {
        double mid = (y->lo + y->hi) / 2.0, half = ux * L->plot.h / 2.0;
        y->lo = mid - half;
        y->hi = mid + half;
    } else {
        double mid = (x->lo + x->hi) / 2.0, half = uy * L->plot.w / 2.0;
        x->lo = mid - half;
        x->hi = mid + half;
    }
}

static void layout_panel(cairo_t *cr, const kmplot_panel *p, double font,
                         panel_layout *L)
{
    const double pad = 0.6 * font;
    const double title_px = 1.15 * font, tick_px = 0.9 * font;
    double top, bottom, left, right;

    for (int a = 0; a < 2; a++) {
        if (p->ax[a].lim_set) {
            L->ax[a].lo = p->ax[a].lo;
            L->ax[a].hi = p->ax[a].hi;
        } else {
            data_extent(p, a, &L->ax[a].lo, &L->ax[a].hi);
        }
        L->ax[a].n = 0;
    }
    top = pad + (p->title != NULL ? 1.3 * title_px + 0.3 * pad : 0.0);
    if (is_image(p)) {
        bottom = 0.3 * pad + (p->ax[0].label != NULL ? 1.3 * font : 0.0);
        L->plot.x = L->cell.x + 0.3 * pad;
        L->plot.y = L->cell.y + top;
        L->plot.w = fmax(1.0, L->cell.w - 0.6 * pad);
        L->plot.h = fmax(1.0, L->cell.h - top - bottom);
        return;
    }
    /* Twice: the y tick labels' width decides the plot width, which (with
       equal aspect) may change the limits and so the labels. */
    for (int pass = 0; pass < 2; pass++) {
        double ylab_w = 0.0, xlast_w = 0.0;

        left = pad + (p->ax[1].label != NULL ? 1.3 * font + 0.3 * pad : 0.0);
        bottom = pad + (p->ax[0].label != NULL ? 1.3 * font + 0.3 * pad : 0.0);
        right = pad;
        if (pass == 0) {
            /* Provisional plot size for the tick density. */
            L->plot.w = fmax(1.0, L->cell.w - left - right - 4.0 * font);
            L->plot.h = fmax(1.0, L->cell.h - top - bottom - 2.0 * font);
        }
        if (!p->axes_off) {
            layout_ticks(&p->ax[1], &L->ax[1], L->plot.h,
                         fmax(40.0, 3.2 * font), pass == 0);
            layout_ticks(&p->ax[0], &L->ax[0], L->plot.w,
                         fmax(70.0, 6.0 * font), pass == 0);
            set_font(cr, tick_px);
            for (size_t i = 0; i < L->ax[1].n; i++)
                ylab_w = fmax(ylab_w, text_width(cr, L->ax[1].label[i]));
            if (L->ax[0].n > 0)
                xlast_w = text_width(cr, L->ax[0].label[L->ax[0].n - 1]);
            left += ylab_w + TICK_LEN + 0.4 * font;
            bottom += 1.2 * tick_px + TICK_LEN + 0.3 * font;
            right = fmax(right, xlast_w / 2.0 + 2.0);
        }
        L->plot.x = L->cell.x + left;
        L->plot.y = L->cell.y + top;
        L->plot.w = fmax(1.0, L->cell.w - left - right);
        L->plot.h = fmax(1.0, L->cell.h - top - bottom);
        if (p->equal)
            equalize(L);
    }
    if (!p->axes_off) {
        /* Drop ticks that equalize() or nice limits left outside. */
        for (int a = 0; a < 2; a++) {
            axis_layout *al = &L->ax[a];
            size_t m = 0;
            for (size_t i = 0; i < al->n; i++) {
                if (al->v[i] >= al->lo - 1e-9 * (al->hi - al->lo) &&
                    al->v[i] <= al->hi + 1e-9 * (al->hi - al->lo)) {
                    if (al->label[i] == al->buf[i]) {
                        if (m != i)
                            memcpy(al->buf[m], al->buf[i], sizeof al->buf[0]);
                        al->label[m] = al->buf[m];
                    } else {
                        al->label[m] = al->label[i];
                    }
                    al->v[m++] = al->v[i];
                }
            }
            al->n = m;
        }
    }
}

/* ---- drawing items --------------------------------------------------------
 */

static void marker_path(cairo_t *cr, kmplot_marker m, double x, double y,
                        double size)
{
    double r = size / 2.0;

    switch (m) {
    case KMPLOT_MARKER_NONE:
        break;
    case KMPLOT_MARKER_CIRCLE:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0.0, 2.0 * KMPLOT_PI);
        break;
    case KMPLOT_MARKER_SQUARE:
        cairo_rectangle(cr, x - r * 0.9, y - r * 0.9, 1.8 * r, 1.8 * r);
        break;
    case KMPLOT_MARKER_TRIANGLE:
        cairo_move_to(cr, x, y - r * 1.1);
        cairo_line_to(cr, x + r, y + r * 0.75);
        cairo_line_to(cr, x - r, y + r * 0.75);
        cairo_close_path(cr);
        break;
    case KMPLOT_MARKER_DIAMOND:
        cairo_move_to(cr, x, y - r * 1.15);
        cairo_line_to(cr, x + r * 0.8, y);
        cairo_line_to(cr, x, y + r * 1.15);
        cairo_line_to(cr, x - r * 0.8, y);
        cairo_close_path(cr);
        break;
    case KMPLOT_MARKER_CROSS:
        cairo_move_to(cr, x - r * 0.8, y - r * 0.8);
        cairo_line_to(cr, x + r * 0.8, y + r * 0.8);
        cairo_move_to(cr, x - r * 0.8, y + r * 0.8);
        cairo_line_to(cr, x + r * 0.8, y - r * 0.8);
        break;
    case KMPLOT_MARKER_PLUS:
        cairo_move_to(cr, x - r, y);
        cairo_line_to(cr, x + r, y);
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x, y + r);
        break;
    case KMPLOT_MARKER_STAR:
        for (int i = 0; i < 10; i++) {
            double ang = -KMPLOT_PI / 2.0 + i * KMPLOT_PI / 5.0;
            double rr = (i % 2 == 0) ? r * 1.15 : r * 0.47;
            if (i == 0)
                cairo_move_to(cr, x + rr * cos(ang), y + rr * sin(ang));
            else
                cairo_line_to(cr, x + rr * cos(ang), y + rr * sin(ang));
        }
        cairo_close_path(cr);
        break;
    }
}

static bool stroked_marker(kmplot_marker m)
{
    return m == KMPLOT_MARKER_CROSS || m == KMPLOT_MARKER_PLUS;
}

static void draw_marker(cairo_t *cr, kmplot_marker m, double x, double y,
                        double size)
{
    if (m == KMPLOT_MARKER_NONE)
        return;
    cairo_new_path(cr);
    marker_path(cr, m, x, y, size);
    if (stroked_marker(m)) {
        cairo_set_dash(cr, NULL, 0, 0.0);
        cairo_set_line_width(cr, fmax(1.5, size / 5.0));
        cairo_stroke(cr);
    } else {
        cairo_fill(cr);
    }
}

static void draw_series(cairo_t *cr, const panel_layout *L,
                        const kmplot_item *it)
{
    const kmplot_style *s = &it->style;

    set_color(cr, s->color);
    if (s->line_width > 0.0) {
        bool pen_down = false;
        cairo_new_path(cr);
        for (size_t i = 0; i < it->n; i++) {
            if (!isfinite(it->x[i]) || !isfinite(it->y[i])) {
                pen_down = false;
                continue;
            }
            if (pen_down)
                cairo_line_to(cr, px_x(L, it->x[i]), px_y(L, it->y[i]));
            else
                cairo_move_to(cr, px_x(L, it->x[i]), px_y(L, it->y[i]));
            pen_down = true;
        }
        cairo_set_line_width(cr, s->line_width);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        set_dash(cr, s->dash, s->line_width);
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < it->n; i++) {
        if (isfinite(it->x[i]) && isfinite(it->y[i])) {
            if (it->kind == ITEM_SCATTER)
                set_color(cr, it->colors[i]);
            draw_marker(cr, s->marker, px_x(L, it->x[i]), px_y(L, it->y[i]),
                        s->marker_size);
        }
    }
}

static void draw_ref_line(cairo_t *cr, const panel_layout *L,
                          const kmplot_item *it)
{
    set_color(cr, it->style.color);
    cairo_set_line_width(cr, it->style.line_width);
    set_dash(cr, it->style.dash, it->style.line_width);
    cairo_new_path(cr);
    if (it->kind == ITEM_VLINE) {
        double x = px_x(L, it->a);
        cairo_move_to(cr, x, L->plot.y);
        cairo_line_to(cr, x, L->plot.y + L->plot.h);
    } else {
        double y = px_y(L, it->a);
        cairo_move_to(cr, L->plot.x, y);
        cairo_line_to(cr, L->plot.x + L->plot.w, y);
    }
    cairo_stroke(cr);
}

/* The bars as one step-shaped polygon: thousands of sub-pixel bars drawn
   one by one would leave antialiasing seams between them. */
static void draw_hbars(cairo_t *cr, const panel_layout *L,
                       const kmplot_item *it)
{
    double base = px_x(L, it->c);

    cairo_new_path(cr);
    cairo_move_to(cr, base, px_y(L, it->a));
    for (size_t i = 0; i < it->n; i++) {
        double x = isfinite(it->x[i]) ? px_x(L, it->x[i]) : base;
        cairo_line_to(cr, x, px_y(L, it->a + (double)i * it->b));
        cairo_line_to(cr, x, px_y(L, it->a + (double)(i + 1) * it->b));
    }
    cairo_line_to(cr, base, px_y(L, it->a + (double)it->n * it->b));
    cairo_close_path(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    set_color(cr, it->style.color);
    cairo_fill(cr);
}

static void draw_annotation(cairo_t *cr, const panel_layout *L,
                            const kmplot_item *it, double font)
{
    double x = px_x(L, it->a), y = px_y(L, it->b);
    double r = fmax(6.0, 0.8 * font);

    set_color(cr, it->style.color);
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_width(cr, 2.0);
    cairo_new_path(cr);
    cairo_arc(cr, x, y, r, 0.0, 2.0 * KMPLOT_PI);
    cairo_stroke(cr);
    set_font(cr, font);
    if (it->c == 0.0 && it->d == 0.0) {
        draw_text(cr, it->text, x + r + 3.0, y - r - 0.5 * font,
                  KMPLOT_ALIGN_LEFT);
        return;
    }
    {
        double tx = x + it->c, ty = y + it->d;
        double sx = tx + (it->c >= 0.0 ? -3.0 : 3.0), sy = ty;
        double vx = x - sx, vy = y - sy, len = hypot(vx, vy);
        double head = 0.75 * font, half = 0.32 * font;

        draw_text(cr, it->text, tx, ty,
                  it->c >= 0.0 ? KMPLOT_ALIGN_LEFT : KMPLOT_ALIGN_RIGHT);
        if (len > r + head + 2.0) {
            double ux = vx / len, uy = vy / len;
            double ex = x - ux * (r + 2.0), ey = y - uy * (r + 2.0);
            double bx = ex - ux * head, by = ey - uy * head;
            cairo_set_line_width(cr, 1.5);
            cairo_new_path(cr);
            cairo_move_to(cr, sx, sy);
            cairo_line_to(cr, bx, by);
            cairo_stroke(cr);
            cairo_move_to(cr, ex, ey);
            cairo_line_to(cr, bx - uy * half, by + ux * half);
            cairo_line_to(cr, bx + uy * half, by - ux * half);
            cairo_close_path(cr);
            cairo_fill(cr);
        }
    }
}

static void draw_item(cairo_t *cr, const panel_layout *L, const kmplot_item *it,
                      double font)
{
    switch (it->kind) {
    case ITEM_SERIES:
    case ITEM_SCATTER:
        draw_series(cr, L, it);
        break;
    case ITEM_VLINE:
    case ITEM_HLINE:
        draw_ref_line(cr, L, it);
        break;
    case ITEM_TEXT:
        set_color(cr, it->style.color);
        set_font(cr, font);
        draw_text(cr, it->text, px_x(L, it->a), px_y(L, it->b), it->align);
        break;
    case ITEM_HBARS:
        draw_hbars(cr, L, it);
        break;
    case ITEM_RECT: {
        double x0 = px_x(L, it->a), x1 = px_x(L, it->c);
        double y0 = px_y(L, it->d), y1 = px_y(L, it->b);
        set_color(cr, it->style.color);
        cairo_new_path(cr);
        cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
        cairo_fill(cr);
        break;
    }
    case ITEM_ANNOTATE:
        draw_annotation(cr, L, it, font);
        break;
    }
}

/* ---- axes, legend, image ----------------------------------------------------
 */

/* Pixel-center a 1 px line coordinate for crisp output. */
static double crisp(double v)
{
    return floor(v) + 0.5;
}

static void draw_grid(cairo_t *cr, const kmplot_panel *p, const panel_layout *L)
{
    const box *b = &L->plot;

    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_width(cr, 1.0);
    if (p->grid) {
        cairo_set_source_rgb(cr, GRID_GRAY, GRID_GRAY, GRID_GRAY);
        cairo_new_path(cr);
        for (size_t i = 0; i < L->ax[0].n; i++) {
            double x = crisp(px_x(L, L->ax[0].v[i]));
            cairo_move_to(cr, x, b->y);
            cairo_line_to(cr, x, b->y + b->h);
        }
        for (size_t i = 0; i < L->ax[1].n; i++) {
            double y = crisp(px_y(L, L->ax[1].v[i]));
            cairo_move_to(cr, b->x, y);
            cairo_line_to(cr, b->x + b->w, y);
        }
        cairo_stroke(cr);
    }
}

static void draw_frame_ticks(cairo_t *cr, const panel_layout *L, double font)
{
    const box *b = &L->plot;
    const double tick_px = 0.9 * font;
    double x0 = crisp(b->x), y0 = crisp(b->y);
    double x1 = crisp(b->x + b->w), y1 = crisp(b->y + b->h);

    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_width(cr, 1.0);
    cairo_set_source_rgb(cr, FRAME_GRAY, FRAME_GRAY, FRAME_GRAY);
    cairo_new_path(cr);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    for (size_t i = 0; i < L->ax[0].n; i++) {
        double x = crisp(px_x(L, L->ax[0].v[i]));
        cairo_move_to(cr, x, y1);
        cairo_line_to(cr, x, y1 + TICK_LEN);
    }
    for (size_t i = 0; i < L->ax[1].n; i++) {
        double y = crisp(px_y(L, L->ax[1].v[i]));
        cairo_move_to(cr, x0, y);
        cairo_line_to(cr, x0 - TICK_LEN, y);
    }
    cairo_stroke(cr);

    set_font(cr, tick_px);
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    for (size_t i = 0; i < L->ax[0].n; i++)
        draw_text(cr, L->ax[0].label[i], px_x(L, L->ax[0].v[i]),
                  y1 + TICK_LEN + 0.3 * font + 0.6 * tick_px,
                  KMPLOT_ALIGN_CENTER);
    for (size_t i = 0; i < L->ax[1].n; i++)
        draw_text(cr, L->ax[1].label[i], x0 - TICK_LEN - 0.3 * font,
                  px_y(L, L->ax[1].v[i]), KMPLOT_ALIGN_RIGHT);
}

static void draw_labels(cairo_t *cr, const kmplot_panel *p,
                        const panel_layout *L, double font)
{
    const double pad = 0.6 * font;

    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    if (p->title != NULL) {
        set_font(cr, 1.15 * font);
        draw_text(cr, p->title, L->plot.x + L->plot.w / 2.0,
                  L->cell.y + pad + 0.65 * 1.15 * font, KMPLOT_ALIGN_CENTER);
    }
    set_font(cr, font);
    if (p->ax[0].label != NULL)
        draw_text(cr, p->ax[0].label, L->plot.x + L->plot.w / 2.0,
                  L->cell.y + L->cell.h - (is_image(p) ? 0.3 * pad : pad) -
                      0.65 * font,
                  KMPLOT_ALIGN_CENTER);
    if (p->ax[1].label != NULL && !is_image(p)) {
        cairo_save(cr);
        cairo_translate(cr, L->cell.x + pad + 0.65 * font,
                        L->plot.y + L->plot.h / 2.0);
        cairo_rotate(cr, -KMPLOT_PI / 2.0);
        draw_text(cr, p->ax[1].label, 0.0, 0.0, KMPLOT_ALIGN_CENTER);
        cairo_restore(cr);
    }
}

static void legend_swatch(cairo_t *cr, const kmplot_item *it, double x,
                          double y, double w, double font)
{
    set_color(cr, it->style.color);
    switch (it->kind) {
    case ITEM_HBARS:
    case ITEM_RECT:
        cairo_rectangle(cr, x + w * 0.2, y - 0.35 * font, w * 0.6, 0.7 * font);
        cairo_fill(cr);
        break;
    default:
        if (it->style.line_width > 0.0) {
            cairo_set_line_width(cr, it->style.line_width);
            set_dash(cr, it->style.dash, it->style.line_width);
            cairo_new_path(cr);
            cairo_move_to(cr, x, y);
            cairo_line_to(cr, x + w, y);
            cairo_stroke(cr);
        }
        draw_marker(cr, it->style.marker, x + w / 2.0, y,
                    it->style.marker_size);
        break;
    }
}

static void draw_legend(cairo_t *cr, const kmplot_panel *p,
                        const panel_layout *L, double font)
{
    const double row = 1.45 * font, pad = 0.5 * font, sw = 2.2 * font;
    double text_w = 0.0, bw, bh, bx, by;
    size_t n = 0, r = 0;

    set_font(cr, font);
    for (size_t i = 0; i < p->n_items; i++) {
        if (p->items[i].label != NULL) {
            text_w = fmax(text_w, text_width(cr, p->items[i].label));
            n++;
        }
    }
    if (n == 0)
        return;
    bw = pad + sw + 0.5 * font + text_w + pad;
    bh = 2.0 * pad + (double)n * row - (row - font);
    bx = (p->corner == KMPLOT_UPPER_LEFT || p->corner == KMPLOT_LOWER_LEFT)
             ? L->plot.x + 0.6 * font
             : L->plot.x + L->plot.w - 0.6 * font - bw;
    by = (p->corner == KMPLOT_UPPER_LEFT || p->corner == KMPLOT_UPPER_RIGHT)
             ? L->plot.y + 0.6 * font
             : L->plot.y + L->plot.h - 0.6 * font - bh;
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_new_path(cr);
    cairo_rectangle(cr, crisp(bx), crisp(by), floor(bw), floor(bh));
    cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.85);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    for (size_t i = 0; i < p->n_items; i++) {
        const kmplot_item *it = &p->items[i];
        double y;
        if (it->label == NULL)
            continue;
        y = by + pad + 0.5 * font + (double)r++ * row;
        legend_swatch(cr, it, bx + pad, y, sw, font);
        cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
        set_font(cr, font);
        draw_text(cr, it->label, bx + pad + sw + 0.5 * font, y,
                  KMPLOT_ALIGN_LEFT);
    }
}

static void draw_image(cairo_t *cr, const kmplot_panel *p,
                       const panel_layout *L)
{
    cairo_surface_t *s = cairo_image_surface_create_for_data(
        p->img, CAIRO_FORMAT_ARGB32, p->img_w, p->img_h, p->img_stride);
    double scale =
        fmin(L->plot.w / (double)p->img_w, L->plot.h / (double)p->img_h);
    double w = scale * p->img_w, h = scale * p->img_h;
    double x = L->plot.x + (L->plot.w - w) / 2.0;
    double y = L->plot.y + (L->plot.h - h) / 2.0;

    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return;
    }
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, s, 0.0, 0.0);
    cairo_pattern_set_filter(cairo_get_source(cr), scale >= 1.0
                                                       ? CAIRO_FILTER_NEAREST
                                                       : CAIRO_FILTER_GOOD);
    cairo_rectangle(cr, 0.0, 0.0, p->img_w, p->img_h);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(s);
}

static void draw_panel(cairo_t *cr, const kmplot_panel *p, double font,
                       box cell)
{
    panel_layout *L = calloc(1, sizeof *L);

    if (L == NULL)
        return;
    if (p->n_items == 0 && !is_image(p) && p->title == NULL &&
        p->ax[0].label == NULL && p->ax[1].label == NULL) {
        free(L); /* an unused cell of the grid stays blank */
        return;
    }
    L->cell = cell;
    layout_panel(cr, p, font, L);
    cairo_save(cr);
    cairo_rectangle(cr, cell.x, cell.y, cell.w, cell.h);
    cairo_clip(cr);
    if (is_image(p)) {
        draw_image(cr, p, L);
    } else {
        if (!p->axes_off)
            draw_grid(cr, p, L);
        cairo_save(cr);
        cairo_rectangle(cr, L->plot.x, L->plot.y, L->plot.w, L->plot.h);
        cairo_clip(cr);
        for (size_t i = 0; i < p->n_items; i++) {
            if (p->items[i].kind != ITEM_ANNOTATE)
                draw_item(cr, L, &p->items[i], font);
        }
        cairo_restore(cr);
        for (size_t i = 0; i < p->n_items; i++) {
            if (p->items[i].kind == ITEM_ANNOTATE)
                draw_item(cr, L, &p->items[i], font);
        }
        if (!p->axes_off)
            draw_frame_ticks(cr, L, font);
        if (p->legend)
            draw_legend(cr, p, L, font);
    }
    draw_labels(cr, p, L, font);
    cairo_restore(cr);
    free(L);
}

static void render(const kmplot_figure *fig, cairo_t *cr)
{
    double font = fig->font_px, top = 0.0, cw, ch;
    cairo_font_options_t *fo = cairo_font_options_create();

    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
    cairo_paint(cr);
    if (fig->title != NULL) {
        top = 2.2 * font;
        set_font(cr, 1.3 * font);
        cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
        draw_text(cr, fig->title, fig->width / 2.0, 1.2 * font,
                  KMPLOT_ALIGN_CENTER);
    }
    cw = fig->width / (double)fig->cols;
    ch = (fig->height - top) / (double)fig->rows;
    for (int r = 0; r < fig->rows; r++) {
        for (int c = 0; c < fig->cols; c++) {
            box cell = {c * cw, top + r * ch, cw, ch};
            draw_panel(cr,
                       &fig->panels[(size_t)r * (size_t)fig->cols + (size_t)c],
                       font, cell);
        }
    }
}

/* ---- saving --------------------------------------------------------------
 */

typedef enum out_format { OUT_PNG, OUT_SVG, OUT_PDF } out_format;

static bool has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), m = strlen(ext);

    if (n <= m)
        return false;
    for (size_t i = 0; i < m; i++) {
        char c = path[n - m + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != ext[i])
            return false;
    }
    return true;
}

bool kmplot_format_known(const char *path)
{
    return path != NULL && (has_ext(path, ".png") || has_ext(path, ".svg") ||
                            has_ext(path, ".pdf"));
}

typedef struct stream_ctx {
    FILE *fp;
    int errno_;
} stream_ctx;

static cairo_status_t write_stream(void *closure, const unsigned char *data,
                                   unsigned int length)
{
    stream_ctx *s = closure;

    if (fwrite(data, 1, length, s->fp) != length) {
        if (s->errno_ == 0)
            s->errno_ = errno ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

int kmplot_save(kmplot_figure *fig, const char *path, kmio_error *err)
{
    kmio_atomic a;
    stream_ctx sc;
    cairo_surface_t *s;
    cairo_t *cr;
    cairo_status_t st;
    out_format fmt;

    if (path == NULL) {
        snprintf(err->msg, sizeof err->msg, "kmplot_save: no file name");
        return -1;
    }
    if (fig == NULL) {
        snprintf(err->msg, sizeof err->msg, "%s: no figure to write", path);
        return -1;
    }
    if (has_ext(path, ".png"))
        fmt = OUT_PNG;
    else if (has_ext(path, ".svg"))
        fmt = OUT_SVG;
    else if (has_ext(path, ".pdf"))
        fmt = OUT_PDF;
    else {
        snprintf(err->msg, sizeof err->msg,
                 "%s: unknown figure format (use .png, .svg or .pdf)", path);
        return -1;
    }
    if (fig->nomem) {
        snprintf(err->msg, sizeof err->msg,
                 "%s: out of memory while building the figure", path);
        return -1;
    }
    if (kmio_atomic_open(&a, path, err) != 0)
        return -1;
    sc.fp = a.fp;
    sc.errno_ = 0;
    if (fmt == OUT_PNG) {
        s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, fig->width,
                                       fig->height);
    } else if (fmt == OUT_SVG) {
        s = cairo_svg_surface_create_for_stream(write_stream, &sc, fig->width,
                                                fig->height);
        cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
    } else {
        s = cairo_pdf_surface_create_for_stream(write_stream, &sc, fig->width,
                                                fig->height);
    }
    cr = cairo_create(s);
    render(fig, cr);
    st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS) {
        if (fmt == OUT_PNG)
            st = cairo_surface_write_to_png_stream(s, write_stream, &sc);
        else
            cairo_surface_finish(s);
    }
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        if (sc.errno_ != 0)
            snprintf(err->msg, sizeof err->msg, "%s: cannot write: %s", path,
                     strerror(sc.errno_));
        else
            snprintf(err->msg, sizeof err->msg,
                     "%s: cannot draw the figure: %s", path,
                     cairo_status_to_string(st));
        kmio_atomic_abort(&a);
        return -1;
    }
    return kmio_atomic_commit(&a, err) == 0 ? 0 : -1;
}
