/*
 * kmio_gzip.c - transparent reading of gzip-compressed data files
 * ("digits.csv.gz", "x.npy.gz"): the whole stream is inflated in memory,
 * then parsed as the name without ".gz" says.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "kmio_internal.h"

int kmio_is_gzip(const char *buf, size_t len)
{
    return len >= 2 && (unsigned char)buf[0] == 0x1f &&
           (unsigned char)buf[1] == 0x8b;
}

int kmio_gunzip(const char *name, const char *in, size_t in_len, char **outp,
                size_t *out_len, kmio_error *err)
{
    z_stream zs;
    size_t cap = in_len * 4 + 4096, len = 0;
    char *out = malloc(cap);
    int rc;

    if (out == NULL) {
        kmio_errorf(err, "%s: out of memory decompressing", name);
        return -1;
    }
    memset(&zs, 0, sizeof zs);
    /* 16 + MAX_WBITS: a gzip header and trailer (CRC and length checked). */
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        free(out);
        kmio_errorf(err, "%s: cannot start gzip decompression", name);
        return -1;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    do {
        /* zlib counts in uInt: feed and drain at most 1 GiB at a time. */
        size_t chunk_in = in_len - (size_t)((const char *)zs.next_in - in);

        zs.avail_in = (uInt)(chunk_in < (1u << 30) ? chunk_in : (1u << 30));
        if (cap - len < 2) {
            size_t ncap;
            char *nb = NULL;

            if (!kmio_mul_overflow(cap, 2, &ncap))
                nb = realloc(out, ncap);
            if (nb == NULL) {
                inflateEnd(&zs);
                free(out);
                kmio_errorf(err, "%s: out of memory decompressing", name);
                return -1;
            }
            out = nb;
            cap = ncap;
        }
        {
            size_t room = cap - 1 - len;

            zs.next_out = (Bytef *)(out + len);
            zs.avail_out = (uInt)(room < (1u << 30) ? room : (1u << 30));
            rc = inflate(&zs, Z_NO_FLUSH);
            len = (size_t)((char *)zs.next_out - out);
        }
        if (rc == Z_STREAM_END &&
            (size_t)((const char *)zs.next_in - in) < in_len) {
            /* Concatenated gzip members, as gzip -c a b > c makes. */
            if (inflateReset(&zs) != Z_OK)
                break;
            rc = Z_OK;
        }
    } while (rc == Z_OK || (rc == Z_BUF_ERROR && zs.avail_out == 0));
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        kmio_errorf(err, "%s: corrupt or truncated gzip data%s%s", name,
                    zs.msg ? ": " : "", zs.msg ? zs.msg : "");
        return -1;
    }
    out[len] = '\0';
    *outp = out;
    *out_len = len;
    return 0;
}
