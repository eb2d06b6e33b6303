//! Finding and loading libnvrtc, and asking it what it is.
//!
//! cudarc opens `libnvrtc.so` (and versioned names, `.so.13` and `.so.12` among them)
//! through the dynamic loader's search path. A GPU machine with only the driver has no
//! NVRTC, and the PyPI wheels (`nvidia-cuda-nvrtc` for 13, `nvidia-cuda-nvrtc-cu12` for
//! 12) put it in a folder the loader does not search. So when `TERAPROOF_NVRTC_LIB_DIR`
//! names a folder, we first load `libnvrtc-builtins` and `libnvrtc` from there by full
//! path and keep them loaded; the loader then resolves cudarc's (and libnvrtc's own)
//! by-name requests to those copies, whose sonames match.

use std::ffi::c_int;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cudarc::nvrtc::sys as nvrtc_sys;

pub use crate::capability::NvrtcVersion;
use crate::error::GpuError;

/// The environment variable naming a folder that holds `libnvrtc.so.*` and
/// `libnvrtc-builtins.so.*` (for example the `nvidia/cu13/lib` folder of the wheel).
pub const NVRTC_LIB_DIR_ENV: &str = "TERAPROOF_NVRTC_LIB_DIR";

/// Libraries we loaded by path; kept for the life of the process so that nothing
/// resolved against them can outlive them.
static PRELOADED: Mutex<Vec<libloading::Library>> = Mutex::new(Vec::new());

/// Set once NVRTC has been found; a failed check is not cached, so a caller can fix
/// things (for example with [`preload_nvrtc_from`]) and try again.
static NVRTC_READY: OnceLock<()> = OnceLock::new();

/// The outcome of preloading from `TERAPROOF_NVRTC_LIB_DIR`, done at most once.
static ENV_PRELOAD: OnceLock<Result<(), String>> = OnceLock::new();

/// The major release of the first NVRTC preloaded by path (from its file name,
/// `libnvrtc.so.12`), which the NVRTC cudarc then opens must be.
static PRELOADED_MAJOR: OnceLock<u32> = OnceLock::new();

/// Loads NVRTC from `dir` (the folder holding `libnvrtc.so.*`), so that later NVRTC use
/// in this process picks that copy. Call before the first compilation; the crate calls
/// it itself with `TERAPROOF_NVRTC_LIB_DIR` when that is set. One process uses one NVRTC:
/// the first one loaded.
pub fn preload_nvrtc_from(dir: &Path) -> Result<(), GpuError> {
    let not_found = |detail: String| GpuError::NvrtcNotFound { detail };
    let entries = std::fs::read_dir(dir).map_err(|e| not_found(format!("cannot read {}: {e}", dir.display())))?;
    let mut names: Vec<String> = entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    names.sort();
    // The `.alt.` variants are alternative builds NVRTC does not load by default.
    let pick = |prefix: &str| names.iter().find(|n| n.starts_with(prefix) && !n.contains(".alt.")).cloned();
    let nvrtc = pick("libnvrtc.so.").ok_or_else(|| not_found(format!("no libnvrtc.so.* in {}", dir.display())))?;
    // libnvrtc loads its builtins by soname at compile time; load them first.
    let ordered: Vec<PathBuf> =
        pick("libnvrtc-builtins.so.").into_iter().chain([nvrtc.clone()]).map(|n| dir.join(n)).collect();
    if let Some(major) = nvrtc.strip_prefix("libnvrtc.so.").and_then(|v| v.split('.').next()?.parse().ok()) {
        let _ = PRELOADED_MAJOR.set(major);
    }
    let mut preloaded = PRELOADED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for path in ordered {
        // SAFETY: these are NVIDIA's NVRTC libraries, whose initialisers only set up
        // their own state; the handle is stored in PRELOADED and never dropped, so no
        // symbol resolved from it can dangle.
        let library = unsafe { libloading::Library::new(&path) }
            .map_err(|e| not_found(format!("cannot load {}: {e}", path.display())))?;
        tracing::debug!(path = %path.display(), "preloaded NVRTC library");
        preloaded.push(library);
    }
    Ok(())
}

/// Checks that NVRTC can be loaded, after preloading it from `TERAPROOF_NVRTC_LIB_DIR`
/// if that is set. cudarc panics on first use when NVRTC is missing, so every NVRTC call
/// goes through this first.
pub fn ensure_nvrtc() -> Result<(), GpuError> {
    if NVRTC_READY.get().is_some() {
        return Ok(());
    }
    if let Some(dir) = std::env::var_os(NVRTC_LIB_DIR_ENV) {
        ENV_PRELOAD
            .get_or_init(|| preload_nvrtc_from(Path::new(&dir)).map_err(|e| e.to_string()))
            .clone()
            .map_err(|detail| GpuError::NvrtcNotFound { detail })?;
    }
    // SAFETY: only tries to open the candidate library names and closes them again.
    if unsafe { nvrtc_sys::is_culib_present() } {
        // cudarc opens the first of `libnvrtc.so`, ..., `.so.13`, `.so.12` the loader
        // finds; the preloaded copy only wins if no earlier name resolves elsewhere.
        if let Some(&wanted) = PRELOADED_MAJOR.get() {
            let loaded = raw_version()?;
            if loaded.major != wanted {
                return Err(GpuError::NvrtcNotFound {
                    detail: format!(
                        "NVRTC {wanted} was preloaded from {NVRTC_LIB_DIR_ENV}, but the loader found NVRTC {loaded} \
                         first (remove the other NVRTC's folder from LD_LIBRARY_PATH / ldconfig for this process)"
                    ),
                });
            }
        }
        let _ = NVRTC_READY.set(());
        return Ok(());
    }
    let env = std::env::var(NVRTC_LIB_DIR_ENV).map(|v| format!("`{v}`")).unwrap_or_else(|_| "unset".into());
    Err(GpuError::NvrtcNotFound {
        detail: format!("libnvrtc is not on the loader's search path and {NVRTC_LIB_DIR_ENV} is {env}"),
    })
}

/// The NVRTC version in use.
pub fn nvrtc_version() -> Result<NvrtcVersion, GpuError> {
    ensure_nvrtc()?;
    raw_version()
}

/// `nvrtcVersion`, for a caller that has checked NVRTC is present.
fn raw_version() -> Result<NvrtcVersion, GpuError> {
    let (mut major, mut minor): (c_int, c_int) = (0, 0);
    // SAFETY: NVRTC is present (every caller checked); both pointers are valid for writes.
    let status = unsafe { nvrtc_sys::nvrtcVersion(&mut major, &mut minor) };
    status.result().map_err(|e| GpuError::NvrtcNotFound { detail: format!("nvrtcVersion failed: {e:?}") })?;
    let unsigned = |v: c_int| u32::try_from(v).unwrap_or(0);
    Ok(NvrtcVersion { major: unsigned(major), minor: unsigned(minor) })
}

/// The architectures (as `major*10+minor`) the loaded NVRTC can target.
pub fn supported_archs() -> Result<Vec<u32>, GpuError> {
    ensure_nvrtc()?;
    let mut count: c_int = 0;
    // SAFETY: NVRTC is loaded; `count` is valid for writes.
    let status = unsafe { nvrtc_sys::nvrtcGetNumSupportedArchs(&mut count) };
    status.result().map_err(|e| GpuError::NvrtcNotFound { detail: format!("nvrtcGetNumSupportedArchs: {e:?}") })?;
    let mut archs = vec![0 as c_int; usize::try_from(count).unwrap_or(0)];
    // SAFETY: `archs` has room for the `count` entries NVRTC reported.
    let status = unsafe { nvrtc_sys::nvrtcGetSupportedArchs(archs.as_mut_ptr()) };
    status.result().map_err(|e| GpuError::NvrtcNotFound { detail: format!("nvrtcGetSupportedArchs: {e:?}") })?;
    Ok(archs.into_iter().filter_map(|a| u32::try_from(a).ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preload_from_a_folder_without_nvrtc_is_a_typed_error() {
        let err = preload_nvrtc_from(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_err();
        assert!(matches!(err, GpuError::NvrtcNotFound { .. }), "{err}");
        let err = preload_nvrtc_from(Path::new("/nonexistent/teraproof")).unwrap_err();
        assert!(matches!(err, GpuError::NvrtcNotFound { .. }), "{err}");
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(NvrtcVersion::parse("13.0"), Some(NvrtcVersion { major: 13, minor: 0 }));
        assert_eq!(NvrtcVersion::parse("12.4").map(|v| v.to_string()).as_deref(), Some("12.4"));
        for bad in ["", "13", "13.", ".0", "13.0.1", "+1.0", "1 .0", "99999.0", "a.b"] {
            assert_eq!(NvrtcVersion::parse(bad), None, "{bad:?}");
        }
        assert!(NvrtcVersion { major: 12, minor: 9 } < NvrtcVersion { major: 13, minor: 0 });
    }
}
