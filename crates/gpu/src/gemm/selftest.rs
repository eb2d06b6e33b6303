//! On-GPU self-test and benchmark helpers (what `teraproof selftest --gpu` and
//! `teraproof bench` print).

use std::time::Instant;

use crate::device::Gpu;
use crate::error::GpuError;
use crate::gemm::reference::{gemm_i8_reference, SplitMix64};
use crate::gemm::{GemmTiming, MAX_K};
pub use crate::selftest::SelftestRow;

/// How a test case's inputs are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GemmInputs {
    /// Uniform random int8 values from a seed.
    Random {
        /// The generator's seed.
        seed: u64,
    },
    /// Every element of A is `a`, every element of B is `b`.
    Constant {
        /// A's value.
        a: i8,
        /// B's value.
        b: i8,
    },
    /// Only -128 and 127, at random: the largest magnitudes, both signs.
    RandomExtremes {
        /// The generator's seed.
        seed: u64,
    },
}

/// One GEMM test case: a shape and its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmCase {
    /// What the case exercises.
    pub name: &'static str,
    /// Rows of A and C.
    pub m: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// Columns of B and C.
    pub n: usize,
    /// How A and B are filled.
    pub inputs: GemmInputs,
}

impl GemmCase {
    /// Row-major A (m×k) and B (k×n).
    pub fn inputs(&self) -> (Vec<i8>, Vec<i8>) {
        let (a_len, b_len) = (self.m * self.k, self.k * self.n);
        match self.inputs {
            GemmInputs::Random { seed } => {
                let mut rng = SplitMix64::new(seed);
                (rng.i8_vec(a_len), rng.i8_vec(b_len))
            }
            GemmInputs::Constant { a, b } => (vec![a; a_len], vec![b; b_len]),
            GemmInputs::RandomExtremes { seed } => {
                let mut rng = SplitMix64::new(seed);
                let extreme = |byte: i8| if byte < 0 { -128 } else { 127 };
                (
                    rng.i8_vec(a_len).into_iter().map(extreme).collect(),
                    rng.i8_vec(b_len).into_iter().map(extreme).collect(),
                )
            }
        }
    }
}

/// The GEMM self-test cases: degenerate and odd shapes, every kind of edge tile
/// (m, n past a 128 block; k past a 64-byte slice; k not a multiple of 16, which takes
/// the packing path), catalog units, thin shapes, and the int32 extremes.
pub fn gemm_selftest_cases() -> Vec<GemmCase> {
    use GemmInputs::*;
    let case = |name, m, k, n, inputs| GemmCase { name, m, k, n, inputs };
    vec![
        case("1x1x1", 1, 1, 1, Random { seed: 1 }),
        case("odd 3x5x7", 3, 5, 7, Random { seed: 2 }),
        case("odd 17x33x65", 17, 33, 65, Random { seed: 3 }),
        case("k=80: partial k slice, A used in place", 40, 80, 72, Random { seed: 4 }),
        case("k=100: A rows packed, m and n past one block", 130, 100, 129, Random { seed: 5 }),
        case("several blocks and k slices", 300, 1000, 260, Random { seed: 6 }),
        case("CU-64", 64, 64, 64, Random { seed: 7 }),
        case("CU-256", 256, 256, 256, Random { seed: 8 }),
        case("tall and skinny", 4099, 24, 5, Random { seed: 9 }),
        case("short and wide", 3, 515, 1031, Random { seed: 10 }),
        case("all -128", 256, 256, 256, Constant { a: -128, b: -128 }),
        case("all 127", 256, 256, 256, Constant { a: 127, b: 127 }),
        case("mixed -128 x 127", 256, 256, 256, Constant { a: -128, b: 127 }),
        case("random extremes", 200, 300, 136, RandomExtremes { seed: 11 }),
        case("k = MAX_K, all -128: largest int32 sum", 2, MAX_K, 3, Constant { a: -128, b: -128 }),
        case("k = MAX_K, -128 x 127: most negative sum", 2, MAX_K, 3, Constant { a: -128, b: 127 }),
    ]
}

/// The most work (m·k·n) a GEMM case may have in the quick self-test: every edge shape
/// and both int32 extremes stay (those at k = MAX_K are thin), the 256³ and larger go.
pub const QUICK_GEMM_MAX_WORK: usize = 1 << 23;

/// Runs every [`gemm_selftest_cases`] case on `gpu` and compares with the CPU
/// reference. Never panics: a GPU error marks the affected rows failed with the error
/// as their detail.
pub fn selftest_gemm(gpu: &Gpu) -> Vec<SelftestRow> {
    selftest_gemm_streaming(gpu, false, &mut |_| {})
}

/// [`selftest_gemm`], calling `on_row` with each row as soon as it is done (so a caller
/// can print it before a later case hangs or the process is killed). `quick`: only the
/// cases of at most [`QUICK_GEMM_MAX_WORK`].
pub fn selftest_gemm_streaming(gpu: &Gpu, quick: bool, on_row: &mut dyn FnMut(&SelftestRow)) -> Vec<SelftestRow> {
    // Compile and load first, so that no row's time includes it.
    let ready = gpu.gemm_kernels().map(|_| ());
    gemm_selftest_cases()
        .into_iter()
        .filter(|case| !quick || case.m * case.k * case.n <= QUICK_GEMM_MAX_WORK)
        .map(|case| {
            let shape = (case.m, case.k, case.n);
            let row = |passed, ms, detail| SelftestRow { name: case.name.to_string(), shape, passed, ms, detail };
            if let Err(e) = &ready {
                return row(false, 0.0, Some(e.to_string()));
            }
            let (a, b) = case.inputs();
            let started = Instant::now();
            let gpu_result = gpu.gemm_i8(&a, &b, case.m, case.k, case.n);
            let ms = started.elapsed().as_secs_f64() * 1e3;
            let outcome = gpu_result.and_then(|c| Ok((c, gemm_i8_reference(&a, &b, case.m, case.k, case.n)?)));
            match outcome {
                Ok((c, expected)) => {
                    let mismatch = first_mismatch(&c, &expected, case.n);
                    if let Some(detail) = &mismatch {
                        tracing::error!(case = case.name, %detail, "GPU GEMM differs from the CPU reference");
                    }
                    row(mismatch.is_none(), ms, mismatch)
                }
                Err(e) => row(false, ms, Some(e.to_string())),
            }
        })
        .inspect(|row| on_row(row))
        .collect()
}

/// Describes the first element where `actual` differs from `expected` (and how many
/// differ), or `None` when they are equal.
pub(crate) fn first_mismatch(actual: &[i32], expected: &[i32], n: usize) -> Option<String> {
    if actual.len() != expected.len() {
        return Some(format!("C has {} elements, expected {}", actual.len(), expected.len()));
    }
    let wrong = actual.iter().zip(expected).filter(|(x, y)| x != y).count();
    let index = actual.iter().zip(expected).position(|(x, y)| x != y)?;
    Some(format!(
        "{wrong} of {} elements differ; first at row {}, column {}: got {}, expected {}",
        expected.len(),
        index / n.max(1),
        index % n.max(1),
        actual[index],
        expected[index]
    ))
}

/// Shapes `teraproof bench` times by default: a catalog unit, then squares up to the
/// 4096³ the performance goal is stated at.
pub const DEFAULT_BENCH_SHAPES: &[(usize, usize, usize)] =
    &[(256, 256, 256), (1024, 1024, 1024), (4096, 4096, 4096), (8192, 8192, 8192)];

/// Our kernel and cuBLASLt on one shape.
#[derive(Debug)]
pub struct GemmBenchRow {
    /// (m, k, n).
    pub shape: (usize, usize, usize),
    /// Our GEMM (operand preparation included).
    pub ours: Result<GemmTiming, GpuError>,
    /// cuBLASLt's int8 GEMM on the same inputs (operands prepared untimed).
    pub cublaslt: Result<GemmTiming, GpuError>,
}

impl GemmBenchRow {
    /// Our throughput as a fraction of cuBLASLt's, when both ran.
    pub fn ratio_to_cublaslt(&self) -> Option<f64> {
        match (&self.ours, &self.cublaslt) {
            (Ok(ours), Ok(theirs)) if theirs.tops > 0.0 => Some(ours.tops / theirs.tops),
            _ => None,
        }
    }

    /// Whether both computed the same C (by checksum), when both ran.
    pub fn outputs_agree(&self) -> Option<bool> {
        match (&self.ours, &self.cublaslt) {
            (Ok(ours), Ok(theirs)) => Some(ours.output_checksum == theirs.output_checksum),
            _ => None,
        }
    }
}

/// Times our GEMM and cuBLASLt's on each shape (`repeats` timed runs each, after
/// warm-up). Never panics; failures are carried in the rows.
pub fn bench_gemm(gpu: &Gpu, shapes: &[(usize, usize, usize)], repeats: usize) -> Vec<GemmBenchRow> {
    shapes
        .iter()
        .map(|&(m, k, n)| {
            let ours = gpu.gemm_i8_timed(m, k, n, repeats);
            let cublaslt = gpu.cublaslt_gemm_i8_timed(m, k, n, repeats);
            let row = GemmBenchRow { shape: (m, k, n), ours, cublaslt };
            tracing::info!(m, k, n, ratio = ?row.ratio_to_cublaslt(), agree = ?row.outputs_agree(), "GEMM benchmark");
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_have_valid_shapes_and_their_inputs_have_the_right_lengths() {
        let cases = gemm_selftest_cases();
        assert!(cases.iter().any(|c| (c.m, c.k, c.n) == (1, 1, 1)));
        assert!(cases.iter().any(|c| c.k % 16 != 0), "the A-packing path is covered");
        assert!(cases.iter().any(|c| c.k % 64 != 0 && c.k % 16 == 0), "a partial k slice without packing is covered");
        for case in &cases {
            crate::gemm::shape::GemmShape::new(case.m, case.k, case.n).unwrap();
            let (a, b) = case.inputs();
            assert_eq!((a.len(), b.len()), (case.m * case.k, case.k * case.n), "{}", case.name);
        }
    }

    #[test]
    fn extreme_inputs_use_only_the_extremes() {
        let case = GemmCase { name: "t", m: 8, k: 8, n: 8, inputs: GemmInputs::RandomExtremes { seed: 3 } };
        let (a, b) = case.inputs();
        assert!(a.iter().chain(&b).all(|&v| v == -128 || v == 127));
        assert!(a.contains(&-128) && a.contains(&127));
    }

    #[test]
    fn mismatches_are_located() {
        assert_eq!(first_mismatch(&[1, 2, 3, 4], &[1, 2, 3, 4], 2), None);
        let detail = first_mismatch(&[1, 2, 9, 4], &[1, 2, 3, 4], 2).unwrap();
        assert!(detail.contains("row 1, column 0") && detail.contains("got 9, expected 3"), "{detail}");
        assert!(first_mismatch(&[1], &[1, 2], 2).is_some());
    }
}
