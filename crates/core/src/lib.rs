//! # teraproof-core
//!
//! The vocabulary of teraproof: the compute unit a market trades ([`UnitSpec`]), the
//! matrices it consumes and produces ([`Matrix`]), the CPU reference of its workload
//! ([`matmul_cpu`]) and the canonical digest that names a matrix ([`digest_matrix`],
//! specified in DESIGN §3 so that other tools can reproduce it).
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod digest;
pub mod error;
pub mod field;
pub mod job;
pub mod json;
pub mod matmul;
pub mod matrix;
#[cfg(feature = "std")]
pub mod npy;
pub mod poseidon;
pub mod receipt;
pub mod spec;

/// `alloc` names every module uses, so the crate reads the same with and without `std`.
/// (With `std` its prelude already has some of them, hence the `allow`.)
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

pub use digest::{digest_matrix, freivalds_challenge, MatrixDigest};
pub use error::{CoreError, Result};
pub use field::{field_from_decimal, field_to_decimal, fr_from_decimal, fr_to_decimal, Fr};
pub use job::{GemmShape, JobReceipt, JobUnit, TilePos, Tiling, JOB_RECEIPT_VERSION};
pub use matmul::{compute_unit_cpu, matmul_cpu};
pub use matrix::{AnyMatrix, Element, Matrix};
pub use poseidon::poseidon;
pub use receipt::{ProverInfo, Receipt, Timings, PROOF_BYTES, RECEIPT_VERSION};
pub use spec::{UnitKind, UnitSpec, MAX_K};
