/*
 * km_model_io.c - the model file: km_model_save/load and their in-memory
 * forms.  The byte layout is specified in docs/model-format.md; this file
 * is one implementation of it.
 *
 * Every multi-byte value is written and read byte by byte in little-endian
 * order, so the file is the same on every host.  Loading validates the
 * structure (magic, version, checksum, sections) before it interprets any
 * field, and validates every field and every size against the bytes
 * actually present before it allocates anything.
 */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common/km_common.h"
#include "model/km_model_internal.h"

/* Floats are stored as their IEEE 754 binary32/binary64 bit patterns. */
_Static_assert(sizeof(float) == 4 && FLT_MANT_DIG == 24 && FLT_RADIX == 2,
               "float must be IEEE 754 binary32");
_Static_assert(sizeof(double) == 8 && DBL_MANT_DIG == 53,
               "double must be IEEE 754 binary64");

/* ---- layout (docs/model-format.md) ---- */

#define KMF_MAGIC      "KMEANSMD"
#define KMF_MAGIC_LEN  8
#define KMF_VERSION    1u
#define KMF_HEADER_LEN 16 /* magic, u32 version, u32 flags */
#define KMF_SECHDR_LEN 12 /* u32 tag, u64 payload length */
#define KMF_CRC_LEN    4
#define KMF_PARM_LEN   40
#define KMF_FITR_LEN   44
#define KMF_MBCT_FIXED 84 /* mbct: fixed part before the k counts */

/* Smallest possible file: header, the three required sections with their
   fixed parts, END and the CRC (CENT payload excluded). */
#define KMF_FIXED_LEN                                                          \
    (KMF_HEADER_LEN + 4 * KMF_SECHDR_LEN + KMF_PARM_LEN + KMF_FITR_LEN +       \
     KMF_CRC_LEN)

#define KMF_KNOWN_FLAGS (KM_FLAG_CONVERGED | KM_FLAG_FEWER_CLUSTERS)

/* ---- CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value
   and final xor 0xFFFFFFFF: the same value as zlib's crc32()) ---- */

static const uint32_t km_crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u,
    0x706af48fu, 0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u,
    0xe0d5e91eu, 0x97d2d988u, 0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u,
    0x90bf1d91u, 0x1db71064u, 0x6ab020f2u, 0xf3b97148u, 0x84be41deu,
    0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u, 0x136c9856u,
    0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u,
    0xa2677172u, 0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu,
    0x35b5a8fau, 0x42b2986cu, 0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u,
    0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u, 0x26d930acu, 0x51de003au,
    0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u, 0xcfba9599u,
    0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u,
    0x01db7106u, 0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu,
    0x9fbfe4a5u, 0xe8b8d433u, 0x7807c9a2u, 0x0f00f934u, 0x9609a88eu,
    0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du, 0x91646c97u, 0xe6635c01u,
    0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu, 0x6c0695edu,
    0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u,
    0xfbd44c65u, 0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u,
    0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au,
    0x346ed9fcu, 0xad678846u, 0xda60b8d0u, 0x44042d73u, 0x33031de5u,
    0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau, 0xbe0b1010u,
    0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u,
    0x2eb40d81u, 0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u,
    0x03b6e20cu, 0x74b1d29au, 0xead54739u, 0x9dd277afu, 0x04db2615u,
    0x73dc1683u, 0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u,
    0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u, 0xf00f9344u,
    0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au,
    0x67dd4accu, 0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u,
    0xd6d6a3e8u, 0xa1d1937eu, 0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u,
    0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu, 0xd80d2bdau, 0xaf0a1b4cu,
    0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u, 0x316e8eefu,
    0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu,
    0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u,
    0x2cd99e8bu, 0x5bdeae1du, 0x9b64c2b0u, 0xec63f226u, 0x756aa39cu,
    0x026d930au, 0x9c0906a9u, 0xeb0e363fu, 0x72076785u, 0x05005713u,
    0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u, 0x92d28e9bu,
    0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u,
    0x18b74777u, 0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu,
    0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u, 0xa00ae278u,
    0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u, 0xa7672661u, 0xd06016f7u,
    0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu, 0x40df0b66u,
    0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u,
    0xcdd70693u, 0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u,
    0x5d681b02u, 0x2a6f2b94u, 0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu,
    0x2d02ef8du};

static uint32_t km_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    for (size_t i = 0; i < n; i++)
        c = km_crc_table[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---- little-endian encoding ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_i32(unsigned char *p, int32_t v)
{
    put_u32(p, (uint32_t)v); /* two's complement bits */
}

static void put_f32(unsigned char *p, float v)
{
    uint32_t bits;

    memcpy(&bits, &v, sizeof bits);
    put_u32(p, bits);
}

static void put_f64(unsigned char *p, double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    put_u64(p, bits);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int32_t get_i32(const unsigned char *p)
{
    uint32_t u = get_u32(p);

    /* Two's complement without implementation-defined conversions. */
    if (u <= (uint32_t)INT32_MAX)
        return (int32_t)u;
    return -(int32_t)(~u) - 1;
}

static float get_f32(const unsigned char *p)
{
    uint32_t bits = get_u32(p);
    float v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

static double get_f64(const unsigned char *p)
{
    uint64_t bits = get_u64(p);
    double v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

/* ---- field validation, shared by save (KM_ERR_ARG) and load
   (KM_ERR_CORRUPT) so that whatever saves also loads ---- */

static int params_valid(const km_params *p)
{
    return p->n_clusters >= 1 &&
           (p->init == KM_INIT_KMEANSPP || p->init == KM_INIT_RANDOM ||
            p->init == KM_INIT_ARRAY || p->init == KM_INIT_KMEANS_PARALLEL) &&
           p->n_init >= 0 && p->max_iter >= 1 && isfinite(p->tol) &&
           p->tol >= 0.0 && p->algorithm >= KM_ALGO_AUTO &&
           p->algorithm <= KM_ALGO_YINYANG && p->n_threads >= 0;
}

/* The FITR fields as they are in the file (all widths of the format). */
typedef struct kmf_fit {
    uint32_t dtype;
    uint64_t k;
    uint64_t d;
    uint64_t n_samples;
    double inertia;
    int32_t n_iter;
    uint32_t flags;
} kmf_fit;

static size_t dtype_size(uint32_t dtype)
{
    return dtype == (uint32_t)KM_FLOAT32 ? sizeof(float) : sizeof(double);
}

/* Validates the fit fields and computes the byte length of the centers
   (k * d * element size) in *cent_len.  Returns 0 when invalid. */
static int fit_valid(const kmf_fit *f, uint64_t *cent_len)
{
    uint64_t kd;

    if (f->dtype != (uint32_t)KM_FLOAT32 && f->dtype != (uint32_t)KM_FLOAT64)
        return 0;
    if (f->k < 1 || f->k > (uint64_t)INT32_MAX || f->d < 1)
        return 0;
    if (__builtin_mul_overflow(f->k, f->d, &kd) ||
        __builtin_mul_overflow(kd, (uint64_t)dtype_size(f->dtype), cent_len))
        return 0;
    /* The model holds k * d elements in both precisions: kd must be
       addressable in bytes as double. */
    if (kd > (uint64_t)(SIZE_MAX / sizeof(double)) ||
        f->d > (uint64_t)SIZE_MAX || f->n_samples > (uint64_t)SIZE_MAX)
        return 0;
    if (f->n_samples != 0 && f->n_samples < f->k)
        return 0;
    if (!isfinite(f->inertia) || f->inertia < 0.0)
        return 0;
    if (f->n_iter < 0 || (f->flags & ~(uint32_t)KMF_KNOWN_FLAGS) != 0)
        return 0;
    return 1;
}

static int centers_finite32(const float *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(c[i]))
            return 0;
    return 1;
}

static int centers_finite64(const double *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(c[i]))
            return 0;
    return 1;
}

/* The mini-batch state (section "mbct"): counts finite and >= 0, the
   parameters in their ranges, a generator state that is not all zero
   (xoshiro256** would then output only zeros). */
static int mb_state_valid(const km_mb_state *mb, const double *counts, size_t k)
{
    if (mb->n_steps < 0 || mb->n_since_reassign < 0 || mb->batch_size_eff < 1 ||
        mb->batch_size < 1 || !isfinite(mb->reassignment_ratio) ||
        mb->reassignment_ratio < 0.0 || mb->max_no_improvement < 0 ||
        mb->init_size < 0 ||
        (mb->compute_labels != 0 && mb->compute_labels != 1) ||
        (mb->rng[0] | mb->rng[1] | mb->rng[2] | mb->rng[3]) == 0)
        return 0;
    for (size_t j = 0; j < k; j++)
        if (!isfinite(counts[j]) || counts[j] < 0.0)
            return 0;
    return 1;
}

/* ---- save ---- */

static unsigned char *put_section(unsigned char *p, const char tag[4],
                                  uint64_t len)
{
    memcpy(p, tag, 4);
    put_u64(p + 4, len);
    return p + KMF_SECHDR_LEN;
}

int km_model_save_mem(const km_model *model, void **buf, size_t *size)
{
    kmf_fit f;
    uint64_t cent_len, mbct_len = 0;
    size_t kd, total;
    unsigned char *out, *p;
    const km_params *prm;

    if (model == NULL || buf == NULL || size == NULL)
        return KM_ERR_ARG;
    *buf = NULL;
    *size = 0;

    prm = &model->params;
    f.dtype = (uint32_t)model->dtype;
    f.k = model->k < 1 ? 0 : (uint64_t)model->k;
    f.d = (uint64_t)model->d;
    f.n_samples = (uint64_t)model->n_samples;
    f.inertia = model->inertia;
    f.n_iter = (int32_t)model->n_iter;
    f.flags = (uint32_t)model->flags;
    if (!params_valid(prm) || !fit_valid(&f, &cent_len))
        return KM_ERR_ARG;
    kd = (size_t)f.k * model->d; /* fit_valid checked the product */
    if (model->dtype == KM_FLOAT32 ? !centers_finite32(model->centers32, kd)
                                   : !centers_finite64(model->centers64, kd))
        return KM_ERR_ARG;
    if (model->counts != NULL) {
        if (!mb_state_valid(&model->mb, model->counts, kd / model->d))
            return KM_ERR_ARG;
        mbct_len = KMF_MBCT_FIXED + 8 * (uint64_t)f.k;
    }
    if (cent_len > (uint64_t)(SIZE_MAX - KMF_FIXED_LEN) ||
        mbct_len >
            (uint64_t)(SIZE_MAX - KMF_FIXED_LEN - KMF_SECHDR_LEN) - cent_len)
        return KM_ERR_NOMEM;
    total = KMF_FIXED_LEN + (size_t)cent_len +
            (model->counts != NULL ? KMF_SECHDR_LEN + (size_t)mbct_len : 0);
    out = malloc(total);
    if (out == NULL)
        return KM_ERR_NOMEM;

    p = out;
    memcpy(p, KMF_MAGIC, KMF_MAGIC_LEN);
    put_u32(p + 8, KMF_VERSION);
    put_u32(p + 12, 0u);
    p += KMF_HEADER_LEN;

    p = put_section(p, "PARM", KMF_PARM_LEN);
    put_i32(p + 0, (int32_t)prm->n_clusters);
    put_i32(p + 4, (int32_t)prm->init);
    put_i32(p + 8, (int32_t)prm->n_init);
    put_i32(p + 12, (int32_t)prm->max_iter);
    put_f64(p + 16, prm->tol);
    put_i32(p + 24, (int32_t)prm->algorithm);
    put_u64(p + 28, prm->seed);
    put_i32(p + 36, (int32_t)prm->n_threads);
    p += KMF_PARM_LEN;

    p = put_section(p, "FITR", KMF_FITR_LEN);
    put_u32(p + 0, f.dtype);
    put_u64(p + 4, f.k);
    put_u64(p + 12, f.d);
    put_u64(p + 20, f.n_samples);
    put_f64(p + 28, f.inertia);
    put_i32(p + 36, f.n_iter);
    put_u32(p + 40, f.flags);
    p += KMF_FITR_LEN;

    p = put_section(p, "CENT", cent_len);
    if (model->dtype == KM_FLOAT32) {
        for (size_t i = 0; i < kd; i++, p += 4)
            put_f32(p, model->centers32[i]);
    } else {
        for (size_t i = 0; i < kd; i++, p += 8)
            put_f64(p, model->centers64[i]);
    }

    if (model->counts != NULL) {
        const km_mb_state *mb = &model->mb;

        p = put_section(p, "mbct", mbct_len);
        put_u64(p + 0, (uint64_t)mb->n_steps);
        put_u64(p + 8, (uint64_t)mb->n_since_reassign);
        put_u64(p + 16, (uint64_t)mb->batch_size_eff);
        put_i32(p + 24, (int32_t)mb->batch_size);
        put_f64(p + 28, mb->reassignment_ratio);
        put_i32(p + 36, (int32_t)mb->max_no_improvement);
        put_u64(p + 40, (uint64_t)mb->init_size);
        put_i32(p + 48, (int32_t)mb->compute_labels);
        for (int i = 0; i < 4; i++)
            put_u64(p + 52 + 8 * i, mb->rng[i]);
        p += KMF_MBCT_FIXED;
        for (size_t j = 0; j < (size_t)f.k; j++, p += 8)
            put_f64(p, model->counts[j]);
    }

    p = put_section(p, "END ", 0);
    put_u32(p, km_crc32(out, (size_t)(p - out)));
    p += KMF_CRC_LEN;
    assert((size_t)(p - out) == total);
    *buf = out;
    *size = total;
    return KM_OK;
}

/* ---- load ---- */

/* A section found while walking the file. */
typedef struct kmf_section {
    const unsigned char *payload;
    uint64_t len;
    int seen;
} kmf_section;

static int is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

/* A tag is a letter followed by three letters, digits or spaces. */
static int tag_valid(const unsigned char *t)
{
    if (!is_upper(t[0]) && !is_lower(t[0]))
        return 0;
    for (int i = 1; i < 4; i++) {
        unsigned char c = t[i];
        if (!is_upper(c) && !is_lower(c) && !(c >= '0' && c <= '9') && c != ' ')
            return 0;
    }
    return 1;
}

/*
 * Walk the sections between the header and the CRC.  Required (uppercase)
 * sections this version knows are recorded; optional (lowercase) ones are
 * skipped; an unknown required one means a newer format.  The walk ends at
 * "END ", which must be empty and immediately followed by the CRC.
 */
static int walk_sections(const unsigned char *p, size_t size, kmf_section *parm,
                         kmf_section *fitr, kmf_section *cent,
                         kmf_section *mbct)
{
    size_t pos = KMF_HEADER_LEN;
    size_t end = size - KMF_CRC_LEN; /* where the CRC starts */

    while (end - pos >= KMF_SECHDR_LEN) {
        const unsigned char *tag = p + pos;
        uint64_t len = get_u64(p + pos + 4);
        kmf_section *s;

        pos += KMF_SECHDR_LEN;
        if (!tag_valid(tag) || len > (uint64_t)(end - pos))
            return KM_ERR_CORRUPT;
        if (memcmp(tag, "END ", 4) == 0)
            return (len == 0 && pos == end) ? KM_OK : KM_ERR_CORRUPT;
        if (memcmp(tag, "PARM", 4) == 0)
            s = parm;
        else if (memcmp(tag, "FITR", 4) == 0)
            s = fitr;
        else if (memcmp(tag, "CENT", 4) == 0)
            s = cent;
        else if (memcmp(tag, "mbct", 4) == 0)
            s = mbct;
        else if (is_lower(tag[0]))
            s = NULL;
        else
            return KM_ERR_VERSION;
        if (s != NULL) {
            if (s->seen)
                return KM_ERR_CORRUPT;
            s->seen = 1;
            s->payload = p + pos;
            s->len = len;
        }
        pos += (size_t)len;
    }
    return KM_ERR_CORRUPT; /* no END */
}

static int parse_params(const kmf_section *s, km_params *prm)
{
    const unsigned char *q = s->payload;
    int32_t init, algorithm;

    if (s->len != KMF_PARM_LEN)
        return KM_ERR_CORRUPT;
    km_params_init(prm);
    init = get_i32(q + 4);
    algorithm = get_i32(q + 24);
    if (init < 0 || init > (int32_t)KM_INIT_KMEANS_PARALLEL || algorithm < 0 ||
        algorithm > (int32_t)KM_ALGO_YINYANG)
        return KM_ERR_CORRUPT;
    prm->n_clusters = get_i32(q + 0);
    prm->init = (km_init)init;
    prm->init_centers = NULL;
    prm->n_init = get_i32(q + 8);
    prm->max_iter = get_i32(q + 12);
    prm->tol = get_f64(q + 16);
    prm->algorithm = (km_algorithm)algorithm;
    prm->seed = get_u64(q + 28);
    prm->n_threads = get_i32(q + 36);
    prm->log = NULL;
    prm->log_user = NULL;
    return params_valid(prm) ? KM_OK : KM_ERR_CORRUPT;
}

static int parse_fit(const kmf_section *s, kmf_fit *f)
{
    const unsigned char *q = s->payload;

    if (s->len != KMF_FITR_LEN)
        return KM_ERR_CORRUPT;
    f->dtype = get_u32(q + 0);
    f->k = get_u64(q + 4);
    f->d = get_u64(q + 12);
    f->n_samples = get_u64(q + 20);
    f->inertia = get_f64(q + 28);
    f->n_iter = get_i32(q + 36);
    f->flags = get_u32(q + 40);
    return KM_OK;
}

/* The mini-batch state into m (length already checked); 0 when a field is
   invalid or memory runs out (reported as corrupt: the allocation is k
   doubles, no larger than the centers already allocated). */
static int parse_mbct(const kmf_section *s, km_model *m)
{
    const unsigned char *q = s->payload;
    km_mb_state mb;
    uint64_t u[4];
    int32_t bsz, mni, cl;

    u[0] = get_u64(q + 0);
    u[1] = get_u64(q + 8);
    u[2] = get_u64(q + 16);
    u[3] = get_u64(q + 40);
    for (int i = 0; i < 4; i++)
        if (u[i] > (uint64_t)INT64_MAX)
            return 0;
    bsz = get_i32(q + 24);
    mni = get_i32(q + 36);
    cl = get_i32(q + 48);
    memset(&mb, 0, sizeof mb);
    mb.n_steps = (int64_t)u[0];
    mb.n_since_reassign = (int64_t)u[1];
    mb.batch_size_eff = (int64_t)u[2];
    mb.batch_size = bsz;
    mb.reassignment_ratio = get_f64(q + 28);
    mb.max_no_improvement = mni;
    mb.init_size = (int64_t)u[3];
    mb.compute_labels = cl;
    for (int i = 0; i < 4; i++)
        mb.rng[i] = get_u64(q + 52 + 8 * i);
    if (km_model_alloc_counts(m) != KM_OK)
        return 0;
    for (size_t j = 0; j < (size_t)m->k; j++)
        m->counts[j] = get_f64(q + KMF_MBCT_FIXED + 8 * j);
    if (!mb_state_valid(&mb, m->counts, (size_t)m->k))
        return 0;
    m->mb = mb;
    return 1;
}

int km_model_load_mem(const void *buf, size_t size, km_model **model)
{
    const unsigned char *p = buf;
    kmf_section parm = {0}, fitr = {0}, cent = {0}, mbct = {0};
    km_params prm;
    kmf_fit f;
    uint64_t cent_len;
    size_t kd;
    km_model *m;
    int st;

    if (model == NULL)
        return KM_ERR_ARG;
    *model = NULL;
    if (buf == NULL && size > 0)
        return KM_ERR_ARG;

    /* Header: what the file is, then which version, then its integrity
       (a future version may change everything after the version field). */
    if (size < KMF_MAGIC_LEN || memcmp(p, KMF_MAGIC, KMF_MAGIC_LEN) != 0)
        return KM_ERR_FORMAT;
    if (size < KMF_MAGIC_LEN + 4)
        return KM_ERR_CORRUPT;
    if (get_u32(p + KMF_MAGIC_LEN) != KMF_VERSION)
        return KM_ERR_VERSION;
    if (size < KMF_FIXED_LEN)
        return KM_ERR_CORRUPT;
    if (km_crc32(p, size - KMF_CRC_LEN) != get_u32(p + size - KMF_CRC_LEN))
        return KM_ERR_CORRUPT;
    if (get_u32(p + 12) != 0)
        return KM_ERR_CORRUPT;

    st = walk_sections(p, size, &parm, &fitr, &cent, &mbct);
    if (st != KM_OK)
        return st;
    if (!parm.seen || !fitr.seen || !cent.seen)
        return KM_ERR_CORRUPT;
    st = parse_params(&parm, &prm);
    if (st != KM_OK)
        return st;
    st = parse_fit(&fitr, &f);
    if (st != KM_OK)
        return st;
    /* Sizes are checked against the bytes present before allocating. */
    if (!fit_valid(&f, &cent_len) || cent_len != cent.len)
        return KM_ERR_CORRUPT;
    if (mbct.seen && mbct.len != KMF_MBCT_FIXED + 8 * f.k)
        return KM_ERR_CORRUPT;

    kd = (size_t)f.k * (size_t)f.d;
    m = km_model_alloc((int)f.k, (size_t)f.d);
    if (m == NULL)
        return KM_ERR_NOMEM;
    m->dtype = (km_dtype)f.dtype;
    m->n_samples = (size_t)f.n_samples;
    m->inertia = f.inertia;
    m->n_iter = (int)f.n_iter;
    m->flags = (unsigned)f.flags;
    m->params = prm;
    if (m->dtype == KM_FLOAT32) {
        for (size_t i = 0; i < kd; i++)
            m->centers32[i] = get_f32(cent.payload + 4 * i);
        st = centers_finite32(m->centers32, kd);
    } else {
        for (size_t i = 0; i < kd; i++)
            m->centers64[i] = get_f64(cent.payload + 8 * i);
        st = centers_finite64(m->centers64, kd);
    }
    if (st && mbct.seen)
        st = parse_mbct(&mbct, m);
    if (!st) {
        km_model_free(m);
        return KM_ERR_CORRUPT;
    }
    km_model_sync(m);
    *model = m;
    return KM_OK;
}

/* ---- files ---- */

/* Read the rest of f into a malloc'ed buffer that starts with the
   head_len bytes already read.  KM_ERR_IO leaves errno as the failed read
   set it. */
static int read_rest(FILE *f, const unsigned char *head, size_t head_len,
                     unsigned char **out, size_t *out_len)
{
    struct stat sb;
    size_t cap = 4096, len = head_len;
    unsigned char *buf;

    /* A regular file's size is a good first guess; one byte more lets the
       read loop see EOF without growing the buffer. */
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (uintmax_t)sb.st_size < (uintmax_t)SIZE_MAX &&
        (size_t)sb.st_size >= head_len)
        cap = (size_t)sb.st_size + 1;
    buf = malloc(cap);
    if (buf == NULL)
        return KM_ERR_NOMEM;
    memcpy(buf, head, head_len);
    for (;;) {
        size_t want, got;

        if (len == cap) {
            unsigned char *grown;

            if (cap > SIZE_MAX / 2) {
                free(buf);
                return KM_ERR_NOMEM;
            }
            grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                return KM_ERR_NOMEM;
            }
            buf = grown;
            cap *= 2;
        }
        want = cap - len;
        got = fread(buf + len, 1, want, f);
        len += got;
        if (got < want) { /* end of file or an error */
            if (ferror(f)) {
                int e = errno;
                free(buf);
                errno = e;
                return KM_ERR_IO;
            }
            break;
        }
    }
    *out = buf;
    *out_len = len;
    return KM_OK;
}

/* Read the file at path into memory, looking at its header first so that
   a large file that is not a model (say a data file given by mistake) is
   rejected without reading it. */
static int read_model_file(const char *path, unsigned char **out,
                           size_t *out_len)
{
    unsigned char head[KMF_HEADER_LEN];
    size_t got;
    FILE *f;
    int st, e;

    f = fopen(path, "rb");
    if (f == NULL)
        return KM_ERR_IO;
    got = fread(head, 1, sizeof head, f);
    if (got < sizeof head && ferror(f))
        st = KM_ERR_IO;
    else if (got < KMF_MAGIC_LEN || memcmp(head, KMF_MAGIC, KMF_MAGIC_LEN) != 0)
        st = KM_ERR_FORMAT;
    else if (got >= KMF_MAGIC_LEN + 4 &&
             get_u32(head + KMF_MAGIC_LEN) != KMF_VERSION)
        st = KM_ERR_VERSION;
    else
        st = read_rest(f, head, got, out, out_len);
    e = errno;
    fclose(f); /* opened read-only: nothing to lose */
    errno = e;
    return st;
}

int km_model_load(const char *path, km_model **model)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int st;

    if (model == NULL)
        return KM_ERR_ARG;
    *model = NULL;
    if (path == NULL)
        return KM_ERR_ARG;
    st = read_model_file(path, &buf, &len);
    if (st != KM_OK)
        return st;
    st = km_model_load_mem(buf, len, model);
    free(buf);
    return st;
}

/* splitmix64: mixes the entropy of a temporary file name. */
static uint64_t km_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

/*
 * Create tmp (which ends in "XXXXXX") as a new file, exclusively, as
 * mkstemp() does, but with mode 0666 so that the process umask applies
 * exactly as for fopen(path, "w"): mkstemp's fixed 0600 would leave every
 * saved model private to its owner.  The name needs only to be unlikely to
 * exist; O_EXCL makes the creation safe.
 */
static int create_temp(char *tmp)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = strlen(tmp);
    struct timespec ts = {0, 0};
    uint64_t seed;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    seed = km_mix64((uint64_t)ts.tv_sec ^ ((uint64_t)ts.tv_nsec << 20) ^
                    ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)&ts);
    for (uint64_t attempt = 0; attempt < 100; attempt++) {
        uint64_t r = km_mix64(seed + attempt);
        int fd;

        for (size_t i = n - 6; i < n; i++, r /= 62)
            tmp[i] = alphabet[r % 62];
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1; /* errno is EEXIST */
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Make a rename in path's directory durable; best effort, as not every
   file system can sync a directory. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    size_t n;
    int fd;

    if (slash == NULL) {
        dir = NULL;
        fd = open(".", O_RDONLY | O_CLOEXEC);
    } else {
        n = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(n + 1);
        if (dir == NULL)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
        fd = open(dir, O_RDONLY | O_CLOEXEC);
        free(dir);
    }
    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
}

/* Write buf to path through a temporary file beside it and a rename, so
   that path is either untouched or replaced whole. */
static int write_atomic(const char *path, const unsigned char *buf, size_t n)
{
    static const char suffix[] = ".tmpXXXXXX";
    size_t plen = strlen(path);
    struct stat sb;
    char *tmp;
    int fd, e;

    if (plen > SIZE_MAX - sizeof suffix)
        return KM_ERR_NOMEM;
    tmp = malloc(plen + sizeof suffix);
    if (tmp == NULL)
        return KM_ERR_NOMEM;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, suffix, sizeof suffix);

    fd = create_temp(tmp);
    if (fd < 0) {
        e = errno;
        free(tmp);
        errno = e;
        return KM_ERR_IO;
    }
    /* Replacing a file keeps its permissions, as rewriting it in place
       would (best effort: not every file system has them). */
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
        (void)fchmod(fd, sb.st_mode & 0777);
    if (write_all(fd, buf, n) != 0 || fsync(fd) != 0) {
        e = errno;
        (void)close(fd);
        goto fail;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        e = errno;
        goto fail;
    }
    free(tmp);
    sync_parent_dir(path);
    return KM_OK;

fail:
    (void)unlink(tmp);
    free(tmp);
    errno = e;
    return KM_ERR_IO;
}

int km_model_save(const km_model *model, const char *path)
{
    void *buf;
    size_t size;
    int st, e;

    if (model == NULL || path == NULL || path[0] == '\0')
        return KM_ERR_ARG;
    st = km_model_save_mem(model, &buf, &size);
    if (st != KM_OK)
        return st;
    st = write_atomic(path, buf, size);
    e = errno;
    free(buf);
    errno = e;
    return st;
}
