//! The second proof path: `C = A·B` by a sumcheck over committed matrices, beside the
//! Groth16 unit. The protocol, its padding and its soundness argument are stated once,
//! in `teraproof_verifier::sumcheck`; here are the prover's halves:
//!
//! - [`srs`]: the SRS (G1 powers from a `.ptau`, or the insecure dev SRS) and its
//!   directory on disk;
//! - [`prove`]: commitments through the MSM backend trait (so the CUDA MSM serves them),
//!   the sumcheck, the batched openings, and the self-check.
//!
//! No proving key beyond the SRS, any shape the SRS is long enough for.

pub mod prove;
pub mod srs;

pub use prove::{SumcheckOutput, SumcheckProver};
pub use srs::Srs;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msm::CpuMsm;
    use ark_ff::{BigInteger, PrimeField};
    use serde_json::Value;
    use teraproof_core::receipt::{decode_hex, encode_hex};
    use teraproof_core::{matmul_cpu, Matrix, UnitSpec};
    use teraproof_verifier::sumcheck::receipt::check_commitments;
    use teraproof_verifier::sumcheck::{Dims, SumcheckReceipt};
    use teraproof_verifier::VerifyError;

    fn matrix(rows: usize, cols: usize, seed: i64) -> Matrix<i8> {
        Matrix::from_fn(rows, cols, |i, j| (((i as i64 * 31 + j as i64 * 17 + seed * 7) % 255) - 127) as i8).unwrap()
    }

    struct Case {
        prover: SumcheckProver,
        receipt: SumcheckReceipt,
        a: Matrix<i8>,
        b: Matrix<i8>,
        c: Matrix<i32>,
    }

    fn case(m: usize, k: usize, n: usize) -> Case {
        let spec = UnitSpec::new(m, k, n).unwrap();
        let srs = Srs::dev(7, Dims::of(m, k, n).max_len()).unwrap();
        let prover = SumcheckProver::new(srs, Box::new(CpuMsm));
        let (a, b) = (matrix(m, k, 1), matrix(k, n, 2));
        let c = matmul_cpu(&a, &b).unwrap();
        let receipt = prover.prove(&spec, &a, &b, &c).unwrap().receipt;
        Case { prover, receipt, a, b, c }
    }

    /// Verifies the receipt after `tamper` changed its JSON.
    fn verify_tampered(case: &Case, tamper: impl FnOnce(&mut Value)) -> Result<(), VerifyError> {
        let mut value: Value = serde_json::from_str(&case.receipt.to_json()).unwrap();
        tamper(&mut value);
        case.prover.srs().key.verify_json(&value.to_string()).map(|_| ())
    }

    /// Changes the proof's bytes with `edit`.
    fn with_proof(value: &mut Value, edit: impl FnOnce(&mut Vec<u8>)) {
        let mut bytes = decode_hex(value["proof"].as_str().unwrap()).unwrap();
        edit(&mut bytes);
        value["proof"] = encode_hex(&bytes).into();
    }

    /// Adds one to the field element at byte `at` of the proof (it stays canonical).
    fn bump_fr(bytes: &mut [u8], at: usize) {
        let x =
            teraproof_verifier::sumcheck::proof::fr_from_le(&bytes[at..at + 32]).unwrap() + ark_bn254::Fr::from(1u64);
        bytes[at..at + 32].copy_from_slice(&x.into_bigint().to_bytes_le());
    }

    /// Whether `err` is one of the protocol's own rejections (not a parse error).
    fn rejects_the_proof(err: &VerifyError) -> bool {
        matches!(
            err,
            VerifyError::SumcheckRound { .. }
                | VerifyError::SumcheckFinal
                | VerifyError::OpeningFold { .. }
                | VerifyError::OpeningRejected
        )
    }

    #[test]
    fn honest_receipts_verify_for_many_shapes_and_the_buyers_data_matches() {
        for (m, k, n) in [(1, 1, 1), (1, 5, 3), (4, 1, 4), (3, 5, 7), (8, 8, 8), (2, 16, 1), (5, 3, 2)] {
            let case = case(m, k, n);
            let (_, statement) = case.prover.srs().key.verify_json(&case.receipt.to_json()).unwrap();
            let dims = statement.dims();
            let own = case.prover.commitments_of(dims, Some(&case.a), Some(&case.b), Some(&case.c)).unwrap();
            check_commitments(&statement, own).unwrap_or_else(|e| panic!("{m}x{k}x{n}: {e}"));
        }
    }

    #[test]
    fn a_changed_output_element_is_refused() {
        let case = case(3, 5, 7);
        // The buyer's C differs in one element: its commitment is not the receipt's.
        let statement = case.receipt.statement().unwrap();
        let mut c = case.c.clone();
        *c.get_mut(1, 2).unwrap() += 1;
        let own = case.prover.commitments_of(statement.dims(), None, None, Some(&c)).unwrap();
        assert!(matches!(check_commitments(&statement, own), Err(VerifyError::CommitmentMismatch { matrix: "C" })));
        // A receipt whose C commitment is recomputed for the changed C: the proof fails.
        let forged = case.prover.commit_i32(&c, 4, 8).unwrap();
        let hex = SumcheckReceipt::commitments_hex(&[forged, forged, forged]).c;
        let err = verify_tampered(&case, |r| r["commitments"]["c"] = hex.into()).unwrap_err();
        assert!(rejects_the_proof(&err), "{err}");
        // And a prover asked to prove the wrong C refuses to emit a receipt.
        let spec = UnitSpec::new(3, 5, 7).unwrap();
        let err = case.prover.prove(&spec, &case.a, &case.b, &c).err().unwrap().to_string();
        assert!(err.contains("does not verify"), "{err}");
    }

    #[test]
    fn swapped_or_foreign_commitments_are_refused() {
        let case = case(4, 4, 4);
        let err = verify_tampered(&case, |r| {
            let a = r["commitments"]["a"].clone();
            r["commitments"]["a"] = r["commitments"]["b"].clone();
            r["commitments"]["b"] = a;
        })
        .unwrap_err();
        assert!(rejects_the_proof(&err), "{err}");
        let other = case_with_seed(4, 4, 4, 9);
        let theirs = other.receipt.commitments.clone();
        let err = verify_tampered(&case, |r| r["commitments"]["a"] = theirs.a.into()).unwrap_err();
        assert!(rejects_the_proof(&err), "{err}");
        // Another shape's receipt under this one's unit name.
        let err = verify_tampered(&case, |r| r["unit"] = "mm-i8-4x4x5".into()).unwrap_err();
        assert!(matches!(err, VerifyError::UnitMismatch { .. }), "{err}");
        let err = verify_tampered(&case, |r| {
            r["unit"] = "mm-i8-4x4x3".into();
            r["shape"]["n"] = 3.into();
        })
        .unwrap_err();
        // Same padded shape (n = 3 pads to 4): the transcript differs, so the proof fails.
        assert!(rejects_the_proof(&err), "{err}");
    }

    fn case_with_seed(m: usize, k: usize, n: usize, seed: i64) -> Case {
        let spec = UnitSpec::new(m, k, n).unwrap();
        let srs = Srs::dev(7, Dims::of(m, k, n).max_len()).unwrap();
        let prover = SumcheckProver::new(srs, Box::new(CpuMsm));
        let (a, b) = (matrix(m, k, seed), matrix(k, n, seed + 1));
        let c = matmul_cpu(&a, &b).unwrap();
        let receipt = prover.prove(&spec, &a, &b, &c).unwrap().receipt;
        Case { prover, receipt, a, b, c }
    }

    #[test]
    fn a_wrong_round_polynomial_or_final_evaluation_is_refused() {
        let case = case(4, 8, 4);
        // Byte layout: claim (32), rounds (3 × 3 × 32), eval_a, eval_b, ...
        let err = verify_tampered(&case, |r| with_proof(r, |p| bump_fr(p, 32 + 96))).unwrap_err();
        assert!(matches!(err, VerifyError::SumcheckRound { round: 1 }), "{err}");
        // g(2) of the last round changed: the sums still match, the final claim does not.
        let err = verify_tampered(&case, |r| with_proof(r, |p| bump_fr(p, 32 + 96 * 2 + 64))).unwrap_err();
        assert!(matches!(err, VerifyError::SumcheckFinal), "{err}");
        let err = verify_tampered(&case, |r| with_proof(r, |p| bump_fr(p, 32 + 96 * 3))).unwrap_err();
        assert!(matches!(err, VerifyError::SumcheckFinal), "{err}");
        // The claim itself.
        let err = verify_tampered(&case, |r| with_proof(r, |p| bump_fr(p, 0))).unwrap_err();
        assert!(matches!(err, VerifyError::SumcheckRound { round: 0 }), "{err}");
    }

    #[test]
    fn a_tampered_opening_is_refused() {
        let case = case(4, 8, 4);
        let dims = Dims::of(4, 8, 4);
        let total = dims.proof_bytes();
        let evals_start = 32 * (1 + 9 + 2) + 32 * (dims.vars().iter().sum::<usize>() - 3);
        // An opening evaluation (f₁(r) of A): a fold check fails.
        let err = verify_tampered(&case, |r| with_proof(r, |p| bump_fr(p, evals_start + 96))).unwrap_err();
        assert!(matches!(err, VerifyError::OpeningFold { matrix: "A", .. }), "{err}");
        // f₀(r²) of A takes part in no fold check: only the pairing catches it.
        let err = verify_tampered(&case, |r| with_proof(r, |p| bump_fr(p, evals_start + 64))).unwrap_err();
        assert!(matches!(err, VerifyError::OpeningRejected), "{err}");
        // A quotient replaced by another valid point.
        let err = verify_tampered(&case, |r| {
            with_proof(r, |p| {
                let other = p[total - 64..total - 32].to_vec();
                p[total - 32..].copy_from_slice(&other);
            })
        })
        .unwrap_err();
        assert!(matches!(err, VerifyError::OpeningRejected), "{err}");
    }

    #[test]
    fn malformed_proofs_are_refused_not_a_panic() {
        let case = case(3, 5, 7);
        let total = Dims::of(3, 5, 7).proof_bytes();
        let err = verify_tampered(&case, |r| with_proof(r, |p| p.truncate(total - 1))).unwrap_err();
        assert!(matches!(err, VerifyError::BadProofEncoding(_)), "{err}");
        let err = verify_tampered(&case, |r| with_proof(r, |p| p.push(0))).unwrap_err();
        assert!(matches!(err, VerifyError::BadProofEncoding(_)), "{err}");
        // A field element not below r.
        let err = verify_tampered(&case, |r| with_proof(r, |p| p[..32].fill(0xff))).unwrap_err();
        assert!(matches!(err, VerifyError::BadProofEncoding(ref s) if s.contains("not below r")), "{err}");
        // The last quotient replaced by an x with no point on the curve, then by an x ≥ q.
        let off_curve = (1u64..)
            .map(ark_bn254::Fq::from)
            .find(|x| ark_bn254::G1Affine::get_point_from_x_unchecked(*x, false).is_none())
            .unwrap();
        let err = verify_tampered(&case, |r| {
            with_proof(r, |p| p[total - 32..].copy_from_slice(&off_curve.into_bigint().to_bytes_le()))
        })
        .unwrap_err();
        assert!(matches!(err, VerifyError::InvalidProofPoint { .. }), "{err}");
        let err = verify_tampered(&case, |r| {
            with_proof(r, |p| p[total - 32..].copy_from_slice(&ark_bn254::Fq::MODULUS.to_bytes_le()))
        })
        .unwrap_err();
        assert!(matches!(err, VerifyError::InvalidProofPoint { .. }), "{err}");
        let err = verify_tampered(&case, |r| with_proof(r, |p| p[total - 32..].fill(0xff))).unwrap_err();
        assert!(matches!(err, VerifyError::InvalidProofPoint { .. }), "{err}");
        let err = verify_tampered(&case, |r| r["proof"] = "0g".into()).unwrap_err();
        assert!(matches!(err, VerifyError::BadProofEncoding(_)), "{err}");
        let err = verify_tampered(&case, |r| r["commitments"]["a"] = "ff".repeat(32).into()).unwrap_err();
        assert!(matches!(err, VerifyError::InvalidProofPoint { .. }), "{err}");
    }

    #[test]
    fn a_1x1x1_receipt_has_no_rounds_and_each_constant_is_checked() {
        let case = case(1, 1, 1);
        // claim, e_A, e_B, then 3 polynomials × 3 values, then 3 quotients.
        assert_eq!(Dims::of(1, 1, 1).proof_bytes(), 32 * 3 + 32 * 9 + 32 * 3);
        let err = verify_tampered(&case, |r| with_proof(r, |p| bump_fr(p, 0))).unwrap_err();
        assert!(matches!(err, VerifyError::SumcheckFinal), "{err}");
        for (poly, matrix) in [(0usize, "A"), (1, "B"), (2, "C")] {
            for value in 0..3 {
                let at = 96 + 96 * poly + 32 * value;
                let err = verify_tampered(&case, |r| with_proof(r, |p| bump_fr(p, at))).unwrap_err();
                assert!(matches!(err, VerifyError::OpeningFold { matrix: m, fold: 0 } if m == matrix), "{err}");
            }
        }
    }

    #[test]
    fn the_provers_commitments_are_the_verifier_crates() {
        let case = case(3, 5, 7);
        let statement = case.receipt.statement().unwrap();
        let powers = &case.prover.srs().powers;
        teraproof_verifier::sumcheck::commit::check_data(
            &statement,
            powers,
            Some(&case.a),
            Some(&case.b),
            Some(&case.c),
        )
        .unwrap();
        let via_verifier = teraproof_verifier::sumcheck::commit::commit_matrix(powers, &case.c, 4, 8).unwrap();
        assert_eq!(via_verifier, case.prover.commit_i32(&case.c, 4, 8).unwrap());
    }

    #[test]
    fn the_receipt_names_its_srs_and_its_insecure_mark() {
        let case = case(2, 2, 2);
        let err = verify_tampered(&case, |r| r["srs"] = "00".repeat(32).into()).unwrap_err();
        assert!(matches!(err, VerifyError::WrongVerifyingKey { .. }), "{err}");
        let err = verify_tampered(&case, |r| r["insecure_dev_setup"] = false.into()).unwrap_err();
        assert!(matches!(err, VerifyError::InsecureFlagMismatch { .. }), "{err}");
        let err = verify_tampered(&case, |r| r["version"] = 2.into()).unwrap_err();
        assert!(matches!(err, VerifyError::UnsupportedVersion { found: 2, .. }), "{err}");
        let err = verify_tampered(&case, |r| r["kind"] = "groth16".into()).unwrap_err();
        assert!(matches!(err, VerifyError::MalformedReceipt(_)), "{err}");
        // Another SRS (another τ) verifies nothing of this one's.
        let other = Srs::dev(8, 4).unwrap();
        assert!(matches!(other.key.verify_json(&case.receipt.to_json()), Err(VerifyError::WrongVerifyingKey { .. })));
    }
}
