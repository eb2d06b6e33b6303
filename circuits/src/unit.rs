//! The compute-unit circuit (DESIGN §4, with the change below) and the textbook
//! circuit it is measured against.
//!
//! Public inputs, in order: `dA, dB, dC`. Both circuits first *bind* the witness to
//! them: A and B are allocated as bits (range-checked), C as the circuit chooses (see
//! [`crate::pack`]), and the three digests are recomputed in-circuit and equated to the
//! public inputs.
//!
//! [`ComputeUnitCircuit`] then checks `C = A·B` with a Freivalds-style test at a
//! challenge derived from the statement, `y = Poseidon(TAG_FREIVALDS, dA, dB, dC)`. It
//! witnesses C **only as its packed words** `w_g = Σ_t 2^(32t)·(C_{7g+t} + 2^31)` (flat
//! row-major index `f = 7g + t`), the very values hashed into dC, and weights element
//! `f` of a matrix by
//!
//! ```text
//!   ρ_f = 2^(32·t) · y^g        (g, t) = (⌊f/7⌋, f mod 7)
//! ```
//!
//! so that `Σ_f C_f·ρ_f = Σ_g y^g·(w_g − o_g)`, with `o_g` the constant `2^31` offsets of
//! group `g`, is linear in the words. The circuit enforces
//!
//! ```text
//!   Σ_g y^g·(w_g − o_g)  =  Σ_f (A·B)_f·ρ_f
//! ```
//!
//! **Why this is sound.** Let `P_g` be the canonical packing of `A·B` (canonical because
//! `k < 2^17` keeps every entry of `A·B` inside int32). Then the right-hand side equals
//! `Σ_g y^g·(P_g − o_g)`, so the check reads `Σ_g y^g·(w_g − P_g) = 0`. The words, A and
//! B are fixed by dA, dB, dC (Poseidon's collision resistance, and the bit range checks
//! that make A's and B's packing injective) before `y = H(TAG, dA, dB, dC)` exists. So
//! unless `w_g = P_g` for every group, `y` is a root of a nonzero polynomial of degree
//! `< ⌈mn/7⌉`: probability at most `(⌈mn/7⌉ − 1)/r` per hash query. Hence
//! **dC is the digest of `A·B`**, whether or not anyone ever delivers C; a buyer who
//! receives a C checks it against dC (`Verifier::check_output`, `verify --c`).
//!
//! An earlier version witnessed every element of C as a field element, without range
//! checks, and ran Freivalds row by row over those elements. Its packing was not
//! injective over field elements, so the words (and dC) did not fix the elements: after
//! learning `y` a prover could shift `2^32·s` between neighbouring elements of a false
//! C′ and pass every row. Keys from that circuit (key format 1) are refused.
//!
//! **Cost.** `ρ` factors over rows and columns: with `f = i·n + j`, `a_i = (i·n) mod 7`
//! and `b_i = ⌊i·n/7⌋`, `ρ_f = y^(b_i)·φ(a_i + j)` where `φ(e) = 2^(32·(e mod 7))·y^⌊e/7⌋`.
//! Writing `j = 7h + s`,
//!
//! ```text
//!   R_ks    = Σ_h B_{k,7h+s}·y^h                        k·(n − min(n,7)) products
//!   q^(a)_k = Σ_s 2^(32·((a+s) mod 7))·(R_ks or y·R_ks)  linear, y·R_ks: ≤ 6k products
//!   p^(a)_k = Σ_{i: a_i = a} y^(b_i)·A_ik                ≤ m·k products
//!   Σ_f (A·B)_f·ρ_f = Σ_a Σ_k p^(a)_k·q^(a)_k            ≤ 7k products
//! ```
//!
//! (`y·R_ks` replaces `R_ks` in class `a` exactly when `a + s ≥ 7`), plus `⌈mn/7⌉` powers
//! of `y` and as many products on the left: about `2n² + 2n²/7` for CU-n.
//!
//! [`NaiveMatmulCircuit`] witnesses every element of C and proves every multiply-add:
//! `C_ij = Σ_k A_ik·B_kj`, `m·n·k` constraints. Those constraints pin each element to an
//! exact product inside int32, which is what makes its element-wise packing sound.

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use teraproof_core::digest::{header_state, tag_freivalds};
use teraproof_core::{digest_matrix, Fr, Matrix, MatrixDigest, UnitSpec};

use crate::builder::{Assignment, Builder, DirectWitness, Expr};
use crate::digest::{absorb_calls, digest_gadget};
use crate::error::{CircuitError, Result};
use crate::pack::{alloc_int32_matrix, alloc_int32_words, alloc_int8_matrix, int32_word_offset, pow2, Int32Matrix};
use crate::poseidon::{constraint_cost, PoseidonGadget};
use ark_ff::One;

/// The private data of a unit and the public digests it is claimed to match.
///
/// Elements are held as `i64` so that tests can build witnesses that break the
/// int8/int32 ranges; [`UnitWitness::new`] builds the honest one.
#[derive(Clone, Debug)]
pub struct UnitWitness {
    /// A, row major, `m·k` values (honestly in int8)
    pub a: Vec<i64>,
    /// B, row major, `k·n` values (honestly in int8)
    pub b: Vec<i64>,
    /// C, row major, `m·n` values (honestly `A·B` in int32)
    pub c: Vec<i64>,
    /// the public inputs `dA, dB, dC`
    pub public: [Fr; 3],
}

impl UnitWitness {
    /// The witness for matrices A, B, C, with their digests as the public inputs.
    /// Shapes are checked against the unit; C is *not* checked against `A·B` (the
    /// circuit does that).
    pub fn new(spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>, c: &Matrix<i32>) -> Result<Self> {
        check_shapes(spec, a, b, c)?;
        Ok(Self {
            a: a.data().iter().map(|&v| v as i64).collect(),
            b: b.data().iter().map(|&v| v as i64).collect(),
            c: c.data().iter().map(|&v| v as i64).collect(),
            public: [digest_matrix(a).0, digest_matrix(b).0, digest_matrix(c).0],
        })
    }

    fn check(&self, spec: &UnitSpec) -> Result<()> {
        let (m, k, n) = (spec.m(), spec.k(), spec.n());
        for (name, len, want) in [("A", self.a.len(), m * k), ("B", self.b.len(), k * n), ("C", self.c.len(), m * n)] {
            if len != want {
                return Err(CircuitError::WitnessShape {
                    unit: spec.id(),
                    reason: format!("{name} has {len} elements, expected {want}"),
                });
            }
        }
        Ok(())
    }
}

/// A, B and C have the unit's shapes (C is m×n, not merely m·n elements: its digest
/// covers its shape).
fn check_shapes(spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>, c: &Matrix<i32>) -> Result<()> {
    teraproof_core::matmul::check_inputs(spec, a, b)?;
    if (c.rows(), c.cols()) != (spec.m(), spec.n()) {
        return Err(CircuitError::WitnessShape {
            unit: spec.id(),
            reason: format!("C is {}x{}, expected {}x{}", c.rows(), c.cols(), spec.m(), spec.n()),
        });
    }
    Ok(())
}

/// The public inputs of a statement, in circuit order.
pub fn public_inputs(da: &MatrixDigest, db: &MatrixDigest, dc: &MatrixDigest) -> Vec<Fr> {
    vec![da.0, db.0, dc.0]
}

/// What the binding phase leaves for the arithmetic phase.
pub struct Bound {
    a: Vec<Expr>,
    b: Vec<Expr>,
    c: Int32Matrix,
    public: [Expr; 3],
}

/// Recomputes the digest of each `(header, packed)` matrix, in order, and equates it to
/// the public input of the same position. With `derive_public` (direct mode only) the
/// public inputs are first set to the computed digests. In direct mode the chains,
/// independent of each other and contiguous in allocation order, run in parallel and
/// are absorbed in order, so the assignment is exactly the sequential one.
pub(crate) fn bind_digests(
    builder: &Builder,
    matrices: &[(Fr, &[Expr])],
    public: &mut [Expr],
    derive_public: bool,
) -> Result<()> {
    use rayon::prelude::*;
    let absorb = PoseidonGadget::new(teraproof_core::digest::ABSORB_RATE + 1)?;
    let computed: Vec<Expr> = if builder.is_direct() {
        let parts: Vec<Result<(DirectWitness, Expr)>> = matrices
            .par_iter()
            .map(|&(header, packed)| {
                let local = Builder::direct();
                let digest = digest_gadget(&local, &absorb, header, packed)?;
                Ok((local.into_direct().expect("direct"), digest))
            })
            .collect();
        let mut out = Vec::with_capacity(matrices.len());
        for part in parts {
            let (recorded, digest) = part?;
            builder.absorb(recorded)?;
            out.push(digest);
        }
        out
    } else {
        matrices
            .iter()
            .map(|&(header, packed)| digest_gadget(builder, &absorb, header, packed))
            .collect::<Result<Vec<_>>>()?
    };
    if derive_public {
        for (i, (got, input)) in computed.iter().zip(public.iter_mut()).enumerate() {
            let value = got.value.ok_or(SynthesisError::AssignmentMissing)?;
            builder.set_input(i + 1, value)?;
            input.value = Some(value);
        }
    }
    for (got, claimed) in computed.iter().zip(public.iter()) {
        builder.enforce_equal(got, claimed)?;
    }
    Ok(())
}

/// Allocates the public inputs and the witness, recomputes the three digests and
/// equates them to the public inputs.
///
/// With `derive_public` (direct mode only), the public inputs are not taken from the
/// witness but set to the digests the circuit computes, saving a second hashing pass.
/// In direct mode the three digest chains, independent of each other and contiguous
/// in allocation order, are generated in parallel.
fn bind_statement<K: sealed::Arithmetic>(
    builder: &Builder,
    spec: &UnitSpec,
    witness: Option<&UnitWitness>,
    derive_public: bool,
) -> Result<Bound> {
    if derive_public && !builder.is_direct() {
        return Err(CircuitError::Synthesis(SynthesisError::AssignmentMissing));
    }
    let (m, k, n) = (spec.m(), spec.k(), spec.n());
    let claimed = |i: usize| if derive_public { Some(Fr::from(0u64)) } else { witness.map(|w| w.public[i]) };
    let public = [0, 1, 2].map(|i| builder.input(claimed(i)));
    let [da, db, dc] = public;
    let mut public = [da?, db?, dc?];
    let a = alloc_int8_matrix(builder, m * k, witness.map(|w| w.a.as_slice()))?;
    let b = alloc_int8_matrix(builder, k * n, witness.map(|w| w.b.as_slice()))?;
    let c = K::alloc_output(builder, m * n, witness.map(|w| w.c.as_slice()))?;
    let headers = [header_state::<i8>(m, k), header_state::<i8>(k, n), header_state::<i32>(m, n)];
    bind_digests(
        builder,
        &[(headers[0], a.packed.as_slice()), (headers[1], b.packed.as_slice()), (headers[2], c.packed.as_slice())],
        &mut public,
        derive_public,
    )?;
    Ok(Bound { a: a.elements, b: b.elements, c, public })
}

/// `1, y, y², …, y^(count−1)`: `count − 2` constraints (the first two are free).
pub(crate) fn powers_of(builder: &Builder, y: &Expr, count: usize) -> Result<Vec<Expr>> {
    let mut powers = vec![Expr::constant(Fr::one()), y.clone()];
    while powers.len() < count {
        let next = builder.mul(powers.last().expect("non-empty"), y)?;
        powers.push(next);
    }
    powers.truncate(count);
    Ok(powers)
}

/// `y^e · x`, free when `e = 0`.
pub(crate) fn times_power(builder: &Builder, powers: &[Expr], e: usize, x: &Expr) -> Result<Expr> {
    if e == 0 {
        Ok(x.clone())
    } else {
        builder.mul(&powers[e], x)
    }
}

pub(crate) fn sum(terms: &[Expr]) -> Expr {
    Expr::weighted_sum(terms.iter().map(|t| (Fr::one(), t)))
}

/// How the words-weighted check splits an `m×n` output: the words, the residues of a
/// column index mod 7, and each row's class `a_i = (i·n) mod 7` and power
/// `b_i = ⌊i·n/7⌋` (module docs).
pub(crate) struct WordLayout {
    len: usize,
    pub(crate) words: usize,
    residues: usize,
    rows: Vec<(usize, usize)>,
    classes: Vec<usize>,
}

impl WordLayout {
    pub(crate) fn new(m: usize, n: usize) -> Self {
        let rows: Vec<(usize, usize)> = (0..m).map(|i| ((i * n) % 7, (i * n) / 7)).collect();
        let mut classes: Vec<usize> = rows.iter().map(|&(a, _)| a).collect();
        classes.sort_unstable();
        classes.dedup();
        Self { len: m * n, words: (m * n).div_ceil(7), residues: n.min(7), rows, classes }
    }

    pub(crate) fn group_len(&self, g: usize) -> usize {
        (self.len - 7 * g).min(7)
    }

    /// The residues `s` whose `y·R_ks` some class needs (`a + s ≥ 7`).
    fn shifted_residues(&self) -> std::ops::Range<usize> {
        let a_max = *self.classes.last().expect("m ≥ 1");
        (7 - a_max).min(self.residues)..self.residues
    }
}

pub(crate) fn to_synthesis_error(e: CircuitError) -> SynthesisError {
    match e {
        CircuitError::Synthesis(s) => s,
        _ => SynthesisError::Unsatisfiable,
    }
}

/// Enforces `Σ_t xs[t]·ys[t] = target` with `len − 1` product variables and one
/// final constraint that folds in the last product.
pub(crate) fn enforce_inner_product(builder: &Builder, xs: &[Expr], ys: &[Expr], target: &Expr) -> Result<()> {
    // Every unit has k ≥ 1, so the sums are never empty; an empty one would be 0.
    let Some(last) = xs.len().checked_sub(1) else {
        return builder.enforce_equal(target, &Expr::constant(Fr::from(0u64)));
    };
    let partial = (0..last).map(|t| builder.mul(&xs[t], &ys[t])).collect::<Result<Vec<_>>>()?;
    let rest = Expr::weighted_sum(partial.iter().map(|p| (-Fr::from(1u64), p)));
    builder.enforce_product(&xs[last], &ys[last], &target.add(&rest))
}

/// The two sides of `Σ_a Σ_k p^(a)_k·q^(a)_k = Σ_f (A·B)_f·ρ_f` (module docs): the
/// products' factors, for [`enforce_inner_product`] against the words' side. Shared by
/// the compute unit and the accumulating unit, whose product checks differ only in
/// what the words' side reads.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product_terms(
    builder: &Builder,
    k: usize,
    n: usize,
    layout: &WordLayout,
    a: &[Expr],
    b: &[Expr],
    y: &Expr,
    powers: &[Expr],
) -> Result<(Vec<Expr>, Vec<Expr>)> {
    // R_ks, and y·R_ks where a class needs it.
    let shifted = layout.shifted_residues();
    let mut r = Vec::with_capacity(k);
    let mut yr = Vec::with_capacity(k);
    for row in b.chunks(n) {
        let r_k = (0..layout.residues)
            .map(|s| {
                let terms = (s..n)
                    .step_by(7)
                    .enumerate()
                    .map(|(h, j)| times_power(builder, powers, h, &row[j]))
                    .collect::<Result<Vec<_>>>()?;
                Ok(sum(&terms))
            })
            .collect::<Result<Vec<_>>>()?;
        let yr_k = shifted.clone().map(|s| builder.mul(y, &r_k[s])).collect::<Result<Vec<_>>>()?;
        r.push(r_k);
        yr.push(yr_k);
    }

    // Σ_a Σ_k p^(a)_k·q^(a)_k = Σ_f (A·B)_f·ρ_f.
    let mut xs = Vec::with_capacity(layout.classes.len() * k);
    let mut ys = Vec::with_capacity(layout.classes.len() * k);
    for &class in &layout.classes {
        for kk in 0..k {
            let p = layout
                .rows
                .iter()
                .enumerate()
                .filter(|(_, &(a, _))| a == class)
                .map(|(i, &(_, b))| times_power(builder, powers, b, &a[i * k + kk]))
                .collect::<Result<Vec<_>>>()?;
            xs.push(sum(&p));
            let q = Expr::weighted_sum((0..layout.residues).map(|s| {
                let e = class + s;
                let term = if e < 7 { &r[kk][s] } else { &yr[kk][s - shifted.start] };
                (pow2(32 * (e % 7) as u32), term)
            }));
            ys.push(q);
        }
    }
    Ok((xs, ys))
}

mod sealed {
    use super::*;

    /// The arithmetic half of a unit circuit, run after the statement is bound.
    pub trait Arithmetic {
        /// Witnesses C (its elements or only its words) for the binding phase.
        fn alloc_output(builder: &Builder, len: usize, values: Option<&[i64]>) -> Result<Int32Matrix>;
        /// Constrains `C = A·B` over the bound statement.
        fn enforce(builder: &Builder, spec: &UnitSpec, bound: &Bound) -> Result<()>;
    }
}

/// Freivalds' check at a statement-derived challenge (DESIGN §4).
#[derive(Clone, Copy, Debug, Default)]
pub struct Freivalds;

/// One constraint per multiply-add.
#[derive(Clone, Copy, Debug, Default)]
pub struct Textbook;

impl sealed::Arithmetic for Freivalds {
    fn alloc_output(builder: &Builder, len: usize, values: Option<&[i64]>) -> Result<Int32Matrix> {
        alloc_int32_words(builder, len, values)
    }

    fn enforce(builder: &Builder, spec: &UnitSpec, bound: &Bound) -> Result<()> {
        let (k, n) = (spec.k(), spec.n());
        let layout = WordLayout::new(spec.m(), n);
        let [da, db, dc] = &bound.public;
        let y = PoseidonGadget::new(4)?
            .hash(builder, &[Expr::constant(tag_freivalds()), da.clone(), db.clone(), dc.clone()])?;
        let words = &bound.c.packed;
        let powers = powers_of(builder, &y, layout.words)?;

        // Σ_f C_f·ρ_f, read from the words.
        let unpacked = words
            .iter()
            .enumerate()
            .map(|(g, w)| times_power(builder, &powers, g, &w.add_const(-int32_word_offset(layout.group_len(g)))))
            .collect::<Result<Vec<_>>>()?;
        let lhs = sum(&unpacked);

        let (xs, ys) = product_terms(builder, k, n, &layout, &bound.a, &bound.b, &y, &powers)?;
        enforce_inner_product(builder, &xs, &ys, &lhs)
    }
}

impl sealed::Arithmetic for Textbook {
    fn alloc_output(builder: &Builder, len: usize, values: Option<&[i64]>) -> Result<Int32Matrix> {
        alloc_int32_matrix(builder, len, values)
    }

    fn enforce(builder: &Builder, spec: &UnitSpec, bound: &Bound) -> Result<()> {
        let (m, k, n) = (spec.m(), spec.k(), spec.n());
        let columns: Vec<Vec<Expr>> = (0..n).map(|j| (0..k).map(|kk| bound.b[kk * n + j].clone()).collect()).collect();
        for i in 0..m {
            for (j, column) in columns.iter().enumerate() {
                enforce_inner_product(builder, &bound.a[i * k..(i + 1) * k], column, &bound.c.elements[i * n + j])?;
            }
        }
        Ok(())
    }
}

/// A unit circuit: the statement `(dA, dB, dC)` bound to the witness, then the
/// arithmetic `K` that checks `C = A·B`. Use the aliases [`ComputeUnitCircuit`] and
/// [`NaiveMatmulCircuit`].
#[derive(Clone, Debug)]
pub struct UnitCircuit<K> {
    spec: UnitSpec,
    witness: Option<UnitWitness>,
    arithmetic: std::marker::PhantomData<K>,
}

/// The standard compute-unit circuit: digests plus Freivalds (DESIGN §4).
pub type ComputeUnitCircuit = UnitCircuit<Freivalds>;

/// The textbook circuit: same statement, one constraint per multiply-add.
pub type NaiveMatmulCircuit = UnitCircuit<Textbook>;

impl<K: sealed::Arithmetic> UnitCircuit<K> {
    /// The circuit without a witness, for key generation.
    pub fn for_setup(spec: UnitSpec) -> Self {
        Self { spec, witness: None, arithmetic: std::marker::PhantomData }
    }

    /// The circuit with a witness; fails if the witness has the wrong shape.
    pub fn with_witness(spec: UnitSpec, witness: UnitWitness) -> Result<Self> {
        witness.check(&spec)?;
        Ok(Self { spec, witness: Some(witness), arithmetic: std::marker::PhantomData })
    }

    /// The honest circuit for `A, B, C = A·B`.
    pub fn new(spec: UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>, c: &Matrix<i32>) -> Result<Self> {
        Self::with_witness(spec, UnitWitness::new(&spec, a, b, c)?)
    }

    /// The unit.
    pub fn spec(&self) -> &UnitSpec {
        &self.spec
    }

    /// `[dA, dB, dC]` when a witness is present.
    pub fn public_inputs(&self) -> Option<[Fr; 3]> {
        self.witness.as_ref().map(|w| w.public)
    }

    /// The full R1CS assignment and every constraint's evaluations, computed directly
    /// (no constraint system): equal, variable for variable and constraint for
    /// constraint, to what synthesis and the matrices would give.
    pub fn direct_witness(&self) -> Result<DirectWitness> {
        let builder = Builder::direct();
        self.synthesize(&builder, false)?;
        Ok(builder.into_direct().expect("a direct builder records a witness"))
    }

    /// The full R1CS assignment, computed directly (see [`Self::direct_witness`]).
    pub fn assignment(&self) -> Result<Assignment> {
        Ok(self.direct_witness()?.assignment)
    }

    /// The prover's witness for `A, B, C`: like [`Self::direct_witness`], but the public
    /// inputs are the digests the circuit itself computes (`instance[1..4]` of the
    /// result), so the data is hashed once. Shapes are checked; C is not (the proof
    /// will only verify if `C = A·B`).
    pub fn prover_witness(spec: UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>, c: &Matrix<i32>) -> Result<DirectWitness> {
        check_shapes(&spec, a, b, c)?;
        let witness = UnitWitness {
            a: a.data().iter().map(|&v| v as i64).collect(),
            b: b.data().iter().map(|&v| v as i64).collect(),
            c: c.data().iter().map(|&v| v as i64).collect(),
            public: [Fr::from(0u64); 3],
        };
        let circuit = Self::with_witness(spec, witness)?;
        let builder = Builder::direct();
        circuit.synthesize(&builder, true)?;
        Ok(builder.into_direct().expect("a direct builder records a witness"))
    }

    fn synthesize(&self, builder: &Builder, derive_public: bool) -> Result<()> {
        let bound = bind_statement::<K>(builder, &self.spec, self.witness.as_ref(), derive_public)?;
        K::enforce(builder, &self.spec, &bound)
    }
}

impl<K: sealed::Arithmetic> ConstraintSynthesizer<Fr> for UnitCircuit<K> {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> std::result::Result<(), SynthesisError> {
        self.synthesize(&Builder::new(cs), false).map_err(to_synthesis_error)
    }
}

/// Constraint counts of a unit, computed from the circuit's structure without
/// synthesising it (tests check the formula against synthesis).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitCost {
    /// [`ComputeUnitCircuit`] constraints
    pub constraints: usize,
    /// [`NaiveMatmulCircuit`] constraints
    pub naive_constraints: usize,
    /// booleanity constraints of A and B
    pub range_check: usize,
    /// Poseidon constraints of the three digests
    pub hashing: usize,
    /// challenge and product-check constraints
    pub freivalds: usize,
    /// the equalities of the three computed digests with the public inputs
    pub digest_equalities: usize,
    /// number of public inputs (`dA, dB, dC`)
    pub public_inputs: usize,
}

/// Constraints of the words-weighted product check after the challenge: the powers of
/// `y`, the words' side and [`product_terms`] (the same for both unit circuits).
pub(crate) fn product_check_cost(m: usize, k: usize, n: usize) -> usize {
    let layout = WordLayout::new(m, n);
    let rows_with_a_power = layout.rows.iter().filter(|&&(_, b)| b > 0).count();
    layout.words.saturating_sub(2)
        + (layout.words - 1)
        + k * (n - layout.residues)
        + k * layout.shifted_residues().len()
        + k * rows_with_a_power
        + k * layout.classes.len()
}

/// The exact constraint counts of both circuits for `spec`.
pub fn circuit_cost(spec: &UnitSpec) -> Result<CircuitCost> {
    let (m, k, n) = (spec.m(), spec.k(), spec.n());
    let absorb = constraint_cost(teraproof_core::digest::ABSORB_RATE + 1)?;
    let packed = |len: usize, per: usize| len.div_ceil(per);
    let range_check = 8 * (m * k + k * n);
    let hashing =
        absorb * (absorb_calls(packed(m * k, 31)) + absorb_calls(packed(k * n, 31)) + absorb_calls(packed(m * n, 7)));
    let digest_equalities = 3;
    let binding = range_check + hashing + digest_equalities;
    let freivalds = constraint_cost(4)? + product_check_cost(m, k, n);
    Ok(CircuitCost {
        constraints: binding + freivalds,
        naive_constraints: binding + m * n * k,
        range_check,
        hashing,
        freivalds,
        digest_equalities,
        public_inputs: 3,
    })
}
