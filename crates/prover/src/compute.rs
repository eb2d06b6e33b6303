//! The unit's workload, `C = A·B`, on a CUDA GPU (teraproof-gpu's int8 tensor-core
//! GEMM) or on the CPU (the exact reference in teraproof-core), chosen at run time.
//!
//! A GPU result is never trusted blindly: the circuit binds C to A and B (Freivalds),
//! so a wrong product makes the witness unsatisfiable and the prover's self-check
//! withholds the proof. No GPU fault can therefore produce an accepted receipt.

use teraproof_core::{compute_unit_cpu, matmul::check_inputs, Matrix, UnitSpec};
use teraproof_gpu::Gpu;

use crate::error::{ProverError, Result};

/// Computes a unit's product.
pub trait ComputeBackend: Send + Sync {
    /// `cpu` or `cuda`, recorded in receipts.
    fn name(&self) -> &'static str;
    /// The device, in words.
    fn device(&self) -> String;
    /// `C = A·B` for a unit, shapes checked against the spec.
    fn matmul(&self, spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>) -> Result<Matrix<i32>>;
}

/// `C = A·B` with `compute`; if a device fails mid-run, the CPU takes over with a
/// warning rather than losing the work. Returns the product and the backend and
/// device that computed it.
pub fn compute_with_fallback(
    compute: &dyn ComputeBackend,
    spec: &UnitSpec,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
) -> Result<(Matrix<i32>, &'static str, String)> {
    match compute.matmul(spec, a, b) {
        Ok(c) => Ok((c, compute.name(), compute.device())),
        Err(e @ ProverError::Core(_)) => Err(e),
        Err(e) if compute.name() != CpuCompute.name() => {
            tracing::warn!(error = %e, "the {} compute backend failed; computing on the CPU", compute.name());
            Ok((CpuCompute.matmul(spec, a, b)?, CpuCompute.name(), CpuCompute.device()))
        }
        Err(e) => Err(e),
    }
}

/// The CPU reference (rayon over rows).
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuCompute;

impl ComputeBackend for CpuCompute {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn device(&self) -> String {
        format!("{} CPU threads", rayon::current_num_threads())
    }
    fn matmul(&self, spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>) -> Result<Matrix<i32>> {
        Ok(compute_unit_cpu(spec, a, b)?)
    }
}

/// Our int8 GEMM kernel on a CUDA device.
pub struct CudaCompute {
    pub(crate) gpu: Gpu,
}

impl CudaCompute {
    /// Opens CUDA device `ordinal`.
    pub fn open(ordinal: usize) -> Result<Self> {
        let gpu = Gpu::open(ordinal).map_err(|e| ProverError::BackendUnavailable {
            backend: format!("cuda:{ordinal}"),
            reason: e.to_string(),
        })?;
        Ok(Self { gpu })
    }
    /// The device.
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }
}

impl ComputeBackend for CudaCompute {
    fn name(&self) -> &'static str {
        "cuda"
    }
    fn device(&self) -> String {
        self.gpu.description()
    }
    fn matmul(&self, spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>) -> Result<Matrix<i32>> {
        check_inputs(spec, a, b)?;
        let (m, k, n) = (spec.m(), spec.k(), spec.n());
        let c = self
            .gpu
            .gemm_i8(a.data(), b.data(), m, k, n)
            .map_err(|e| ProverError::BackendUnavailable { backend: "cuda".into(), reason: e.to_string() })?;
        Ok(Matrix::new(m, n, c)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_compute_checks_shapes() {
        let spec = UnitSpec::new(2, 3, 2).unwrap();
        let a = Matrix::new(2, 3, vec![1i8, 2, 3, 4, 5, 6]).unwrap();
        let b = Matrix::new(3, 2, vec![1i8, 0, 0, 1, 1, 1]).unwrap();
        assert_eq!(CpuCompute.matmul(&spec, &a, &b).unwrap().data(), &[4, 5, 10, 11]);
        assert!(CpuCompute.matmul(&spec, &b, &a).is_err());
    }

    #[test]
    fn gpu_compute_equals_the_cpu_when_a_gpu_is_present() {
        let Ok(gpu) = Gpu::detect() else {
            println!("SKIPPED: no usable GPU on this machine");
            return;
        };
        let compute = CudaCompute { gpu };
        let spec = UnitSpec::new(33, 70, 17).unwrap();
        let a = Matrix::from_fn(33, 70, |i, j| ((i * 31 + j * 7) % 256) as u8 as i8).unwrap();
        let b = Matrix::from_fn(70, 17, |i, j| ((i * 13 + j * 5) % 256) as u8 as i8).unwrap();
        assert_eq!(compute.matmul(&spec, &a, &b).unwrap(), CpuCompute.matmul(&spec, &a, &b).unwrap());
    }
}
