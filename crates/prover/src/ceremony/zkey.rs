//! snarkjs' Groth16 `.zkey` (bn128), read and written.
//!
//! Sections (all little endian; points affine, coordinates in Montgomery form, the
//! identity as zero bytes; see [`super::binfile`]):
//!
//! | id | contents |
//! |----|----------|
//! | 1 | the protocol, u32 1 (Groth16) |
//! | 2 | n8q, q, n8r, r, nVars, nPublic, domainSize, α·G1, β·G1, β·G2, γ·G2, δ·G1, δ·G2 |
//! | 3 | IC: (β·Aᵢ(τ) + α·Bᵢ(τ) + Cᵢ(τ))·G1 for the nPublic + 1 public wires (γ = 1) |
//! | 4 | the A and B matrices: u32 count, then (matrix, row, wire, coef·R² mod r) |
//! | 5, 6, 7 | Aᵢ(τ)·G1, Bᵢ(τ)·G1, Bᵢ(τ)·G2 for every wire |
//! | 8 | L: (β·Aᵢ(τ) + α·Bᵢ(τ) + Cᵢ(τ))/δ·G1 for the private wires |
//! | 9 | H: L⁽²ⁿ⁾₂ⱼ₊₁(τ)/δ·G1, the odd Lagrange points of the 2n domain |
//! | 10 | the ceremony: the circuit hash (64 bytes), then each contribution |
//!
//! A file is outside input: its container, counts and section sizes are checked
//! against one another before anything is allocated, every coordinate must be below q
//! (never reduced), every point on its curve, and the header's and the contributions'
//! G2 points in the prime-order subgroup. B2's points are only checked to be on the
//! curve (a subgroup check per wire would dominate reading); a B2 point outside the
//! group can only make proofs that fail verification, which the prover checks.

use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use ark_bn254::{Fq, Fr, G1Affine, G2Affine};
use ark_ff::{BigInteger, Field, PrimeField};

use super::binfile::{fr_bytes, g1_lem, g2_lem, r_bytes, write_header, write_section_header, N8};
use crate::error::{ProverError, Result};
use crate::ptau::{container_sections, fq_from_montgomery, g1_from, g2_from, unique};

/// What a contribution was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContributionKind {
    /// entropy from a participant
    Random,
    /// the public beacon: `2^iterations_exp` SHA-256 rounds of `hash`
    Beacon {
        /// the beacon value
        hash: Vec<u8>,
        /// log2 of the hash iterations
        iterations_exp: u8,
    },
}

/// One phase-2 contribution, as section 10 records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// δ·G1 after this contribution
    pub delta_after: G1Affine,
    /// the proof of knowledge: a random s·G1 …
    pub g1_s: G1Affine,
    /// … its multiple by the contribution's secret x …
    pub g1_sx: G1Affine,
    /// … and x times the G2 point hashed from the transcript
    pub g2_spx: G2Affine,
    /// blake2b-512 of the circuit hash, the contributions before and g1_s, g1_sx
    pub transcript: [u8; 64],
    /// random or beacon
    pub kind: ContributionKind,
    /// the contributor's name, if given
    pub name: Option<String>,
}

/// Section 2's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// wires, the constant one included
    pub n_vars: u32,
    /// public wires, the constant one excluded
    pub n_public: u32,
    /// the QAP domain's size, a power of two
    pub domain_size: u32,
    /// α·G1
    pub alpha1: G1Affine,
    /// β·G1
    pub beta1: G1Affine,
    /// β·G2
    pub beta2: G2Affine,
    /// γ·G2 (the generator: γ = 1)
    pub gamma2: G2Affine,
    /// δ·G1
    pub delta1: G1Affine,
    /// δ·G2
    pub delta2: G2Affine,
}

/// An entry of section 4: `coef` is matrix `matrix`'s (0: A, 1: B) entry at `row`, `wire`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coef {
    /// 0 for A, 1 for B
    pub matrix: u32,
    /// the QAP row
    pub row: u32,
    /// the wire
    pub wire: u32,
    /// the coefficient
    pub value: Fr,
}

/// A whole `.zkey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zkey {
    /// section 2
    pub header: Header,
    /// section 3
    pub ic: Vec<G1Affine>,
    /// section 4
    pub coefs: Vec<Coef>,
    /// section 5
    pub a: Vec<G1Affine>,
    /// section 6
    pub b1: Vec<G1Affine>,
    /// section 7
    pub b2: Vec<G2Affine>,
    /// section 8
    pub l: Vec<G1Affine>,
    /// section 9
    pub h: Vec<G1Affine>,
    /// section 10: the circuit hash
    pub cs_hash: [u8; 64],
    /// section 10: the contributions, oldest first
    pub contributions: Vec<Contribution>,
}

/// The order snarkjs' `zkey new` writes sections in (contribute writes 1 to 10).
pub const NEW_ORDER: [u32; 10] = [1, 2, 4, 3, 9, 8, 5, 6, 7, 10];
/// The order contributions are written in.
pub const CONTRIBUTE_ORDER: [u32; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/// The longest contributor name kept (snarkjs keeps 64 characters).
pub const MAX_NAME_CHARS: usize = 64;

fn ceremony(message: impl Into<String>) -> ProverError {
    ProverError::Ceremony(message.into())
}

/// R² mod r, by which section 4 scales its coefficients.
fn r_squared() -> Fr {
    Fr::from_bigint(Fr::R2).expect("R² mod r is below r")
}

impl Zkey {
    /// The contributions' section 10 payload.
    fn mpc_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.cs_hash);
        out.extend_from_slice(&(self.contributions.len() as u32).to_le_bytes());
        for c in &self.contributions {
            g1_lem(&c.delta_after, &mut out);
            g1_lem(&c.g1_s, &mut out);
            g1_lem(&c.g1_sx, &mut out);
            g2_lem(&c.g2_spx, &mut out);
            out.extend_from_slice(&c.transcript);
            let mut params = Vec::new();
            if let Some(name) = &c.name {
                let name: String = name.chars().take(MAX_NAME_CHARS).collect();
                let len = u8::try_from(name.len()).map_err(|_| ceremony("a contributor name is over 255 bytes"))?;
                params.push(1);
                params.push(len);
                params.extend_from_slice(name.as_bytes());
            }
            let kind = match &c.kind {
                ContributionKind::Random => 0u32,
                ContributionKind::Beacon { hash, iterations_exp } => {
                    let len = u8::try_from(hash.len()).map_err(|_| ceremony("a beacon hash is over 255 bytes"))?;
                    params.extend_from_slice(&[2, *iterations_exp, 3, len]);
                    params.extend_from_slice(hash);
                    1
                }
            };
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&(params.len() as u32).to_le_bytes());
            out.extend_from_slice(&params);
        }
        Ok(out)
    }

    /// The byte length of section `id`'s payload.
    fn section_len(&self, id: u32) -> Result<u64> {
        let g1 = |n: usize| 64 * n as u64;
        Ok(match id {
            1 => 4,
            2 => 4 + 32 + 4 + 32 + 12 + 64 * 3 + 128 * 3,
            3 => g1(self.ic.len()),
            4 => 4 + 44 * self.coefs.len() as u64,
            5 => g1(self.a.len()),
            6 => g1(self.b1.len()),
            7 => 128 * self.b2.len() as u64,
            8 => g1(self.l.len()),
            9 => g1(self.h.len()),
            10 => self.mpc_bytes()?.len() as u64,
            _ => return Err(ceremony(format!("no zkey section {id}"))),
        })
    }

    /// Writes section `id`'s payload to `sink` in pieces of at most about 1 MiB, so a
    /// section (H is gigabytes for large units) is never held as bytes beside its points.
    fn write_section(&self, id: u32, sink: &mut impl Write) -> std::io::Result<()> {
        let mut out = Vec::with_capacity(1 << 20);
        let flush = |out: &mut Vec<u8>, sink: &mut dyn Write| -> std::io::Result<()> {
            if out.len() >= 1 << 20 {
                sink.write_all(out)?;
                out.clear();
            }
            Ok(())
        };
        let g1s = |points: &[G1Affine], out: &mut Vec<u8>, sink: &mut dyn Write| -> std::io::Result<()> {
            for p in points {
                g1_lem(p, out);
                flush(out, sink)?;
            }
            Ok(())
        };
        match id {
            3 => g1s(&self.ic, &mut out, sink)?,
            5 => g1s(&self.a, &mut out, sink)?,
            6 => g1s(&self.b1, &mut out, sink)?,
            8 => g1s(&self.l, &mut out, sink)?,
            9 => g1s(&self.h, &mut out, sink)?,
            7 => {
                for p in &self.b2 {
                    g2_lem(p, &mut out);
                    flush(&mut out, sink)?;
                }
            }
            _ => out = self.section(id).map_err(std::io::Error::other)?,
        }
        sink.write_all(&out)
    }

    /// The payload of section `id` as bytes (the small sections).
    fn section(&self, id: u32) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let g1s = |points: &[G1Affine], out: &mut Vec<u8>| points.iter().for_each(|p| g1_lem(p, out));
        match id {
            1 => out.extend_from_slice(&1u32.to_le_bytes()),
            2 => {
                let h = &self.header;
                out.extend_from_slice(&(N8 as u32).to_le_bytes());
                out.extend_from_slice(&Fq::MODULUS.to_bytes_le());
                out.extend_from_slice(&(N8 as u32).to_le_bytes());
                out.extend_from_slice(&r_bytes());
                for v in [h.n_vars, h.n_public, h.domain_size] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                g1_lem(&h.alpha1, &mut out);
                g1_lem(&h.beta1, &mut out);
                g2_lem(&h.beta2, &mut out);
                g2_lem(&h.gamma2, &mut out);
                g1_lem(&h.delta1, &mut out);
                g2_lem(&h.delta2, &mut out);
            }
            3 => g1s(&self.ic, &mut out),
            4 => {
                let r2 = r_squared();
                out.extend_from_slice(&(self.coefs.len() as u32).to_le_bytes());
                for c in &self.coefs {
                    for v in [c.matrix, c.row, c.wire] {
                        out.extend_from_slice(&v.to_le_bytes());
                    }
                    out.extend_from_slice(&fr_bytes(&(c.value * r2)));
                }
            }
            5 => g1s(&self.a, &mut out),
            6 => g1s(&self.b1, &mut out),
            7 => self.b2.iter().for_each(|p| g2_lem(p, &mut out)),
            8 => g1s(&self.l, &mut out),
            9 => g1s(&self.h, &mut out),
            10 => out = self.mpc_bytes()?,
            _ => return Err(ceremony(format!("no zkey section {id}"))),
        }
        Ok(out)
    }

    /// Writes the file to `out`, its sections in `order`.
    pub fn write(&self, out: &mut impl Write, order: &[u32; 10]) -> Result<()> {
        let io = |e: std::io::Error| ceremony(format!("cannot write the zkey: {e}"));
        write_header(out, b"zkey", 1, 10).map_err(io)?;
        for &id in order {
            write_section_header(out, id, self.section_len(id)?).map_err(io)?;
            self.write_section(id, out).map_err(io)?;
        }
        Ok(())
    }

    /// Writes the file to `path` (atomically: a temporary file renamed into place).
    pub fn save(&self, path: &Path, order: &[u32; 10]) -> Result<()> {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".teraproof-")
            .suffix(".tmp")
            .tempfile_in(parent)
            .map_err(|e| ProverError::io("cannot write", path, e))?;
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file());
        self.write(&mut writer, order)?;
        writer.flush().map_err(|e| ProverError::io("cannot write", path, e))?;
        drop(writer);
        tmp.as_file().sync_all().map_err(|e| ProverError::io("cannot write", path, e))?;
        tmp.persist(path).map_err(|e| ProverError::io("cannot write", path, e.error))?;
        Ok(())
    }

    /// Reads and checks a `.zkey` file (see the [module docs](self)).
    pub fn load(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| ProverError::io("cannot read", path, e))?;
        let len = file.metadata().map_err(|e| ProverError::io("cannot read", path, e))?.len();
        let mut file = BufReader::with_capacity(1 << 20, file);
        Self::read(&mut file, len)
    }

    /// Reads a `.zkey` of `len` bytes from `file`.
    pub fn read<R: Read + Seek>(file: &mut R, len: u64) -> Result<Self> {
        let bad = |e: crate::ptau::PtauError| match e {
            crate::ptau::PtauError::Format(m) => ceremony(format!("not a usable zkey: {m}")),
            e => ceremony(format!("not a usable zkey: {e}")),
        };
        let sections = container_sections(file, len, b"zkey", 2).map_err(bad)?;
        let mut payload = |id: u32, want: Option<u64>| -> Result<Vec<u8>> {
            let s = unique(&sections, id).map_err(bad)?;
            if let Some(want) = want {
                if s.len != want {
                    return Err(ceremony(format!("zkey section {id} is {} bytes; {want} expected", s.len)));
                }
            }
            let mut bytes = vec![0u8; s.len as usize];
            file.seek(SeekFrom::Start(s.start)).map_err(|e| ceremony(format!("reading the zkey: {e}")))?;
            file.read_exact(&mut bytes).map_err(|e| ceremony(format!("reading the zkey: {e}")))?;
            Ok(bytes)
        };
        if payload(1, Some(4))? != 1u32.to_le_bytes() {
            return Err(ceremony("the zkey is not for Groth16 (section 1)"));
        }
        let h = payload(2, Some(4 + 32 + 4 + 32 + 12 + 64 * 3 + 128 * 3))?;
        let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        if u32_at(&h, 0) != 32
            || h[4..36] != Fq::MODULUS.to_bytes_le()[..]
            || u32_at(&h, 36) != 32
            || h[40..72] != r_bytes()
        {
            return Err(ceremony("the zkey is not for bn128 (its field sizes or primes differ)"));
        }
        let (n_vars, n_public, domain_size) = (u32_at(&h, 72), u32_at(&h, 76), u32_at(&h, 80));
        if !domain_size.is_power_of_two() || domain_size > 1 << 28 {
            return Err(ceremony(format!("domain size {domain_size} is not a power of two up to 2^28")));
        }
        if n_public >= n_vars {
            return Err(ceremony(format!("{n_public} public wires of {n_vars}")));
        }
        let g1 = |b: &[u8], what: &'static str, i: usize| g1_from(b, what, i).map_err(bad);
        let g2 = |b: &[u8], what: &'static str, i: usize| g2_from(b, what, i).map_err(bad);
        let header = Header {
            n_vars,
            n_public,
            domain_size,
            alpha1: g1(&h[84..148], "alpha1", 0)?,
            beta1: g1(&h[148..212], "beta1", 0)?,
            beta2: g2(&h[212..340], "beta2", 0)?,
            gamma2: g2(&h[340..468], "gamma2", 0)?,
            delta1: g1(&h[468..532], "delta1", 0)?,
            delta2: g2(&h[532..660], "delta2", 0)?,
        };
        let (nv, np, n) = (n_vars as u64, n_public as u64, domain_size as u64);
        let g1_list = |bytes: Vec<u8>, what: &'static str| -> Result<Vec<G1Affine>> {
            bytes.chunks_exact(64).enumerate().map(|(i, c)| g1(c, what, i)).collect()
        };
        let ic = g1_list(payload(3, Some((np + 1) * 64))?, "IC")?;
        let coef_bytes = payload(4, None)?;
        if coef_bytes.len() < 4
            || (coef_bytes.len() - 4) % 44 != 0
            || u32_at(&coef_bytes, 0) as usize != (coef_bytes.len() - 4) / 44
        {
            return Err(ceremony("zkey section 4's size does not match its count"));
        }
        let r2_inv = r_squared().inverse().expect("R² is not zero");
        let mut coefs = Vec::with_capacity((coef_bytes.len() - 4) / 44);
        for e in coef_bytes[4..].chunks_exact(44) {
            let (matrix, row, wire) = (u32_at(e, 0), u32_at(e, 4), u32_at(e, 8));
            let value = Fr::from_bigint(ark_ff::BigInt::new(std::array::from_fn(|i| {
                u64::from_le_bytes(e[12 + 8 * i..20 + 8 * i].try_into().expect("8 bytes"))
            })))
            .ok_or_else(|| ceremony("a zkey coefficient is not below r"))?;
            if matrix > 1 || wire >= n_vars || row >= domain_size {
                return Err(ceremony(format!(
                    "a zkey coefficient at matrix {matrix}, row {row}, wire {wire} is out of range"
                )));
            }
            coefs.push(Coef { matrix, row, wire, value: value * r2_inv });
        }
        let a = g1_list(payload(5, Some(nv * 64))?, "A")?;
        let b1 = g1_list(payload(6, Some(nv * 64))?, "B1")?;
        let b2_bytes = payload(7, Some(nv * 128))?;
        let mut b2 = Vec::with_capacity(n_vars as usize);
        for (i, c) in b2_bytes.chunks_exact(128).enumerate() {
            b2.push(g2_on_curve(c).ok_or_else(|| ceremony(format!("B2 point {i} of the zkey is not a point")))?);
        }
        let l = g1_list(payload(8, Some((nv - np - 1) * 64))?, "L")?;
        let hs = g1_list(payload(9, Some(n * 64))?, "H")?;
        let (cs_hash, contributions) = read_mpc(&payload(10, None)?)?;
        Ok(Zkey { header, ic, coefs, a, b1, b2, l, h: hs, cs_hash, contributions })
    }
}

/// A G2 point checked to be on the curve only (for B2, see the module docs).
fn g2_on_curve(bytes: &[u8]) -> Option<G2Affine> {
    let c: Vec<Fq> = (0..4).map(|i| fq_from_montgomery(&bytes[i * 32..(i + 1) * 32])).collect::<Option<_>>()?;
    let (x, y) = (ark_bn254::Fq2::new(c[0], c[1]), ark_bn254::Fq2::new(c[2], c[3]));
    if ark_ff::Zero::is_zero(&x) && ark_ff::Zero::is_zero(&y) {
        return Some(G2Affine::identity());
    }
    let p = G2Affine::new_unchecked(x, y);
    p.is_on_curve().then_some(p)
}

/// Section 10: the circuit hash and the contributions.
fn read_mpc(bytes: &[u8]) -> Result<([u8; 64], Vec<Contribution>)> {
    let short = || ceremony("zkey section 10 ends inside a contribution");
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        let s = bytes.get(at..at + n).ok_or_else(short)?;
        at += n;
        Ok(s)
    };
    let cs_hash: [u8; 64] = take(64)?.try_into().expect("64 bytes");
    let count = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
    let mut contributions = Vec::new();
    for i in 0..count as usize {
        let bad = |e: crate::ptau::PtauError| ceremony(format!("contribution {i}: {e}"));
        let delta_after = g1_from(take(64)?, "deltaAfter", i).map_err(bad)?;
        let g1_s = g1_from(take(64)?, "g1_s", i).map_err(bad)?;
        let g1_sx = g1_from(take(64)?, "g1_sx", i).map_err(bad)?;
        let g2_spx = g2_from(take(128)?, "g2_spx", i).map_err(bad)?;
        let transcript: [u8; 64] = take(64)?.try_into().expect("64 bytes");
        let kind_code = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
        let params_len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        let params = take(params_len)?.to_vec();
        let (mut name, mut exp, mut hash) = (None, None, None);
        let mut p = 0usize;
        let mut last = 0u8;
        while p < params.len() {
            let t = params[p];
            if t <= last {
                return Err(ceremony(format!("contribution {i}: its parameters are out of order")));
            }
            last = t;
            match t {
                1 | 3 => {
                    let len = *params.get(p + 1).ok_or_else(short)? as usize;
                    let v = params.get(p + 2..p + 2 + len).ok_or_else(short)?.to_vec();
                    p += 2 + len;
                    if t == 1 {
                        name = Some(
                            String::from_utf8(v)
                                .map_err(|_| ceremony(format!("contribution {i}: its name is not UTF-8")))?,
                        );
                    } else {
                        hash = Some(v);
                    }
                }
                2 => {
                    exp = Some(*params.get(p + 1).ok_or_else(short)?);
                    p += 2;
                }
                _ => return Err(ceremony(format!("contribution {i}: unknown parameter {t}"))),
            }
        }
        let kind = match (kind_code, exp, hash) {
            (0, None, None) => ContributionKind::Random,
            (1, Some(iterations_exp), Some(hash)) => ContributionKind::Beacon { hash, iterations_exp },
            _ => {
                return Err(ceremony(format!("contribution {i}: type {kind_code} with parameters that do not fit it")))
            }
        };
        contributions.push(Contribution { delta_after, g1_s, g1_sx, g2_spx, transcript, kind, name });
    }
    if at != bytes.len() {
        return Err(ceremony("zkey section 10 has bytes after its last contribution"));
    }
    Ok((cs_hash, contributions))
}
