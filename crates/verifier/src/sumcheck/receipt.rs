//! The sumcheck receipt (claim + proof + unbound metadata) and the SRS key it names.
//!
//! ```json
//! { "version": 1, "kind": "sumcheck-matmul", "unit": "mm-i8-64x64x64",
//!   "shape": { "m": 64, "k": 64, "n": 64 }, "srs": "<64 hex>", "insecure_dev_setup": true,
//!   "commitments": { "a": "<64 hex>", "b": "…", "c": "…" }, "proof": "<hex>",
//!   "prover": { … } }
//! ```
//!
//! Bound by the proof (absorbed into its transcript): `unit`, `shape`, `srs` and the
//! three commitments. `insecure_dev_setup` must agree with the key. **`prover` is
//! self-reported and unverified**: backend, device and timings say what the supplier
//! claims to have run, nothing more.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use teraproof_core::json::{check_unique_keys, expect_object, short_message};
use teraproof_core::receipt::{decode_hex, encode_hex};
use teraproof_core::UnitSpec;

use super::hyperkzg::SrsVerifyingKey;
use super::proof::{g1_from_compressed, g1_to_compressed, MatmulProof};
use super::{verify_matmul, MatmulStatement};
use crate::error::{quoted, Result, VerifyError};
use crate::prelude::*;

/// The receipt format version this build reads and writes.
pub const SUMCHECK_RECEIPT_VERSION: u64 = 1;
/// The `kind` of a sumcheck receipt.
pub const SUMCHECK_KIND: &str = "sumcheck-matmul";
/// The largest receipt text read (a CU-1024 proof is about 9 KB, 18 KB as hex).
pub const MAX_SUMCHECK_RECEIPT_BYTES: usize = 1 << 20;

/// The shape of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "a shape (an object with m, k, n)")]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// rows of A and C
    pub m: usize,
    /// columns of A, rows of B
    pub k: usize,
    /// columns of B and C
    pub n: usize,
}

/// The three commitments, as hex of compressed G1 points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "the commitments (an object)")]
#[serde(deny_unknown_fields)]
pub struct CommitmentsHex {
    /// A
    pub a: String,
    /// B
    pub b: String,
    /// C
    pub c: String,
}

/// Phase timings of the sumcheck prover (self-reported).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "the prover's timings (an object)")]
pub struct SumcheckTimings {
    /// computing C = A·B
    pub compute_ms: f64,
    /// the three commitments
    pub commit_ms: f64,
    /// the sumcheck rounds (and the tables they start from)
    pub sumcheck_ms: f64,
    /// the batched evaluation proofs
    pub open_ms: f64,
    /// everything, the self-check included
    pub total_ms: f64,
}

/// Who made the proof and how (self-reported, unverified).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "the prover's metadata (an object)")]
pub struct SumcheckProverInfo {
    /// the MSM backend
    pub backend: String,
    /// the device that ran the MSMs
    pub device: String,
    /// the backend that computed C
    pub compute_backend: String,
    /// phase timings
    pub timings: SumcheckTimings,
    /// teraproof version
    pub version: String,
}

/// A sumcheck receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a sumcheck receipt (a JSON object)")]
#[serde(deny_unknown_fields)]
pub struct SumcheckReceipt {
    /// [`SUMCHECK_RECEIPT_VERSION`]
    pub version: u64,
    /// [`SUMCHECK_KIND`]
    pub kind: String,
    /// the unit id, `mm-i8-MxKxN`
    pub unit: String,
    /// the shape (must be the unit's)
    pub shape: Shape,
    /// the SRS id
    pub srs: String,
    /// whether the SRS is the insecure development one
    pub insecure_dev_setup: bool,
    /// the commitments to A, B and C
    pub commitments: CommitmentsHex,
    /// the proof, hex
    pub proof: String,
    /// unbound metadata
    #[serde(default)]
    pub prover: SumcheckProverInfo,
}

impl SumcheckReceipt {
    /// Parses a receipt: bounded, unique keys, version first, then every field.
    pub fn from_json(text: &str) -> Result<Self> {
        if text.len() > MAX_SUMCHECK_RECEIPT_BYTES {
            return Err(VerifyError::MalformedReceipt(format!(
                "a sumcheck receipt is at most {MAX_SUMCHECK_RECEIPT_BYTES} bytes, this one is {}",
                text.len()
            )));
        }
        expect_object(text, "a sumcheck receipt").map_err(VerifyError::MalformedReceipt)?;
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| VerifyError::MalformedReceipt(short_message(e)))?;
        check_unique_keys(text).map_err(VerifyError::MalformedReceipt)?;
        let version = value
            .get("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| VerifyError::MalformedReceipt("missing or non-integer `version`".into()))?;
        if version != SUMCHECK_RECEIPT_VERSION {
            return Err(VerifyError::UnsupportedVersion { found: version, supported: SUMCHECK_RECEIPT_VERSION });
        }
        let receipt: SumcheckReceipt =
            serde_json::from_value(value).map_err(|e| VerifyError::MalformedReceipt(short_message(e)))?;
        if receipt.kind != SUMCHECK_KIND {
            return Err(VerifyError::MalformedReceipt(format!(
                "kind {:?} is not {SUMCHECK_KIND:?}",
                quoted(&receipt.kind)
            )));
        }
        Ok(receipt)
    }

    /// Pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("receipts serialise") + "\n"
    }

    /// The statement: unit, shape, SRS and commitments, each checked.
    pub fn statement(&self) -> Result<MatmulStatement> {
        let spec: UnitSpec = self
            .unit
            .parse()
            .map_err(|_| VerifyError::MalformedReceipt(format!("unit {:?} is not a unit id", quoted(&self.unit))))?;
        let Shape { m, k, n } = self.shape;
        if (spec.m(), spec.k(), spec.n()) != (m, k, n) || spec.id() != self.unit {
            return Err(VerifyError::UnitMismatch { expected: spec.id(), found: format!("{m}x{k}x{n}") });
        }
        let point = |name: &'static str, hex: &str| -> Result<G1Affine> {
            let bytes =
                decode_hex(hex).map_err(|e| VerifyError::BadProofEncoding(format!("commitment {name}: {e}")))?;
            g1_from_compressed(name, &bytes)
        };
        let c = &self.commitments;
        Ok(MatmulStatement {
            unit: self.unit.clone(),
            m,
            k,
            n,
            srs: self.srs.clone(),
            commitments: [point("commitment A", &c.a)?, point("commitment B", &c.b)?, point("commitment C", &c.c)?],
        })
    }

    /// The proof, decoded for the receipt's shape.
    pub fn decode_proof(&self) -> Result<MatmulProof> {
        let Shape { m, k, n } = self.shape;
        // A shape no unit has is refused before it sizes anything.
        UnitSpec::new(m, k, n).map_err(|e| VerifyError::MalformedReceipt(format!("shape {m}x{k}x{n}: {e}")))?;
        let bytes = decode_hex(&self.proof).map_err(|e| VerifyError::BadProofEncoding(e.to_string()))?;
        MatmulProof::from_bytes(super::Dims::of(m, k, n), &bytes)
    }

    /// The hex of three commitments, as a receipt carries them.
    pub fn commitments_hex(commitments: &[G1Affine; 3]) -> CommitmentsHex {
        let hex = |p: &G1Affine| encode_hex(&g1_to_compressed(p));
        CommitmentsHex { a: hex(&commitments[0]), b: hex(&commitments[1]), c: hex(&commitments[2]) }
    }
}

/// The verifier's SRS key: G, H, τ·H, its id and provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrsKey {
    /// the points the verifier uses
    pub vk: SrsVerifyingKey,
    /// G1 powers the SRS holds (the largest padded matrix it can commit to)
    pub powers: usize,
    /// where it came from (`dev-seed:N` or `ptau:<sha256>:<power>`)
    pub source: String,
    /// whether it is the insecure development SRS
    pub insecure: bool,
}

/// `srs.json`, the verifier's half of an SRS directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "srs.json (a JSON object)")]
#[serde(deny_unknown_fields)]
struct SrsManifest {
    format: String,
    id: String,
    powers: usize,
    source: String,
    insecure_dev_setup: bool,
    g1: String,
    g2: String,
    tau_g2: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

/// The most G1 powers an SRS may hold: 2^28, the largest public Powers of Tau.
pub const MAX_SRS_POWERS: usize = 1 << 28;

/// The τ of the INSECURE development SRS of `seed`: SHA-256 of a label and the seed,
/// reduced mod r (derived, never parsed: anyone can recompute it, hence insecure).
pub fn dev_tau(seed: u64) -> Fr {
    let mut h = Sha256::new();
    h.update(b"teraproof-dev-srs/v1");
    h.update(seed.to_le_bytes());
    Fr::from_le_bytes_mod_order(&h.finalize())
}

/// The format string of `srs.json`.
pub const SRS_FORMAT: &str = "teraproof-srs/1";
/// The largest `srs.json` read.
const MAX_SRS_MANIFEST_BYTES: usize = 64 * 1024;

fn g2_bytes(p: &G2Affine) -> Vec<u8> {
    let mut out = Vec::new();
    p.serialize_compressed(&mut out).expect("Vec write");
    out
}

fn g2_from_hex(name: &'static str, hex: &str) -> Result<G2Affine> {
    let bytes = decode_hex(hex).map_err(|e| VerifyError::BadKey(format!("{name}: {e}")))?;
    let p = G2Affine::deserialize_with_mode(bytes.as_slice(), Compress::Yes, Validate::Yes)
        .map_err(|_| VerifyError::BadKey(format!("{name} is not a point of G2")))?;
    if g2_bytes(&p) != bytes {
        return Err(VerifyError::BadKey(format!("{name} is not canonically encoded")));
    }
    Ok(p)
}

impl SrsKey {
    /// The SRS id: SHA-256 over a label, G, H and τ·H (compressed). It names τ, not the
    /// number of powers: a longer SRS of the same τ proves the same statements.
    pub fn id(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"teraproof-srs-id/v1");
        h.update(g1_to_compressed(&self.vk.g1));
        h.update(g2_bytes(&self.vk.g2));
        h.update(g2_bytes(&self.vk.tau_g2));
        encode_hex(&h.finalize())
    }

    /// `srs.json` for this key.
    pub fn to_manifest_json(&self) -> String {
        let manifest = SrsManifest {
            format: SRS_FORMAT.into(),
            id: self.id(),
            powers: self.powers,
            source: self.source.clone(),
            insecure_dev_setup: self.insecure,
            g1: encode_hex(&g1_to_compressed(&self.vk.g1)),
            g2: encode_hex(&g2_bytes(&self.vk.g2)),
            tau_g2: encode_hex(&g2_bytes(&self.vk.tau_g2)),
            warning: self
                .insecure
                .then(|| "INSECURE development SRS: its tau is derived from a public seed; anyone can forge".into()),
        };
        serde_json::to_string_pretty(&manifest).expect("manifests serialise") + "\n"
    }

    /// Reads `srs.json`: every point checked, the id recomputed, the insecure mark
    /// consistent (a dev source is always insecure).
    pub fn from_manifest_json(text: &str) -> Result<SrsKey> {
        if text.len() > MAX_SRS_MANIFEST_BYTES {
            return Err(VerifyError::BadKey(format!("srs.json is larger than {MAX_SRS_MANIFEST_BYTES} bytes")));
        }
        expect_object(text, "srs.json").map_err(VerifyError::BadKey)?;
        check_unique_keys(text).map_err(VerifyError::BadKey)?;
        let m: SrsManifest =
            serde_json::from_str(text).map_err(|e| VerifyError::BadKey(format!("srs.json: {}", short_message(e))))?;
        if m.format != SRS_FORMAT {
            return Err(VerifyError::BadKey(format!("srs.json format {:?} is not {SRS_FORMAT}", quoted(&m.format))));
        }
        let g1 = decode_hex(&m.g1).map_err(|e| VerifyError::BadKey(format!("g1: {e}")))?;
        let g1 = g1_from_compressed("srs g1", &g1).map_err(|_| VerifyError::BadKey("g1 is not a G1 point".into()))?;
        let key = SrsKey {
            vk: SrsVerifyingKey { g1, g2: g2_from_hex("g2", &m.g2)?, tau_g2: g2_from_hex("tau_g2", &m.tau_g2)? },
            powers: m.powers,
            source: m.source,
            insecure: m.insecure_dev_setup,
        };
        if key.vk.g1 != G1Affine::generator() || key.vk.g2 != G2Affine::generator() {
            return Err(VerifyError::BadKey("srs.json: G and H must be the BN254 generators".into()));
        }
        if key.vk.tau_g2.is_zero() || key.vk.tau_g2 == key.vk.g2 || key.vk.tau_g2 == -key.vk.g2 {
            return Err(VerifyError::BadKey("srs.json: tau is 0 or ±1 (a degenerate SRS)".into()));
        }
        if key.powers == 0 || key.powers > MAX_SRS_POWERS {
            return Err(VerifyError::BadKey(format!("srs.json: {} powers (1 to {MAX_SRS_POWERS})", key.powers)));
        }
        if key.id() != m.id {
            return Err(VerifyError::BadKey("srs.json: the id is not the hash of its points".into()));
        }
        if key.source.starts_with("dev-seed") != key.insecure || (key.insecure != m.warning.is_some()) {
            return Err(VerifyError::BadKey("srs.json: the insecure mark contradicts the source or warning".into()));
        }
        if key.insecure {
            // Exactly `dev-seed:<u64>` in its canonical decimal form.
            let seed = key.source.strip_prefix("dev-seed:").and_then(|t| t.parse::<u64>().ok());
            let seed = seed
                .filter(|v| key.source == format!("dev-seed:{v}"))
                .ok_or_else(|| VerifyError::BadKey("srs.json: an insecure source must be dev-seed:<seed>".into()))?;
            if key.vk.tau_g2 != (G2Affine::generator() * dev_tau(seed)).into_affine() {
                return Err(VerifyError::BadKey("srs.json: tau·H is not the one its dev seed gives".into()));
            }
        }
        Ok(key)
    }

    /// Verifies a receipt against this SRS: its id and insecure mark, then the proof.
    pub fn verify(&self, receipt: &SumcheckReceipt) -> Result<MatmulStatement> {
        let id = self.id();
        if receipt.srs != id {
            return Err(VerifyError::WrongVerifyingKey { expected: id, found: quoted(&receipt.srs) });
        }
        if receipt.insecure_dev_setup != self.insecure {
            return Err(VerifyError::InsecureFlagMismatch { receipt: receipt.insecure_dev_setup, key: self.insecure });
        }
        let statement = receipt.statement()?;
        let proof = receipt.decode_proof()?;
        verify_matmul(self, &statement, &proof)?;
        Ok(statement)
    }

    /// [`verify`](Self::verify) from the receipt's text.
    pub fn verify_json(&self, text: &str) -> Result<(SumcheckReceipt, MatmulStatement)> {
        let receipt = SumcheckReceipt::from_json(text)?;
        let statement = self.verify(&receipt)?;
        Ok((receipt, statement))
    }
}

/// Whether the buyer's own commitments (recomputed from its A, B and, if it has it, C)
/// are the receipt's: `None` entries are not checked.
pub fn check_commitments(statement: &MatmulStatement, own: [Option<G1Affine>; 3]) -> Result<()> {
    for ((name, theirs), mine) in ["A", "B", "C"].into_iter().zip(statement.commitments).zip(own) {
        if let Some(mine) = mine {
            if mine != theirs {
                return Err(VerifyError::CommitmentMismatch { matrix: name });
            }
        }
    }
    Ok(())
}
