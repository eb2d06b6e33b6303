//! The GEMM's shapes: which m×k×n the kernels accept, and what follows from one (the
//! operand layout on the device, its memory, its operation count).

use crate::error::GpuError;

/// The largest inner dimension accepted: the one bound every int32 entry of C is exact
/// under, defined once in `teraproof_core` (`k ≤ 2^17 − 1`).
pub use teraproof_core::MAX_K;

/// The largest m or n accepted (a guard against shapes no GPU could hold; it also keeps
/// every grid dimension within CUDA's limits), `teraproof_core`'s.
pub use teraproof_core::spec::MAX_MN;

/// Bytes per row alignment of the operands the tensor-core kernel reads (`K_ALIGN` in
/// kernels/gemm/gemm_i8.cuh).
pub(crate) const K_ALIGN: usize = 16;

/// A validated GEMM shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GemmShape {
    pub(crate) m: usize,
    pub(crate) k: usize,
    pub(crate) n: usize,
}

impl GemmShape {
    /// Accepts `1 ≤ m, n ≤ MAX_MN` and `1 ≤ k ≤ MAX_K`.
    pub(crate) fn new(m: usize, k: usize, n: usize) -> Result<Self, GpuError> {
        let invalid = |reason| Err(GpuError::InvalidShape { m, k, n, reason });
        if m == 0 || k == 0 || n == 0 {
            return invalid("every dimension must be at least 1");
        }
        if k > MAX_K {
            return invalid("k must be at most 131071 (2^17 - 1) so that int32 accumulation is exact");
        }
        if m > MAX_MN || n > MAX_MN {
            return invalid("m and n must be at most 1048576 (2^20)");
        }
        Ok(Self { m, k, n })
    }

    /// Checks the lengths of row-major A (m×k) and B (k×n).
    pub(crate) fn check_inputs(&self, a: &[i8], b: &[i8]) -> Result<(), GpuError> {
        for (matrix, slice, expected) in [("A", a, self.m * self.k), ("B", b, self.k * self.n)] {
            if slice.len() != expected {
                return Err(GpuError::InputLength { matrix, expected, actual: slice.len() });
            }
        }
        Ok(())
    }

    /// The row pitch in bytes of the A and Bt the kernel reads: k rounded up to 16.
    pub(crate) fn k_pitch(&self) -> usize {
        self.k.div_ceil(K_ALIGN) * K_ALIGN
    }

    /// Whether A must be copied into padded rows first (its rows are not 16-byte multiples).
    pub(crate) fn packs_a(&self) -> bool {
        !self.k.is_multiple_of(K_ALIGN)
    }

    /// Device bytes one GEMM holds at once: A and B as uploaded, A's padded copy when
    /// there is one, Bt, and the int32 C.
    pub(crate) fn device_bytes(&self) -> usize {
        let packed = if self.packs_a() { self.m * self.k_pitch() } else { 0 };
        self.m * self.k + self.k * self.n + packed + self.n * self.k_pitch() + 4 * self.m * self.n
    }

    /// Integer operations: a multiply and an add per (i, j, k).
    pub(crate) fn ops(&self) -> f64 {
        2.0 * self.m as f64 * self.k as f64 * self.n as f64
    }

    /// The kernels take int32 dimensions; validation keeps them well inside.
    pub(crate) fn dims_i32(&self) -> (i32, i32, i32, i32) {
        let to_i32 = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        (to_i32(self.m), to_i32(self.k), to_i32(self.n), to_i32(self.k_pitch()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_validated_with_typed_errors() {
        assert!(GemmShape::new(1, 1, 1).is_ok());
        assert!(GemmShape::new(MAX_MN, MAX_K, MAX_MN).is_ok());
        for (m, k, n) in [(0, 1, 1), (1, 0, 1), (1, 1, 0), (1, MAX_K + 1, 1), (MAX_MN + 1, 1, 1), (1, 1, MAX_MN + 1)] {
            assert!(matches!(GemmShape::new(m, k, n), Err(GpuError::InvalidShape { .. })), "{m}x{k}x{n}");
        }
    }

    #[test]
    fn input_lengths_are_checked() {
        let shape = GemmShape::new(2, 3, 4).unwrap();
        assert!(shape.check_inputs(&[0; 6], &[0; 12]).is_ok());
        let err = shape.check_inputs(&[0; 5], &[0; 12]).unwrap_err();
        assert!(matches!(err, GpuError::InputLength { matrix: "A", expected: 6, actual: 5 }), "{err}");
        let err = shape.check_inputs(&[0; 6], &[0; 13]).unwrap_err();
        assert!(matches!(err, GpuError::InputLength { matrix: "B", expected: 12, actual: 13 }), "{err}");
    }

    #[test]
    fn device_bytes_count_every_buffer() {
        // k = 16: A used in place; 2x16 A + 16x3 B + 3x16 Bt + 2x3 int32 C.
        assert_eq!(GemmShape::new(2, 16, 3).unwrap().device_bytes(), 32 + 48 + 48 + 24);
        // k = 17: A is packed to 32-byte rows as well.
        assert_eq!(GemmShape::new(2, 17, 3).unwrap().device_bytes(), 34 + 51 + 64 + 96 + 24);
    }

    #[test]
    fn k_is_padded_to_whole_16_byte_chunks() {
        let pitch = |k| GemmShape::new(1, k, 1).unwrap().k_pitch();
        assert_eq!((pitch(1), pitch(16), pitch(17), pitch(4096), pitch(MAX_K)), (16, 16, 32, 4096, 131072));
        assert!(GemmShape::new(1, 100, 1).unwrap().packs_a());
        assert!(!GemmShape::new(1, 80, 1).unwrap().packs_a());
    }
}
