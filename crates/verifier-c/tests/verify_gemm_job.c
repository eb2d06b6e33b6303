/* Verifies a job receipt through the C ABI: verify_gemm_job KEY_DIR JOB EXPECTED [A|- B|- C|-].
 * Exits 0 when tp_verify_gemm_job returns EXPECTED, 1 otherwise, 2 on its own errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teraproof.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    if (text && fread(text, 1, (size_t)len, f) != (size_t)len) { free(text); text = NULL; }
    if (text) text[len] = '\0';
    fclose(f);
    return text;
}

static char *optional(const char *path) { return strcmp(path, "-") == 0 ? NULL : slurp(path); }

int main(int argc, char **argv) {
    if (argc != 4 && argc != 7) {
        fprintf(stderr, "usage: %s KEY_DIR JOB EXPECTED_STATUS [A|- B|- C|-]\n", argv[0]);
        return 2;
    }
    char err[512];
    tp_job_verifier *verifier = NULL;
    tp_status status = tp_job_verifier_load(argv[1], &verifier, err, sizeof err);
    if (status != TP_OK) { printf("load: %d %s\n", (int)status, err); return 2; }
    char *job = slurp(argv[2]);
    if (!job) { printf("cannot read %s\n", argv[2]); return 2; }
    char *a = argc == 7 ? optional(argv[4]) : NULL;
    char *b = argc == 7 ? optional(argv[5]) : NULL;
    char *c = argc == 7 ? optional(argv[6]) : NULL;
    status = tp_verify_gemm_job(verifier, job, a, b, c, err, sizeof err);
    printf("job status %d%s%s\n", (int)status, status == TP_OK ? "" : ": ", status == TP_OK ? "" : err);
    if (tp_verify_gemm_job(NULL, job, NULL, NULL, NULL, NULL, 0) != TP_ERR_INVALID_ARGUMENT) {
        printf("NULL verifier accepted\n");
        return 1;
    }
    free(job); free(a); free(b); free(c);
    tp_job_verifier_free(verifier);
    tp_job_verifier_free(NULL);
    return (int)status == atoi(argv[3]) ? 0 : 1;
}
