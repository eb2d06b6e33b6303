//! The CPU reference of the unit's workload: exact int8 × int8 → int32 matrix product.

#[cfg(feature = "parallel")]
use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::matrix::Matrix;
use crate::prelude::*;
use crate::spec::UnitSpec;

/// Checks that A and B have the shapes the unit names.
pub fn check_inputs(spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>) -> Result<()> {
    if (a.rows(), a.cols()) != (spec.m(), spec.k()) {
        return Err(CoreError::ShapeMismatch(format!(
            "A is {}x{} but unit {spec} needs {}x{}",
            a.rows(),
            a.cols(),
            spec.m(),
            spec.k()
        )));
    }
    if (b.rows(), b.cols()) != (spec.k(), spec.n()) {
        return Err(CoreError::ShapeMismatch(format!(
            "B is {}x{} but unit {spec} needs {}x{}",
            b.rows(),
            b.cols(),
            spec.k(),
            spec.n()
        )));
    }
    Ok(())
}

/// `C = A·B` on the CPU, rows in parallel. Exact for every shape a [`UnitSpec`] allows
/// (the spec's `k` bound keeps every sum within int32; we still accumulate in i64 and
/// convert with a check, so a caller passing a larger k gets an error, not a wrap).
pub fn matmul_cpu(a: &Matrix<i8>, b: &Matrix<i8>) -> Result<Matrix<i32>> {
    if a.cols() != b.rows() {
        return Err(CoreError::ShapeMismatch(format!(
            "A is {}x{} and B is {}x{}: inner dimensions differ",
            a.rows(),
            a.cols(),
            b.rows(),
            b.cols()
        )));
    }
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let (ad, bd) = (a.data(), b.data());
    let mut out = vec![0i32; m * n];
    #[cfg(feature = "parallel")]
    let rows = out.par_chunks_mut(n);
    #[cfg(not(feature = "parallel"))]
    let rows = out.chunks_mut(n);
    let overflowed: Vec<bool> = rows
        .enumerate()
        .map(|(i, row): (usize, &mut [i32])| {
            let mut acc = vec![0i64; n];
            for (kk, &aik) in ad[i * k..(i + 1) * k].iter().enumerate() {
                let aik = aik as i64;
                if aik == 0 {
                    continue;
                }
                for (slot, &bkj) in acc.iter_mut().zip(&bd[kk * n..(kk + 1) * n]) {
                    *slot += aik * bkj as i64;
                }
            }
            let mut overflow = false;
            for (dst, v) in row.iter_mut().zip(acc) {
                match i32::try_from(v) {
                    Ok(v) => *dst = v,
                    Err(_) => overflow = true,
                }
            }
            overflow
        })
        .collect();
    if overflowed.into_iter().any(|o| o) {
        return Err(CoreError::ShapeMismatch(format!("k = {k} is too large: an entry of C overflows int32")));
    }
    Matrix::new(m, n, out)
}

/// The unit's product, with the shapes checked against the spec.
pub fn compute_unit_cpu(spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>) -> Result<Matrix<i32>> {
    check_inputs(spec, a, b)?;
    matmul_cpu(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_product() {
        let a = Matrix::new(2, 3, vec![1i8, 2, 3, -4, 5, -128]).unwrap();
        let b = Matrix::new(3, 2, vec![7i8, 8, 9, 10, 11, 127]).unwrap();
        let c = matmul_cpu(&a, &b).unwrap();
        assert_eq!(c.data(), &[7 + 18 + 33, 8 + 20 + 381, -28 + 45 - 1408, -32 + 50 - 16256]);
    }

    #[test]
    fn extremes_do_not_overflow() {
        let k = crate::spec::MAX_K;
        let a = Matrix::new(1, k, vec![-128i8; k]).unwrap();
        let b = Matrix::new(k, 1, vec![-128i8; k]).unwrap();
        assert_eq!(matmul_cpu(&a, &b).unwrap().data(), &[16384 * k as i32]);
    }

    #[test]
    fn shape_errors() {
        let spec = UnitSpec::new(2, 3, 4).unwrap();
        let a = Matrix::<i8>::zeros(2, 3).unwrap();
        let b = Matrix::<i8>::zeros(4, 4).unwrap();
        assert!(compute_unit_cpu(&spec, &a, &b).is_err());
        assert!(compute_unit_cpu(&spec, &b, &a).is_err());
        assert!(matmul_cpu(&a, &b).is_err());
    }
}
