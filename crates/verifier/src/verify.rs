//! Verification of receipts, one at a time or in batches.
//!
//! A receipt is accepted only when, in this order: its JSON parses with the supported
//! version; its public inputs are canonical (never reduced modulo r); it names this
//! verifier's key id and unit (and carries `dcin` exactly when the unit accumulates),
//! with the unit's op count;
//! the proof decodes to points on the curve (B in the prime-order subgroup of G2); and
//! finally the Groth16 pairing equation
//!
//! ```text
//!   e(A, B) = e(α, β) · e(IC, γ) · e(C, δ),   IC = γ_abc₀ + dA·γ_abc₁ + dB·γ_abc₂ + dC·γ_abc₃
//! ```
//!
//! (for an accumulating unit `IC = γ_abc₀ + dA·γ_abc₁ + dB·γ_abc₂ + dCin·γ_abc₃ +
//! dCout·γ_abc₄`, and its receipt must carry `dcin`; a compute unit's must not).
//!
//! holds. A batch checks `Σρᵢ·(equation i)` with one multi-Miller loop and one final
//! exponentiation; the weights `ρᵢ` are 128-bit values derived by SHA-256 from the
//! whole batch (Fiat–Shamir), so a supplier cannot pick proofs that cancel. When a
//! batch fails, each receipt is checked alone so that the bad ones are named.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::Zero;
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, Proof};
use sha2::{Digest, Sha256};
use teraproof_core::{digest_matrix, Matrix, Receipt, UnitKind, UnitSpec};

use crate::error::{quoted, Result, VerifyError};
use crate::key::UnitVerifyingKey;
use crate::prelude::*;
use crate::proof::decode_proof;

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `unit:dA:dB:dC` (`unit:dA:dB:dCin:dCout` for an accumulating unit), the
    /// receipt's identity (never the proof bytes)
    pub statement_id: String,
    /// the unit proven
    pub unit: UnitSpec,
    /// the kind of unit (a compute unit or an accumulating step)
    pub kind: UnitKind,
    /// true when the keys came from a development setup (forgeable by the seed's holder)
    pub insecure_dev_setup: bool,
}

/// Verifies receipts against one unit's verifying key.
pub struct Verifier {
    key: UnitVerifyingKey,
    pvk: PreparedVerifyingKey<Bn254>,
}

/// A receipt that passed every check but the pairing.
struct Checked {
    proof: Proof<Bn254>,
    inputs: Vec<Fr>,
    proof_bytes: [u8; teraproof_core::PROOF_BYTES],
    statement_id: String,
}

impl Verifier {
    /// A verifier for `key`.
    pub fn new(key: UnitVerifyingKey) -> Self {
        let pvk = prepare_verifying_key(key.vk());
        Self { key, pvk }
    }

    /// The key this verifier holds.
    pub fn key(&self) -> &UnitVerifyingKey {
        &self.key
    }

    fn check(&self, receipt: &Receipt) -> Result<Checked> {
        use teraproof_core::RECEIPT_VERSION;
        if receipt.version != RECEIPT_VERSION {
            return Err(VerifyError::UnsupportedVersion { found: receipt.version, supported: RECEIPT_VERSION });
        }
        if receipt.vk_id != self.key.id() {
            return Err(VerifyError::WrongVerifyingKey {
                expected: self.key.id().to_string(),
                found: quoted(&receipt.vk_id),
            });
        }
        let unit = self.key.unit();
        let unit_id = self.key.unit_id();
        let claimed = receipt
            .kind_and_spec()
            .map_err(|_| VerifyError::UnitMismatch { expected: unit_id.clone(), found: quoted(&receipt.unit) })?;
        if claimed != (self.key.kind(), *unit) || receipt.unit != unit_id {
            return Err(VerifyError::UnitMismatch { expected: unit_id, found: quoted(&receipt.unit) });
        }
        match (self.key.kind(), receipt.dcin.is_some()) {
            (UnitKind::Product, true) => {
                return Err(VerifyError::MalformedReceipt("a compute unit's receipt has no `dcin`".into()))
            }
            (UnitKind::Accumulate, false) => {
                return Err(VerifyError::MalformedReceipt("an accumulating unit's receipt needs `dcin`".into()))
            }
            _ => {}
        }
        if receipt.ops != unit.ops() {
            return Err(VerifyError::OpsMismatch { unit: unit.id(), expected: unit.ops(), found: receipt.ops });
        }
        if receipt.insecure_dev_setup != self.key.insecure_dev_setup() {
            return Err(VerifyError::InsecureFlagMismatch {
                key: self.key.insecure_dev_setup(),
                receipt: receipt.insecure_dev_setup,
            });
        }
        let proof_bytes = receipt.proof_bytes()?;
        let proof = decode_proof(&proof_bytes)?;
        Ok(Checked { proof, inputs: receipt.public_inputs(), proof_bytes, statement_id: receipt.statement_id() })
    }

    fn verified(&self, statement_id: String) -> Verified {
        Verified {
            statement_id,
            unit: *self.key.unit(),
            kind: self.key.kind(),
            insecure_dev_setup: self.key.insecure_dev_setup(),
        }
    }

    /// Verifies one receipt.
    pub fn verify(&self, receipt: &Receipt) -> Result<Verified> {
        let checked = self.check(receipt)?;
        let ok = Groth16::<Bn254>::verify_proof(&self.pvk, &checked.proof, &checked.inputs)
            .map_err(|e| VerifyError::MalformedReceipt(format!("public inputs: {e}")))?;
        if !ok {
            return Err(VerifyError::ProofRejected);
        }
        tracing::debug!(statement = %checked.statement_id, "receipt verified");
        Ok(self.verified(checked.statement_id))
    }

    /// Parses (strictly) and verifies one receipt's JSON.
    pub fn verify_json(&self, text: &str) -> Result<Verified> {
        let receipt = Receipt::from_json(text)?;
        self.verify(&receipt)
    }

    /// A buyer's whole check of a job: the receipt verifies ([`Self::verify`]), its dA
    /// and dB are the digests of the `a` and `b` the buyer sent, and, when the output
    /// was delivered, its dC is the digest of `c`. The proof is checked first, so a
    /// forged receipt is [`VerifyError::ProofRejected`] (or another rejection) rather
    /// than a data mismatch.
    pub fn verify_job(
        &self,
        receipt: &Receipt,
        a: &Matrix<i8>,
        b: &Matrix<i8>,
        c: Option<&Matrix<i32>>,
    ) -> Result<Verified> {
        let verified = self.verify(receipt)?;
        self.check_inputs(receipt, Some(a), Some(b))?;
        if let Some(c) = c {
            self.check_output(receipt, c)?;
        }
        Ok(verified)
    }

    /// Checks that the given inputs are the ones the receipt speaks of (their digests are
    /// dA and dB); a matrix not given is not checked. A receipt only proves that *its*
    /// dC is the product of *its* dA and dB, so a buyer passes the A and B it sent, or a
    /// valid proof about other inputs passes ([`Self::verify_job`] does both checks).
    pub fn check_inputs(&self, receipt: &Receipt, a: Option<&Matrix<i8>>, b: Option<&Matrix<i8>>) -> Result<()> {
        for (input, matrix, claimed) in [("A", a, &receipt.da), ("B", b, &receipt.db)] {
            let Some(matrix) = matrix else { continue };
            let found = digest_matrix(matrix);
            if &found != claimed {
                return Err(VerifyError::InputMismatch {
                    input,
                    expected: claimed.to_string(),
                    found: found.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Checks that `c` is the output the receipt speaks of (its digest is dC).
    pub fn check_output(&self, receipt: &Receipt, c: &Matrix<i32>) -> Result<()> {
        let found = digest_matrix(c);
        if found != receipt.dc {
            return Err(VerifyError::OutputMismatch { expected: receipt.dc.to_string(), found: found.to_string() });
        }
        Ok(())
    }

    /// Verifies many receipts with one final exponentiation. On failure the error is
    /// [`VerifyError::BatchFailed`], naming each bad receipt (by index) and its reason.
    pub fn verify_batch(&self, receipts: &[Receipt]) -> Result<Vec<Verified>> {
        let mut failures = Vec::new();
        let mut checked = Vec::with_capacity(receipts.len());
        for (i, r) in receipts.iter().enumerate() {
            match self.check(r) {
                Ok(c) => checked.push((i, c)),
                Err(e) => failures.push((i, e)),
            }
        }
        if !checked.is_empty() && !self.batch_equation_holds(&checked)? {
            // Name the culprits: check each remaining receipt alone.
            for (i, c) in &checked {
                let ok = Groth16::<Bn254>::verify_proof(&self.pvk, &c.proof, &c.inputs).unwrap_or(false);
                if !ok {
                    failures.push((*i, VerifyError::ProofRejected));
                }
            }
            if failures.is_empty() {
                // Every receipt verifies alone but the batch did not: impossible unless
                // the weights hit a negligible event; refuse rather than guess.
                failures.push((checked[0].0, VerifyError::ProofRejected));
            }
        }
        if !failures.is_empty() {
            failures.sort_by_key(|(i, _)| *i);
            return Err(VerifyError::BatchFailed { total: receipts.len(), failures });
        }
        Ok(checked.into_iter().map(|(_, c)| self.verified(c.statement_id)).collect())
    }

    fn batch_weights(&self, checked: &[(usize, Checked)]) -> Vec<Fr> {
        let mut h = Sha256::new();
        h.update(b"teraproof.batch.v1");
        h.update(self.key.id().as_bytes());
        for (_, c) in checked {
            h.update((c.statement_id.len() as u64).to_le_bytes());
            h.update(c.statement_id.as_bytes());
            h.update(c.proof_bytes);
        }
        let seed = h.finalize();
        (0..checked.len() as u64)
            .map(|i| {
                let d = Sha256::new().chain_update(seed).chain_update(i.to_le_bytes()).finalize();
                let rho = u128::from_le_bytes(d[..16].try_into().expect("16 bytes"));
                Fr::from(rho.max(1))
            })
            .collect()
    }

    fn batch_equation_holds(&self, checked: &[(usize, Checked)]) -> Result<bool> {
        let weights = self.batch_weights(checked);
        let vk = self.key.vk();
        // Σρᵢ·ICᵢ = γ_abc₀·Σρᵢ + Σⱼ γ_abcⱼ·(Σᵢ ρᵢ·xᵢⱼ): three scalar multiplications for
        // the whole batch instead of three per receipt.
        let mut input_weights = vec![Fr::zero(); self.key.kind().public_inputs()];
        let mut rho_sum = Fr::zero();
        for ((_, c), rho) in checked.iter().zip(&weights) {
            rho_sum += rho;
            for (w, x) in input_weights.iter_mut().zip(&c.inputs) {
                *w += *rho * x;
            }
        }
        let mut ic_bases = vec![vk.gamma_abc_g1[0]];
        ic_bases.extend_from_slice(&vk.gamma_abc_g1[1..=input_weights.len()]);
        let mut ic_scalars = vec![rho_sum];
        ic_scalars.extend_from_slice(&input_weights);
        let ic_sum = G1Projective::msm_unchecked(&ic_bases, &ic_scalars);
        let c_points: Vec<G1Affine> = checked.iter().map(|(_, c)| c.proof.c).collect();
        let c_sum = G1Projective::msm_unchecked(&c_points, &weights);

        let scaled_a: Vec<G1Projective> = checked.iter().zip(&weights).map(|((_, c), rho)| c.proof.a * rho).collect();
        let mut g1 = G1Projective::normalize_batch(&scaled_a);
        let mut g2: Vec<<Bn254 as Pairing>::G2Prepared> =
            checked.iter().map(|(_, c)| G2Affine::from(c.proof.b).into()).collect();
        // e(ΣρIC, −γ) and e(ΣρC, −δ) use the key's negated prepared points.
        g1.push(ic_sum.into_affine());
        g2.push(self.pvk.gamma_g2_neg_pc.clone());
        g1.push(c_sum.into_affine());
        g2.push(self.pvk.delta_g2_neg_pc.clone());
        let lhs = Bn254::multi_miller_loop(g1, g2);
        // A Miller loop value of zero cannot be an honest batch's: treat it as a failed
        // equation, so that the caller names the bad receipts one by one.
        let Some(lhs) = Bn254::final_exponentiation(lhs) else { return Ok(false) };
        let rhs = PairingOutput::<Bn254>(self.pvk.alpha_g1_beta_g2);
        Ok(lhs == rhs.mul_bigint(ark_ff::PrimeField::into_bigint(rho_sum)))
    }
}
