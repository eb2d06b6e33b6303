//! Multi-scalar multiplication backends, chosen at run time (in the spirit of halo2's
//! ZAL): the prover names *which* proving-key query it multiplies, so a device backend
//! can upload each query's bases once and reuse them across proofs.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::VariableBaseMSM;

use crate::error::{ProverError, Result};

/// The proving-key query an MSM runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseSet {
    /// `a_query` (G1), for the proof's A
    A,
    /// `b_g1_query` (G1), for B in G1 (used in C)
    BG1,
    /// `b_g2_query` (G2), for the proof's B
    BG2,
    /// `h_query` (G1), the quotient polynomial
    H,
    /// `l_query` (G1), the private witness
    L,
}

/// A backend computing `Σ sᵢ·Pᵢ`.
pub trait MsmBackend: Send + Sync {
    /// Short name recorded in receipts (`cpu`, `cuda`).
    fn name(&self) -> &'static str;
    /// The device, in words.
    fn device(&self) -> String;
    /// `Σ scalars[i]·bases[i]` in G1; `bases.len() == scalars.len()`.
    fn msm_g1(&self, set: BaseSet, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective>;
    /// `Σ scalars[i]·bases[i]` in G2; `bases.len() == scalars.len()`.
    fn msm_g2(&self, set: BaseSet, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective>;

    /// Several MSMs over one scalar vector: for each `(set, bases, offset)`,
    /// `Σ scalars[offset + i]·bases[i]`. Groth16's A, B₁, B₂ and L queries all multiply
    /// the assignment, so a backend can prepare the scalars once. The default runs the
    /// MSMs one by one.
    fn msm_shared(
        &self,
        g1: &[(BaseSet, &[G1Affine], usize)],
        g2: &[(BaseSet, &[G2Affine], usize)],
        scalars: &[Fr],
    ) -> Result<SharedMsm> {
        let slice = |offset: usize, len: usize| -> Result<&[Fr]> {
            scalars.get(offset..offset + len).ok_or_else(|| ProverError::Msm {
                backend: self.name().into(),
                reason: format!("{len} bases from offset {offset} but {} scalars", scalars.len()),
            })
        };
        let g1 = g1.iter().map(|&(set, b, off)| self.msm_g1(set, b, slice(off, b.len())?)).collect::<Result<_>>()?;
        let g2 = g2.iter().map(|&(set, b, off)| self.msm_g2(set, b, slice(off, b.len())?)).collect::<Result<_>>()?;
        Ok(SharedMsm { g1, g2 })
    }
}

/// Results of [`MsmBackend::msm_shared`], in the order asked.
pub struct SharedMsm {
    /// the G1 sums
    pub g1: Vec<G1Projective>,
    /// the G2 sums
    pub g2: Vec<G2Projective>,
}

/// Our CPU MSM ([`crate::msm`]): scalars split by size, batch-affine buckets.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuMsm;

/// arkworks' `VariableBaseMSM`, kept as the reference and for comparison.
#[derive(Debug, Default, Clone, Copy)]
pub struct ArkworksMsm;

pub(crate) fn check_lengths(backend: &str, set: BaseSet, bases: usize, scalars: usize) -> Result<()> {
    if bases != scalars {
        return Err(ProverError::Msm {
            backend: backend.into(),
            reason: format!("{set:?}: {bases} bases but {scalars} scalars"),
        });
    }
    Ok(())
}

impl MsmBackend for CpuMsm {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn device(&self) -> String {
        format!("{} CPU threads", rayon::current_num_threads())
    }
    fn msm_g1(&self, set: BaseSet, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective> {
        check_lengths(self.name(), set, bases.len(), scalars.len())?;
        Ok(crate::msm::msm(bases, scalars))
    }
    fn msm_g2(&self, set: BaseSet, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective> {
        check_lengths(self.name(), set, bases.len(), scalars.len())?;
        Ok(crate::msm::msm(bases, scalars))
    }

    fn msm_shared(
        &self,
        g1: &[(BaseSet, &[G1Affine], usize)],
        g2: &[(BaseSet, &[G2Affine], usize)],
        scalars: &[Fr],
    ) -> Result<SharedMsm> {
        let g1_ranges = g1.iter().map(|(set, b, offset)| (*set, b.len(), *offset));
        let g2_ranges = g2.iter().map(|(set, b, offset)| (*set, b.len(), *offset));
        for (set, len, offset) in g1_ranges.chain(g2_ranges) {
            check_lengths(self.name(), set, offset + len, scalars.len())?;
        }
        let t = std::time::Instant::now();
        let prepared = crate::msm::prepare(scalars);
        tracing::debug!(ms = t.elapsed().as_secs_f64() * 1e3, scalars = scalars.len(), "msm scalars prepared");
        // Each query's time, for researchers comparing where proving goes (debug log).
        fn timed<T>(set: BaseSet, f: impl FnOnce() -> T) -> T {
            let t = std::time::Instant::now();
            let out = f();
            tracing::debug!(?set, ms = t.elapsed().as_secs_f64() * 1e3, "msm");
            out
        }
        let g1 = g1.iter().map(|&(set, b, off)| timed(set, || crate::msm::msm_prepared(b, &prepared, off))).collect();
        let g2 = g2.iter().map(|&(set, b, off)| timed(set, || crate::msm::msm_prepared(b, &prepared, off))).collect();
        Ok(SharedMsm { g1, g2 })
    }
}

impl MsmBackend for ArkworksMsm {
    fn name(&self) -> &'static str {
        "cpu-arkworks"
    }
    fn device(&self) -> String {
        format!("{} CPU threads", rayon::current_num_threads())
    }
    fn msm_g1(&self, set: BaseSet, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective> {
        check_lengths(self.name(), set, bases.len(), scalars.len())?;
        Ok(G1Projective::msm_unchecked(bases, scalars))
    }
    fn msm_g2(&self, set: BaseSet, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective> {
        check_lengths(self.name(), set, bases.len(), scalars.len())?;
        Ok(G2Projective::msm_unchecked(bases, scalars))
    }
}

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
                None => Err(ProverError::BackendUnavailable {
                    backend: other.into(),
                    reason: "expected auto, cpu, cuda or cuda:N".into(),
                }),
            },
        }
    }
}
