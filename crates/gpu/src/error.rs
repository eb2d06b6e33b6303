//! The crate's one error type.

use crate::capability::{ComputeCapability, DriverVersion};

/// Everything that can go wrong between "is there a GPU?" and "here is C".
///
/// Every variant says what is missing or wrong and, where there is one, what to do
/// about it. Nothing in this crate panics on a missing driver, library or device; those
/// are errors a caller can match on to fall back to the CPU.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// The CUDA driver library (`libcuda.so`) could not be loaded.
    #[error("no CUDA driver: libcuda could not be loaded (install the NVIDIA driver, or use the CPU backend)")]
    DriverNotFound,

    /// The installed driver predates the CUDA API this build is bound to.
    #[error("CUDA driver {found} is too old: this build needs a driver for CUDA {required} or newer (update the NVIDIA driver)")]
    DriverTooOld {
        /// The CUDA version the installed driver supports.
        found: DriverVersion,
        /// The oldest CUDA version this build accepts.
        required: DriverVersion,
    },

    /// The driver library loaded but cannot be initialised (for example a kernel module
    /// that does not match the library, or no permission on /dev/nvidia*).
    #[error("the CUDA driver is installed but unusable: {source} (check `nvidia-smi`)")]
    DriverUnusable {
        /// The driver's error.
        #[source]
        source: cudarc::driver::DriverError,
    },

    /// The driver loaded but reports no CUDA device.
    #[error("the CUDA driver reports no device (check `nvidia-smi`, CUDA_VISIBLE_DEVICES and container GPU flags)")]
    NoDevice,

    /// A device ordinal past the last device was requested.
    #[error("CUDA device {ordinal} does not exist: the driver reports {count} device(s)")]
    DeviceNotFound {
        /// The ordinal asked for.
        ordinal: usize,
        /// How many devices the driver reports.
        count: usize,
    },

    /// The device is too old for the kernel asked for.
    #[error(
        "{device} (compute capability {found}) cannot run {kernel}: it needs compute capability {required} or newer"
    )]
    UnsupportedDevice {
        /// The device's name.
        device: String,
        /// The device's compute capability.
        found: ComputeCapability,
        /// The lowest compute capability the kernel runs on.
        required: ComputeCapability,
        /// The kernel that cannot run.
        kernel: &'static str,
    },

    /// NVRTC (`libnvrtc.so`), which compiles the kernels at run time, could not be loaded.
    #[error(
        "NVRTC could not be loaded ({detail}); install the CUDA toolkit or the `nvidia-cuda-nvrtc` wheel and point \
         TERAPROOF_NVRTC_LIB_DIR (or LD_LIBRARY_PATH) at the folder holding libnvrtc.so.*"
    )]
    NvrtcNotFound {
        /// Where we looked and what failed.
        detail: String,
    },

    /// NVRTC rejected a kernel. `log` is NVRTC's own compile log.
    #[error("NVRTC failed to compile {program} for {arch}: {reason}\n--- NVRTC log ---\n{log}")]
    KernelCompile {
        /// The kernel source, relative to `kernels/`.
        program: &'static str,
        /// The virtual architecture compiled for, e.g. `compute_90`.
        arch: String,
        /// NVRTC's status.
        reason: String,
        /// NVRTC's compile log (empty when NVRTC produced none).
        log: String,
    },

    /// The NVRTC loaded here is newer than the driver: the driver could load neither its
    /// PTX nor its CUBINs.
    #[error(
        "cannot build {program} for this GPU: this driver (CUDA {driver}) cannot load the {target} code NVRTC \
         {nvrtc} makes. Use an NVRTC no newer than the driver (for CUDA 12: `pip install \
         nvidia-cuda-nvrtc-cu12==12.4.127`, then point TERAPROOF_NVRTC_LIB_DIR at its nvidia/cuda_nvrtc/lib), or \
         kernels built ahead by one (`teraproof kernels build` into TERAPROOF_KERNEL_CACHE), or update the \
         driver; the oldest driver teraproof supports is CUDA {min}",
        min = crate::capability::MIN_DRIVER_VERSION
    )]
    NvrtcTooNew {
        /// The program.
        program: &'static str,
        /// The NVRTC loaded.
        nvrtc: crate::capability::NvrtcVersion,
        /// The CUDA version the driver supports.
        driver: DriverVersion,
        /// What would have been compiled (`sm_90`, `compute_90`).
        target: String,
    },

    /// The driver refused a kernel image. `log` is the driver's JIT error log.
    #[error(
        "the CUDA driver could not load {program} ({target}, NVRTC {nvrtc}): {source}\n--- driver JIT log ---\n{log}"
    )]
    KernelLoad {
        /// The program.
        program: &'static str,
        /// What the image was compiled for.
        target: String,
        /// The NVRTC that made it.
        nvrtc: crate::capability::NvrtcVersion,
        /// The driver's error.
        #[source]
        source: cudarc::driver::DriverError,
        /// The driver's JIT error log (empty when it wrote none).
        log: String,
    },

    /// Kernels built ahead could not be stored.
    #[error("cannot store kernels in {}: {reason}", path.display())]
    KernelCache {
        /// The cache folder.
        path: std::path::PathBuf,
        /// What failed.
        reason: String,
    },

    /// cuBLASLt (`libcublasLt.so`) could not be loaded.
    #[error("cuBLASLt could not be loaded: install the CUDA toolkit or the `nvidia-cublas` wheel and put its lib folder on LD_LIBRARY_PATH")]
    CublasLtNotFound,

    /// A cuBLASLt call failed.
    #[error("cuBLASLt failed while {operation}: {status}")]
    CublasLt {
        /// What we were doing.
        operation: &'static str,
        /// cuBLASLt's status.
        status: String,
    },

    /// A CUDA driver call failed.
    #[error("CUDA driver error while {operation}: {source}")]
    Driver {
        /// What we were doing.
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: cudarc::driver::DriverError,
    },

    /// A matrix shape outside what the kernels accept.
    #[error("invalid GEMM shape m={m}, k={k}, n={n}: {reason}")]
    InvalidShape {
        /// Rows of A and C.
        m: usize,
        /// Columns of A, rows of B.
        k: usize,
        /// Columns of B and C.
        n: usize,
        /// Which rule the shape breaks.
        reason: &'static str,
    },

    /// An MSM refused or gone wrong: mismatched lengths, too many points, an empty
    /// input, kernels that did not load, or a device result that is not a curve point.
    #[error("MSM: {0}")]
    Msm(String),

    /// The work needs more device memory than the device has free; refused before any
    /// allocation, so nothing was half done.
    #[error(
        "{what} needs {needed_mib} MiB of device memory but {device} has {free_mib} MiB free; use a smaller size, \
         free the device, or use the CPU backend"
    )]
    OutOfDeviceMemory {
        /// The work refused.
        what: String,
        /// The device.
        device: String,
        /// MiB the work needs at its peak (rounded up).
        needed_mib: usize,
        /// MiB free on the device when asked (rounded down).
        free_mib: usize,
    },

    /// A launch whose arguments or block do not match the kernel's record; refused
    /// before the driver saw it (a bug in a launcher, never bad input).
    #[error("refused to launch {kernel}: {reason}")]
    LaunchArguments {
        /// The kernel.
        kernel: &'static str,
        /// What does not match.
        reason: String,
    },

    /// The driver refused or failed a kernel launch.
    #[error("CUDA driver error while launching {kernel}: {source}")]
    Launch {
        /// The kernel.
        kernel: &'static str,
        /// The driver's error.
        #[source]
        source: cudarc::driver::DriverError,
    },

    /// An input slice whose length does not match the shape.
    #[error("matrix {matrix} has {actual} elements but the shape needs {expected}")]
    InputLength {
        /// `"A"` or `"B"`.
        matrix: &'static str,
        /// rows × cols from the shape.
        expected: usize,
        /// The slice's length.
        actual: usize,
    },

    /// A CUDA binding panicked (for example a symbol missing from an unexpected driver
    /// build). Caught so that callers can fall back instead of aborting.
    #[error("the CUDA bindings panicked while {operation}: {message}")]
    Panicked {
        /// What we were doing.
        operation: &'static str,
        /// The panic message.
        message: String,
    },
}

impl GpuError {
    /// Wraps a driver error with what we were doing when it happened.
    pub(crate) fn driver(operation: &'static str) -> impl FnOnce(cudarc::driver::DriverError) -> GpuError {
        move |source| GpuError::Driver { operation, source }
    }

    /// Whether the error means "no usable GPU here" (so a caller should quietly use the
    /// CPU) rather than a fault worth reporting.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            GpuError::DriverNotFound
                | GpuError::DriverTooOld { .. }
                | GpuError::DriverUnusable { .. }
                | GpuError::NoDevice
                | GpuError::DeviceNotFound { .. }
                | GpuError::UnsupportedDevice { .. }
                | GpuError::NvrtcNotFound { .. }
                | GpuError::NvrtcTooNew { .. }
        )
    }
}

/// Runs `work`, turning a panic inside the CUDA bindings into [`GpuError::Panicked`].
///
/// cudarc panics when a library or symbol it loads lazily is missing. We check for
/// the libraries before using them, so this is a second line of defence only.
pub(crate) fn catch_panics<T>(
    operation: &'static str,
    work: impl FnOnce() -> Result<T, GpuError>,
) -> Result<T, GpuError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_string());
            tracing::error!(operation, %message, "CUDA bindings panicked");
            Err(GpuError::Panicked { operation, message })
        }
    }
}
