//! The sumcheck path's verifier against checked-in data, every check as a valid/invalid
//! pair: each test first accepts the honest fixture, then rejects one kind of tampering
//! with the error that names it. Needs nothing but this crate.
//!
//! Fixture (`tests/fixtures/sumcheck/`, made by the CLI with the INSECURE development SRS
//! of seed 7): `teraproof setup --system sumcheck --unit mm-i8-3x5x7 --dev-seed 7`
//! (`srs.json`, `srs-g1.bin`: 64 powers), `teraproof inputs --seed 3` (A, B),
//! `teraproof prove --backend cpu` (`receipt.json`, C). Shape 3×5×7 pads to 4×8×8: two
//! row variables, three inner, three column.

use std::path::{Path, PathBuf};

use ark_ec::CurveGroup;
use ark_ff::{BigInteger, PrimeField};
use serde_json::Value;
use teraproof_core::receipt::{decode_hex, encode_hex};
use teraproof_core::Matrix;
use teraproof_verifier::sumcheck::commit::{check_data, powers_from_bytes};
use teraproof_verifier::sumcheck::proof::fr_from_le;
use teraproof_verifier::sumcheck::{Dims, SrsKey, SumcheckReceipt};
use teraproof_verifier::VerifyError;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sumcheck").join(name)
}

fn text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn key() -> SrsKey {
    SrsKey::from_manifest_json(&text("srs.json")).expect("the fixture SRS key loads")
}

fn receipt() -> Value {
    serde_json::from_str(&text("receipt.json")).unwrap()
}

fn verify(value: &Value) -> Result<(), VerifyError> {
    key().verify_json(&value.to_string()).map(|_| ())
}

fn tampered(tamper: impl FnOnce(&mut Value)) -> Result<(), VerifyError> {
    let mut value = receipt();
    tamper(&mut value);
    verify(&value)
}

fn with_proof(value: &mut Value, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = decode_hex(value["proof"].as_str().unwrap()).unwrap();
    edit(&mut bytes);
    value["proof"] = encode_hex(&bytes).into();
}

/// Adds one to the field element at byte `at` of the proof (it stays canonical).
fn bump(bytes: &mut [u8], at: usize) {
    let x = fr_from_le(&bytes[at..at + 32]).unwrap() + ark_bn254::Fr::from(1u64);
    bytes[at..at + 32].copy_from_slice(&x.into_bigint().to_bytes_le());
}

const DIMS: Dims = Dims { a: 2, b: 3, c: 3 };
/// Byte offsets in the proof: claim, 3 rounds, e_A, e_B, folds, evaluations, quotients.
const ROUNDS: usize = 32;
const EVAL_A: usize = 32 + 3 * 96;
const FOLDS: usize = EVAL_A + 64;
/// A has 5 variables, B 6, C 5: 16 batched polynomials, 13 folds.
const EVALS: usize = FOLDS + 13 * 32;

#[test]
fn the_honest_receipt_verifies_and_the_buyers_data_is_its_statement() {
    assert_eq!(Dims::of(3, 5, 7), DIMS);
    let (parsed, statement) = key().verify_json(&text("receipt.json")).unwrap();
    assert!(parsed.insecure_dev_setup);
    assert_eq!((statement.m, statement.k, statement.n), (3, 5, 7));
    let bytes = std::fs::read(fixture("srs-g1.bin")).unwrap();
    let powers = powers_from_bytes(&key(), &bytes, DIMS.max_len()).unwrap();
    let a: Matrix<i8> = Matrix::from_json(&text("A.json")).unwrap();
    let b: Matrix<i8> = Matrix::from_json(&text("B.json")).unwrap();
    let c: Matrix<i32> = Matrix::from_json(&text("C.json")).unwrap();
    check_data(&statement, &powers, Some(&a), Some(&b), Some(&c)).unwrap();

    // Another A of the same shape, a changed C element, B given as A.
    let mut other = a.clone();
    *other.get_mut(2, 4).unwrap() ^= 1;
    let err = check_data(&statement, &powers, Some(&other), None, None).unwrap_err();
    assert!(matches!(err, VerifyError::CommitmentMismatch { matrix: "A" }), "{err}");
    let mut c2 = c.clone();
    *c2.get_mut(0, 6).unwrap() += 1;
    let err = check_data(&statement, &powers, None, None, Some(&c2)).unwrap_err();
    assert!(matches!(err, VerifyError::CommitmentMismatch { matrix: "C" }), "{err}");
    let err = check_data(&statement, &powers, Some(&b), None, None).unwrap_err();
    assert!(matches!(err, VerifyError::DataShapeMismatch(_)), "{err}");
}

#[test]
fn damaged_srs_powers_are_refused() {
    let bytes = std::fs::read(fixture("srs-g1.bin")).unwrap();
    let key = key();
    assert!(powers_from_bytes(&key, &bytes[..64 * 10], 10).is_ok(), "a prefix serves a smaller shape");
    assert!(matches!(powers_from_bytes(&key, &bytes[..64 * 10], 11), Err(VerifyError::BadKey(_))));
    assert!(matches!(powers_from_bytes(&key, &bytes[..100], 1), Err(VerifyError::BadKey(_))));
    let mut bad = bytes.clone();
    bad[64 * 5 + 3] ^= 1;
    let err = powers_from_bytes(&key, &bad, 64).unwrap_err();
    assert!(matches!(err, VerifyError::BadKey(ref s) if s.contains("power 5")), "{err}");
    let mut swapped = bytes.clone();
    swapped.copy_within(64..128, 0);
    assert!(matches!(powers_from_bytes(&key, &swapped, 2), Err(VerifyError::BadKey(_))));
    // Every point valid and the first one G, but powers 1 and 2 swapped: a supplier who
    // ships such a file could make a false C's commitment match. The pairing check of
    // successive powers refuses it.
    let mut permuted = bytes.clone();
    let (p1, p2) = (bytes[64..128].to_vec(), bytes[128..192].to_vec());
    permuted[64..128].copy_from_slice(&p2);
    permuted[128..192].copy_from_slice(&p1);
    let err = powers_from_bytes(&key, &permuted, 64).unwrap_err();
    assert!(matches!(err, VerifyError::BadKey(ref s) if s.contains("not successive powers")), "{err}");
    // Another τ's powers (the dev SRS of another seed) under this key.
    let other = teraproof_verifier::sumcheck::receipt::dev_tau(8);
    let mut x = ark_bn254::Fr::from(1u64);
    let mut foreign = Vec::new();
    for _ in 0..4 {
        let p: ark_bn254::G1Affine = (<ark_bn254::G1Affine as ark_ec::AffineRepr>::generator() * x).into_affine();
        ark_serialize::CanonicalSerialize::serialize_uncompressed(&p, &mut foreign).unwrap();
        x *= other;
    }
    assert!(matches!(powers_from_bytes(&key, &foreign, 4), Err(VerifyError::BadKey(_))));
}

#[test]
fn each_part_of_the_sumcheck_is_checked() {
    verify(&receipt()).unwrap();
    let err = tampered(|r| with_proof(r, |p| bump(p, 0))).unwrap_err();
    assert!(matches!(err, VerifyError::SumcheckRound { round: 0 }), "claim: {err}");
    let err = tampered(|r| with_proof(r, |p| bump(p, ROUNDS + 96 + 32))).unwrap_err();
    assert!(matches!(err, VerifyError::SumcheckRound { round: 1 }), "round 1's g(1): {err}");
    // g(2) of the last round enters only the final claim.
    let err = tampered(|r| with_proof(r, |p| bump(p, ROUNDS + 2 * 96 + 64))).unwrap_err();
    assert!(matches!(err, VerifyError::SumcheckFinal), "{err}");
    let err = tampered(|r| with_proof(r, |p| bump(p, EVAL_A))).unwrap_err();
    assert!(matches!(err, VerifyError::SumcheckFinal), "e_A: {err}");
    let err = tampered(|r| with_proof(r, |p| bump(p, EVAL_A + 32))).unwrap_err();
    assert!(matches!(err, VerifyError::SumcheckFinal), "e_B: {err}");
}

#[test]
fn each_part_of_the_opening_is_checked() {
    verify(&receipt()).unwrap();
    // f₁(r) of A enters fold 1's check (fold 0 uses f₁(r²)).
    let err = tampered(|r| with_proof(r, |p| bump(p, EVALS + 96))).unwrap_err();
    assert!(matches!(err, VerifyError::OpeningFold { matrix: "A", fold: 1 }), "{err}");
    // f₀(r) of B (the sixth polynomial).
    let err = tampered(|r| with_proof(r, |p| bump(p, EVALS + 5 * 96))).unwrap_err();
    assert!(matches!(err, VerifyError::OpeningFold { matrix: "B", fold: 0 }), "{err}");
    // f₀(r²) of C is in no fold check: only the pairing catches it.
    let err = tampered(|r| with_proof(r, |p| bump(p, EVALS + 11 * 96 + 64))).unwrap_err();
    assert!(matches!(err, VerifyError::OpeningRejected), "{err}");
    // A fold commitment replaced by another valid point (the next one).
    let err = tampered(|r| with_proof(r, |p| p.copy_within(FOLDS + 32..FOLDS + 64, FOLDS))).unwrap_err();
    assert!(matches!(err, VerifyError::OpeningRejected | VerifyError::OpeningFold { .. }), "{err}");
    // A quotient replaced by another.
    let err = tampered(|r| {
        with_proof(r, |p| {
            let n = p.len();
            p.copy_within(n - 64..n - 32, n - 32);
        })
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::OpeningRejected), "{err}");
}

#[test]
fn the_statement_is_bound_unit_shape_srs_and_commitments() {
    verify(&receipt()).unwrap();
    // A and B swapped, or A's commitment replaced by C's.
    let err = tampered(|r| {
        let a = r["commitments"]["a"].clone();
        r["commitments"]["a"] = r["commitments"]["b"].clone();
        r["commitments"]["b"] = a;
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::SumcheckRound { .. } | VerifyError::OpeningFold { .. } | VerifyError::OpeningRejected
        ),
        "{err}"
    );
    let err = tampered(|r| r["commitments"]["a"] = r["commitments"]["c"].clone()).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::SumcheckRound { .. } | VerifyError::OpeningFold { .. } | VerifyError::OpeningRejected
        ),
        "{err}"
    );
    // Another unit with the same padded shape (3×5×6 also pads to 4×8×8).
    let err = tampered(|r| {
        r["unit"] = "mm-i8-3x5x6".into();
        r["shape"]["n"] = 6.into();
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::SumcheckRound { .. } | VerifyError::OpeningFold { .. } | VerifyError::OpeningRejected
        ),
        "{err}"
    );
    // The unit and the shape disagree.
    let err = tampered(|r| r["shape"]["n"] = 6.into()).unwrap_err();
    assert!(matches!(err, VerifyError::UnitMismatch { .. }), "{err}");
    // A shape no unit has is refused before it sizes anything (decode_proof on its own).
    let mut huge = SumcheckReceipt::from_json(&text("receipt.json")).unwrap();
    huge.shape.m = usize::MAX;
    assert!(matches!(huge.decode_proof(), Err(VerifyError::MalformedReceipt(_))));
    // Another SRS id; the insecure mark edited away.
    let err = tampered(|r| r["srs"] = "ab".repeat(32).into()).unwrap_err();
    assert!(matches!(err, VerifyError::WrongVerifyingKey { .. }), "{err}");
    let err = tampered(|r| r["insecure_dev_setup"] = false.into()).unwrap_err();
    assert!(matches!(err, VerifyError::InsecureFlagMismatch { .. }), "{err}");
    // The statement's SRS id is absorbed: a statement naming another id is refused by
    // `verify_matmul` itself, not only by the receipt's id check.
    let receipt = SumcheckReceipt::from_json(&text("receipt.json")).unwrap();
    let mut statement = receipt.statement().unwrap();
    let proof = receipt.decode_proof().unwrap();
    teraproof_verifier::sumcheck::verify_matmul(&key(), &statement, &proof).unwrap();
    statement.srs = "cd".repeat(32);
    let err = teraproof_verifier::sumcheck::verify_matmul(&key(), &statement, &proof).unwrap_err();
    assert!(matches!(err, VerifyError::WrongVerifyingKey { .. }), "{err}");
    // Another m with the same padding (3 → 4 rows).
    let err = tampered(|r| {
        r["unit"] = "mm-i8-4x5x7".into();
        r["shape"]["m"] = 4.into();
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::SumcheckRound { .. } | VerifyError::OpeningFold { .. } | VerifyError::OpeningRejected
        ),
        "{err}"
    );
    // The prover metadata is unbound: changing it changes nothing.
    tampered(|r| r["prover"]["backend"] = "somebody else".into()).unwrap();
}

#[test]
fn malformed_receipts_are_refused_by_name_never_a_panic() {
    let total = DIMS.proof_bytes();
    let err = tampered(|r| with_proof(r, |p| p.truncate(total - 32))).unwrap_err();
    assert!(matches!(err, VerifyError::BadProofEncoding(ref s) if s.contains(&total.to_string())), "{err}");
    let err = tampered(|r| with_proof(r, |p| p.extend_from_slice(&[0; 32]))).unwrap_err();
    assert!(matches!(err, VerifyError::BadProofEncoding(_)), "{err}");
    // A field element ≥ r (never reduced): r itself.
    let err =
        tampered(|r| with_proof(r, |p| p[EVAL_A..EVAL_A + 32].copy_from_slice(&ark_bn254::Fr::MODULUS.to_bytes_le())))
            .unwrap_err();
    assert!(matches!(err, VerifyError::BadProofEncoding(ref s) if s.contains("not below r")), "{err}");
    // 32 bytes of 0xff encode no point (an x above q with both flag bits set).
    let err = tampered(|r| with_proof(r, |p| p[FOLDS..FOLDS + 32].fill(0xff))).unwrap_err();
    assert!(matches!(err, VerifyError::InvalidProofPoint { .. }), "{err}");
    let err = tampered(|r| r["commitments"]["b"] = "00".repeat(31).into()).unwrap_err();
    assert!(matches!(err, VerifyError::InvalidProofPoint { .. }), "{err}");
    let err = tampered(|r| r["proof"] = "xyz".into()).unwrap_err();
    assert!(matches!(err, VerifyError::BadProofEncoding(_)), "{err}");
    for (edit, expect) in
        [("{", "malformed"), ("[]", "malformed"), ("{\"version\": 2}", "unsupported receipt version 2")]
    {
        let err = key().verify_json(edit).unwrap_err().to_string();
        assert!(err.contains(expect), "{edit}: {err}");
    }
    let err = tampered(|r| r["kind"] = "groth16".into()).unwrap_err();
    assert!(matches!(err, VerifyError::MalformedReceipt(_)), "{err}");
    let err = tampered(|r| r["extra"] = 1.into()).unwrap_err();
    assert!(matches!(err, VerifyError::MalformedReceipt(_)), "{err}");
    // A repeated key is refused whichever copy would count.
    let doubled = text("receipt.json").replacen("\"version\": 1,", "\"version\": 1, \"version\": 1,", 1);
    assert!(matches!(key().verify_json(&doubled), Err(VerifyError::MalformedReceipt(_))));
    let huge = " ".repeat(2 << 20);
    assert!(matches!(SumcheckReceipt::from_json(&huge), Err(VerifyError::MalformedReceipt(_))));
}

#[test]
fn a_contradictory_or_edited_srs_key_is_refused() {
    let good = text("srs.json");
    key();
    let edit = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        SrsKey::from_manifest_json(&good.replacen(from, to, 1))
    };
    // The insecure mark edited away (the source still says dev-seed).
    assert!(matches!(
        edit("\"insecure_dev_setup\": true", "\"insecure_dev_setup\": false"),
        Err(VerifyError::BadKey(_))
    ));
    // The id no longer the hash of the points.
    let value: Value = serde_json::from_str(&good).unwrap();
    let id = value["id"].as_str().unwrap();
    let other_id = format!("{}{}", if id.starts_with('0') { "1" } else { "0" }, &id[1..]);
    assert!(matches!(edit(id, &other_id), Err(VerifyError::BadKey(ref s)) if s.contains("id")));
    // A dev-seed source that names another seed than its τ's.
    assert!(matches!(edit("dev-seed:7", "dev-seed:8"), Err(VerifyError::BadKey(ref s)) if s.contains("dev seed")));
    // Only the canonical form names a seed.
    for other in ["dev-seed:07", "dev-seed:+7", "dev-seed", "dev-seedx"] {
        assert!(matches!(edit("dev-seed:7", other), Err(VerifyError::BadKey(_))), "{other}");
    }
    // Relabelled as a ceremony SRS (source, mark and warning all edited): it loads, with
    // the dev SRS's id, which is why a relying party pins the id it trusts.
    let mut relabelled: Value = serde_json::from_str(&good).unwrap();
    relabelled["source"] = "ptau:00:5".into();
    relabelled["insecure_dev_setup"] = false.into();
    relabelled.as_object_mut().unwrap().remove("warning");
    let loaded = SrsKey::from_manifest_json(&relabelled.to_string()).unwrap();
    assert_eq!(loaded.id(), key().id(), "the id names tau, whatever the labels say");
    // Degenerate keys: τ·H = H (τ = 1), or the generator G replaced.
    let mut degenerate: Value = serde_json::from_str(&good).unwrap();
    degenerate["tau_g2"] = degenerate["g2"].clone();
    assert!(matches!(SrsKey::from_manifest_json(&degenerate.to_string()), Err(VerifyError::BadKey(_))));
    let mut no_generator: Value = serde_json::from_str(&good).unwrap();
    let two_g: ark_bn254::G1Affine =
        (<ark_bn254::G1Affine as ark_ec::AffineRepr>::generator() * ark_bn254::Fr::from(2u64)).into_affine();
    no_generator["g1"] = encode_hex(&teraproof_verifier::sumcheck::proof::g1_to_compressed(&two_g)).into();
    assert!(
        matches!(SrsKey::from_manifest_json(&no_generator.to_string()), Err(VerifyError::BadKey(ref s)) if s.contains("generators"))
    );
    // Another format; an unknown field.
    assert!(matches!(edit("teraproof-srs/1", "teraproof-srs/2"), Err(VerifyError::BadKey(_))));
    assert!(matches!(edit("{", "{\"x\": 1,"), Err(VerifyError::BadKey(_))));
}
