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
