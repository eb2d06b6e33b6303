//! The second proof path: `C = A·B` proven by a sumcheck over committed matrices.
//!
//! # The statement
//! A receipt of this kind claims: *the matrices committed to by `c_A`, `c_B`, `c_C` satisfy
//! C = A·B*, for an `m×k` int8 A, a `k×n` int8 B and the `m×n` int32 C. The commitments
//! are multilinear KZG commitments (see [`hyperkzg`]) over a univariate Powers-of-Tau SRS
//! named by its id (a hash of G, H and τ·H). A buyer who holds A and B (and C) recomputes
//! their commitments from its own data and compares them: that is what ties the proof
//! to its matrices, as the digests do for the Groth16 unit.
//!
//! # Padding and indexing
//! Every dimension is padded with zeros to the next power of two: `M = 2^a ≥ m`,
//! `K = 2^b ≥ k`, `N = 2^c ≥ n` (a dimension of 1 stays 1, with no variable). Entries are
//! embedded in Fr (a negative int8 v as r − |v|). A is read row-major as a vector of
//! M·K values, entry (i, x) at index `i·K + x`, so Ã's first b variables are the bits of
//! x (least significant first) and its last a variables the bits of i. Likewise B at
//! `x·N + j` (c variables of j, then b of x) and C at `i·N + j` (c of j, then a of i).
//! Padding changes no product: the padded C is the product of the padded A and B.
//!
//! # The protocol (made non-interactive with [`transcript`])
//! 1. The transcript absorbs the unit id, m, k, n, the SRS id and the three commitments.
//! 2. Challenges `r_j ∈ F^c`, `r_i ∈ F^a`. The prover sends `v = C̃(r_j, r_i)`.
//! 3. Since `C[i][j] = Σ_x A[i][x]·B[x][j]` for every i, j, multilinear extension gives
//!    `C̃(r_j, r_i) = Σ_{x ∈ {0,1}^b} Ã(x, r_i)·B̃(r_j, x)`. A sumcheck of b rounds proves
//!    this sum: in round t the prover sends `g_t(0), g_t(1), g_t(2)` of the degree-2
//!    polynomial `g_t(X) = Σ Ã(ρ₀…ρ_{t−1}, X, x', r_i)·B̃(r_j, ρ₀…ρ_{t−1}, X, x')`; the
//!    verifier checks `g_t(0) + g_t(1)` against the running claim (v at first), draws
//!    ρ_t and carries `g_t(ρ_t)` (Lagrange interpolation at 0, 1, 2).
//! 4. The prover sends `e_A = Ã(r_x, r_i)` and `e_B = B̃(r_j, r_x)`, `r_x = (ρ₀ … ρ_{b−1})`;
//!    the verifier checks that the last claim is `e_A·e_B`.
//! 5. One batched evaluation proof ([`hyperkzg`]) shows that `c_A` opens to e_A at
//!    `(r_x, r_i)`, `c_B` to e_B at `(r_j, r_x)` and `c_C` to v at `(r_j, r_i)`.
//!
//! # Why it is sound
//! Suppose C ≠ A·B as integers. Then C ≠ A·B over Fr too, since every entry of C − A·B
//! is below r in absolute value (|C| ≤ 2^31 for int32, |A·B| ≤ 2^14·k, and k ≤ MAX_K =
//! 2^17 − 1, so below 2^32 ≪ r); the int32 bound itself only decides whether an honest
//! C exists, which MAX_K guarantees (2^14·k < 2^31). Then
//! `D(y, z) = C̃(y, z) − Σ_x Ã(x, z)·B̃(y, x)` is a non-zero multilinear polynomial in
//! a + c variables (the multilinear extension of the non-zero matrix C − A·B), so at the
//! random `(r_j, r_i)` it vanishes with probability at most (a + c)/|F| (Schwartz–Zippel).
//! If it does not vanish, the claimed v is either not C̃(r_j, r_i) (caught by C's
//! evaluation proof, binding under q-SDH in the AGM) or not the sum, in which case the
//! sumcheck's standard argument applies: each round's polynomial, if not the true g_t,
//! agrees with it at ρ_t with probability at most 2/|F|, so a false sum survives the b
//! rounds with probability at most 2b/|F|; the last claim then is not Ã(r_x, r_i)·B̃(r_j,
//! r_x), so e_A or e_B is a false evaluation, caught by the evaluation proofs. All
//! challenges come from the transcript after everything they depend on was absorbed
//! (Fiat–Shamir in the random-oracle model), and the statement itself (unit, shape, SRS,
//! commitments) is absorbed first, so a proof of one statement says nothing about
//! another. Per transcript, the error besides the evaluation proofs' is (a + c + 2b)/|F|
//! ≤ 74/r ≈ 2^-247.4 (a + c + 2b ≤ 74 for the largest shapes); Fiat–Shamir multiplies
//! the total, openings included, by the number Q of hash queries a forger makes
//! (Q·ε: still negligible for any feasible Q).
//!
//! **No range checks are needed**: the commitments bind field values, and the buyer
//! commits its own int8 A and B; C's values are whatever field elements satisfy the
//! product, which (as above) is the integer product. **Zero knowledge is not provided**
//! and not needed: the supplier computed with the data, and the proof reveals
//! evaluations of matrices the buyer owns.
//!
//! # Setup
//! The SRS is a Powers of Tau: τⁱ·G for i below the largest of M·K, K·N, M·N, and τ·H.
//! The verifier needs only G, H and τ·H ([`SrsKey`], named by its id); the prover and a
//! buyer who recomputes commitments need the G1 powers, which the buyer checks are
//! powers of the key's τ ([`commit::powers_from_bytes`]) before committing with them.
//! An SRS from the public ceremony needs no trust in whoever ships it **provided the
//! relying party pins its id** (the id of a ceremony's τ is public and fixed; a
//! directory relabelled from a development SRS keeps the dev id): the `source` and
//! insecure fields are the directory's own word. The seeded development SRS is
//! insecure (its τ is public), marked so, and its τ·H is recomputed from the seed when
//! loaded, so a dev SRS cannot claim another seed.

pub mod commit;
pub mod hyperkzg;
pub mod proof;
pub mod receipt;
pub mod transcript;

use ark_bn254::{Fr, G1Affine};
use ark_ff::{Field, One};

pub use hyperkzg::SrsVerifyingKey;
pub use proof::{Dims, MatmulProof};
pub use receipt::{SrsKey, SumcheckReceipt, SUMCHECK_KIND, SUMCHECK_RECEIPT_VERSION};
use transcript::Transcript;

use crate::error::{Result, VerifyError};
use crate::prelude::*;

/// What a proof is about: the shape, the SRS and the three commitments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatmulStatement {
    /// The unit id (`mm-i8-MxKxN`).
    pub unit: String,
    /// Rows of A and C.
    pub m: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// Columns of B and C.
    pub n: usize,
    /// The SRS id (hex).
    pub srs: String,
    /// Commitments to A, B and C.
    pub commitments: [G1Affine; 3],
}

impl MatmulStatement {
    /// Starts the protocol's transcript with this statement (step 1).
    pub fn transcript(&self) -> Transcript {
        let mut t = Transcript::new();
        t.absorb(b"unit", self.unit.as_bytes());
        t.absorb_u64(b"m", self.m as u64);
        t.absorb_u64(b"k", self.k as u64);
        t.absorb_u64(b"n", self.n as u64);
        t.absorb(b"srs", self.srs.as_bytes());
        t.absorb_g1s(b"commitments", &self.commitments);
        t
    }

    /// The padded shape.
    pub fn dims(&self) -> Dims {
        Dims::of(self.m, self.k, self.n)
    }
}

/// `g(ρ)` for the degree-2 polynomial with `g(0), g(1), g(2) = evals`.
pub fn interpolate(evals: &[Fr; 3], rho: Fr) -> Fr {
    let [g0, g1, g2] = *evals;
    let two_inv = Fr::from(2u64).inverse().expect("2 is invertible");
    let (one, two) = (Fr::one(), Fr::from(2u64));
    g0 * (rho - one) * (rho - two) * two_inv - g1 * rho * (rho - two) + g2 * rho * (rho - one) * two_inv
}

/// The points the three evaluation proofs are at: A at (r_x, r_i), B at (r_j, r_x),
/// C at (r_j, r_i), each listing its variables in index-bit order.
pub fn opening_points(r_i: &[Fr], r_j: &[Fr], r_x: &[Fr]) -> [Vec<Fr>; 3] {
    let cat = |low: &[Fr], high: &[Fr]| low.iter().chain(high).copied().collect::<Vec<Fr>>();
    [cat(r_x, r_i), cat(r_j, r_x), cat(r_j, r_i)]
}

/// Verifies `proof` for `statement` under the SRS `key` (whose id the statement must name).
pub fn verify_matmul(key: &SrsKey, statement: &MatmulStatement, proof: &MatmulProof) -> Result<()> {
    let id = key.id();
    if statement.srs != id {
        return Err(VerifyError::WrongVerifyingKey { expected: id, found: crate::error::quoted(&statement.srs) });
    }
    let vk = &key.vk;
    let dims = statement.dims();
    if proof.rounds.len() != dims.b as usize {
        return Err(VerifyError::BadProofEncoding("one round polynomial per bit of the inner dimension".into()));
    }
    let mut t = statement.transcript();
    let r_j = t.challenges(b"r_j", dims.c as usize);
    let r_i = t.challenges(b"r_i", dims.a as usize);
    t.absorb_fr(b"claim", &proof.claim);
    let mut claim = proof.claim;
    let mut r_x = Vec::with_capacity(dims.b as usize);
    for (round, g) in proof.rounds.iter().enumerate() {
        if g[0] + g[1] != claim {
            return Err(VerifyError::SumcheckRound { round });
        }
        t.absorb_frs(b"round", g);
        let rho = t.challenge(b"rho");
        claim = interpolate(g, rho);
        r_x.push(rho);
    }
    t.absorb_frs(b"evaluations of A and B", &[proof.eval_a, proof.eval_b]);
    if claim != proof.eval_a * proof.eval_b {
        return Err(VerifyError::SumcheckFinal);
    }
    let [point_a, point_b, point_c] = opening_points(&r_i, &r_j, &r_x);
    let [ca, cb, cc] = statement.commitments;
    let claims = [
        hyperkzg::Claim { matrix: "A", commitment: ca, point: &point_a, value: proof.eval_a },
        hyperkzg::Claim { matrix: "B", commitment: cb, point: &point_b, value: proof.eval_b },
        hyperkzg::Claim { matrix: "C", commitment: cc, point: &point_c, value: proof.claim },
    ];
    hyperkzg::verify(vk, &mut t, &claims, &proof.opening)
}
