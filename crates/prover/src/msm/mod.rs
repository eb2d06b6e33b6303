//! Multi-scalar multiplication `Σ sᵢ·Pᵢ`: the backend trait, the prepared-bases handle,
//! and one file per backend, chosen at run time (in the spirit of halo2's ZAL):
//!
//! - [`cpu`]: ours on the CPU, shaped by what a Groth16 witness looks like ([`CpuMsm`]);
//! - [`arkworks`]: arkworks' `VariableBaseMSM`, the reference ([`ArkworksMsm`]);
//! - [`cuda`]: teraproof-gpu's Pippenger on a CUDA device ([`CudaMsm`]).
//!
//! **Prepared bases.** A proving key's five queries are multiplied by every proof. The
//! prover hands each query to its backend once ([`MsmBackend::prepare_g1`]) and keeps
//! the [`PreparedBases`] handle it gets back; every MSM names its bases by that handle.
//! A device backend uploads the bases when preparing and keeps them for as long as it
//! lives, so proofs only send scalars; a CPU backend keeps nothing. Which backend runs
//! is [`crate::Backend::msm`]'s choice.

pub mod arkworks;
pub mod cpu;
pub mod cuda;

use std::sync::atomic::{AtomicU64, Ordering};

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};

pub use arkworks::ArkworksMsm;
pub use cpu::{bucket_sums, bucket_sums_with, msm, msm_prepared, msm_with_split, prepare, signed_digits, CpuMsm};
pub use cpu::{BucketFill, PreparedScalars, Split};
pub use cuda::CudaMsm;

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
    /// a prefix of the sumcheck path's SRS powers τⁱ·G (G1)
    Srs,
}

/// The group a set of bases lies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// G1
    G1,
    /// G2
    G2,
}

/// Bases a backend has prepared for repeated MSMs: the handle it returned from
/// [`MsmBackend::prepare_g1`] / [`MsmBackend::prepare_g2`]. It names the backend
/// instance that issued it, so a handle from another backend (or another device) is
/// refused instead of silently reading the wrong bases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedBases {
    issuer: u64,
    slot: usize,
    set: BaseSet,
    group: Group,
    len: usize,
}

/// The issuer of every host backend: they keep no state, so any of their handles serves
/// any of them.
const HOST_ISSUER: u64 = 0;

/// A new issuer id for a backend instance that keeps prepared bases.
pub(crate) fn new_issuer() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl PreparedBases {
    /// A handle for bases a host backend reads from the slice at each MSM.
    pub fn on_host(set: BaseSet, group: Group, len: usize) -> Self {
        PreparedBases { issuer: HOST_ISSUER, slot: 0, set, group, len }
    }

    /// A handle for a stateful backend's `slot`.
    pub(crate) fn issued(issuer: u64, slot: usize, set: BaseSet, group: Group, len: usize) -> Self {
        PreparedBases { issuer, slot, set, group, len }
    }

    /// The query.
    pub fn set(&self) -> BaseSet {
        self.set
    }

    /// The number of bases.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bases.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot, after checking that `issuer` issued this handle for `group` and that
    /// `bases` and `scalars` have its length.
    pub(crate) fn check(
        &self,
        backend: &str,
        issuer: u64,
        group: Group,
        bases: usize,
        scalars: usize,
    ) -> Result<usize> {
        let refuse = |reason: String| Err(ProverError::Msm { backend: backend.into(), reason });
        if self.issuer != issuer {
            return refuse(format!("{:?}: these bases were prepared by another MSM backend", self.set));
        }
        if self.group != group {
            return refuse(format!("{:?}: bases prepared in {:?}, used in the other group", self.set, self.group));
        }
        if bases != self.len || scalars != self.len {
            return refuse(format!(
                "{:?}: {} bases prepared, {bases} given with {scalars} scalars",
                self.set, self.len
            ));
        }
        Ok(self.slot)
    }
}

/// A backend computing `Σ sᵢ·Pᵢ` over bases it prepared.
pub trait MsmBackend: Send + Sync {
    /// Short name recorded in receipts (`cpu`, `cpu-arkworks`, `cuda`).
    fn name(&self) -> &'static str;
    /// The device, in words.
    fn device(&self) -> String;

    /// Prepares G1 bases for any number of MSMs (a device backend uploads them). The
    /// default, for host backends, keeps nothing: each MSM reads the slice again.
    fn prepare_g1(&self, set: BaseSet, bases: &[G1Affine]) -> Result<PreparedBases> {
        Ok(PreparedBases::on_host(set, Group::G1, bases.len()))
    }
    /// Prepares G2 bases, as [`prepare_g1`](Self::prepare_g1).
    fn prepare_g2(&self, set: BaseSet, bases: &[G2Affine]) -> Result<PreparedBases> {
        Ok(PreparedBases::on_host(set, Group::G2, bases.len()))
    }

    /// `Σ scalars[i]·bases[i]` in G1 over `prepared`; `bases` is the slice it was
    /// prepared from (a host backend reads it, a device backend only checks its length).
    fn msm_g1(&self, prepared: &PreparedBases, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective>;
    /// `Σ scalars[i]·bases[i]` in G2, as [`msm_g1`](Self::msm_g1).
    fn msm_g2(&self, prepared: &PreparedBases, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective>;

    /// Several MSMs over one scalar vector: for each `(prepared, bases, offset)`,
    /// `Σ scalars[offset + i]·bases[i]`. Groth16's A, B₁, B₂ and L queries all multiply
    /// the assignment, so a backend can prepare the scalars once. The default runs the
    /// MSMs one by one.
    fn msm_shared(
        &self,
        g1: &[(&PreparedBases, &[G1Affine], usize)],
        g2: &[(&PreparedBases, &[G2Affine], usize)],
        scalars: &[Fr],
    ) -> Result<SharedMsm> {
        let slice = |offset: usize, len: usize| -> Result<&[Fr]> {
            scalars.get(offset..offset + len).ok_or_else(|| ProverError::Msm {
                backend: self.name().into(),
                reason: format!("{len} bases from offset {offset} but {} scalars", scalars.len()),
            })
        };
        let g1 = g1.iter().map(|&(p, b, off)| self.msm_g1(p, b, slice(off, b.len())?)).collect::<Result<_>>()?;
        let g2 = g2.iter().map(|&(p, b, off)| self.msm_g2(p, b, slice(off, b.len())?)).collect::<Result<_>>()?;
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

/// One MSM in G1 without keeping the prepared bases (benchmarks, one-off sums).
pub fn msm_g1_once(backend: &dyn MsmBackend, set: BaseSet, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective> {
    backend.msm_g1(&backend.prepare_g1(set, bases)?, bases, scalars)
}

/// One MSM in G2 without keeping the prepared bases.
pub fn msm_g2_once(backend: &dyn MsmBackend, set: BaseSet, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective> {
    backend.msm_g2(&backend.prepare_g2(set, bases)?, bases, scalars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn handles_are_checked_for_issuer_group_and_length() {
        let host = PreparedBases::on_host(BaseSet::A, Group::G1, 4);
        assert_eq!(host.check("cpu", HOST_ISSUER, Group::G1, 4, 4).unwrap(), 0);
        let other = new_issuer();
        let err = host.check("cuda", other, Group::G1, 4, 4).unwrap_err().to_string();
        assert!(err.contains("another MSM backend"), "{err}");
        let err = host.check("cpu", HOST_ISSUER, Group::G2, 4, 4).unwrap_err().to_string();
        assert!(err.contains("other group"), "{err}");
        let err = host.check("cpu", HOST_ISSUER, Group::G1, 4, 3).unwrap_err().to_string();
        assert!(err.contains("4 bases prepared, 4 given with 3 scalars"), "{err}");
        let issued = PreparedBases::issued(other, 7, BaseSet::BG2, Group::G2, 2);
        assert_eq!(issued.check("cuda", other, Group::G2, 2, 2).unwrap(), 7);
        assert!(issued.check("cuda", new_issuer(), Group::G2, 2, 2).is_err(), "another instance's handle");
    }

    #[test]
    fn host_backends_agree_with_arkworks_through_their_handles() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let bases: Vec<G1Affine> = (0..50).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        let scalars: Vec<Fr> = (0..50).map(|_| Fr::rand(&mut rng)).collect();
        let expected = G1Projective::msm_unchecked(&bases, &scalars);
        let backends: [&dyn MsmBackend; 2] = [&CpuMsm, &ArkworksMsm];
        for backend in backends {
            let prepared = backend.prepare_g1(BaseSet::L, &bases).unwrap();
            assert_eq!(backend.msm_g1(&prepared, &bases, &scalars).unwrap(), expected, "{}", backend.name());
            assert!(backend.msm_g1(&prepared, &bases[1..], &scalars[1..]).is_err(), "a shorter slice is refused");
            assert_eq!(msm_g1_once(backend, BaseSet::L, &bases, &scalars).unwrap(), expected);
        }
    }
}
