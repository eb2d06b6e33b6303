/*
 * teraproof.h: verify teraproof receipts from C (and anything with a C FFI).
 *
 * Link with -lteraproof_verifier_c. Every function returns a tp_status; on failure a
 * human-readable reason is written into the caller's buffer `err` (at most `err_len`
 * bytes, always NUL-terminated when err_len > 0; pass NULL, 0 to ignore it). No function
 * unwinds into C: an internal panic becomes TP_ERR_INTERNAL. The constructors set *out to
 * NULL when they fail (out itself may not be NULL), so freeing it afterwards is harmless.
 *
 *   tp_verifier *v = NULL;
 *   char err[512];
 *   if (tp_verifier_load("keys/CU-64", &v, err, sizeof err) != TP_OK) { puts(err); ... }
 *   // A buyer: is this receipt about the A and B I sent, and the C I got back?
 *   int status = tp_verify_job(v, receipt_json, a_json, b_json, c_json, err, sizeof err);
 *   tp_verifier_free(v);
 *
 * Matrices are JSON text, {"dtype":"i8","rows":R,"cols":C,"data":[...]} (dtype "i32" for C).
 */
#ifndef TERAPROOF_H
#define TERAPROOF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tp_status {
    TP_OK = 0,
    TP_ERR_INVALID_ARGUMENT = 1,   /* a NULL pointer, text that is not UTF-8, or (tp_verify_job) an
                                      A or B that does not parse or has the wrong dtype */
    TP_ERR_BAD_KEY = 2,            /* the key directory, manifest or key bytes are unusable */
    TP_ERR_MALFORMED_RECEIPT = 3,  /* not a receipt: bad JSON, fields, hex or length */
    TP_ERR_UNSUPPORTED_VERSION = 4,
    TP_ERR_NON_CANONICAL_INPUT = 5, /* a digest that is not a canonical field element */
    TP_ERR_INVALID_PROOF_POINT = 6, /* a proof point off its curve or outside the subgroup */
    TP_ERR_WRONG_KEY = 7,          /* another key or unit, or a wrong insecure_dev_setup flag */
    TP_ERR_PROOF_REJECTED = 8,     /* well formed, but the pairing check fails */
    TP_ERR_INTERNAL = 9,           /* a bug in teraproof (caught panic); please report it */
    TP_ERR_DATA_MISMATCH = 10,     /* a valid receipt, but about other matrices than those given */
    TP_ERR_BAD_JOB = 11            /* a job receipt whose units do not make up its job: a unit
                                      missing, repeated, reordered or foreign, a broken chain, a
                                      tile digest or shape that does not fit */
} tp_status;

/* A unit's verifying key, ready to verify receipts. Thread-safe for concurrent verifies. */
typedef struct tp_verifier tp_verifier;

/* The library's version, a static NUL-terminated string. */
const char *tp_version(void);

/* Loads keys.json and verifying_key.bin from a key directory. */
tp_status tp_verifier_load(const char *key_dir, tp_verifier **out, char *err, size_t err_len);

/* Builds a verifier from keys.json text and the bytes of verifying_key.bin. */
tp_status tp_verifier_from_parts(const char *manifest_json, const uint8_t *vk_bytes, size_t vk_len,
                                 tp_verifier **out, char *err, size_t err_len);

/* The unit id the verifier checks (static for the verifier's lifetime). */
const char *tp_verifier_unit(const tp_verifier *verifier);

/* Verifies one receipt (its JSON text). TP_OK means the proof is valid for the receipt's
 * own statement: that its dC is the digest of the product of the matrices whose digests
 * are its dA and dB. It says nothing about which matrices those are; a receipt about
 * another job passes too. To check a job, use tp_verify_job. */
tp_status tp_verify_receipt(const tp_verifier *verifier, const char *receipt_json, char *err, size_t err_len);

/* 1 when the verifier's key comes from an INSECURE development setup (anyone who knows its
 * seed can forge receipts that pass: tell the user), 0 when it does not, -1 for NULL. A
 * receipt that passes carries the same mark as its key. */
int tp_verifier_insecure(const tp_verifier *verifier);

/* Verifies a receipt as tp_verify_receipt does and, when it is valid, writes its statement
 * id "unit:dA:dB:dC" (the unit's canonical id and the digests as canonical decimals, at
 * most about 270 bytes; 512 is always enough) into out, NUL-terminated. That is what a
 * marketplace should index receipts by: Groth16 proofs are malleable, so two different
 * proof byte strings can prove the same statement. When out_len > 0, out is set to "" on
 * any failure. A NULL out, or out_len bytes too few for the statement, gives
 * TP_ERR_INVALID_ARGUMENT with a message saying how many bytes it needs (so NULL, 0
 * asks for the size). out and err must not overlap. */
tp_status tp_verify_statement(const tp_verifier *verifier, const char *receipt_json, char *out, size_t out_len,
                              char *err, size_t err_len);

/* Verifies a receipt for a job: the receipt as tp_verify_receipt does, then that its dA
 * and dB are the digests of a_json and b_json (the int8 inputs the buyer sent) and, when
 * c_json is not NULL, that its dC is the digest of c_json (the int32 output received).
 * The proof is checked first. TP_ERR_DATA_MISMATCH: the proof is valid but about other
 * matrices (the message says which), or c_json (the supplier's output) is not an int32
 * matrix; TP_ERR_INVALID_ARGUMENT: a_json or b_json (the caller's own) does not parse, or
 * a NULL receipt, A or B. */
tp_status tp_verify_job(const tp_verifier *verifier, const char *receipt_json, const char *a_json,
                        const char *b_json, const char *c_json, char *err, size_t err_len);

/* Verifies a sumcheck receipt (the second proof path, kind "sumcheck-matmul") against an
 * SRS key: srs_json is the text of srs.json from `teraproof setup --system sumcheck`, and
 * srs_id (hex) the SRS id the caller trusts: srs.json's source and insecure mark are the
 * file's own word, so pass the id you pinned (TP_ERR_WRONG_KEY when srs_json is another
 * SRS); NULL checks against whatever srs_json holds. On
 * success *insecure (when not NULL) is 1 if the SRS is the INSECURE development one (its
 * tau is public: anyone can forge), 0 if it came from a Powers of Tau; on failure it is 0.
 * The receipt's statement is its three commitments: to check that they are the buyer's A,
 * B (and C), use tp_verify_sumcheck_data; this call does not read matrices. TP_ERR_PROOF_REJECTED: a sumcheck
 * round, the final claim or the evaluation proofs fail; TP_ERR_WRONG_KEY: another SRS, or
 * an insecure mark that differs from the key's. */
tp_status tp_verify_sumcheck(const char *srs_json, const char *srs_id, const char *receipt_json, int *insecure,
                             char *err, size_t err_len);

/* Verifies a sumcheck receipt as tp_verify_sumcheck does, then that its commitments are
 * those of the buyer's own matrices: a_json and b_json (int8 matrix JSON), c_json (int32),
 * each NULL to skip it, at least one given. srs_g1 holds the SRS directory's srs-g1.bin
 * (or at least its first 64·P bytes, P the largest padded matrix's size); its points are
 * checked to be successive powers of the key's tau before use. TP_ERR_DATA_MISMATCH: a
 * valid receipt about other matrices (a recomputed commitment differs, or a shape);
 * TP_ERR_BAD_KEY: powers that are damaged, too few, or not powers of the key's tau;
 * TP_ERR_INVALID_ARGUMENT: a matrix that does not parse. */
tp_status tp_verify_sumcheck_data(const char *srs_json, const char *srs_id, const unsigned char *srs_g1,
                                  size_t srs_g1_len,
                                  const char *receipt_json, const char *a_json, const char *b_json,
                                  const char *c_json, int *insecure, char *err, size_t err_len);

/* Frees a verifier; NULL is allowed. */
void tp_verifier_free(tp_verifier *verifier);

/* A keyring: the verifying keys a marketplace accepts, several units at once. Each receipt
 * is checked by the key its vk_id names. Adding is not thread-safe; once filled, any number
 * of threads may verify with it at the same time. */
typedef struct tp_keyring tp_keyring;

/* An empty keyring; free it with tp_keyring_free. */
tp_keyring *tp_keyring_new(void);

/* Adds the key in a key directory (keys.json and verifying_key.bin). Adding a key already
 * held is no change; TP_ERR_BAD_KEY for an unusable key, or for one whose id is held with
 * another unit or insecure mark (an edited manifest). */
tp_status tp_keyring_add_dir(tp_keyring *ring, const char *key_dir, char *err, size_t err_len);

/* As tp_keyring_add_dir, from keys.json text and the bytes of verifying_key.bin. */
tp_status tp_keyring_add_parts(tp_keyring *ring, const char *manifest_json, const uint8_t *vk_bytes,
                               size_t vk_len, char *err, size_t err_len);

/* How many keys the keyring holds (0 for NULL; not while a thread adds to it). */
size_t tp_keyring_len(const tp_keyring *ring);

/* Verifies one receipt with the key it names, as tp_verify_receipt does with one key.
 * TP_ERR_WRONG_KEY when the keyring holds no key of the receipt's vk_id (the message says
 * "not in the keyring"). insecure may not be NULL (TP_ERR_INVALID_ARGUMENT): a keyring can
 * hold keys of several setups, so on TP_OK *insecure is 1 when the key that verified the
 * receipt comes from an INSECURE development setup, else 0 (and 0 on any failure). */
tp_status tp_keyring_verify(const tp_keyring *ring, const char *receipt_json, int *insecure, char *err,
                            size_t err_len);

/* Frees a keyring; NULL is allowed. */
void tp_keyring_free(tp_keyring *ring);

/* A unit's two keys (the compute unit's and the accumulating unit's), for job receipts:
 * GEMMs of any shape proven as chains of units. Thread-safe for concurrent verifies. */
typedef struct tp_job_verifier tp_job_verifier;

/* Loads a key directory made by `teraproof setup --unit CU-n` (and its accumulate/). */
tp_status tp_job_verifier_load(const char *key_dir, tp_job_verifier **out, char *err, size_t err_len);

/* Verifies a job receipt (its JSON text): every unit receipt, the chains, the tile
 * digests (TP_ERR_BAD_JOB when the units do not make up the job; TP_ERR_PROOF_REJECTED
 * when a unit's proof fails). Then, for each of a_json, b_json (int8) and c_json (int32)
 * that is not NULL, that the matrix's tiles have the job's digests (TP_ERR_DATA_MISMATCH
 * when not: the job is valid but about other matrices). A buyer passes the A and B it
 * sent and the C it received. */
tp_status tp_verify_gemm_job(const tp_job_verifier *verifier, const char *job_json, const char *a_json,
                             const char *b_json, const char *c_json, char *err, size_t err_len);

/* Frees a job verifier; NULL is allowed. */
void tp_job_verifier_free(tp_job_verifier *verifier);

#ifdef __cplusplus
}
#endif

#endif /* TERAPROOF_H */
