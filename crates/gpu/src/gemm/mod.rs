//! The int8 GEMM on the GPU: `C (m×n, int32) = A (m×k, int8) · B (k×n, int8)`, row
//! major, exact.
//!
//! Three launches (kernels/gemm/gemm_i8.cu): pack A's rows to a multiple of 16 bytes
//! (only when k is not one already), transpose B into Bt (n×k, zero padded), then the
//! tensor-core kernel. The first two put the operands in the layout the tensor cores
//! read; their cost is included in every timing this module reports.
//!
//! Beside it, as the MSM's are beside `msm/`: [`reference`] (the exact CPU product),
//! [`shape`] (which shapes the kernels accept), [`selftest`] (edge-case shapes against
//! the reference, and the benchmark) and [`cublaslt`] (NVIDIA's int8 GEMM, to compare).

pub(crate) mod cublaslt;
pub(crate) mod reference;
pub(crate) mod selftest;
pub(crate) mod shape;

use cudarc::driver::sys::CUfunction_attribute;
use cudarc::driver::{CudaSlice, LaunchConfig};

use crate::device::{ComputeCapability, Gpu};
use crate::error::{catch_panics, GpuError};
use crate::gemm::reference::{output_checksum, SplitMix64};
use crate::kernels::{GEMM_I8, GEMM_I8_MMA, GEMM_I8_PACK_A, GEMM_I8_TRANSPOSE_B};
use crate::launch::{KernelArg, LoadedKernel};
use crate::timing::elapsed_ms;
use shape::GemmShape;
pub use shape::{MAX_K, MAX_MN};

/// The lowest compute capability the GEMM kernel runs on (`mma.sync.m16n8k32.s8`,
/// `cp.async`).
pub const GEMM_MIN_COMPUTE_CAPABILITY: ComputeCapability = ComputeCapability { major: 8, minor: 0 };

// Mirrors of kernels/gemm/gemm_i8.cuh (a test checks they agree).
const BLOCK_M: usize = 128;
const BLOCK_N: usize = 256;
const THREADS: u32 = GEMM_I8_MMA.block_threads();
const SHARED_BYTES: u32 = GEMM_I8_MMA.dynamic_shared_bytes;
const TRANSPOSE_TILE: usize = 32;
const TRANSPOSE_ROWS: u32 = 8;

/// Threads per block and the most blocks of the grid-stride A-packing kernel.
const PACK_THREADS: u32 = GEMM_I8_PACK_A.block_threads();
const PACK_MAX_BLOCKS: usize = 4096;

/// Timings of one GEMM configuration, from CUDA events around each repetition (inputs
/// already on the device, random int8 data generated on the host).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GemmTiming {
    /// Rows of A and C.
    pub m: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// Columns of B and C.
    pub n: usize,
    /// How many timed repetitions (after warm-up).
    pub repeats: usize,
    /// Median time of one GEMM, in milliseconds, operand preparation included.
    pub median_ms: f64,
    /// Fastest repetition, in milliseconds.
    pub min_ms: f64,
    /// Median time of the operand preparation alone (packing A, transposing B), part of
    /// `median_ms`. Zero for cuBLASLt, whose operands are prepared before timing.
    pub prep_median_ms: f64,
    /// `2·m·k·n / median` in tera-operations per second.
    pub tops: f64,
    /// [`output_checksum`](crate::output_checksum) of C: equal for two implementations
    /// that computed the same product from the same seed.
    pub output_checksum: u64,
}

impl GemmTiming {
    pub(crate) fn from_samples(
        shape: GemmShape,
        mut total_ms: Vec<f64>,
        mut prep_ms: Vec<f64>,
        output_checksum: u64,
    ) -> Self {
        let median = |samples: &mut Vec<f64>| {
            samples.sort_by(f64::total_cmp);
            samples.get(samples.len() / 2).copied().unwrap_or(0.0)
        };
        let median_ms = median(&mut total_ms);
        let prep_median_ms = median(&mut prep_ms);
        let min_ms = total_ms.first().copied().unwrap_or(0.0);
        let tops = if median_ms > 0.0 { shape.ops() / (median_ms * 1e-3) / 1e12 } else { 0.0 };
        GemmTiming {
            m: shape.m,
            k: shape.k,
            n: shape.n,
            repeats: total_ms.len(),
            median_ms,
            min_ms,
            prep_median_ms,
            tops,
            output_checksum,
        }
    }
}

/// Random inputs for the timed GEMMs, seeded by the shape: the same for our kernel and
/// for cuBLASLt, so their checksums are comparable.
pub(crate) fn timing_inputs(shape: GemmShape) -> (Vec<i8>, Vec<i8>) {
    let mut rng = SplitMix64::new(0x7e7a_9e00 ^ ((shape.m as u64) << 40) ^ ((shape.k as u64) << 20) ^ shape.n as u64);
    let a = rng.i8_vec(shape.m * shape.k);
    let b = rng.i8_vec(shape.k * shape.n);
    (a, b)
}

/// The GEMM kernels, loaded into one device's context.
pub(crate) struct GemmKernels {
    mma: LoadedKernel,
    pack_a: LoadedKernel,
    transpose_b: LoadedKernel,
}

/// Device buffers for one shape, reused across repetitions.
struct GemmBuffers {
    /// A with rows padded to `k_pitch`, when A's own rows are not.
    a_packed: Option<CudaSlice<i8>>,
    /// B transposed: n rows of `k_pitch` bytes.
    bt: CudaSlice<i8>,
    c: CudaSlice<i32>,
}

impl Gpu {
    /// The GEMM kernels for this device, from its module (compiled and loaded once per
    /// `Gpu`, see [`Gpu::module`]).
    pub(crate) fn gemm_kernels(&self) -> Result<GemmKernels, GpuError> {
        self.require(GEMM_MIN_COMPUTE_CAPABILITY, "the int8 tensor-core GEMM")?;
        let module = self.module(&GEMM_I8)?;
        catch_panics("finding the GEMM kernels", || {
            let kernels = GemmKernels {
                mma: self.load_kernel(&module, &GEMM_I8_MMA)?,
                pack_a: self.load_kernel(&module, &GEMM_I8_PACK_A)?,
                transpose_b: self.load_kernel(&module, &GEMM_I8_TRANSPOSE_B)?,
            };
            // 96 KiB of dynamic shared memory is above the 48 KiB default; opt in.
            kernels
                .mma
                .function()
                .set_attribute(
                    CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    SHARED_BYTES as i32,
                )
                .map_err(GpuError::driver("allowing 96 KiB of shared memory for the GEMM kernel"))?;
            Ok(kernels)
        })
    }

    /// Refuses a shape whose inputs and buffers do not fit in free device memory.
    fn ensure_gemm_fits(&self, shape: GemmShape) -> Result<(), GpuError> {
        let bytes = shape.device_bytes();
        self.ensure_free_memory(bytes, || format!("an int8 GEMM of {}x{}x{}", shape.m, shape.k, shape.n))
    }

    fn alloc_gemm_buffers(&self, shape: GemmShape) -> Result<GemmBuffers, GpuError> {
        const WHAT: &str = "allocating GEMM buffers";
        let bytes = |len| self.stream.alloc_zeros::<i8>(len).map_err(GpuError::driver(WHAT));
        let a_packed = shape.packs_a().then(|| bytes(shape.m * shape.k_pitch())).transpose()?;
        let bt = bytes(shape.n * shape.k_pitch())?;
        let c = self.stream.alloc_zeros::<i32>(shape.m * shape.n).map_err(GpuError::driver(WHAT))?;
        Ok(GemmBuffers { a_packed, bt, c })
    }

    /// Copies host int8 data to a new device buffer.
    fn upload(&self, data: &[i8]) -> Result<CudaSlice<i8>, GpuError> {
        self.stream.clone_htod(data).map_err(GpuError::driver("copying the inputs to the device"))
    }

    /// Queues the operand preparation (pack A if needed, transpose B).
    fn enqueue_prep(
        &self,
        kernels: &GemmKernels,
        shape: GemmShape,
        a: &CudaSlice<i8>,
        b: &CudaSlice<i8>,
        buffers: &mut GemmBuffers,
    ) -> Result<(), GpuError> {
        let (m, k, n, k_pitch) = shape.dims_i32();
        if let Some(a_packed) = buffers.a_packed.as_ref() {
            let blocks = (shape.m * shape.k_pitch()).div_ceil(PACK_THREADS as usize).clamp(1, PACK_MAX_BLOCKS);
            let config =
                LaunchConfig { grid_dim: (blocks as u32, 1, 1), block_dim: (PACK_THREADS, 1, 1), shared_mem_bytes: 0 };
            let args = [
                KernelArg::I8s(a_packed),
                KernelArg::I8s(a),
                KernelArg::I32(m),
                KernelArg::I32(k),
                KernelArg::I32(k_pitch),
            ];
            // SAFETY: `pack_a_rows(i8* packed, const i8* a, int m, int k, int k_pitch)`:
            // `a_packed` holds m*k_pitch bytes and `a` m*k (checked by the caller), and
            // the kernel's grid-stride loop touches only indices below m*k_pitch, reading
            // a[row*k + col] with col < k.
            unsafe { self.launch(&kernels.pack_a, config, &args) }?;
        }
        let grid_x = shape.n.div_ceil(TRANSPOSE_TILE) as u32;
        let grid_y = shape.k_pitch().div_ceil(TRANSPOSE_TILE) as u32;
        let config = LaunchConfig {
            grid_dim: (grid_x, grid_y, 1),
            block_dim: (TRANSPOSE_TILE as u32, TRANSPOSE_ROWS, 1),
            shared_mem_bytes: 0,
        };
        let args = [
            KernelArg::I8s(&buffers.bt),
            KernelArg::I8s(b),
            KernelArg::I32(k),
            KernelArg::I32(n),
            KernelArg::I32(k_pitch),
        ];
        // SAFETY: `transpose_b(i8* bt, const i8* b, int k, int n, int k_pitch)`: `bt`
        // holds n*k_pitch bytes and `b` k*n. The kernel reads B only at (kk < k, nn < n)
        // and writes Bt only at (nn < n, kk < k_pitch); the grid covers n and k_pitch in
        // 32-element tiles with 32x8 threads, as it expects.
        unsafe { self.launch(&kernels.transpose_b, config, &args) }?;
        Ok(())
    }

    /// Queues the tensor-core kernel on prepared operands.
    fn enqueue_mma(
        &self,
        kernels: &GemmKernels,
        shape: GemmShape,
        a: &CudaSlice<i8>,
        buffers: &mut GemmBuffers,
    ) -> Result<(), GpuError> {
        let (m, _, n, k_pitch) = shape.dims_i32();
        let config = LaunchConfig {
            grid_dim: (shape.n.div_ceil(BLOCK_N) as u32, shape.m.div_ceil(BLOCK_M) as u32, 1),
            block_dim: (THREADS, 1, 1),
            shared_mem_bytes: SHARED_BYTES,
        };
        let a_rows = buffers.a_packed.as_ref().unwrap_or(a);
        let args = [
            KernelArg::I8s(a_rows),
            KernelArg::I8s(&buffers.bt),
            KernelArg::I32s(&buffers.c),
            KernelArg::I32(m),
            KernelArg::I32(n),
            KernelArg::I32(k_pitch),
        ];
        // SAFETY: `gemm_i8_mma(const i8* a, const i8* bt, i32* c, int m, int n, int
        // k_pitch)`. `a_rows` has m rows and `bt` n rows of k_pitch
        // bytes (k_pitch a multiple of 16; device allocations are 256-byte aligned, so
        // every 16-byte copy is aligned), and `c` holds m*n int32. The kernel reads only
        // rows < m / < n and columns < k_pitch, and stores only C elements with row < m
        // and column < n. The grid has one 256-thread block per 128x256 tile of C and the
        // 96 KiB of dynamic shared memory the kernel stages through (opted in at load).
        unsafe { self.launch(&kernels.mma, config, &args) }?;
        Ok(())
    }

    /// `C = A·B` on this GPU, exactly; row-major int8 A (m×k) and B (k×n), row-major
    /// int32 C (m×n).
    ///
    /// Needs compute capability 8.0+ and NVRTC. Errors (never panics) on a bad shape or
    /// length, a missing NVRTC, an old device or any CUDA failure.
    pub fn gemm_i8(&self, a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Result<Vec<i32>, GpuError> {
        let shape = GemmShape::new(m, k, n)?;
        shape.check_inputs(a, b)?;
        catch_panics("running the int8 GEMM", || {
            let kernels = self.gemm_kernels()?;
            self.ensure_gemm_fits(shape)?;
            let (a_device, b_device) = (self.upload(a)?, self.upload(b)?);
            let mut buffers = self.alloc_gemm_buffers(shape)?;
            self.enqueue_prep(&kernels, shape, &a_device, &b_device, &mut buffers)?;
            self.enqueue_mma(&kernels, shape, &a_device, &mut buffers)?;
            self.stream.clone_dtoh(&buffers.c).map_err(GpuError::driver("copying C back (a kernel may have faulted)"))
        })
    }

    /// Times [`gemm_i8`](Self::gemm_i8) on random inputs (seeded per shape) kept on the
    /// device: two warm-up runs, then `repeats` runs each bracketed by CUDA events.
    /// The reported times include the operand preparation.
    pub fn gemm_i8_timed(&self, m: usize, k: usize, n: usize, repeats: usize) -> Result<GemmTiming, GpuError> {
        let shape = GemmShape::new(m, k, n)?;
        let repeats = repeats.max(1);
        catch_panics("timing the int8 GEMM", || {
            let kernels = self.gemm_kernels()?;
            self.ensure_gemm_fits(shape)?;
            let (a, b) = timing_inputs(shape);
            let (a_device, b_device) = (self.upload(&a)?, self.upload(&b)?);
            let mut buffers = self.alloc_gemm_buffers(shape)?;
            for _ in 0..2 {
                self.enqueue_prep(&kernels, shape, &a_device, &b_device, &mut buffers)?;
                self.enqueue_mma(&kernels, shape, &a_device, &mut buffers)?;
            }
            let marks = self.timing_events(repeats, 3)?;
            for mark in &marks {
                self.record(&mark[0])?;
                self.enqueue_prep(&kernels, shape, &a_device, &b_device, &mut buffers)?;
                self.record(&mark[1])?;
                self.enqueue_mma(&kernels, shape, &a_device, &mut buffers)?;
                self.record(&mark[2])?;
            }
            self.stream
                .synchronize()
                .map_err(GpuError::driver("waiting for the timed GEMMs (a kernel may have faulted)"))?;
            let mut total_ms = Vec::with_capacity(repeats);
            let mut prep_ms = Vec::with_capacity(repeats);
            for mark in &marks {
                total_ms.push(elapsed_ms(&mark[0], &mark[2])?);
                prep_ms.push(elapsed_ms(&mark[0], &mark[1])?);
            }
            let c = self.stream.clone_dtoh(&buffers.c).map_err(GpuError::driver("copying C back"))?;
            Ok(GemmTiming::from_samples(shape, total_ms, prep_ms, output_checksum(&c)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::shape::K_ALIGN;

    #[test]
    fn launcher_constants_match_the_kernel_header() {
        let header = crate::kernels::HEADERS.iter().find(|h| h.path == "gemm/gemm_i8.cuh").unwrap().source;
        let value = |name: &str| -> usize {
            let prefix = format!("constexpr int {name} = ");
            let line = header
                .lines()
                .find_map(|l| l.trim().strip_prefix(prefix.as_str()))
                .unwrap_or_else(|| panic!("{name} not in header"));
            line.trim_end_matches(';').trim().parse().unwrap_or_else(|_| panic!("{name} is not a literal: {line}"))
        };
        assert_eq!(value("BLOCK_M"), BLOCK_M);
        assert_eq!(value("BLOCK_N"), BLOCK_N);
        assert_eq!(value("THREADS"), THREADS as usize);
        assert_eq!(value("K_ALIGN"), K_ALIGN);
        assert_eq!(value("TRANSPOSE_TILE"), TRANSPOSE_TILE);
        assert_eq!(value("TRANSPOSE_ROWS"), TRANSPOSE_ROWS as usize);
        assert_eq!((TRANSPOSE_TILE as u32, TRANSPOSE_ROWS, 1), GEMM_I8_TRANSPOSE_B.block);
        assert_eq!(value("STAGES") * (BLOCK_M + BLOCK_N) * value("BLOCK_K"), SHARED_BYTES as usize);
    }

    #[test]
    fn timing_summary_takes_the_median_and_counts_ops() {
        let shape = GemmShape::new(1000, 1000, 1000).unwrap();
        let t = GemmTiming::from_samples(shape, vec![3.0, 1.0, 2.0], vec![0.2, 0.1, 0.3], 9);
        assert_eq!((t.median_ms, t.min_ms, t.prep_median_ms, t.repeats), (2.0, 1.0, 0.2, 3));
        assert!((t.tops - 1.0).abs() < 1e-9, "2e9 ops in 2 ms is 1 TOPS, got {}", t.tops);
    }
}
