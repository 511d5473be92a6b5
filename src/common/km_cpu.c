/*
 * km_cpu.c - what the CPU can run, for the kernels chosen at run time.
 */
#include "common/km_common.h"

int km_cpu_has_avx2(int fma)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx2") &&
           (!fma || __builtin_cpu_supports("fma"));
#else
    (void)fma;
    return 0;
#endif
}
