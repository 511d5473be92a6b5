/*
 * test_plot.c - the plotting layer (programs/plot/kmplot.h): every kind of
 * item drawn into PNG, SVG and PDF of the requested size, not blank, an
 * image panel scaled with crisp nearest-neighbour pixels, and the errors
 * (bad sizes, unknown extensions, unwritable paths leave no file).  Files
 * go to a fresh directory under $KM_TEST_TMP (or /tmp).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>

#include "kmplot.h"

static char g_dir[4096];

static int setup_dir(void **state)
{
    const char *base = getenv("KM_TEST_TMP");

    (void)state;
    if (base == NULL || *base == '\0')
        base = "/tmp";
    snprintf(g_dir, sizeof g_dir, "%s/test_plot.XXXXXX", base);
    return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    DIR *dir = opendir(g_dir);
    const struct dirent *ent;

    (void)state;
    if (dir == NULL)
        return 0;
    while ((ent = readdir(dir)) != NULL) {
        char path[8192];
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", g_dir, ent->d_name);
        unlink(path);
    }
    closedir(dir);
    rmdir(g_dir);
    return 0;
}

static const char *path_of(const char *name)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
}

static size_t count_files(void)
{
    DIR *dir = opendir(g_dir);
    const struct dirent *ent;
    size_t n = 0;

    assert_non_null(dir);
    while ((ent = readdir(dir)) != NULL)
        n += ent->d_name[0] != '.';
    closedir(dir);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long size;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)size + 1);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    buf[size] = '\0';
    fclose(fp);
    *len = (size_t)size;
    return buf;
}

/* A figure with every kind of item. */
static kmplot_figure *busy_figure(int w, int h)
{
    static const double x[6] = {1, 2, 3, 4, 5, 6};
    static const double y[6] = {10, 5, 3, 2.5, 2.2, 2.0};
    static const double ends[5] = {0.1, 0.3, 0.5, -0.2, 0.8};
    static const uint8_t img[2 * 2 * 3] = {255, 0, 0,   0,   255, 0,
                                           0,   0, 255, 255, 255, 0};
    kmplot_color colors[6];
    kmplot_figure *fig = kmplot_figure_new(w, h, 2, 2);
    kmplot_panel *p = kmplot_panel_at(fig, 0, 0);
    kmplot_style st = kmplot_style_default(0);
    const double tv[2] = {0.5, 3.5};
    const char *tl[2] = {"zero", NULL};

    assert_non_null(fig);
    kmplot_figure_title(fig, "Every item");
    st.marker = KMPLOT_MARKER_CIRCLE;
    st.label = "series";
    kmplot_series(p, x, y, 6, &st);
    kmplot_vline(p, 3.0, KMPLOT_RED, 1.5, KMPLOT_DASHED, "vline");
    kmplot_hline(p, 4.0, KMPLOT_GRAY, 1.0, KMPLOT_DOTTED, NULL);
    kmplot_annotate(p, 4.0, 2.5, "Elbow", 40.0, -40.0, KMPLOT_BLACK);
    kmplot_text(p, 5.0, 8.0, "text", KMPLOT_ALIGN_CENTER, KMPLOT_BLACK);
    kmplot_title(p, "series");
    kmplot_xlabel(p, "k");
    kmplot_ylabel(p, "inertia");
    kmplot_grid(p, true);
    kmplot_integer_ticks(p, true, false);
    kmplot_legend(p, KMPLOT_UPPER_RIGHT);

    p = kmplot_panel_at(fig, 0, 1);
    for (int i = 0; i < 6; i++)
        colors[i] = kmplot_tab10(i);
    kmplot_scatter(p, x, y, colors, 6, KMPLOT_MARKER_STAR, 9.0, "points");
    kmplot_equal_aspect(p, true);
    kmplot_legend(p, KMPLOT_LOWER_LEFT);

    p = kmplot_panel_at(fig, 1, 0);
    kmplot_hbars(p, 0.0, 1.0, ends, 5, 0.0, kmplot_spectral(0.3), "bars");
    kmplot_rect(p, 0.5, 6.0, 0.9, 7.0, kmplot_alpha(kmplot_tab20(3), 0.5));
    kmplot_yticks(p, tv, tl, 2);
    kmplot_xlim(p, -0.5, 1.0);

    p = kmplot_panel_at(fig, 1, 1);
    kmplot_image(p, img, 2, 2, 3, 0);
    kmplot_title(p, "image");
    kmplot_xlabel(p, "caption");
    return fig;
}

static void test_png_size_and_content(void **state)
{
    kmplot_figure *fig = busy_figure(640, 480);
    kmio_error err;
    cairo_surface_t *s;
    const unsigned char *px;
    int stride, nonwhite = 0;

    (void)state;
    assert_int_equal(kmplot_save(fig, path_of("busy.png"), &err), 0);
    kmplot_figure_free(fig);
    s = cairo_image_surface_create_from_png(path_of("busy.png"));
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(s), 640);
    assert_int_equal(cairo_image_surface_get_height(s), 480);
    px = cairo_image_surface_get_data(s);
    stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < 480; y++) {
        for (int x = 0; x < 640; x++) {
            uint32_t v;
            memcpy(&v, px + y * stride + x * 4, 4);
            nonwhite += (v & 0xffffffu) != 0xffffffu;
        }
    }
    /* Not blank, not a solid fill. */
    assert_true(nonwhite > 640 * 480 / 50);
    assert_true(nonwhite < 640 * 480 / 2);
    cairo_surface_destroy(s);
}

static void test_svg_and_pdf(void **state)
{
    kmplot_figure *fig = busy_figure(500, 300);
    kmio_error err;
    size_t len;
    char *text;

    (void)state;
    assert_int_equal(kmplot_save(fig, path_of("busy.svg"), &err), 0);
    assert_int_equal(kmplot_save(fig, path_of("busy.PDF"), &err), 0);
    kmplot_figure_free(fig);
    text = slurp(path_of("busy.svg"), &len);
    assert_non_null(strstr(text, "<svg"));
    assert_non_null(strstr(text, "width=\"500px\""));
    assert_non_null(strstr(text, "height=\"300px\""));
    assert_non_null(strstr(text, "<path"));
    assert_non_null(strstr(text, "</svg>"));
    free(text);
    text = slurp(path_of("busy.PDF"), &len);
    assert_true(len > 1000);
    assert_memory_equal(text, "%PDF-", 5);
    free(text);
}

/* A 2 x 2 image in a square panel: scaled up with nearest-neighbour, each
   quadrant is its pixel's exact color. */
static void test_image_nearest(void **state)
{
    static const uint8_t img[2 * 2 * 3] = {255, 0, 0,   0,   255, 0,
                                           0,   0, 255, 255, 255, 0};
    static const uint32_t want[4] = {0xff0000u, 0x00ff00u, 0x0000ffu,
                                     0xffff00u};
    kmplot_figure *fig = kmplot_figure_new(200, 200, 1, 1);
    kmio_error err;
    cairo_surface_t *s;
    const unsigned char *px;
    int stride;

    (void)state;
    kmplot_image(kmplot_panel_at(fig, 0, 0), img, 2, 2, 3, 0);
    assert_int_equal(kmplot_save(fig, path_of("image.png"), &err), 0);
    kmplot_figure_free(fig);
    s = cairo_image_surface_create_from_png(path_of("image.png"));
    px = cairo_image_surface_get_data(s);
    stride = cairo_image_surface_get_stride(s);
    for (int q = 0; q < 4; q++) {
        int cx = 100 + (q % 2 ? 40 : -40), cy = 100 + (q / 2 ? 40 : -40);
        uint32_t v;
        memcpy(&v, px + cy * stride + cx * 4, 4);
        assert_int_equal(v & 0xffffffu, want[q]);
    }
    cairo_surface_destroy(s);
}

static void test_errors(void **state)
{
    kmplot_figure *fig;
    kmio_error err;

    (void)state;
    assert_null(kmplot_figure_new(8, 100, 1, 1));
    assert_null(kmplot_figure_new(100, 100, 0, 1));
    assert_null(kmplot_figure_new(100, 100, 1, 65));
    assert_null(kmplot_panel_at(NULL, 0, 0));
    kmplot_figure_free(NULL);

    fig = kmplot_figure_new(100, 100, 1, 2);
    assert_null(kmplot_panel_at(fig, 0, 2));
    assert_null(kmplot_panel_at(fig, 1, 0));
    assert_false(kmplot_format_known("plot.jpg"));
    assert_true(kmplot_format_known("plot.Svg"));
    assert_int_equal(kmplot_save(fig, path_of("plot.jpg"), &err), -1);
    assert_non_null(strstr(err.msg, "plot.jpg"));
    assert_int_equal(kmplot_save(fig, "/nonexistent-dir-kmplot/plot.png", &err),
                     -1);
    assert_non_null(strstr(err.msg, "/nonexistent-dir-kmplot/plot.png"));
    kmplot_figure_free(fig);
}

/* A failed save leaves no file and keeps an existing one. */
static void test_atomic(void **state)
{
    kmplot_figure *fig = busy_figure(300, 200);
    kmio_error err;
    size_t before, len;
    char *text;

    (void)state;
    assert_int_equal(kmplot_save(fig, path_of("keep.svg"), &err), 0);
    before = count_files();
    assert_int_equal(kmplot_save(fig, path_of("keep.bmp"), &err), -1);
    assert_int_equal(count_files(), before);
    kmplot_figure_free(fig);
    fig = kmplot_figure_new(320, 200, 1, 1);
    assert_int_equal(kmplot_save(fig, path_of("keep.svg"), &err), 0);
    kmplot_figure_free(fig);
    text = slurp(path_of("keep.svg"), &len);
    assert_non_null(strstr(text, "width=\"320px\""));
    free(text);
    assert_int_equal(count_files(), before);
}

static void test_colormaps(void **state)
{
    kmplot_color a = kmplot_tab10(0), b = kmplot_tab10(10);
    kmplot_color c = kmplot_tab10(-1), d = kmplot_tab10(9);
    kmplot_color lo = kmplot_spectral(-1.0), hi = kmplot_spectral(2.0);

    (void)state;
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_equal(&c, &d, sizeof c);
    assert_true(lo.b > lo.r && hi.r > hi.b); /* purple to red */
    for (int i = 0; i < 20; i++) {
        kmplot_color t = kmplot_tab20(i);
        assert_true(t.a == 1.0 && t.r >= 0.0 && t.r <= 1.0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_size_and_content),
        cmocka_unit_test(test_svg_and_pdf),
        cmocka_unit_test(test_image_nearest),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_atomic),
        cmocka_unit_test(test_colormaps),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
