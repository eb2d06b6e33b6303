//! An **INSECURE** prepared Powers of Tau from a known τ, α, β, for benchmarks and tests
//! of units larger than the checked-in fixture: whoever knows the seed can forge proofs
//! under any key made from it. It holds what `snarkjs powersoftau prepare phase2`
//! writes (sections 1–6, an empty contribution list, and the Lagrange sections 12–15,
//! the last block of 12 from the monomials with a zero appended, as snarkjs computes it),
//! so `ceremony new` takes it like a public file. Real ceremonies start from the public
//! Perpetual Powers of Tau.

use std::io::Write;
use std::path::Path;

use ark_bn254::{Fq, Fr, G1Projective, G2Projective};
use ark_ec::scalar_mul::ScalarMul;
use ark_ec::PrimeGroup;
use ark_ff::{batch_inversion, BigInteger, FftField, Field, PrimeField};

use super::binfile::{g1_lem, g2_lem, write_header, write_section_header};
use crate::error::{ProverError, Result};

/// `L_i(τ)` for the domain of size 2^k, i < 2^k (with snarkjs' zero-appended last
/// block when `drop_top`: minus the τ^(m−1) term's share).
fn lagrange(tau: Fr, k: u32, drop_top: bool) -> Vec<Fr> {
    let m = 1usize << k;
    let omega = Fr::get_root_of_unity(m as u64).expect("a 2-adic domain");
    let m_inv = Fr::from(m as u64).inverse().expect("m is not zero in Fr");
    let t_m = tau.pow([m as u64]) - Fr::from(1u64);
    let top = tau.pow([(m - 1) as u64]) * m_inv;
    let mut w = Fr::from(1u64);
    let mut denominators = Vec::with_capacity(m);
    let mut omegas = Vec::with_capacity(m);
    for _ in 0..m {
        denominators.push(tau - w);
        omegas.push(w);
        w *= omega;
    }
    batch_inversion(&mut denominators);
    omegas
        .iter()
        .zip(&denominators)
        .map(|(w, d)| {
            let l = *w * t_m * m_inv * d;
            if drop_top {
                l - *w * top
            } else {
                l
            }
        })
        .collect()
}

/// Writes the insecure prepared ptau of `power` for τ, α, β to `path`.
pub fn write_dev_ptau(path: &Path, power: u32, tau: Fr, alpha: Fr, beta: Fr) -> Result<()> {
    if power == 0 || power > 24 {
        return Err(ProverError::Ceremony(format!("a development ptau has a power of 1 to 24, not {power}")));
    }
    let n = 1usize << power;
    let g1 = G1Projective::generator();
    let g2 = G2Projective::generator();
    let mut powers = Vec::with_capacity(2 * n - 1);
    let mut x = Fr::from(1u64);
    for _ in 0..2 * n - 1 {
        powers.push(x);
        x *= tau;
    }
    let scaled = |by: Fr, v: &[Fr]| -> Vec<Fr> { v.iter().map(|x| by * x).collect() };
    let g1s = |v: &[Fr]| -> Vec<u8> {
        let mut out = Vec::with_capacity(v.len() * 64);
        g1.batch_mul(v).iter().for_each(|p| g1_lem(p, &mut out));
        out
    };
    let g2s = |v: &[Fr]| -> Vec<u8> {
        let mut out = Vec::with_capacity(v.len() * 128);
        g2.batch_mul(v).iter().for_each(|p| g2_lem(p, &mut out));
        out
    };
    let mut sections: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut header = Vec::new();
    header.extend_from_slice(&32u32.to_le_bytes());
    header.extend_from_slice(&Fq::MODULUS.to_bytes_le());
    header.extend_from_slice(&power.to_le_bytes());
    header.extend_from_slice(&power.to_le_bytes());
    sections.push((1, header));
    sections.push((2, g1s(&powers)));
    sections.push((3, g2s(&powers[..n])));
    sections.push((4, g1s(&scaled(alpha, &powers[..n]))));
    sections.push((5, g1s(&scaled(beta, &powers[..n]))));
    sections.push((6, g2s(&[beta])));
    sections.push((7, 0u32.to_le_bytes().to_vec()));
    let blocks = |last: u32| -> Vec<Fr> { (0..=last).flat_map(|k| lagrange(tau, k, k == power + 1)).collect() };
    let l12 = blocks(power + 1);
    let l = blocks(power);
    sections.push((12, g1s(&l12)));
    sections.push((13, g2s(&l)));
    sections.push((14, g1s(&scaled(alpha, &l))));
    sections.push((15, g1s(&scaled(beta, &l))));
    let file = std::fs::File::create(path).map_err(|e| ProverError::io("cannot write", path, e))?;
    let mut out = std::io::BufWriter::new(file);
    let io = |e: std::io::Error| ProverError::io("cannot write", path, e);
    write_header(&mut out, b"ptau", 1, sections.len() as u32).map_err(io)?;
    for (id, body) in &sections {
        write_section_header(&mut out, *id, body.len() as u64).map_err(io)?;
        out.write_all(body).map_err(io)?;
    }
    out.flush().map_err(io)
}
