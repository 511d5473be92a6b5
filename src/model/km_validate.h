/*
 * km_validate.h - input checks shared by the fit and apply entry points.
 */
#ifndef KM_VALIDATE_H
#define KM_VALIDATE_H

#include <stddef.h>

/* KM_OK, or KM_ERR_NONFINITE if any of the n * d values is NaN or inf. */
int km_check_finite_f32(const float *X, size_t n, size_t d, int n_threads);
int km_check_finite_f64(const double *X, size_t n, size_t d, int n_threads);

/* KM_OK when w is NULL or every weight is finite and >= 0 and their sum is
   positive; KM_ERR_NONFINITE or KM_ERR_WEIGHTS otherwise. */
int km_check_weights_f32(const float *w, size_t n);
int km_check_weights_f64(const double *w, size_t n);

/* Threads to use for a requested count (0 = OpenMP's default). */
int km_thread_count(int requested);

#endif
