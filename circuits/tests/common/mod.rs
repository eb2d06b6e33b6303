//! Shared helpers for circuit tests.
#![allow(dead_code)]

use ark_ff::One;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef};
use rand::{Rng, SeedableRng};
use teraproof_core::{matmul_cpu, Fr, Matrix, UnitSpec};

pub fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// Random int8 matrix with -128 and 127 planted when there is room.
pub fn random_i8(rows: usize, cols: usize, rng: &mut impl Rng) -> Matrix<i8> {
    let mut m = Matrix::from_fn(rows, cols, |_, _| rng.gen::<i8>()).unwrap();
    *m.get_mut(0, 0).unwrap() = -128;
    *m.get_mut(rows - 1, cols - 1).unwrap() = 127;
    m
}

pub struct Unit {
    pub spec: UnitSpec,
    pub a: Matrix<i8>,
    pub b: Matrix<i8>,
    pub c: Matrix<i32>,
}

pub fn honest_unit(m: usize, k: usize, n: usize, seed: u64) -> Unit {
    let mut r = rng(seed);
    let spec = UnitSpec::new(m, k, n).unwrap();
    let a = random_i8(m, k, &mut r);
    let b = random_i8(k, n, &mut r);
    let c = matmul_cpu(&a, &b).unwrap();
    Unit { spec, a, b, c }
}

/// Synthesises a circuit in proving mode; returns the constraint system.
pub fn synthesize(circuit: impl ConstraintSynthesizer<Fr>) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).unwrap();
    cs
}

pub fn satisfied(circuit: impl ConstraintSynthesizer<Fr>) -> bool {
    synthesize(circuit).is_satisfied().unwrap()
}

/// Indices of the R1CS rows `⟨A,z⟩·⟨B,z⟩ ≠ ⟨C,z⟩`, and for each whether it has the
/// shape of a booleanity constraint `b·(1 − b) = 0`.
pub fn unsatisfied_rows(cs: &ConstraintSystemRef<Fr>) -> Vec<(usize, bool)> {
    cs.finalize();
    let matrices = cs.to_matrices().unwrap();
    let r1cs = matrices.values().next().expect("one predicate: R1CS");
    let inner = cs.borrow().unwrap();
    let mut z = inner.assignments.instance_assignment.clone();
    z.extend_from_slice(&inner.assignments.witness_assignment);
    let eval = |row: &[(Fr, usize)]| row.iter().map(|(c, i)| *c * z[*i]).sum::<Fr>();
    let (a, b, c) = (&r1cs[0], &r1cs[1], &r1cs[2]);
    let mut out = Vec::new();
    for row in 0..a.len() {
        if eval(&a[row]) * eval(&b[row]) != eval(&c[row]) {
            let boolean_shape = a[row].len() == 1
                && a[row][0].0 == Fr::one()
                && c[row].is_empty()
                && b[row].len() == 2
                && b[row].contains(&(Fr::one(), 0))
                && b[row].contains(&(-Fr::one(), a[row][0].1));
            out.push((row, boolean_shape));
        }
    }
    out
}

/// Synthesises a circuit in setup mode (no witness), as key generation does.
pub fn synthesize_setup(circuit: impl ConstraintSynthesizer<Fr>) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    circuit.generate_constraints(cs.clone()).unwrap();
    cs
}
