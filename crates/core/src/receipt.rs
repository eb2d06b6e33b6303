//! The receipt a supplier attaches to a job result (DESIGN §6): a versioned JSON
//! document naming the statement (unit, dA, dB, dC), the verifying key and the proof.
//!
//! Groth16 proofs are malleable, so a receipt is identified by its *statement*
//! ([`Receipt::statement_id`]), never by its proof bytes.

use serde::{Deserialize, Serialize};

use crate::digest::MatrixDigest;
use crate::error::{CoreError, Result};
use crate::field::fr_from_decimal;
use crate::json::short_message;
use crate::prelude::*;
use crate::spec::{UnitKind, UnitSpec};

/// The receipt format version this library writes and reads.
pub const RECEIPT_VERSION: u64 = 1;

/// Length of a compressed BN254 Groth16 proof: A (32) ‖ B (64) ‖ C (32).
pub const PROOF_BYTES: usize = 128;

/// How long each phase of proving took, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "the prover's timings (an object)")]
#[serde(deny_unknown_fields)]
pub struct Timings {
    /// computing C = A·B
    pub compute_ms: f64,
    /// building the R1CS witness
    pub witness_ms: f64,
    /// the R1CS → QAP witness map (FFTs)
    pub qap_ms: f64,
    /// the multi-scalar multiplications and the proof's assembly
    pub msm_ms: f64,
    /// everything, including the proof's self-check
    pub total_ms: f64,
}

/// Who made the proof and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "the prover's metadata (an object)")]
#[serde(deny_unknown_fields)]
pub struct ProverInfo {
    /// the MSM backend: `cpu`, `cpu-arkworks` or `cuda`
    pub backend: String,
    /// the device that ran the MSMs
    pub device: String,
    /// the backend that computed C = A·B: `cpu` or `cuda` (absent in older receipts)
    #[serde(default)]
    pub compute_backend: String,
    /// the device that computed C
    #[serde(default)]
    pub compute_device: String,
    /// phase timings
    pub timings: Timings,
    /// teraproof version that made the proof
    pub version: String,
}

/// A receipt: the statement, the verifying key it is for, and the proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a receipt (a JSON object)")]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// format version, [`RECEIPT_VERSION`]
    pub version: u64,
    /// the unit id, `mm-i8-MxKxN`
    pub unit: String,
    /// digest of A
    pub da: MatrixDigest,
    /// digest of B
    pub db: MatrixDigest,
    /// digest of the partial sum Cin that an accumulating unit (`mma-…`) adds to;
    /// absent for the compute unit
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dcin: Option<MatrixDigest>,
    /// digest of C (of Cout for an accumulating unit)
    pub dc: MatrixDigest,
    /// SHA-256 (hex) of the verifying key's canonical compressed bytes
    pub vk_id: String,
    /// the compressed Groth16 proof, 128 bytes as lowercase hex
    pub proof: String,
    /// `2·m·k·n`
    pub ops: u64,
    /// true when the keys came from a deterministic development setup: such proofs
    /// can be forged by anyone who knows the seed
    pub insecure_dev_setup: bool,
    /// how the proof was made (informational, not verified)
    pub prover: ProverInfo,
}

impl Receipt {
    /// Parses a receipt. The version is checked first so that a future format gets a
    /// clear "unsupported version" rather than a field-level complaint; digests must be
    /// canonical decimals below r; no object may repeat a key (readers disagree on which
    /// copy of a repeated `dc` counts, see [`crate::json`]).
    pub fn from_json(text: &str) -> Result<Self> {
        let value = parse_versioned(text, RECEIPT_VERSION, "")?;
        for field in ["da", "db", "dcin", "dc"] {
            match value.get(field) {
                None if field == "dcin" => {}
                Some(serde_json::Value::String(s)) => {
                    fr_from_decimal(s).map_err(|e| CoreError::NonCanonicalDigest { field, reason: e.to_string() })?;
                }
                Some(_) => return Err(CoreError::MalformedReceipt(format!("`{field}` must be a decimal string"))),
                None => return Err(CoreError::MalformedReceipt(format!("missing field `{field}`"))),
            }
        }
        serde_json::from_value(value).map_err(|e| CoreError::MalformedReceipt(short_message(e)))
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("receipts serialise")
    }

    /// The unit, parsed.
    pub fn unit_spec(&self) -> Result<UnitSpec> {
        self.unit.parse()
    }

    /// The kind of unit and its shape, parsed from [`Receipt::unit`].
    pub fn kind_and_spec(&self) -> Result<(UnitKind, UnitSpec)> {
        UnitKind::parse_unit_id(&self.unit)
    }

    /// The statement this receipt proves: unit and its digests (`unit:dA:dB:dC`, or
    /// `unit:dA:dB:dCin:dCout` for an accumulating unit). Two receipts with the same
    /// statement prove the same thing, whatever their proof bytes.
    pub fn statement_id(&self) -> String {
        match &self.dcin {
            None => format!("{}:{}:{}:{}", self.unit, self.da, self.db, self.dc),
            Some(dcin) => format!("{}:{}:{}:{}:{}", self.unit, self.da, self.db, dcin, self.dc),
        }
    }

    /// The public inputs in circuit order: `dA, dB, dC`, or `dA, dB, dCin, dCout`.
    pub fn public_inputs(&self) -> Vec<crate::Fr> {
        let mut inputs = vec![self.da.0, self.db.0];
        inputs.extend(self.dcin.map(|d| d.0));
        inputs.push(self.dc.0);
        inputs
    }

    /// The proof bytes, decoded from hex; a typed error on bad hex or length.
    pub fn proof_bytes(&self) -> Result<[u8; PROOF_BYTES]> {
        let bytes = decode_hex(&self.proof)?;
        bytes
            .try_into()
            .map_err(|b: Vec<u8>| CoreError::BadProofEncoding(format!("{} bytes, expected {PROOF_BYTES}", b.len())))
    }
}

/// The JSON value of a versioned document (a receipt, a job receipt): no object may
/// repeat a key, and the version is checked before any other field, so that a future
/// format gets "unsupported version" rather than a field-level complaint. `what` opens
/// the messages (`""` or `"job receipt: "`).
pub(crate) fn parse_versioned(text: &str, supported: u64, what: &str) -> Result<serde_json::Value> {
    let noun = if what.is_empty() { "a receipt" } else { "a job receipt" };
    crate::json::expect_object(text, noun).map_err(CoreError::MalformedReceipt)?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| CoreError::Json(short_message(e)))?;
    crate::json::check_unique_keys(text).map_err(CoreError::MalformedReceipt)?;
    let version = value
        .get("version")
        .ok_or_else(|| CoreError::MalformedReceipt(format!("{what}missing field `version`")))?
        .as_u64()
        .ok_or_else(|| CoreError::MalformedReceipt(format!("{what}`version` is not a non-negative integer")))?;
    if version != supported {
        return Err(CoreError::UnsupportedReceiptVersion { found: version, supported });
    }
    Ok(value)
}

/// Lowercase hex.
pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Strict hex as receipts carry it: even length, lowercase `0-9a-f` only, so that one
/// proof has exactly one spelling.
pub fn decode_hex(text: &str) -> Result<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return Err(CoreError::BadProofEncoding(format!("hex has odd length {}", text.len())));
    }
    let digit = |c: u8| -> Result<u8> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(CoreError::BadProofEncoding(format!("{:?} is not a hex digit", c as char))),
        }
    };
    text.as_bytes().chunks(2).map(|p| Ok(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{digest_matrix, Matrix};

    fn sample() -> Receipt {
        let d = digest_matrix(&Matrix::<i8>::new(1, 1, vec![1]).unwrap());
        Receipt {
            version: RECEIPT_VERSION,
            unit: "mm-i8-1x1x1".into(),
            da: d,
            db: d,
            dcin: None,
            dc: d,
            vk_id: "00".repeat(32),
            proof: "ab".repeat(PROOF_BYTES),
            ops: 2,
            insecure_dev_setup: true,
            prover: ProverInfo {
                backend: "cpu".into(),
                device: "test".into(),
                compute_backend: "cpu".into(),
                compute_device: "test".into(),
                timings: Timings::default(),
                version: "0".into(),
            },
        }
    }

    #[test]
    fn round_trip_and_typed_errors() {
        let r = sample();
        let text = r.to_json();
        assert_eq!(Receipt::from_json(&text).unwrap(), r);
        assert_eq!(r.proof_bytes().unwrap(), [0xab; PROOF_BYTES]);

        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["version"] = 2.into();
        assert!(matches!(
            Receipt::from_json(&v.to_string()),
            Err(CoreError::UnsupportedReceiptVersion { found: 2, .. })
        ));
        // Receipts from before the compute fields still parse.
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["prover"].as_object_mut().unwrap().remove("compute_backend");
        v["prover"].as_object_mut().unwrap().remove("compute_device");
        assert_eq!(Receipt::from_json(&v.to_string()).unwrap().prover.compute_backend, "");
        let r_str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["dc"] = r_str.into();
        assert!(matches!(Receipt::from_json(&v.to_string()), Err(CoreError::NonCanonicalDigest { field: "dc", .. })));
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["da"] = 5.into();
        assert!(matches!(Receipt::from_json(&v.to_string()), Err(CoreError::MalformedReceipt(_))));
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v.as_object_mut().unwrap().remove("proof");
        assert!(matches!(Receipt::from_json(&v.to_string()), Err(CoreError::MalformedReceipt(_))));
        assert!(matches!(Receipt::from_json("{"), Err(CoreError::Json(_))));
        assert!(matches!(Receipt::from_json("[]"), Err(CoreError::MalformedReceipt(_))));
        // A megabyte in a mistyped field is not echoed back whole.
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["ops"] = "9".repeat(1 << 20).into();
        let e = Receipt::from_json(&v.to_string()).unwrap_err();
        assert!(matches!(e, CoreError::MalformedReceipt(_)) && e.to_string().len() < 1000, "{e}");
        // A repeated key, even with equal values, at the top or inside `prover`.
        let dc = format!("\"dc\": \"{}\",", r.dc);
        let twice = text.replacen(&dc, &format!("{dc} {dc}"), 1);
        assert_ne!(twice, text);
        assert!(
            matches!(Receipt::from_json(&twice), Err(CoreError::MalformedReceipt(m)) if m.contains("duplicate key \"dc\""))
        );
        let twice = text.replacen("\"backend\": \"cpu\",", "\"backend\": \"cpu\", \"backend\": \"cuda\",", 1);
        assert_ne!(twice, text);
        assert!(
            matches!(Receipt::from_json(&twice), Err(CoreError::MalformedReceipt(m)) if m.contains("duplicate key"))
        );

        let mut bad = r.clone();
        bad.proof = "zz".repeat(PROOF_BYTES);
        assert!(matches!(bad.proof_bytes(), Err(CoreError::BadProofEncoding(_))));
        bad.proof = "ab".repeat(PROOF_BYTES - 1);
        assert!(matches!(bad.proof_bytes(), Err(CoreError::BadProofEncoding(_))));
        bad.proof = "abc".into();
        assert!(matches!(bad.proof_bytes(), Err(CoreError::BadProofEncoding(_))));
        bad.proof = "é".repeat(2);
        assert!(matches!(bad.proof_bytes(), Err(CoreError::BadProofEncoding(_))));
    }

    #[test]
    fn accumulating_receipts_carry_dcin() {
        let mut r = sample();
        assert!(!r.to_json().contains("dcin"), "compute-unit receipts keep their old form");
        r.unit = "mma-i8-1x1x1".into();
        let d = digest_matrix(&Matrix::<i32>::new(1, 1, vec![7]).unwrap());
        r.dcin = Some(d);
        let text = r.to_json();
        assert_eq!(Receipt::from_json(&text).unwrap(), r);
        assert_eq!(r.kind_and_spec().unwrap().0, UnitKind::Accumulate);
        assert_eq!(r.public_inputs(), vec![r.da.0, r.db.0, d.0, r.dc.0]);
        assert_eq!(r.statement_id(), format!("mma-i8-1x1x1:{}:{}:{}:{}", r.da, r.db, d, r.dc));
        let r_str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["dcin"] = r_str.into();
        assert!(matches!(Receipt::from_json(&v.to_string()), Err(CoreError::NonCanonicalDigest { field: "dcin", .. })));
        v["dcin"] = 3.into();
        assert!(matches!(Receipt::from_json(&v.to_string()), Err(CoreError::MalformedReceipt(_))));
    }

    #[test]
    fn statement_id_ignores_proof_bytes() {
        let a = sample();
        let mut b = sample();
        b.proof = "cd".repeat(PROOF_BYTES);
        assert_eq!(a.statement_id(), b.statement_id());
    }
}
