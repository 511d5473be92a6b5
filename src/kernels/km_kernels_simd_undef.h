/*
 * km_kernels_simd_undef.h - ends one instantiation of the SIMD templates
 * (km_kernels_simd_impl.h, km_kernels_rows_impl.h): undefines the macros
 * the including file set for it.
 */
#undef REAL
#undef FN
#undef LANES
#undef V
#undef M
#undef V_SET1
#undef V_SUB
#undef V_MUL
#undef V_ADD
#undef V_CMPLT
#undef V_BLEND
#undef V_STORE
#undef V_LOADU
#undef V_MIN
#undef V_MAX
#undef V_FMADD
#undef V_FNMADD
#undef V_LEBITS
