//! Fuzz target over everything a supplier or a peer can hand a verifier: receipt JSON,
//! proof bytes, digests, snarkjs files, key manifests, key bytes, matrix JSON and job
//! receipts.
//!
//! Beyond "never panics", it checks three invariants against an honest receipt
//! (fixture/, made with `teraproof setup --dev-seed 1` and `teraproof prove`):
//! - a proof with flipped bytes verifies only if the bytes are unchanged or the
//!   result is rejected (a different *valid* proof would need a forger);
//! - a changed digest never verifies (soundness), and one `≥ r` is refused as
//!   non-canonical, never reduced;
//! - a batch verifies exactly when every receipt in it verifies alone.
//!
//! And for the sumcheck path (fixture from `crates/verifier/tests/fixtures/sumcheck/`):
//! receipts, SRS manifests and G1 powers through their parsers, and the honest proof
//! with flipped bytes verifies only if no byte changed (every byte of it is bound).
#![no_main]

use std::sync::OnceLock;

use ark_ff::PrimeField;
use libfuzzer_sys::fuzz_target;
use teraproof_core::{MatrixDigest, Receipt};
use teraproof_verifier::sumcheck::{SrsKey, SumcheckReceipt};
use teraproof_verifier::{decode_proof, snarkjs, KeyManifest, UnitVerifyingKey, Verifier, VerifyError};

struct Fixture {
    verifier: Verifier,
    honest: Receipt,
    srs: SrsKey,
    sumcheck: SumcheckReceipt,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let manifest = KeyManifest::from_json(include_str!("../fixture/keys.json")).expect("fixture manifest");
        let key = UnitVerifyingKey::from_manifest(&manifest, include_bytes!("../fixture/verifying_key.bin"))
            .expect("fixture key");
        let honest = Receipt::from_json(include_str!("../fixture/receipt.json")).expect("fixture receipt");
        let verifier = Verifier::new(key);
        verifier.verify(&honest).expect("the fixture receipt is honest");
        let srs = SrsKey::from_manifest_json(include_str!("../../crates/verifier/tests/fixtures/sumcheck/srs.json"))
            .expect("fixture SRS key");
        let sumcheck =
            SumcheckReceipt::from_json(include_str!("../../crates/verifier/tests/fixtures/sumcheck/receipt.json"))
                .expect("fixture sumcheck receipt");
        srs.verify(&sumcheck).expect("the fixture sumcheck receipt is honest");
        Fixture { verifier, honest, srs, sumcheck }
    })
}

fn with_proof(receipt: &Receipt, proof: &[u8]) -> Receipt {
    let mut r = receipt.clone();
    r.proof = proof.iter().map(|b| format!("{b:02x}")).collect();
    r
}

/// Mode 0: arbitrary bytes and text into every parser.
fn parse_everything(data: &[u8]) {
    let f = fixture();
    if let Ok(text) = std::str::from_utf8(data) {
        // A document with a repeated key is never a receipt, whichever copy counts.
        let unique = teraproof_core::json::check_unique_keys(text);
        if Receipt::from_json(text).is_ok() {
            assert!(unique.is_ok(), "a receipt with a repeated key parsed: {unique:?}");
        }
        // What a job check does with matrices a buyer or supplier hands over: never a
        // pass for matrices other than the fixture's own.
        if let Ok(m) = teraproof_core::Matrix::<i8>::from_json(text) {
            let _ = f.verifier.verify_job(&f.honest, &m, &m, None);
        }
        if let Ok(c) = teraproof_core::Matrix::<i32>::from_json(text) {
            let _ = f.verifier.check_output(&f.honest, &c);
        }
        let _ = f.verifier.verify_json(text);
        // Job receipts: the strict parser, and a job verifier over the fixture's unit
        // (it has no accumulating key, so only single-step jobs can get far).
        if let Ok(job) = teraproof_core::JobReceipt::from_json(text) {
            assert!(unique.is_ok(), "a job receipt with a repeated key parsed: {unique:?}");
            if let Ok(jobs) = teraproof_verifier::JobVerifier::new(f.verifier.key().clone(), None) {
                let _ = jobs.verify_gemm_job(&job);
            }
        }
        // The sumcheck path's receipt and SRS manifest parsers, and a full check.
        if SumcheckReceipt::from_json(text).is_ok() {
            assert!(unique.is_ok(), "a sumcheck receipt with a repeated key parsed: {unique:?}");
        }
        let _ = f.srs.verify_json(text);
        if let Ok(key) = SrsKey::from_manifest_json(text) {
            let _ = key.verify(&f.sumcheck);
        }
        let _ = snarkjs::proof_from_json(text);
        let _ = snarkjs::public_from_json(text);
        let _ = snarkjs::verification_key_from_json(text);
        if let Ok(m) = KeyManifest::from_json(text) {
            let _ = UnitVerifyingKey::from_manifest(&m, include_bytes!("../fixture/verifying_key.bin"));
        }
    }
    let _ = teraproof_verifier::sumcheck::commit::powers_from_bytes(&f.srs, data, data.len() / 64);
    let _ = teraproof_verifier::sumcheck::MatmulProof::from_bytes(f.sumcheck.statement().expect("fixture").dims(), data);
    let unit = f.verifier.key().unit();
    let _ = UnitVerifyingKey::from_bytes(*unit, data, false);
    if let Ok(bytes) = <[u8; 128]>::try_from(data) {
        let _ = decode_proof(&bytes);
    }
}

/// Mode 1: XOR `data` into the honest proof's bytes.
fn flip_proof(data: &[u8]) {
    let f = fixture();
    let mut proof = f.honest.proof_bytes().expect("honest proof decodes");
    for (byte, x) in proof.iter_mut().zip(data) {
        *byte ^= x;
    }
    let unchanged = data.iter().take(128).all(|&x| x == 0);
    let result = f.verifier.verify(&with_proof(&f.honest, &proof));
    if unchanged {
        assert!(result.is_ok(), "the honest proof stopped verifying: {result:?}");
    }
}

/// Mode 4: XOR `data` into the honest sumcheck proof's bytes: it verifies exactly when
/// nothing changed.
fn flip_sumcheck_proof(data: &[u8]) {
    let f = fixture();
    let mut proof = teraproof_core::receipt::decode_hex(&f.sumcheck.proof).expect("honest proof decodes");
    let mut changed = false;
    for (byte, x) in proof.iter_mut().zip(data) {
        *byte ^= x;
        changed |= *x != 0;
    }
    let mut r = f.sumcheck.clone();
    r.proof = teraproof_core::receipt::encode_hex(&proof);
    let result = f.srs.verify(&r);
    assert_eq!(result.is_ok(), !changed, "sumcheck proof changed: {changed}, verification: {result:?}");
}

/// A 256-bit big-endian integer in decimal.
fn to_decimal(be: &[u8; 32]) -> String {
    let mut n = be.to_vec();
    let mut digits = Vec::new();
    while n.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("ASCII digits")
}

/// Mode 2: replace one digest by 32 bytes of `data` read big endian.
fn change_digest(data: &[u8]) {
    let f = fixture();
    let (Some(&which), Some(bytes)) = (data.first(), data.get(1..33)) else { return };
    let be: [u8; 32] = bytes.try_into().expect("32 bytes");
    let limbs: [u64; 4] =
        core::array::from_fn(|i| u64::from_be_bytes(be[24 - 8 * i..32 - 8 * i].try_into().expect("8 bytes")));
    let field = ["da", "db", "dc"][usize::from(which % 3)];
    let mut r = f.honest.clone();
    let slot = match field {
        "da" => &mut r.da,
        "db" => &mut r.db,
        _ => &mut r.dc,
    };
    match ark_bn254::Fr::from_bigint(ark_ff::BigInt::new(limbs)) {
        Some(x) => {
            let changed = x != slot.0;
            *slot = MatrixDigest(x);
            let result = f.verifier.verify(&r);
            assert_eq!(result.is_ok(), !changed, "digest {field} changed: {changed}, verification: {result:?}");
        }
        None => {
            // ≥ r cannot be held by the type: substitute it in the receipt's text.
            let old = format!("\"{field}\": \"{}\"", slot);
            let text = f.honest.to_json();
            assert!(text.contains(&old), "receipt JSON layout changed");
            let forged = text.replace(&old, &format!("\"{field}\": \"{}\"", to_decimal(&be)));
            let result = f.verifier.verify_json(&forged);
            assert!(matches!(result, Err(VerifyError::NonCanonicalInput { .. })), "{field} ≥ r: {result:?}");
        }
    }
}

/// Mode 3: a batch of the honest receipt and proof-flipped copies verifies exactly
/// when each of its receipts verifies alone.
fn batch_agrees_with_singles(data: &[u8]) {
    let f = fixture();
    let honest_proof = f.honest.proof_bytes().expect("honest proof decodes");
    let receipts: Vec<Receipt> = data
        .chunks(3)
        .take(3)
        .map(|c| {
            let mut proof = honest_proof;
            if let [pos, x, ..] = *c {
                proof[usize::from(pos) % 128] ^= x;
            }
            with_proof(&f.honest, &proof)
        })
        .collect();
    let singles_ok = receipts.iter().all(|r| f.verifier.verify(r).is_ok());
    let batch = f.verifier.verify_batch(&receipts);
    assert_eq!(batch.is_ok(), singles_ok, "batch {batch:?} disagrees with single verification");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    // Parsing is where malformed input meets the most code, and it is cheap; the four
    // modes that end in a pairing check get one eighth of the inputs each.
    match mode % 8 {
        0..=3 => parse_everything(rest),
        4 => flip_sumcheck_proof(rest),
        5 => flip_proof(rest),
        6 => change_digest(rest),
        _ => batch_agrees_with_singles(rest),
    }
});
