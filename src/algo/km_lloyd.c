/*
 * km_lloyd.c - instantiates Lloyd's algorithm for float and double.
 */
#include <string.h>

#include "algo/km_algo.h"
#include "common/km_common.h"

#define REAL     float
#define FN(name) name##_f32
#include "algo/km_lloyd_impl.h"
#undef REAL
#undef FN

#define REAL     double
#define FN(name) name##_f64
#include "algo/km_lloyd_impl.h"
#undef REAL
#undef FN
