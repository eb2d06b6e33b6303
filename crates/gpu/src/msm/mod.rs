//! Multi-scalar multiplication Σ s_i·P_i over BN254 G1 and G2 (the Groth16 prover's
//! dominant cost), on the GPU with a CPU reference of every phase.
//!
//! - [`layout`]: how field elements and points travel to and from the device.
//! - [`reference`](mod@reference): Pippenger with signed c-bit windows on the CPU, phase by phase in
//!   the kernels' data layout (digits, bucket sort, bucket sums, window sums, result).
//! - [`schedule`]: the GPU pipeline's launch sequence as data (buffers, grids,
//!   arguments), validated against each kernel's contract; the CUDA backend runs it and
//!   the host tests run the same schedule through the kernels' bodies on the CPU.
//! - [`GpuMsm`]: the same pipeline on CUDA (`kernels/msm/msm.cu`), bases uploaded once
//!   and kept on the device, scalars streamed per call.
//! - [`selftest_msm`] / [`bench_msm`]: what `teraproof selftest --gpu` and
//!   `teraproof bench` run.

mod device;
pub mod layout;
pub mod reference;
pub mod schedule;
mod selftest;

pub use device::{
    DeviceBases, DeviceBasesG1, DeviceBasesG2, GpuMsm, MsmPhaseDump, MsmTiming, MAX_MSM_LOG_SIZE, MAX_MSM_POINTS,
};
pub use layout::MsmCurve;
pub use reference::{msm_phases, msm_reference, BucketLayout, MsmPhases, MsmPlan};
pub use selftest::{
    bench_msm, msm_selftest_cases, selftest_msm, selftest_msm_quick, selftest_msm_streaming, MsmBenchRow, MsmCase,
    MsmInputs,
};
