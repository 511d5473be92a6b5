/*
 * replay_main.c - runs a libFuzzer target without libFuzzer: calls
 * LLVMFuzzerTestOneInput on an empty input and then on every regular file
 * of the directory given as argv[1] (the saved corpus), so a normal build
 * and CTest replay every input ever found interesting.  Exits 0 when all
 * inputs return; a crash or sanitizer report fails the test.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len, fp);
        if (len < cap)
            break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = !buf || ferror(fp);
    fclose(fp);
    if (bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return -1;
    }
    /* An exact-size copy, so ASan catches a read one past the input as
       libFuzzer would. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        fprintf(stderr, "%s: cannot open: %s\n", argv[1], strerror(errno));
        return 1;
    }
    const uint8_t empty[1] = {0};
    LLVMFuzzerTestOneInput(empty, 0);

    int failed = 0;
    size_t count = 0;
    const struct dirent *ent;
    while ((ent = readdir(dir)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        size_t len = strlen(argv[1]) + strlen(ent->d_name) + 2;
        char *path = malloc(len);
        if (!path) {
            failed = 1;
            break;
        }
        snprintf(path, len, "%s/%s", argv[1], ent->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path))
                failed = 1;
            else
                count++;
        }
        free(path);
    }
    closedir(dir);
    fprintf(stderr, "%s: replayed %zu inputs\n", argv[1], count);
    return failed;
}
