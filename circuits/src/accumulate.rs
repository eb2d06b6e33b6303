//! The accumulating unit: `Cout = Cin + A·B`, the step that chains standard units into
//! a product of any inner dimension (DESIGN §10, jobs).
//!
//! Public inputs, in order: `dA, dB, dCin, dCout`. A and B are allocated as bits
//! (range-checked, so their packing is injective), `Cin` and `Cout` **only as their
//! packed words** `w_g = Σ_t 2^(32t)·(C_{7g+t} + 2^31)`, the values hashed into their
//! digests; all four digests are recomputed in-circuit and equated to the inputs. With
//! the challenge `y = Poseidon(TAG_ACCUMULATE, dA, dB, dCin, dCout)` (its own tag, so
//! no challenge of the compute unit is one of this circuit's) and the weights
//! `ρ_f = 2^(32·t)·y^g` of the compute unit ([`crate::unit`]), the circuit enforces
//!
//! ```text
//!   Σ_g y^g·(wout_g − win_g)  =  Σ_f (A·B)_f·ρ_f
//! ```
//!
//! The constant `2^31` offsets of the two words cancel, so the left side reads the word
//! differences directly; the right side is computed exactly as in the compute unit.
//!
//! **Why this is sound.** Write `D_g = Σ_t 2^(32t)·(A·B)_{7g+t}` (a field element). The
//! right side is `Σ_g y^g·D_g`, so the check reads `Σ_g y^g·(wout_g − win_g − D_g) = 0`.
//! A and B (through the range checks and Poseidon's collision resistance) and both sets
//! of words (through dCin and dCout) are fixed before `y = H(TAG, dA, dB, dCin, dCout)`
//! exists, so unless `wout_g = win_g + D_g` for every group, `y` is a root of a nonzero
//! polynomial of degree `< ⌈mn/7⌉`: probability at most `(⌈mn/7⌉ − 1)/r` per hash
//! query. Hence, except with negligible probability, `wout_g = win_g + D_g` for all g.
//!
//! What that says about matrices needs one condition. **If `win` is the canonical
//! packing of an int32 matrix `Cin`** (each `Cin_f + 2^31 ∈ [0, 2^32)`) **and
//! `Cin + A·B` stays inside int32 element by element**, then
//! `win_g + D_g = Σ_t 2^(32t)·((Cin + A·B)_f + 2^31)` with every digit in `[0, 2^32)`:
//! the canonical packing of `Cin + A·B`. So `dCout` is the digest of `Cin + A·B`, and
//! again canonical, which is the hypothesis of the next step. **The int32 condition is
//! what makes the statement true, not a convenience**: when an element of `Cin + A·B`
//! leaves int32, `win_g + D_g` can still be the canonical packing of some int32
//! matrix, the overflow carried into the next element of the same word (with
//! `Cin_0 = 2^31 − 1` and `(A·B)_0 = 1`, the Cout with `Cout_0 = −2^31` and
//! `Cout_1 = Cin_1 + (A·B)_1 + 1` satisfies the circuit, as
//! `circuits/tests/accumulate_circuit.rs` shows). So the prover refuses any step whose exact sum leaves int32, and a verifier
//! relies only on steps whose int32 condition it can establish, as a job's chains do.
//!
//! **Chains from zero.** A job's chain starts with the compute unit, whose dC is the
//! digest of `A₁·B₁` in canonical form (see [`crate::unit`]); each accumulating step
//! then keeps the invariant "dC_t is the canonical digest of the partial sum
//! `Σ_{s ≤ t} A_s·B_s`". The int32 condition holds at every step because every
//! product of int8 values lies in `[−16256, 16384]` and a partial sum adds at most
//! `T·n` of them, and a job's padded inner dimension `T·n` is at most `2^17 − 1` (the tiling
//! refuses more; padding elements count too, since only a buyer can see that they are
//! zero), so
//! `|partial sum| ≤ 16384·(2^17 − 1) = 2^31 − 2^14 < 2^31`. A verifier that checks
//! one accumulating receipt alone learns only the conditional statement; the job
//! verifier checks the chain (step 1 a compute unit, each `dCin` the previous `dCout`).
//!
//! **Cost.** The compute unit's, plus the hashing of `Cin` (`⌈⌈mn/7⌉/11⌉` Poseidon
//! calls), one more digest equality, and a 5-input instead of a 4-input challenge hash:
//! about `2n² + 2n²/7` for the check plus `8·2n²` bits and the hashing of four
//! matrices, under 36·n² for CU-n with n ≥ 64 ([`accumulate_cost`], tested against
//! synthesis).
//!
//! Zero knowledge is a property of Groth16 on top of this circuit, not needed here (the
//! supplier holds the data anyway) but not harmful either.

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use teraproof_core::digest::{header_state, tag_accumulate};
use teraproof_core::{digest_matrix, Fr, Matrix, UnitSpec};

use crate::builder::{Assignment, Builder, DirectWitness, Expr};
use crate::digest::absorb_calls;
use crate::error::{CircuitError, Result};
use crate::pack::{alloc_int32_words, alloc_int8_matrix};
use crate::poseidon::{constraint_cost, PoseidonGadget};
use crate::unit::{
    bind_digests, enforce_inner_product, powers_of, product_check_cost, product_terms, sum, times_power,
    to_synthesis_error, CircuitCost, WordLayout,
};

/// The private data of an accumulating unit and the public digests it is claimed to
/// match. Elements are `i64` so that tests can build witnesses outside the ranges.
#[derive(Clone, Debug)]
pub struct AccumulateWitness {
    /// A, row major, `m·k` values (honestly int8)
    pub a: Vec<i64>,
    /// B, row major, `k·n` values (honestly int8)
    pub b: Vec<i64>,
    /// Cin, row major, `m·n` values (honestly int32)
    pub cin: Vec<i64>,
    /// Cout, row major, `m·n` values (honestly `Cin + A·B`, int32)
    pub cout: Vec<i64>,
    /// the public inputs `dA, dB, dCin, dCout`
    pub public: [Fr; 4],
}

fn shape_error(spec: &UnitSpec, reason: String) -> CircuitError {
    CircuitError::WitnessShape { unit: spec.id(), reason }
}

fn check_shapes(spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>, cin: &Matrix<i32>, cout: &Matrix<i32>) -> Result<()> {
    teraproof_core::matmul::check_inputs(spec, a, b)?;
    for (name, c) in [("Cin", cin), ("Cout", cout)] {
        if (c.rows(), c.cols()) != (spec.m(), spec.n()) {
            return Err(shape_error(
                spec,
                format!("{name} is {}x{}, expected {}x{}", c.rows(), c.cols(), spec.m(), spec.n()),
            ));
        }
    }
    Ok(())
}

impl AccumulateWitness {
    /// The witness for `A, B, Cin, Cout` with their digests as the public inputs.
    /// Shapes are checked; `Cout = Cin + A·B` is not (the circuit does that).
    pub fn new(spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>, cin: &Matrix<i32>, cout: &Matrix<i32>) -> Result<Self> {
        check_shapes(spec, a, b, cin, cout)?;
        Ok(Self {
            a: widen(a.data()),
            b: widen(b.data()),
            cin: widen(cin.data()),
            cout: widen(cout.data()),
            public: [digest_matrix(a).0, digest_matrix(b).0, digest_matrix(cin).0, digest_matrix(cout).0],
        })
    }

    fn check(&self, spec: &UnitSpec) -> Result<()> {
        let (m, k, n) = (spec.m(), spec.k(), spec.n());
        for (name, len, want) in [
            ("A", self.a.len(), m * k),
            ("B", self.b.len(), k * n),
            ("Cin", self.cin.len(), m * n),
            ("Cout", self.cout.len(), m * n),
        ] {
            if len != want {
                return Err(shape_error(spec, format!("{name} has {len} elements, expected {want}")));
            }
        }
        Ok(())
    }
}

fn widen<T: Copy + Into<i64>>(data: &[T]) -> Vec<i64> {
    data.iter().map(|&v| v.into()).collect()
}

/// The accumulating-unit circuit `Cout = Cin + A·B` (module docs).
#[derive(Clone, Debug)]
pub struct AccumulateCircuit {
    spec: UnitSpec,
    witness: Option<AccumulateWitness>,
}

impl AccumulateCircuit {
    /// The circuit without a witness, for key generation.
    pub fn for_setup(spec: UnitSpec) -> Self {
        Self { spec, witness: None }
    }

    /// The circuit with a witness; fails if the witness has the wrong shape.
    pub fn with_witness(spec: UnitSpec, witness: AccumulateWitness) -> Result<Self> {
        witness.check(&spec)?;
        Ok(Self { spec, witness: Some(witness) })
    }

    /// The honest circuit for `A, B, Cin, Cout`.
    pub fn new(spec: UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>, cin: &Matrix<i32>, cout: &Matrix<i32>) -> Result<Self> {
        Self::with_witness(spec, AccumulateWitness::new(&spec, a, b, cin, cout)?)
    }

    /// The unit's shape.
    pub fn spec(&self) -> &UnitSpec {
        &self.spec
    }

    /// `[dA, dB, dCin, dCout]` when a witness is present.
    pub fn public_inputs(&self) -> Option<[Fr; 4]> {
        self.witness.as_ref().map(|w| w.public)
    }

    /// The full assignment and every constraint's evaluations, computed directly.
    pub fn direct_witness(&self) -> Result<DirectWitness> {
        let builder = Builder::direct();
        self.synthesize(&builder, false)?;
        Ok(builder.into_direct().expect("a direct builder records a witness"))
    }

    /// The full R1CS assignment, computed directly.
    pub fn assignment(&self) -> Result<Assignment> {
        Ok(self.direct_witness()?.assignment)
    }

    /// The prover's witness: the public inputs are the digests the circuit computes
    /// (`instance[1..5]`), so the data is hashed once. Shapes are checked; the sum is
    /// not (the proof will only verify if `Cout = Cin + A·B`).
    pub fn prover_witness(
        spec: UnitSpec,
        a: &Matrix<i8>,
        b: &Matrix<i8>,
        cin: &Matrix<i32>,
        cout: &Matrix<i32>,
    ) -> Result<DirectWitness> {
        check_shapes(&spec, a, b, cin, cout)?;
        let witness = AccumulateWitness {
            a: widen(a.data()),
            b: widen(b.data()),
            cin: widen(cin.data()),
            cout: widen(cout.data()),
            public: [Fr::from(0u64); 4],
        };
        let circuit = Self::with_witness(spec, witness)?;
        let builder = Builder::direct();
        circuit.synthesize(&builder, true)?;
        Ok(builder.into_direct().expect("a direct builder records a witness"))
    }

    fn synthesize(&self, builder: &Builder, derive_public: bool) -> Result<()> {
        if derive_public && !builder.is_direct() {
            return Err(CircuitError::Synthesis(SynthesisError::AssignmentMissing));
        }
        let spec = &self.spec;
        let (m, k, n) = (spec.m(), spec.k(), spec.n());
        let witness = self.witness.as_ref();
        let claimed = |i: usize| if derive_public { Some(Fr::from(0u64)) } else { witness.map(|w| w.public[i]) };
        let mut public = Vec::with_capacity(4);
        for i in 0..4 {
            public.push(builder.input(claimed(i))?);
        }
        let a = alloc_int8_matrix(builder, m * k, witness.map(|w| w.a.as_slice()))?;
        let b = alloc_int8_matrix(builder, k * n, witness.map(|w| w.b.as_slice()))?;
        let cin = alloc_int32_words(builder, m * n, witness.map(|w| w.cin.as_slice()))?;
        let cout = alloc_int32_words(builder, m * n, witness.map(|w| w.cout.as_slice()))?;
        let c_header = header_state::<i32>(m, n);
        bind_digests(
            builder,
            &[
                (header_state::<i8>(m, k), a.packed.as_slice()),
                (header_state::<i8>(k, n), b.packed.as_slice()),
                (c_header, cin.packed.as_slice()),
                (c_header, cout.packed.as_slice()),
            ],
            &mut public,
            derive_public,
        )?;

        let layout = WordLayout::new(m, n);
        let mut challenge_inputs = vec![Expr::constant(tag_accumulate())];
        challenge_inputs.extend(public.iter().cloned());
        let y = PoseidonGadget::new(5)?.hash(builder, &challenge_inputs)?;
        let powers = powers_of(builder, &y, layout.words)?;
        // Σ_g y^g·(wout_g − win_g): the offsets cancel.
        let differences = cout
            .packed
            .iter()
            .zip(&cin.packed)
            .enumerate()
            .map(|(g, (wout, win))| times_power(builder, &powers, g, &wout.sub(win)))
            .collect::<Result<Vec<_>>>()?;
        let lhs = sum(&differences);
        let (xs, ys) = product_terms(builder, k, n, &layout, &a.elements, &b.elements, &y, &powers)?;
        enforce_inner_product(builder, &xs, &ys, &lhs)
    }
}

impl ConstraintSynthesizer<Fr> for AccumulateCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> std::result::Result<(), SynthesisError> {
        self.synthesize(&Builder::new(cs), false).map_err(to_synthesis_error)
    }
}

/// The exact constraint count of the accumulating unit for `spec` (its `freivalds`
/// field counts the challenge and product check; `naive_constraints` is what the
/// textbook check, one constraint per multiply-add, would cost with the same binding).
pub fn accumulate_cost(spec: &UnitSpec) -> Result<CircuitCost> {
    let (m, k, n) = (spec.m(), spec.k(), spec.n());
    let absorb = constraint_cost(teraproof_core::digest::ABSORB_RATE + 1)?;
    let range_check = 8 * (m * k + k * n);
    let c_calls = absorb_calls((m * n).div_ceil(7));
    let hashing = absorb * (absorb_calls((m * k).div_ceil(31)) + absorb_calls((k * n).div_ceil(31)) + 2 * c_calls);
    let digest_equalities = 4;
    let binding = range_check + hashing + digest_equalities;
    let freivalds = constraint_cost(5)? + product_check_cost(m, k, n);
    Ok(CircuitCost {
        constraints: binding + freivalds,
        naive_constraints: binding + m * n * k,
        range_check,
        hashing,
        freivalds,
        digest_equalities,
        public_inputs: 4,
    })
}
