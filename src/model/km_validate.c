/*
 * km_validate.c - input checks shared by the fit and apply entry points.
 */
#include <math.h>

#include <omp.h>

#include "kmeans.h"
#include "model/km_validate.h"

int km_thread_count(int requested)
{
    return requested > 0 ? requested : omp_get_max_threads();
}

#define REAL     float
#define FN(name) name##_f32
#include "model/km_validate_impl.h"
#undef REAL
#undef FN

#define REAL     double
#define FN(name) name##_f64
#include "model/km_validate_impl.h"
#undef REAL
#undef FN
