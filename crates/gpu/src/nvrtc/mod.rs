//! The kernels' machine code: compiled by NVRTC (here or ahead of time), cached on
//! disk, and chosen for the device and driver at hand.
//!
//! NVRTC needs no GPU, so this module also serves the static checks that compile every
//! kernel on machines without one, and `teraproof kernels build`, which compiles the
//! CUBINs a GPU machine then loads without compiling anything.
//!
//! Three parts, one file each: finding libnvrtc ([`ensure_nvrtc`], [`preload_nvrtc_from`]);
//! compiling ([`compile`] to a [`Target`], PTX or CUBIN, in a [`KernelVariant`]); the disk
//! cache ([`KERNEL_CACHE_ENV`]), which also holds the kernels built ahead.
//!
//! **Which image a device gets** ([`Gpu`](crate::Gpu) asks once per program):
//! 1. a CUBIN built ahead for the device's architecture (else for the nearest older one
//!    of the same major version: sm_80 code runs on sm_86 and sm_89), by any NVRTC whose
//!    output the driver accepts (see [`driver_accepts`]), newest first: nothing is
//!    compiled, and the machine needs no NVRTC at all;
//! 2. else, with the NVRTC loaded here: a CUBIN for the device's architecture when this
//!    NVRTC knows it, else PTX for the newest architecture it knows below it (which the
//!    driver's JIT compiles on load); stored in the cache for next time;
//! 3. an NVRTC newer than the driver (NVRTC 13 with a CUDA 12 driver) is refused with
//!    what to install instead, before anything is compiled.

mod cache;
mod compile;
mod load;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

pub use cache::{describe_cache_file, disk_cache_dir, CacheEntry, KERNEL_CACHE_ENV};
pub use compile::{compile, compile_ptx, parse_ptxas_report, CompiledKernel, FunctionResources, Target};
pub use load::{ensure_nvrtc, nvrtc_version, preload_nvrtc_from, supported_archs, NvrtcVersion, NVRTC_LIB_DIR_ENV};

use crate::capability::{ComputeCapability, DriverVersion};
use crate::error::GpuError;
use crate::kernels::{KernelProgram, KernelVariant};

/// Whether a driver for CUDA `driver` can load what NVRTC `nvrtc` produced for `target`.
///
/// A CUBIN loads on any driver of its NVRTC's major release or a later one (CUDA's
/// minor-version compatibility covers machine code, not PTX). PTX is compiled by the
/// driver's JIT, which knows only the PTX ISA of its own release and older ones.
pub fn driver_accepts(target: Target, nvrtc: NvrtcVersion, driver: DriverVersion) -> bool {
    let (major, minor) = (i64::from(nvrtc.major), i64::from(nvrtc.minor));
    let (driver_major, driver_minor) = (i64::from(driver.major()), i64::from(driver.minor()));
    match target {
        Target::Cubin(_) => major <= driver_major,
        Target::Ptx(_) => (major, minor) <= (driver_major, driver_minor),
    }
}

/// The architecture to compile PTX for on a device NVRTC does not know: the newest one
/// it knows below the device's (PTX for an older architecture runs on newer GPUs).
pub(crate) fn target_arch(device: ComputeCapability, supported: &[u32]) -> ComputeCapability {
    let wanted = device.as_number();
    match supported.iter().copied().filter(|&a| a <= wanted).max() {
        Some(best) if best != wanted => {
            tracing::warn!(%device, best, "NVRTC does not know this architecture; compiling PTX for an older one");
            ComputeCapability::from_number(best)
        }
        _ => device,
    }
}

/// What the loaded NVRTC should compile for `device` under `driver`: a CUBIN when it
/// knows the architecture, else PTX for an older one; an error when the driver could
/// load neither.
pub(crate) fn nvrtc_target(
    program: &KernelProgram,
    device: ComputeCapability,
    driver: DriverVersion,
    nvrtc: NvrtcVersion,
    supported: &[u32],
) -> Result<Target, GpuError> {
    let target = if supported.contains(&device.as_number()) {
        Target::Cubin(device)
    } else {
        Target::Ptx(target_arch(device, supported))
    };
    if driver_accepts(target, nvrtc, driver) {
        Ok(target)
    } else {
        Err(GpuError::NvrtcTooNew { program: program.path, nvrtc, driver, target: target.arch_name() })
    }
}

/// The CUBIN built ahead in `dir` to load on `device` under `driver`: for the device's
/// own architecture, else for the nearest older one of the same major version (machine
/// code for sm_80 runs on sm_86 and sm_89, never across major versions); of those, the
/// newest NVRTC release the driver accepts. Only the chosen file is read.
pub(crate) fn prebuilt_for(
    dir: &Path,
    program: &KernelProgram,
    variant: KernelVariant,
    device: ComputeCapability,
    driver: DriverVersion,
) -> Option<CompiledKernel> {
    let archs = (0..=device.minor).rev().map(|minor| ComputeCapability { major: device.major, minor });
    archs.into_iter().find_map(|arch| {
        cache::prebuilt_releases(dir, program, variant, arch)
            .into_iter()
            .filter(|&release| driver_accepts(Target::Cubin(arch), release, driver))
            .find_map(|release| cache::load(dir, program, Target::Cubin(arch), variant, release))
    })
}

/// The kernel image built ahead in the cache folder `dir` that a device would load
/// (nothing is compiled): its target and NVRTC release, or `None` when it would have to
/// be compiled on the machine.
pub fn prebuilt_image(
    dir: &Path,
    program: &KernelProgram,
    variant: KernelVariant,
    device: ComputeCapability,
    driver: DriverVersion,
) -> Option<(Target, NvrtcVersion)> {
    prebuilt_for(dir, program, variant, device, driver).map(|image| (image.target, image.nvrtc))
}

/// `program` for `target` from the cache folder `dir` when it holds a valid copy made by
/// the loaded NVRTC, else compiled by it and stored there.
pub(crate) fn load_or_compile(
    program: &KernelProgram,
    target: Target,
    variant: KernelVariant,
    dir: Option<&Path>,
) -> Result<CompiledKernel, GpuError> {
    let Some(dir) = dir else { return compile(program, target, variant) };
    let nvrtc = nvrtc_version()?;
    if let Some(hit) = cache::load(dir, program, target, variant, nvrtc) {
        return Ok(hit);
    }
    let started = Instant::now();
    let compiled = compile(program, target, variant)?;
    tracing::info!(
        program = program.path,
        %target,
        variant = variant.name(),
        seconds = started.elapsed().as_secs_f64(),
        "compiled kernels with NVRTC"
    );
    if let Err(e) = cache::store(dir, program, &compiled) {
        tracing::warn!(dir = %dir.display(), error = %e, "could not store compiled kernels; the next run compiles again");
    }
    Ok(compiled)
}

/// One slot per (program, variant, device); its own lock is held while it compiles.
type ImageSlot = Arc<Mutex<Option<Arc<CompiledKernel>>>>;
type ImageCache = Mutex<HashMap<(&'static str, KernelVariant, ComputeCapability), ImageSlot>>;

/// The image of `program` in `variant` for `device` under `driver`, chosen as the
/// module docs say; once per process, later calls return the same image. Two threads
/// asking for the same program wait for one compile; other programs do not wait.
pub(crate) fn image_for_device(
    program: &KernelProgram,
    variant: KernelVariant,
    device: ComputeCapability,
    driver: DriverVersion,
) -> Result<Arc<CompiledKernel>, GpuError> {
    static CACHE: OnceLock<ImageCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let slot =
        Arc::clone(cache.lock().unwrap_or_else(|p| p.into_inner()).entry((program.path, variant, device)).or_default());
    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(hit) = slot.as_ref() {
        return Ok(Arc::clone(hit));
    }
    let dir = disk_cache_dir();
    let image = match dir.as_deref().and_then(|dir| prebuilt_for(dir, program, variant, device, driver)) {
        Some(prebuilt) => {
            tracing::info!(program = program.path, target = %prebuilt.target, nvrtc = %prebuilt.nvrtc, "kernels built ahead");
            prebuilt
        }
        None => {
            let no_image = |e: GpuError| match e {
                GpuError::NvrtcNotFound { detail } => GpuError::NvrtcNotFound {
                    detail: format!(
                        "{detail}; and no CUBIN of {} for {} is in the kernel cache ({})",
                        program.path,
                        device.sm_name(),
                        dir.as_deref().map_or("off".into(), |d| d.display().to_string())
                    ),
                },
                other => other,
            };
            let nvrtc = nvrtc_version().map_err(no_image)?;
            let target = nvrtc_target(program, device, driver, nvrtc, &supported_archs()?)?;
            load_or_compile(program, target, variant, dir.as_deref())?
        }
    };
    let image = Arc::new(image);
    *slot = Some(Arc::clone(&image));
    Ok(image)
}

/// What [`build_ahead`] made: the CUBIN, where it was stored, how long NVRTC took.
#[derive(Debug)]
pub struct BuiltKernel {
    /// The CUBIN and its NVRTC log (ptxas's resource report; empty when `cached`).
    pub kernel: CompiledKernel,
    /// The cache file.
    pub path: PathBuf,
    /// NVRTC's wall time in seconds (0 when `cached`).
    pub seconds: f64,
    /// Whether a valid copy was already in the cache, so nothing was compiled.
    pub cached: bool,
}

/// Compiles `program` in `variant` to a CUBIN for `arch` with the loaded NVRTC and
/// stores it in the cache folder `dir`, where a GPU machine's [`Gpu`](crate::Gpu) finds it
/// (`teraproof kernels build`). A valid copy already there is kept, unless `force`.
pub fn build_ahead(
    program: &KernelProgram,
    variant: KernelVariant,
    arch: ComputeCapability,
    dir: &Path,
    force: bool,
) -> Result<BuiltKernel, GpuError> {
    let target = Target::Cubin(arch);
    let nvrtc = nvrtc_version()?;
    let path = dir.join(cache::file_name(program, target, variant, nvrtc));
    if !force {
        if let Some(kernel) = cache::load(dir, program, target, variant, nvrtc) {
            return Ok(BuiltKernel { kernel, path, seconds: 0.0, cached: true });
        }
    }
    let started = Instant::now();
    let kernel = compile(program, target, variant)?;
    let seconds = started.elapsed().as_secs_f64();
    let path = cache::store(dir, program, &kernel)
        .map_err(|e| GpuError::KernelCache { path: dir.to_path_buf(), reason: e.to_string() })
        .inspect(|stored| debug_assert_eq!(stored, &path))?;
    Ok(BuiltKernel { kernel, path, seconds, cached: false })
}

#[cfg(test)]
mod tests {
    use super::cache::tests::{fake, scratch, HOPPER, TINY, V12, V13};
    use super::*;

    #[test]
    fn target_arch_prefers_the_device_then_the_newest_older_one() {
        assert_eq!(target_arch(HOPPER, &[75, 80, 86, 89, 90, 100]), HOPPER);
        let future = ComputeCapability { major: 13, minor: 0 };
        assert_eq!(target_arch(future, &[80, 90, 120]), ComputeCapability { major: 12, minor: 0 });
        // An NVRTC that lists nothing usable: try the device's own and let NVRTC say no.
        assert_eq!(target_arch(HOPPER, &[]), HOPPER);
    }

    #[test]
    fn drivers_accept_cubins_of_their_major_release_and_ptx_of_their_release() {
        let cubin = Target::Cubin(HOPPER);
        let ptx = Target::Ptx(HOPPER);
        let v129 = NvrtcVersion { major: 12, minor: 9 };
        assert!(driver_accepts(cubin, V13, DriverVersion(13000)));
        assert!(!driver_accepts(cubin, V13, DriverVersion(12090)), "a CUDA 13 CUBIN on a CUDA 12 driver");
        assert!(driver_accepts(cubin, v129, DriverVersion(12040)), "minor-version compatibility");
        assert!(driver_accepts(cubin, V12, DriverVersion(13000)), "older releases on newer drivers");
        assert!(driver_accepts(ptx, V12, DriverVersion(12040)));
        assert!(!driver_accepts(ptx, v129, DriverVersion(12040)), "PTX ISA newer than the driver's JIT");
        assert!(!driver_accepts(ptx, V13, DriverVersion(12090)));
    }

    #[test]
    fn nvrtc_compiles_cubins_for_known_devices_and_refuses_when_the_driver_is_older() {
        let future = ComputeCapability { major: 13, minor: 0 };
        let cuda13 = DriverVersion(13000);
        assert_eq!(nvrtc_target(&TINY, HOPPER, cuda13, V13, &[80, 90, 100]).unwrap(), Target::Cubin(HOPPER));
        assert_eq!(
            nvrtc_target(&TINY, future, cuda13, V13, &[80, 90, 120]).unwrap(),
            Target::Ptx(ComputeCapability { major: 12, minor: 0 })
        );
        assert_eq!(nvrtc_target(&TINY, HOPPER, DriverVersion(12040), V12, &[90]).unwrap(), Target::Cubin(HOPPER));
        let err = nvrtc_target(&TINY, HOPPER, DriverVersion(12040), V13, &[80, 90]).unwrap_err();
        assert!(matches!(err, GpuError::NvrtcTooNew { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("NVRTC 13.0") && message.contains("12.4") && message.contains("cu12"), "{message}");
    }

    #[test]
    fn the_newest_prebuilt_cubin_the_driver_accepts_is_chosen() {
        let dir = scratch("select");
        cache::store(&dir, &TINY, &fake(Target::Cubin(HOPPER), V12, b"12.4")).unwrap();
        cache::store(&dir, &TINY, &fake(Target::Cubin(HOPPER), V13, b"13.0")).unwrap();
        let chosen = |driver| prebuilt_for(&dir, &TINY, KernelVariant::Default, HOPPER, DriverVersion(driver));
        assert_eq!(chosen(13000).map(|k| k.image), Some(b"13.0".to_vec()));
        assert_eq!(chosen(12080).map(|k| k.image), Some(b"12.4".to_vec()));
        assert!(chosen(11080).is_none());
        let ampere = ComputeCapability { major: 8, minor: 0 };
        assert!(prebuilt_for(&dir, &TINY, KernelVariant::Default, ampere, DriverVersion(13000)).is_none());
        // sm_80 machine code serves sm_86 and sm_89, never sm_90 nor sm_70.
        cache::store(&dir, &TINY, &fake(Target::Cubin(ampere), V13, b"sm_80")).unwrap();
        let on = |major, minor| {
            let device = ComputeCapability { major, minor };
            prebuilt_for(&dir, &TINY, KernelVariant::Default, device, DriverVersion(13000)).map(|k| k.image)
        };
        assert_eq!(on(8, 9), Some(b"sm_80".to_vec()));
        assert_eq!(on(8, 6), Some(b"sm_80".to_vec()));
        assert_eq!(on(9, 0), Some(b"13.0".to_vec()));
        assert_eq!(on(7, 5), None);
        assert_eq!(on(10, 0), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_second_compile_comes_from_the_disk_cache() {
        if let Err(e) = ensure_nvrtc() {
            assert!(std::env::var_os("CI").is_none(), "CI must have NVRTC (scripts/cuda-tools.sh): {e}");
            eprintln!("SKIPPED the_second_compile_comes_from_the_disk_cache: {e}");
            return;
        }
        let dir = scratch("compile");
        let target = Target::Ptx(HOPPER);
        let first = load_or_compile(&TINY, target, KernelVariant::Default, Some(&dir)).unwrap();
        assert!(first.ptx().unwrap().contains(".entry tiny"), "{:?}", first.ptx());
        let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        // Mark the cached copy: only a read from the cache returns the mark.
        let mut marked = first.clone();
        marked.image.extend_from_slice(b"// from the cache\n");
        cache::store(&dir, &TINY, &marked).unwrap();
        let second = load_or_compile(&TINY, target, KernelVariant::Default, Some(&dir)).unwrap();
        assert_eq!(second.image, marked.image);
        // A corrupt file is recompiled and replaced.
        std::fs::write(&files[0], "garbage").unwrap();
        let third = load_or_compile(&TINY, target, KernelVariant::Default, Some(&dir)).unwrap();
        assert_eq!(third.image, first.image);
        let cubin = load_or_compile(&TINY, Target::Cubin(HOPPER), KernelVariant::Default, Some(&dir)).unwrap();
        assert_eq!(&cubin.image[..4], b"\x7fELF", "a CUBIN is an ELF image");
        assert!(cubin.log.contains("tiny"), "ptxas's report is in the log: {}", cubin.log);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
