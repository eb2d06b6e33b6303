//! The buyer's side of the statement: recomputing the commitments to its own matrices.
//!
//! A sumcheck receipt proves C = A·B *for the committed matrices*; what ties it to the
//! buyer's A and B (and the C it received) is that their commitments, recomputed here
//! from the buyer's data and the SRS's G1 powers, are the receipt's. Matrices are
//! padded exactly as the protocol states (see [`super`]): zeros up to the next powers of
//! two, row-major, entry (i, j) of an R×C padded matrix at index `i·C + j`.
//!
//! The powers come from the SRS directory's `srs-g1.bin` (64-byte uncompressed affine
//! points, x ‖ y little-endian, as arkworks writes them); [`powers_from_bytes`] checks
//! every point and that the first is the key's G. No thread pool: arkworks' serial MSM,
//! which handles the small signed scalars of int8 and int32 matrices cheaply.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, Compress, Validate};
use teraproof_core::{Element, Matrix};

use super::receipt::check_commitments;
use super::{MatmulStatement, SrsKey};
use crate::error::{Result, VerifyError};
use crate::prelude::*;

/// Bytes of one power in `srs-g1.bin`.
pub const G1_POWER_BYTES: usize = 64;

/// The first `need` powers of `bytes` (an `srs-g1.bin`, or its first part), each
/// checked on the curve, the first checked to be the key's G. Refuses bytes that are not
/// a whole number of points, more points than the key says, or fewer than needed.
pub fn powers_from_bytes(key: &SrsKey, bytes: &[u8], need: usize) -> Result<Vec<G1Affine>> {
    let held = bytes.len() / G1_POWER_BYTES;
    if !bytes.len().is_multiple_of(G1_POWER_BYTES) || held > key.powers {
        return Err(VerifyError::BadKey(format!(
            "the G1 powers are {} bytes: not a whole number of 64-byte points, or more than the key's {}",
            bytes.len(),
            key.powers
        )));
    }
    if need > held {
        return Err(VerifyError::BadKey(format!("{held} G1 powers given; this shape needs {need}")));
    }
    let powers = bytes
        .chunks_exact(G1_POWER_BYTES)
        .take(need)
        .enumerate()
        .map(|(i, chunk)| {
            G1Affine::deserialize_with_mode(chunk, Compress::No, Validate::Yes)
                .map_err(|_| VerifyError::BadKey(format!("G1 power {i} is not a point of G1")))
        })
        .collect::<Result<Vec<_>>>()?;
    if powers.first().is_some_and(|g| *g != key.vk.g1) {
        return Err(VerifyError::BadKey("the first G1 power is not the key's generator".into()));
    }
    check_powers_of_tau(key, &powers)?;
    Ok(powers)
}

/// Checks that `powers[i + 1] = τ·powers[i]` for the key's τ (that of τ·H), for every i,
/// with one random linear combination: `e(Σ ρᵢ·P_{i+1}, H) = e(Σ ρᵢ·P_i, τ·H)`. The ρᵢ
/// are 128-bit challenges from a transcript over all the points (Fiat–Shamir: no RNG
/// needed, so `no_std`); a list that is not powers of τ passes with probability about
/// 2^-128 per hash query. Without this check a supplier who ships `srs-g1.bin` could
/// permute or remix the powers and make a false C's commitment match.
pub fn check_powers_of_tau(key: &SrsKey, powers: &[G1Affine]) -> Result<()> {
    if powers.len() < 2 {
        return Ok(());
    }
    let mut t = super::transcript::Transcript::new();
    t.absorb(b"teraproof/srs-powers-check/v1", key.id().as_bytes());
    // In chunks, so a large SRS is not copied whole into one message.
    for chunk in powers.chunks(1 << 12) {
        t.absorb_g1s(b"powers", chunk);
    }
    let rho: Vec<Fr> = (0..powers.len() - 1)
        .map(|_| {
            let wide = t.challenge(b"rho").into_bigint();
            // The low 128 bits: enough for the check, half the MSM's cost.
            Fr::from(u128::from(wide.0[0]) | (u128::from(wide.0[1]) << 64))
        })
        .collect();
    let shifted = G1Projective::msm(&powers[1..], &rho).map_err(|_| VerifyError::BadKey("MSM length".into()))?;
    let base =
        G1Projective::msm(&powers[..powers.len() - 1], &rho).map_err(|_| VerifyError::BadKey("MSM length".into()))?;
    let check = Bn254::multi_pairing([shifted.into_affine(), (-base).into_affine()], [key.vk.g2, key.vk.tau_g2]);
    if !check.is_zero() {
        return Err(VerifyError::BadKey("the G1 powers are not successive powers of the key's tau".into()));
    }
    Ok(())
}

/// The commitment to `matrix` padded to `rows × cols` (powers of two, at least its own
/// shape): `Σ v[i][j]·τ^(i·cols + j)·G`.
pub fn commit_matrix<T: Element>(
    powers: &[G1Affine],
    matrix: &Matrix<T>,
    rows: usize,
    cols: usize,
) -> Result<G1Affine> {
    let (r, c) = (matrix.rows(), matrix.cols());
    if r > rows || c > cols {
        return Err(VerifyError::DataShapeMismatch(format!("a {r}x{c} matrix does not fit the padded {rows}x{cols}")));
    }
    let mut bases = Vec::with_capacity(r * c);
    let mut scalars = Vec::with_capacity(r * c);
    for (i, row) in matrix.data().chunks(c.max(1)).enumerate().take(r) {
        for (j, &v) in row.iter().enumerate() {
            let at = i * cols + j;
            let base = powers.get(at).ok_or_else(|| {
                VerifyError::BadKey(format!("the SRS holds {} powers; this matrix needs {}", powers.len(), at + 1))
            })?;
            bases.push(*base);
            scalars.push(Fr::from(v.into()));
        }
    }
    let sum = G1Projective::msm(&bases, &scalars).map_err(|_| VerifyError::BadKey("MSM length mismatch".into()))?;
    Ok(sum.into_affine())
}

/// Checks that the buyer's matrices (each `None` is skipped) are the statement's: each
/// of the shape the statement says, each commitment recomputed and compared.
pub fn check_data(
    statement: &MatmulStatement,
    powers: &[G1Affine],
    a: Option<&Matrix<i8>>,
    b: Option<&Matrix<i8>>,
    c: Option<&Matrix<i32>>,
) -> Result<()> {
    let (m, k, n) = (statement.m, statement.k, statement.n);
    let shape = |name: &str, got: (usize, usize), want: (usize, usize)| {
        if got != want {
            return Err(VerifyError::DataShapeMismatch(format!(
                "the given {name} is {}x{}, the receipt's {name} is {}x{}",
                got.0, got.1, want.0, want.1
            )));
        }
        Ok(())
    };
    let dims = statement.dims();
    let (mm, kk, nn) = (1usize << dims.a, 1usize << dims.b, 1usize << dims.c);
    let mut own = [None, None, None];
    if let Some(a) = a {
        shape("A", (a.rows(), a.cols()), (m, k))?;
        own[0] = Some(commit_matrix(powers, a, mm, kk)?);
    }
    if let Some(b) = b {
        shape("B", (b.rows(), b.cols()), (k, n))?;
        own[1] = Some(commit_matrix(powers, b, kk, nn)?);
    }
    if let Some(c) = c {
        shape("C", (c.rows(), c.cols()), (m, n))?;
        own[2] = Some(commit_matrix(powers, c, mm, nn)?);
    }
    check_commitments(statement, own)
}
