//! The verifier against checked-in data, every check as a valid/invalid pair: each test
//! first accepts the honest fixture, then rejects one kind of tampering with the error
//! that names it. Needs nothing but this crate (no prover, no keys generated here).
//!
//! Fixtures (`tests/fixtures/`, made by the CLI with INSECURE development keys; only the
//! verifying keys are kept):
//! - `unit-keys/`, `unit/`: unit mm-i8-2x3x2 (dev seed 7), A and B from `teraproof
//!   inputs --seed 3`, the receipt and C from `teraproof prove --backend cpu`;
//! - `job-keys/` (with `accumulate/`), `job/`: unit CU-2 (dev seed 7), a 4×4×4 job
//!   (`teraproof inputs --unit mm-i8-4x4x4 --seed 5`, `teraproof job prove`): 2×2 output
//!   tiles, two steps each, 8 unit receipts.

use std::path::{Path, PathBuf};

use serde_json::Value;
use teraproof_core::job::UnitStatement;
use teraproof_core::{JobReceipt, Matrix, Receipt, TilePos};
use teraproof_verifier::{JobVerifier, UnitVerifyingKey, Verifier, VerifyError};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

fn text(path: &str) -> String {
    std::fs::read_to_string(fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn unit_verifier() -> Verifier {
    Verifier::new(UnitVerifyingKey::load(&fixture("unit-keys")).expect("the unit key loads"))
}

fn unit_receipt() -> Value {
    serde_json::from_str(&text("unit/receipt.json")).unwrap()
}

fn i8_matrix(path: &str) -> Matrix<i8> {
    Matrix::from_json(&text(path)).unwrap()
}

fn i32_matrix(path: &str) -> Matrix<i32> {
    Matrix::from_json(&text(path)).unwrap()
}

/// Verifies the receipt JSON `value` after `tamper` changed it.
fn verify_tampered(tamper: impl FnOnce(&mut Value)) -> Result<(), VerifyError> {
    let mut value = unit_receipt();
    tamper(&mut value);
    unit_verifier().verify_json(&value.to_string()).map(|_| ())
}

/// A decimal field element other than the one given (still canonical).
fn other_element(decimal: &Value) -> Value {
    let text = decimal.as_str().unwrap();
    let last = text.as_bytes()[text.len() - 1];
    let replaced = if last == b'0' { '1' } else { (last - 1) as char };
    Value::from(format!("{}{replaced}", &text[..text.len() - 1]))
}

#[test]
fn the_honest_unit_receipt_verifies_and_its_data_is_the_buyers() {
    let verifier = unit_verifier();
    let receipt = Receipt::from_json(&text("unit/receipt.json")).unwrap();
    let verified = verifier.verify(&receipt).expect("the honest receipt verifies");
    assert!(verified.insecure_dev_setup, "the fixture keys are a development setup");
    let (a, b, c) = (i8_matrix("unit/A.json"), i8_matrix("unit/B.json"), i32_matrix("unit/C.json"));
    verifier.verify_job(&receipt, &a, &b, Some(&c)).expect("A, B and C are the receipt's");
}

#[test]
fn a_receipt_of_another_version_is_refused() {
    verify_tampered(|_| {}).unwrap();
    let err = verify_tampered(|r| r["version"] = 2.into()).unwrap_err();
    assert!(matches!(err, VerifyError::UnsupportedVersion { found: 2, .. }), "{err}");
}

#[test]
fn a_receipt_for_another_key_is_refused() {
    let err = verify_tampered(|r| r["vk_id"] = "00".repeat(32).into()).unwrap_err();
    assert!(matches!(err, VerifyError::WrongVerifyingKey { .. }), "{err}");
}

#[test]
fn a_receipt_for_another_unit_is_refused() {
    let err = verify_tampered(|r| r["unit"] = "mm-i8-2x3x3".into()).unwrap_err();
    assert!(matches!(err, VerifyError::UnitMismatch { .. }), "{err}");
    let err = verify_tampered(|r| r["unit"] = "not a unit".into()).unwrap_err();
    assert!(matches!(err, VerifyError::UnitMismatch { .. }), "{err}");
}

#[test]
fn a_compute_unit_receipt_with_an_input_accumulator_is_refused() {
    let err = verify_tampered(|r| r["dcin"] = r["dc"].clone()).unwrap_err();
    assert!(matches!(err, VerifyError::MalformedReceipt(_)), "{err}");
}

#[test]
fn a_wrong_operation_count_is_refused() {
    let err = verify_tampered(|r| r["ops"] = (r["ops"].as_u64().unwrap() * 2).into()).unwrap_err();
    assert!(matches!(err, VerifyError::OpsMismatch { .. }), "{err}");
}

#[test]
fn a_receipt_that_hides_the_insecure_setup_is_refused() {
    let err = verify_tampered(|r| r["insecure_dev_setup"] = false.into()).unwrap_err();
    assert!(matches!(err, VerifyError::InsecureFlagMismatch { key: true, receipt: false }), "{err}");
}

#[test]
fn a_proof_that_is_not_hex_or_not_its_length_is_refused() {
    let err = verify_tampered(|r| r["proof"] = "zz".into()).unwrap_err();
    assert!(matches!(err, VerifyError::BadProofEncoding(_)), "{err}");
    let err = verify_tampered(|r| {
        let proof = r["proof"].as_str().unwrap().to_string();
        r["proof"] = proof[..proof.len() - 2].into();
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::BadProofEncoding(_)), "{err}");
}

#[test]
fn a_proof_point_off_the_curve_is_refused() {
    // The first point is A (compressed G1, 32 bytes); change its x coordinate's low byte.
    let err = verify_tampered(|r| {
        let mut proof = r["proof"].as_str().unwrap().to_string();
        let flipped = if &proof[..2] == "01" { "02" } else { "01" };
        proof.replace_range(..2, flipped);
        r["proof"] = proof.into();
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::InvalidProofPoint { point: "A", .. }), "{err}");
}

#[test]
fn a_changed_statement_fails_the_pairing_check() {
    for field in ["da", "db", "dc"] {
        let err = verify_tampered(|r| r[field] = other_element(&r[field])).unwrap_err();
        assert!(matches!(err, VerifyError::ProofRejected), "{field}: {err}");
    }
}

#[test]
fn a_public_input_that_is_not_a_canonical_field_element_is_refused() {
    // The BN254 scalar field's modulus itself, and a number with a leading zero.
    let modulus = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    let err = verify_tampered(|r| r["da"] = modulus.into()).unwrap_err();
    assert!(matches!(err, VerifyError::NonCanonicalInput { field: "da", .. }), "{err}");
    let err = verify_tampered(|r| r["db"] = format!("0{}", r["db"].as_str().unwrap()).into()).unwrap_err();
    assert!(matches!(err, VerifyError::NonCanonicalInput { field: "db", .. }), "{err}");
}

#[test]
fn malformed_receipt_json_is_refused_not_a_panic() {
    for bad in ["", "{", "[]", "null", "{\"version\": 1}"] {
        let err = unit_verifier().verify_json(bad).unwrap_err();
        assert!(matches!(err, VerifyError::MalformedReceipt(_)), "{bad:?}: {err}");
    }
    let err = verify_tampered(|r| r["surprise"] = 1.into()).unwrap_err();
    assert!(matches!(err, VerifyError::MalformedReceipt(_)), "unknown fields are refused: {err}");
    let repeated = text("unit/receipt.json").replacen("\"ops\":", "\"ops\": 1, \"ops\":", 1);
    let err = unit_verifier().verify_json(&repeated).unwrap_err();
    assert!(matches!(err, VerifyError::MalformedReceipt(_)), "a repeated key is refused: {err}");
}

#[test]
fn the_buyers_data_must_be_the_receipts() {
    let verifier = unit_verifier();
    let receipt = Receipt::from_json(&text("unit/receipt.json")).unwrap();
    let (a, b, c) = (i8_matrix("unit/A.json"), i8_matrix("unit/B.json"), i32_matrix("unit/C.json"));
    let mut other_a = a.clone();
    bump_i8(&mut other_a);
    let err = verifier.verify_job(&receipt, &other_a, &b, Some(&c)).unwrap_err();
    assert!(matches!(err, VerifyError::InputMismatch { input: "A", .. }), "{err}");
    let err = verifier.verify_job(&receipt, &b_as_a(&b, &a), &a_as_b(&a, &b), Some(&c)).unwrap_err();
    assert!(matches!(err, VerifyError::InputMismatch { .. }), "{err}");
    let mut other_c = c.clone();
    *other_c.get_mut(0, 0).unwrap() += 1;
    let err = verifier.verify_job(&receipt, &a, &b, Some(&other_c)).unwrap_err();
    assert!(matches!(err, VerifyError::OutputMismatch { .. }), "{err}");
    // A forged receipt with the buyer's true data is a rejected proof, not a data mismatch.
    let mut forged: Value = unit_receipt();
    forged["dc"] = other_element(&forged["dc"]);
    let forged = Receipt::from_json(&forged.to_string()).unwrap();
    let err = verifier.verify_job(&forged, &a, &b, Some(&c)).unwrap_err();
    assert!(matches!(err, VerifyError::ProofRejected), "{err}");
}

/// Changes one element of `m`.
fn bump_i8(m: &mut Matrix<i8>) {
    let first = m.get_mut(0, 0).unwrap();
    *first = first.wrapping_add(1);
}

/// B's values in A's shape (wrong data of the right shape).
fn b_as_a(b: &Matrix<i8>, a: &Matrix<i8>) -> Matrix<i8> {
    Matrix::from_fn(a.rows(), a.cols(), |i, j| b.data()[(i * a.cols() + j) % b.data().len()]).unwrap()
}

/// A's values in B's shape.
fn a_as_b(a: &Matrix<i8>, b: &Matrix<i8>) -> Matrix<i8> {
    Matrix::from_fn(b.rows(), b.cols(), |i, j| a.data()[(i * b.cols() + j) % a.data().len()]).unwrap()
}

#[test]
fn a_batch_verifies_together_and_names_each_bad_receipt() {
    let verifier = unit_verifier();
    let honest = Receipt::from_json(&text("unit/receipt.json")).unwrap();
    assert_eq!(verifier.verify_batch(&[honest.clone(), honest.clone()]).unwrap().len(), 2);
    let mut forged: Value = unit_receipt();
    forged["db"] = other_element(&forged["db"]);
    let forged = Receipt::from_json(&forged.to_string()).unwrap();
    let err = verifier.verify_batch(&[honest.clone(), forged, honest]).unwrap_err();
    match err {
        VerifyError::BatchFailed { failures, total } => {
            assert_eq!(total, 3);
            let indices: Vec<usize> = failures.iter().map(|(i, _)| *i).collect();
            assert_eq!(indices, vec![1], "only the forged receipt is named");
        }
        other => panic!("expected BatchFailed, got {other}"),
    }
}

#[test]
fn keys_that_do_not_match_their_manifest_are_refused() {
    let manifest = text("unit-keys/keys.json");
    let vk = std::fs::read(fixture("unit-keys/verifying_key.bin")).unwrap();
    let parsed = teraproof_verifier::KeyManifest::from_json(&manifest).unwrap();
    UnitVerifyingKey::from_manifest(&parsed, &vk).expect("the honest key loads");
    // A verifying key whose hash is not the manifest's vk_id.
    let other_vk = std::fs::read(fixture("job-keys/verifying_key.bin")).unwrap();
    let err = UnitVerifyingKey::from_manifest(&parsed, &other_vk).unwrap_err();
    assert!(matches!(err, VerifyError::BadKey(_)), "{err}");
    // A truncated key.
    let err = UnitVerifyingKey::from_manifest(&parsed, &vk[..vk.len() - 1]).unwrap_err();
    assert!(matches!(err, VerifyError::BadKey(_)), "{err}");
    // A manifest that is not JSON, or of an unknown format.
    assert!(teraproof_verifier::KeyManifest::from_json("{").is_err());
    let unknown = manifest.replace("teraproof-keys/3", "teraproof-keys/99");
    assert!(teraproof_verifier::KeyManifest::from_json(&unknown).is_err());
    // Keys of the withdrawn circuit, and keys from before circuit ids, each told apart.
    for (format, says) in [("teraproof-keys/1", "withdrawn"), ("teraproof-keys/2", "before keys carried a circuit id")]
    {
        let old = manifest.replace("teraproof-keys/3", format);
        let err = teraproof_verifier::KeyManifest::from_json(&old).unwrap_err();
        assert!(matches!(&err, VerifyError::BadKey(s) if s.contains(says)), "{err}");
    }
    // The circuit id: required, and 64 lowercase hex digits.
    for edit in [
        (|v: &mut Value| drop(v.as_object_mut().unwrap().remove("circuit_id"))) as fn(&mut Value),
        |v| v["circuit_id"] = "ab".into(),
        |v| v["circuit_id"] = v["circuit_id"].as_str().unwrap().to_uppercase().into(),
        |v| v["circuit_id"] = 5.into(),
    ] {
        let mut v: Value = serde_json::from_str(&manifest).unwrap();
        edit(&mut v);
        let err = teraproof_verifier::KeyManifest::from_json(&v.to_string()).unwrap_err();
        assert!(matches!(&err, VerifyError::BadKey(_)), "{err}");
    }
    // The insecure mark edited away with the seed or the warning kept, or the seed or
    // warning dropped from a key still marked insecure: contradictory, refused.
    let edits: [fn(&mut Value); 4] = [
        |v| v["insecure_dev_setup"] = false.into(),
        |v| {
            v["insecure_dev_setup"] = false.into();
            v.as_object_mut().unwrap().remove("dev_seed");
        },
        |v| {
            v.as_object_mut().unwrap().remove("dev_seed");
        },
        |v| {
            v.as_object_mut().unwrap().remove("warning");
        },
    ];
    for edit in edits {
        let mut v: Value = serde_json::from_str(&manifest).unwrap();
        edit(&mut v);
        let err = teraproof_verifier::KeyManifest::from_json(&v.to_string())
            .and_then(|m| UnitVerifyingKey::from_manifest(&m, &vk))
            .unwrap_err();
        assert!(matches!(err, VerifyError::BadKey(ref s) if s.contains("contradictory")), "{err}");
    }
}

fn job_verifier() -> JobVerifier {
    JobVerifier::load(&fixture("job-keys")).expect("the job keys load")
}

fn job_receipt() -> Value {
    serde_json::from_str(&text("job/job.json")).unwrap()
}

/// Verifies the job receipt JSON after `tamper` changed it, with the buyer's data.
fn verify_job_tampered(tamper: impl FnOnce(&mut Value)) -> Result<(), VerifyError> {
    let mut value = job_receipt();
    tamper(&mut value);
    let job = JobReceipt::from_json(&value.to_string())?;
    let (a, b, c) = (i8_matrix("job/A.json"), i8_matrix("job/B.json"), i32_matrix("job/C.json"));
    job_verifier().verify_gemm_job_with_data(&job, &a, &b, Some(&c)).map(|_| ())
}

fn units(job: &mut Value) -> &mut Vec<Value> {
    job["units"].as_array_mut().unwrap()
}

#[test]
fn the_honest_job_verifies_with_the_buyers_data() {
    verify_job_tampered(|_| {}).expect("the honest job verifies");
    let verified = job_verifier().verify_gemm_job_json(&text("job/job.json")).unwrap();
    assert_eq!(verified.units, 8);
}

#[test]
fn a_job_missing_a_unit_is_refused() {
    let err = verify_job_tampered(|job| {
        units(job).pop();
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::MissingUnit { .. }), "{err}");
}

#[test]
fn a_job_repeating_a_unit_is_refused() {
    let err = verify_job_tampered(|job| {
        let first = units(job)[0].clone();
        units(job)[1] = first;
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::RepeatedUnit { .. }), "{err}");
}

#[test]
fn a_job_with_its_units_out_of_order_is_refused() {
    let err = verify_job_tampered(|job| units(job).swap(0, 1)).unwrap_err();
    assert!(matches!(err, VerifyError::ReorderedUnit { .. }), "{err}");
}

#[test]
fn a_unit_receipt_that_belongs_to_another_position_is_refused() {
    // Unit (0, 0, 0)'s receipt put where unit (0, 1, 0) belongs, with that position's
    // label: its dB is B's tile (0, 0), not the (0, 1) that position needs.
    let err = verify_job_tampered(|job| {
        let target = units(job).iter().position(|u| u["i"] == 0 && u["j"] == 1 && u["t"] == 0).unwrap();
        let receipt = units(job)[0]["receipt"].clone();
        units(job)[target]["receipt"] = receipt;
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::TileDigestMismatch { matrix: "B", row: 0, col: 1, .. }), "{err}");
}

#[test]
fn a_job_whose_output_tiles_are_not_its_chains_ends_is_refused() {
    let err = verify_job_tampered(|job| job["c_tiles"][0][0] = other_element(&job["c_tiles"][0][0])).unwrap_err();
    assert!(matches!(err, VerifyError::TileDigestMismatch { matrix: "C", row: 0, col: 0, .. }), "{err}");
}

#[test]
fn a_job_about_other_inputs_is_refused_for_the_buyers_data() {
    let err = verify_job_tampered(|job| job["a_tiles"][0][0] = other_element(&job["a_tiles"][0][0])).unwrap_err();
    // The tile digest no longer matches the unit receipts' dA: a forged job.
    assert!(matches!(err, VerifyError::TileDigestMismatch { matrix: "A", row: 0, col: 0, .. }), "{err}");
    // The honest job with another buyer's A: a data mismatch naming the tile.
    let job = JobReceipt::from_json(&text("job/job.json")).unwrap();
    let (mut a, b) = (i8_matrix("job/A.json"), i8_matrix("job/B.json"));
    bump_i8(&mut a);
    let err = job_verifier().verify_gemm_job_with_data(&job, &a, &b, None).unwrap_err();
    assert!(matches!(err, VerifyError::InputMismatch { input: "A", .. }), "{err}");
    assert!(err.to_string().contains("tile (0, 0)"), "{err}");
}

#[test]
fn a_job_for_other_keys_or_another_shape_is_refused() {
    let err = verify_job_tampered(|job| job["keys"]["product"] = "00".repeat(32).into()).unwrap_err();
    assert!(matches!(err, VerifyError::JobKeyMismatch(_)), "{err}");
    let err = verify_job_tampered(|job| job["shape"]["m"] = 6.into()).unwrap_err();
    assert!(matches!(err, VerifyError::JobShapeMismatch(_)), "{err}");
    let err = verify_job_tampered(|job| job["insecure_dev_setup"] = false.into()).unwrap_err();
    assert!(matches!(err, VerifyError::InsecureFlagMismatch { .. }), "{err}");
}

#[test]
fn a_job_of_another_version_is_refused() {
    let err = verify_job_tampered(|job| job["version"] = 9.into()).unwrap_err();
    assert!(matches!(err, VerifyError::UnsupportedVersion { found: 9, .. }), "{err}");
}

#[test]
fn a_job_with_a_forged_unit_proof_is_refused_naming_the_unit() {
    verify_job_tampered(|_| {}).unwrap();
    let err = verify_job_tampered(|job| {
        // Swap the last unit's proof for the first one's: well-formed, but not its proof.
        let proof = units(job)[0]["receipt"]["proof"].clone();
        let last = units(job).len() - 1;
        units(job)[last]["receipt"]["proof"] = proof;
    })
    .unwrap_err();
    match err {
        VerifyError::UnitsRejected { failures } => {
            assert_eq!(failures.len(), 1, "{failures:?}");
            assert!(matches!(failures[0].1, VerifyError::ProofRejected), "{failures:?}");
        }
        other => panic!("expected UnitsRejected, got {other}"),
    }
}

#[test]
fn a_unit_receipt_of_another_unit_shape_is_a_foreign_unit() {
    verify_job_tampered(|_| {}).unwrap();
    let unit = unit_receipt();
    let err = verify_job_tampered(|job| units(job)[0]["receipt"] = unit).unwrap_err();
    assert!(matches!(err, VerifyError::ForeignUnit { index: 0, .. }), "{err}");
}

#[test]
fn a_chain_must_start_with_a_compute_unit() {
    // The receipts of steps 0 and 1 of tile (0, 0) exchanged, labels kept: step 0 is now
    // an accumulating unit.
    let err = verify_job_tampered(|job| {
        let (first, second) = (units(job)[0]["receipt"].clone(), units(job)[1]["receipt"].clone());
        units(job)[0]["receipt"] = second;
        units(job)[1]["receipt"] = first;
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::ChainNotFromZero { .. }), "{err}");
}

#[test]
fn a_chain_whose_steps_do_not_link_is_broken() {
    // Step 1 of tile (0, 0) starting from another accumulator than step 0's output.
    let err = verify_job_tampered(|job| {
        let dcin = units(job)[1]["receipt"]["dcin"].clone();
        units(job)[1]["receipt"]["dcin"] = other_element(&dcin);
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::BrokenChain { .. }), "{err}");
    assert!(err.to_string().contains("dCin is not the previous step's dCout"), "{err}");
    // Step 1 replaced by another chain's first step (a compute unit).
    let err = verify_job_tampered(|job| {
        let other = units(job)[2]["receipt"].clone();
        units(job)[1]["receipt"] = other;
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::BrokenChain { .. }), "{err}");
    assert!(err.to_string().contains("not an accumulating unit"), "{err}");
}

#[test]
fn a_unit_checked_on_its_own_must_be_the_jobs_unit_at_its_position() {
    // What a fleet coordinator does as each receipt arrives: the statement of the last
    // step of tile (i, j) comes from the job's tiles (dA = A's tile (i, 1), dB = B's
    // tile (1, j), dC = C's tile (i, j)) and the chain's previous step.
    let job = JobReceipt::from_json(&text("job/job.json")).unwrap();
    let at = |i: usize, j: usize, t: usize| job.units.iter().find(|u| (u.i, u.j, u.t) == (i, j, t)).unwrap();
    let statement = |i: usize, j: usize| UnitStatement {
        da: job.a_tiles[i][1],
        db: job.b_tiles[1][j],
        dcin: Some(at(i, j, 0).receipt.dc),
        dc: job.c_tiles[i][j],
    };
    let verifier = job_verifier();
    let pos = TilePos { i: 0, j: 1, t: 1 };
    verifier.verify_unit(pos, &statement(0, 1), &at(0, 1, 1).receipt).expect("the job's own unit verifies");
    // Another tile's last step, a valid receipt of the same kind, at this position.
    let err = verifier.verify_unit(pos, &statement(0, 1), &at(1, 1, 1).receipt).unwrap_err();
    assert!(matches!(err, VerifyError::NotThisUnit { pos: p } if p == pos), "{err}");
    // The chain's first step (a compute unit) in its second step's place.
    let err = verifier.verify_unit(pos, &statement(0, 1), &at(0, 1, 0).receipt).unwrap_err();
    assert!(matches!(err, VerifyError::NotThisUnit { .. }), "{err}");
}

// A keyring: each receipt checked by the key it names.

fn keyring() -> teraproof_verifier::Keyring {
    teraproof_verifier::Keyring::load(&[fixture("unit-keys"), fixture("job-keys"), fixture("job-keys/accumulate")])
        .expect("the fixture keys load")
}

#[test]
fn a_keyring_checks_each_receipt_with_the_key_it_names() {
    let ring = keyring();
    assert_eq!(ring.len(), 3);
    let unit = ring.verify_json(&text("unit/receipt.json")).unwrap();
    assert_eq!(unit.statement_id, unit_verifier().verify_json(&text("unit/receipt.json")).unwrap().statement_id);
    // The job's unit receipts are of two units (product and accumulate): each finds its key.
    let job = job_receipt();
    let mut kinds = std::collections::BTreeSet::new();
    for unit in job["units"].as_array().unwrap() {
        let verified = ring.verify_json(&unit["receipt"].to_string()).unwrap();
        kinds.insert(format!("{:?}", verified.kind));
    }
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    // Adding a key again is no change.
    let mut ring = ring;
    assert!(!ring.add(UnitVerifyingKey::load(&fixture("unit-keys")).unwrap()).unwrap());
    assert_eq!(ring.len(), 3);
}

#[test]
fn a_keyring_refuses_a_receipt_for_a_key_it_does_not_hold() {
    let ring = teraproof_verifier::Keyring::load(&[fixture("job-keys")]).unwrap();
    let e = ring.verify_json(&text("unit/receipt.json")).unwrap_err();
    assert!(matches!(&e, VerifyError::UnknownKey { held: 1, .. }), "{e}");
    // The id is quoted back cut, whatever its length.
    let mut r = unit_receipt();
    r["vk_id"] = Value::from("f".repeat(10_000));
    let e = keyring().verify_json(&r.to_string()).unwrap_err();
    assert!(matches!(&e, VerifyError::UnknownKey { vk_id, .. } if vk_id.chars().count() <= 81), "{e}");
    // A held key still checks everything else: a changed statement fails its pairing.
    let mut r = unit_receipt();
    r["dc"] = other_element(&r["dc"]);
    assert!(matches!(keyring().verify_json(&r.to_string()), Err(VerifyError::ProofRejected)));
}

#[test]
fn a_keyring_refuses_two_manifests_of_one_key_that_disagree() {
    let key = UnitVerifyingKey::load(&fixture("unit-keys")).unwrap();
    let relabelled =
        UnitVerifyingKey::new("mm-i8-3x3x3".parse().unwrap(), key.vk().clone(), key.insecure_dev_setup()).unwrap();
    let mut ring = teraproof_verifier::Keyring::new();
    assert!(ring.add(key).unwrap());
    assert!(matches!(ring.add(relabelled), Err(VerifyError::BadKey(m)) if m.contains("disagree")));
}
