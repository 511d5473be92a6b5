/*
 * km_x512_emu.c - the AVX-512 kernels compiled once more for
 * test_kernels_x512, against SIMDe's portable AVX-512 (names *_x512emu_*),
 * so that their logic is tested on a CPU without AVX-512.
 */
#define KM_X512_EMULATE 1
#include "kernels/km_kernels_avx512.c"
