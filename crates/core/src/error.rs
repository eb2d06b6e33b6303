//! The one error type of `teraproof-core`.

use thiserror::Error;

use crate::prelude::*;

/// Everything that can go wrong in `teraproof-core`. Each variant says what was
/// wrong with the input and, where it helps, what would be accepted instead.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A unit dimension is zero or too large.
    #[error("invalid unit shape {m}x{k}x{n}: {reason}")]
    InvalidShape {
        /// rows of A and C
        m: usize,
        /// columns of A, rows of B
        k: usize,
        /// columns of B and C
        n: usize,
        /// why the shape is refused
        reason: &'static str,
    },
    /// A unit id that is neither `mm-i8-MxKxN` nor a catalog name.
    #[error("cannot parse unit id {id:?}: {reason} (expected mm-i8-MxKxN, e.g. mm-i8-64x64x64, or one of CU-64, CU-128, CU-256, CU-512)")]
    InvalidUnitId {
        /// the text that was given
        id: String,
        /// what is wrong with it
        reason: String,
    },
    /// Matrix data whose length is not rows × cols.
    #[error("matrix data has {actual} elements but rows × cols = {rows} × {cols} = {expected}")]
    WrongLength {
        /// declared rows
        rows: usize,
        /// declared columns
        cols: usize,
        /// rows × cols
        expected: usize,
        /// elements present
        actual: usize,
    },
    /// Rows × cols overflows or a dimension is zero.
    #[error("matrix shape {rows}x{cols} is not allowed: {reason}")]
    InvalidMatrixShape {
        /// declared rows
        rows: usize,
        /// declared columns
        cols: usize,
        /// why
        reason: &'static str,
    },
    /// A `.npy` file that cannot be read as a matrix.
    #[error("not a usable .npy matrix: {0}")]
    Npy(String),
    /// A job whose shape, unit or matrices do not fit together.
    #[error("invalid job: {0}")]
    InvalidJob(String),
    /// A matrix element outside the range of its dtype.
    #[error("element {index} (row {row}, column {col}) is {value}, outside the range of {dtype} [{min}, {max}]")]
    OutOfRange {
        /// row-major index
        index: usize,
        /// its row
        row: usize,
        /// its column
        col: usize,
        /// the offending value
        value: i64,
        /// the dtype name
        dtype: &'static str,
        /// smallest allowed value
        min: i64,
        /// largest allowed value
        max: i64,
    },
    /// A dtype name this version does not know.
    #[error("unknown dtype {0:?}: expected \"i8\" or \"i32\"")]
    UnknownDtype(String),
    /// A matrix of the wrong dtype for where it is used.
    #[error("expected a matrix of dtype {expected}, found {found}")]
    WrongDtype {
        /// what was needed
        expected: &'static str,
        /// what was given
        found: String,
    },
    /// Shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
    /// A digest or field element that is not a canonical decimal below r.
    #[error("invalid field element {value:?}: {reason}")]
    InvalidFieldElement {
        /// the text (cut to 100 characters)
        value: String,
        /// what is wrong with it
        reason: &'static str,
    },
    /// JSON that does not parse.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A receipt whose structure is wrong (missing or mistyped fields).
    #[error("malformed receipt: {0}")]
    MalformedReceipt(String),
    /// A receipt in a format version this library does not read.
    #[error("unsupported receipt version {found}: this build reads version {supported}")]
    UnsupportedReceiptVersion {
        /// the version in the receipt
        found: u64,
        /// the version this build reads
        supported: u64,
    },
    /// A public input in a receipt that is not a canonical element of Fr.
    #[error("public input {field} is not canonical: {reason}")]
    NonCanonicalDigest {
        /// `da`, `db` or `dc`
        field: &'static str,
        /// why
        reason: String,
    },
    /// Proof bytes that are not 128 bytes of hex.
    #[error("bad proof encoding: {0}")]
    BadProofEncoding(String),
    /// The Poseidon implementation refused its input (a bug: arities are fixed).
    #[error("poseidon: {0}")]
    Poseidon(String),
}

/// Result with [`CoreError`].
pub type Result<T, E = CoreError> = core::result::Result<T, E>;
