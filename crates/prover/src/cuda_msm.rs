//! The CUDA MSM backend: teraproof-gpu's Pippenger on the device.
//!
//! Each proving-key query's bases are uploaded the first time they are used and kept
//! on the device for the backend's lifetime, so later proofs only send scalars. As for
//! every backend, the prover checks each proof before emitting a receipt, so a device
//! fault cannot produce a receipt that fails verification.

use std::collections::HashMap;
use std::sync::Mutex;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use teraproof_gpu::{DeviceBasesG1, DeviceBasesG2, Gpu, GpuMsm};

use crate::backend::{Backend, BaseSet, CpuMsm, MsmBackend};
use crate::error::{ProverError, Result};

/// Which host slice a device copy was made from: its address, length and end points,
/// enough to notice a different proving key handed to the same backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Origin {
    address: usize,
    len: usize,
    first: u64,
    last: u64,
}

impl Origin {
    fn of<T: std::fmt::Debug>(bases: &[T]) -> Self {
        use std::hash::{Hash, Hasher};
        let fingerprint = |p: Option<&T>| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            format!("{p:?}").hash(&mut h);
            h.finish()
        };
        Origin {
            address: bases.as_ptr() as usize,
            len: bases.len(),
            first: fingerprint(bases.first()),
            last: fingerprint(bases.last()),
        }
    }
}

/// Pippenger MSMs on a CUDA device, bases resident per [`BaseSet`].
pub struct CudaMsm {
    msm: GpuMsm<'static>,
    device: String,
    g1: Mutex<HashMap<BaseSet, (Origin, DeviceBasesG1)>>,
    g2: Mutex<HashMap<BaseSet, (Origin, DeviceBasesG2)>>,
}

fn failed(e: impl std::fmt::Display) -> ProverError {
    ProverError::Msm { backend: "cuda".into(), reason: e.to_string() }
}

impl CudaMsm {
    /// Opens CUDA device `ordinal` and loads the MSM kernels (NVRTC compiles them once
    /// per process: minutes on a slow CPU).
    pub fn open(ordinal: usize) -> Result<Self> {
        let unavailable = |e: teraproof_gpu::GpuError| ProverError::BackendUnavailable {
            backend: format!("cuda:{ordinal}"),
            reason: e.to_string(),
        };
        let gpu = Gpu::open(ordinal).map_err(unavailable)?;
        // The kernels borrow the device handle for as long as the backend lives; a prover
        // keeps its backend for the process, so the handle is given a static lifetime
        // (one small allocation per backend, never freed).
        let gpu: &'static Gpu = Box::leak(Box::new(gpu));
        tracing::info!(device = gpu.name(), "loading the CUDA MSM kernels");
        let msm = GpuMsm::new(gpu).map_err(unavailable)?;
        let device = gpu.description();
        Ok(Self { msm, device, g1: Mutex::default(), g2: Mutex::default() })
    }
}

impl MsmBackend for CudaMsm {
    fn name(&self) -> &'static str {
        "cuda"
    }
    fn device(&self) -> String {
        self.device.clone()
    }
    fn msm_g1(&self, set: BaseSet, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective> {
        crate::backend::check_lengths(self.name(), set, bases.len(), scalars.len())?;
        let mut cache = self.g1.lock().map_err(|_| failed("a previous MSM panicked"))?;
        let origin = Origin::of(bases);
        if cache.get(&set).is_none_or(|(o, _)| *o != origin) {
            cache.insert(set, (origin, self.msm.upload_g1(bases).map_err(failed)?));
        }
        let (_, device_bases) = cache.get(&set).expect("inserted above");
        self.msm.msm_g1(device_bases, scalars).map_err(failed)
    }
    fn msm_g2(&self, set: BaseSet, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective> {
        crate::backend::check_lengths(self.name(), set, bases.len(), scalars.len())?;
        let mut cache = self.g2.lock().map_err(|_| failed("a previous MSM panicked"))?;
        let origin = Origin::of(bases);
        if cache.get(&set).is_none_or(|(o, _)| *o != origin) {
            cache.insert(set, (origin, self.msm.upload_g2(bases).map_err(failed)?));
        }
        let (_, device_bases) = cache.get(&set).expect("inserted above");
        self.msm.msm_g2(device_bases, scalars).map_err(failed)
    }
}

impl Backend {
    /// The MSM backend for this choice: `Auto` takes the first CUDA device when its
    /// MSM kernels load and the CPU otherwise, saying which in one log line; `Cuda`
    /// fails with the reason when the device is unusable.
    pub fn msm(self) -> Result<Box<dyn MsmBackend>> {
        match self {
            Backend::Cpu => Ok(Box::new(CpuMsm)),
            Backend::Cuda { device } => Ok(Box::new(CudaMsm::open(device)?)),
            Backend::Auto => {
                if let Err(reason) = teraproof_gpu::Gpu::detect() {
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
}
