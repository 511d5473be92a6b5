/*
 * km_apply.c - instantiates predict, transform and score for float and
 * double.
 */
#include <math.h>
#include <stdlib.h>

#include "algo/km_algo.h"
#include "common/km_common.h"
#include "model/km_model_internal.h"
#include "model/km_validate.h"

#define REAL     float
#define FN(name) name##_f32
#define CENTERS  centers32
#include "model/km_apply_impl.h"
#undef REAL
#undef FN
#undef CENTERS

#define REAL     double
#define FN(name) name##_f64
#define CENTERS  centers64
#include "model/km_apply_impl.h"
#undef REAL
#undef FN
#undef CENTERS
