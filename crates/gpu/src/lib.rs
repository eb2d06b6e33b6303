//! # teraproof-gpu
//!
//! The GPU runtime of teraproof: CUDA through [cudarc] with dynamic loading, so this
//! crate builds and its tests run on machines without CUDA; kernels from the
//! repository's `kernels/` folder, embedded in the binary and compiled once per process
//! by NVRTC for the device at hand; and CPU references every kernel must match exactly.
//!
//! ```no_run
//! use teraproof_gpu::{gemm_i8_reference, Gpu};
//!
//! let (m, k, n) = (64, 64, 64);
//! let (a, b) = (vec![1i8; m * k], vec![-2i8; k * n]);
//! match Gpu::detect() {
//!     Ok(gpu) => assert_eq!(gpu.gemm_i8(&a, &b, m, k, n)?, gemm_i8_reference(&a, &b, m, k, n)?),
//!     Err(e) if e.is_unavailable() => eprintln!("no GPU here ({e}); using the CPU"),
//!     Err(e) => return Err(e),
//! }
//! # Ok::<(), teraproof_gpu::GpuError>(())
//! ```
//!
//! ## What runs where
//!
//! - [`Gpu::detect`] never panics: no driver, an old driver or no device are
//!   [`GpuError`] variants (see [`GpuError::is_unavailable`]).
//! - [`Gpu::gemm_i8`]: `C (m×n, int32) = A (m×k, int8) · B (k×n, int8)`, row major, exact,
//!   any shape with `k ≤` [`MAX_K`]; int8 tensor cores (`mma.sync.m16n8k32`), sm_80+.
//! - [`Gpu::gemm_i8_timed`] / [`Gpu::cublaslt_gemm_i8_timed`] and [`bench_gemm`]: timings
//!   with CUDA events, against cuBLASLt.
//! - [`selftest_gemm`]: the GEMM against [`gemm_i8_reference`] at edge-case shapes.
//! - [`nvrtc`] compiles the kernels without a GPU; the crate's tests use it (with
//!   `ptxas`) to check every kernel for sm_80 and sm_90, and run the kernels' device
//!   functions on the host with the system C++ compiler.
//!
//! NVRTC is found on the loader path or in `TERAPROOF_NVRTC_LIB_DIR` (see [`nvrtc`]).
//!
//! This is the only teraproof crate with `unsafe` code: FFI into the CUDA libraries.
//! Every `unsafe` block states why it is sound.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod capability;
mod device;
mod error;
mod gemm;
pub mod kernels;
mod launch;
pub mod msm;
pub mod nvrtc;
mod selftest;
mod timing;

pub use device::{driver_library_present, driver_version, ComputeCapability, DriverVersion, Gpu, MIN_DRIVER_VERSION};
pub use error::GpuError;
pub use gemm::cublaslt::cublaslt_present;
pub use gemm::reference::{gemm_i8_reference, output_checksum};
pub use gemm::selftest::{
    bench_gemm, gemm_selftest_cases, selftest_gemm, selftest_gemm_streaming, GemmBenchRow, GemmCase, GemmInputs,
    SelftestRow, DEFAULT_BENCH_SHAPES, QUICK_GEMM_MAX_WORK,
};
pub use gemm::{GemmTiming, GEMM_MIN_COMPUTE_CAPABILITY, MAX_K, MAX_MN};
pub use msm::{
    bench_msm, selftest_msm, selftest_msm_quick, selftest_msm_streaming, DeviceBasesG1, DeviceBasesG2, GpuMsm,
    MsmBenchRow, MsmPlan, MsmTiming, MAX_MSM_LOG_SIZE, MAX_MSM_POINTS,
};
