//! A unit's full assignment as snarkjs' `.wtns` (version 2).
//!
//! Sections: 1, n8 = 32, the prime r and the value count; 2, the values (the constant
//! one, dA, dB, dC, then the witness, the `.r1cs` wire order) as canonical little-endian
//! integers.

use std::io::Write;

use ark_bn254::Fr;

use super::binfile::{fr_bytes, r_bytes, write_header, write_section_header, N8};
use crate::error::{ProverError, Result};

/// Writes the assignment `z` (the constant one first) as a `.wtns` file to `out`.
pub fn write_wtns(z: &[Fr], out: &mut impl Write) -> Result<()> {
    let io = |e: std::io::Error| ProverError::Io { action: "cannot write", path: "the .wtns file".into(), error: e };
    let count =
        u32::try_from(z.len()).map_err(|_| ProverError::KeyFile("too many values for the .wtns format".into()))?;
    write_header(out, b"wtns", 2, 2).map_err(io)?;
    write_section_header(out, 1, 4 + N8 as u64 + 4).map_err(io)?;
    out.write_all(&(N8 as u32).to_le_bytes()).map_err(io)?;
    out.write_all(&r_bytes()).map_err(io)?;
    out.write_all(&count.to_le_bytes()).map_err(io)?;
    write_section_header(out, 2, z.len() as u64 * N8 as u64).map_err(io)?;
    let mut buf = Vec::with_capacity(1 << 16);
    for x in z {
        buf.extend_from_slice(&fr_bytes(x));
        if buf.len() >= 1 << 16 {
            out.write_all(&buf).map_err(io)?;
            buf.clear();
        }
    }
    out.write_all(&buf).map_err(io)
}
