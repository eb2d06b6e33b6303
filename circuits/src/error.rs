//! The one error type of `teraproof-circuits`.

use ark_relations::gr1cs::SynthesisError;
use teraproof_core::CoreError;
use thiserror::Error;

/// Errors from building or synthesising teraproof circuits.
#[derive(Debug, Error)]
pub enum CircuitError {
    /// The constraint system refused an operation (missing assignment, …).
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] SynthesisError),
    /// Inputs that do not fit the unit (shapes, dtypes).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The witness does not have the shape the unit needs.
    #[error("witness does not fit unit {unit}: {reason}")]
    WitnessShape {
        /// the unit id
        unit: String,
        /// what is wrong
        reason: String,
    },
}

/// Result with [`CircuitError`].
pub type Result<T, E = CircuitError> = std::result::Result<T, E>;
