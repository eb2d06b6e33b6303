//! The disk cache of compiled kernels, and the kernels built ahead of time.
//!
//! NVRTC takes about a minute on the MSM program and the driver's JIT half a minute
//! more, so compiled kernels are kept on disk (see [`KERNEL_CACHE_ENV`]), one file per
//! (program, target, variant, NVRTC release):
//!
//! ```text
//! msm_msm-default-sm_90-nvrtc13.0-<key>.cubin
//! ```
//!
//! `<key>` is a SHA-256 over everything that determines the output (sources, headers,
//! target, options, variant, NVRTC release), so an edited kernel never loads a stale
//! file. The NVRTC release is also spelled out in the name: a process that has no NVRTC
//! at all (a supplier's GPU machine with only the driver) can still find the CUBINs that
//! `teraproof kernels build` made elsewhere, recompute each one's key from the release
//! its name gives, and load the newest its driver accepts.
//!
//! Each file starts with a line holding a SHA-256 of the rest; a file that fails it is
//! ignored and rewritten. Whoever can write this folder chooses the code the GPU runs,
//! so a folder of another user, or one that others may write to, is not used.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::compile::{compile_options, CompiledKernel, Target};
use super::load::NvrtcVersion;
use crate::capability::ComputeCapability;
use crate::kernels::{KernelProgram, KernelVariant, HEADERS};

/// The environment variable naming the folder of the on-disk kernel cache; `off` turns
/// the disk cache off. Unset: `$XDG_CACHE_HOME/teraproof/kernels`, else
/// `$HOME/.cache/teraproof/kernels`.
pub const KERNEL_CACHE_ENV: &str = "TERAPROOF_KERNEL_CACHE";

/// The disk cache's folder, or `None` when it is off or there is no home to put it in.
pub fn disk_cache_dir() -> Option<PathBuf> {
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

/// SHA-256 (hex, first 128 bits) over everything that determines the compiled kernel.
fn cache_key(program: &KernelProgram, target: Target, variant: KernelVariant, nvrtc: NvrtcVersion) -> String {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    field(b"teraproof kernel cache v2");
    field(program.path.as_bytes());
    field(program.source.as_bytes());
    for header in HEADERS {
        field(header.path.as_bytes());
        field(header.source.as_bytes());
    }
    field(format!("nvrtc {nvrtc}").as_bytes());
    field(target.arch_name().as_bytes());
    field(variant.name().as_bytes());
    for option in compile_options(target, variant) {
        field(option.as_bytes());
    }
    hex(&hash.finalize()[..16])
}

/// `msm/msm.cu` → `msm_msm`: the start of the program's cache file names.
fn program_stem(program: &KernelProgram) -> String {
    program.path.trim_end_matches(".cu").replace(['/', '.'], "_")
}

/// The cache file name of one compiled kernel.
pub(crate) fn file_name(
    program: &KernelProgram,
    target: Target,
    variant: KernelVariant,
    nvrtc: NvrtcVersion,
) -> String {
    let key = cache_key(program, target, variant, nvrtc);
    format!(
        "{}-{}-{}-nvrtc{nvrtc}-{key}.{}",
        program_stem(program),
        variant.name(),
        target.arch_name(),
        target.extension()
    )
}

/// The compiled kernel cached in `dir`, if a valid copy is there.
pub(crate) fn load(
    dir: &Path,
    program: &KernelProgram,
    target: Target,
    variant: KernelVariant,
    nvrtc: NvrtcVersion,
) -> Option<CompiledKernel> {
    let path = dir.join(file_name(program, target, variant, nvrtc));
    let image = read_cache_file(&path)?;
    tracing::debug!(program = program.path, %target, path = %path.display(), "kernel from the disk cache");
    Some(CompiledKernel { program: program.path, target, variant, nvrtc, image, log: String::new() })
}

/// Stores a compiled kernel in `dir`; returns the file's path.
pub(crate) fn store(dir: &Path, program: &KernelProgram, compiled: &CompiledKernel) -> std::io::Result<PathBuf> {
    let path = dir.join(file_name(program, compiled.target, compiled.variant, compiled.nvrtc));
    write_cache_file(dir, &path, &compiled.image)?;
    Ok(path)
}

/// The NVRTC releases that left a CUBIN of `program` in `variant` for exactly `arch` in
/// `dir`, newest first, from the file names alone (nothing is read yet). Needs no NVRTC:
/// each file's release comes from its name, and the name is rebuilt from that release
/// and today's sources, so a file left by older sources (or renamed by hand) is passed
/// over. [`load`] then reads and checks the one chosen.
pub(crate) fn prebuilt_releases(
    dir: &Path,
    program: &KernelProgram,
    variant: KernelVariant,
    arch: ComputeCapability,
) -> Vec<NvrtcVersion> {
    let target = Target::Cubin(arch);
    let prefix = format!("{}-{}-{}-nvrtc", program_stem(program), variant.name(), target.arch_name());
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut releases: Vec<NvrtcVersion> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let release = name.strip_prefix(&prefix)?.split('-').next()?;
            let release = NvrtcVersion::parse(release)?;
            (name == file_name(program, target, variant, release)).then_some(release)
        })
        .collect();
    releases.sort_unstable_by(|a, b| b.cmp(a));
    releases.dedup();
    releases
}

/// What a cache file's name says it holds, and whether it is an image of today's
/// sources (its key matches); `None` for a name that is not a kernel cache file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The program, relative to `kernels/`.
    pub program: &'static str,
    /// The variant.
    pub variant: KernelVariant,
    /// The target.
    pub target: Target,
    /// The NVRTC release that built it.
    pub nvrtc: NvrtcVersion,
    /// Whether the key matches today's sources, headers and options: only then is it used.
    pub current: bool,
}

/// Reads a cache file name (outside input: anything unexpected is `None`).
pub fn describe_cache_file(name: &str) -> Option<CacheEntry> {
    let (rest, extension) = name.rsplit_once('.')?;
    let (rest, _key) = rest.rsplit_once('-')?;
    let (rest, release) = rest.rsplit_once("-nvrtc")?;
    let nvrtc = NvrtcVersion::parse(release)?;
    let (rest, arch) = rest.rsplit_once('-')?;
    let number = |digits: &str| -> Option<ComputeCapability> {
        let value: u32 = (digits.len() >= 2 && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())??;
        Some(ComputeCapability::from_number(value))
    };
    let target = match (arch.strip_prefix("sm_"), arch.strip_prefix("compute_"), extension) {
        (Some(digits), None, "cubin") => Target::Cubin(number(digits)?),
        (None, Some(digits), "ptx") => Target::Ptx(number(digits)?),
        _ => return None,
    };
    let (program, variant) = crate::kernels::PROGRAMS.iter().find_map(|program| {
        let variant = rest.strip_prefix(&format!("{}-", program_stem(program)))?;
        Some((program, variant.parse::<KernelVariant>().ok()?))
    })?;
    let current = file_name(program, target, variant, nvrtc) == name;
    Some(CacheEntry { program: program.path, variant, target, nvrtc, current })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first line of a cache file: this marker and the SHA-256 of the bytes after it.
const CACHE_FILE_MARKER: &[u8] = b"teraproof kernel cache v2, sha256 ";

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

/// The bytes in a cache file, if the file exists, sits in a folder only its user may
/// write to, and its checksum holds.
fn read_cache_file(path: &Path) -> Option<Vec<u8>> {
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
    let contents = std::fs::read(path).ok()?;
    let newline = contents.iter().position(|&b| b == b'\n')?;
    let (first, body) = (&contents[..newline], &contents[newline + 1..]);
    let expected = first.strip_prefix(CACHE_FILE_MARKER)?;
    if hex(&Sha256::digest(body)).as_bytes() != expected {
        tracing::warn!(path = %path.display(), "ignoring a corrupt kernel cache file");
        return None;
    }
    Some(body.to_vec())
}

/// Writes a cache file atomically (a temporary file, unique to this process and call,
/// renamed into place), so a reader never sees half a file and concurrent writers
/// leave one whole copy. The folder is created private to the user.
fn write_cache_file(dir: &Path, path: &Path, body: &[u8]) -> std::io::Result<()> {
    create_private_dir(dir)?;
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = path.with_extension(format!("{}.{serial}.tmp", std::process::id()));
    let mut contents = CACHE_FILE_MARKER.to_vec();
    contents.extend_from_slice(hex(&Sha256::digest(body)).as_bytes());
    contents.push(b'\n');
    contents.extend_from_slice(body);
    std::fs::write(&temporary, contents).and_then(|()| std::fs::rename(&temporary, path)).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const TINY: KernelProgram = KernelProgram {
        path: "tiny.cu",
        source: "extern \"C\" __global__ void tiny(int* out) { out[0] = 7; }",
        entry_points: &[],
        variants: &[KernelVariant::Default],
    };

    pub(crate) const V13: NvrtcVersion = NvrtcVersion { major: 13, minor: 0 };
    pub(crate) const V12: NvrtcVersion = NvrtcVersion { major: 12, minor: 4 };
    pub(crate) const HOPPER: ComputeCapability = ComputeCapability { major: 9, minor: 0 };

    #[cfg(unix)]
    fn scratch_owned() -> PathBuf {
        let dir = scratch("owned");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    pub(crate) fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("teraproof-kernel-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// A compiled kernel with the given bytes, as if NVRTC `nvrtc` had made it.
    pub(crate) fn fake(target: Target, nvrtc: NvrtcVersion, image: &[u8]) -> CompiledKernel {
        CompiledKernel {
            program: TINY.path,
            target,
            variant: KernelVariant::Default,
            nvrtc,
            image: image.to_vec(),
            log: String::new(),
        }
    }

    #[test]
    fn cache_keys_change_with_everything_that_shapes_the_output() {
        let ampere = ComputeCapability { major: 8, minor: 0 };
        let key = cache_key(&TINY, Target::Ptx(HOPPER), KernelVariant::Default, V13);
        assert_eq!(key.len(), 32);
        assert_eq!(key, cache_key(&TINY, Target::Ptx(HOPPER), KernelVariant::Default, V13));
        let others = [
            cache_key(&TINY, Target::Ptx(ampere), KernelVariant::Default, V13),
            cache_key(&TINY, Target::Cubin(HOPPER), KernelVariant::Default, V13),
            cache_key(&TINY, Target::Ptx(HOPPER), KernelVariant::NoinlineMontgomery, V13),
            cache_key(&TINY, Target::Ptx(HOPPER), KernelVariant::Default, V12),
            cache_key(
                &KernelProgram { source: "extern \"C\" __global__ void tiny(int* out) { out[0] = 8; }", ..TINY },
                Target::Ptx(HOPPER),
                KernelVariant::Default,
                V13,
            ),
        ];
        for other in others {
            assert_ne!(key, other);
        }
        let name = file_name(&TINY, Target::Cubin(HOPPER), KernelVariant::NoinlineMontgomery, V12);
        assert!(name.starts_with("tiny-noinline-mont-sm_90-nvrtc12.4-") && name.ends_with(".cubin"), "{name}");
    }

    #[test]
    fn cache_files_round_trip_and_corrupt_ones_are_ignored() {
        let dir = scratch("files");
        let path = dir.join("k.cubin");
        assert_eq!(read_cache_file(&path), None, "missing file");
        let body = b"\x7fELF\0\n binary with newlines\n\xff";
        write_cache_file(&dir, &path, body).unwrap();
        assert_eq!(read_cache_file(&path).as_deref(), Some(&body[..]));
        let mut contents = std::fs::read(&path).unwrap();
        *contents.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &contents).unwrap();
        assert_eq!(read_cache_file(&path), None, "a changed body fails the checksum");
        std::fs::write(&path, b".version 9.0\n").unwrap();
        assert_eq!(read_cache_file(&path), None, "no marker line");
        std::fs::write(&path, b"").unwrap();
        assert_eq!(read_cache_file(&path), None, "empty file");
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn prebuilt_cubins_are_found_without_nvrtc_newest_first_and_stale_ones_passed_over() {
        let dir = scratch("prebuilt");
        store(&dir, &TINY, &fake(Target::Cubin(HOPPER), V12, b"cubin from 12.4")).unwrap();
        store(&dir, &TINY, &fake(Target::Cubin(HOPPER), V13, b"cubin from 13.0")).unwrap();
        store(&dir, &TINY, &fake(Target::Ptx(HOPPER), V13, b"ptx")).unwrap();
        let ampere = ComputeCapability { major: 8, minor: 0 };
        store(&dir, &TINY, &fake(Target::Cubin(ampere), V13, b"for sm_80")).unwrap();
        // A file whose key belongs to other sources: renamed from a valid one.
        let stale = dir.join(file_name(&TINY, Target::Cubin(HOPPER), KernelVariant::Default, V13));
        let renamed = stale.to_string_lossy().replace("nvrtc13.0", "nvrtc13.1");
        std::fs::copy(&stale, renamed).unwrap();
        std::fs::write(dir.join("tiny-default-sm_90-nvrtc99999.0-x.cubin"), b"junk").unwrap();

        assert_eq!(prebuilt_releases(&dir, &TINY, KernelVariant::Default, HOPPER), vec![V13, V12]);
        let loaded = load(&dir, &TINY, Target::Cubin(HOPPER), KernelVariant::Default, V12).unwrap();
        assert_eq!(loaded.image, b"cubin from 12.4");
        assert!(prebuilt_releases(&dir, &TINY, KernelVariant::NoinlineMontgomery, HOPPER).is_empty());
        assert_eq!(prebuilt_releases(&dir, &TINY, KernelVariant::Default, ampere), vec![V13]);
        assert!(prebuilt_releases(&dir.join("missing"), &TINY, KernelVariant::Default, HOPPER).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cache_file_names_are_read_back_and_stale_ones_marked() {
        let msm = &crate::kernels::MSM;
        let name = file_name(msm, Target::Cubin(HOPPER), KernelVariant::NoinlineMontgomery, V12);
        let entry = describe_cache_file(&name).unwrap();
        assert_eq!(
            entry,
            CacheEntry {
                program: "msm/msm.cu",
                variant: KernelVariant::NoinlineMontgomery,
                target: Target::Cubin(HOPPER),
                nvrtc: V12,
                current: true
            }
        );
        let ptx = file_name(&crate::kernels::GEMM_I8, Target::Ptx(HOPPER), KernelVariant::Default, V13);
        assert!(describe_cache_file(&ptx).unwrap().current);
        let stale = name.replace(&name[name.len() - 38..name.len() - 6], &"0".repeat(32));
        assert_eq!(describe_cache_file(&stale).map(|e| e.current), Some(false));
        for bad in [
            "",
            "notes.txt",
            "msm_msm-default-sm_90-nvrtc13.0-00.ptx",
            "msm_msm-fast-sm_90-nvrtc13.0-00.cubin",
            "other-default-sm_90-nvrtc13.0-00.cubin",
            "msm_msm-default-sm_9-nvrtc13.0-00.cubin",
            "msm_msm-default-sm_90-nvrtcX-00.cubin",
            "-.-",
        ] {
            assert_eq!(describe_cache_file(bad), None, "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_folder_others_may_write_to_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("shared");
        let path = dir.join("k.ptx");
        write_cache_file(&dir, &path, b"ptx").unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(read_cache_file(&path).as_deref(), Some(&b"ptx"[..]));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(read_cache_file(&path), None, "a world-writable folder is not trusted");
        // Our own folder is made private again by the next write (as after `mkdir -p`
        // under umask 002), and then trusted.
        write_cache_file(&dir, &path, b"ptx").unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o755);
        assert_eq!(read_cache_file(&path).as_deref(), Some(&b"ptx"[..]));
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
}
