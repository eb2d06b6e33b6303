//! Timing device work with CUDA events, on every driver this build supports.

use std::sync::OnceLock;

use cudarc::driver::sys::{self as driver_sys, CUevent_flags};
use cudarc::driver::CudaEvent;

use crate::capability::DriverVersion;
use crate::device::{driver_version, Gpu};
use crate::error::GpuError;

impl Gpu {
    /// `count` groups of `per_group` timing-enabled events.
    pub(crate) fn timing_events(&self, count: usize, per_group: usize) -> Result<Vec<Vec<CudaEvent>>, GpuError> {
        (0..count)
            .map(|_| {
                (0..per_group)
                    .map(|_| {
                        self.context
                            .new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))
                            .map_err(GpuError::driver("creating timing events"))
                    })
                    .collect()
            })
            .collect()
    }

    /// Records `event` on this GPU's stream.
    pub(crate) fn record(&self, event: &CudaEvent) -> Result<(), GpuError> {
        event.record(&self.stream).map_err(GpuError::driver("recording a timing event"))
    }
}

/// The first driver with `cuEventElapsedTime_v2`, which this build's binding calls.
const ELAPSED_V2_SINCE: DriverVersion = DriverVersion(12080);

/// The pre-12.8 `cuEventElapsedTime(float*, CUevent, CUevent)`.
type ElapsedV1 = unsafe extern "C" fn(*mut f32, driver_sys::CUevent, driver_sys::CUevent) -> driver_sys::CUresult;

/// `cuEventElapsedTime` from the driver library, looked up once; kept loaded for the
/// life of the process so the function pointer never dangles.
fn elapsed_v1() -> Result<ElapsedV1, String> {
    static FUNCTION: OnceLock<Result<(libloading::Library, ElapsedV1), String>> = OnceLock::new();
    FUNCTION
        .get_or_init(|| {
            // SAFETY: libcuda's initialisers only set up its own state; the library is
            // already loaded by cudarc, so this only takes another reference to it.
            let library = unsafe { libloading::Library::new("libcuda.so.1") }.map_err(|e| e.to_string())?;
            // SAFETY: the symbol is the CUDA driver's `cuEventElapsedTime`, whose C
            // signature is exactly `ElapsedV1`; the library handle is kept beside it.
            let function = unsafe { library.get::<ElapsedV1>(b"cuEventElapsedTime\0") }.map_err(|e| e.to_string())?;
            let function = *function;
            Ok((library, function))
        })
        .as_ref()
        .map(|(_, function)| *function)
        .map_err(Clone::clone)
}

/// Milliseconds between two recorded events.
pub(crate) fn elapsed_ms(start: &CudaEvent, end: &CudaEvent) -> Result<f64, GpuError> {
    static DRIVER: OnceLock<Option<DriverVersion>> = OnceLock::new();
    let driver = *DRIVER.get_or_init(|| driver_version().ok());
    if driver.is_none_or(|v| v >= ELAPSED_V2_SINCE) {
        return start.elapsed_ms(end).map(f64::from).map_err(GpuError::driver("reading a timing event"));
    }
    let function =
        elapsed_v1().map_err(|detail| GpuError::Msm(format!("no cuEventElapsedTime in libcuda: {detail}")))?;
    end.synchronize().map_err(GpuError::driver("waiting for a timing event"))?;
    let mut ms = 0f32;
    // SAFETY: both events are live (borrowed), were created with timing enabled by
    // `timing_events`, and `end` has completed (synchronised above); `ms` is valid for
    // writes.
    let status = unsafe { function(&mut ms, start.cu_event(), end.cu_event()) };
    status.result().map_err(GpuError::driver("reading a timing event"))?;
    Ok(f64::from(ms))
}
