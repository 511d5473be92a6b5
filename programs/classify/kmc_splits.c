/*
 * kmc_splits.c - seeded permutations, the train/test shuffle split and
 * stratified k-fold, as scikit-learn's train_test_split and
 * StratifiedKFold(shuffle=False) define them.
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

/* SplitMix64: a 64-bit counter passed through a bijective mixer; every
   seed gives a full-period stream of well-mixed outputs. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound): outputs below 2^64 mod bound are rejected so that
   every residue is equally likely. */
static uint64_t bounded(uint64_t *state, uint64_t bound)
{
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t r = splitmix64(state);
        if (r >= threshold)
            return r % bound;
    }
}

void kmc_permutation(size_t n, uint64_t seed, size_t *perm)
{
    uint64_t state = seed;

    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)bounded(&state, (uint64_t)i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

int kmc_train_test_split(size_t n, double test_size, uint64_t seed,
                         size_t *train_idx, size_t *n_train, size_t *test_idx,
                         size_t *n_test, kmc_error *err)
{
    size_t *perm, nt;

    if (!(test_size > 0.0) || !isfinite(test_size))
        return fail(err, "test size must be a fraction in (0, 1) or a row "
                         "count of at least 1");
    if (test_size < 1.0) {
        nt = (size_t)ceil(test_size * (double)n);
    } else {
        if (test_size != floor(test_size))
            return fail(err,
                        "test size %g is neither a fraction in (0, 1) "
                        "nor a whole number of rows",
                        test_size);
        if (test_size >= (double)n)
            return fail(err,
                        "test size %g leaves no training rows (the data has "
                        "%zu rows)",
                        test_size, n);
        nt = (size_t)test_size;
    }
    if (nt == 0 || nt >= n)
        return fail(err,
                    "a test fraction of %g of %zu rows leaves one part empty",
                    test_size, n);
    perm = malloc(n * sizeof *perm);
    if (perm == NULL)
        return fail(err, "out of memory for %zu rows", n);
    kmc_permutation(n, seed, perm);
    memcpy(test_idx, perm, nt * sizeof *perm);
    memcpy(train_idx, perm + nt, (n - nt) * sizeof *perm);
    *n_test = nt;
    *n_train = n - nt;
    free(perm);
    return 0;
}

int kmc_stratified_folds(const int32_t *y, size_t n, int n_folds, int *fold,
                         size_t *min_class, kmc_error *err)
{
    int32_t *classes = NULL;
    size_t n_classes, *code = NULL, *order = NULL, *count = NULL, *alloc = NULL,
                      *next = NULL, *used = NULL;
    size_t F = (size_t)n_folds, smallest = SIZE_MAX, start;
    int rc = -1;

    if (n_folds < 2)
        return fail(err, "cross-validation needs at least 2 folds, not %d",
                    n_folds);
    if (F > n)
        return fail(err, "%d folds need at least %d rows; there are %zu",
                    n_folds, n_folds, n);
    n_classes = kmc_classes(y, n, &classes);
    if (n_classes == 0)
        return fail(err, "out of memory for %zu labels", n);
    code = malloc(n * sizeof *code);
    order = malloc(n_classes * sizeof *order);
    count = calloc(n_classes, sizeof *count);
    alloc = calloc(F * n_classes, sizeof *alloc);
    next = calloc(n_classes, sizeof *next);
    used = calloc(n_classes, sizeof *used);
    if (!code || !order || !count || !alloc || !next || !used) {
        fail(err, "out of memory for %zu labels", n);
        goto done;
    }

    /* Classes are numbered in order of first appearance, as scikit-learn
       does, so that the round-robin allocation matches its folds. */
    for (size_t c = 0; c < n_classes; c++)
        order[c] = SIZE_MAX;
    {
        size_t seen = 0;
        for (size_t i = 0; i < n; i++) {
            size_t lo = 0, hi = n_classes;
            while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (classes[mid] <= y[i])
                    lo = mid;
                else
                    hi = mid;
            }
            if (order[lo] == SIZE_MAX)
                order[lo] = seen++;
            code[i] = order[lo];
            count[code[i]]++;
        }
    }
    for (size_t c = 0; c < n_classes; c++) {
        if (count[c] < smallest)
            smallest = count[c];
    }
    if (smallest < F) {
        bool any = false;
        for (size_t c = 0; c < n_classes; c++)
            any = any || count[c] >= F;
        if (!any) {
            fail(err,
                 "%d folds: no class has %d members (the largest class is "
                 "too small to stratify)",
                 n_folds, n_folds);
            goto done;
        }
    }

    /* Deal the rows, sorted by class code, round-robin to the folds: fold
       f receives alloc[f][c] rows of class c.  Each class's rows are then
       given their folds in contiguous runs, in row order. */
    start = 0;
    for (size_t c = 0; c < n_classes; c++) {
        for (size_t p = start; p < start + count[c]; p++)
            alloc[(p % F) * n_classes + c]++;
        start += count[c];
    }
    for (size_t i = 0; i < n; i++) {
        size_t c = code[i];
        while (used[c] >= alloc[next[c] * n_classes + c]) {
            used[c] = 0;
            next[c]++;
        }
        fold[i] = (int)next[c];
        used[c]++;
    }
    if (min_class != NULL)
        *min_class = smallest;
    rc = 0;

done:
    free(classes);
    free(code);
    free(order);
    free(count);
    free(alloc);
    free(next);
    free(used);
    return rc;
}
