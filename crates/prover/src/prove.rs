//! The proving pipeline: compute `C = A·B` → R1CS witness → QAP → MSMs → proof.
//!
//! With the R1CS assignment `z = (1, dA, dB, dC, w)` and the QAP quotient `h`, the
//! proof for randomness `r, s` is
//!
//! ```text
//!   A = α + Σ zᵢ·aᵢ + r·δ                               (G1)
//!   B = β + Σ zᵢ·bᵢ + s·δ                               (G2, and in G1 for C)
//!   C = Σ wᵢ·lᵢ + Σ hᵢ·hᵢ(τ)t(τ)/δ + s·A + r·B₁ − r·s·δ  (G1)
//! ```
//!
//! The constraint matrices are synthesised once per [`Prover`] and reused; each proof
//! only computes an assignment. The five MSMs go through an [`MsmBackend`]. Before a
//! receipt leaves this function its proof is verified with ark-groth16's verifier: no
//! backend can emit a proof that fails.

use std::time::Instant;

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::UniformRand;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, Proof};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    predicate::polynomial_constraint::R1CS_PREDICATE_LABEL, ConstraintSynthesizer, ConstraintSystem, Matrix,
    OptimizationGoal, SynthesisMode,
};
use rand::{CryptoRng, RngCore};
use teraproof_circuits::ComputeUnitCircuit;
use teraproof_core::receipt::encode_hex;
use teraproof_core::{compute_unit_cpu, Matrix as DataMatrix, ProverInfo, Receipt, Timings, UnitSpec, RECEIPT_VERSION};
use teraproof_verifier::encode_proof;

use crate::backend::{BaseSet, MsmBackend};
use crate::error::{ProverError, Result};
use crate::keys::UnitKeys;

/// A unit's R1CS matrices `(A, B, C)` with the sizes the QAP needs.
pub struct R1csMatrices {
    /// the three matrices, row per constraint
    pub matrices: [Matrix<Fr>; 3],
    /// instance variables including the constant one
    pub num_instance: usize,
    /// number of constraints
    pub num_constraints: usize,
}

impl R1csMatrices {
    /// Synthesises the unit's circuit in setup mode and extracts its matrices.
    pub fn for_unit(spec: UnitSpec) -> Result<Self> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        ComputeUnitCircuit::for_setup(spec).generate_constraints(cs.clone())?;
        cs.finalize();
        let mut all = cs.to_matrices()?;
        let r1cs = all
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or_else(|| ProverError::KeyFile("circuit has no R1CS predicate".into()))?;
        let [a, b, c]: [Matrix<Fr>; 3] = r1cs
            .try_into()
            .map_err(|_| ProverError::KeyFile("R1CS predicate is not of arity 3".into()))?;
        Ok(Self {
            matrices: [a, b, c],
            num_instance: cs.num_instance_variables(),
            num_constraints: cs.num_constraints(),
        })
    }
}

/// The output of proving a unit: the product and its receipt.
pub struct ProofOutput {
    /// `C = A·B`
    pub c: DataMatrix<i32>,
    /// the receipt for `(A, B, C)`
    pub receipt: Receipt,
}

/// Proves one unit, again and again, with cached matrices and a chosen MSM backend.
pub struct Prover {
    keys: UnitKeys,
    vk_id: String,
    pvk: PreparedVerifyingKey<Bn254>,
    r1cs: R1csMatrices,
    backend: Box<dyn MsmBackend>,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

impl Prover {
    /// A prover for `keys` using `backend` for the MSMs.
    pub fn new(keys: UnitKeys, backend: Box<dyn MsmBackend>) -> Result<Self> {
        let r1cs = R1csMatrices::for_unit(*keys.spec())?;
        let pk = keys.proving_key();
        if pk.a_query.len() != r1cs.num_instance + pk.l_query.len() {
            return Err(ProverError::KeyFile(format!(
                "proving key has {} variables but the circuit of {} has {}",
                pk.a_query.len(),
                keys.spec(),
                r1cs.num_instance + pk.l_query.len()
            )));
        }
        let vk_id = keys.verifying_key()?.id().to_string();
        let pvk = prepare_verifying_key(&pk.vk);
        Ok(Self {
            keys,
            vk_id,
            pvk,
            r1cs,
            backend,
        })
    }

    /// The unit this prover proves.
    pub fn spec(&self) -> &UnitSpec {
        self.keys.spec()
    }

    /// Constraints in the unit's circuit.
    pub fn num_constraints(&self) -> usize {
        self.r1cs.num_constraints
    }

    /// Computes `C = A·B` on the CPU and proves it.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        a: &DataMatrix<i8>,
        b: &DataMatrix<i8>,
        rng: &mut R,
    ) -> Result<ProofOutput> {
        let spec = *self.spec();
        let _span = tracing::info_span!("prove", unit = %spec).entered();
        let total = Instant::now();
        let mut timings = Timings::default();

        let t = Instant::now();
        let c = compute_unit_cpu(&spec, a, b)?;
        timings.compute_ms = ms(t);

        let t = Instant::now();
        let circuit = ComputeUnitCircuit::new(spec, a, b, &c)?;
        let public = circuit.public_inputs().expect("circuit has a witness");
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        circuit.generate_constraints(cs.clone())?;
        let full_assignment = {
            let inner = cs.borrow().expect("constraint system is live");
            let mut z = inner.instance_assignment()?.to_vec();
            z.extend_from_slice(inner.witness_assignment()?);
            z
        };
        drop(cs);
        timings.witness_ms = ms(t);

        let t = Instant::now();
        let h = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
            &self.r1cs.matrices,
            self.r1cs.num_instance,
            self.r1cs.num_constraints,
            &full_assignment,
        )?;
        timings.qap_ms = ms(t);

        let t = Instant::now();
        let r = Fr::rand(rng);
        let s = Fr::rand(rng);
        let proof = self.assemble(&full_assignment, &h, r, s)?;
        timings.msm_ms = ms(t);

        let inputs = [public[0], public[1], public[2]];
        match Groth16::<Bn254>::verify_proof(&self.pvk, &proof, &inputs) {
            Ok(true) => {}
            Ok(false) => {
                return Err(ProverError::SelfCheckFailed {
                    unit: spec.id(),
                    reason: "pairing check failed".into(),
                })
            }
            Err(e) => {
                return Err(ProverError::SelfCheckFailed {
                    unit: spec.id(),
                    reason: e.to_string(),
                })
            }
        }
        timings.total_ms = ms(total);

        let [da, db, dc] = public.map(teraproof_core::MatrixDigest);
        let receipt = Receipt {
            version: RECEIPT_VERSION,
            unit: spec.id(),
            da,
            db,
            dc,
            vk_id: self.vk_id.clone(),
            proof: encode_hex(&encode_proof(&proof)),
            ops: spec.ops(),
            insecure_dev_setup: self.keys.manifest().insecure_dev_setup,
            prover: ProverInfo {
                backend: self.backend.name().into(),
                device: self.backend.device(),
                timings,
                version: env!("CARGO_PKG_VERSION").into(),
            },
        };
        tracing::info!(unit = %spec, total_ms = receipt.prover.timings.total_ms, "proved");
        Ok(ProofOutput { c, receipt })
    }

    /// The five MSMs and the proof's assembly (see the module docs).
    fn assemble(&self, z: &[Fr], h: &[Fr], r: Fr, s: Fr) -> Result<Proof<Bn254>> {
        let pk = self.keys.proving_key();
        let msm = &*self.backend;
        let num_instance = self.r1cs.num_instance;
        let witness = &z[num_instance..];
        let z_rest = &z[1..];
        let h = &h[..pk.h_query.len().min(h.len())];

        let h_acc = msm.msm_g1(BaseSet::H, &pk.h_query[..h.len()], h)?;
        let l_acc = msm.msm_g1(BaseSet::L, &pk.l_query, witness)?;
        let a_acc = msm.msm_g1(BaseSet::A, &pk.a_query[1..], z_rest)?;
        let b1_acc = msm.msm_g1(BaseSet::BG1, &pk.b_g1_query[1..], z_rest)?;
        let b2_acc = msm.msm_g2(BaseSet::BG2, &pk.b_g2_query[1..], z_rest)?;

        let delta_g1: G1Projective = pk.delta_g1.into();
        let g_a: G1Projective = a_acc + pk.a_query[0] + pk.vk.alpha_g1 + delta_g1 * r;
        let g1_b: G1Projective = b1_acc + pk.b_g1_query[0] + pk.beta_g1 + delta_g1 * s;
        let g2_b: G2Projective = b2_acc + pk.b_g2_query[0] + pk.vk.beta_g2 + pk.vk.delta_g2 * s;
        let g_c = g_a * s + g1_b * r - delta_g1 * (r * s) + l_acc + h_acc;
        Ok(Proof {
            a: g_a.into_affine(),
            b: g2_b.into_affine(),
            c: g_c.into_affine(),
        })
    }
}
