//! `ceremony import`: a verified zkey as a teraproof key folder.
//!
//! The zkey's sections map one to one onto a Groth16 proving key (A, B1, B2, L and H
//! are the a, b_g1, b_g2, l and h queries; IC is the verifying key's γ_abc), so the
//! prover, the verifier, the C ABI and the Solidity and snarkjs exports use imported
//! keys as they use any. The difference is the QAP convention (keys.json records
//! `"qap": "snarkjs"`): H holds the odd Lagrange points of the doubled domain, so the
//! prover takes the quotient's values on the odd coset (see `crate::qap`). keys.json
//! also records the ceremony (the ptau's SHA-256 and power, the circuit hash, each
//! contribution's name and hash); such keys are not marked insecure. A zkey without a
//! contribution is refused: its δ is the generator, known to all.

use ark_groth16::{ProvingKey, VerifyingKey};
use teraproof_core::{UnitKind, UnitSpec};
use teraproof_verifier::key::{CeremonyRecord, ContributionRecord, KEYS_FORMAT, SNARKJS_QAP};
use teraproof_verifier::{KeyManifest, UnitVerifyingKey};

use super::verify::Checked;
use super::zkey::Zkey;
use crate::error::{ProverError, Result};
use crate::keys::UnitKeys;

fn hex(bytes: &[u8]) -> String {
    teraproof_core::receipt::encode_hex(bytes)
}

/// The key folder's keys of the unit `kind` of `spec` from `zkey`, whose ceremony
/// `checked` verified against the ptau of SHA-256 `ptau_sha256` and power `ptau_power`.
pub fn import(
    kind: UnitKind,
    spec: UnitSpec,
    zkey: Zkey,
    checked: &Checked,
    ptau_sha256: String,
    ptau_power: u32,
) -> Result<UnitKeys> {
    if checked.contributions.is_empty() {
        return Err(ProverError::Ceremony(
            "the zkey has no contribution: its δ is the generator, known to everyone; contribute first".into(),
        ));
    }
    let h = &zkey.header;
    let vk = VerifyingKey {
        alpha_g1: h.alpha1,
        beta_g2: h.beta2,
        gamma_g2: h.gamma2,
        delta_g2: h.delta2,
        gamma_abc_g1: zkey.ic,
    };
    let pk = ProvingKey {
        vk,
        beta_g1: h.beta1,
        delta_g1: h.delta1,
        a_query: zkey.a,
        b_g1_query: zkey.b1,
        b_g2_query: zkey.b2,
        h_query: zkey.h,
        l_query: zkey.l,
    };
    let vk_key = UnitVerifyingKey::of_kind(kind, spec, pk.vk.clone(), false)?;
    let manifest = KeyManifest {
        format: KEYS_FORMAT.into(),
        unit: kind.unit_id(&spec),
        vk_id: vk_key.id().to_string(),
        insecure_dev_setup: false,
        dev_seed: None,
        constraints: crate::constraints_of(kind, &spec)?,
        circuit_id: crate::circuit_id::expected(kind, &spec)?,
        proving_key_sha256: None,
        warning: None,
        qap: Some(SNARKJS_QAP.into()),
        ceremony: Some(CeremonyRecord {
            ptau_sha256,
            ptau_power,
            circuit_hash: hex(&checked.cs_hash),
            contributions: checked
                .contributions
                .iter()
                .map(|c| ContributionRecord {
                    name: c.name.clone(),
                    hash: hex(&c.hash),
                    beacon: c.beacon.as_ref().map(|b| hex(&b.0)),
                    beacon_iterations_exp: c.beacon.as_ref().map(|b| b.1),
                })
                .collect(),
        }),
    };
    UnitKeys::from_parts(kind, spec, pk, manifest)
}
