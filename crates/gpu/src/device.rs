//! Finding a CUDA device without ever panicking, and what we know about it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use cudarc::driver::sys::cudaError_enum;
use cudarc::driver::{result as driver_result, sys as driver_sys, CudaContext, CudaModule, CudaStream};
use cudarc::nvrtc::Ptx;

pub use crate::capability::{ComputeCapability, DriverVersion};
use crate::error::{catch_panics, GpuError};
use crate::kernels::{KernelProgram, KernelVariant};
use crate::nvrtc::{self, CompiledKernel, Target};

pub use crate::capability::MIN_DRIVER_VERSION;

/// An open CUDA device: a context, one stream all work goes to, and the kernels
/// compiled for it so far.
pub struct Gpu {
    pub(crate) context: Arc<CudaContext>,
    pub(crate) stream: Arc<CudaStream>,
    ordinal: usize,
    name: String,
    compute_capability: ComputeCapability,
    driver_version: DriverVersion,
    /// Each kernel program's module per variant, loaded on first use.
    modules: Mutex<HashMap<(&'static str, KernelVariant), Arc<CudaModule>>>,
}

impl fmt::Debug for Gpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gpu")
            .field("ordinal", &self.ordinal)
            .field("name", &self.name)
            .field("compute_capability", &self.compute_capability)
            .field("driver_version", &self.driver_version)
            .finish_non_exhaustive()
    }
}

/// Whether the CUDA driver library can be loaded on this machine.
pub fn driver_library_present() -> bool {
    // SAFETY: only tries to open the candidate library names (libcuda.so, ...) and
    // closes them again; no symbol is called.
    unsafe { driver_sys::is_culib_present() }
}

/// The CUDA version the installed driver supports. Needs no device and no `cuInit`.
pub fn driver_version() -> Result<DriverVersion, GpuError> {
    if !driver_library_present() {
        return Err(GpuError::DriverNotFound);
    }
    catch_panics("reading the driver version", || {
        let mut version = 0;
        // SAFETY: the driver library is present (checked above); `version` is valid for
        // writes. cuDriverGetVersion may be called before cuInit.
        let status = unsafe { driver_sys::cuDriverGetVersion(&mut version) };
        status.result().map_err(unusable_driver)?;
        Ok(DriverVersion(version))
    })
}

/// Classifies a failure of the driver's first calls: the CUDA toolkit's stub libcuda
/// (linked into images built without a driver) counts as no driver at all.
fn unusable_driver(source: cudarc::driver::DriverError) -> GpuError {
    if source.0 == cudaError_enum::CUDA_ERROR_STUB_LIBRARY {
        GpuError::DriverNotFound
    } else {
        GpuError::DriverUnusable { source }
    }
}

/// Checks the driver (present, new enough) and initialises it; returns the device count.
fn init_driver() -> Result<(DriverVersion, usize), GpuError> {
    let version = driver_version()?;
    if version < MIN_DRIVER_VERSION {
        return Err(GpuError::DriverTooOld { found: version, required: MIN_DRIVER_VERSION });
    }
    catch_panics("initialising the CUDA driver", || {
        match driver_result::init() {
            Ok(()) => {}
            Err(e) if e.0 == cudaError_enum::CUDA_ERROR_NO_DEVICE => return Err(GpuError::NoDevice),
            Err(e) => return Err(unusable_driver(e)),
        }
        let count = driver_result::device::get_count().map_err(GpuError::driver("counting devices"))?;
        Ok((version, usize::try_from(count).unwrap_or(0)))
    })
}

impl Gpu {
    /// Opens the first CUDA device (ordinal 0).
    ///
    /// Never panics: a machine without the driver gives [`GpuError::DriverNotFound`], an
    /// old driver [`GpuError::DriverTooOld`], no GPU [`GpuError::NoDevice`]. Use
    /// [`GpuError::is_unavailable`] to decide whether to fall back to the CPU quietly.
    pub fn detect() -> Result<Gpu, GpuError> {
        Self::open(0)
    }

    /// Opens the CUDA device with the given ordinal. Errors as for [`Gpu::detect`], plus
    /// [`GpuError::DeviceNotFound`] for an ordinal past the last device.
    pub fn open(ordinal: usize) -> Result<Gpu, GpuError> {
        let (driver_version, count) = init_driver()?;
        if count == 0 {
            return Err(GpuError::NoDevice);
        }
        if ordinal >= count {
            return Err(GpuError::DeviceNotFound { ordinal, count });
        }
        let gpu = catch_panics("opening the CUDA device", || {
            let context = CudaContext::new(ordinal).map_err(GpuError::driver("creating a CUDA context"))?;
            let name = context.name().map_err(GpuError::driver("reading the device name"))?;
            let (major, minor) =
                context.compute_capability().map_err(GpuError::driver("reading the compute capability"))?;
            let compute_capability = ComputeCapability { major: major.max(0) as u32, minor: minor.max(0) as u32 };
            // One stream for everything: cudarc then needs no cross-stream events.
            let stream = context.default_stream();
            Ok(Gpu {
                context,
                stream,
                ordinal,
                name,
                compute_capability,
                driver_version,
                modules: Mutex::new(HashMap::new()),
            })
        })?;
        tracing::info!(
            ordinal,
            name = %gpu.name,
            compute_capability = %gpu.compute_capability,
            driver = %gpu.driver_version,
            "opened CUDA device"
        );
        Ok(gpu)
    }

    /// How many CUDA devices the driver reports (errors as for [`Gpu::detect`]).
    pub fn device_count() -> Result<usize, GpuError> {
        init_driver().map(|(_, count)| count)
    }

    /// The device's name, e.g. `NVIDIA H100 80GB HBM3`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Name, architecture and driver in one line, as receipts and reports print it:
    /// `NVIDIA H100 80GB HBM3 (sm_90, driver 13.0)`.
    pub fn description(&self) -> String {
        format!("{} ({}, driver {})", self.name, self.compute_capability().sm_name(), self.driver_version())
    }

    /// Free and total device memory in bytes, as the driver reports them now.
    pub fn memory_info(&self) -> Result<(usize, usize), GpuError> {
        catch_panics("reading free device memory", || {
            self.context.mem_get_info().map_err(GpuError::driver("reading free device memory"))
        })
    }

    /// Refuses `what` with [`GpuError::OutOfDeviceMemory`] when it needs more than the
    /// `bytes` free now, so that work that cannot fit fails before its first allocation.
    pub(crate) fn ensure_free_memory(&self, bytes: usize, what: impl FnOnce() -> String) -> Result<(), GpuError> {
        // Stream-ordered frees return memory to the driver's pool, which gives it back
        // only at a synchronisation; without one, free memory would read too low.
        self.stream.synchronize().map_err(GpuError::driver("waiting for the device before measuring free memory"))?;
        let (free, _) = self.memory_info()?;
        check_fits(bytes, free, || (what(), self.name.clone()))
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    /// The device's compute capability.
    pub fn compute_capability(&self) -> ComputeCapability {
        self.compute_capability
    }

    /// The CUDA version the driver supports.
    pub fn driver_version(&self) -> DriverVersion {
        self.driver_version
    }

    /// Fails with [`GpuError::UnsupportedDevice`] when this device is older than `required`.
    pub(crate) fn require(&self, required: ComputeCapability, kernel: &'static str) -> Result<(), GpuError> {
        if self.compute_capability < required {
            return Err(GpuError::UnsupportedDevice {
                device: self.name.clone(),
                found: self.compute_capability,
                required,
                kernel,
            });
        }
        Ok(())
    }

    /// `program`'s module on this device, in the default variant.
    pub(crate) fn module(&self, program: &KernelProgram) -> Result<Arc<CudaModule>, GpuError> {
        self.module_variant(program, KernelVariant::Default)
    }

    /// `program`'s module in `variant` on this device: a CUBIN built ahead, else compiled
    /// by NVRTC (see [`crate::nvrtc`] for the choice), loaded once per `Gpu`; later calls
    /// return the same module.
    ///
    /// The context is made current on the calling thread, so the caller can look up
    /// functions in the module. NVRTC and driver panics become errors; a module the
    /// driver refuses comes back with the driver's JIT log.
    pub(crate) fn module_variant(
        &self,
        program: &KernelProgram,
        variant: KernelVariant,
    ) -> Result<Arc<CudaModule>, GpuError> {
        catch_panics("loading a kernel module", || {
            self.context.bind_to_thread().map_err(GpuError::driver("making the CUDA context current"))?;
            let key = (program.path, variant);
            let cached = self.modules.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
            if let Some(module) = cached {
                return Ok(module);
            }
            // Compile without holding the map: another program's kernels need not wait
            // (the image cache makes two threads wait for one compile of this one).
            let image = nvrtc::image_for_device(program, variant, self.compute_capability(), self.driver_version())?;
            // Load without holding the map either (a PTX JIT takes half a minute); should
            // another thread load the same module meanwhile, the first one stored wins.
            let started = std::time::Instant::now();
            let loaded = match image.target {
                Target::Cubin(_) => self.context.load_module(Ptx::from_binary(image.image.clone())),
                Target::Ptx(_) => {
                    self.context.load_module(Ptx::from_src(String::from_utf8_lossy(&image.image).into_owned()))
                }
            };
            let module = loaded.map_err(|source| GpuError::KernelLoad {
                program: program.path,
                target: image.target.arch_name(),
                nvrtc: image.nvrtc,
                source,
                log: jit_error_log(&image),
            })?;
            tracing::info!(
                device = %self.name(),
                target = %image.target,
                variant = variant.name(),
                nvrtc = %image.nvrtc,
                program = program.path,
                load_seconds = started.elapsed().as_secs_f64(),
                "kernels loaded"
            );
            let mut modules = self.modules.lock().unwrap_or_else(|p| p.into_inner());
            Ok(Arc::clone(modules.entry(key).or_insert(module)))
        })
    }
}

/// The driver's JIT error log for an image it refused: the load is tried once more with
/// a log buffer (cudarc's loader passes none), and the module unloaded should it load.
fn jit_error_log(image: &CompiledKernel) -> String {
    const LOG_BYTES: usize = 64 * 1024;
    let mut error_log = vec![0u8; LOG_BYTES];
    let mut info_log = vec![0u8; LOG_BYTES];
    // PTX must be NUL-terminated for the driver; a CUBIN is given as it is.
    let data: Vec<u8> = match image.target {
        Target::Ptx(_) => image.image.iter().copied().filter(|&b| b != 0).chain([0]).collect(),
        Target::Cubin(_) => image.image.clone(),
    };
    let mut options = [
        driver_sys::CUjit_option::CU_JIT_ERROR_LOG_BUFFER,
        driver_sys::CUjit_option::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
        driver_sys::CUjit_option::CU_JIT_INFO_LOG_BUFFER,
        driver_sys::CUjit_option::CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
    ];
    // The driver reads sizes as unsigned ints passed in the pointer slots.
    let mut values: [*mut std::ffi::c_void; 4] = [
        error_log.as_mut_ptr().cast(),
        LOG_BYTES as *mut std::ffi::c_void,
        info_log.as_mut_ptr().cast(),
        LOG_BYTES as *mut std::ffi::c_void,
    ];
    let mut module: driver_sys::CUmodule = std::ptr::null_mut();
    // SAFETY: `data` is a complete image (NUL-terminated PTX or a CUBIN) that outlives
    // the call; `options` and `values` have the same length, passed as the count; each
    // log buffer is LOG_BYTES long, as its size option says, and outlives the call. The
    // caller's context is current (module_variant bound it).
    let status = unsafe {
        driver_sys::cuModuleLoadDataEx(
            &mut module,
            data.as_ptr().cast(),
            options.len() as u32,
            options.as_mut_ptr(),
            values.as_mut_ptr(),
        )
    };
    if status == cudaError_enum::CUDA_SUCCESS && !module.is_null() {
        // SAFETY: the module was just loaded by this function and nothing else holds it.
        let _ = unsafe { driver_sys::cuModuleUnload(module) };
    }
    let text = |buffer: &[u8]| {
        let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
        String::from_utf8_lossy(&buffer[..end]).trim().to_string()
    };
    match (text(&error_log), text(&info_log)) {
        (error, info) if error.is_empty() && info.is_empty() => "(the driver wrote no JIT log)".to_string(),
        (error, info) if info.is_empty() => error,
        (error, info) => format!("{error}\n{info}").trim().to_string(),
    }
}

/// `Ok` when `needed` bytes fit in `free`; otherwise the error naming the work and device.
fn check_fits(needed: usize, free: usize, describe: impl FnOnce() -> (String, String)) -> Result<(), GpuError> {
    if needed <= free {
        return Ok(());
    }
    let (what, device) = describe();
    const MIB: usize = 1 << 20;
    Err(GpuError::OutOfDeviceMemory { what, device, needed_mib: needed.div_ceil(MIB), free_mib: free / MIB })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_larger_than_free_memory_is_refused_with_both_sizes() {
        let describe = || ("an MSM of 2^24 G2 points".to_string(), "a GPU".to_string());
        assert!(check_fits(10 << 20, 10 << 20, describe).is_ok());
        let err = check_fits((10 << 20) + 1, 10 << 20, describe).unwrap_err();
        assert!(matches!(err, GpuError::OutOfDeviceMemory { needed_mib: 11, free_mib: 10, .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("an MSM of 2^24 G2 points") && message.contains("11 MiB"), "{message}");
    }

    #[test]
    fn gpu_handles_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Gpu>();
    }

    #[test]
    fn detect_never_panics_and_explains_itself() {
        match Gpu::detect() {
            Ok(gpu) => assert!(!gpu.name().is_empty()),
            Err(e) => {
                assert!(e.is_unavailable(), "unexpected error kind: {e}");
                if !driver_library_present() {
                    assert!(matches!(e, GpuError::DriverNotFound), "{e}");
                }
            }
        }
    }
}
