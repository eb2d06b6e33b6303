//! cuBLASLt's int8 GEMM, the yardstick for our kernel in benchmarks.
//!
//! cuBLASLt is column major and its int8 tensor-core path wants the "TN" form. Our
//! row-major `C = A·B` is the column-major `Cᵀ (n×m) = Bᵀ·Aᵀ`; with Bt (B transposed,
//! n×k row major) and A both stored k-contiguous, that is `op(Bt-as-k×n) = T` times
//! `A-as-k×m` (N): exactly TN. The operands are laid out on the host before timing, so
//! cuBLASLt's timings are of the GEMM alone, its best case.

use std::ffi::c_void;

use cudarc::cublaslt::result::{self as lt, CublasError};
use cudarc::cublaslt::sys::{
    self as lt_sys, cublasComputeType_t, cublasLtMatmulDescAttributes_t, cublasLtMatmulPreferenceAttributes_t,
    cudaDataType,
};
use cudarc::driver::{CudaSlice, DevicePtr, DevicePtrMut};

use super::shape::GemmShape;
use crate::device::Gpu;
use crate::error::{catch_panics, GpuError};
use crate::gemm::reference::{output_checksum, pad_rows, transpose_padded};
use crate::gemm::{timing_inputs, GemmTiming};
use crate::timing::elapsed_ms;

/// cuBLASLt's recommended workspace: 32 MiB on Hopper, 4 MiB before.
const WORKSPACE_BYTES_HOPPER: usize = 32 << 20;
const WORKSPACE_BYTES_OLDER: usize = 4 << 20;

/// `CUBLAS_OP_T` of `cublasOperation_t` (cublas_api.h), the int32 value the TRANSA
/// attribute takes; cudarc's cuBLASLt bindings do not carry that enum.
const CUBLAS_OP_T: i32 = 1;

/// Leading dimensions must be multiples of 16 bytes for the int8 tensor-core kernels.
const LD_ALIGN: usize = 16;

fn lt_error(operation: &'static str) -> impl FnOnce(CublasError) -> GpuError {
    move |e| GpuError::CublasLt { operation, status: format!("{:?}", e.0) }
}

/// Whether cuBLASLt can be loaded on this machine.
pub fn cublaslt_present() -> bool {
    // SAFETY: only tries to open the candidate library names and closes them again.
    unsafe { lt_sys::is_culib_present() }
}

/// Owns a cuBLASLt object and destroys it on drop.
struct Owned<T: Copy> {
    raw: T,
    destroy: unsafe fn(T) -> Result<(), CublasError>,
}

impl<T: Copy> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: `raw` was created by the matching cuBLASLt create call, is owned only by
        // this value, and is destroyed exactly once, here.
        if let Err(e) = unsafe { (self.destroy)(self.raw) } {
            tracing::warn!(error = ?e.0, "destroying a cuBLASLt object failed");
        }
    }
}

/// A planned int8 GEMM for one shape: handle, descriptors, the chosen algorithm and its
/// workspace.
/// (Fields drop in order: the descriptors before the handle.)
struct CublasLtGemm {
    desc: Owned<lt_sys::cublasLtMatmulDesc_t>,
    bt_layout: Owned<lt_sys::cublasLtMatrixLayout_t>,
    a_layout: Owned<lt_sys::cublasLtMatrixLayout_t>,
    c_layout: Owned<lt_sys::cublasLtMatrixLayout_t>,
    algo: lt_sys::cublasLtMatmulAlgo_t,
    workspace: CudaSlice<u8>,
    handle: Owned<lt_sys::cublasLtHandle_t>,
}

impl CublasLtGemm {
    fn plan(gpu: &Gpu, shape: GemmShape, k_pitch: usize) -> Result<Self, GpuError> {
        gpu.context.bind_to_thread().map_err(GpuError::driver("binding the CUDA context"))?;
        let handle =
            Owned { raw: lt::create_handle().map_err(lt_error("creating a handle"))?, destroy: lt::destroy_handle };
        let desc = Owned {
            raw: lt::create_matmul_desc(cublasComputeType_t::CUBLAS_COMPUTE_32I, cudaDataType::CUDA_R_32I)
                .map_err(lt_error("creating the matmul descriptor"))?,
            destroy: lt::destroy_matmul_desc,
        };
        let transpose = CUBLAS_OP_T;
        // SAFETY: `desc` is live; the buffer is an int32 of the size passed, the type
        // cuBLASLt documents for TRANSA.
        unsafe {
            lt::set_matmul_desc_attribute(
                desc.raw,
                cublasLtMatmulDescAttributes_t::CUBLASLT_MATMUL_DESC_TRANSA,
                (&transpose as *const i32).cast::<c_void>(),
                std::mem::size_of::<i32>(),
            )
        }
        .map_err(lt_error("setting TRANSA"))?;

        let layout = |data_type, rows: usize, cols: usize, ld: usize, what| {
            lt::create_matrix_layout(data_type, rows as u64, cols as u64, ld as i64)
                .map(|raw| Owned { raw, destroy: lt::destroy_matrix_layout })
                .map_err(lt_error(what))
        };
        // Column-major views of our row-major buffers (see the module docs).
        let bt_layout = layout(cudaDataType::CUDA_R_8I, shape.k, shape.n, k_pitch, "describing Bt")?;
        let a_layout = layout(cudaDataType::CUDA_R_8I, shape.k, shape.m, k_pitch, "describing A")?;
        let c_layout = layout(cudaDataType::CUDA_R_32I, shape.n, shape.m, shape.n, "describing C")?;

        let workspace_bytes =
            if gpu.compute_capability().major >= 9 { WORKSPACE_BYTES_HOPPER } else { WORKSPACE_BYTES_OLDER };
        let workspace = gpu
            .stream
            .alloc_zeros::<u8>(workspace_bytes)
            .map_err(GpuError::driver("allocating the cuBLASLt workspace"))?;
        let preference = Owned {
            raw: lt::create_matmul_pref().map_err(lt_error("creating the preference"))?,
            destroy: lt::destroy_matmul_pref,
        };
        let max_workspace = workspace_bytes as u64;
        // SAFETY: `preference` is live; the buffer is the u64 cuBLASLt documents for
        // MAX_WORKSPACE_BYTES, with its size.
        unsafe {
            lt::set_matmul_pref_attribute(
                preference.raw,
                cublasLtMatmulPreferenceAttributes_t::CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                (&max_workspace as *const u64).cast::<c_void>(),
                std::mem::size_of::<u64>(),
            )
        }
        .map_err(lt_error("setting the workspace limit"))?;
        // SAFETY: every descriptor passed is live; C and D share one layout.
        let heuristic = unsafe {
            lt::get_matmul_algo_heuristic(
                handle.raw,
                desc.raw,
                bt_layout.raw,
                a_layout.raw,
                c_layout.raw,
                c_layout.raw,
                preference.raw,
            )
        }
        .map_err(lt_error("choosing an algorithm (is this int8 shape supported?)"))?;
        Ok(Self { desc, bt_layout, a_layout, c_layout, algo: heuristic.algo, workspace, handle })
    }

    /// Queues `c = A·B` given Bt and A laid out as planned.
    fn enqueue(
        &mut self,
        gpu: &Gpu,
        bt: &CudaSlice<i8>,
        a: &CudaSlice<i8>,
        c: &mut CudaSlice<i32>,
    ) -> Result<(), GpuError> {
        let (alpha, beta) = (1i32, 0i32);
        let stream = &gpu.stream;
        let (bt_ptr, _bt_sync) = bt.device_ptr(stream);
        let (a_ptr, _a_sync) = a.device_ptr(stream);
        let (c_ptr, _c_sync) = c.device_ptr_mut(stream);
        let workspace_bytes = self.workspace.len();
        let (workspace_ptr, _workspace_sync) = self.workspace.device_ptr_mut(stream);
        // SAFETY: every descriptor is live and describes the buffer passed with it: Bt is
        // n rows of k_pitch bytes (col-major k×n, ld k_pitch), A is m rows of k_pitch
        // bytes (col-major k×m, ld k_pitch), C holds m×n int32 (col-major n×m, ld n), all
        // allocated on this context. alpha/beta are int32 host scalars as the 32I scale
        // type requires; the workspace is as large as the preference allowed; the stream
        // belongs to this context. beta = 0, so C is written, not read.
        unsafe {
            lt::matmul(
                self.handle.raw,
                self.desc.raw,
                (&alpha as *const i32).cast::<c_void>(),
                (&beta as *const i32).cast::<c_void>(),
                bt_ptr as *const c_void,
                self.bt_layout.raw,
                a_ptr as *const c_void,
                self.a_layout.raw,
                c_ptr as *const c_void,
                self.c_layout.raw,
                c_ptr as *mut c_void,
                self.c_layout.raw,
                &self.algo,
                workspace_ptr as *mut c_void,
                workspace_bytes,
                stream.cu_stream() as lt_sys::cudaStream_t,
            )
        }
        .map_err(lt_error("running the GEMM"))
    }
}

impl Gpu {
    /// Uploads A and Bt padded for cuBLASLt, after checking that they, C and the
    /// workspace fit in free device memory.
    fn cublaslt_operands(
        &self,
        shape: GemmShape,
        a: &[i8],
        b: &[i8],
    ) -> Result<(CudaSlice<i8>, CudaSlice<i8>, usize), GpuError> {
        let k_pitch = shape.k.div_ceil(LD_ALIGN) * LD_ALIGN;
        let bytes = (shape.m + shape.n) * k_pitch + 4 * shape.m * shape.n + WORKSPACE_BYTES_HOPPER;
        self.ensure_free_memory(bytes, || format!("a cuBLASLt int8 GEMM of {}x{}x{}", shape.m, shape.k, shape.n))?;
        let upload =
            |data: Vec<i8>| self.stream.clone_htod(&data).map_err(GpuError::driver("copying cuBLASLt operands"));
        let bt = upload(transpose_padded(b, shape.k, shape.n, k_pitch))?;
        let a = upload(pad_rows(a, shape.k, k_pitch))?;
        Ok((bt, a, k_pitch))
    }

    /// `C = A·B` through cuBLASLt (same contract as [`gemm_i8`](Self::gemm_i8)); used
    /// to check that the benchmark compares like with like.
    pub fn cublaslt_gemm_i8(&self, a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Result<Vec<i32>, GpuError> {
        let shape = GemmShape::new(m, k, n)?;
        shape.check_inputs(a, b)?;
        if !cublaslt_present() {
            return Err(GpuError::CublasLtNotFound);
        }
        catch_panics("running the cuBLASLt int8 GEMM", || {
            let (bt, a_device, k_pitch) = self.cublaslt_operands(shape, a, b)?;
            let mut c = self.stream.alloc_zeros::<i32>(m * n).map_err(GpuError::driver("allocating C"))?;
            let mut gemm = CublasLtGemm::plan(self, shape, k_pitch)?;
            gemm.enqueue(self, &bt, &a_device, &mut c)?;
            self.stream.clone_dtoh(&c).map_err(GpuError::driver("copying C back"))
        })
    }

    /// Times cuBLASLt's int8 GEMM on the same random inputs as
    /// [`gemm_i8_timed`](Self::gemm_i8_timed) (so the checksums agree when both are
    /// right). [`GpuError::CublasLtNotFound`] when the library is absent.
    pub fn cublaslt_gemm_i8_timed(&self, m: usize, k: usize, n: usize, repeats: usize) -> Result<GemmTiming, GpuError> {
        let shape = GemmShape::new(m, k, n)?;
        let repeats = repeats.max(1);
        if !cublaslt_present() {
            return Err(GpuError::CublasLtNotFound);
        }
        catch_panics("timing the cuBLASLt int8 GEMM", || {
            let (a, b) = timing_inputs(shape);
            let (bt, a_device, k_pitch) = self.cublaslt_operands(shape, &a, &b)?;
            let mut c = self.stream.alloc_zeros::<i32>(m * n).map_err(GpuError::driver("allocating C"))?;
            let mut gemm = CublasLtGemm::plan(self, shape, k_pitch)?;
            for _ in 0..2 {
                gemm.enqueue(self, &bt, &a_device, &mut c)?;
            }
            let marks = self.timing_events(repeats, 2)?;
            for mark in &marks {
                self.record(&mark[0])?;
                gemm.enqueue(self, &bt, &a_device, &mut c)?;
                self.record(&mark[1])?;
            }
            self.stream.synchronize().map_err(GpuError::driver("waiting for the timed cuBLASLt GEMMs"))?;
            let total_ms = marks.iter().map(|mark| elapsed_ms(&mark[0], &mark[1])).collect::<Result<Vec<_>, _>>()?;
            let checksum = output_checksum(&self.stream.clone_dtoh(&c).map_err(GpuError::driver("copying C back"))?);
            Ok(GemmTiming::from_samples(shape, total_ms, vec![0.0; repeats], checksum))
        })
    }
}
