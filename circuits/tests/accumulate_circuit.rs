//! The accumulating unit `Cout = Cin + A·B`: the honest case and each tampering it
//! must reject, side by side.

mod common;

use common::*;
use proptest::prelude::*;
use teraproof_circuits::{accumulate_cost, circuit_cost, AccumulateCircuit, AccumulateWitness};
use teraproof_core::{digest_matrix, matmul_cpu, Fr, Matrix, UnitSpec};

/// A step of a chain: a random partial sum `Cin` (a real product, so in range) and
/// `Cout = Cin + A·B`.
struct Step {
    spec: UnitSpec,
    a: Matrix<i8>,
    b: Matrix<i8>,
    cin: Matrix<i32>,
    cout: Matrix<i32>,
}

fn honest_step(m: usize, k: usize, n: usize, seed: u64) -> Step {
    let first = honest_unit(m, k, n, seed);
    let second = honest_unit(m, k, n, seed + 1000);
    let cin = first.c;
    let cout = add(&cin, &second.c);
    Step { spec: second.spec, a: second.a, b: second.b, cin, cout }
}

fn add(x: &Matrix<i32>, y: &Matrix<i32>) -> Matrix<i32> {
    Matrix::from_fn(x.rows(), x.cols(), |i, j| x.get(i, j).unwrap() + y.get(i, j).unwrap()).unwrap()
}

fn witness(s: &Step) -> AccumulateWitness {
    AccumulateWitness::new(&s.spec, &s.a, &s.b, &s.cin, &s.cout).unwrap()
}

fn ok(s: &Step, w: AccumulateWitness) -> bool {
    satisfied(AccumulateCircuit::with_witness(s.spec, w).unwrap())
}

#[test]
fn honest_steps_are_satisfied() {
    for (m, k, n) in [(8, 8, 8), (3, 5, 7), (1, 1, 1), (12, 1, 3), (5, 2, 33), (9, 2, 1), (1, 4, 22)] {
        let s = honest_step(m, k, n, (m * 100 + k * 10 + n) as u64);
        assert!(ok(&s, witness(&s)), "{}", s.spec);
    }
}

#[test]
fn a_zero_cin_is_the_plain_product() {
    let u = honest_unit(6, 4, 5, 3);
    let zero = Matrix::<i32>::new(6, 5, vec![0; 30]).unwrap();
    let w = AccumulateWitness::new(&u.spec, &u.a, &u.b, &zero, &u.c).unwrap();
    assert!(satisfied(AccumulateCircuit::with_witness(u.spec, w).unwrap()));
}

#[test]
fn changed_cout_element_is_rejected() {
    let s = honest_step(8, 8, 8, 1);
    assert!(ok(&s, witness(&s)));
    // Cout changed, dCout recomputed: the product check objects.
    let mut cout = s.cout.clone();
    *cout.get_mut(2, 6).unwrap() += 1;
    assert!(!ok(&s, AccumulateWitness::new(&s.spec, &s.a, &s.b, &s.cin, &cout).unwrap()));
    // Cout changed, dCout left honest: the digest objects.
    let mut w = witness(&s);
    w.cout[2 * 8 + 6] += 1;
    assert!(!ok(&s, w));
}

#[test]
fn changed_cin_element_is_rejected() {
    let s = honest_step(8, 8, 8, 2);
    let mut cin = s.cin.clone();
    *cin.get_mut(7, 0).unwrap() -= 1;
    assert!(!ok(&s, AccumulateWitness::new(&s.spec, &s.a, &s.b, &cin, &s.cout).unwrap()));
    let mut w = witness(&s);
    w.cin[7 * 8] -= 1;
    assert!(!ok(&s, w));
}

#[test]
fn cin_and_cout_swapped_are_rejected() {
    let s = honest_step(8, 8, 8, 3);
    // The data swapped (digests follow): Cin − Cout = −A·B ≠ A·B.
    assert!(!ok(&s, AccumulateWitness::new(&s.spec, &s.a, &s.b, &s.cout, &s.cin).unwrap()));
    // Only the public digests swapped.
    let mut w = witness(&s);
    w.public.swap(2, 3);
    assert!(!ok(&s, w));
}

#[test]
fn da_and_db_swapped_are_rejected() {
    let s = honest_step(6, 6, 6, 4);
    let mut w = witness(&s);
    w.public.swap(0, 1);
    assert!(!ok(&s, w));
    // A and B themselves swapped (square shape, so they fit): Bᵀ-style products differ.
    assert!(!ok(&s, AccumulateWitness::new(&s.spec, &s.b, &s.a, &s.cin, &s.cout).unwrap()));
}

#[test]
fn a_element_outside_int8_is_rejected_even_when_the_packing_is_kept() {
    // A[0][0] = -128 (u = 0), A[0][1] = 5 (u = 133); tampered: 128 (u = 256) and 4
    // (u = 132), so u₀ + 256·u₁ and hence dA are unchanged. Cout is made the true
    // Cin + A'·B for the tampered A' (dCout recomputed), so the digests and the product
    // check hold and only the range check can object.
    let mut s = honest_step(4, 4, 4, 5);
    *s.a.get_mut(0, 0).unwrap() = -128;
    *s.a.get_mut(0, 1).unwrap() = 5;
    s.cout = add(&s.cin, &matmul_cpu(&s.a, &s.b).unwrap());
    assert!(ok(&s, witness(&s)));

    let mut w = witness(&s);
    w.a[0] = 128;
    w.a[1] = 4;
    let n = 4;
    let cout: Vec<i64> =
        (0..16).map(|f| w.cin[f] + (0..4).map(|t| w.a[(f / n) * 4 + t] * w.b[t * n + f % n]).sum::<i64>()).collect();
    let cout_matrix = Matrix::<i32>::new(4, 4, cout.iter().map(|&v| v as i32).collect()).unwrap();
    w.cout = cout;
    w.public[3] = digest_matrix(&cout_matrix).0;
    let packed = |v: &[i64]| (v[0] + 128) + 256 * (v[1] + 128);
    assert_eq!(packed(&w.a), packed(witness(&s).a.as_slice()), "packing kept, so dA still matches");
    let cs = synthesize(AccumulateCircuit::with_witness(s.spec, w).unwrap());
    let rows = unsatisfied_rows(&cs);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|&(_, boolean)| boolean), "only booleanity fails: {rows:?}");
}

/// The limit the soundness argument names: an overflowing step whose carry moved into
/// the next element of the word satisfies the circuit. (The prover refuses such a
/// step, and a job's tiling keeps every chain's sums inside int32.)
#[test]
fn an_overflow_carried_into_the_next_element_satisfies_the_circuit() {
    let spec = UnitSpec::new(2, 2, 2).unwrap();
    let a = Matrix::<i8>::new(2, 2, vec![1, 0, 0, 0]).unwrap();
    let b = a.clone();
    let cin = Matrix::<i32>::new(2, 2, vec![i32::MAX, 0, 0, 0]).unwrap();
    // The true sum at (0, 0) is 2^31: outside int32.
    let carried = Matrix::<i32>::new(2, 2, vec![i32::MIN, 1, 0, 0]).unwrap();
    let w = AccumulateWitness::new(&spec, &a, &b, &cin, &carried).unwrap();
    assert!(satisfied(AccumulateCircuit::with_witness(spec, w).unwrap()));
}

#[test]
fn wrong_shapes_are_refused() {
    let s = honest_step(4, 3, 5, 6);
    let wrong = Matrix::<i32>::new(5, 4, vec![0; 20]).unwrap();
    assert!(AccumulateWitness::new(&s.spec, &s.a, &s.b, &wrong, &s.cout).is_err());
    assert!(AccumulateWitness::new(&s.spec, &s.a, &s.b, &s.cin, &wrong).is_err());
    let mut w = witness(&s);
    w.cin.pop();
    assert!(AccumulateCircuit::with_witness(s.spec, w).is_err());
}

#[test]
fn prover_witness_derives_the_public_inputs() {
    let s = honest_step(5, 3, 9, 7);
    let derived = AccumulateCircuit::prover_witness(s.spec, &s.a, &s.b, &s.cin, &s.cout).unwrap();
    let reference = AccumulateCircuit::with_witness(s.spec, witness(&s)).unwrap().direct_witness().unwrap();
    assert_eq!(derived.assignment, reference.assignment);
    assert_eq!(derived.evaluations, reference.evaluations);
    let want: Vec<Fr> =
        [digest_matrix(&s.a).0, digest_matrix(&s.b).0, digest_matrix(&s.cin).0, digest_matrix(&s.cout).0].to_vec();
    assert_eq!(&derived.assignment.instance[1..], &want[..]);
    let e = &derived.evaluations;
    assert!((0..e.len()).all(|r| e.a[r] * e.b[r] == e.c[r]));
    // The direct mode agrees with the constraint system, variable for variable.
    let cs = synthesize(AccumulateCircuit::with_witness(s.spec, witness(&s)).unwrap());
    let inner = cs.borrow().unwrap();
    assert_eq!(inner.assignments.instance_assignment, derived.assignment.instance);
    assert_eq!(inner.assignments.witness_assignment, derived.assignment.witness);
}

#[test]
fn cost_formula_matches_synthesis() {
    for (m, k, n) in [(1, 1, 1), (3, 5, 7), (8, 8, 8), (12, 1, 3), (2, 40, 9), (9, 2, 1), (15, 3, 6)] {
        let spec = UnitSpec::new(m, k, n).unwrap();
        let cost = accumulate_cost(&spec).unwrap();
        let cs = synthesize_setup(AccumulateCircuit::for_setup(spec));
        assert_eq!(cs.num_constraints(), cost.constraints, "{spec}");
        assert_eq!(cs.num_instance_variables(), 1 + cost.public_inputs);
        assert!(cost.constraints > circuit_cost(&spec).unwrap().constraints);
    }
}

#[test]
fn constraint_target_36_n_squared() {
    for n in [64usize, 128, 256, 512] {
        let cost = accumulate_cost(&UnitSpec::square(n).unwrap()).unwrap();
        assert!(cost.constraints <= 36 * n * n, "CU-{n}: {} > {}", cost.constraints, 36 * n * n);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    /// Shapes that are not multiples of 7 (and m = 1, k = 1 among them): honest steps
    /// hold, and a changed Cout element with its digest recomputed never does.
    #[test]
    fn random_shapes_accept_honest_and_reject_a_changed_cout(
        m in 1usize..10, k in 1usize..6, n in 1usize..12, seed in 0u64..1000, which in 0usize..1000
    ) {
        let s = honest_step(m, k, n, seed);
        prop_assert!(ok(&s, witness(&s)));
        let mut cout = s.cout.clone();
        let f = which % (m * n);
        let v = cout.get_mut(f / n, f % n).unwrap();
        *v = v.wrapping_add(1);
        prop_assert!(!ok(&s, AccumulateWitness::new(&s.spec, &s.a, &s.b, &s.cin, &cout).unwrap()));
    }
}

#[test]
fn chain_of_steps_reaches_the_whole_product() {
    // K = 12 split into three steps of k = 4: C¹ = A₁B₁ (the compute unit), then two
    // accumulating steps; the last Cout is the whole product.
    let mut r = rng(11);
    let a = random_i8(3, 12, &mut r);
    let b = random_i8(12, 5, &mut r);
    let whole = matmul_cpu(&a, &b).unwrap();
    let spec = UnitSpec::new(3, 4, 5).unwrap();
    let a_part = |t: usize| Matrix::from_fn(3, 4, |i, j| a.get(i, 4 * t + j).unwrap()).unwrap();
    let b_part = |t: usize| Matrix::from_fn(4, 5, |i, j| b.get(4 * t + i, j).unwrap()).unwrap();
    let mut c = matmul_cpu(&a_part(0), &b_part(0)).unwrap();
    for t in 1..3 {
        let next = add(&c, &matmul_cpu(&a_part(t), &b_part(t)).unwrap());
        let w = AccumulateWitness::new(&spec, &a_part(t), &b_part(t), &c, &next).unwrap();
        assert!(satisfied(AccumulateCircuit::with_witness(spec, w).unwrap()));
        c = next;
    }
    assert_eq!(c, whole);
}
