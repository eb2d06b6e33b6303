//! Every kernel launch of the crate goes through [`Gpu::launch`], which checks the
//! arguments and the block against the kernel's [`EntryPoint`] record before the
//! driver sees them. With the static kernel test (which checks each record against the
//! PTX NVRTC emits), a launch cannot pass a kernel the wrong number or kind of
//! arguments, or a block it was not built for, without an error. A kernel is loaded
//! together with its record ([`LoadedKernel`]), so the record checked is the
//! function's own.

use std::sync::Arc;

use cudarc::driver::{CudaFunction, CudaModule, CudaSlice, LaunchConfig, PushKernelArg};

use crate::device::Gpu;
use crate::error::GpuError;
use crate::kernels::{EntryPoint, ParamKind};

/// One kernel argument: a device buffer or a 32-bit integer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KernelArg<'a> {
    /// int8 elements (`i8*`).
    I8s(&'a CudaSlice<i8>),
    /// int32 elements (`i32*`).
    I32s(&'a CudaSlice<i32>),
    /// 32-bit words (`u32*`, field elements, points).
    Words(&'a CudaSlice<u32>),
    /// `int`.
    I32(i32),
    /// `unsigned`.
    U32(u32),
}

impl KernelArg<'_> {
    fn kind(&self) -> ParamKind {
        match self {
            KernelArg::I8s(_) | KernelArg::I32s(_) | KernelArg::Words(_) => ParamKind::Pointer,
            KernelArg::I32(_) | KernelArg::U32(_) => ParamKind::Word32,
        }
    }
}

/// A kernel function, the record it was looked up by, and the context it belongs to.
pub(crate) struct LoadedKernel {
    function: CudaFunction,
    entry: &'static EntryPoint,
    /// The address of the CUDA context the module was loaded in.
    context: usize,
}

impl LoadedKernel {
    /// The function, for attributes.
    pub(crate) fn function(&self) -> &CudaFunction {
        &self.function
    }
}

/// Why `config` and arguments of `kinds` do not suit `entry`, if they do not.
fn check_launch(entry: &EntryPoint, config: &LaunchConfig, kinds: &[ParamKind]) -> Result<(), GpuError> {
    let refuse = |reason: String| Err(GpuError::LaunchArguments { kernel: entry.name, reason });
    let takes: Vec<ParamKind> = entry.params.iter().map(|p| p.kind).collect();
    if kinds != takes {
        return refuse(format!("given arguments {kinds:?}, the kernel takes {takes:?}"));
    }
    if config.block_dim != entry.block {
        let ((x, y, z), (ex, ey, ez)) = (config.block_dim, entry.block);
        return refuse(format!("a block of {x}x{y}x{z} threads; the kernel is built for {ex}x{ey}x{ez}"));
    }
    if config.shared_mem_bytes != entry.dynamic_shared_bytes {
        return refuse(format!(
            "{} bytes of dynamic shared memory; the kernel stages through {}",
            config.shared_mem_bytes, entry.dynamic_shared_bytes
        ));
    }
    let (gx, gy, gz) = config.grid_dim;
    if gx == 0 || gy == 0 || gz == 0 || gy > 65_535 || gz > 65_535 || gx > i32::MAX as u32 {
        return refuse(format!("grid {gx} x {gy} x {gz} is empty or beyond CUDA's limits"));
    }
    Ok(())
}

impl Gpu {
    /// Looks up the kernel `entry` names in `module` (a module of this GPU, from
    /// [`Gpu::module`]).
    pub(crate) fn load_kernel(
        &self,
        module: &Arc<CudaModule>,
        entry: &'static EntryPoint,
    ) -> Result<LoadedKernel, GpuError> {
        let function = module.load_function(entry.name).map_err(GpuError::driver("finding a kernel in its module"))?;
        Ok(LoadedKernel { function, entry, context: self.context.cu_ctx() as usize })
    }

    /// Queues `kernel` on this GPU's stream.
    ///
    /// Refuses, before anything reaches the driver, a kernel loaded on another GPU,
    /// arguments whose number or kinds differ from the kernel's parameters, a block of
    /// another shape than the kernel's, other dynamic shared memory, and an empty or
    /// oversized grid.
    ///
    /// # Safety
    ///
    /// Every buffer in `args` must be long enough for every element the kernel reads or
    /// writes with these integer arguments and this grid (each kernel's own contract),
    /// and must stay alive until the stream has run the launch (cudarc frees buffers in
    /// stream order, so dropping them after this call is fine).
    pub(crate) unsafe fn launch(
        &self,
        kernel: &LoadedKernel,
        config: LaunchConfig,
        args: &[KernelArg<'_>],
    ) -> Result<(), GpuError> {
        let entry = kernel.entry;
        if kernel.context != self.context.cu_ctx() as usize {
            let reason = "the kernel was loaded on another GPU".to_string();
            return Err(GpuError::LaunchArguments { kernel: entry.name, reason });
        }
        let kinds: Vec<ParamKind> = args.iter().map(KernelArg::kind).collect();
        check_launch(entry, &config, &kinds)?;
        let mut builder = self.stream.launch_builder(&kernel.function);
        for arg in args {
            match arg {
                KernelArg::I8s(buffer) => builder.arg(*buffer),
                KernelArg::I32s(buffer) => builder.arg(*buffer),
                KernelArg::Words(buffer) => builder.arg(*buffer),
                KernelArg::I32(value) => builder.arg(value),
                KernelArg::U32(value) => builder.arg(value),
            };
        }
        // SAFETY: the arguments are exactly the kernel's parameters in number, order and
        // kind (checked above against `entry`, which the static kernel test checks
        // against NVRTC's PTX), so the driver hands each parameter a value of its type;
        // the block and dynamic shared memory are the ones the kernel is built for, and
        // the function is the one the record was loaded by, in this context. The
        // buffers are long enough and alive by this function's contract. Buffers the
        // kernel writes are passed by shared reference: the crate uses one stream per
        // context (`Gpu::open`; a test keeps it so), so cudarc's cross-stream events are
        // inactive and stream order alone orders every access.
        unsafe { builder.launch(config) }.map_err(|source| GpuError::Launch { kernel: entry.name, source })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{GEMM_I8_MMA, GEMM_I8_TRANSPOSE_B, MSM};
    use ParamKind::{Pointer as P, Word32 as W};

    fn config(grid: (u32, u32, u32), block: (u32, u32, u32), shared: u32) -> LaunchConfig {
        LaunchConfig { grid_dim: grid, block_dim: block, shared_mem_bytes: shared }
    }

    #[test]
    fn honest_launches_pass() {
        assert!(check_launch(&GEMM_I8_MMA, &config((16, 32, 1), (256, 1, 1), 98304), &[P, P, P, W, W, W]).is_ok());
        // 32 x 8 threads are the 256 the transpose is built for.
        assert!(check_launch(&GEMM_I8_TRANSPOSE_B, &config((4, 4, 1), (32, 8, 1), 0), &[P, P, W, W, W]).is_ok());
        let scan = MSM.entry_point("msm_scan_blocks").unwrap();
        assert!(check_launch(scan, &config((1, 1, 1), (256, 1, 1), 0), &[P, P, W]).is_ok());
    }

    #[test]
    fn wrong_arguments_blocks_and_grids_are_refused() {
        let ok = config((16, 32, 1), (256, 1, 1), 98304);
        let refused = |entry, config: LaunchConfig, kinds: &[ParamKind], needle: &str| {
            let err = check_launch(entry, &config, kinds).unwrap_err();
            assert!(matches!(err, GpuError::LaunchArguments { .. }) && err.to_string().contains(needle), "{err}");
        };
        refused(&GEMM_I8_MMA, ok, &[P, P, P, W, W], "the kernel takes");
        refused(&GEMM_I8_MMA, ok, &[P, P, W, P, W, W], "the kernel takes");
        refused(&GEMM_I8_MMA, config((16, 32, 1), (128, 1, 1), 98304), &[P, P, P, W, W, W], "built for 256x1x1");
        // The transpose needs 32 x 8 threads; 256 x 1 is as many, but not its shape.
        refused(&GEMM_I8_TRANSPOSE_B, config((4, 4, 1), (256, 1, 1), 0), &[P, P, W, W, W], "built for 32x8x1");
        refused(&GEMM_I8_MMA, config((16, 32, 1), (256, 1, 1), 0), &[P, P, P, W, W, W], "stages through 98304");
        refused(&GEMM_I8_MMA, config((16, 0, 1), (256, 1, 1), 98304), &[P, P, P, W, W, W], "beyond CUDA's limits");
        refused(&GEMM_I8_MMA, config((16, 70_000, 1), (256, 1, 1), 98304), &[P, P, P, W, W, W], "beyond");
    }
}
