//! The fleet's errors.

use thiserror::Error;

/// What can go wrong in a fleet's worker or coordinator.
#[derive(Debug, Error)]
pub enum FleetError {
    /// The connection string does not parse or names an unsupported scheme.
    #[error("bad fleet URL {url}: {reason}")]
    BadUrl {
        /// the URL as given, password hidden
        url: String,
        /// why
        reason: String,
    },
    /// Redis could not be reached for longer than the reconnect window.
    #[error("redis at {url} unreachable: {reason}")]
    Unreachable {
        /// the server, password hidden
        url: String,
        /// the last error
        reason: String,
    },
    /// Redis answered a command with an error (or a reply of the wrong form).
    #[error("redis at {url}: {reason}")]
    Redis {
        /// the server, password hidden
        url: String,
        /// the last error
        reason: String,
    },
    /// A task or stored value read from Redis is malformed or not for this fleet's keys.
    /// Workers dead-letter such tasks; nothing read from Redis is trusted.
    #[error("malformed task: {0}")]
    BadTask(String),
    /// The coordinator saw no unit finish for longer than it was told to wait.
    #[error("no unit finished for {secs} s ({workers} workers alive for this job's keys); {done} of {total} units done. Run the job again to resume")]
    Stalled {
        /// seconds without progress
        secs: u64,
        /// live workers holding the job's compute-unit key
        workers: usize,
        /// units done
        done: usize,
        /// units in the job
        total: usize,
    },
    /// A unit of the coordinator's job was dead-lettered by the workers.
    #[error("unit {pos} of the job was dead-lettered by the fleet: {reason}")]
    DeadLettered {
        /// the unit's position
        pos: teraproof_core::TilePos,
        /// the last error the workers recorded
        reason: String,
    },
    /// The workers keep storing receipts for a unit that do not verify.
    #[error("unit {pos}: {attempts} receipts from the fleet failed verification (last: {reason}); giving up")]
    Untrustworthy {
        /// the unit's position
        pos: teraproof_core::TilePos,
        /// receipts rejected
        attempts: usize,
        /// the last rejection
        reason: String,
    },
    /// A worker was given no keys, or keys it cannot use.
    #[error("{0}")]
    Keys(String),
    /// Proving failed.
    #[error(transparent)]
    Prover(#[from] teraproof_prover::ProverError),
    /// Verifying failed.
    #[error(transparent)]
    Verify(#[from] teraproof_verifier::VerifyError),
    /// The job itself is invalid.
    #[error(transparent)]
    Core(#[from] teraproof_core::CoreError),
}

/// The fleet's result type.
pub type Result<T> = std::result::Result<T, FleetError>;
