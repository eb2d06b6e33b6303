/* A C marketplace: verifies receipts through teraproof.h.
 * usage: verify KEY_DIR RECEIPT.json EXPECTED_STATUS  (exit 0 when the status matches)
 *        verify KEY_DIR RECEIPT.json EXPECTED_STATUS A.json B.json C.json|- EXPECTED_JOB_STATUS
 *        (the second form also checks the receipt as a job: its inputs A, B and output C,
 *        "-" for no C) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teraproof.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) { free(text); text = NULL; }
    if (text) text[n] = '\0';
    fclose(f);
    return text;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 8) {
        fprintf(stderr, "usage: %s KEY_DIR RECEIPT EXPECTED_STATUS [A B C|- EXPECTED_JOB_STATUS]\n", argv[0]);
        return 2;
    }
    char err[512];
    tp_verifier *verifier = NULL;
    tp_status status = tp_verifier_load(argv[1], &verifier, err, sizeof err);
    if (status != TP_OK) { printf("load failed (%d): %s\n", (int)status, err); return 3; }
    printf("teraproof %s, unit %s\n", tp_version(), tp_verifier_unit(verifier));
    /* The header's status codes, for the test to compare with the library's. */
    printf("codes %d %d %d %d %d %d %d %d %d %d %d %d\n", TP_OK, TP_ERR_INVALID_ARGUMENT, TP_ERR_BAD_KEY,
           TP_ERR_MALFORMED_RECEIPT, TP_ERR_UNSUPPORTED_VERSION, TP_ERR_NON_CANONICAL_INPUT,
           TP_ERR_INVALID_PROOF_POINT, TP_ERR_WRONG_KEY, TP_ERR_PROOF_REJECTED, TP_ERR_INTERNAL,
           TP_ERR_DATA_MISMATCH, TP_ERR_BAD_JOB);

    /* The same key from its parts (keys.json text and verifying_key.bin bytes). */
    char path[4096];
    snprintf(path, sizeof path, "%s/keys.json", argv[1]);
    char *manifest = slurp(path);
    snprintf(path, sizeof path, "%s/verifying_key.bin", argv[1]);
    FILE *vk_file = fopen(path, "rb");
    unsigned char vk[4096];
    size_t vk_len = vk_file ? fread(vk, 1, sizeof vk, vk_file) : 0;
    if (vk_file) fclose(vk_file);
    if (!manifest || vk_len == 0) { printf("cannot read the key files\n"); return 2; }
    tp_verifier *from_parts = NULL;
    if (tp_verifier_from_parts(manifest, vk, vk_len, &from_parts, err, sizeof err) != TP_OK) {
        printf("from_parts failed: %s\n", err);
        return 4;
    }
    if (strcmp(tp_verifier_unit(from_parts), tp_verifier_unit(verifier)) != 0) { printf("units differ\n"); return 4; }
    /* A failure leaves *out NULL, whatever it held, so freeing it is harmless. */
    tp_verifier *failed = from_parts;
    if (tp_verifier_from_parts(manifest, vk, vk_len - 1, &failed, err, sizeof err) == TP_OK || failed != NULL) {
        printf("a truncated key was accepted or left *out set\n");
        return 4;
    }
    failed = verifier;
    if (tp_verifier_load("/nonexistent/teraproof-keys", &failed, err, sizeof err) == TP_OK || failed != NULL) {
        printf("a missing key directory was accepted or left *out set\n");
        return 4;
    }
    tp_verifier_free(failed);
    free(manifest);

    char *receipt = slurp(argv[2]);
    if (!receipt) { printf("cannot read %s\n", argv[2]); tp_verifier_free(verifier); return 2; }
    status = tp_verify_receipt(verifier, receipt, err, sizeof err);
    printf("status %d%s%s\n", (int)status, status == TP_OK ? "" : ": ", err);

    /* What a marketplace indexes a valid receipt by: its statement, never its proof bytes. */
    char statement[512];
    if (tp_verify_statement(verifier, receipt, statement, sizeof statement, err, sizeof err) != status) {
        printf("tp_verify_statement disagrees with tp_verify_receipt\n");
        return 4;
    }
    if (status == TP_OK) printf("statement %s\n", statement);
    else if (statement[0] != '\0') { printf("a statement was written for an invalid receipt\n"); return 4; }

    /* A tiny error buffer truncates but still terminates; NULL arguments are refused. */
    char tiny[4];
    tp_status again = tp_verify_receipt(verifier, receipt, tiny, sizeof tiny);
    if (again != status || strlen(tiny) >= sizeof tiny) { printf("inconsistent second call\n"); return 4; }
    if (tp_verify_receipt(verifier, NULL, NULL, 0) != TP_ERR_INVALID_ARGUMENT) { printf("NULL accepted\n"); return 4; }

    if (tp_verify_receipt(from_parts, receipt, err, sizeof err) != status) { printf("from_parts disagrees\n"); return 4; }

    if (argc == 8) {
        char *a = slurp(argv[4]), *b = slurp(argv[5]);
        char *c = strcmp(argv[6], "-") == 0 ? NULL : slurp(argv[6]);
        if (!a || !b || (!c && strcmp(argv[6], "-") != 0)) { printf("cannot read the matrices\n"); return 2; }
        tp_status job = tp_verify_job(verifier, receipt, a, b, c, err, sizeof err);
        printf("job status %d%s%s\n", (int)job, job == TP_OK ? "" : ": ", err);
        if (tp_verify_job(verifier, receipt, NULL, b, c, NULL, 0) != TP_ERR_INVALID_ARGUMENT) {
            printf("a NULL input was accepted\n");
            return 4;
        }
        free(a);
        free(b);
        free(c);
        if ((int)job != atoi(argv[7])) { printf("job status %d, expected %s\n", (int)job, argv[7]); return 1; }
    }

    free(receipt);
    tp_verifier_free(from_parts);
    tp_verifier_free(verifier);
    return (int)status == atoi(argv[3]) ? 0 : 1;
}
