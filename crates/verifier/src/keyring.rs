//! A keyring: the verifying keys a marketplace accepts, several units at once.
//!
//! A receipt names its key by `vk_id`, the SHA-256 of the key's canonical bytes, so a
//! keyring picks the key each receipt needs without trusting anything else in it: a
//! receipt whose id the keyring does not hold is refused with
//! [`VerifyError::UnknownKey`], and one whose id it holds is checked by that key's
//! [`Verifier`] exactly as a single-key verifier would (unit, ops, insecure mark, proof).
//!
//! Two key folders that hold the same id hold the same verifying key; the keyring keeps
//! one, but refuses them when their manifests disagree about the unit or the insecure
//! mark, since one of them has been edited.

use alloc::collections::BTreeMap;

use teraproof_core::Receipt;

use crate::error::{quoted, Result, VerifyError};
use crate::key::UnitVerifyingKey;
use crate::prelude::*;
use crate::verify::{Verified, Verifier};

/// Verifying keys by id; see the [module docs](self).
#[derive(Default)]
pub struct Keyring {
    verifiers: BTreeMap<String, Verifier>,
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key`. Returns `false` when the keyring already held it (the same id with the
    /// same unit and insecure mark); a key with a held id but another unit or mark is
    /// refused as [`VerifyError::BadKey`].
    pub fn add(&mut self, key: UnitVerifyingKey) -> Result<bool> {
        if let Some(held) = self.verifiers.get(key.id()) {
            let held = held.key();
            if held.unit_id() != key.unit_id() || held.insecure_dev_setup() != key.insecure_dev_setup() {
                return Err(VerifyError::BadKey(format!(
                    "two keys with vk id {} disagree: one is for {} (insecure: {}), the other for {} (insecure: {}); \
                     one manifest has been edited",
                    key.id(),
                    held.unit_id(),
                    held.insecure_dev_setup(),
                    key.unit_id(),
                    key.insecure_dev_setup()
                )));
            }
            return Ok(false);
        }
        self.verifiers.insert(key.id().to_string(), Verifier::new(key));
        Ok(true)
    }

    /// A keyring of the key folders `dirs` (each read as [`UnitVerifyingKey::load`]
    /// reads one).
    #[cfg(feature = "std")]
    pub fn load<P: AsRef<std::path::Path>>(dirs: &[P]) -> Result<Self> {
        let mut ring = Self::new();
        for dir in dirs {
            let dir = dir.as_ref();
            let key =
                UnitVerifyingKey::load(dir).map_err(|e| VerifyError::BadKey(format!("{}: {}", dir.display(), e)))?;
            ring.add(key)?;
        }
        Ok(ring)
    }

    /// How many keys the keyring holds.
    pub fn len(&self) -> usize {
        self.verifiers.len()
    }

    /// Whether the keyring holds no key.
    pub fn is_empty(&self) -> bool {
        self.verifiers.is_empty()
    }

    /// The keys held, by id.
    pub fn keys(&self) -> impl Iterator<Item = &UnitVerifyingKey> {
        self.verifiers.values().map(Verifier::key)
    }

    /// The verifiers held, by key id.
    pub fn verifiers(&self) -> impl Iterator<Item = &Verifier> {
        self.verifiers.values()
    }

    /// The verifier of key `vk_id`, when held.
    pub fn get(&self, vk_id: &str) -> Option<&Verifier> {
        self.verifiers.get(vk_id)
    }

    /// The verifier of the key `receipt` names, or [`VerifyError::UnknownKey`].
    pub fn verifier_for(&self, receipt: &Receipt) -> Result<&Verifier> {
        self.verifiers
            .get(&receipt.vk_id)
            .ok_or_else(|| VerifyError::UnknownKey { vk_id: quoted(&receipt.vk_id), held: self.verifiers.len() })
    }

    /// Verifies `receipt` with the key it names.
    pub fn verify(&self, receipt: &Receipt) -> Result<Verified> {
        self.verifier_for(receipt)?.verify(receipt)
    }

    /// Parses (strictly) and verifies one receipt's JSON with the key it names.
    pub fn verify_json(&self, text: &str) -> Result<Verified> {
        self.verify(&Receipt::from_json(text)?)
    }
}
