//! The one error type of `teraproof-prover`.

use std::path::PathBuf;

use ark_relations::gr1cs::SynthesisError;
use teraproof_circuits::CircuitError;
use teraproof_core::CoreError;
use teraproof_verifier::VerifyError;
use thiserror::Error;

/// Errors from setup, key files and proving.
#[derive(Debug, Error)]
pub enum ProverError {
    /// A file could not be read or written.
    #[error("{action} {path}: {error}")]
    Io {
        /// what was being done
        action: &'static str,
        /// the file
        path: PathBuf,
        /// the OS error (shown in the message, so not also chained as a source)
        error: std::io::Error,
    },
    /// A key file that is missing, truncated, corrupt or for another unit.
    #[error("key file problem: {0}")]
    KeyFile(String),
    /// Bad input matrices or unit.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The circuit refused its witness.
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    /// arkworks' constraint system or QAP reduction failed.
    #[error("constraint system: {0}")]
    Synthesis(#[from] SynthesisError),
    /// The verifying key is unusable.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The requested backend is not available in this build or on this machine.
    #[error("backend {backend} is unavailable: {reason}")]
    BackendUnavailable {
        /// the backend asked for
        backend: String,
        /// why it cannot be used
        reason: String,
    },
    /// An MSM backend failed or returned inconsistent sizes.
    #[error("msm backend {backend}: {reason}")]
    Msm {
        /// the backend
        backend: String,
        /// what went wrong
        reason: String,
    },
    /// The proof just made does not verify: it is withheld rather than emitted.
    #[error(
        "internal error: the proof made for {unit} failed its own verification ({reason}); no receipt was written"
    )]
    SelfCheckFailed {
        /// the unit
        unit: String,
        /// the verifier's reason
        reason: String,
    },
}

/// Result with [`ProverError`].
pub type Result<T, E = ProverError> = std::result::Result<T, E>;
