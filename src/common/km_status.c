/*
 * km_status.c - the library version and status messages.
 */
#include "kmeans.h"

const char *km_version(void)
{
    return KM_VERSION_STRING;
}

const char *km_strerror(int status)
{
    switch (status) {
    case KM_OK:
        return "success";
    case KM_ERR_NOMEM:
        return "out of memory (or size overflow)";
    case KM_ERR_ARG:
        return "invalid argument";
    case KM_ERR_SHAPE:
        return "inconsistent shape (number of rows, features or clusters)";
    case KM_ERR_NONFINITE:
        return "NaN or infinite value in the input";
    case KM_ERR_WEIGHTS:
        return "invalid sample weights (negative, or all zero)";
    case KM_ERR_IO:
        return "model file could not be opened, read or written";
    case KM_ERR_FORMAT:
        return "not a kmeans model file";
    case KM_ERR_VERSION:
        return "unsupported model file version";
    case KM_ERR_CORRUPT:
        return "model file is truncated or corrupt";
    case KM_ERR_INTERNAL:
        return "internal error in libkmeans";
    default:
        return "unknown status code";
    }
}
