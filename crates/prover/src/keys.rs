//! Circuit-specific setup and key files.
//!
//! One key pair per unit: a [`UnitSpec`] and a [`UnitKind`] (the compute unit or the
//! accumulating unit of a job's chains). [`setup_dev`] derives all setup randomness from a
//! seed: deterministic and reproducible, and therefore **insecure** — whoever knows the
//! seed can recompute the trapdoor and forge proofs. Its manifest, its output and every
//! receipt made with it say so. [`setup_with_rng`] draws the randomness from the caller's
//! RNG and discards it (a single-party setup: whoever ran it must be trusted).

use std::path::Path;

use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rand::{CryptoRng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use teraproof_circuits::{accumulate_cost, circuit_cost, AccumulateCircuit, ComputeUnitCircuit};
use teraproof_core::{UnitKind, UnitSpec};
use teraproof_verifier::key::{
    read_manifest, sha256_hex, KeyManifest, KEYS_FORMAT, MANIFEST_FILE, PROVING_KEY_FILE, VERIFYING_KEY_FILE,
};
use teraproof_verifier::UnitVerifyingKey;

use crate::error::{ProverError, Result};

/// The warning written into development keys' manifests.
pub const DEV_SETUP_WARNING: &str =
    "INSECURE development setup: derived from a public seed; anyone who knows the seed can forge proofs. Never use for real jobs.";

/// A unit's proving key with its manifest.
pub struct UnitKeys {
    kind: UnitKind,
    spec: UnitSpec,
    pk: ProvingKey<Bn254>,
    manifest: KeyManifest,
}

/// Deterministic, insecure setup of the compute unit from `seed` (for development and
/// tests).
pub fn setup_dev(spec: UnitSpec, seed: u64) -> Result<UnitKeys> {
    setup_dev_of_kind(UnitKind::Product, spec, seed)
}

/// [`setup_dev`] for a unit of either kind.
pub fn setup_dev_of_kind(kind: UnitKind, spec: UnitSpec, seed: u64) -> Result<UnitKeys> {
    let mut rng = dev_rng(kind, &spec, seed);
    let mut keys = generate(kind, spec, &mut rng, true)?;
    keys.manifest.dev_seed = Some(seed);
    Ok(keys)
}

/// The development setup's RNG: the seed domain-separated by unit id (kind included),
/// so two units never share setup randomness.
fn dev_rng(kind: UnitKind, spec: &UnitSpec, seed: u64) -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::seed_from_u64(seed ^ fnv1a(kind.unit_id(spec).as_bytes()))
}

/// Whether `vk` is the verifying key the development setup of `seed` makes, checked on
/// α·G, β·H, γ·H and δ·H: the setup draws α, β, γ, δ and then the two generators first
/// from its RNG (ark-groth16's order, pinned by Cargo.lock and by the tests that load dev
/// keys), so these need no circuit. A keys.json that names a seed its key is not from
/// is refused by [`UnitKeys::load`].
pub fn is_dev_vk_of_seed(kind: UnitKind, spec: &UnitSpec, seed: u64, vk: &ark_groth16::VerifyingKey<Bn254>) -> bool {
    use ark_ec::CurveGroup;
    use ark_std::UniformRand;
    let mut rng = dev_rng(kind, spec, seed);
    let [alpha, beta, gamma, delta] = std::array::from_fn(|_| ark_bn254::Fr::rand(&mut rng));
    let g1 = ark_bn254::G1Projective::rand(&mut rng);
    let g2 = ark_bn254::G2Projective::rand(&mut rng);
    (g1 * alpha).into_affine() == vk.alpha_g1
        && (g2 * beta).into_affine() == vk.beta_g2
        && (g2 * gamma).into_affine() == vk.gamma_g2
        && (g2 * delta).into_affine() == vk.delta_g2
}

/// Setup of the compute unit with randomness from `rng` (a single-party setup; the
/// randomness is dropped).
pub fn setup_with_rng<R: RngCore + CryptoRng>(spec: UnitSpec, rng: &mut R) -> Result<UnitKeys> {
    generate(UnitKind::Product, spec, rng, false)
}

/// [`setup_with_rng`] for a unit of either kind.
pub fn setup_with_rng_of_kind<R: RngCore + CryptoRng>(kind: UnitKind, spec: UnitSpec, rng: &mut R) -> Result<UnitKeys> {
    generate(kind, spec, rng, false)
}

/// The exact constraint count of a unit of either kind.
pub fn constraints_of(kind: UnitKind, spec: &UnitSpec) -> Result<usize> {
    Ok(match kind {
        UnitKind::Product => circuit_cost(spec)?.constraints,
        UnitKind::Accumulate => accumulate_cost(spec)?.constraints,
    })
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

fn generate<R: RngCore>(kind: UnitKind, spec: UnitSpec, rng: &mut R, insecure: bool) -> Result<UnitKeys> {
    let unit_id = kind.unit_id(&spec);
    let _span = tracing::info_span!("setup", unit = %unit_id).entered();
    let constraints = constraints_of(kind, &spec)?;
    let circuit_id = crate::circuit_id::expected(kind, &spec)?;
    let pk = match kind {
        UnitKind::Product => {
            Groth16::<Bn254>::generate_random_parameters_with_reduction(ComputeUnitCircuit::for_setup(spec), rng)?
        }
        UnitKind::Accumulate => {
            Groth16::<Bn254>::generate_random_parameters_with_reduction(AccumulateCircuit::for_setup(spec), rng)?
        }
    };
    let vk_key = UnitVerifyingKey::of_kind(kind, spec, pk.vk.clone(), insecure)?;
    let manifest = KeyManifest {
        format: KEYS_FORMAT.into(),
        unit: unit_id,
        vk_id: vk_key.id().to_string(),
        insecure_dev_setup: insecure,
        dev_seed: None,
        constraints,
        circuit_id,
        proving_key_sha256: None,
        warning: insecure.then(|| DEV_SETUP_WARNING.to_string()),
        qap: None,
        ceremony: None,
    };
    Ok(UnitKeys { kind, spec, pk, manifest })
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ProverError + 'a {
    move |error| ProverError::Io { action, path: path.to_path_buf(), error }
}

impl UnitKeys {
    /// Keys from their parts (a ceremony's import); the manifest's circuit id and vk id
    /// must be the unit's and the key's.
    pub(crate) fn from_parts(
        kind: UnitKind,
        spec: UnitSpec,
        pk: ProvingKey<Bn254>,
        manifest: KeyManifest,
    ) -> Result<Self> {
        let vk = UnitVerifyingKey::of_kind(kind, spec, pk.vk.clone(), manifest.insecure_dev_setup)?;
        if vk.id() != manifest.vk_id || manifest.unit != kind.unit_id(&spec) {
            return Err(ProverError::KeyFile("the manifest does not describe these keys".into()));
        }
        crate::circuit_id::check_manifest(&manifest)?;
        Ok(UnitKeys { kind, spec, pk, manifest })
    }

    /// The unit's shape.
    pub fn spec(&self) -> &UnitSpec {
        &self.spec
    }
    /// The kind of unit the keys prove.
    pub fn kind(&self) -> UnitKind {
        self.kind
    }
    /// The unit's id (`mm-i8-…` or `mma-i8-…`).
    pub fn unit_id(&self) -> String {
        self.kind.unit_id(&self.spec)
    }
    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.pk
    }
    /// The manifest.
    pub fn manifest(&self) -> &KeyManifest {
        &self.manifest
    }
    /// The verifying key bound to its unit.
    pub fn verifying_key(&self) -> Result<UnitVerifyingKey> {
        Ok(UnitVerifyingKey::of_kind(self.kind, self.spec, self.pk.vk.clone(), self.manifest.insecure_dev_setup)?)
    }

    /// Writes `keys.json`, `verifying_key.bin` and `proving_key.bin` into `dir`
    /// (created if needed). Files are written under temporary names and renamed, so a
    /// crash never leaves a half-written key under the real name.
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
        let mut pk_bytes = Vec::new();
        self.pk.serialize_uncompressed(&mut pk_bytes).expect("Vec write");
        self.manifest.proving_key_sha256 = Some(sha256_hex(&pk_bytes));
        let vk_bytes = UnitVerifyingKey::canonical_bytes(&self.pk.vk);
        let manifest = serde_json::to_string_pretty(&self.manifest).expect("manifest serialises") + "\n";
        write_atomically(&dir.join(PROVING_KEY_FILE), &pk_bytes)?;
        write_atomically(&dir.join(VERIFYING_KEY_FILE), &vk_bytes)?;
        write_atomically(&dir.join(MANIFEST_FILE), manifest.as_bytes())?;
        Ok(())
    }

    /// Loads a key directory written by [`UnitKeys::save`]. The proving key's SHA-256
    /// must match the manifest (catching truncation and corruption), its embedded
    /// verifying key must be the directory's verifying key, and the manifest's unit must
    /// be `expected` when given.
    pub fn load(dir: &Path, expected: Option<&UnitSpec>) -> Result<Self> {
        let manifest = read_manifest(dir)?;
        let (kind, spec) = UnitKind::parse_unit_id(&manifest.unit)
            .map_err(|e| ProverError::KeyFile(format!("{MANIFEST_FILE}: {e}")))?;
        if let Some(expected) = expected {
            if expected != &spec {
                return Err(ProverError::KeyFile(format!("{} holds keys for {spec}, not {expected}", dir.display())));
            }
        }
        let vk = UnitVerifyingKey::load(dir)?;
        crate::circuit_id::check_manifest(&manifest)?;
        if let Some(seed) = manifest.dev_seed {
            if !is_dev_vk_of_seed(kind, &spec, seed, vk.vk()) {
                return Err(ProverError::KeyFile(format!(
                    "{MANIFEST_FILE} says these keys come from development seed {seed}, but the verifying key is \
                     not that seed's"
                )));
            }
        }
        let path = dir.join(PROVING_KEY_FILE);
        let want = manifest
            .proving_key_sha256
            .clone()
            .ok_or_else(|| ProverError::KeyFile(format!("{MANIFEST_FILE} has no proving_key_sha256")))?;
        // Stream the key through SHA-256 while decoding, so the file's bytes and the
        // decoded key are never both in memory. The checksum vouches for the bytes, so
        // the (slow) point validation is skipped; a mismatch discards the key.
        let file = std::fs::File::open(&path).map_err(io("cannot read", &path))?;
        let mut reader =
            HashingReader { inner: std::io::BufReader::with_capacity(1 << 20, file), hasher: Sha256::new(), len: 0 };
        let decoded = ProvingKey::<Bn254>::deserialize_with_mode(&mut reader, Compress::No, Validate::No);
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut rest).map_err(io("cannot read", &path))?;
        let digest = teraproof_core::receipt::encode_hex(&reader.hasher.finalize());
        if digest != want || decoded.is_err() || !rest.is_empty() {
            return Err(ProverError::KeyFile(format!(
                "{} is corrupt or truncated ({} bytes; its SHA-256 does not match {MANIFEST_FILE})",
                path.display(),
                reader.len
            )));
        }
        let pk = decoded.expect("checked above");
        if &pk.vk != vk.vk() {
            return Err(ProverError::KeyFile(format!(
                "{} and {} are not a pair",
                PROVING_KEY_FILE, VERIFYING_KEY_FILE
            )));
        }
        Ok(Self { kind, spec, pk, manifest })
    }
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    len: u64,
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io("cannot write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("cannot rename into", path))
}
