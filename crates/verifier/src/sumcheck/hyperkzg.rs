//! Evaluation proofs for multilinear polynomials committed with a *univariate* KZG SRS
//! (the powers τⁱ·G of a Powers of Tau), after HyperKZG (Nova): the verifier's side.
//!
//! **The commitment.** A multilinear f in ℓ variables is given by its 2^ℓ values on the
//! hypercube, `f[idx]` for idx = Σ_t z_t·2^t (variable t is bit t). Read those values as
//! the coefficients of a univariate polynomial `f₀(X) = Σ f[idx]·X^idx`; the commitment is
//! the KZG commitment `[f₀(τ)]·G = Σ f[idx]·τ^idx·G`, one MSM over the SRS.
//!
//! **Folding.** Write fᵢ(X) = Eᵢ(X²) + X·Oᵢ(X²) (even and odd coefficients) and
//! fᵢ₊₁ = (1 − xᵢ)·Eᵢ + xᵢ·Oᵢ. Folding by variable i halves the polynomial, and after ℓ
//! folds the constant left is the multilinear evaluation f(x₀, …, x_{ℓ−1}). The prover
//! commits to f₁ … f_{ℓ−1}; the verifier draws r ≠ 0 and receives every fᵢ(r), fᵢ(−r),
//! fᵢ(r²). Since fᵢ(r) + fᵢ(−r) = 2Eᵢ(r²) and fᵢ(r) − fᵢ(−r) = 2r·Oᵢ(r²), each fold is
//! checked at one point:
//!
//! ```text
//! 2r·fᵢ₊₁(r²) = r·(1 − xᵢ)·(fᵢ(r) + fᵢ(−r)) + xᵢ·(fᵢ(r) − fᵢ(−r)),   with f_ℓ(r²) := y.
//! ```
//!
//! **Batching.** Every polynomial of every opening (A's, B's and C's f₀ … f_{ℓ−1}) is
//! combined with powers of a challenge q into one B(X) = Σ q^s·f_s(X), whose commitment
//! the verifier computes from the given ones; the prover sends one KZG quotient
//! W_u = [(B(X) − B(u))/(X − u)] per point u ∈ {r, −r, r²}, and with a last challenge d
//! one pairing equation checks all three:
//!
//! ```text
//! e(Σ_u d^u·(C_B − B(u)·G + u·W_u), H) = e(Σ_u d^u·W_u, τ·H).
//! ```
//!
//! **Why it is sound** (in the algebraic group model, under q-SDH, with Fiat–Shamir in
//! the random-oracle model). The fold commitments are absorbed before r, the values
//! before q, the quotients before d. KZG binding makes each sent value the committed
//! polynomial's value at r, −r, r² except with negligible probability (the batched
//! check fails for a false value unless q or d hits one of ≤ 3·S roots, S the number of
//! polynomials). Nothing bounds the degree of a committed polynomial but the SRS
//! length S. If some committed fᵢ₊₁ is not the fold of fᵢ, the fold identity
//! fᵢ₊₁(X²)·2X = (1−xᵢ)·(fᵢ(X)+fᵢ(−X))·X + xᵢ·(fᵢ(X)−fᵢ(−X)) fails as a polynomial
//! identity of degree below 2S, so it holds at the random r with probability below
//! 2S/|F|. All folds being right, f_ℓ(X) = Σ_j f̃_j(x)·X^j, where f̃_j is the multilinear
//! extension of the j-th block of 2^ℓ coefficients of f₀; the last check compares
//! f_ℓ(r²) with y, fixed before r. If some higher block's f̃_j(x) is not zero, that holds
//! with probability below S/|F|; the higher blocks' extensions all vanish at x (drawn
//! after the commitment) with probability at most ℓ/|F| unless those blocks are zero.
//! So an opening binds y to the multilinear extension of f₀'s first 2^ℓ coefficients,
//! and of f₀ itself when the commitment is to a polynomial of degree below 2^ℓ, which is
//! what a buyer's recomputed commitment guarantees (a receipt whose C the buyer does not
//! check is a statement about the committed C's first M·N coefficients). ℓ = 0 (a 1×1
//! matrix) is the constant f₀: its three values must all be y.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, Field, One, Zero};

use super::proof::{BatchOpening, Dims};
use super::transcript::Transcript;
use crate::error::{Result, VerifyError};
use crate::prelude::*;

/// What the verifier needs of the SRS: the generators and τ·H.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrsVerifyingKey {
    /// G, the SRS's τ⁰·G.
    pub g1: G1Affine,
    /// H, the G2 generator.
    pub g2: G2Affine,
    /// τ·H.
    pub tau_g2: G2Affine,
}

/// One claimed evaluation: commitment, point (variable t first), value.
pub struct Claim<'a> {
    /// Which matrix, for errors (`A`, `B`, `C`).
    pub matrix: &'static str,
    /// The commitment to f₀.
    pub commitment: G1Affine,
    /// The point, one coordinate per variable.
    pub point: &'a [Fr],
    /// The claimed value f(point).
    pub value: Fr,
}

/// The three points every batched polynomial is opened at.
pub fn points(r: Fr) -> [Fr; 3] {
    [r, -r, r.square()]
}

/// Verifies the batched evaluation proofs of `claims`, continuing `transcript`.
pub fn verify(
    vk: &SrsVerifyingKey,
    transcript: &mut Transcript,
    claims: &[Claim],
    opening: &BatchOpening,
) -> Result<()> {
    let counts: Vec<usize> = claims.iter().map(|c| Dims::batched(c.point.len())).collect();
    let polys: usize = counts.iter().sum();
    if opening.folds.len() != polys - claims.len() || opening.evals.len() != polys {
        return Err(VerifyError::BadProofEncoding("the opening does not have one entry per batched polynomial".into()));
    }
    transcript.absorb_g1s(b"folds", &opening.folds);
    let r = transcript.nonzero_challenge(b"r");
    let evals: Vec<Fr> = opening.evals.iter().flatten().copied().collect();
    transcript.absorb_frs(b"evaluations", &evals);
    let q = transcript.challenge(b"q");
    transcript.absorb_g1s(b"quotients", &opening.quotients);
    let d = transcript.challenge(b"d");

    // The folds of each claim, checked at r.
    let (two_r, mut base, mut folds_at) = (r.double(), 0usize, 0usize);
    let mut commitments = Vec::with_capacity(polys);
    for (claim, &count) in claims.iter().zip(&counts) {
        let evals = &opening.evals[base..base + count];
        let vars = claim.point.len();
        if vars == 0 && evals[0].iter().any(|e| *e != claim.value) {
            return Err(VerifyError::OpeningFold { matrix: claim.matrix, fold: 0 });
        }
        for (i, x) in claim.point.iter().enumerate() {
            let [at_r, at_minus_r, _] = evals[i];
            let next = if i + 1 < vars { evals[i + 1][2] } else { claim.value };
            let folded = r * (Fr::one() - x) * (at_r + at_minus_r) + *x * (at_r - at_minus_r);
            if two_r * next != folded {
                return Err(VerifyError::OpeningFold { matrix: claim.matrix, fold: i });
            }
        }
        commitments.push(claim.commitment);
        commitments.extend_from_slice(&opening.folds[folds_at..folds_at + count - 1]);
        base += count;
        folds_at += count - 1;
    }

    // The batched polynomial's commitment and values, and the one pairing equation.
    let mut q_powers = Vec::with_capacity(polys);
    let mut power = Fr::one();
    for _ in 0..polys {
        q_powers.push(power);
        power *= q;
    }
    let batched = G1Projective::msm(&commitments, &q_powers)
        .map_err(|_| VerifyError::BadProofEncoding("commitment count mismatch".into()))?;
    let us = points(r);
    let mut left = G1Projective::default();
    let mut right = G1Projective::default();
    let mut d_power = Fr::one();
    for (t, (u, w)) in us.iter().zip(&opening.quotients).enumerate() {
        let value: Fr = opening.evals.iter().zip(&q_powers).map(|(e, qp)| e[t] * qp).sum();
        let term = batched - vk.g1.into_group() * value + w.into_group() * u;
        left += term * d_power;
        right += w.into_group() * d_power;
        d_power *= d;
    }
    let check = Bn254::multi_pairing([left.into_affine(), (-right).into_affine()], [vk.g2, vk.tau_g2]);
    if !check.is_zero() {
        return Err(VerifyError::OpeningRejected);
    }
    Ok(())
}
