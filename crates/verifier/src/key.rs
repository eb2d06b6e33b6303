//! Verifying keys bound to a unit, their stable id, and the key directory's manifest.
//!
//! A key directory holds `keys.json` (the manifest), `verifying_key.bin` (the
//! canonical compressed arkworks encoding) and, for suppliers, `proving_key.bin`. The
//! verifying key's id is the SHA-256 of its canonical compressed bytes.

#[cfg(feature = "std")]
use std::path::Path;

use ark_bn254::Bn254;
use ark_ec::AffineRepr;
use ark_groth16::VerifyingKey;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use teraproof_core::receipt::encode_hex;
use teraproof_core::{UnitKind, UnitSpec};

use crate::error::{quoted, Result, VerifyError};
use crate::prelude::*;

/// The manifest's file name inside a key directory.
pub const MANIFEST_FILE: &str = "keys.json";
/// The verifying key's file name inside a key directory.
pub const VERIFYING_KEY_FILE: &str = "verifying_key.bin";
/// The proving key's file name inside a key directory.
pub const PROVING_KEY_FILE: &str = "proving_key.bin";
/// The manifest format this build writes and reads.
///
/// Format 3 adds the circuit id (`circuit_id`, the SHA-256 of the constraint system the
/// keys were made for; `teraproof_circuits::r1cs`), which the prover and the command
/// line recompute on load, so keys of a withdrawn circuit cannot pass by an edited
/// format string. Format 2 keys (the same circuit, no id) are refused with a message
/// to make them again. Format 1 keys belong to an earlier circuit that was unsound (a
/// prover could pass its product check with a false C) and are refused saying so.
pub const KEYS_FORMAT: &str = "teraproof-keys/3";
/// The format of keys for the withdrawn, unsound first circuit.
const WITHDRAWN_KEYS_FORMAT: &str = "teraproof-keys/1";
/// The format of keys made before manifests carried a circuit id.
const PRE_CIRCUIT_ID_KEYS_FORMAT: &str = "teraproof-keys/2";

/// `keys.json`: what the keys are for and how they were made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "keys.json (a JSON object)")]
pub struct KeyManifest {
    /// [`KEYS_FORMAT`]
    pub format: String,
    /// the unit id: `mm-i8-…` for the compute unit, `mma-i8-…` for the accumulating
    /// unit
    pub unit: String,
    /// SHA-256 (hex) of the verifying key's canonical compressed bytes
    pub vk_id: String,
    /// true for a deterministic development setup: anyone who knows the seed can
    /// forge proofs under these keys
    pub insecure_dev_setup: bool,
    /// the development seed, when there is one
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_seed: Option<u64>,
    /// R1CS constraints of the circuit the keys are for
    pub constraints: usize,
    /// the circuit id: SHA-256 (hex) of the constraint system the keys are for
    pub circuit_id: String,
    /// SHA-256 (hex) of `proving_key.bin`, checked when the prover loads it
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proving_key_sha256: Option<String>,
    /// a human-readable warning repeated in the file for anyone who opens it
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// the prover's QAP convention: absent for keys from `teraproof setup`
    /// (arkworks'), [`SNARKJS_QAP`] for keys imported from a snarkjs zkey
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qap: Option<String>,
    /// where keys from a ceremony came from (recorded, not verified here: `teraproof
    /// ceremony verify` checks the zkey itself)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<CeremonyRecord>,
}

/// The QAP convention of keys imported from a snarkjs zkey: the quotient's evaluations
/// on the odd coset of the doubled domain, undivided (the H points absorb Z).
pub const SNARKJS_QAP: &str = "snarkjs";

/// A key's ceremony, as recorded in keys.json by `teraproof ceremony import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "the ceremony record (an object)")]
#[serde(deny_unknown_fields)]
pub struct CeremonyRecord {
    /// SHA-256 (hex) of the Powers of Tau file the ceremony was checked against
    pub ptau_sha256: String,
    /// its blake2b-512 (hex), the hash the public files' lists give
    pub ptau_blake2b: String,
    /// its power
    pub ptau_power: u32,
    /// its phase-1 contributions
    pub ptau_contributions: u32,
    /// the circuit hash (blake2b-512 hex, as snarkjs prints it without spaces)
    pub circuit_hash: String,
    /// each contribution, oldest first
    pub contributions: Vec<ContributionRecord>,
}

/// One contribution of a [`CeremonyRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "a contribution record (an object)")]
#[serde(deny_unknown_fields)]
pub struct ContributionRecord {
    /// the contributor's name, when given
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// the contribution hash (blake2b-512 hex)
    pub hash: String,
    /// for the closing beacon: its public value (hex) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<String>,
    /// … and log2 of its SHA-256 rounds
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon_iterations_exp: Option<u8>,
}

/// Refuses a verifying key with an identity point or with `γ = δ` (the reasons are on
/// [`UnitVerifyingKey::new`]); every way of obtaining a key from outside goes through it.
pub(crate) fn refuse_degenerate(vk: &VerifyingKey<Bn254>) -> Result<()> {
    let identity = [
        ("alpha", vk.alpha_g1.is_zero()),
        ("beta", vk.beta_g2.is_zero()),
        ("gamma", vk.gamma_g2.is_zero()),
        ("delta", vk.delta_g2.is_zero()),
    ]
    .into_iter()
    .chain(vk.gamma_abc_g1.iter().map(|p| ("IC", p.is_zero())))
    .find(|(_, zero)| *zero);
    if let Some((name, _)) = identity {
        return Err(VerifyError::BadKey(format!("the verifying key's {name} point is the identity")));
    }
    if vk.gamma_g2 == vk.delta_g2 {
        return Err(VerifyError::BadKey("the verifying key's gamma and delta are equal".into()));
    }
    Ok(())
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    encode_hex(&Sha256::digest(bytes))
}

/// A Groth16 verifying key together with the unit it verifies.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitVerifyingKey {
    kind: UnitKind,
    unit: UnitSpec,
    vk: VerifyingKey<Bn254>,
    id: String,
    insecure_dev_setup: bool,
}

impl UnitVerifyingKey {
    /// Binds `vk` to `unit`; fails unless the key takes exactly three public inputs and
    /// none of its points is degenerate.
    ///
    /// A setup never yields these, and each would let anyone forge: with `γ` or `δ` the
    /// identity, or `γ = δ`, the pairing equation no longer separates the public inputs
    /// from the prover's `C` (with `γ = δ = O`, `(A, B, C) = (α, β, O)` verifies every
    /// statement); an identity `α` or `β` makes the target a constant anyone can hit; an
    /// identity IC point drops its digest from the statement.
    pub fn new(unit: UnitSpec, vk: VerifyingKey<Bn254>, insecure_dev_setup: bool) -> Result<Self> {
        Self::of_kind(UnitKind::Product, unit, vk, insecure_dev_setup)
    }

    /// Binds `vk` to a unit of either kind; the key must take exactly
    /// [`UnitKind::public_inputs`] inputs (otherwise as [`Self::new`]).
    pub fn of_kind(kind: UnitKind, unit: UnitSpec, vk: VerifyingKey<Bn254>, insecure_dev_setup: bool) -> Result<Self> {
        let inputs = vk.gamma_abc_g1.len().saturating_sub(1);
        if inputs != kind.public_inputs() {
            return Err(VerifyError::WrongInputCount { expected: kind.public_inputs(), found: inputs });
        }
        refuse_degenerate(&vk)?;
        let id = sha256_hex(&Self::canonical_bytes(&vk));
        Ok(Self { kind, unit, vk, id, insecure_dev_setup })
    }

    /// The canonical compressed encoding of a verifying key.
    pub fn canonical_bytes(vk: &VerifyingKey<Bn254>) -> Vec<u8> {
        let mut bytes = Vec::new();
        vk.serialize_compressed(&mut bytes).expect("writing to a Vec cannot fail");
        bytes
    }

    /// Parses canonical compressed bytes, checking every point is on the curve and in
    /// the right subgroup.
    pub fn from_bytes(unit: UnitSpec, bytes: &[u8], insecure_dev_setup: bool) -> Result<Self> {
        Self::from_bytes_of_kind(UnitKind::Product, unit, bytes, insecure_dev_setup)
    }

    /// [`Self::from_bytes`] for a unit of either kind.
    pub fn from_bytes_of_kind(kind: UnitKind, unit: UnitSpec, bytes: &[u8], insecure_dev_setup: bool) -> Result<Self> {
        let mut reader = bytes;
        let vk = VerifyingKey::<Bn254>::deserialize_with_mode(&mut reader, Compress::Yes, Validate::Yes)
            .map_err(|e| VerifyError::BadKey(format!("verifying key does not decode: {e}")))?;
        if !reader.is_empty() {
            return Err(VerifyError::BadKey(format!("{} trailing bytes after the verifying key", reader.len())));
        }
        Self::of_kind(kind, unit, vk, insecure_dev_setup)
    }

    /// Binds the bytes of `verifying_key.bin` to the manifest that names them (no file
    /// system needed): the manifest's unit and vk id must match the key.
    pub fn from_manifest(manifest: &KeyManifest, vk_bytes: &[u8]) -> Result<Self> {
        manifest.check_format()?;
        let (kind, unit) = UnitKind::parse_unit_id(&manifest.unit)
            .map_err(|e| VerifyError::BadKey(format!("manifest names a bad unit: {e}")))?;
        let key = Self::from_bytes_of_kind(kind, unit, vk_bytes, manifest.insecure_dev_setup)?;
        if key.id != manifest.vk_id {
            return Err(VerifyError::BadKey(format!(
                "{} has id {} but {} says {}",
                VERIFYING_KEY_FILE, key.id, MANIFEST_FILE, manifest.vk_id
            )));
        }
        Ok(key)
    }

    /// Loads `keys.json` and `verifying_key.bin` from a key directory; the manifest's
    /// vk id must match the key file.
    #[cfg(feature = "std")]
    pub fn load(dir: &Path) -> Result<Self> {
        let manifest = read_manifest(dir)?;
        let path = dir.join(VERIFYING_KEY_FILE);
        let bytes = read_capped(&path, MAX_KEY_FILE_BYTES)
            .map_err(|e| VerifyError::BadKey(format!("cannot read {}: {e}", path.display())))?;
        Self::from_manifest(&manifest, &bytes)
    }

    /// The shape of the unit this key verifies.
    pub fn unit(&self) -> &UnitSpec {
        &self.unit
    }
    /// The kind of unit this key verifies.
    pub fn kind(&self) -> UnitKind {
        self.kind
    }
    /// The unit's id as receipts carry it (`mm-i8-…` or `mma-i8-…`).
    pub fn unit_id(&self) -> String {
        self.kind.unit_id(&self.unit)
    }
    /// The arkworks verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.vk
    }
    /// SHA-256 (hex) of the canonical compressed key.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Whether the key came from a development setup.
    pub fn insecure_dev_setup(&self) -> bool {
        self.insecure_dev_setup
    }
}

impl KeyManifest {
    /// Parses `keys.json` text and checks its format.
    pub fn from_json(text: &str) -> Result<Self> {
        let malformed = |e: String| VerifyError::BadKey(format!("{MANIFEST_FILE} is malformed: {e}"));
        teraproof_core::json::expect_object(text, MANIFEST_FILE).map_err(malformed)?;
        teraproof_core::json::check_unique_keys(text).map_err(malformed)?;
        let manifest: KeyManifest =
            serde_json::from_str(text).map_err(|e| malformed(teraproof_core::json::short_message(e)))?;
        manifest.check_format()?;
        Ok(manifest)
    }

    fn check_format(&self) -> Result<()> {
        if self.format == WITHDRAWN_KEYS_FORMAT {
            return Err(VerifyError::BadKey(format!(
                "{MANIFEST_FILE} has format {WITHDRAWN_KEYS_FORMAT:?}: keys for the first unit circuit, which \
                 was unsound and is withdrawn; make new keys with `teraproof setup` (format {KEYS_FORMAT:?})"
            )));
        }
        if self.format == PRE_CIRCUIT_ID_KEYS_FORMAT {
            return Err(VerifyError::BadKey(format!(
                "{MANIFEST_FILE} has format {PRE_CIRCUIT_ID_KEYS_FORMAT:?}, made before keys carried a circuit id; \
                 make them again with `teraproof setup` (format {KEYS_FORMAT:?}; a development key from the same \
                 seed comes out the same)"
            )));
        }
        if self.format != KEYS_FORMAT {
            return Err(VerifyError::BadKey(format!(
                "{MANIFEST_FILE} has format {:?}, this build reads {KEYS_FORMAT:?}",
                self.format
            )));
        }
        if let Some(qap) = &self.qap {
            if qap != SNARKJS_QAP {
                return Err(VerifyError::BadKey(format!("{MANIFEST_FILE}: unknown qap convention {:?}", quoted(qap))));
            }
        }
        if self.ceremony.is_some() && self.insecure_dev_setup {
            return Err(VerifyError::BadKey(format!(
                "{MANIFEST_FILE} is contradictory: keys from a ceremony marked as a development setup"
            )));
        }
        if self.circuit_id.len() != 64 || !self.circuit_id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(VerifyError::BadKey(format!(
                "{MANIFEST_FILE}: circuit_id {:?} is not 64 lowercase hex digits",
                quoted(&self.circuit_id)
            )));
        }
        // A development setup always has its seed and its warning; a key without the
        // mark keeps neither. Anything else is a mark edited by hand, refused.
        let (seed, warning) = (self.dev_seed.is_some(), self.warning.is_some());
        if self.insecure_dev_setup != seed || self.insecure_dev_setup != warning {
            let present = |p: bool| if p { "present" } else { "absent" };
            return Err(VerifyError::BadKey(format!(
                "{MANIFEST_FILE} is contradictory: insecure_dev_setup = {}, but dev_seed is {} and the \
                 development warning is {} (a development key has both, any other key neither)",
                self.insecure_dev_setup,
                present(seed),
                present(warning)
            )));
        }
        Ok(())
    }
}

/// The most keys.json or verifying_key.bin may hold (both are well under a kilobyte
/// or two): a damaged or hostile key folder cannot make loading read without end.
#[cfg(feature = "std")]
pub const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

#[cfg(feature = "std")]
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it holds more than {} KiB, the most a key file may", cap >> 10),
        ));
    }
    Ok(bytes)
}

/// Reads and checks `keys.json` in `dir`.
#[cfg(feature = "std")]
pub fn read_manifest(dir: &Path) -> Result<KeyManifest> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = read_capped(&path, MAX_KEY_FILE_BYTES).map_err(|e| {
        VerifyError::BadKey(format!("cannot read {}: {e} (is {} a key directory?)", path.display(), dir.display()))
    })?;
    let text =
        String::from_utf8(bytes).map_err(|_| VerifyError::BadKey(format!("{} is not UTF-8 text", path.display())))?;
    KeyManifest::from_json(&text).map_err(|e| match e {
        VerifyError::BadKey(reason) => VerifyError::BadKey(format!("{}: {reason}", path.display())),
        other => other,
    })
}
