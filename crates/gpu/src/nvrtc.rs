//! Run-time compilation of the embedded kernels with NVRTC.
//!
//! NVRTC needs no GPU, so this module also serves the static checks that compile every
//! kernel on machines without one.
//!
//! **Finding libnvrtc.** cudarc opens `libnvrtc.so` (and versioned names) through the
//! dynamic loader's search path. A GPU machine with only the driver has no NVRTC, and
//! the PyPI wheel `nvidia-cuda-nvrtc` puts it in a folder the loader does not search. So
//! when `TERAPROOF_NVRTC_LIB_DIR` names a folder, we first load `libnvrtc-builtins` and
//! `libnvrtc` from there by full path and keep them loaded; the loader then resolves
//! cudarc's (and libnvrtc's own) by-name requests to those copies, whose sonames match.
//!
//! **Caching.** NVRTC takes about a minute on the MSM program, so compiled PTX is kept
//! twice: in memory for the life of the process, and on disk (see
//! [`KERNEL_CACHE_ENV`]) keyed by a SHA-256 of everything that determines it (sources,
//! headers, architecture, NVRTC version, options), so a supplier's second `teraproof
//! prove` skips the compile. A cache file that fails its checksum is ignored and
//! rewritten; a cache that cannot be written only costs the next run a compile.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::nvrtc::{result as nvrtc_result, sys as nvrtc_sys};
use sha2::{Digest, Sha256};

use crate::capability::ComputeCapability;
use crate::error::GpuError;
use crate::kernels::{KernelProgram, HEADERS};

/// The environment variable naming a folder that holds `libnvrtc.so.*` and
/// `libnvrtc-builtins.so.*` (for example the `nvidia/cu13/lib` folder of the wheel).
pub const NVRTC_LIB_DIR_ENV: &str = "TERAPROOF_NVRTC_LIB_DIR";

/// The environment variable naming the folder of the on-disk PTX cache; `off` turns
/// the disk cache off. Unset: `$XDG_CACHE_HOME/teraproof/kernels`, else
/// `$HOME/.cache/teraproof/kernels`.
pub const KERNEL_CACHE_ENV: &str = "TERAPROOF_KERNEL_CACHE";

/// A program compiled to PTX for one virtual architecture.
#[derive(Debug, Clone)]
pub struct CompiledPtx {
    /// The source compiled, relative to `kernels/`.
    pub program: &'static str,
    /// The virtual architecture, e.g. `compute_90`.
    pub arch: String,
    /// The PTX text.
    pub ptx: String,
    /// NVRTC's log (warnings), usually empty.
    pub log: String,
}

/// Libraries we loaded by path; kept for the life of the process so that nothing
/// resolved against them can outlive them.
static PRELOADED: Mutex<Vec<libloading::Library>> = Mutex::new(Vec::new());

/// Set once NVRTC has been found; a failed check is not cached, so a caller can fix
/// things (for example with [`preload_nvrtc_from`]) and try again.
static NVRTC_READY: OnceLock<()> = OnceLock::new();

/// The outcome of preloading from `TERAPROOF_NVRTC_LIB_DIR`, done at most once.
static ENV_PRELOAD: OnceLock<Result<(), String>> = OnceLock::new();

/// Loads NVRTC from `dir` (the folder holding `libnvrtc.so.*`), so that later NVRTC use
/// in this process picks that copy. Call before the first compilation; the crate calls
/// it itself with `TERAPROOF_NVRTC_LIB_DIR` when that is set.
pub fn preload_nvrtc_from(dir: &Path) -> Result<(), GpuError> {
    let not_found = |detail: String| GpuError::NvrtcNotFound { detail };
    let entries = std::fs::read_dir(dir).map_err(|e| not_found(format!("cannot read {}: {e}", dir.display())))?;
    let mut names: Vec<String> = entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    names.sort();
    // The `.alt.` variants are alternative builds NVRTC does not load by default.
    let pick = |prefix: &str| names.iter().find(|n| n.starts_with(prefix) && !n.contains(".alt.")).cloned();
    let nvrtc = pick("libnvrtc.so.").ok_or_else(|| not_found(format!("no libnvrtc.so.* in {}", dir.display())))?;
    // libnvrtc loads its builtins by soname at compile time; load them first.
    let ordered: Vec<PathBuf> = pick("libnvrtc-builtins.so.").into_iter().chain([nvrtc]).map(|n| dir.join(n)).collect();
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
        let _ = NVRTC_READY.set(());
        return Ok(());
    }
    let env = std::env::var(NVRTC_LIB_DIR_ENV).map(|v| format!("`{v}`")).unwrap_or_else(|_| "unset".into());
    Err(GpuError::NvrtcNotFound {
        detail: format!("libnvrtc is not on the loader's search path and {NVRTC_LIB_DIR_ENV} is {env}"),
    })
}

/// The NVRTC version in use, as (major, minor).
pub fn nvrtc_version() -> Result<(i32, i32), GpuError> {
    ensure_nvrtc()?;
    let (mut major, mut minor): (c_int, c_int) = (0, 0);
    // SAFETY: NVRTC is loaded (checked above); both pointers are valid for writes.
    let status = unsafe { nvrtc_sys::nvrtcVersion(&mut major, &mut minor) };
    status.result().map_err(|e| GpuError::NvrtcNotFound { detail: format!("nvrtcVersion failed: {e:?}") })?;
    Ok((major, minor))
}

/// The virtual architectures (as `major*10+minor`) the loaded NVRTC can target.
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

/// The architecture to compile for on a device: the device's own, or the newest one
/// NVRTC knows below it (PTX for an older architecture runs on newer GPUs).
pub(crate) fn target_arch(device: ComputeCapability, supported: &[u32]) -> ComputeCapability {
    let wanted = device.as_number();
    match supported.iter().copied().filter(|&a| a <= wanted).max() {
        Some(best) if best != wanted => {
            tracing::warn!(%device, best, "NVRTC does not know this architecture; compiling for an older one");
            ComputeCapability::from_number(best)
        }
        _ => device,
    }
}

/// Frees an NVRTC program when dropped, whatever path the compilation took.
struct ProgramGuard(nvrtc_sys::nvrtcProgram);

impl Drop for ProgramGuard {
    fn drop(&mut self) {
        // SAFETY: self.0 came from nvrtcCreateProgram and is destroyed exactly once, here.
        if let Err(e) = unsafe { nvrtc_result::destroy_program(self.0) } {
            tracing::warn!(error = ?e, "nvrtcDestroyProgram failed");
        }
    }
}

/// Compiles `program` to PTX for virtual architecture `arch` (e.g. 9.0 → `compute_90`).
/// On failure the error carries NVRTC's log.
pub fn compile_ptx(program: &KernelProgram, arch: ComputeCapability) -> Result<CompiledPtx, GpuError> {
    ensure_nvrtc()?;
    let arch_name = arch.compute_name();
    let compile_error = |reason: String, log: String| GpuError::KernelCompile {
        program: program.path,
        arch: arch_name.clone(),
        reason,
        log,
    };
    let to_c =
        |text: &str| CString::new(text).map_err(|_| compile_error("source contains a NUL byte".into(), String::new()));
    let source = to_c(program.source)?;
    let name = to_c(program.path)?;
    let header_sources = HEADERS.iter().map(|h| to_c(h.source)).collect::<Result<Vec<_>, _>>()?;
    let header_names = HEADERS.iter().map(|h| to_c(h.path)).collect::<Result<Vec<_>, _>>()?;
    let header_source_ptrs: Vec<*const c_char> = header_sources.iter().map(|s| s.as_ptr()).collect();
    let header_name_ptrs: Vec<*const c_char> = header_names.iter().map(|s| s.as_ptr()).collect();

    let mut raw_program: nvrtc_sys::nvrtcProgram = std::ptr::null_mut();
    // SAFETY: every pointer refers to a NUL-terminated CString that outlives this call,
    // the two header arrays have HEADERS.len() entries each, and NVRTC is loaded.
    let status = unsafe {
        nvrtc_sys::nvrtcCreateProgram(
            &mut raw_program,
            source.as_ptr(),
            name.as_ptr(),
            HEADERS.len() as c_int,
            header_source_ptrs.as_ptr(),
            header_name_ptrs.as_ptr(),
        )
    };
    status.result().map_err(|e| compile_error(format!("nvrtcCreateProgram: {e:?}"), String::new()))?;
    let guard = ProgramGuard(raw_program);

    let options = compile_options(&arch_name);
    // SAFETY: the program handle is live (owned by `guard`).
    let compiled = unsafe { nvrtc_result::compile_program(guard.0, &options) };
    let log = program_log(&guard);
    if let Err(e) = compiled {
        return Err(compile_error(format!("{e:?}"), log));
    }
    // SAFETY: the program compiled successfully, so it has PTX.
    let ptx_chars = unsafe { nvrtc_result::get_ptx(guard.0) }
        .map_err(|e| compile_error(format!("nvrtcGetPTX: {e:?}"), log.clone()))?;
    let ptx = c_chars_to_string(&ptx_chars);
    tracing::debug!(program = program.path, arch = %arch_name, bytes = ptx.len(), "compiled kernel");
    Ok(CompiledPtx { program: program.path, arch: arch_name, ptx, log })
}

/// The NVRTC options every program is compiled with.
fn compile_options(arch_name: &str) -> Vec<String> {
    vec![
        format!("--gpu-architecture={arch_name}"),
        "--std=c++17".to_string(),
        // Source lines in profiles; does not change the generated code.
        "--generate-line-info".to_string(),
    ]
}

/// NVRTC's log for a program, or a note saying why there is none.
fn program_log(guard: &ProgramGuard) -> String {
    // SAFETY: the program handle is live (owned by `guard`).
    match unsafe { nvrtc_result::get_program_log(guard.0) } {
        Ok(chars) => c_chars_to_string(&chars).trim().to_string(),
        Err(e) => format!("(no log: nvrtcGetProgramLog failed with {e:?})"),
    }
}

/// Text from a NUL-terminated buffer of C chars (lossy: NVRTC output is ASCII).
fn c_chars_to_string(chars: &[c_char]) -> String {
    // c_char is i8 or u8 by platform; either way each is one byte of the text.
    let bytes: Vec<u8> = chars.iter().map(|&c| c as u8).collect();
    match CStr::from_bytes_until_nul(&bytes) {
        Ok(text) => text.to_string_lossy().into_owned(),
        Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// One slot per (program, architecture); its own lock is held while it compiles.
type PtxSlot = Arc<Mutex<Option<Arc<CompiledPtx>>>>;
type PtxCache = Mutex<HashMap<(&'static str, ComputeCapability), PtxSlot>>;

/// Compiles `program` for `arch` once per process, and across processes through the
/// disk cache; later calls return the same PTX. Two threads asking for the same
/// program wait for one compile; other programs do not wait.
pub(crate) fn compile_ptx_cached(
    program: &KernelProgram,
    arch: ComputeCapability,
) -> Result<Arc<CompiledPtx>, GpuError> {
    static CACHE: OnceLock<PtxCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let slot = Arc::clone(cache.lock().unwrap_or_else(|p| p.into_inner()).entry((program.path, arch)).or_default());
    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(hit) = slot.as_ref() {
        return Ok(Arc::clone(hit));
    }
    let compiled = Arc::new(load_or_compile(program, arch, disk_cache_dir().as_deref())?);
    *slot = Some(Arc::clone(&compiled));
    Ok(compiled)
}

/// The disk cache's folder, or `None` when it is off or there is no home to put it in.
fn disk_cache_dir() -> Option<PathBuf> {
    match std::env::var_os(KERNEL_CACHE_ENV) {
        Some(value) if value == "off" => None,
        Some(value) if !value.is_empty() => Some(PathBuf::from(value)),
        _ => std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))
            .map(|base| base.join("teraproof").join("kernels")),
    }
}

/// The PTX of `program` for `arch` from the cache folder `dir` if it holds a valid
/// copy, else compiled by NVRTC and stored there.
pub(crate) fn load_or_compile(
    program: &KernelProgram,
    arch: ComputeCapability,
    dir: Option<&Path>,
) -> Result<CompiledPtx, GpuError> {
    let Some(dir) = dir else { return compile_ptx(program, arch) };
    let key = cache_key(program, arch, nvrtc_version()?);
    let path = dir.join(format!("{key}.ptx"));
    if let Some(ptx) = read_cache_file(&path) {
        tracing::debug!(program = program.path, %arch, path = %path.display(), "kernel PTX from the disk cache");
        return Ok(CompiledPtx { program: program.path, arch: arch.compute_name(), ptx, log: String::new() });
    }
    let started = std::time::Instant::now();
    let compiled = compile_ptx(program, arch)?;
    tracing::info!(program = program.path, %arch, seconds = started.elapsed().as_secs_f64(), "compiled kernels with NVRTC");
    if let Err(e) = write_cache_file(dir, &path, &compiled.ptx) {
        tracing::warn!(path = %path.display(), error = %e, "could not store compiled PTX; the next run compiles again");
    }
    Ok(compiled)
}

/// SHA-256 (hex) over everything that determines the PTX.
fn cache_key(program: &KernelProgram, arch: ComputeCapability, nvrtc: (i32, i32)) -> String {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    field(b"teraproof kernel cache v1");
    field(program.path.as_bytes());
    field(program.source.as_bytes());
    for header in HEADERS {
        field(header.path.as_bytes());
        field(header.source.as_bytes());
    }
    field(format!("nvrtc {}.{}", nvrtc.0, nvrtc.1).as_bytes());
    for option in compile_options(&arch.compute_name()) {
        field(option.as_bytes());
    }
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first line of a cache file: this marker and the SHA-256 of the PTX after it.
const CACHE_FILE_MARKER: &str = "// teraproof kernel cache, sha256 ";

/// Creates `dir` (and its parents) private to the user. On Unix a folder that another
/// user owns is refused, and one of ours that group or others may write to is made
/// private (mode 0700): whoever can write this cache chooses the code the GPU runs.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        check_cache_dir_owner(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o022 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o7755 & !0o022))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// `Ok` when `dir` belongs to this process's effective user.
#[cfg(unix)]
fn check_cache_dir_owner(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(dir)?.uid();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if owner != me {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("{} belongs to user {owner}, not {me}; not using it as a kernel cache", dir.display()),
        ));
    }
    Ok(())
}

/// The PTX in a cache file, if the file exists, sits in a folder only its user may
/// write to, and its checksum holds.
fn read_cache_file(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = path.parent()?;
        let writable_by_others = std::fs::metadata(dir).ok()?.permissions().mode() & 0o022 != 0;
        if let Err(e) = check_cache_dir_owner(dir) {
            tracing::warn!(error = %e, "ignoring the kernel cache");
            return None;
        }
        if writable_by_others {
            tracing::warn!(path = %path.display(), "ignoring a kernel cache in a folder others may write to");
            return None;
        }
    }
    let text = std::fs::read_to_string(path).ok()?;
    let (first, ptx) = text.split_once('\n')?;
    let expected = first.strip_prefix(CACHE_FILE_MARKER)?;
    if hex(&Sha256::digest(ptx.as_bytes())) != expected {
        tracing::warn!(path = %path.display(), "ignoring a corrupt kernel cache file");
        return None;
    }
    Some(ptx.to_string())
}

/// Writes a cache file atomically (a temporary file, unique to this process and call,
/// renamed into place), so a reader never sees half a file and concurrent writers
/// leave one whole copy. The folder is created private to the user, and a folder others
/// may write to is refused: whoever writes this cache chooses the code the GPU runs.
fn write_cache_file(dir: &Path, path: &Path, ptx: &str) -> std::io::Result<()> {
    create_private_dir(dir)?;
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = path.with_extension(format!("ptx.{}.{serial}.tmp", std::process::id()));
    let contents = format!("{CACHE_FILE_MARKER}{}\n{ptx}", hex(&Sha256::digest(ptx.as_bytes())));
    std::fs::write(&temporary, contents).and_then(|()| std::fs::rename(&temporary, path)).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_arch_prefers_the_device_then_the_newest_older_one() {
        let hopper = ComputeCapability { major: 9, minor: 0 };
        assert_eq!(target_arch(hopper, &[75, 80, 86, 89, 90, 100]), hopper);
        let future = ComputeCapability { major: 13, minor: 0 };
        assert_eq!(target_arch(future, &[80, 90, 120]), ComputeCapability { major: 12, minor: 0 });
        // An NVRTC that lists nothing usable: try the device's own and let NVRTC say no.
        assert_eq!(target_arch(hopper, &[]), hopper);
    }

    #[test]
    fn preload_from_a_folder_without_nvrtc_is_a_typed_error() {
        let err = preload_nvrtc_from(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_err();
        assert!(matches!(err, GpuError::NvrtcNotFound { .. }), "{err}");
        let err = preload_nvrtc_from(Path::new("/nonexistent/teraproof")).unwrap_err();
        assert!(matches!(err, GpuError::NvrtcNotFound { .. }), "{err}");
    }

    const TINY: KernelProgram = KernelProgram {
        path: "tiny.cu",
        source: "extern \"C\" __global__ void tiny(int* out) { out[0] = 7; }",
        entry_points: &[],
    };

    #[cfg(unix)]
    fn scratch_owned() -> PathBuf {
        let dir = scratch("owned");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("teraproof-kernel-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn cache_keys_change_with_everything_that_shapes_the_ptx() {
        let hopper = ComputeCapability { major: 9, minor: 0 };
        let ampere = ComputeCapability { major: 8, minor: 0 };
        let key = cache_key(&TINY, hopper, (13, 0));
        assert_eq!(key.len(), 64);
        assert_eq!(key, cache_key(&TINY, hopper, (13, 0)));
        assert_ne!(key, cache_key(&TINY, ampere, (13, 0)));
        assert_ne!(key, cache_key(&TINY, hopper, (13, 1)));
        let edited = KernelProgram { source: "extern \"C\" __global__ void tiny(int* out) { out[0] = 8; }", ..TINY };
        assert_ne!(key, cache_key(&edited, hopper, (13, 0)));
    }

    #[test]
    fn cache_files_round_trip_and_corrupt_ones_are_ignored() {
        let dir = scratch("files");
        let path = dir.join("k.ptx");
        assert_eq!(read_cache_file(&path), None, "missing file");
        write_cache_file(&dir, &path, ".version 9.0\n.target sm_90\n").unwrap();
        assert_eq!(read_cache_file(&path).as_deref(), Some(".version 9.0\n.target sm_90\n"));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("sm_90", "sm_80")).unwrap();
        assert_eq!(read_cache_file(&path), None, "a changed body fails the checksum");
        std::fs::write(&path, ".version 9.0\n").unwrap();
        assert_eq!(read_cache_file(&path), None, "no marker line");
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_folder_others_may_write_to_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("shared");
        let path = dir.join("k.ptx");
        write_cache_file(&dir, &path, "ptx").unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(read_cache_file(&path).as_deref(), Some("ptx"));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(read_cache_file(&path), None, "a world-writable folder is not trusted");
        // Our own folder is made private again by the next write (as after `mkdir -p`
        // under umask 002), and then trusted.
        write_cache_file(&dir, &path, "ptx").unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o755);
        assert_eq!(read_cache_file(&path).as_deref(), Some("ptx"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_folder_of_another_user_is_not_used() {
        let ours = scratch_owned();
        assert!(check_cache_dir_owner(&ours).is_ok(), "a folder we made is ours");
        // SAFETY: geteuid has no preconditions and cannot fail.
        let theirs = if unsafe { libc::geteuid() } == 0 {
            // As root: give a folder to `nobody` (uid 65534).
            std::os::unix::fs::chown(&ours, Some(65534), None).unwrap();
            ours.clone()
        } else {
            // As anyone else: the root folder belongs to root.
            PathBuf::from("/")
        };
        let err = check_cache_dir_owner(&theirs).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
        assert_eq!(read_cache_file(&theirs.join("k.ptx")), None);
        std::fs::remove_dir_all(&ours).unwrap();
    }

    #[test]
    fn the_second_compile_comes_from_the_disk_cache() {
        if let Err(e) = ensure_nvrtc() {
            eprintln!("SKIPPED the_second_compile_comes_from_the_disk_cache: {e}");
            return;
        }
        let dir = scratch("compile");
        let hopper = ComputeCapability { major: 9, minor: 0 };
        let first = load_or_compile(&TINY, hopper, Some(&dir)).unwrap();
        assert!(first.ptx.contains(".entry tiny"), "{}", first.ptx);
        let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        // Mark the cached copy: only a read from the cache returns the mark.
        let marked = format!("{}// from the cache\n", first.ptx);
        write_cache_file(&dir, &files[0], &marked).unwrap();
        let second = load_or_compile(&TINY, hopper, Some(&dir)).unwrap();
        assert_eq!(second.ptx, marked);
        // A corrupt file is recompiled and replaced.
        std::fs::write(&files[0], "garbage").unwrap();
        let third = load_or_compile(&TINY, hopper, Some(&dir)).unwrap();
        assert_eq!(third.ptx, first.ptx);
        assert_eq!(read_cache_file(&files[0]).as_deref(), Some(first.ptx.as_str()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn c_chars_stop_at_the_first_nul() {
        let chars: Vec<c_char> = b"ptx text\0garbage".iter().map(|&b| b as c_char).collect();
        assert_eq!(c_chars_to_string(&chars), "ptx text");
    }
}
