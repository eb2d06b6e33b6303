//! What every self-test reports: one row per case, GEMM and MSM alike.

/// One line of the self-test table.
#[derive(Debug, Clone, PartialEq)]
pub struct SelftestRow {
    /// The case's name.
    pub name: String,
    /// (m, k, n) for a GEMM; (points, window bits, 1) for an MSM.
    pub shape: (usize, usize, usize),
    /// Whether the GPU's result equals the CPU reference exactly.
    pub passed: bool,
    /// Wall time of the GPU call in milliseconds (transfers included, compilation not).
    pub ms: f64,
    /// Why the case failed (first mismatch or the error), if it did.
    pub detail: Option<String>,
}
