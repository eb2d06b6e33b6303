//! The one error type of `teraproof-verifier`: every rejection says what is wrong.

use teraproof_core::CoreError;
use thiserror::Error;

use crate::prelude::*;

/// Why a receipt or key was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The receipt is not valid JSON or lacks/mistypes a field.
    #[error("malformed receipt: {0}")]
    MalformedReceipt(String),
    /// The receipt's format version is not one this build reads.
    #[error("unsupported receipt version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// the receipt's version
        found: u64,
        /// the version this build reads
        supported: u64,
    },
    /// A public input is not a canonical element of Fr (e.g. `x + r`).
    #[error("public input {field} is not canonical: {reason}")]
    NonCanonicalInput {
        /// `da`, `db` or `dc`
        field: &'static str,
        /// why
        reason: String,
    },
    /// The proof field is not 128 bytes of hex.
    #[error("bad proof encoding: {0}")]
    BadProofEncoding(String),
    /// A proof point is not a valid curve point of the right group.
    #[error("proof point {point} is invalid: {reason}")]
    InvalidProofPoint {
        /// `A`, `B` or `C`
        point: &'static str,
        /// `not on the curve`, `not in the prime-order subgroup`, …
        reason: &'static str,
    },
    /// The receipt names another verifying key.
    #[error("receipt is for verifying key {found:?}, this verifier holds {expected}")]
    WrongVerifyingKey {
        /// this verifier's key id
        expected: String,
        /// the receipt's key id (at most [`QUOTED_CHARS`] characters of it)
        found: String,
    },
    /// The receipt names a verifying key the keyring does not hold.
    #[error("receipt is for verifying key {vk_id:?}, which is not in the keyring ({held} keys held)")]
    UnknownKey {
        /// the receipt's key id (at most [`QUOTED_CHARS`] characters of it)
        vk_id: String,
        /// how many keys the keyring holds
        held: usize,
    },
    /// The receipt's unit differs from the key's unit.
    #[error("receipt is for unit {found:?}, the verifying key is for {expected}")]
    UnitMismatch {
        /// the key's unit
        expected: String,
        /// the receipt's unit (at most [`QUOTED_CHARS`] characters of it)
        found: String,
    },
    /// The receipt's `ops` does not match its unit.
    #[error("receipt claims {found} ops but unit {unit} has {expected}")]
    OpsMismatch {
        /// the unit
        unit: String,
        /// `2·m·k·n`
        expected: u64,
        /// the claim
        found: u64,
    },
    /// The receipt's `insecure_dev_setup` differs from the key's: a receipt made with
    /// development keys must say so, and a secure key's receipts must not claim otherwise.
    #[error("the receipt says insecure_dev_setup = {receipt}, but its key's manifest says {key}")]
    InsecureFlagMismatch {
        /// the key's flag
        key: bool,
        /// the receipt's flag
        receipt: bool,
    },
    /// The verifying key does not take the three public inputs dA, dB, dC.
    #[error("verifying key takes {found} public inputs, a teraproof unit has {expected}")]
    WrongInputCount {
        /// 3
        expected: usize,
        /// what the key takes
        found: usize,
    },
    /// Every check passed except the pairing equation: the proof is false.
    #[error("the proof does not verify for this statement (pairing check failed)")]
    ProofRejected,
    /// The output matrix given does not have the receipt's digest dC.
    #[error("the output's digest {found} differs from the receipt's dC {expected}")]
    OutputMismatch {
        /// the receipt's dC
        expected: String,
        /// the digest of the given matrix
        found: String,
    },
    /// An input matrix given does not have the receipt's digest (dA or dB).
    #[error("{input}'s digest {found} differs from the receipt's d{input} {expected}: it is not the receipt's input")]
    InputMismatch {
        /// "A" or "B"
        input: &'static str,
        /// the receipt's digest
        expected: String,
        /// the digest of the given matrix
        found: String,
    },
    /// A verifying-key file or manifest that cannot be used.
    #[error("bad verifying key: {0}")]
    BadKey(String),
    /// A batch in which some receipts failed; each is named with its reason.
    #[error("{} of {} receipts failed: {}", .failures.len(), .total, describe(.failures))]
    BatchFailed {
        /// batch size
        total: usize,
        /// (index in the batch, reason)
        failures: Vec<(usize, VerifyError)>,
    },
    /// A job's shape, tile grids or matrices do not fit together (the shape a buyer's
    /// matrices have, or the grids a job receipt carries).
    #[error("job shape mismatch: {0}")]
    JobShapeMismatch(String),
    /// A buyer's matrix does not have the shape the job's says: the job is about other
    /// matrices.
    #[error("{0}")]
    DataShapeMismatch(String),
    /// The job receipt names other keys than this verifier's, or its flag differs.
    #[error("job key mismatch: {0}")]
    JobKeyMismatch(String),
    /// A unit receipt checked on its own claims other digests than the job's unit at
    /// its position must carry.
    #[error(
        "the receipt given for unit {pos} proves another statement than the job's unit there (its digests differ)"
    )]
    NotThisUnit {
        /// the unit's position
        pos: teraproof_core::TilePos,
    },
    /// A unit of the job has no receipt.
    #[error("unit {pos} of the job has no receipt")]
    MissingUnit {
        /// the unit's position
        pos: teraproof_core::TilePos,
    },
    /// Two receipts claim the same unit of the job.
    #[error("unit {pos} of the job has more than one receipt")]
    RepeatedUnit {
        /// the unit's position
        pos: teraproof_core::TilePos,
    },
    /// The units are all there but not in job order `(i, j, t)`.
    #[error("receipt #{index} is unit {found} but job order puts {expected} there")]
    ReorderedUnit {
        /// index in the job receipt
        index: usize,
        /// the unit expected at that index
        expected: teraproof_core::TilePos,
        /// the unit found
        found: teraproof_core::TilePos,
    },
    /// A receipt that is not a unit of this job: a position outside the grid, another
    /// unit or another key.
    #[error("receipt #{index} is not a unit of this job: {reason}")]
    ForeignUnit {
        /// index in the job receipt
        index: usize,
        /// why
        reason: String,
    },
    /// Step `t ≥ 1` of a chain does not continue step `t − 1` (its dCin is not the
    /// previous dCout), or is not an accumulating unit.
    #[error("the chain of output tile ({}, {}) is broken at step {}: {reason}", .pos.i, .pos.j, .pos.t)]
    BrokenChain {
        /// the step
        pos: teraproof_core::TilePos,
        /// why
        reason: String,
    },
    /// A chain's first step is not a compute unit (it must start from zero).
    #[error("the chain of output tile ({}, {}) does not start at zero: its first step is not a compute unit", .pos.i, .pos.j)]
    ChainNotFromZero {
        /// the first step
        pos: teraproof_core::TilePos,
    },
    /// A unit receipt's digest differs from the job's tile digest it must equal (or a
    /// buyer's own tile differs from the job's).
    #[error("tile ({row}, {col}) of {matrix}: {reason}")]
    TileDigestMismatch {
        /// "A", "B" or "C"
        matrix: &'static str,
        /// tile row
        row: usize,
        /// tile column
        col: usize,
        /// what differs
        reason: String,
    },
    /// A sumcheck round's polynomial does not sum to the running claim: `g(0) + g(1)`
    /// differs from the claim it must reduce.
    #[error("sumcheck round {round}: g(0) + g(1) is not the running claim")]
    SumcheckRound {
        /// the round (0 = the first bit of the inner dimension)
        round: usize,
    },
    /// The sumcheck's last claim is not the product of the claimed evaluations of A and B.
    #[error("the sumcheck's final claim is not the product of the evaluations of A and B")]
    SumcheckFinal,
    /// A fold of an evaluation proof does not follow from the previous one.
    #[error("the evaluation proof of {matrix} fails at fold {fold}")]
    OpeningFold {
        /// "A", "B" or "C"
        matrix: &'static str,
        /// the fold (0 = the committed polynomial itself)
        fold: usize,
    },
    /// The batched evaluation proofs' pairing check failed.
    #[error("the batched evaluation proof does not verify (pairing check failed)")]
    OpeningRejected,
    /// A buyer's own commitment (recomputed from its matrix) is not the receipt's.
    #[error("the commitment to {matrix} recomputed from the given matrix is not the receipt's: it is not the receipt's {matrix}")]
    CommitmentMismatch {
        /// "A", "B" or "C"
        matrix: &'static str,
    },
    /// Unit receipts that failed their own verification, each named.
    #[error("{} of the job's unit receipts failed: {}", .failures.len(), describe_units(.failures))]
    UnitsRejected {
        /// (position, reason)
        failures: Vec<(teraproof_core::TilePos, VerifyError)>,
    },
}

fn describe_units(failures: &[(teraproof_core::TilePos, VerifyError)]) -> String {
    failures.iter().take(8).map(|(p, e)| format!("unit {p}: {e}")).collect::<Vec<_>>().join("; ")
}

/// How many characters of a string from a receipt an error quotes back. Such strings
/// are quoted with escapes (`{:?}`), so a newline in a unit id cannot forge a line of
/// output for a script reading a verifier's log, and cut short, so a megabyte of junk
/// is not echoed.
pub const QUOTED_CHARS: usize = 80;

/// At most [`QUOTED_CHARS`] characters of `text`, cut at a character boundary and
/// ending in `…` when cut.
pub(crate) fn quoted(text: &str) -> String {
    teraproof_core::json::cut(text, QUOTED_CHARS)
}

fn describe(failures: &[(usize, VerifyError)]) -> String {
    failures.iter().map(|(i, e)| format!("#{i}: {e}")).collect::<Vec<_>>().join("; ")
}

impl From<CoreError> for VerifyError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::UnsupportedReceiptVersion { found, supported } => {
                VerifyError::UnsupportedVersion { found, supported }
            }
            CoreError::NonCanonicalDigest { field, reason } => VerifyError::NonCanonicalInput { field, reason },
            CoreError::BadProofEncoding(s) => VerifyError::BadProofEncoding(s),
            CoreError::Json(s) | CoreError::MalformedReceipt(s) => VerifyError::MalformedReceipt(s),
            CoreError::InvalidJob(s) => VerifyError::JobShapeMismatch(s),
            other => VerifyError::MalformedReceipt(other.to_string()),
        }
    }
}

/// Result with [`VerifyError`].
pub type Result<T, E = VerifyError> = core::result::Result<T, E>;
