//! A Groth16 proof of the compute-unit circuit with plain ark-groth16: it verifies, and
//! fails with any public input changed.

mod common;

use ark_bn254::Bn254;
use ark_ff::One;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use common::*;
use teraproof_circuits::ComputeUnitCircuit;

#[test]
fn cu8_proof_verifies_and_any_changed_public_input_fails() {
    let u = honest_unit(8, 8, 8, 11);
    let mut rng = rng(12);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(ComputeUnitCircuit::for_setup(u.spec), &mut rng).unwrap();
    let circuit = ComputeUnitCircuit::new(u.spec, &u.a, &u.b, &u.c).unwrap();
    let public = circuit.public_inputs().unwrap().to_vec();
    let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng).unwrap();
    assert!(Groth16::<Bn254>::verify(&vk, &public, &proof).unwrap());
    for i in 0..3 {
        let mut bad = public.clone();
        bad[i] += ark_bn254::Fr::one();
        assert!(!Groth16::<Bn254>::verify(&vk, &bad, &proof).unwrap(), "input {i}");
    }
    let mut swapped = public.clone();
    swapped.swap(0, 1);
    assert!(!Groth16::<Bn254>::verify(&vk, &swapped, &proof).unwrap());
}
