//! # teraproof-circuits
//!
//! R1CS circuits over BN254 for the teraproof compute unit (DESIGN §4):
//!
//! - [`poseidon`]: circomlib's Poseidon as a gadget, equal to light-poseidon;
//! - [`pack`]: int8 range-and-pack and int32 packing;
//! - [`digest`]: the canonical matrix digest of DESIGN §3;
//! - [`unit`](mod@unit): [`ComputeUnitCircuit`] (digests + Freivalds, about 28·n² constraints for
//!   CU-n) and the textbook [`NaiveMatmulCircuit`] (one constraint per multiply-add),
//!   with the same public inputs `dA, dB, dC`, and [`circuit_cost`], their exact sizes;
//! - [`accumulate`]: [`AccumulateCircuit`], `Cout = Cin + A·B` with public inputs
//!   `dA, dB, dCin, dCout`, the step that chains units into a job of any size;
//! - [`r1cs`](mod@r1cs): a circuit's constraint system as matrices, and the circuit id keys carry.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod accumulate;
pub mod builder;
pub mod digest;
pub mod error;
pub mod pack;
pub mod poseidon;
pub mod r1cs;
pub mod unit;

pub use accumulate::{accumulate_cost, AccumulateCircuit, AccumulateWitness};
pub use builder::{Assignment, ConstraintEvaluations, DirectWitness};
pub use error::{CircuitError, Result};
pub use r1cs::{circuit_id, r1cs_of, R1cs};
pub use unit::{
    circuit_cost, public_inputs, CircuitCost, ComputeUnitCircuit, Freivalds, NaiveMatmulCircuit, Textbook, UnitCircuit,
    UnitWitness,
};
