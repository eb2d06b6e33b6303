//! # teraproof-core
//!
//! The vocabulary of teraproof: the compute unit a market trades ([`UnitSpec`]), the
//! matrices it consumes and produces ([`Matrix`]), the CPU reference of its workload
//! ([`matmul_cpu`]) and the canonical digest that names a matrix ([`digest_matrix`],
//! specified in DESIGN §3 so that other tools can reproduce it).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod digest;
pub mod error;
pub mod field;
pub mod matmul;
pub mod matrix;
pub mod receipt;
pub mod spec;

pub use digest::{digest_matrix, freivalds_challenge, MatrixDigest};
pub use error::{CoreError, Result};
pub use field::{field_from_decimal, field_to_decimal, fr_from_decimal, fr_to_decimal, Fr};
pub use matmul::{compute_unit_cpu, matmul_cpu};
pub use matrix::{AnyMatrix, Element, Matrix};
pub use receipt::{ProverInfo, Receipt, Timings, PROOF_BYTES, RECEIPT_VERSION};
pub use spec::{UnitSpec, MAX_K};
