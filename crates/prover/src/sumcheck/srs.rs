//! The sumcheck path's SRS: the G1 powers τⁱ·G the prover (and a buyer recomputing
//! commitments) needs, and the verifier's [`SrsKey`].
//!
//! Two sources: a snarkjs Powers of Tau (`.ptau`, the public ceremony: nobody knows τ),
//! checked with a pairing test that its G1 points are successive powers of the τ of its
//! τ·H; or a development SRS whose τ is derived from a seed, **insecure** (anyone can
//! recompute τ and forge) and marked so in every key and receipt.
//!
//! On disk an SRS is a directory: `srs.json` (the verifier's key, see
//! [`SrsKey::to_manifest_json`]) and `srs-g1.bin`, the powers as 64-byte uncompressed
//! affine points (x ‖ y, little-endian). Only the powers a shape needs are read.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::scalar_mul::ScalarMul;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::One;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use sha2::{Digest, Sha256};
use teraproof_verifier::sumcheck::{SrsKey, SrsVerifyingKey};

use crate::error::{ProverError, Result};

/// The G1 powers file of an SRS directory.
pub const SRS_G1_FILE: &str = "srs-g1.bin";
/// The verifier's key file of an SRS directory.
pub const SRS_KEY_FILE: &str = "srs.json";
/// Bytes of one uncompressed G1 point.
const G1_UNCOMPRESSED: usize = 64;
pub use teraproof_verifier::sumcheck::receipt::MAX_SRS_POWERS;

/// An SRS: the verifier's key and the G1 powers.
#[derive(Debug, Clone)]
pub struct Srs {
    /// G, H, τ·H, provenance.
    pub key: SrsKey,
    /// τⁱ·G for i < `powers.len()`.
    pub powers: Vec<G1Affine>,
}

fn srs_error(reason: impl Into<String>) -> ProverError {
    ProverError::Srs(reason.into())
}

impl Srs {
    /// The INSECURE development SRS of `powers` powers for `seed`: τ = SHA-256 of a
    /// label and the seed, reduced mod r (public, so anyone can forge with it).
    pub fn dev(seed: u64, powers: usize) -> Result<Srs> {
        if powers == 0 || powers > MAX_SRS_POWERS {
            return Err(srs_error(format!("an SRS holds 1 to {MAX_SRS_POWERS} powers, not {powers}")));
        }
        let tau = teraproof_verifier::sumcheck::receipt::dev_tau(seed);
        let mut scalars = Vec::with_capacity(powers);
        let mut power = Fr::one();
        for _ in 0..powers {
            scalars.push(power);
            power *= tau;
        }
        let g1 = G1Projective::generator().batch_mul(&scalars);
        let g2 = G2Affine::generator();
        let tau_g2 = (G2Projective::generator() * tau).into_affine();
        let key = SrsKey {
            vk: SrsVerifyingKey { g1: G1Affine::generator(), g2, tau_g2 },
            powers,
            source: format!("dev-seed:{seed}"),
            insecure: true,
        };
        Ok(Srs { key, powers: g1 })
    }

    /// An SRS of the first `powers` powers of a snarkjs `.ptau` file, after checking
    /// that they are powers of one τ (see [`crate::ptau::check_powers`]).
    pub fn from_ptau(path: &Path, powers: usize) -> Result<Srs> {
        if powers == 0 || powers > MAX_SRS_POWERS {
            return Err(srs_error(format!("an SRS holds 1 to {MAX_SRS_POWERS} powers, not {powers}")));
        }
        let read =
            crate::ptau::read_powers(path, powers.max(2)).map_err(|e| srs_error(format!("{}: {e}", path.display())))?;
        crate::ptau::check_powers(&read).map_err(|e| srs_error(format!("{}: {e}", path.display())))?;
        let mut g1 = read.g1;
        g1.truncate(powers);
        let digest = points_sha256(&g1, &read.g2, &read.tau_g2);
        let key = SrsKey {
            vk: SrsVerifyingKey { g1: G1Affine::generator(), g2: read.g2, tau_g2: read.tau_g2 },
            powers,
            // The file's power and the hash of the points taken from it.
            source: format!("ptau:{digest}:{}", read.power),
            insecure: false,
        };
        // The same checks a verifier makes of srs.json (generators, τ not 0 or ±1).
        SrsKey::from_manifest_json(&key.to_manifest_json())
            .map_err(|e| srs_error(format!("{}: {e}", path.display())))?;
        Ok(Srs { key, powers: g1 })
    }

    /// Writes the SRS directory (`srs.json`, `srs-g1.bin`), each file through a
    /// temporary file renamed into place.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| ProverError::io("creating", dir, e))?;
        let bin = dir.join(SRS_G1_FILE);
        let tmp = dir.join(format!(".{SRS_G1_FILE}.tmp"));
        let file = File::create(&tmp).map_err(|e| ProverError::io("creating", &tmp, e))?;
        let mut out = BufWriter::new(file);
        for p in &self.powers {
            let mut bytes = Vec::with_capacity(G1_UNCOMPRESSED);
            p.serialize_uncompressed(&mut bytes).expect("Vec write");
            out.write_all(&bytes).map_err(|e| ProverError::io("writing", &tmp, e))?;
        }
        out.into_inner()
            .map_err(|e| ProverError::io("writing", &tmp, e.into_error()))?
            .sync_all()
            .map_err(|e| ProverError::io("writing", &tmp, e))?;
        std::fs::rename(&tmp, &bin).map_err(|e| ProverError::io("renaming", &bin, e))?;
        let json = dir.join(SRS_KEY_FILE);
        let tmp = dir.join(format!(".{SRS_KEY_FILE}.tmp"));
        std::fs::write(&tmp, self.key.to_manifest_json()).map_err(|e| ProverError::io("writing", &tmp, e))?;
        std::fs::rename(&tmp, &json).map_err(|e| ProverError::io("renaming", &json, e))?;
        Ok(())
    }

    /// The verifier's key of the SRS directory `dir`.
    pub fn load_key(dir: &Path) -> Result<SrsKey> {
        let path = dir.join(SRS_KEY_FILE);
        let text = read_bounded(&path, 64 * 1024)?;
        Ok(SrsKey::from_manifest_json(&text)?)
    }

    /// The key and the first `need` powers of the SRS directory `dir`: each point
    /// checked on the curve, the first checked to be the key's G.
    pub fn load(dir: &Path, need: usize) -> Result<Srs> {
        let key = Self::load_key(dir)?;
        if need > key.powers {
            return Err(srs_error(format!(
                "{} holds {} powers; this shape needs {need} (set up a larger SRS)",
                dir.display(),
                key.powers
            )));
        }
        let path = dir.join(SRS_G1_FILE);
        let file = File::open(&path).map_err(|e| ProverError::io("opening", &path, e))?;
        let len = file.metadata().map_err(|e| ProverError::io("reading", &path, e))?.len();
        // srs.json bounds `powers` by MAX_SRS_POWERS, so this cannot overflow.
        if len != (key.powers * G1_UNCOMPRESSED) as u64 {
            return Err(srs_error(format!(
                "{} is {len} bytes; srs.json says {} powers ({} bytes)",
                path.display(),
                key.powers,
                key.powers * G1_UNCOMPRESSED
            )));
        }
        let mut reader = BufReader::new(file);
        let mut powers = Vec::with_capacity(need);
        let mut bytes = [0u8; G1_UNCOMPRESSED];
        for index in 0..need {
            reader.read_exact(&mut bytes).map_err(|e| ProverError::io("reading", &path, e))?;
            let p = G1Affine::deserialize_with_mode(&bytes[..], Compress::No, Validate::Yes)
                .map_err(|_| srs_error(format!("{}: power {index} is not a G1 point", path.display())))?;
            powers.push(p);
        }
        if powers.first().is_some_and(|g| *g != key.vk.g1) {
            return Err(srs_error(format!("{}: the first power is not the key's generator", path.display())));
        }
        Ok(Srs { key, powers })
    }
}

fn read_bounded(path: &Path, cap: u64) -> Result<String> {
    let file = File::open(path).map_err(|e| ProverError::io("opening", path, e))?;
    let mut text = String::new();
    file.take(cap + 1).read_to_string(&mut text).map_err(|e| ProverError::io("reading", path, e))?;
    if text.len() as u64 > cap {
        return Err(srs_error(format!("{} is larger than {cap} bytes", path.display())));
    }
    Ok(text)
}

/// SHA-256 of the points an SRS took from a ptau file (the G1 powers, H, τ·H,
/// uncompressed): what the source names, without reading a 100 GB file whole.
fn points_sha256(g1: &[G1Affine], g2: &G2Affine, tau_g2: &G2Affine) -> String {
    let mut h = Sha256::new();
    let mut bytes = Vec::with_capacity(256);
    for p in g1 {
        bytes.clear();
        p.serialize_uncompressed(&mut bytes).expect("Vec write");
        h.update(&bytes);
    }
    for p in [g2, tau_g2] {
        bytes.clear();
        p.serialize_uncompressed(&mut bytes).expect("Vec write");
        h.update(&bytes);
    }
    teraproof_core::receipt::encode_hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::pairing::Pairing;

    #[test]
    fn the_dev_srs_is_powers_of_its_tau_and_round_trips_through_its_directory() {
        let srs = Srs::dev(7, 16).unwrap();
        assert!(srs.key.insecure && srs.key.source == "dev-seed:7");
        // e(τ^{i+1}·G, H) = e(τ^i·G, τ·H)
        for i in 0..15 {
            let lhs = ark_bn254::Bn254::pairing(srs.powers[i + 1], srs.key.vk.g2);
            let rhs = ark_bn254::Bn254::pairing(srs.powers[i], srs.key.vk.tau_g2);
            assert_eq!(lhs, rhs, "power {i}");
        }
        let dir = tempfile::tempdir().unwrap();
        srs.save(dir.path()).unwrap();
        let loaded = Srs::load(dir.path(), 10).unwrap();
        assert_eq!(loaded.key, srs.key);
        assert_eq!(loaded.powers, srs.powers[..10]);
        let err = Srs::load(dir.path(), 17).unwrap_err().to_string();
        assert!(err.contains("holds 16 powers; this shape needs 17"), "{err}");
        assert_ne!(Srs::dev(8, 4).unwrap().key.id(), srs.key.id(), "another seed, another id");
    }

    #[test]
    fn a_damaged_srs_directory_is_refused() {
        let srs = Srs::dev(7, 8).unwrap();
        let dir = tempfile::tempdir().unwrap();
        srs.save(dir.path()).unwrap();
        let bin = dir.path().join(SRS_G1_FILE);
        let mut bytes = std::fs::read(&bin).unwrap();
        bytes[64 * 3 + 40] ^= 1;
        std::fs::write(&bin, &bytes).unwrap();
        let err = Srs::load(dir.path(), 8).unwrap_err().to_string();
        assert!(err.contains("power 3 is not a G1 point"), "{err}");
        std::fs::write(&bin, &bytes[..64 * 7]).unwrap();
        let err = Srs::load(dir.path(), 2).unwrap_err().to_string();
        assert!(err.contains("srs.json says 8 powers"), "{err}");
        // The insecure mark edited away.
        let json = dir.path().join(SRS_KEY_FILE);
        let text = std::fs::read_to_string(&json)
            .unwrap()
            .replace("\"insecure_dev_setup\": true", "\"insecure_dev_setup\": false");
        std::fs::write(&json, text).unwrap();
        let err = Srs::load_key(dir.path()).unwrap_err().to_string();
        assert!(err.contains("insecure mark contradicts"), "{err}");
    }
}
