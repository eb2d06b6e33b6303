//! # teraproof
//!
//! Verifiable GPU compute. A compute marketplace trades *compute units*: int8 matrix
//! products of a standard shape. A supplier runs a unit and returns the output with a
//! Groth16 proof (BN254) that the output is the product of the inputs; anyone holding
//! the unit's verifying key checks it without the data.
//!
//! This facade re-exports the workspace crates:
//! - [`core`]: unit specs, matrices, the canonical digest;
//! - [`circuits`]: the compute-unit circuit and its gadgets;
//! - [`prover`]: setup, key files and the proving pipeline;
//! - [`verifier`]: receipt verification, single and batched.
#![forbid(unsafe_code)]

pub use teraproof_circuits as circuits;
pub use teraproof_core as core;
pub use teraproof_prover as prover;
pub use teraproof_verifier as verifier;
