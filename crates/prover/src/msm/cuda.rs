//! The CUDA MSM backend: teraproof-gpu's Pippenger on the device.
//!
//! [`MsmBackend::prepare_g1`] uploads a query's bases and keeps them on the device for
//! the backend's lifetime under the slot its [`PreparedBases`] handle names, so proofs
//! only send scalars. As for every backend, the prover checks each proof before
//! emitting a receipt, so a device fault cannot produce a receipt that fails
//! verification.

use std::sync::Mutex;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use teraproof_gpu::{DeviceBasesG1, DeviceBasesG2, Gpu, GpuMsm};

use super::{new_issuer, BaseSet, Group, MsmBackend, PreparedBases};
use crate::error::{ProverError, Result};

/// Pippenger MSMs on a CUDA device, over bases it holds on the device.
pub struct CudaMsm {
    msm: GpuMsm<'static>,
    device: String,
    /// This instance's id in the handles it issues.
    issuer: u64,
    g1: Mutex<Vec<DeviceBasesG1>>,
    g2: Mutex<Vec<DeviceBasesG2>>,
}

fn failed(e: impl std::fmt::Display) -> ProverError {
    ProverError::Msm { backend: "cuda".into(), reason: e.to_string() }
}

impl CudaMsm {
    /// Opens CUDA device `ordinal` and loads the MSM kernels (built ahead, or compiled
    /// by NVRTC once per process: minutes on a slow CPU).
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
        Ok(Self { msm, device, issuer: new_issuer(), g1: Mutex::default(), g2: Mutex::default() })
    }
}

impl MsmBackend for CudaMsm {
    fn name(&self) -> &'static str {
        "cuda"
    }
    fn device(&self) -> String {
        self.device.clone()
    }
    fn prepare_g1(&self, set: BaseSet, bases: &[G1Affine]) -> Result<PreparedBases> {
        let uploaded = self.msm.upload_g1(bases).map_err(failed)?;
        let mut slots = self.g1.lock().map_err(|_| failed("a previous upload panicked"))?;
        slots.push(uploaded);
        Ok(PreparedBases::issued(self.issuer, slots.len() - 1, set, Group::G1, bases.len()))
    }
    fn prepare_g2(&self, set: BaseSet, bases: &[G2Affine]) -> Result<PreparedBases> {
        let uploaded = self.msm.upload_g2(bases).map_err(failed)?;
        let mut slots = self.g2.lock().map_err(|_| failed("a previous upload panicked"))?;
        slots.push(uploaded);
        Ok(PreparedBases::issued(self.issuer, slots.len() - 1, set, Group::G2, bases.len()))
    }
    fn msm_g1(&self, prepared: &PreparedBases, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective> {
        let slot = prepared.check(self.name(), self.issuer, Group::G1, bases.len(), scalars.len())?;
        let slots = self.g1.lock().map_err(|_| failed("a previous MSM panicked"))?;
        let device_bases = slots.get(slot).ok_or_else(|| failed("no such prepared bases"))?;
        self.msm.msm_g1(device_bases, scalars).map_err(failed)
    }
    fn msm_g2(&self, prepared: &PreparedBases, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective> {
        let slot = prepared.check(self.name(), self.issuer, Group::G2, bases.len(), scalars.len())?;
        let slots = self.g2.lock().map_err(|_| failed("a previous MSM panicked"))?;
        let device_bases = slots.get(slot).ok_or_else(|| failed("no such prepared bases"))?;
        self.msm.msm_g2(device_bases, scalars).map_err(failed)
    }
}
