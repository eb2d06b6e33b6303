//! The compute-unit circuit (DESIGN §4) and the textbook circuit it is measured against.
//!
//! Public inputs, in order: `dA, dB, dC`. Both circuits first *bind* the witness to
//! them: A and B are allocated as bits (range-checked), C as plain variables, and the
//! three digests are recomputed in-circuit and equated to the public inputs.
//!
//! [`ComputeUnitCircuit`] then checks `C = A·B` with Freivalds' test at a challenge
//! derived from the statement, `x = Poseidon(TAG_FREIVALDS, dA, dB, dC)`:
//!
//! ```text
//!   s_k = Σ_j B_kj·x^j            (Horner: k·(n−1) products)
//!   R_i = Σ_j C_ij·x^j            (Horner: m·(n−1) products)
//!   Σ_k A_ik·s_k = R_i   ∀ i      (m·k products, the last folded into the equality)
//! ```
//!
//! If `C ≠ AB`, some row of `C − AB` is a nonzero polynomial of degree `< n` in `x`,
//! which vanishes at a hash-derived `x` with probability `< n/r`.
//!
//! [`NaiveMatmulCircuit`] proves every multiply-add: `C_ij = Σ_k A_ik·B_kj`, `m·n·k`
//! constraints.

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use teraproof_core::digest::{header_state, tag_freivalds};
use teraproof_core::{digest_matrix, Fr, Matrix, MatrixDigest, UnitSpec};

use crate::builder::{Assignment, Builder, DirectWitness, Expr};
use crate::digest::{absorb_calls, digest_gadget};
use crate::error::{CircuitError, Result};
use crate::pack::{alloc_int32_matrix, alloc_int8_matrix};
use crate::poseidon::{constraint_cost, PoseidonGadget};

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
        teraproof_core::matmul::check_inputs(spec, a, b)?;
        if (c.rows(), c.cols()) != (spec.m(), spec.n()) {
            return Err(CircuitError::WitnessShape {
                unit: spec.id(),
                reason: format!("C is {}x{}, expected {}x{}", c.rows(), c.cols(), spec.m(), spec.n()),
            });
        }
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

/// The public inputs of a statement, in circuit order.
pub fn public_inputs(da: &MatrixDigest, db: &MatrixDigest, dc: &MatrixDigest) -> Vec<Fr> {
    vec![da.0, db.0, dc.0]
}

/// What the binding phase leaves for the arithmetic phase.
pub struct Bound {
    a: Vec<Expr>,
    b: Vec<Expr>,
    c: Vec<Expr>,
    public: [Expr; 3],
}

/// Allocates the public inputs and the witness, recomputes the three digests and
/// equates them to the public inputs.
///
/// With `derive_public` (direct mode only), the public inputs are not taken from the
/// witness but set to the digests the circuit computes, saving a second hashing pass.
/// In direct mode the three digest chains, independent of each other and contiguous
/// in allocation order, are generated in parallel.
fn bind_statement(
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
    let c = alloc_int32_matrix(builder, m * n, witness.map(|w| w.c.as_slice()))?;
    let absorb = PoseidonGadget::new(teraproof_core::digest::ABSORB_RATE + 1)?;
    let headers = [header_state::<i8>(m, k), header_state::<i8>(k, n), header_state::<i32>(m, n)];
    let computed: [Expr; 3] = if builder.is_direct() {
        let part = |header: Fr, packed: &[Expr]| -> Result<(DirectWitness, Expr)> {
            let local = Builder::direct();
            let digest = digest_gadget(&local, &absorb, header, packed)?;
            Ok((local.into_direct().expect("direct"), digest))
        };
        let (ra, (rb, rc)) = rayon::join(
            || part(headers[0], &a.packed),
            || rayon::join(|| part(headers[1], &b.packed), || part(headers[2], &c.packed)),
        );
        let mut out = Vec::with_capacity(3);
        for r in [ra, rb, rc] {
            let (recorded, digest) = r?;
            builder.absorb(recorded)?;
            out.push(digest);
        }
        out.try_into().expect("three digests")
    } else {
        [
            digest_gadget(builder, &absorb, headers[0], &a.packed)?,
            digest_gadget(builder, &absorb, headers[1], &b.packed)?,
            digest_gadget(builder, &absorb, headers[2], &c.packed)?,
        ]
    };
    if derive_public {
        for (i, (got, input)) in computed.iter().zip(public.iter_mut()).enumerate() {
            let value = got.value.ok_or(SynthesisError::AssignmentMissing)?;
            builder.set_input(i + 1, value)?;
            input.value = Some(value);
        }
    }
    for (got, claimed) in computed.iter().zip(&public) {
        builder.enforce_equal(got, claimed)?;
    }
    Ok(Bound { a: a.elements, b: b.elements, c: c.elements, public })
}

/// `Σ_j coeffs[j]·x^j` by Horner's rule: `len − 1` constraints.
fn horner(builder: &Builder, coeffs: &[Expr], x: &Expr) -> Result<Expr> {
    let (last, rest) = coeffs.split_last().expect("rows are non-empty");
    let mut acc = last.clone();
    for c in rest.iter().rev() {
        acc = builder.mul(&acc, x)?.add(c);
    }
    Ok(acc)
}

fn to_synthesis_error(e: CircuitError) -> SynthesisError {
    match e {
        CircuitError::Synthesis(s) => s,
        _ => SynthesisError::Unsatisfiable,
    }
}

/// Enforces `Σ_t xs[t]·ys[t] = target` with `len − 1` product variables and one
/// final constraint that folds in the last product.
fn enforce_inner_product(builder: &Builder, xs: &[Expr], ys: &[Expr], target: &Expr) -> Result<()> {
    let last = xs.len() - 1;
    let partial = (0..last).map(|t| builder.mul(&xs[t], &ys[t])).collect::<Result<Vec<_>>>()?;
    let rest = Expr::weighted_sum(partial.iter().map(|p| (-Fr::from(1u64), p)));
    builder.enforce_product(&xs[last], &ys[last], &target.add(&rest))
}

mod sealed {
    use super::*;

    /// The arithmetic half of a unit circuit, run after the statement is bound.
    pub trait Arithmetic {
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
    fn enforce(builder: &Builder, spec: &UnitSpec, bound: &Bound) -> Result<()> {
        let (m, k, n) = (spec.m(), spec.k(), spec.n());
        let [da, db, dc] = &bound.public;
        let x = PoseidonGadget::new(4)?
            .hash(builder, &[Expr::constant(tag_freivalds()), da.clone(), db.clone(), dc.clone()])?;
        let s = (0..k).map(|kk| horner(builder, &bound.b[kk * n..(kk + 1) * n], &x)).collect::<Result<Vec<_>>>()?;
        for i in 0..m {
            let row_value = horner(builder, &bound.c[i * n..(i + 1) * n], &x)?;
            enforce_inner_product(builder, &bound.a[i * k..(i + 1) * k], &s, &row_value)?;
        }
        Ok(())
    }
}

impl sealed::Arithmetic for Textbook {
    fn enforce(builder: &Builder, spec: &UnitSpec, bound: &Bound) -> Result<()> {
        let (m, k, n) = (spec.m(), spec.k(), spec.n());
        let columns: Vec<Vec<Expr>> = (0..n).map(|j| (0..k).map(|kk| bound.b[kk * n + j].clone()).collect()).collect();
        for i in 0..m {
            for (j, column) in columns.iter().enumerate() {
                enforce_inner_product(builder, &bound.a[i * k..(i + 1) * k], column, &bound.c[i * n + j])?;
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
        teraproof_core::matmul::check_inputs(&spec, a, b)?;
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
        let bound = bind_statement(builder, &self.spec, self.witness.as_ref(), derive_public)?;
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
    /// challenge and Freivalds constraints
    pub freivalds: usize,
    /// number of public inputs (`dA, dB, dC`)
    pub public_inputs: usize,
}

/// The exact constraint counts of both circuits for `spec`.
pub fn circuit_cost(spec: &UnitSpec) -> Result<CircuitCost> {
    let (m, k, n) = (spec.m(), spec.k(), spec.n());
    let absorb = constraint_cost(teraproof_core::digest::ABSORB_RATE + 1)?;
    let packed = |len: usize, per: usize| len.div_ceil(per);
    let range_check = 8 * (m * k + k * n);
    let hashing =
        absorb * (absorb_calls(packed(m * k, 31)) + absorb_calls(packed(k * n, 31)) + absorb_calls(packed(m * n, 7)));
    let binding = range_check + hashing + 3;
    let freivalds = constraint_cost(4)? + (k + m) * (n - 1) + m * k;
    Ok(CircuitCost {
        constraints: binding + freivalds,
        naive_constraints: binding + m * n * k,
        range_check,
        hashing,
        freivalds,
        public_inputs: 3,
    })
}
