//! The sumcheck path's proof: its parts, their exact byte layout, and strict decoding.
//!
//! A proof's length is fixed by the padded shape (see [`Dims`]): every field element is
//! 32 bytes little-endian and must be below r (never reduced), every point is a
//! 32-byte compressed G1 point in its one canonical encoding, on the curve (G1 of BN254
//! has cofactor 1, so on the curve is in the group). The identity is allowed: an
//! all-zero matrix commits to it, and so may a fold or a quotient.

use ark_bn254::{Fr, G1Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};

use crate::error::{Result, VerifyError};
use crate::prelude::*;

/// Bytes of a field element in a proof.
pub const FR_BYTES: usize = 32;
/// Bytes of a compressed G1 point.
pub const G1_BYTES: usize = 32;

/// The padded shape, as base-2 logarithms: A is `2^a × 2^b`, B `2^b × 2^c`, C `2^a × 2^c`.
/// Each dimension is padded with zeros up to the next power of two (1 stays 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// log₂ of the padded row count of A and C
    pub a: u32,
    /// log₂ of the padded inner dimension
    pub b: u32,
    /// log₂ of the padded column count of B and C
    pub c: u32,
}

impl Dims {
    /// The padded shape of `m × k × n` (each at least 1).
    pub fn of(m: usize, k: usize, n: usize) -> Dims {
        let log = |x: usize| x.max(1).next_power_of_two().trailing_zeros();
        Dims { a: log(m), b: log(k), c: log(n) }
    }

    /// The number of variables of Ã, B̃ and C̃.
    pub fn vars(&self) -> [usize; 3] {
        [(self.a + self.b) as usize, (self.b + self.c) as usize, (self.a + self.c) as usize]
    }

    /// The polynomials an opening of a `vars`-variable polynomial batches: f₀ … f_{ℓ−1}
    /// (at least f₀).
    pub fn batched(vars: usize) -> usize {
        vars.max(1)
    }

    /// The most coefficients any of the three polynomials has: the SRS must hold this
    /// many G1 powers.
    pub fn max_len(&self) -> usize {
        self.vars().iter().map(|&v| 1usize << v).max().unwrap_or(1)
    }

    /// The exact length of a proof for this shape.
    pub fn proof_bytes(&self) -> usize {
        let polys: usize = self.vars().iter().map(|&v| Dims::batched(v)).sum();
        let folds = polys - 3;
        FR_BYTES * (1 + 3 * self.b as usize + 2) + G1_BYTES * folds + FR_BYTES * 3 * polys + G1_BYTES * 3
    }
}

/// The evaluation proofs of Ã, B̃ and C̃, batched (see `hyperkzg`): the commitments to
/// each polynomial's folds, every batched polynomial's values at `r, −r, r²`, and one
/// KZG quotient commitment per point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOpening {
    /// For A, then B, then C: the commitments to f₁ … f_{ℓ−1}.
    pub folds: Vec<G1Affine>,
    /// For A, then B, then C, for f₀ … f_{max(ℓ,1)−1}: `[f(r), f(−r), f(r²)]`.
    pub evals: Vec<[Fr; 3]>,
    /// Commitments to `(B(X) − B(u))/(X − u)` for `u = r, −r, r²`.
    pub quotients: [G1Affine; 3],
}

/// A proof that `C = A·B` for committed A, B and C.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatmulProof {
    /// The claimed `C̃(r_j, r_i)` at the verifier's random row and column point.
    pub claim: Fr,
    /// Each sumcheck round's polynomial `g_t` as `[g_t(0), g_t(1), g_t(2)]`.
    pub rounds: Vec<[Fr; 3]>,
    /// `Ã(r_x, r_i)` at the point the sumcheck ends in.
    pub eval_a: Fr,
    /// `B̃(r_j, r_x)`.
    pub eval_b: Fr,
    /// The three evaluation proofs.
    pub opening: BatchOpening,
}

fn put_fr(out: &mut Vec<u8>, x: &Fr) {
    out.extend_from_slice(&x.into_bigint().to_bytes_le());
}

fn put_g1(out: &mut Vec<u8>, p: &G1Affine) {
    p.serialize_compressed(out).expect("Vec write");
}

impl MatmulProof {
    /// The proof's bytes, in the order of [`Dims::proof_bytes`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_fr(&mut out, &self.claim);
        for round in &self.rounds {
            round.iter().for_each(|x| put_fr(&mut out, x));
        }
        put_fr(&mut out, &self.eval_a);
        put_fr(&mut out, &self.eval_b);
        self.opening.folds.iter().for_each(|p| put_g1(&mut out, p));
        for evals in &self.opening.evals {
            evals.iter().for_each(|x| put_fr(&mut out, x));
        }
        self.opening.quotients.iter().for_each(|p| put_g1(&mut out, p));
        out
    }

    /// Decodes a proof for `dims`, refusing any other length, any field element not
    /// below r and any point not canonically encoded on the curve.
    pub fn from_bytes(dims: Dims, bytes: &[u8]) -> Result<MatmulProof> {
        let expected = dims.proof_bytes();
        if bytes.len() != expected {
            return Err(VerifyError::BadProofEncoding(format!(
                "a sumcheck proof for this shape is {expected} bytes, this one is {}",
                bytes.len()
            )));
        }
        let mut reader = Reader { bytes, at: 0 };
        let claim = reader.fr("claim")?;
        let rounds = (0..dims.b).map(|_| reader.fr3("round polynomial")).collect::<Result<Vec<_>>>()?;
        let (eval_a, eval_b) = (reader.fr("evaluation of A")?, reader.fr("evaluation of B")?);
        let polys: usize = dims.vars().iter().map(|&v| Dims::batched(v)).sum();
        let folds = (0..polys - 3).map(|_| reader.g1("fold commitment")).collect::<Result<Vec<_>>>()?;
        let evals = (0..polys).map(|_| reader.fr3("opening evaluation")).collect::<Result<Vec<_>>>()?;
        let quotients = [reader.g1("quotient")?, reader.g1("quotient")?, reader.g1("quotient")?];
        Ok(MatmulProof { claim, rounds, eval_a, eval_b, opening: BatchOpening { folds, evals, quotients } })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, len: usize) -> &[u8] {
        // The caller checked the total length, so every take is in range.
        let part = &self.bytes[self.at..self.at + len];
        self.at += len;
        part
    }

    fn fr(&mut self, what: &'static str) -> Result<Fr> {
        let at = self.at;
        fr_from_le(self.take(FR_BYTES)).ok_or_else(|| {
            VerifyError::BadProofEncoding(format!(
                "the {what} at byte {at} is not a canonical field element (not below r)"
            ))
        })
    }

    fn fr3(&mut self, what: &'static str) -> Result<[Fr; 3]> {
        Ok([self.fr(what)?, self.fr(what)?, self.fr(what)?])
    }

    fn g1(&mut self, what: &'static str) -> Result<G1Affine> {
        g1_from_compressed(what, self.take(G1_BYTES))
    }
}

/// The field element with these 32 little-endian bytes, or `None` when they are not
/// below r (never reduced).
pub fn fr_from_le(bytes: &[u8]) -> Option<Fr> {
    if bytes.len() != FR_BYTES {
        return None;
    }
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        *limb = u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().ok()?);
    }
    Fr::from_bigint(ark_ff::BigInt::new(limbs))
}

/// A compressed G1 point in its canonical encoding, on the curve (the identity allowed).
pub fn g1_from_compressed(point: &'static str, bytes: &[u8]) -> Result<G1Affine> {
    let p = G1Affine::deserialize_with_mode(bytes, Compress::Yes, Validate::Yes).map_err(|_| {
        VerifyError::InvalidProofPoint {
            point,
            reason: "not a valid compressed point (not on the curve or not canonical)",
        }
    })?;
    let mut canonical = Vec::with_capacity(G1_BYTES);
    p.serialize_compressed(&mut canonical).expect("Vec write");
    if canonical != bytes {
        return Err(VerifyError::InvalidProofPoint { point, reason: "not the canonical encoding of its point" });
    }
    Ok(p)
}

/// The compressed encoding of a G1 point.
pub fn g1_to_compressed(p: &G1Affine) -> [u8; G1_BYTES] {
    let mut out = Vec::with_capacity(G1_BYTES);
    put_g1(&mut out, p);
    out.try_into().expect("compressed G1 points are 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_rounds_each_dimension_up_to_a_power_of_two() {
        assert_eq!(Dims::of(1, 1, 1), Dims { a: 0, b: 0, c: 0 });
        assert_eq!(Dims::of(3, 64, 65), Dims { a: 2, b: 6, c: 7 });
        assert_eq!(Dims::of(3, 64, 65).max_len(), 1 << 13);
        // m = k = n = 1: three constants, no rounds, no folds.
        assert_eq!(Dims::of(1, 1, 1).proof_bytes(), 32 * 3 + 32 * 9 + 32 * 3);
    }

    #[test]
    fn field_elements_at_or_above_r_are_refused() {
        let mut bytes = Fr::from(5u64).into_bigint().to_bytes_le();
        assert_eq!(fr_from_le(&bytes), Some(Fr::from(5u64)));
        bytes = Fr::MODULUS.to_bytes_le();
        assert_eq!(fr_from_le(&bytes), None, "r itself");
        assert_eq!(fr_from_le(&[0xff; 32]), None);
        assert_eq!(fr_from_le(&[0; 31]), None, "short");
    }
}
