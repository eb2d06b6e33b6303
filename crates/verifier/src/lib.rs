//! # teraproof-verifier
//!
//! The small verifier a marketplace embeds: it checks a teraproof [`Receipt`] against a
//! unit's verifying key, alone ([`Verifier::verify`]) or in batches
//! ([`Verifier::verify_batch`]). No GPU code, no thread pool: arkworks and SHA-256.
//!
//! Every rejection is a typed [`VerifyError`]; no input, however malformed, panics.
//!
//! [`Receipt`]: teraproof_core::Receipt
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod key;
pub mod proof;
pub mod snarkjs;
pub mod verify;

pub use error::{Result, VerifyError};
pub use key::{KeyManifest, UnitVerifyingKey};
pub use proof::{decode_proof, encode_proof};
pub use verify::{Verified, Verifier};
