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
//! random contribution (δ the generator, or only beacons, whose secrets are public) or
//! on a ptau without phase-1 contributions is refused.

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

/// The Powers of Tau a ceremony was verified against, as keys.json records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtauRecord {
    /// SHA-256 (hex) of the file
    pub sha256: String,
    /// blake2b-512 (hex) of the file, the hash snarkjs' and the public files' lists give
    pub blake2b: String,
    /// its power
    pub power: u32,
    /// its phase-1 contributions (section 7's count)
    pub contributions: u32,
}

/// The keys of the unit `kind` of `spec` from the zkey that `checked` verified against
/// the ptau `ptau`. Refused: a zkey without a random contribution (a beacon's secret
/// follows from its public value, so beacons alone leave δ known to everyone), and a
/// ptau without phase-1 contributions (a development file, whose τ may be known).
pub fn import(kind: UnitKind, spec: UnitSpec, checked: Checked, ptau: &PtauRecord) -> Result<UnitKeys> {
    if checked.random_contributions() == 0 {
        return Err(ProverError::Ceremony(
            "the zkey has no random contribution: its δ is the generator or follows from public beacon values, \
             so anyone can forge proofs; have at least one participant contribute"
                .into(),
        ));
    }
    if ptau.contributions == 0 {
        return Err(ProverError::Ceremony(
            "the Powers of Tau lists no phase-1 contribution (a development file, whose tau may be known); \
             import only ceremonies on a public Powers of Tau"
                .into(),
        ));
    }
    let record = CeremonyRecord {
        ptau_sha256: ptau.sha256.clone(),
        ptau_blake2b: ptau.blake2b.clone(),
        ptau_power: ptau.power,
        ptau_contributions: ptau.contributions,
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
    };
    let zkey: Zkey = checked.into_zkey();
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
        ceremony: Some(record),
    };
    UnitKeys::from_parts(kind, spec, pk, manifest)
}
