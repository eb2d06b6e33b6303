//! A unit circuit as circom's `.r1cs` (iden3 format, version 1).
//!
//! Sections: 1, the header (n8 = 32, the prime r, wire count, 0 outputs, 3 public
//! inputs, 0 private inputs, label count, constraint count); 2, the constraints, each
//! as its A, B and C linear combinations (a u32 term count, then per term a u32 wire id
//! and the coefficient as 32 canonical little-endian bytes, terms by ascending wire);
//! 3, the wire-to-label map (wire i has label i).
//!
//! The wires are arkworks' variables in arkworks' order, which is circom's: wire 0 is
//! the constant one, wires 1–3 the public inputs dA, dB, dC, then the witness. So a
//! witness for our circuit is a witness for the file's, and `snarkjs r1cs info` and
//! `snarkjs wtns check` see the constraint system the keys are made for.

use std::io::Write;

use teraproof_circuits::R1cs;

use super::binfile::{fr_bytes, r_bytes, write_header, write_section_header, N8};
use crate::error::{ProverError, Result};

/// The public inputs of a compute unit's circuit, wires 1–3 of its `.r1cs`.
pub const R1CS_PUBLIC_INPUTS: [&str; 3] = ["dA", "dB", "dC"];

/// A row as the file has it: terms by ascending wire, one term per wire.
pub(crate) fn normalised(row: &[(ark_bn254::Fr, usize)]) -> Vec<(ark_bn254::Fr, usize)> {
    let mut terms = row.to_vec();
    terms.sort_by_key(|t| t.1);
    let mut out: Vec<(ark_bn254::Fr, usize)> = Vec::with_capacity(terms.len());
    for (c, w) in terms {
        match out.last_mut() {
            Some(last) if last.1 == w => last.0 += c,
            _ => out.push((c, w)),
        }
    }
    out.retain(|t| !ark_ff::Zero::is_zero(&t.0));
    out
}

/// Writes `r1cs` as a `.r1cs` file to `out`.
pub fn write_r1cs(r1cs: &R1cs, out: &mut impl Write) -> Result<()> {
    let too_big = || ProverError::KeyFile(format!("{} is too large for the .r1cs format's u32 counts", r1cs.unit));
    let wires = u32::try_from(r1cs.num_instance + r1cs.num_witness).map_err(|_| too_big())?;
    let constraints = u32::try_from(r1cs.num_constraints()).map_err(|_| too_big())?;
    let public = u32::try_from(r1cs.num_instance - 1).map_err(|_| too_big())?;
    let rows: Vec<[Vec<(ark_bn254::Fr, usize)>; 3]> = (0..r1cs.num_constraints())
        .map(|i| [normalised(&r1cs.a[i]), normalised(&r1cs.b[i]), normalised(&r1cs.c[i])])
        .collect();
    let lc_bytes = |lc: &Vec<(ark_bn254::Fr, usize)>| 4 + lc.len() as u64 * (4 + N8 as u64);
    let constraints_size: u64 = rows.iter().flat_map(|r| r.iter()).map(lc_bytes).sum();
    let io = |e: std::io::Error| ProverError::Io { action: "cannot write", path: "the .r1cs file".into(), error: e };
    write_header(out, b"r1cs", 1, 3).map_err(io)?;
    // Header: n8, prime, nWires, nPubOut, nPubIn, nPrvIn, nLabels (u64), mConstraints.
    write_section_header(out, 1, 4 + N8 as u64 + 4 * 4 + 8 + 4).map_err(io)?;
    let mut header = Vec::with_capacity(64);
    header.extend_from_slice(&(N8 as u32).to_le_bytes());
    header.extend_from_slice(&r_bytes());
    header.extend_from_slice(&wires.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&public.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&u64::from(wires).to_le_bytes());
    header.extend_from_slice(&constraints.to_le_bytes());
    out.write_all(&header).map_err(io)?;
    write_section_header(out, 2, constraints_size).map_err(io)?;
    let mut buf = Vec::with_capacity(1 << 16);
    for row in &rows {
        for lc in row {
            buf.extend_from_slice(&(lc.len() as u32).to_le_bytes());
            for (c, w) in lc {
                buf.extend_from_slice(&(*w as u32).to_le_bytes());
                buf.extend_from_slice(&fr_bytes(c));
            }
        }
        if buf.len() >= 1 << 16 {
            out.write_all(&buf).map_err(io)?;
            buf.clear();
        }
    }
    out.write_all(&buf).map_err(io)?;
    write_section_header(out, 3, 8 * u64::from(wires)).map_err(io)?;
    buf.clear();
    for label in 0..u64::from(wires) {
        buf.extend_from_slice(&label.to_le_bytes());
        if buf.len() >= 1 << 16 {
            out.write_all(&buf).map_err(io)?;
            buf.clear();
        }
    }
    out.write_all(&buf).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;

    #[test]
    fn rows_are_sorted_merged_and_free_of_zero_terms() {
        let row = vec![
            (Fr::from(2u64), 5),
            (Fr::from(3u64), 1),
            (Fr::from(4u64), 5),
            (-Fr::from(3u64), 2),
            (Fr::from(3u64), 2),
        ];
        assert_eq!(normalised(&row), vec![(Fr::from(3u64), 1), (Fr::from(6u64), 5)]);
    }

    #[test]
    fn the_file_has_the_headers_and_sizes_of_the_format() {
        let spec: teraproof_core::UnitSpec = "mm-i8-2x2x2".parse().unwrap();
        let r1cs = teraproof_circuits::r1cs_of(teraproof_core::UnitKind::Product, &spec).unwrap();
        let mut bytes = Vec::new();
        write_r1cs(&r1cs, &mut bytes).unwrap();
        assert_eq!(&bytes[..12], b"r1cs\x01\x00\x00\x00\x03\x00\x00\x00");
        // Section 1 header, then its 64 bytes.
        assert_eq!(u32::from_le_bytes(bytes[12..16].try_into().unwrap()), 1);
        assert_eq!(u64::from_le_bytes(bytes[16..24].try_into().unwrap()), 64);
        let h = &bytes[24..88];
        assert_eq!(&h[4..36], &r_bytes());
        let wires = r1cs.num_instance + r1cs.num_witness;
        assert_eq!(u32::from_le_bytes(h[36..40].try_into().unwrap()) as usize, wires);
        assert_eq!(u32::from_le_bytes(h[44..48].try_into().unwrap()), 3, "dA, dB, dC");
        assert_eq!(u32::from_le_bytes(h[60..64].try_into().unwrap()) as usize, r1cs.num_constraints());
        // The sizes in the section headers add up to the file.
        let c_size = u64::from_le_bytes(bytes[92..100].try_into().unwrap()) as usize;
        let map_at = 100 + c_size;
        assert_eq!(u32::from_le_bytes(bytes[map_at..map_at + 4].try_into().unwrap()), 3);
        assert_eq!(bytes.len(), map_at + 12 + 8 * wires);
    }
}
