//! CPU references: what every GPU result in this crate must equal exactly.

use super::shape::GemmShape;
use crate::error::GpuError;

/// `C = A·B` for row-major int8 A (m×k) and B (k×n), on the CPU: a plain triple loop
/// with i64 accumulation, the definition the GPU kernels are checked against.
///
/// Validates the shape and lengths exactly as [`Gpu::gemm_i8`](crate::Gpu::gemm_i8)
/// does. Within the accepted shapes (k ≤ [`MAX_K`](crate::MAX_K)) every sum fits int32.
pub fn gemm_i8_reference(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Result<Vec<i32>, GpuError> {
    let shape = GemmShape::new(m, k, n)?;
    shape.check_inputs(a, b)?;
    let mut sums = vec![0i64; n];
    let mut c = Vec::with_capacity(m * n);
    for a_row in a.chunks_exact(k) {
        sums.fill(0);
        // i-k-j order: the inner loop walks a row of B and a row of C contiguously.
        for (&a_ik, b_row) in a_row.iter().zip(b.chunks_exact(n)) {
            let a_ik = i64::from(a_ik);
            for (sum, &b_kj) in sums.iter_mut().zip(b_row) {
                *sum += a_ik * i64::from(b_kj);
            }
        }
        for &sum in &sums {
            c.push(i32::try_from(sum).map_err(|_| GpuError::InvalidShape {
                m,
                k,
                n,
                reason: "a sum left int32 (k above MAX_K?)",
            })?);
        }
    }
    Ok(c)
}

/// Row-major `rows×cols` → row-major `cols×pitch` (the transpose, each row zero padded
/// from `rows` to `pitch` columns). The layout cuBLASLt's int8 GEMM takes B in.
pub(crate) fn transpose_padded(matrix: &[i8], rows: usize, cols: usize, pitch: usize) -> Vec<i8> {
    debug_assert!(matrix.len() == rows * cols && rows <= pitch);
    let mut out = vec![0i8; cols * pitch];
    for (r, row) in matrix.chunks_exact(cols).enumerate() {
        for (c, &value) in row.iter().enumerate() {
            out[c * pitch + r] = value;
        }
    }
    out
}

/// Row-major `rows×cols` → row-major `rows×pitch`, each row zero padded.
pub(crate) fn pad_rows(matrix: &[i8], cols: usize, pitch: usize) -> Vec<i8> {
    if cols == pitch {
        return matrix.to_vec();
    }
    let mut out = Vec::with_capacity(matrix.len() / cols * pitch);
    for row in matrix.chunks_exact(cols) {
        out.extend_from_slice(row);
        out.resize(out.len() + pitch - cols, 0);
    }
    out
}

/// An order-sensitive fingerprint of a result (FNV-1a over the little-endian bytes), so
/// two GEMM implementations run on the same inputs can be compared without keeping
/// both outputs.
pub fn output_checksum(c: &[i32]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    c.iter().flat_map(|v| v.to_le_bytes()).fold(OFFSET, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

/// A small, fast, seeded generator (SplitMix64) for benchmark and self-test inputs:
/// reproducible across runs and machines, no dependency.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `len` uniformly random int8 values.
    pub(crate) fn i8_vec(&mut self, len: usize) -> Vec<i8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend(self.next_u64().to_le_bytes().map(|b| b as i8));
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_matches_a_hand_computed_product() {
        // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
        let c = gemm_i8_reference(&[1, 2, 3, 4, 5, 6], &[7, 8, 9, 10, 11, 12], 2, 3, 2).unwrap();
        assert_eq!(c, vec![58, 64, 139, 154]);
    }

    #[test]
    fn reference_is_exact_at_the_int32_edge() {
        let k = crate::MAX_K;
        let c = gemm_i8_reference(&vec![-128; k], &vec![-128; k], 1, k, 1).unwrap();
        assert_eq!(i64::from(c[0]), 16384 * k as i64);
        let c = gemm_i8_reference(&vec![-128; k], &vec![127; k], 1, k, 1).unwrap();
        assert_eq!(i64::from(c[0]), -16256 * k as i64);
    }

    #[test]
    fn reference_validates_like_the_gpu() {
        assert!(matches!(gemm_i8_reference(&[1], &[1, 2], 1, 1, 1), Err(GpuError::InputLength { matrix: "B", .. })));
        assert!(matches!(gemm_i8_reference(&[], &[], 0, 1, 1), Err(GpuError::InvalidShape { .. })));
    }

    #[test]
    fn layout_helpers_transpose_and_pad() {
        // 2x3 → transposed 3x2, rows padded to 4.
        let t = transpose_padded(&[1, 2, 3, 4, 5, 6], 2, 3, 4);
        assert_eq!(t, vec![1, 4, 0, 0, 2, 5, 0, 0, 3, 6, 0, 0]);
        assert_eq!(pad_rows(&[1, 2, 3, 4, 5, 6], 3, 4), vec![1, 2, 3, 0, 4, 5, 6, 0]);
        assert_eq!(pad_rows(&[1, 2], 2, 2), vec![1, 2]);
    }

    #[test]
    fn checksum_depends_on_order_and_generator_is_reproducible() {
        assert_ne!(output_checksum(&[1, 2]), output_checksum(&[2, 1]));
        let (mut x, mut y) = (SplitMix64::new(7), SplitMix64::new(7));
        assert_eq!(x.i8_vec(13), y.i8_vec(13));
        let values = SplitMix64::new(1).i8_vec(4096);
        assert!(values.contains(&-128) && values.contains(&127), "covers the whole int8 range");
    }
}
