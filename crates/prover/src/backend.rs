//! Which backend proves, in one place: [`Backend`] (from `--backend auto|cpu|cuda[:N]`)
//! gives the prover, its MSM backend ([`crate::msm`]) and its compute backend
//! ([`crate::compute`]), each falling back to the CPU under `Auto` with one log line
//! saying why.

use teraproof_gpu::Gpu;

use crate::compute::{ComputeBackend, CpuCompute, CudaCompute};
use crate::error::{ProverError, Result};
use crate::keys::UnitKeys;
use crate::msm::{CpuMsm, CudaMsm, MsmBackend};
use crate::prove::Prover;

/// Which backend to prove with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The best available: CUDA when built in and a GPU is present, else the CPU.
    #[default]
    Auto,
    /// The CPU.
    Cpu,
    /// A CUDA device.
    Cuda {
        /// device ordinal
        device: usize,
    },
}

impl std::str::FromStr for Backend {
    type Err = ProverError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Backend::Auto),
            "cpu" => Ok(Backend::Cpu),
            "cuda" => Ok(Backend::Cuda { device: 0 }),
            other => match other.strip_prefix("cuda:").and_then(|d| d.parse().ok()) {
                Some(device) => Ok(Backend::Cuda { device }),
                None => Err(ProverError::UnknownBackend { name: teraproof_core::json::cut(other, 40) }),
            },
        }
    }
}

impl Backend {
    /// A prover for `keys` with this choice's MSM and compute backends.
    pub fn prover(self, keys: UnitKeys) -> Result<Prover> {
        Ok(Prover::new(keys, self.msm()?)?.with_compute(self.compute()?))
    }

    /// The MSM backend for this choice: `Auto` takes the first CUDA device when its
    /// MSM kernels load and the CPU otherwise, saying which in one log line; `Cuda`
    /// fails with the reason when the device is unusable.
    pub fn msm(self) -> Result<Box<dyn MsmBackend>> {
        match self {
            Backend::Cpu => Ok(Box::new(CpuMsm)),
            Backend::Cuda { device } => Ok(Box::new(CudaMsm::open(device)?)),
            Backend::Auto => {
                if let Err(reason) = Gpu::detect() {
                    tracing::info!(%reason, "MSMs on the CPU");
                    return Ok(Box::new(CpuMsm));
                }
                match CudaMsm::open(0) {
                    Ok(msm) => {
                        tracing::info!(device = %msm.device(), "MSMs on the GPU");
                        Ok(Box::new(msm))
                    }
                    Err(reason) => {
                        tracing::warn!(%reason, "the GPU cannot run the MSMs; MSMs on the CPU");
                        Ok(Box::new(CpuMsm))
                    }
                }
            }
        }
    }

    /// The compute backend for this choice: `Auto` takes the first CUDA device when
    /// one is usable and the CPU otherwise, saying which in one log line; `Cuda` fails
    /// with the reason when the device is unusable; `Cpu` is the CPU.
    pub fn compute(self) -> Result<Box<dyn ComputeBackend>> {
        match self {
            Backend::Cpu => Ok(Box::new(CpuCompute)),
            Backend::Cuda { device } => Ok(Box::new(CudaCompute::open(device)?)),
            Backend::Auto => match Gpu::detect() {
                Ok(gpu) => {
                    let compute = CudaCompute { gpu };
                    tracing::info!(device = %compute.device(), "computing units on the GPU");
                    Ok(Box::new(compute))
                }
                Err(reason) => {
                    tracing::info!(%reason, "computing units on the CPU");
                    Ok(Box::new(CpuCompute))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_falls_back_to_the_cpu_without_a_gpu() {
        if Gpu::detect().is_ok() {
            println!("SKIPPED: this machine has a GPU, so Auto picks it");
            return;
        }
        let compute = Backend::Auto.compute().unwrap();
        assert_eq!(compute.name(), "cpu");
        assert!(matches!(Backend::Cuda { device: 0 }.compute(), Err(ProverError::BackendUnavailable { .. })));
        assert_eq!(Backend::Auto.msm().unwrap().name(), "cpu");
        assert!(matches!(Backend::Cuda { device: 0 }.msm(), Err(ProverError::BackendUnavailable { .. })));
    }

    #[test]
    fn backends_parse_from_their_names() {
        assert_eq!("auto".parse::<Backend>().unwrap(), Backend::Auto);
        assert_eq!("cpu".parse::<Backend>().unwrap(), Backend::Cpu);
        assert_eq!("cuda".parse::<Backend>().unwrap(), Backend::Cuda { device: 0 });
        assert_eq!("cuda:3".parse::<Backend>().unwrap(), Backend::Cuda { device: 3 });
        for bad in ["", "gpu", "cuda:", "cuda:x", "CPU"] {
            let e = bad.parse::<Backend>().unwrap_err();
            assert!(matches!(&e, ProverError::UnknownBackend { name } if name == bad), "{bad}: {e}");
            assert!(e.to_string().starts_with("unknown backend"), "{e}");
        }
        // A long name from the command line is quoted cut, and says so.
        let e = "x".repeat(100).parse::<Backend>().unwrap_err().to_string();
        assert!(e.contains(&format!("{}…", "x".repeat(40))) && !e.contains(&"x".repeat(41)), "{e}");
    }
}
