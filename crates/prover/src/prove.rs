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
//! No constraint system is built when proving: the witness generator runs the circuit
//! code in direct mode, which yields the assignment `z` and every constraint's
//! evaluations `⟨Aᵢ,z⟩, ⟨Bᵢ,z⟩, ⟨Cᵢ,z⟩` (tested equal to the matrices'), and the QAP
//! quotient is computed from those ([`crate::qap`]). The five MSMs go through an
//! [`MsmBackend`]. Before a
//! receipt leaves this function its proof is verified with ark-groth16's verifier: no
//! backend can emit a proof that fails.

use std::time::Instant;

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::UniformRand;
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, Proof};
use ark_poly::EvaluationDomain;
use rand::{CryptoRng, RngCore};
use teraproof_circuits::{AccumulateCircuit, ComputeUnitCircuit, DirectWitness};
use teraproof_core::receipt::encode_hex;
use teraproof_core::{
    Matrix as DataMatrix, MatrixDigest, ProverInfo, Receipt, Timings, UnitKind, UnitSpec, RECEIPT_VERSION,
};
use teraproof_verifier::encode_proof;

use crate::compute::{ComputeBackend, CpuCompute};
use crate::error::{ProverError, Result};
use crate::keys::UnitKeys;
use crate::msm::{BaseSet, MsmBackend, PreparedBases};

/// The output of proving a unit: the product and its receipt.
pub struct ProofOutput {
    /// `C = A·B` (for an accumulating unit, `Cout = Cin + A·B`)
    pub c: DataMatrix<i32>,
    /// the receipt for `(A, B, C)`
    pub receipt: Receipt,
}

/// Proves one unit, again and again, with cached matrices and a chosen MSM backend.
pub struct Prover {
    keys: UnitKeys,
    vk_id: String,
    pvk: PreparedVerifyingKey<Bn254>,
    num_constraints: usize,
    num_instance: usize,
    backend: Box<dyn MsmBackend>,
    /// The proving key's queries as the backend prepared them (on a device: uploaded).
    bases: Queries,
    compute: Box<dyn ComputeBackend>,
}

/// The handles of the five queries the MSMs run over (see [`crate::msm`]).
struct Queries {
    h: PreparedBases,
    l: PreparedBases,
    a: PreparedBases,
    b_g1: PreparedBases,
    b_g2: PreparedBases,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

impl Prover {
    /// A prover for `keys` using `backend` for the MSMs; C is computed on the CPU
    /// unless [`Prover::with_compute`] says otherwise.
    pub fn new(keys: UnitKeys, backend: Box<dyn MsmBackend>) -> Result<Self> {
        let num_constraints = crate::keys::constraints_of(keys.kind(), keys.spec())?;
        // Instance variables: the constant one and the digests.
        let num_instance = 1 + keys.kind().public_inputs();
        let pk = keys.proving_key();
        let domain_size = crate::qap::domain(num_constraints, num_instance)?.size();
        if pk.a_query.len() != num_instance + pk.l_query.len()
            || pk.b_g1_query.len() != pk.a_query.len()
            || pk.b_g2_query.len() != pk.a_query.len()
            // arkworks' quotient has |H| − 1 coefficients; snarkjs' odd-coset values |H|.
            || pk.h_query.len() + usize::from(keys.manifest().qap.is_none()) != domain_size
        {
            return Err(ProverError::KeyFile(format!(
                "the proving key's sizes do not fit the circuit of {} ({} constraints)",
                keys.unit_id(),
                num_constraints
            )));
        }
        let vk_id = keys.verifying_key()?.id().to_string();
        let pvk = prepare_verifying_key(&pk.vk);
        // Each query once to the backend (a device uploads it here, not per proof). The
        // first element of A, B₁ and B₂ multiplies the constant one: added on the host.
        let bases = Queries {
            h: backend.prepare_g1(BaseSet::H, &pk.h_query)?,
            l: backend.prepare_g1(BaseSet::L, &pk.l_query)?,
            a: backend.prepare_g1(BaseSet::A, &pk.a_query[1..])?,
            b_g1: backend.prepare_g1(BaseSet::BG1, &pk.b_g1_query[1..])?,
            b_g2: backend.prepare_g2(BaseSet::BG2, &pk.b_g2_query[1..])?,
        };
        Ok(Self { keys, vk_id, pvk, num_constraints, num_instance, backend, bases, compute: Box::new(CpuCompute) })
    }

    /// Computes C with `compute` (see [`crate::Backend::compute`]).
    pub fn with_compute(mut self, compute: Box<dyn ComputeBackend>) -> Self {
        self.compute = compute;
        self
    }

    /// `C = A·B` with the chosen compute backend; if a device fails mid-run, the CPU
    /// takes over with a warning rather than losing the job. Returns the product and
    /// the backend and device that computed it.
    fn compute_product(
        &self,
        spec: &UnitSpec,
        a: &DataMatrix<i8>,
        b: &DataMatrix<i8>,
    ) -> Result<(DataMatrix<i32>, &'static str, String)> {
        crate::compute::compute_with_fallback(self.compute.as_ref(), spec, a, b)
    }

    /// `C = A·B` for matrices of any shape (a job's whole GEMM) with this prover's
    /// compute backend, the CPU taking over if the device fails. Returns the product,
    /// the backend's name and its device.
    pub fn compute(&self, a: &DataMatrix<i8>, b: &DataMatrix<i8>) -> Result<(DataMatrix<i32>, &'static str, String)> {
        let spec = UnitSpec::new(a.rows(), a.cols(), b.cols())?;
        self.compute_product(&spec, a, b)
    }

    /// The MSM backend's name (`cpu`, `cpu-arkworks`, `cuda`).
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The id of the unit this prover proves (`mm-i8-…` or `mma-i8-…`).
    pub fn unit_id(&self) -> String {
        self.keys.unit_id()
    }

    /// The shape of the unit this prover proves.
    pub fn spec(&self) -> &UnitSpec {
        self.keys.spec()
    }

    /// The kind of unit this prover proves.
    pub fn kind(&self) -> UnitKind {
        self.keys.kind()
    }

    /// The keys' manifest.
    pub fn manifest(&self) -> &teraproof_verifier::KeyManifest {
        self.keys.manifest()
    }

    /// The verifying key bound to its unit.
    pub fn verifying_key(&self) -> Result<teraproof_verifier::UnitVerifyingKey> {
        self.keys.verifying_key()
    }

    /// The verifying key's id.
    pub fn vk_id(&self) -> &str {
        &self.vk_id
    }

    /// Constraints in the unit's circuit.
    pub fn num_constraints(&self) -> usize {
        self.num_constraints
    }

    /// Computes `C = A·B` with the compute backend and proves it (compute-unit keys).
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        a: &DataMatrix<i8>,
        b: &DataMatrix<i8>,
        rng: &mut R,
    ) -> Result<ProofOutput> {
        self.require(UnitKind::Product)?;
        let spec = *self.spec();
        let _span = tracing::info_span!("prove", unit = %spec).entered();
        let total = Instant::now();
        let mut timings = Timings::default();
        let t = Instant::now();
        let (c, compute_backend, compute_device) = self.compute_product(&spec, a, b)?;
        timings.compute_ms = ms(t);
        let t = Instant::now();
        let direct = ComputeUnitCircuit::prover_witness(spec, a, b, &c)?;
        timings.witness_ms = ms(t);
        let receipt = self.prove_witness(direct, timings, total, compute_backend, compute_device, rng)?;
        Ok(ProofOutput { c, receipt })
    }

    /// Proves the compute unit for a `C` computed elsewhere (a job computes its whole
    /// product once). The proof verifies only if `C = A·B`; the self-check refuses
    /// anything else, so no false receipt leaves.
    pub fn prove_product<R: RngCore + CryptoRng>(
        &self,
        a: &DataMatrix<i8>,
        b: &DataMatrix<i8>,
        c: &DataMatrix<i32>,
        rng: &mut R,
    ) -> Result<Receipt> {
        self.prove_given(UnitKind::Product, |spec| ComputeUnitCircuit::prover_witness(spec, a, b, c), rng)
    }

    /// Proves the accumulating step `Cout = Cin + A·B` (accumulating-unit keys) for
    /// the `cout` given, after checking on the CPU that `Cin + A·B` is exact in int32
    /// ([`ProverError::AccumulationOverflow`] otherwise) and equals `cout`
    /// ([`ProverError::NotTheSum`]). The circuit alone would accept an overflowing
    /// step whose carry moved into the next element (see
    /// `teraproof_circuits::accumulate`), so this check is what keeps such a receipt
    /// from ever being made.
    pub fn prove_accumulate<R: RngCore + CryptoRng>(
        &self,
        a: &DataMatrix<i8>,
        b: &DataMatrix<i8>,
        cin: &DataMatrix<i32>,
        cout: &DataMatrix<i32>,
        rng: &mut R,
    ) -> Result<Receipt> {
        teraproof_core::matmul::check_inputs(self.spec(), a, b)?;
        let sum = accumulate(&self.keys.unit_id(), cin, &teraproof_core::matmul_cpu(a, b)?)?;
        if (sum.rows(), sum.cols()) != (cout.rows(), cout.cols()) || sum != *cout {
            return Err(ProverError::NotTheSum { unit: self.keys.unit_id() });
        }
        self.prove_given(UnitKind::Accumulate, |spec| AccumulateCircuit::prover_witness(spec, a, b, cin, cout), rng)
    }

    /// Proves the witness `witness` builds, for a product computed by the caller.
    fn prove_given<R: RngCore + CryptoRng>(
        &self,
        kind: UnitKind,
        witness: impl FnOnce(UnitSpec) -> teraproof_circuits::Result<DirectWitness>,
        rng: &mut R,
    ) -> Result<Receipt> {
        self.require(kind)?;
        let _span = tracing::info_span!("prove", unit = %self.keys.unit_id()).entered();
        let total = Instant::now();
        let mut timings = Timings::default();
        let t = Instant::now();
        let direct = witness(*self.spec())?;
        timings.witness_ms = ms(t);
        self.prove_witness(direct, timings, total, "given", "computed by the caller".into(), rng)
    }

    /// Computes `Cout = Cin + A·B` (the product with the compute backend, the sum
    /// exactly in i64) and proves it; an overflowing step is refused before proving.
    pub fn prove_accumulate_computed<R: RngCore + CryptoRng>(
        &self,
        a: &DataMatrix<i8>,
        b: &DataMatrix<i8>,
        cin: &DataMatrix<i32>,
        rng: &mut R,
    ) -> Result<ProofOutput> {
        self.require(UnitKind::Accumulate)?;
        let spec = *self.spec();
        let (product, _, _) = self.compute_product(&spec, a, b)?;
        let cout = accumulate(&self.keys.unit_id(), cin, &product)?;
        let receipt = self.prove_accumulate(a, b, cin, &cout, rng)?;
        Ok(ProofOutput { c: cout, receipt })
    }

    fn require(&self, asked: UnitKind) -> Result<()> {
        if self.kind() != asked {
            return Err(ProverError::WrongKind { unit: self.keys.unit_id(), keys: self.kind(), asked });
        }
        Ok(())
    }

    /// QAP, MSMs, self-check and receipt for a witness of this prover's circuit.
    fn prove_witness<R: RngCore + CryptoRng>(
        &self,
        direct: DirectWitness,
        mut timings: Timings,
        total: Instant,
        compute_backend: &str,
        compute_device: String,
        rng: &mut R,
    ) -> Result<Receipt> {
        let spec = *self.spec();
        let unit_id = self.keys.unit_id();
        let t = Instant::now();
        if direct.evaluations.len() != self.num_constraints || direct.assignment.instance.len() != self.num_instance {
            return Err(ProverError::KeyFile(format!("witness of {unit_id} does not fit its keys")));
        }
        let DirectWitness { assignment, evaluations } = direct;
        let instance = assignment.instance;
        let public: Vec<Fr> = instance[1..].to_vec();
        // z = instance ‖ witness, built by moving so only one copy stays alive.
        let mut full_assignment = instance.clone();
        full_assignment.extend(assignment.witness);
        timings.witness_ms += ms(t);

        let t = Instant::now();
        // Keys from a snarkjs zkey take its QAP convention (see `qap`).
        let h = if self.keys.manifest().qap.as_deref() == Some(teraproof_verifier::key::SNARKJS_QAP) {
            crate::qap::odd_coset_values(evaluations, &instance)?
        } else {
            crate::qap::quotient(evaluations, &instance)?
        };
        timings.qap_ms = ms(t);

        let t = Instant::now();
        let r = Fr::rand(rng);
        let s = Fr::rand(rng);
        let proof = self.assemble(&full_assignment, &h, r, s)?;
        timings.msm_ms = ms(t);

        match Groth16::<Bn254>::verify_proof(&self.pvk, &proof, &public) {
            Ok(true) => {}
            Ok(false) => {
                return Err(ProverError::SelfCheckFailed { unit: unit_id, reason: "pairing check failed".into() })
            }
            Err(e) => return Err(ProverError::SelfCheckFailed { unit: unit_id, reason: e.to_string() }),
        }
        timings.total_ms = ms(total);

        let digest = |i: usize| MatrixDigest(public[i]);
        let (dcin, dc) = match self.kind() {
            UnitKind::Product => (None, digest(2)),
            UnitKind::Accumulate => (Some(digest(2)), digest(3)),
        };
        let receipt = Receipt {
            version: RECEIPT_VERSION,
            unit: unit_id,
            da: digest(0),
            db: digest(1),
            dcin,
            dc,
            vk_id: self.vk_id.clone(),
            proof: encode_hex(&encode_proof(&proof)),
            ops: spec.ops(),
            insecure_dev_setup: self.keys.manifest().insecure_dev_setup,
            prover: ProverInfo {
                backend: self.backend.name().into(),
                device: self.backend.device(),
                compute_backend: compute_backend.into(),
                compute_device,
                timings,
                version: env!("CARGO_PKG_VERSION").into(),
            },
        };
        tracing::info!(unit = %receipt.unit, total_ms = receipt.prover.timings.total_ms, "proved");
        Ok(receipt)
    }

    /// The five MSMs and the proof's assembly (see the module docs).
    fn assemble(&self, z: &[Fr], h: &[Fr], r: Fr, s: Fr) -> Result<Proof<Bn254>> {
        let pk = self.keys.proving_key();
        let msm = &*self.backend;
        let z_rest = &z[1..];
        // The quotient has one coefficient per h_query base (its top one is zero); pad
        // with zeros should it come shorter, which adds nothing.
        let mut h = h[..pk.h_query.len().min(h.len())].to_vec();
        h.resize(pk.h_query.len(), <Fr as ark_ff::Zero>::zero());
        let timed = |set: BaseSet, f: &dyn Fn() -> Result<G1Projective>| {
            let t = Instant::now();
            let out = f();
            tracing::debug!(?set, ms = ms(t), "msm");
            out
        };
        let q = &self.bases;
        let h_acc = timed(BaseSet::H, &|| msm.msm_g1(&q.h, &pk.h_query, &h))?;
        // A, B₁, B₂ and L all multiply the assignment: one shared preparation.
        let t = Instant::now();
        let shared = msm.msm_shared(
            &[
                (&q.l, &pk.l_query, self.num_instance - 1),
                (&q.a, &pk.a_query[1..], 0),
                (&q.b_g1, &pk.b_g1_query[1..], 0),
            ],
            &[(&q.b_g2, &pk.b_g2_query[1..], 0)],
            z_rest,
        )?;
        tracing::debug!(ms = ms(t), "msm over the assignment (L, A, B1, B2)");
        let [l_acc, a_acc, b1_acc]: [G1Projective; 3] = shared.g1.try_into().map_err(|_| ProverError::Msm {
            backend: msm.name().into(),
            reason: "msm_shared returned the wrong number of G1 results".into(),
        })?;
        let b2_acc = *shared.g2.first().ok_or_else(|| ProverError::Msm {
            backend: msm.name().into(),
            reason: "msm_shared returned no G2 result".into(),
        })?;

        let delta_g1: G1Projective = pk.delta_g1.into();
        let g_a: G1Projective = a_acc + pk.a_query[0] + pk.vk.alpha_g1 + delta_g1 * r;
        let g1_b: G1Projective = b1_acc + pk.b_g1_query[0] + pk.beta_g1 + delta_g1 * s;
        let g2_b: G2Projective = b2_acc + pk.b_g2_query[0] + pk.vk.beta_g2 + pk.vk.delta_g2 * s;
        let g_c = g_a * s + g1_b * r - delta_g1 * (r * s) + l_acc + h_acc;
        Ok(Proof { a: g_a.into_affine(), b: g2_b.into_affine(), c: g_c.into_affine() })
    }
}

/// `Cin + P` element by element, exactly: an element outside int32 is refused with
/// [`ProverError::AccumulationOverflow`] (a chain from zero with K ≤ 2^17 − 1 never
/// overflows; see `teraproof_circuits::accumulate`).
pub fn accumulate(unit: &str, cin: &DataMatrix<i32>, product: &DataMatrix<i32>) -> Result<DataMatrix<i32>> {
    if (cin.rows(), cin.cols()) != (product.rows(), product.cols()) {
        return Err(ProverError::Circuit(teraproof_circuits::CircuitError::WitnessShape {
            unit: unit.into(),
            reason: format!("Cin is {}x{} but A·B is {}x{}", cin.rows(), cin.cols(), product.rows(), product.cols()),
        }));
    }
    let cols = cin.cols();
    let mut out = Vec::with_capacity(cin.data().len());
    for (f, (&x, &p)) in cin.data().iter().zip(product.data()).enumerate() {
        let value = x as i64 + p as i64;
        let v = i32::try_from(value).map_err(|_| ProverError::AccumulationOverflow {
            unit: unit.into(),
            row: f / cols,
            col: f % cols,
            value,
        })?;
        out.push(v);
    }
    Ok(DataMatrix::new(cin.rows(), cols, out)?)
}
