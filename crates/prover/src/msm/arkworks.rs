//! arkworks' `VariableBaseMSM` as a backend: the reference, and for comparison.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::VariableBaseMSM;

use super::{Group, MsmBackend, PreparedBases, HOST_ISSUER};
use crate::error::Result;

/// arkworks' `VariableBaseMSM`, kept as the reference and for comparison.
#[derive(Debug, Default, Clone, Copy)]
pub struct ArkworksMsm;

impl MsmBackend for ArkworksMsm {
    fn name(&self) -> &'static str {
        "cpu-arkworks"
    }
    fn device(&self) -> String {
        format!("{} CPU threads", rayon::current_num_threads())
    }
    fn msm_g1(&self, prepared: &PreparedBases, bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective> {
        prepared.check(self.name(), HOST_ISSUER, Group::G1, bases.len(), scalars.len())?;
        Ok(G1Projective::msm_unchecked(bases, scalars))
    }
    fn msm_g2(&self, prepared: &PreparedBases, bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective> {
        prepared.check(self.name(), HOST_ISSUER, Group::G2, bases.len(), scalars.len())?;
        Ok(G2Projective::msm_unchecked(bases, scalars))
    }
}
