/*
 * kmc_labeled_data.c - labeled data: a label column split off a matrix,
 * labels checked to be integers, subsets, classes and accuracy.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmclassify.h"

static int fail(kmc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(kmc_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static double element(const kmio_matrix *m, size_t i)
{
    return m->dtype == KM_FLOAT32 ? (double)((const float *)m->data)[i]
                                  : ((const double *)m->data)[i];
}

/* A label must be an integer that int32 holds: class names in CSV files are
   numbers such as 0..9 or -1/+1, and a fractional value means the wrong
   column was taken for the labels. */
static int to_label(double v, const char *name, size_t row, size_t col,
                    int32_t *out, kmc_error *err)
{
    if (!(v == floor(v)) || v < (double)INT32_MIN || v > (double)INT32_MAX) {
        char text[40];
        snprintf(text, sizeof text, "%.17g", v);
        if (col > 0)
            return fail(err,
                        "%s: row %zu: label %s in column %zu is not an "
                        "integer (labels are integer class numbers; is "
                        "--label-column right?)",
                        name, row + 1, text, col);
        return fail(err,
                    "%s: row %zu: label %s is not an integer (labels are "
                    "integer class numbers)",
                    name, row + 1, text);
    }
    *out = (int32_t)v;
    return 0;
}

int kmc_data_from_matrix(const kmio_matrix *m, int label_column,
                         const char *name, kmc_data *out, kmc_error *err)
{
    size_t col, d;

    memset(out, 0, sizeof *out);
    if (m->n == 0 || m->d == 0)
        return fail(err, "%s: no data", name);
    if (label_column == KMC_LABEL_NONE) {
        col = 0;
        d = m->d;
    } else {
        if (label_column == KMC_LABEL_LAST)
            col = m->d;
        else if (label_column < 1 || (size_t)label_column > m->d)
            return fail(err,
                        "%s: label column %d is out of range (the file has "
                        "%zu column%s)",
                        name, label_column, m->d, m->d == 1 ? "" : "s");
        else
            col = (size_t)label_column;
        if (m->d < 2)
            return fail(err,
                        "%s: has one column, the labels, and no features "
                        "(give the labels in a separate file or "
                        "--label-column none)",
                        name);
        d = m->d - 1;
    }
    out->n = m->n;
    out->d = d;
    out->X = malloc(m->n * d * sizeof *out->X);
    if (col > 0)
        out->y = malloc(m->n * sizeof *out->y);
    if (out->X == NULL || (col > 0 && out->y == NULL)) {
        kmc_data_free(out);
        return fail(err, "%s: out of memory for %zu x %zu values", name, m->n,
                    m->d);
    }
    for (size_t i = 0; i < m->n; i++) {
        double *row = out->X + i * d;
        size_t f = 0;
        for (size_t j = 0; j < m->d; j++) {
            double v = element(m, i * m->d + j);
            if (j + 1 == col) {
                if (to_label(v, name, i, col, &out->y[i], err) != 0) {
                    kmc_data_free(out);
                    return -1;
                }
            } else {
                row[f++] = v;
            }
        }
    }
    return 0;
}

int kmc_labels_from_matrix(const kmio_matrix *m, size_t n, const char *name,
                           int32_t **y, kmc_error *err)
{
    *y = NULL;
    if (m->d != 1)
        return fail(err,
                    "%s: labels file has %zu columns; expected one label "
                    "per row (one column or a 1-D .npy)",
                    name, m->d);
    if (m->n != n)
        return fail(err, "%s: has %zu labels, expected %zu (one per row)", name,
                    m->n, n);
    *y = malloc((n ? n : 1) * sizeof **y);
    if (*y == NULL)
        return fail(err, "%s: out of memory", name);
    for (size_t i = 0; i < n; i++) {
        if (to_label(element(m, i), name, i, 0, &(*y)[i], err) != 0) {
            free(*y);
            *y = NULL;
            return -1;
        }
    }
    return 0;
}

int kmc_data_subset(const kmc_data *src, const size_t *idx, size_t m,
                    kmc_data *out, kmc_error *err)
{
    memset(out, 0, sizeof *out);
    out->n = m;
    out->d = src->d;
    out->X = malloc((m ? m : 1) * src->d * sizeof *out->X);
    if (src->y != NULL)
        out->y = malloc((m ? m : 1) * sizeof *out->y);
    if (out->X == NULL || (src->y != NULL && out->y == NULL)) {
        kmc_data_free(out);
        return fail(err, "out of memory for %zu rows", m);
    }
    for (size_t i = 0; i < m; i++) {
        memcpy(out->X + i * src->d, src->X + idx[i] * src->d,
               src->d * sizeof *out->X);
        if (src->y != NULL)
            out->y[i] = src->y[idx[i]];
    }
    return 0;
}

void kmc_data_free(kmc_data *data)
{
    if (data == NULL)
        return;
    free(data->X);
    free(data->y);
    memset(data, 0, sizeof *data);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

size_t kmc_classes(const int32_t *y, size_t n, int32_t **sorted)
{
    int32_t *v = malloc((n ? n : 1) * sizeof *v);
    size_t m = 0;

    if (sorted != NULL)
        *sorted = NULL;
    if (v == NULL)
        return 0;
    if (n > 0)
        memcpy(v, y, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_i32);
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    }
    if (sorted != NULL)
        *sorted = v;
    else
        free(v);
    return m;
}

double kmc_accuracy(const int32_t *y, const int32_t *pred, size_t n)
{
    size_t ok = 0;

    if (n == 0)
        return 0.0;
    for (size_t i = 0; i < n; i++)
        ok += y[i] == pred[i];
    return (double)ok / (double)n;
}
