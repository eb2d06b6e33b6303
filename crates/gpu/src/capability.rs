//! What a device, its driver and NVRTC are, as numbers: the compute capability that
//! picks the kernels' architecture, the CUDA version the driver supports (and the oldest
//! accepted), and the NVRTC release that built a kernel image.

use std::fmt;

/// A CUDA compute capability such as 9.0 (Hopper) or 8.0 (Ampere A100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComputeCapability {
    /// The major version (8 for Ampere, 9 for Hopper).
    pub major: u32,
    /// The minor version.
    pub minor: u32,
}

impl ComputeCapability {
    /// `major*10 + minor`, the number in `sm_90` / `compute_90`.
    pub fn as_number(self) -> u32 {
        self.major * 10 + self.minor
    }

    /// The inverse of [`as_number`](Self::as_number).
    pub fn from_number(number: u32) -> Self {
        Self { major: number / 10, minor: number % 10 }
    }

    /// The real architecture name, e.g. `sm_90` (what ptxas takes).
    pub fn sm_name(self) -> String {
        format!("sm_{}", self.as_number())
    }

    /// The virtual architecture name, e.g. `compute_90` (what NVRTC takes for PTX).
    pub fn compute_name(self) -> String {
        format!("compute_{}", self.as_number())
    }
}

impl fmt::Display for ComputeCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A CUDA driver version as `cuDriverGetVersion` reports it: `1000*major + 10*minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DriverVersion(pub i32);

impl DriverVersion {
    /// The CUDA major version (13 for 13000).
    pub fn major(self) -> i32 {
        self.0 / 1000
    }

    /// The CUDA minor version (1 for 13010).
    pub fn minor(self) -> i32 {
        (self.0 % 1000) / 10
    }
}

impl fmt::Display for DriverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major(), self.minor())
    }
}

/// The oldest driver accepted: CUDA 12.4 (R550), which many rented GPUs still run.
///
/// This build binds the CUDA 13.0 driver API (cudarc's `cuda-13000`), but calls only
/// functions a 12.4 driver exports too, save one: event timing, which on drivers before
/// 12.8 goes through the older `cuEventElapsedTime` (see `timing::elapsed_ms`). What such a
/// driver cannot load is NVRTC 13's output; kernels then come from an NVRTC 12 or are
/// built ahead by one (see [`crate::nvrtc`]).
pub const MIN_DRIVER_VERSION: DriverVersion = DriverVersion(12040);

/// An NVRTC release, as `nvrtcVersion` reports it (13.0, 12.4, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NvrtcVersion {
    /// The CUDA major version (13 for 13.0).
    pub major: u32,
    /// The CUDA minor version.
    pub minor: u32,
}

impl fmt::Display for NvrtcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl NvrtcVersion {
    /// Parses `13.0`; `None` for anything else (a cache file name is outside input).
    pub fn parse(text: &str) -> Option<NvrtcVersion> {
        let (major, minor) = text.split_once('.')?;
        let number = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
        };
        Some(NvrtcVersion { major: number(major)?, minor: number(minor)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_print_like_nvidia_smi() {
        assert_eq!(DriverVersion(13000).to_string(), "13.0");
        assert_eq!(DriverVersion(12080).to_string(), "12.8");
        assert_eq!(ComputeCapability { major: 9, minor: 0 }.to_string(), "9.0");
        assert_eq!(ComputeCapability { major: 8, minor: 6 }.sm_name(), "sm_86");
        assert_eq!(ComputeCapability { major: 12, minor: 0 }.compute_name(), "compute_120");
        assert_eq!(ComputeCapability::from_number(89), ComputeCapability { major: 8, minor: 9 });
    }

    #[test]
    fn capabilities_and_versions_order_numerically() {
        let cc = |major, minor| ComputeCapability { major, minor };
        assert!(cc(8, 0) < cc(8, 6) && cc(8, 9) < cc(9, 0) && cc(9, 0) < cc(12, 0));
        assert!(DriverVersion(12030) < MIN_DRIVER_VERSION && DriverVersion(12090) > MIN_DRIVER_VERSION);
        assert_eq!(MIN_DRIVER_VERSION.to_string(), "12.4");
    }
}
