//! `ceremony new`: a unit's initial zkey from a prepared Powers of Tau, as snarkjs'
//! `groth16 setup` (`zkey new`) makes it, byte for byte.
//!
//! The QAP has a row per constraint and then one row `z_s · 0 = 0` per public wire
//! `s ≤ nPublic` (A = {s: 1}), which makes the public wires' A polynomials independent;
//! its domain is the smallest power of two n ≥ constraints + nPublic + 1. With the
//! Lagrange bases Lτ1, Lτ2, Lα, Lβ of the size-n domain (prepared ptau sections 12–15):
//! `A_s = Σ A[c][s]·Lτ1[c]`, `B1_s`, `B2_s` likewise from B, and
//! `K_s = Σ A[c][s]·Lβ[c] + B[c][s]·Lα[c] + C[c][s]·Lτ1[c]`, the IC point of a public
//! wire and the L point of a private one (γ = δ = 1 until contributions). H holds the
//! odd Lagrange points of the size-2n domain (section 12's next block), for the prover's
//! odd-coset QAP.
//!
//! The circuit hash is blake2b-512 over the key with H replaced by the points
//! `τ^(n+i)·G1 − τ^i·G1` (which do not depend on the basis). Like snarkjs, for
//! `n ≥ 32768` it hashes n of them (its chunked loop's count) under the prefix n − 1;
//! the n-th needs the ptau's point `τ^(2n−1)·G1`, which a file of exactly the unit's
//! power does not hold (snarkjs then hashes bytes past the section's end), so such a
//! file is refused with the power needed.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;
use teraproof_circuits::R1cs;

use super::binfile::{g1_u, g2_u};
use super::r1cs::normalised;
use super::zkey::{Coef, Header, Zkey};
use crate::error::{ProverError, Result};
use crate::ptau::PtauFile;

/// The domain power of a QAP of `rows` rows (constraints + public wires + 1).
pub fn domain_power(rows: usize) -> u32 {
    rows.max(2).next_power_of_two().trailing_zeros()
}

/// `v·p`, cheap for the small and the small negative coefficients circuits have.
fn times<P: AffineRepr>(p: &P, v: &Fr) -> P::Group {
    let half = Fr::MODULUS_MINUS_ONE_DIV_TWO;
    let big = v.into_bigint();
    if big > half {
        -p.mul_bigint((-*v).into_bigint())
    } else {
        p.mul_bigint(big)
    }
}

fn ceremony(message: impl Into<String>) -> ProverError {
    ProverError::Ceremony(message.into())
}

/// The initial zkey of `r1cs` on the prepared ptau `ptau`.
pub fn new_zkey(r1cs: &R1cs, ptau: &mut PtauFile) -> Result<Zkey> {
    let ptau_err = |e: crate::ptau::PtauError| ceremony(format!("the ptau file: {e}"));
    let n_public = r1cs.num_instance - 1;
    let n_vars = r1cs.num_instance + r1cs.num_witness;
    let n_cons = r1cs.num_constraints();
    let power = domain_power(n_cons + n_public + 1);
    if power > ptau.power {
        return Err(ceremony(format!(
            "{} needs a Powers of Tau of power {power} at least (its QAP has {} rows); this one has power {}",
            r1cs.unit,
            n_cons + n_public + 1,
            ptau.power
        )));
    }
    if !(12..=15).all(|s| ptau.has_section(s)) {
        return Err(ceremony(
            "the ptau file is not prepared for phase 2 (no Lagrange sections 12-15): run `snarkjs powersoftau \
             prepare phase2` on it, or take a prepared file (the public ones are)",
        ));
    }
    let n = 1usize << power;
    let hashed_h = if n >= 32768 { n } else { n - 1 };
    if hashed_h == n && ptau.power == power {
        return Err(ceremony(format!(
            "{} has a QAP domain of 2^{power}; snarkjs' circuit hash for such a domain reads one point past a ptau \
             of exactly that power, so use a Powers of Tau of power {} at least",
            r1cs.unit,
            power + 1
        )));
    }
    let rows: Vec<[Vec<(Fr, usize)>; 3]> =
        (0..n_cons).map(|i| [normalised(&r1cs.a[i]), normalised(&r1cs.b[i]), normalised(&r1cs.c[i])]).collect();
    let tau1 = ptau.g1_points(12, n - 1, n).map_err(ptau_err)?;
    let tau2 = ptau.g2_points(13, n - 1, n).map_err(ptau_err)?;
    let alpha_l = ptau.g1_points(14, n - 1, n).map_err(ptau_err)?;
    let beta_l = ptau.g1_points(15, n - 1, n).map_err(ptau_err)?;
    let alpha1 = ptau.g1_points(4, 0, 1).map_err(ptau_err)?[0];
    let beta1 = ptau.g1_points(5, 0, 1).map_err(ptau_err)?[0];
    let beta2 = ptau.g2_points(6, 0, 1).map_err(ptau_err)?[0];
    let h: Vec<G1Affine> =
        ptau.g1_points(12, 2 * n - 1, 2 * n).map_err(ptau_err)?.into_iter().skip(1).step_by(2).collect();
    let monomials = ptau.g1_points(2, 0, n + hashed_h).map_err(ptau_err)?;

    // Every term by wire: (matrix 0/1/2, row, coefficient).
    let mut by_wire: Vec<Vec<(u8, usize, Fr)>> = vec![Vec::new(); n_vars];
    let mut coefs = Vec::new();
    for (c, row) in rows.iter().enumerate() {
        for (m, lc) in row.iter().enumerate() {
            for &(v, s) in lc {
                if s >= n_vars {
                    return Err(ceremony(format!("constraint {c} names wire {s} of {n_vars}")));
                }
                by_wire[s].push((m as u8, c, v));
                if m < 2 {
                    coefs.push(Coef { matrix: m as u32, row: c as u32, wire: s as u32, value: v });
                }
            }
        }
    }
    for (s, terms) in by_wire.iter_mut().enumerate().take(n_public + 1) {
        terms.push((3, n_cons + s, Fr::from(1u64)));
        coefs.push(Coef { matrix: 0, row: (n_cons + s) as u32, wire: s as u32, value: Fr::from(1u64) });
    }
    // Per wire: A, B1, B2 and K (IC or L).
    let points: Vec<(G1Projective, G1Projective, G2Projective, G1Projective)> = by_wire
        .par_iter()
        .map(|terms| {
            let (mut a, mut b1, mut b2, mut k) =
                (G1Projective::default(), G1Projective::default(), G2Projective::default(), G1Projective::default());
            for &(m, c, v) in terms {
                match m {
                    0 => {
                        a += times(&tau1[c], &v);
                        k += times(&beta_l[c], &v);
                    }
                    1 => {
                        b1 += times(&tau1[c], &v);
                        b2 += times(&tau2[c], &v);
                        k += times(&alpha_l[c], &v);
                    }
                    2 => k += times(&tau1[c], &v),
                    _ => {
                        // the public wire's own row: A = {s: 1}
                        a += tau1[c];
                        k += beta_l[c];
                    }
                }
            }
            (a, b1, b2, k)
        })
        .collect();
    let a = G1Projective::normalize_batch(&points.iter().map(|p| p.0).collect::<Vec<_>>());
    let b1 = G1Projective::normalize_batch(&points.iter().map(|p| p.1).collect::<Vec<_>>());
    let b2 = G2Projective::normalize_batch(&points.iter().map(|p| p.2).collect::<Vec<_>>());
    let k = G1Projective::normalize_batch(&points.iter().map(|p| p.3).collect::<Vec<_>>());
    let (ic, l) = (k[..=n_public].to_vec(), k[n_public + 1..].to_vec());
    let header = Header {
        n_vars: n_vars as u32,
        n_public: n_public as u32,
        domain_size: n as u32,
        alpha1,
        beta1,
        beta2,
        gamma2: G2Affine::generator(),
        delta1: G1Affine::generator(),
        delta2: G2Affine::generator(),
    };
    let z_points: Vec<G1Projective> =
        (0..hashed_h).into_par_iter().map(|i| monomials[i + n].into_group() - monomials[i]).collect();
    let z_points = G1Projective::normalize_batch(&z_points);
    let cs_hash = circuit_hash(&header, &ic, (n - 1) as u32, &z_points, &l, &a, &b1, &b2);
    Ok(Zkey { header, ic, coefs, a, b1, b2, l, h, cs_hash, contributions: Vec::new() })
}

/// snarkjs' circuit hash (see the [module docs](self)).
#[allow(clippy::too_many_arguments)]
pub fn circuit_hash(
    header: &Header,
    ic: &[G1Affine],
    h_count: u32,
    z_points: &[G1Affine],
    l: &[G1Affine],
    a: &[G1Affine],
    b1: &[G1Affine],
    b2: &[G2Affine],
) -> [u8; 64] {
    let mut hasher = Blake2b512::new();
    let mut buf = Vec::with_capacity(1 << 16);
    g1_u(&header.alpha1, &mut buf);
    g1_u(&header.beta1, &mut buf);
    g2_u(&header.beta2, &mut buf);
    g2_u(&G2Affine::generator(), &mut buf);
    g1_u(&G1Affine::generator(), &mut buf);
    g2_u(&G2Affine::generator(), &mut buf);
    let g1_block = |hasher: &mut Blake2b512, buf: &mut Vec<u8>, count: u32, points: &[G1Affine]| {
        buf.extend_from_slice(&count.to_be_bytes());
        for p in points {
            g1_u(p, buf);
            if buf.len() >= 1 << 16 {
                hasher.update(&buf[..]);
                buf.clear();
            }
        }
    };
    g1_block(&mut hasher, &mut buf, ic.len() as u32, ic);
    g1_block(&mut hasher, &mut buf, h_count, z_points);
    g1_block(&mut hasher, &mut buf, l.len() as u32, l);
    g1_block(&mut hasher, &mut buf, a.len() as u32, a);
    g1_block(&mut hasher, &mut buf, b1.len() as u32, b1);
    buf.extend_from_slice(&(b2.len() as u32).to_be_bytes());
    for p in b2 {
        g2_u(p, &mut buf);
        if buf.len() >= 1 << 16 {
            hasher.update(&buf[..]);
            buf.clear();
        }
    }
    hasher.update(&buf[..]);
    hasher.finalize().into()
}
