//! # teraproof-circuits
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod builder;
pub mod error;
pub mod poseidon;

pub use error::{CircuitError, Result};
