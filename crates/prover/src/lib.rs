//! # teraproof-prover
//!
//! Turns a compute unit into a receipt:
//! - [`ceremony`]: snarkjs-compatible phase 2 files (`.r1cs`, `.wtns`);
//! - [`circuit_id`](mod@circuit_id): keys checked to be for this build's circuit;
//! - [`keys`]: circuit-specific Groth16 setup per unit (a seeded, loudly insecure
//!   development setup, or one from an RNG) and the key directory on disk;
//! - [`backend`]: which backend proves ([`Backend`]), chosen at run time, in one place;
//! - [`msm`]: the MSM backend trait, the prepared-bases handle, one file per backend;
//! - [`compute`]: the unit's product on a CUDA GPU or the CPU;
//! - [`prove`]: the pipeline `C = A·B` → witness → QAP → MSMs → proof → receipt;
//! - [`job`]: a GEMM of any shape proven as chains of units, resumable;
//! - [`sumcheck`]: the second proof path (a sumcheck over committed matrices) and its
//!   SRS, read from a public Powers of Tau by [`ptau`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod ceremony;
pub mod circuit_id;
pub mod compute;
pub mod error;
pub mod job;
pub mod keys;
pub mod msm;
pub mod prove;
pub mod ptau;
pub mod qap;
pub mod sumcheck;

pub use backend::Backend;
pub use compute::{compute_with_fallback, ComputeBackend, CpuCompute, CudaCompute};
pub use error::{ProverError, Result};
pub use job::{job_shape, plan, JobOptions, JobOutput, JobPlan, JobProver, PreparedJob, UnitWork};
pub use keys::{constraints_of, setup_dev, setup_dev_of_kind, setup_with_rng, setup_with_rng_of_kind, UnitKeys};
pub use msm::{
    msm_g1_once, msm_g2_once, ArkworksMsm, BaseSet, CpuMsm, CudaMsm, Group, MsmBackend, PreparedBases, SharedMsm,
};
pub use prove::{ProofOutput, Prover};
