//! Reading the public Powers of Tau: snarkjs `.ptau` files (bn128), streamed.
//!
//! The file is an iden3 binary container: the magic `ptau`, a u32 version (1), a u32
//! section count, then sections, each a u32 type, a u64 byte length and its bytes (all
//! little-endian). What this reader uses:
//!
//! | section | contents |
//! |---------|----------|
//! | 1 | header: u32 `n8` (32), the base-field prime q (`n8` bytes), u32 `power`, u32 ceremony power |
//! | 2 | τⁱ·G for i < 2·2^power − 1 (G1 points, 2·n8 bytes each) |
//! | 3 | τⁱ·H for i < 2^power (G2 points, 4·n8 bytes each) |
//!
//! Coordinates are in Montgomery form (x·2²⁵⁶ mod q), little-endian; an Fq2 element is
//! its c0 then its c1. Other sections (α, β, contributions, the prepared phase-2
//! Lagrange bases) are skipped. The file is outside input: every length is checked
//! against the header before anything is allocated, every coordinate must be below q
//! (never reduced), every point on its curve and G2 points in the prime-order subgroup.
//! Only the powers asked for are read, so a 2^28 file serves a small SRS in moments.
//!
//! [`check_powers`] then checks that the G1 points are successive powers of the τ of
//! τ·H, with one random linear combination and two pairings.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInt, BigInteger, PrimeField, UniformRand, Zero};
use thiserror::Error;

/// The largest power a public Powers of Tau has (2^28 constraints).
pub const MAX_PTAU_POWER: u32 = 28;
/// Bytes of a base-field element.
const N8: usize = 32;

/// Why a `.ptau` file cannot be used.
#[derive(Debug, Error)]
pub enum PtauError {
    /// Reading failed (or the file ended early).
    #[error("reading the ptau file: {0}")]
    Io(#[from] std::io::Error),
    /// The container or header is not a bn128 Powers of Tau.
    #[error("not a usable bn128 ptau file: {0}")]
    Format(String),
    /// The file holds fewer powers than asked for.
    #[error("the ptau file (power {power}) holds {holds} G1 powers; {need} are needed (use a larger file)")]
    TooSmall {
        /// the file's power
        power: u32,
        /// how many τⁱ·G it holds
        holds: usize,
        /// how many were asked for
        need: usize,
    },
    /// A point that is not canonically encoded, not on its curve or not in its group.
    #[error("{what} {index} of the ptau file is not a valid point: {reason}")]
    BadPoint {
        /// the section's points (`tauG1`, `tauG2`, `alphaTauG1`, …)
        what: &'static str,
        /// its index
        index: usize,
        /// why
        reason: &'static str,
    },
    /// The points are not powers of one τ.
    #[error("the ptau file's points are not successive powers of one tau (pairing check failed)")]
    NotPowers,
}

/// What was read: the first powers τⁱ·G, and H, τ·H.
#[derive(Debug, Clone)]
pub struct PtauPowers {
    /// the file's power (it holds 2·2^power − 1 G1 powers)
    pub power: u32,
    /// τⁱ·G for i < the count asked for
    pub g1: Vec<G1Affine>,
    /// H
    pub g2: G2Affine,
    /// τ·H
    pub tau_g2: G2Affine,
}

/// A section of an iden3 container: its type, where its payload starts, its length.
pub(crate) struct Section {
    pub(crate) kind: u32,
    pub(crate) start: u64,
    pub(crate) len: u64,
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// An Fq from 32 little-endian bytes in Montgomery form, or `None` when not below q.
pub(crate) fn fq_from_montgomery(bytes: &[u8]) -> Option<Fq> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        *limb = u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().ok()?);
    }
    let repr = BigInt::new(limbs);
    // ark's Fq is stored in Montgomery form with R = 2^256, as snarkjs writes it; a value
    // at or above q is refused, never reduced.
    (repr < Fq::MODULUS).then(|| Fq::new_unchecked(repr))
}

pub(crate) fn g1_from(bytes: &[u8], what: &'static str, index: usize) -> Result<G1Affine, PtauError> {
    let bad = |reason| PtauError::BadPoint { what, index, reason };
    let x = fq_from_montgomery(&bytes[..N8]).ok_or(bad("a coordinate is not below q"))?;
    let y = fq_from_montgomery(&bytes[N8..2 * N8]).ok_or(bad("a coordinate is not below q"))?;
    if x.is_zero() && y.is_zero() {
        return Ok(G1Affine::identity());
    }
    let p = G1Affine::new_unchecked(x, y);
    // G1 of BN254 has cofactor 1: on the curve is in the group.
    if !p.is_on_curve() {
        return Err(bad("not on the curve"));
    }
    Ok(p)
}

pub(crate) fn g2_from(bytes: &[u8], what: &'static str, index: usize) -> Result<G2Affine, PtauError> {
    let bad = |reason| PtauError::BadPoint { what, index, reason };
    let mut c = [Fq::zero(); 4];
    for (i, slot) in c.iter_mut().enumerate() {
        *slot = fq_from_montgomery(&bytes[i * N8..(i + 1) * N8]).ok_or(bad("a coordinate is not below q"))?;
    }
    let (x, y) = (Fq2::new(c[0], c[1]), Fq2::new(c[2], c[3]));
    if x.is_zero() && y.is_zero() {
        return Ok(G2Affine::identity());
    }
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(bad("not on the curve"));
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad("not in the prime-order subgroup"));
    }
    Ok(p)
}

fn sections<R: Read + Seek>(file: &mut R, file_len: u64) -> Result<Vec<Section>, PtauError> {
    container_sections(file, file_len, b"ptau", 1)
}

/// The sections of an iden3 container with magic `magic` and a version from 1 to
/// `max_version`, each checked to lie inside the file.
pub(crate) fn container_sections<R: Read + Seek>(
    file: &mut R,
    file_len: u64,
    magic: &[u8; 4],
    max_version: u32,
) -> Result<Vec<Section>, PtauError> {
    let name = String::from_utf8_lossy(magic);
    let mut head = [0u8; 12];
    file.read_exact(&mut head).map_err(|e| ended(e, "its 12-byte head"))?;
    if &head[..4] != magic {
        return Err(PtauError::Format(format!("it does not start with the magic \"{name}\"")));
    }
    let (version, count) = (u32_at(&head, 4), u32_at(&head, 8));
    if version == 0 || version > max_version {
        return Err(PtauError::Format(format!("container version {version}; this build reads 1 to {max_version}")));
    }
    if count > 64 {
        return Err(PtauError::Format(format!("{count} sections (a {name} file has at most 15)")));
    }
    let mut out = Vec::new();
    let mut at = 12u64;
    for _ in 0..count {
        let mut sh = [0u8; 12];
        file.read_exact(&mut sh).map_err(|e| ended(e, "a section head"))?;
        let kind = u32_at(&sh, 0);
        let len = u64::from_le_bytes(sh[4..12].try_into().expect("8 bytes"));
        let start = at + 12;
        let end = start.checked_add(len).filter(|&e| e <= file_len).ok_or_else(|| {
            PtauError::Format(format!("section {kind} runs past the end of the file ({len} bytes at {start})"))
        })?;
        out.push(Section { kind, start, len });
        file.seek(SeekFrom::Start(end))?;
        at = end;
    }
    Ok(out)
}

/// An early end of file is a format error (the file is cut short), not an I/O one.
pub(crate) fn ended(e: std::io::Error, inside: &str) -> PtauError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        PtauError::Format(format!("the file ends inside {inside} (truncated, or not a ptau file)"))
    } else {
        PtauError::Io(e)
    }
}

pub(crate) fn unique(sections: &[Section], kind: u32) -> Result<&Section, PtauError> {
    let mut found = sections.iter().filter(|s| s.kind == kind);
    match (found.next(), found.next()) {
        (Some(s), None) => Ok(s),
        (None, _) => Err(PtauError::Format(format!("section {kind} is missing"))),
        (Some(_), Some(_)) => Err(PtauError::Format(format!("section {kind} appears more than once"))),
    }
}

/// The name of a ptau section's points, for messages.
fn section_name(kind: u32) -> &'static str {
    match kind {
        2 => "tauG1",
        3 => "tauG2",
        4 => "alphaTauG1",
        5 => "betaTauG1",
        6 => "betaG2",
        12 => "lagrange tauG1",
        13 => "lagrange tauG2",
        14 => "lagrange alphaTauG1",
        15 => "lagrange betaTauG1",
        _ => "point",
    }
}

/// An open `.ptau` file: its header checked and its sections listed, points read on
/// demand (each checked as [`read_powers`] checks them), so that a 2^28 file serves a
/// small unit without being read whole.
pub struct PtauFile {
    file: BufReader<File>,
    sections: Vec<Section>,
    /// the file's power: 2·2^power − 1 τⁱ·G, 2^power of the others
    pub power: u32,
}

impl PtauFile {
    /// Opens `path` and checks its container, header and the sizes of sections 2–6 (and
    /// of 12–15 when present: a file prepared for phase 2).
    pub fn open(path: &Path) -> Result<Self, PtauError> {
        let file = File::open(path)?;
        let file_len = file.metadata()?.len();
        let mut file = BufReader::with_capacity(1 << 20, file);
        let sections = sections(&mut file, file_len)?;
        let header = unique(&sections, 1)?;
        if header.len != 4 + N8 as u64 + 8 {
            return Err(PtauError::Format(format!(
                "the header is {} bytes, a bn128 header is {}",
                header.len,
                4 + N8 + 8
            )));
        }
        file.seek(SeekFrom::Start(header.start))?;
        let mut h = [0u8; 4 + N8 + 8];
        file.read_exact(&mut h)?;
        if u32_at(&h, 0) as usize != N8 {
            return Err(PtauError::Format(format!("field elements of {} bytes (bn128 has {N8})", u32_at(&h, 0))));
        }
        if h[4..4 + N8] != Fq::MODULUS.to_bytes_le()[..] {
            return Err(PtauError::Format("its base field is not bn128's (another curve)".into()));
        }
        let power = u32_at(&h, 4 + N8);
        if power == 0 || power > MAX_PTAU_POWER {
            return Err(PtauError::Format(format!("power {power} (1 to {MAX_PTAU_POWER})")));
        }
        let ptau = Self { file, sections, power };
        let n = 1usize << power;
        let expected: [(u32, usize, usize); 9] = [
            (2, 2 * n - 1, 2),
            (3, n, 4),
            (4, n, 2),
            (5, n, 2),
            (6, 1, 4),
            (12, 4 * n - 1, 2),
            (13, 2 * n - 1, 4),
            (14, 2 * n - 1, 2),
            (15, 2 * n - 1, 2),
        ];
        for (kind, count, words) in expected {
            let required = kind <= 3;
            let present = ptau.sections.iter().any(|s| s.kind == kind);
            if !present && !required {
                continue;
            }
            let section = unique(&ptau.sections, kind)?;
            let want = (count * words * N8) as u64;
            if section.len != want {
                return Err(PtauError::Format(format!(
                    "section {kind} ({}) is {} bytes; power {power} needs {want}",
                    section_name(kind),
                    section.len
                )));
            }
        }
        Ok(ptau)
    }

    /// How many phase-1 contributions section 7 lists (0 when it is absent): a file
    /// without any is no ceremony's, and its τ may be known.
    pub fn contributions(&mut self) -> Result<u32, PtauError> {
        let Some(section) = self.sections.iter().find(|s| s.kind == 7) else { return Ok(0) };
        if section.len < 4 {
            return Err(PtauError::Format("section 7 (contributions) is shorter than its count".into()));
        }
        let start = section.start;
        self.file.seek(SeekFrom::Start(start))?;
        let mut count = [0u8; 4];
        self.file.read_exact(&mut count)?;
        Ok(u32::from_le_bytes(count))
    }

    /// Whether the file holds section `kind` (12–15: prepared for phase 2).
    pub fn has_section(&self, kind: u32) -> bool {
        self.sections.iter().any(|s| s.kind == kind)
    }

    fn seek_points(&mut self, kind: u32, start: usize, count: usize, size: usize) -> Result<(), PtauError> {
        let section = unique(&self.sections, kind)?;
        let (start_byte, len) = (section.start, section.len);
        let end = start.checked_add(count).and_then(|e| e.checked_mul(size)).map(|e| e as u64);
        if end.is_none_or(|e| e > len) {
            return Err(PtauError::TooSmall { power: self.power, holds: len as usize / size, need: start + count });
        }
        self.file.seek(SeekFrom::Start(start_byte + (start * size) as u64))?;
        Ok(())
    }

    /// G1 points `start..start + count` of section `kind`.
    pub fn g1_points(&mut self, kind: u32, start: usize, count: usize) -> Result<Vec<G1Affine>, PtauError> {
        self.seek_points(kind, start, count, 2 * N8)?;
        let mut out = Vec::with_capacity(count);
        let mut buf = [0u8; 2 * N8];
        for index in start..start + count {
            self.file.read_exact(&mut buf)?;
            out.push(g1_from(&buf, section_name(kind), index)?);
        }
        Ok(out)
    }

    /// G2 points `start..start + count` of section `kind`.
    pub fn g2_points(&mut self, kind: u32, start: usize, count: usize) -> Result<Vec<G2Affine>, PtauError> {
        self.seek_points(kind, start, count, 4 * N8)?;
        let mut out = Vec::with_capacity(count);
        let mut buf = [0u8; 4 * N8];
        for index in start..start + count {
            self.file.read_exact(&mut buf)?;
            out.push(g2_from(&buf, section_name(kind), index)?);
        }
        Ok(out)
    }
}

/// Reads the first `need` G1 powers and H, τ·H from a `.ptau` file.
pub fn read_powers(path: &Path, need: usize) -> Result<PtauPowers, PtauError> {
    let mut ptau = PtauFile::open(path)?;
    let power = ptau.power;
    let g1_count = (2usize << power) - 1;
    if need > g1_count {
        return Err(PtauError::TooSmall { power, holds: g1_count, need });
    }
    let g1 = ptau.g1_points(2, 0, need)?;
    let h = ptau.g2_points(3, 0, 2)?;
    let (g2, tau_g2) = (h[0], h[1]);
    if g1.first().is_some_and(|g| *g != G1Affine::generator()) || g2 != G2Affine::generator() {
        return Err(PtauError::Format("its first points are not the bn128 generators".into()));
    }
    Ok(PtauPowers { power, g1, g2, tau_g2 })
}

/// Checks that `g1[i + 1] = τ·g1[i]` for the τ of `tau_g2`, for every i: with random
/// ρᵢ, `e(Σ ρᵢ·g1[i+1], H) = e(Σ ρᵢ·g1[i], τ·H)`. A false pair survives with
/// probability 1/|Fr| over the ρᵢ (drawn from the OS after the file was read). τ must
/// not be zero (`g1[1]` not the identity).
pub fn check_powers(powers: &PtauPowers) -> Result<(), PtauError> {
    let g1 = &powers.g1;
    if g1.len() < 2 {
        return Err(PtauError::Format("at least two powers are needed to check them".into()));
    }
    if g1[1].is_zero() || powers.tau_g2.is_zero() {
        return Err(PtauError::NotPowers);
    }
    let mut rng = rand::thread_rng();
    let rho: Vec<Fr> = (0..g1.len() - 1).map(|_| Fr::rand(&mut rng)).collect();
    let shifted = G1Projective::msm(&g1[1..], &rho).map_err(|_| PtauError::NotPowers)?;
    let base = G1Projective::msm(&g1[..g1.len() - 1], &rho).map_err(|_| PtauError::NotPowers)?;
    let check = Bn254::multi_pairing([shifted.into_affine(), (-base).into_affine()], [powers.g2, powers.tau_g2]);
    if !check.is_zero() {
        return Err(PtauError::NotPowers);
    }
    Ok(())
}

/// Writes a ptau file in snarkjs's layout with the powers of `tau` (sections 1–3 only):
/// for tests of the reader, which must accept what snarkjs writes.
#[cfg(test)]
pub(crate) fn write_test_ptau(path: &Path, power: u32, tau: Fr) {
    use ark_bn254::G2Projective;
    use ark_ec::PrimeGroup;
    let g1_count = (2usize << power) - 1;
    let g2_count = 1usize << power;
    let mut scalars = Vec::with_capacity(g1_count);
    let mut x = Fr::from(1u64);
    for _ in 0..g1_count {
        scalars.push(x);
        x *= tau;
    }
    use ark_ec::scalar_mul::ScalarMul;
    let g1 = G1Projective::generator().batch_mul(&scalars);
    let g2 = G2Projective::generator().batch_mul(&scalars[..g2_count]);
    let fq = |out: &mut Vec<u8>, x: &Fq| out.extend_from_slice(&x.0.to_bytes_le());
    let mut out = Vec::new();
    out.extend_from_slice(b"ptau");
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&3u32.to_le_bytes());
    let section = |out: &mut Vec<u8>, kind: u32, body: Vec<u8>| {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
    };
    let mut header = Vec::new();
    header.extend_from_slice(&(N8 as u32).to_le_bytes());
    header.extend_from_slice(&Fq::MODULUS.to_bytes_le());
    header.extend_from_slice(&power.to_le_bytes());
    header.extend_from_slice(&power.to_le_bytes());
    section(&mut out, 1, header);
    let mut body = Vec::new();
    for p in &g1 {
        fq(&mut body, &p.x);
        fq(&mut body, &p.y);
    }
    section(&mut out, 2, body);
    let mut body = Vec::new();
    for p in &g2 {
        for c in [p.x.c0, p.x.c1, p.y.c0, p.y.c1] {
            fq(&mut body, &c);
        }
    }
    section(&mut out, 3, body);
    std::fs::write(path, out).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_ptau_is_read_and_its_powers_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.ptau");
        let tau = Fr::from(123_456_789u64);
        write_test_ptau(&path, 3, tau);
        let read = read_powers(&path, 15).unwrap();
        assert_eq!(read.power, 3);
        assert_eq!(read.g1.len(), 15);
        assert_eq!(read.g1[2], (G1Affine::generator() * (tau * tau)).into_affine());
        check_powers(&read).unwrap();
        let err = read_powers(&path, 16).unwrap_err();
        assert!(matches!(err, PtauError::TooSmall { power: 3, holds: 15, need: 16 }), "{err}");
    }

    #[test]
    fn damaged_ptau_files_are_refused_by_name_never_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.ptau");
        write_test_ptau(&path, 2, Fr::from(77u64));
        let good = std::fs::read(&path).unwrap();
        let edited = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut bytes = good.clone();
            edit(&mut bytes);
            let p = dir.path().join("bad.ptau");
            std::fs::write(&p, bytes).unwrap();
            read_powers(&p, 7).and_then(|r| check_powers(&r))
        };
        // Layout: 12 (file head) + 12 (section head) + 44 (header) + 12 (section head) = 80.
        let g1_at = 12 + 12 + 44 + 12;
        assert!(matches!(edited(&|b| b[0] = b'x'), Err(PtauError::Format(_))));
        assert!(matches!(edited(&|b| b[4] = 2), Err(PtauError::Format(_))));
        assert!(matches!(edited(&|b| b.truncate(b.len() - 1)), Err(PtauError::Format(_))));
        assert!(matches!(edited(&|b| b.truncate(30)), Err(PtauError::Format(_))));
        assert!(matches!(edited(&|b| b.truncate(5)), Err(PtauError::Format(_))));
        // Another curve's prime in the header.
        assert!(matches!(edited(&|b| b[28] ^= 1), Err(PtauError::Format(_))));
        // A coordinate at or above q (all ones), and a point moved off the curve.
        let err = edited(&|b| b[g1_at + 64..g1_at + 96].fill(0xff)).unwrap_err();
        assert!(matches!(err, PtauError::BadPoint { what: "tauG1", index: 1, .. }), "{err}");
        let err = edited(&|b| b[g1_at + 64] ^= 1).unwrap_err();
        assert!(matches!(err, PtauError::BadPoint { what: "tauG1", index: 1, reason: "not on the curve" }), "{err}");
        // A valid point in the wrong place: not powers of one τ.
        let err = edited(&|b| {
            let third: Vec<u8> = b[g1_at + 128..g1_at + 192].to_vec();
            b[g1_at + 64..g1_at + 128].copy_from_slice(&third);
        })
        .unwrap_err();
        assert!(matches!(err, PtauError::NotPowers), "{err}");
        // The generator replaced.
        let err = edited(&|b| {
            let second: Vec<u8> = b[g1_at + 64..g1_at + 128].to_vec();
            b[g1_at..g1_at + 64].copy_from_slice(&second);
        })
        .unwrap_err();
        assert!(matches!(err, PtauError::Format(_)), "{err}");
    }
}
