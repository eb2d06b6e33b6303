//! The R1CS → QAP witness map, from constraint evaluations.
//!
//! For `N` constraints and `ℓ` instance variables (the constant one included), take the
//! evaluation domain `H` of size `|H| ≥ N + ℓ`. Let `a, b, c` be the polynomials with
//! `a(ωⁱ) = ⟨Aᵢ, z⟩` (and likewise `b`, `c`) for `i < N`, `a(ω^(N+j)) = z_j` for the
//! instance variables (libsnark's input-consistency rows), zero elsewhere. The
//! quotient `h = (a·b − c) / Z_H` is computed on the coset `g·H`, where `Z_H` is the
//! constant `g^|H| − 1`, and brought back to coefficients. This is the reduction
//! ark-groth16's `LibsnarkReduction` uses, so our `h` fits keys made by its generator;
//! the difference is that we start from evaluations recorded during witness
//! generation instead of re-evaluating the constraint matrices.

use ark_bn254::Fr;
use ark_ff::{FftField, Field, Zero};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use rayon::prelude::*;
use teraproof_circuits::ConstraintEvaluations;

use crate::error::{ProverError, Result};

/// The evaluation domain for `num_constraints` constraints and `num_instance`
/// instance variables.
pub fn domain(num_constraints: usize, num_instance: usize) -> Result<GeneralEvaluationDomain<Fr>> {
    GeneralEvaluationDomain::<Fr>::new(num_constraints + num_instance).ok_or_else(|| ProverError::Msm {
        backend: "qap".into(),
        reason: format!("no FFT domain of size {}", num_constraints + num_instance),
    })
}

/// `a`, `b`, `c` on a coset, and the coset.
type OnCoset = (Vec<Fr>, Vec<Fr>, Vec<Fr>, GeneralEvaluationDomain<Fr>);

/// `a, b, c` over the whole domain (the instance rows appended to `a`, zeros after) and
/// moved to the coset `offset·H` in evaluation form.
fn on_coset(
    evaluations: ConstraintEvaluations,
    instance: &[Fr],
    offset: impl FnOnce(usize) -> Option<Fr>,
) -> Result<OnCoset> {
    let n = evaluations.len();
    let domain = domain(n, instance.len())?;
    let size = domain.size();
    let ConstraintEvaluations { mut a, mut b, mut c } = evaluations;
    a.resize(size, Fr::zero());
    a[n..n + instance.len()].copy_from_slice(instance);
    b.resize(size, Fr::zero());
    c.resize(size, Fr::zero());
    let no_coset = || ProverError::Msm { backend: "qap".into(), reason: "no coset of the FFT domain".into() };
    let coset = domain.get_coset(offset(size).ok_or_else(no_coset)?).ok_or_else(no_coset)?;
    let to_coset = |v: &mut Vec<Fr>| {
        domain.ifft_in_place(v);
        coset.fft_in_place(v);
    };
    let ((), ()) = rayon::join(|| to_coset(&mut a), || to_coset(&mut b));
    to_coset(&mut c);
    Ok((a, b, c, coset))
}

/// The coefficients of `h = (a·b − c)/Z_H` (length `|H|`).
pub fn quotient(evaluations: ConstraintEvaluations, instance: &[Fr]) -> Result<Vec<Fr>> {
    let (mut a, b, c, coset) = on_coset(evaluations, instance, |_| Some(Fr::GENERATOR))?;
    let z_inv = (Fr::GENERATOR.pow([a.len() as u64]) - Fr::from(1u64))
        .inverse()
        .expect("the coset generator is outside the domain, so Z_H does not vanish there");
    a.par_iter_mut().zip(b.par_iter()).zip(c.par_iter()).for_each(|((a, b), c)| {
        *a = (*a * b - c) * z_inv;
    });
    coset.ifft_in_place(&mut a);
    Ok(a)
}

/// snarkjs' QAP convention, for keys from a zkey: the values `a·b − c` on the odd coset
/// `g·H` of the doubled domain (`g = ω_2|H|`, so the points are ω_2|H|^(2i+1)), not
/// divided by `Z_H` (which is −2 at every such point; the zkey's H points, the odd
/// Lagrange points of the doubled domain over δ, absorb it), not brought back to
/// coefficients: `Σ hᵢ·Hᵢ = h(τ)·Z_H(τ)/δ·G1` with `h = (a·b − c)/Z_H`.
pub fn odd_coset_values(evaluations: ConstraintEvaluations, instance: &[Fr]) -> Result<Vec<Fr>> {
    let (mut a, b, c, _) = on_coset(evaluations, instance, |size| Fr::get_root_of_unity(2 * size as u64))?;
    a.par_iter_mut().zip(b.par_iter()).zip(c.par_iter()).for_each(|((a, b), c)| {
        *a = *a * b - c;
    });
    Ok(a)
}
