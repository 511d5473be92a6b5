/*
 * km_init.c - instantiates the initializations for float and double.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "algo/km_algo.h"
#include "common/km_common.h"

#define REAL     float
#define FN(name) name##_f32
#include "algo/km_init_impl.h"
#undef REAL
#undef FN

#define REAL     double
#define FN(name) name##_f64
#include "algo/km_init_impl.h"
#undef REAL
#undef FN
