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
    /// A backend name that is none of the known ones.
    #[error("unknown backend {name:?}: expected auto, cpu, cuda or cuda:N")]
    UnknownBackend {
        /// the name given (cut to a few dozen characters)
        name: String,
    },
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
    /// An accumulating step whose sum leaves int32: no circuit step can name it (see
    /// `teraproof_circuits::accumulate`), so it is refused before proving.
    #[error(
        "accumulating step of {unit} overflows int32 at row {row}, column {col} (Cin + A·B = {value}); a chain \
         from zero with K ≤ 131071 never does, so Cin is not a partial sum of such a chain"
    )]
    AccumulationOverflow {
        /// the unit
        unit: String,
        /// the element's row
        row: usize,
        /// the element's column
        col: usize,
        /// the exact sum
        value: i64,
    },
    /// The Cout given to an accumulating step is not `Cin + A·B`.
    #[error("the Cout given for {unit} is not Cin + A·B; no receipt is made for it")]
    NotTheSum {
        /// the unit
        unit: String,
    },
    /// The compute backend's product disagrees with the CPU reference.
    #[error("compute backend disagrees with the CPU: {0}")]
    ComputeMismatch(String),
    /// A prover asked for the statement of another kind of unit than its keys'.
    #[error("these keys prove the {keys} unit {unit}, not the {asked} unit")]
    WrongKind {
        /// the unit
        unit: String,
        /// what the keys prove
        keys: teraproof_core::UnitKind,
        /// what was asked
        asked: teraproof_core::UnitKind,
    },
    /// The sumcheck path's SRS or its inputs are unusable (missing, damaged, too short,
    /// or matrices of the wrong shape).
    #[error("sumcheck: {0}")]
    Srs(String),
    /// A ceremony file (`.zkey`, `.ptau`, `.r1cs`) that is unusable or does not check.
    #[error("ceremony: {0}")]
    Ceremony(String),
    /// A zkey whose ceremony does not check.
    #[error("ceremony: {0}")]
    CeremonyCheck(#[from] crate::ceremony::error::CeremonyError),
}

impl ProverError {
    /// An I/O error while `action` (`reading`, `writing`, …) `path`.
    pub fn io(action: &'static str, path: &std::path::Path, error: std::io::Error) -> Self {
        ProverError::Io { action, path: path.to_path_buf(), error }
    }
}

/// Result with [`ProverError`].
pub type Result<T, E = ProverError> = std::result::Result<T, E>;
