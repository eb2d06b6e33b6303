//! The iden3 binary container of `.r1cs`, `.wtns`, `.zkey` and `.ptau` files.
//!
//! Layout, all little endian: a 4-byte magic (`r1cs`, `wtns`, `zkey`, `ptau`), a u32
//! version, a u32 section count, then each section as a u32 id, a u64 payload size and
//! the payload. Field elements are written as canonical little-endian integers of `n8`
//! bytes (32 for BN254), never in Montgomery form (curve points in zkey and ptau files
//! are, and are handled where they are read).

use std::io::Write;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

/// Bytes of a BN254 field element in these files.
pub const N8: usize = 32;

/// Writes the file header: magic, version and section count.
pub fn write_header(out: &mut impl Write, magic: &[u8; 4], version: u32, sections: u32) -> std::io::Result<()> {
    out.write_all(magic)?;
    out.write_all(&version.to_le_bytes())?;
    out.write_all(&sections.to_le_bytes())
}

/// Writes a section header; `size` is its payload's byte count.
pub fn write_section_header(out: &mut impl Write, id: u32, size: u64) -> std::io::Result<()> {
    out.write_all(&id.to_le_bytes())?;
    out.write_all(&size.to_le_bytes())
}

/// A scalar as its canonical 32 little-endian bytes.
pub fn fr_bytes(x: &Fr) -> [u8; N8] {
    let mut bytes = [0u8; N8];
    bytes.copy_from_slice(&x.into_bigint().to_bytes_le());
    bytes
}

/// The scalar field's modulus r as 32 little-endian bytes.
pub fn r_bytes() -> [u8; N8] {
    let mut bytes = [0u8; N8];
    bytes.copy_from_slice(&Fr::MODULUS.to_bytes_le());
    bytes
}

use ark_bn254::{Fq, G1Affine, G2Affine};
use ark_ec::AffineRepr;

/// An Fq in the files' Montgomery little-endian form (x·2²⁵⁶ mod q): arkworks' own limbs.
fn fq_lem(x: &Fq, out: &mut Vec<u8>) {
    out.extend_from_slice(&x.0.to_bytes_le());
}

/// A G1 point as zkey and ptau files store it: affine x, y in Montgomery form, little
/// endian; the identity as 64 zero bytes.
pub fn g1_lem(p: &G1Affine, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            fq_lem(&x, out);
            fq_lem(&y, out);
        }
        None => out.extend_from_slice(&[0u8; 64]),
    }
}

/// A G2 point as zkey and ptau files store it: x.c0, x.c1, y.c0, y.c1 in Montgomery
/// form, little endian; the identity as 128 zero bytes.
pub fn g2_lem(p: &G2Affine, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            for c in [x.c0, x.c1, y.c0, y.c1] {
                fq_lem(&c, out);
            }
        }
        None => out.extend_from_slice(&[0u8; 128]),
    }
}

/// An Fq as snarkjs hashes it: canonical, big endian.
fn fq_be(x: &Fq, out: &mut Vec<u8>) {
    out.extend_from_slice(&x.into_bigint().to_bytes_be());
}

/// A G1 point as snarkjs hashes it ("uncompressed"): x, y canonical big endian; the
/// identity as 64 zero bytes (no flag bit).
pub fn g1_u(p: &G1Affine, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            fq_be(&x, out);
            fq_be(&y, out);
        }
        None => out.extend_from_slice(&[0u8; 64]),
    }
}

/// A G2 point as snarkjs hashes it: x.c1, x.c0, y.c1, y.c0, canonical big endian; the
/// identity as 128 zero bytes.
pub fn g2_u(p: &G2Affine, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            for c in [x.c1, x.c0, y.c1, y.c0] {
                fq_be(&c, out);
            }
        }
        None => out.extend_from_slice(&[0u8; 128]),
    }
}
