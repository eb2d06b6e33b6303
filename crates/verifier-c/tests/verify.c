/* A C marketplace: verifies receipts through teraproof.h.
 * usage: verify KEY_DIR RECEIPT.json EXPECTED_STATUS  (exit 0 when the status matches) */
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
    if (argc != 4) { fprintf(stderr, "usage: %s KEY_DIR RECEIPT EXPECTED_STATUS\n", argv[0]); return 2; }
    char err[512];
    tp_verifier *verifier = NULL;
    tp_status status = tp_verifier_load(argv[1], &verifier, err, sizeof err);
    if (status != TP_OK) { printf("load failed (%d): %s\n", (int)status, err); return 3; }
    printf("teraproof %s, unit %s\n", tp_version(), tp_verifier_unit(verifier));

    char *receipt = slurp(argv[2]);
    if (!receipt) { printf("cannot read %s\n", argv[2]); tp_verifier_free(verifier); return 2; }
    status = tp_verify_receipt(verifier, receipt, err, sizeof err);
    printf("status %d%s%s\n", (int)status, status == TP_OK ? "" : ": ", err);

    /* A tiny error buffer truncates but still terminates; NULL arguments are refused. */
    char tiny[4];
    tp_status again = tp_verify_receipt(verifier, receipt, tiny, sizeof tiny);
    if (again != status || strlen(tiny) >= sizeof tiny) { printf("inconsistent second call\n"); return 4; }
    if (tp_verify_receipt(verifier, NULL, NULL, 0) != TP_ERR_INVALID_ARGUMENT) { printf("NULL accepted\n"); return 4; }

    free(receipt);
    tp_verifier_free(verifier);
    return (int)status == atoi(argv[3]) ? 0 : 1;
}
