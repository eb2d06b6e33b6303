//! The compute-unit circuit: every test states the honest case and the tampering it
//! must reject, side by side.

mod common;

use ark_ff::One;
use common::*;
use proptest::prelude::*;
use teraproof_circuits::{circuit_cost, ComputeUnitCircuit, NaiveMatmulCircuit, UnitWitness};
use teraproof_core::{digest_matrix, matmul_cpu, Fr, Matrix, UnitSpec};

fn witness(u: &Unit) -> UnitWitness {
    UnitWitness::new(&u.spec, &u.a, &u.b, &u.c).unwrap()
}

/// `u₀ + 256·u₁` for the first two elements (`u = v + 128`): what the packing, hence
/// the digest, sees of them.
fn packed_pair(values: &[i64]) -> i64 {
    (values[0] + 128) + 256 * (values[1] + 128)
}

fn unit_ok(u: &Unit, w: UnitWitness) -> bool {
    satisfied(ComputeUnitCircuit::with_witness(u.spec, w).unwrap())
}

#[test]
fn honest_units_are_satisfied() {
    // Shapes chosen for the word layout too: n a multiple of 7, n < 7, one row, rows
    // sharing a power of y (n = 1), rows falling in every class mod 7.
    for (m, k, n) in [
        (8, 8, 8),
        (3, 5, 7),
        (1, 1, 1),
        (12, 1, 3),
        (1, 40, 1),
        (5, 2, 33),
        (2, 3, 14),
        (9, 2, 1),
        (1, 4, 22),
        (15, 3, 6),
    ] {
        let u = honest_unit(m, k, n, (m * 100 + k * 10 + n) as u64);
        assert!(unit_ok(&u, witness(&u)), "{}", u.spec);
    }
}

#[test]
fn changed_element_of_c_is_rejected() {
    let u = honest_unit(8, 8, 8, 1);
    assert!(unit_ok(&u, witness(&u)));
    // C changed and dC recomputed for the changed C: Freivalds must object.
    let mut c = u.c.clone();
    *c.get_mut(3, 5).unwrap() += 1;
    let w = UnitWitness::new(&u.spec, &u.a, &u.b, &c).unwrap();
    assert!(!unit_ok(&u, w));
    // C changed but dC left as the honest digest: the digest must object.
    let mut w = witness(&u);
    w.c[3 * 8 + 5] += 1;
    assert!(!unit_ok(&u, w));
}

#[test]
fn a_element_outside_int8_is_rejected_even_when_the_packing_is_kept() {
    // A[0][0] = -128 (u = 0) and A[0][1] = 5 (u = 133). Tampered: A[0][0] = 128 (u = 256)
    // and A[0][1] = 4 (u = 132): the packed value u₀ + 256·u₁ is unchanged, so dA is too.
    let mut u = honest_unit(4, 4, 4, 2);
    *u.a.get_mut(0, 0).unwrap() = -128;
    *u.a.get_mut(0, 1).unwrap() = 5;
    u.c = matmul_cpu(&u.a, &u.b).unwrap();
    assert!(unit_ok(&u, witness(&u)));

    let mut w = witness(&u);
    w.a[0] = 128;
    w.a[1] = 4;
    // Make C the true product of the tampered A so that Freivalds and the digests hold
    // and only the range check can object.
    let (m, k, n) = (4usize, 4usize, 4usize);
    let c: Vec<i64> =
        (0..m * n).map(|idx| (0..k).map(|kk| w.a[(idx / n) * k + kk] * w.b[kk * n + idx % n]).sum()).collect();
    let c_matrix = Matrix::<i32>::new(m, n, c.iter().map(|&v| v as i32).collect()).unwrap();
    w.c = c;
    w.public[2] = digest_matrix(&c_matrix).0;
    assert_eq!(packed_pair(&w.a), packed_pair(witness(&u).a.as_slice()), "packing kept, so dA still matches");
    let cs = synthesize(ComputeUnitCircuit::with_witness(u.spec, w).unwrap());
    assert!(!cs.is_satisfied().unwrap());
    let rows = unsatisfied_rows(&cs);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|&(_, boolean)| boolean), "only booleanity fails: {rows:?}");
}

#[test]
fn swapped_digests_are_rejected() {
    let u = honest_unit(3, 3, 3, 3);
    let mut w = witness(&u);
    assert_ne!(w.public[0], w.public[1]);
    w.public.swap(0, 1);
    assert!(!unit_ok(&u, w));
}

#[test]
fn wrong_dc_is_rejected() {
    let u = honest_unit(3, 5, 7, 4);
    let mut w = witness(&u);
    w.public[2] += Fr::one();
    assert!(!unit_ok(&u, w));
    let mut w = witness(&u);
    w.public[0] += Fr::one();
    assert!(!unit_ok(&u, w));
}

#[test]
fn wrong_witness_shape_is_an_error_not_a_panic() {
    let u = honest_unit(2, 2, 2, 5);
    let mut w = witness(&u);
    w.c.pop();
    assert!(ComputeUnitCircuit::with_witness(u.spec, w.clone()).is_err());
    assert!(NaiveMatmulCircuit::with_witness(u.spec, w).is_err());
    let other = UnitSpec::new(2, 3, 2).unwrap();
    assert!(ComputeUnitCircuit::new(other, &u.a, &u.b, &u.c).is_err());
}

#[test]
fn naive_circuit_accepts_honest_and_rejects_tampered() {
    let u = honest_unit(3, 4, 5, 6);
    assert!(satisfied(NaiveMatmulCircuit::with_witness(u.spec, witness(&u)).unwrap()));
    let mut c = u.c.clone();
    *c.get_mut(2, 4).unwrap() -= 1;
    let w = UnitWitness::new(&u.spec, &u.a, &u.b, &c).unwrap();
    assert!(!satisfied(NaiveMatmulCircuit::with_witness(u.spec, w).unwrap()));
    let mut w = witness(&u);
    w.public.swap(0, 1);
    assert!(!satisfied(NaiveMatmulCircuit::with_witness(u.spec, w).unwrap()));
}

#[test]
fn cost_formula_matches_synthesis() {
    for (m, k, n) in [
        (1, 1, 1),
        (3, 5, 7),
        (8, 8, 8),
        (12, 1, 3),
        (2, 40, 9),
        (16, 16, 16),
        (2, 3, 14),
        (9, 2, 1),
        (1, 4, 22),
        (15, 3, 6),
    ] {
        let spec = UnitSpec::new(m, k, n).unwrap();
        let cost = circuit_cost(&spec).unwrap();
        let cs = synthesize_setup(ComputeUnitCircuit::for_setup(spec));
        assert_eq!(cs.num_constraints(), cost.constraints, "{spec}");
        assert_eq!(cs.num_instance_variables(), 1 + cost.public_inputs);
        let cs = synthesize_setup(NaiveMatmulCircuit::for_setup(spec));
        assert_eq!(cs.num_constraints(), cost.naive_constraints, "{spec} naive");
        assert!(cost.naive_constraints >= m * n * k);
    }
}

#[test]
fn constraint_target_30_n_squared() {
    for n in [64usize, 128, 256] {
        let cost = circuit_cost(&UnitSpec::square(n).unwrap()).unwrap();
        assert!(cost.constraints <= 30 * n * n, "CU-{n}: {} > {}", cost.constraints, 30 * n * n);
        assert!(cost.naive_constraints > n * n * n);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn random_units_honest_accepted_tampered_rejected(
        m in 1usize..=12, k in 1usize..=12, n in 1usize..=12,
        seed in any::<u64>(), extreme in prop::sample::select(vec![-128i8, 127]),
        delta in prop::sample::select(vec![-1i64, 1, 1 << 20]),
    ) {
        let mut u = honest_unit(m, k, n, seed);
        *u.a.get_mut(m / 2, k / 2).unwrap() = extreme;
        *u.b.get_mut(k / 2, n / 2).unwrap() = extreme;
        u.c = matmul_cpu(&u.a, &u.b).unwrap();
        prop_assert!(unit_ok(&u, witness(&u)));
        // One element of C changed, dC made honest for it: rejected.
        let idx = (seed as usize) % (m * n);
        let mut w = witness(&u);
        w.c[idx] += delta;
        let c_bad = Matrix::<i32>::new(m, n, w.c.iter().map(|&v| v as i32).collect()).unwrap();
        w.public[2] = digest_matrix(&c_bad).0;
        prop_assert!(!unit_ok(&u, w));
    }
}

fn cs_assignment(cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>) -> teraproof_circuits::Assignment {
    let inner = cs.borrow().unwrap();
    teraproof_circuits::Assignment {
        instance: inner.assignments.instance_assignment.clone(),
        witness: inner.assignments.witness_assignment.clone(),
    }
}

#[test]
fn direct_assignment_equals_constraint_system_assignment() {
    for (i, (m, k, n)) in [(1, 1, 1), (3, 5, 7), (8, 8, 8), (12, 2, 9), (2, 33, 3)].into_iter().enumerate() {
        let u = honest_unit(m, k, n, 40 + i as u64);
        let circuit = ComputeUnitCircuit::with_witness(u.spec, witness(&u)).unwrap();
        let direct = circuit.assignment().unwrap();
        let cs = synthesize(circuit);
        assert_eq!(direct, cs_assignment(&cs), "{}", u.spec);
        assert_eq!(direct.instance.len(), 4);

        let naive = NaiveMatmulCircuit::with_witness(u.spec, witness(&u)).unwrap();
        let direct = naive.assignment().unwrap();
        assert_eq!(direct, cs_assignment(&synthesize(naive)), "{} naive", u.spec);
    }
    // A tampered witness is reproduced just as faithfully (the circuit, not the
    // witness generator, is what rejects it).
    let u = honest_unit(4, 4, 4, 50);
    let mut w = witness(&u);
    w.a[0] = 128;
    w.c[3] += 7;
    let circuit = ComputeUnitCircuit::with_witness(u.spec, w).unwrap();
    let direct = circuit.assignment().unwrap();
    let cs = synthesize(circuit);
    assert!(!cs.is_satisfied().unwrap());
    assert_eq!(direct, cs_assignment(&cs));
}

#[test]
fn direct_assignment_without_witness_is_an_error() {
    let spec = UnitSpec::new(2, 2, 2).unwrap();
    assert!(ComputeUnitCircuit::for_setup(spec).assignment().is_err());
}

#[test]
fn direct_constraint_evaluations_equal_the_matrices() {
    for (i, (m, k, n)) in [(1, 1, 1), (3, 5, 7), (6, 6, 6)].into_iter().enumerate() {
        let u = honest_unit(m, k, n, 60 + i as u64);
        let circuit = ComputeUnitCircuit::with_witness(u.spec, witness(&u)).unwrap();
        let direct = circuit.direct_witness().unwrap();
        let cs = synthesize(circuit);
        cs.finalize();
        let z = cs_assignment(&cs).full();
        let matrices = cs.to_matrices().unwrap();
        let r1cs = matrices.values().next().unwrap();
        let eval = |row: &Vec<(Fr, usize)>| row.iter().map(|(c, i)| *c * z[*i]).sum::<Fr>();
        assert_eq!(direct.evaluations.len(), cs.num_constraints());
        for (which, got) in
            [&direct.evaluations.a, &direct.evaluations.b, &direct.evaluations.c].into_iter().enumerate()
        {
            let want: Vec<Fr> = r1cs[which].iter().map(eval).collect();
            assert_eq!(got, &want, "{} matrix {which}", u.spec);
        }
        // Honest: every constraint holds on the evaluations.
        let e = &direct.evaluations;
        assert!((0..e.len()).all(|r| e.a[r] * e.b[r] == e.c[r]));
    }
}

#[test]
fn prover_witness_derives_the_public_inputs() {
    for (i, (m, k, n)) in [(1, 1, 1), (3, 5, 7), (9, 9, 9)].into_iter().enumerate() {
        let u = honest_unit(m, k, n, 70 + i as u64);
        let derived = ComputeUnitCircuit::prover_witness(u.spec, &u.a, &u.b, &u.c).unwrap();
        let reference = ComputeUnitCircuit::with_witness(u.spec, witness(&u)).unwrap().direct_witness().unwrap();
        assert_eq!(derived.assignment, reference.assignment, "{}", u.spec);
        assert_eq!(derived.evaluations, reference.evaluations, "{}", u.spec);
        assert_eq!(derived.assignment.instance[1], digest_matrix(&u.a).0);
        assert_eq!(derived.assignment.instance[3], digest_matrix(&u.c).0);
    }
    // A wrong C still yields its own digest as dC; the Freivalds rows then fail.
    let u = honest_unit(4, 4, 4, 80);
    let mut c = u.c.clone();
    *c.get_mut(1, 1).unwrap() += 1;
    let w = ComputeUnitCircuit::prover_witness(u.spec, &u.a, &u.b, &c).unwrap();
    assert_eq!(w.assignment.instance[3], digest_matrix(&c).0);
    let e = &w.evaluations;
    assert!((0..e.len()).any(|r| e.a[r] * e.b[r] != e.c[r]));
}

/// The attack on the withdrawn circuit, which checked Freivalds row by row over
/// unchecked field elements of C: for a false C′, after learning the challenge, shift
/// `2^32·s` between two neighbouring elements so that the packed word (hence dC) is
/// unchanged while the row's Freivalds sum becomes the honest one. The first half shows
/// the attack's elements would pass the old row check while keeping C′'s word; the
/// second that the circuit rejects C′. (That half alone would pass on the withdrawn
/// circuit too, whose i64 witness cannot hold the attack's field elements: what closes
/// the attack is that C is witnessed only as its words, argued in unit.rs's docs.)
#[test]
fn a_false_output_cannot_hide_behind_its_packed_words() {
    use ark_ff::Field;
    use teraproof_circuits::pack::{fr_from_i64, int32_word};
    use teraproof_core::digest::freivalds_challenge;

    let u = honest_unit(8, 8, 8, 90);
    let mut fake = u.c.clone();
    for j in 0..8 {
        *fake.get_mut(0, j).unwrap() = 12345;
    }
    assert_ne!(fake, u.c);
    let x = freivalds_challenge(&digest_matrix(&u.a), &digest_matrix(&u.b), &digest_matrix(&fake));
    let row = |c: &[Fr]| (0..8).map(|j| c[j] * x.pow([j as u64])).sum::<Fr>();
    let honest_row: Vec<Fr> = (0..8).map(|j| fr_from_i64(u.c.get(0, j).unwrap() as i64)).collect();
    let mut forged: Vec<Fr> = (0..8).map(|j| fr_from_i64(fake.get(0, j).unwrap() as i64)).collect();
    let two32 = Fr::from(1u64 << 32);
    let s = (row(&honest_row) - row(&forged)) * (two32 - x).inverse().unwrap();
    forged[0] += two32 * s;
    forged[1] -= s;
    assert_eq!(row(&forged), row(&honest_row), "the old row check would pass");
    let word =
        |c: &[Fr]| (0..7).map(|j| Fr::from(2u64).pow([32 * j as u64]) * (c[j] + Fr::from(1u64 << 31))).sum::<Fr>();
    let fake_row: Vec<i64> = (0..7).map(|j| fake.get(0, j).unwrap() as i64).collect();
    assert_eq!(word(&forged), int32_word(&fake_row), "with C′'s packed word, hence C′'s digest");

    let w = UnitWitness::new(&u.spec, &u.a, &u.b, &fake).unwrap();
    assert!(!unit_ok(&u, w), "the words-only circuit rejects C′");
    assert!(unit_ok(&u, witness(&u)));
}

/// The digest of an int32 matrix given as arbitrary packed words (DESIGN §3 steps 3–5
/// over words that need not be canonical packings).
fn digest_of_words(rows: usize, cols: usize, words: &[Fr]) -> Fr {
    use teraproof_core::digest::{header_state, ABSORB_RATE};
    let mut h = header_state::<i32>(rows, cols);
    for group in words.chunks(ABSORB_RATE) {
        let mut inputs = vec![h];
        inputs.extend_from_slice(group);
        inputs.resize(ABSORB_RATE + 1, Fr::from(0u64));
        h = teraproof_core::poseidon(&inputs).unwrap();
    }
    h
}

fn words_of(c: &[i64]) -> Vec<Fr> {
    c.chunks(7).map(teraproof_circuits::pack::int32_word).collect()
}

#[test]
fn changed_input_with_the_honest_output_is_rejected() {
    // An element of A (then of B) changed inside int8, its digest recomputed, C and dC
    // left as the product of the original inputs: the product check must object.
    let u = honest_unit(5, 6, 9, 11);
    assert!(unit_ok(&u, witness(&u)));
    for tamper_b in [false, true] {
        let (mut a, mut b) = (u.a.clone(), u.b.clone());
        let target = if tamper_b { b.get_mut(5, 8).unwrap() } else { a.get_mut(2, 3).unwrap() };
        *target = target.wrapping_add(1);
        let w = UnitWitness::new(&u.spec, &a, &b, &u.c).unwrap();
        assert_eq!(w.public[2], digest_matrix(&u.c).0);
        assert!(!unit_ok(&u, w), "tampered {}", if tamper_b { "B" } else { "A" });
    }
}

#[test]
fn b_element_outside_int8_is_rejected_even_when_the_packing_is_kept() {
    // The mirror of the A case: B[0][0] = 128 with B[0][1] one less keeps dB, and C is
    // made the true product of the tampered B, so only booleanity can object.
    let mut u = honest_unit(3, 3, 4, 12);
    *u.b.get_mut(0, 0).unwrap() = -128;
    *u.b.get_mut(0, 1).unwrap() = 5;
    u.c = matmul_cpu(&u.a, &u.b).unwrap();
    assert!(unit_ok(&u, witness(&u)));
    let mut w = witness(&u);
    w.b[0] = 128;
    w.b[1] = 4;
    let (m, k, n) = (3usize, 3usize, 4usize);
    w.c = (0..m * n).map(|idx| (0..k).map(|kk| w.a[(idx / n) * k + kk] * w.b[kk * n + idx % n]).sum()).collect();
    w.public[2] = digest_of_words(m, n, &words_of(&w.c));
    assert_eq!(packed_pair(&w.b), packed_pair(witness(&u).b.as_slice()), "packing kept, so dB still matches");
    let cs = synthesize(ComputeUnitCircuit::with_witness(u.spec, w).unwrap());
    let rows = unsatisfied_rows(&cs);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|&(_, boolean)| boolean), "only booleanity fails: {rows:?}");
}

#[test]
fn wrong_db_alone_is_rejected() {
    let u = honest_unit(3, 5, 7, 13);
    assert!(unit_ok(&u, witness(&u)));
    let mut w = witness(&u);
    w.public[1] += Fr::one();
    assert!(!unit_ok(&u, w));
}

#[test]
fn the_output_is_judged_by_its_words_alone() {
    // Honest: (c₀ + 2^32, c₁ − 1) packs to the same word as (c₀, c₁), so it *is* the
    // honest output as far as the statement goes (dC is the digest of A·B) and passes.
    let u = honest_unit(2, 3, 7, 14);
    let mut w = witness(&u);
    w.c[0] += 1 << 32;
    w.c[1] -= 1;
    assert_eq!(words_of(&w.c), words_of(&witness(&u).c));
    assert!(unit_ok(&u, w));
    // Tampered: the last element of a full group raised by 2^32, so the word becomes
    // P + 2^224, not a canonical packing of any int32 matrix; dC recomputed over the
    // raw words. The words no longer equal A·B's packing: rejected.
    let mut w = witness(&u);
    w.c[6] += 1 << 32;
    w.public[2] = digest_of_words(2, 7, &words_of(&w.c));
    assert_ne!(w.public[2], digest_matrix(&u.c).0);
    assert!(!unit_ok(&u, w));
}

#[test]
fn every_element_of_c_is_checked_on_short_last_groups() {
    // Shapes whose m·n is not a multiple of 7, so the last word is short; each element
    // in turn is changed (dC recomputed): none may slip through the word layout.
    for (m, k, n) in [(1, 1, 6), (9, 2, 1), (2, 3, 5), (3, 2, 3)] {
        let u = honest_unit(m, k, n, (m * 31 + k * 7 + n) as u64);
        assert!(unit_ok(&u, witness(&u)), "{}", u.spec);
        for idx in 0..m * n {
            let mut c = u.c.clone();
            let (i, j) = (idx / n, idx % n);
            *c.get_mut(i, j).unwrap() ^= 1;
            let w = UnitWitness::new(&u.spec, &u.a, &u.b, &c).unwrap();
            assert!(!unit_ok(&u, w), "{} element {idx}", u.spec);
        }
    }
}

#[test]
fn intermediate_variables_of_the_product_check_are_bound() {
    // Every witness variable after the digests (powers of y, y·R products, partial
    // inner products) nudged by one in turn: each must break a constraint.
    let u = honest_unit(3, 4, 9, 15);
    let cs = synthesize(ComputeUnitCircuit::with_witness(u.spec, witness(&u)).unwrap());
    assert!(cs.is_satisfied().unwrap());
    let total = cs.num_witness_variables();
    let cost = circuit_cost(&u.spec).unwrap();
    // After the challenge's Poseidon, the product check allocates one variable per
    // constraint but its last (which folds in the final product), all at the end.
    let first = total - (cost.freivalds - teraproof_circuits::poseidon::constraint_cost(4).unwrap() - 1);
    assert!(first < total);
    for var in first..total {
        let cs = synthesize(ComputeUnitCircuit::with_witness(u.spec, witness(&u)).unwrap());
        cs.borrow_mut().unwrap().assignments.witness_assignment[var] += Fr::one();
        assert!(!cs.is_satisfied().unwrap(), "witness variable {var} of {total}");
    }
}

#[test]
fn an_int8_digest_over_several_absorb_groups_is_reproduced_in_circuit() {
    // More than 11 packed elements (341 int8 values) in A and in B, so the digest
    // chain runs over several absorb groups with a short last one.
    let u = honest_unit(20, 20, 20, 16);
    let derived = ComputeUnitCircuit::prover_witness(u.spec, &u.a, &u.b, &u.c).unwrap();
    assert_eq!(derived.assignment.instance[1], digest_matrix(&u.a).0);
    assert_eq!(derived.assignment.instance[2], digest_matrix(&u.b).0);
    assert_eq!(derived.assignment.instance[3], digest_matrix(&u.c).0);
    let e = &derived.evaluations;
    assert!((0..e.len()).all(|r| e.a[r] * e.b[r] == e.c[r]));
}

#[test]
fn a_reshaped_output_is_refused_by_the_prover_witness() {
    let u = honest_unit(2, 3, 3, 17);
    ComputeUnitCircuit::prover_witness(u.spec, &u.a, &u.b, &u.c).unwrap();
    let u = honest_unit(2, 3, 4, 17);
    let reshaped = Matrix::<i32>::new(4, 2, u.c.data().to_vec()).unwrap();
    assert!(ComputeUnitCircuit::prover_witness(u.spec, &u.a, &u.b, &reshaped).is_err());
    assert!(UnitWitness::new(&u.spec, &u.a, &u.b, &reshaped).is_err());
}

#[test]
fn extreme_tampered_values_are_rejected_not_a_panic() {
    let u = honest_unit(2, 2, 2, 18);
    for v in [i64::MAX, i64::MIN, i64::MAX - 127] {
        let mut w = witness(&u);
        w.a[1] = v;
        assert!(!unit_ok(&u, w), "{v}");
    }
}
