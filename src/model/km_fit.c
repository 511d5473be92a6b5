/*
 * km_fit.c - instantiates the fit driver for float and double.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/km_algo.h"
#include "common/km_common.h"
#include "common/km_rng.h"
#include "model/km_model_internal.h"
#include "model/km_validate.h"

#define REAL        float
#define FN(name)    name##_f32
#define MODEL_DTYPE KM_FLOAT32
#define CENTERS     centers32
#include "model/km_fit_impl.h"
#undef REAL
#undef FN
#undef MODEL_DTYPE
#undef CENTERS

#define REAL        double
#define FN(name)    name##_f64
#define MODEL_DTYPE KM_FLOAT64
#define CENTERS     centers64
#include "model/km_fit_impl.h"
#undef REAL
#undef FN
#undef MODEL_DTYPE
#undef CENTERS
