//! # teraproof-verifier
//!
//! The small verifier a marketplace embeds: it checks a teraproof [`Receipt`] against a
//! unit's verifying key, alone ([`Verifier::verify`]) or in batches
//! ([`Verifier::verify_batch`]), and a job of any shape built from such units
//! ([`JobVerifier::verify_gemm_job`]), and the second proof path's receipts, a sumcheck over
//! committed matrices ([`sumcheck`]). No GPU code, no thread pool: arkworks and SHA-256.
//!
//! Every rejection is a typed [`VerifyError`]; no input, however malformed, panics.
//!
//! With `default-features = false` the crate is `no_std` (it needs only `alloc`):
//! everything but reading key directories from disk ([`UnitVerifyingKey::load`]) is
//! there; build the key with [`UnitVerifyingKey::from_manifest`] instead.
//!
//! [`Receipt`]: teraproof_core::Receipt
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod error;
pub mod job;
pub mod key;
pub mod keyring;
pub mod proof;
pub mod snarkjs;
pub mod solidity;
pub mod sumcheck;
pub mod verify;

/// `alloc` names every module uses, so the crate reads the same with and without `std`.
/// (With `std` its prelude already has some of them, hence the `allow`.)
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

pub use error::{Result, VerifyError};
pub use job::{job_statement_id, statement_id_of, JobVerifier, VerifiedJob, ACCUMULATE_KEYS_DIR};
pub use key::{KeyManifest, UnitVerifyingKey};
pub use keyring::Keyring;
pub use proof::{decode_proof, encode_proof};
pub use verify::{Verified, Verifier};
