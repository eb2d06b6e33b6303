//! `teraproof kernels build` and `teraproof kernels list`: the GPU kernels compiled
//! ahead, here, into the kernel cache a GPU machine loads them from.
//!
//! NVRTC needs no GPU. A GPU machine that finds a CUBIN for its architecture in the
//! cache (`TERAPROOF_KERNEL_CACHE`) loads it directly: no NVRTC compile (a minute and a
//! half for the MSM program) and no driver JIT (half a minute more).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use teraproof_gpu::kernels::{KernelProgram, KernelVariant, PROGRAMS};
use teraproof_gpu::nvrtc::{self, parse_ptxas_report, BuiltKernel};
use teraproof_gpu::ComputeCapability;

#[derive(Subcommand)]
pub enum KernelsCommand {
    /// Compile every kernel program to CUBIN with the NVRTC found here (see
    /// TERAPROOF_NVRTC_LIB_DIR), for each architecture and variant, into the kernel cache.
    Build {
        /// architectures, e.g. sm_90 (H100, H200), sm_80 (A100; its code also runs on sm_86
        /// and sm_89), sm_89 (L40S, RTX 4090)
        #[arg(long, value_delimiter = ',', default_value = "sm_90,sm_80")]
        arch: Vec<String>,
        /// kernel variants (a program is built only in the variants that change it)
        #[arg(long, value_delimiter = ',', default_value = "default,noinline-mont")]
        variant: Vec<KernelVariant>,
        /// the cache folder [default: TERAPROOF_KERNEL_CACHE, else ~/.cache/teraproof/kernels]
        #[arg(long)]
        out: Option<PathBuf>,
        /// compiles at once (NVRTC is single-threaded per program) [default: CPU count]
        #[arg(long)]
        jobs: Option<usize>,
        /// compile again even when a valid copy is in the cache
        #[arg(long)]
        force: bool,
        /// append the names of the cache files built (or found) to this file, one per
        /// line: exactly the images of today's sources, for packing
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// List the kernels in the cache: program, variant, target, NVRTC, size, and whether
    /// they are images of this build's sources.
    List {
        /// the cache folder [default: as for build]
        #[arg(long)]
        cache: Option<PathBuf>,
        /// also open the GPU and say which image each program would load on it; exit
        /// status 2 when there is no usable GPU
        #[arg(long)]
        device: bool,
    },
}

pub fn run(command: KernelsCommand) -> Result<()> {
    match command {
        KernelsCommand::Build { arch, variant, out, jobs, force, manifest } => {
            build(&arch, &variant, out, jobs, force, manifest.as_deref())
        }
        KernelsCommand::List { cache, device } => {
            let dir = cache_dir(cache)?;
            list(&dir)?;
            if device && !describe_device(&dir) {
                std::process::exit(2);
            }
            Ok(())
        }
    }
}

fn cache_dir(explicit: Option<PathBuf>) -> Result<PathBuf> {
    explicit.or_else(nvrtc::disk_cache_dir).context(
        "no kernel cache folder: pass --out/--cache, or set TERAPROOF_KERNEL_CACHE (it is `off` or HOME is unset)",
    )
}

/// `sm_90` (or `90`, `9.0`) → 9.0.
fn parse_arch(text: &str) -> Result<ComputeCapability> {
    let digits = text.strip_prefix("sm_").unwrap_or(text).replace('.', "");
    match digits.parse::<u32>() {
        Ok(number) if (50..=200).contains(&number) && digits.len() >= 2 => Ok(ComputeCapability::from_number(number)),
        _ => bail!("--arch {text}: expected an architecture such as sm_90 or sm_80"),
    }
}

fn build(
    archs: &[String],
    variants: &[KernelVariant],
    out: Option<PathBuf>,
    jobs: Option<usize>,
    force: bool,
    manifest: Option<&Path>,
) -> Result<()> {
    let archs = archs.iter().map(|a| parse_arch(a)).collect::<Result<Vec<_>>>()?;
    let dir = cache_dir(out)?;
    let version = nvrtc::nvrtc_version()?;
    let supported = nvrtc::supported_archs()?;
    if let Some(unknown) = archs.iter().find(|a| !supported.contains(&a.as_number())) {
        bail!("NVRTC {version} cannot build {}: it knows {supported:?}", unknown.sm_name());
    }
    let mut work: Vec<(&KernelProgram, KernelVariant, ComputeCapability)> = Vec::new();
    for program in PROGRAMS {
        for &variant in variants.iter().filter(|v| program.variants.contains(v)) {
            work.extend(archs.iter().map(|&arch| (program, variant, arch)));
        }
    }
    // The longest compiles (the MSM program) first, so they do not end up last alone.
    work.sort_by_key(|(program, _, _)| std::cmp::Reverse(program.source.len()));
    if work.is_empty() {
        bail!("nothing to build: no program is built in the variants {variants:?}");
    }
    let threads =
        jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).clamp(1, work.len());
    eprintln!(
        "building {} kernel images with NVRTC {version} into {} ({threads} at a time; the MSM program takes minutes)…",
        work.len(),
        dir.display()
    );
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(usize, Result<BuiltKernel, teraproof_gpu::GpuError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(program, variant, arch)) = work.get(index) else { break };
                        let built = nvrtc::build_ahead(program, variant, arch, &dir, force);
                        match &built {
                            Ok(b) if b.cached => {
                                eprintln!("  {} {} {}: already in the cache", program.path, variant, arch.sm_name())
                            }
                            Ok(b) => {
                                eprintln!(
                                    "  built {} {} {} in {:.1} s",
                                    program.path,
                                    variant,
                                    arch.sm_name(),
                                    b.seconds
                                )
                            }
                            Err(e) => eprintln!("  FAILED {} {} {}: {e}", program.path, variant.name(), arch.sm_name()),
                        }
                        done.push((index, built));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut results = results;
    results.sort_by_key(|(index, _)| *index);
    // A compile thread that panicked leaves its images out: never report success then.
    if results.len() != work.len() {
        bail!(
            "{} of {} kernel images were not built (a compile thread failed)",
            work.len() - results.len(),
            work.len()
        );
    }

    println!("NVRTC {version}, {} s in all, into {}", started.elapsed().as_secs(), dir.display());
    println!(
        "{:<18} {:<14} {:<6} {:>9} {:>10} {:>9} {:>10} {:>9}",
        "program", "variant", "arch", "seconds", "KiB", "kernels", "max regs", "spills B"
    );
    let cell = |value: Option<String>| value.unwrap_or_else(|| "-".into());
    let mut failures = 0;
    let mut names = String::new();
    for (index, result) in results {
        let (program, variant, arch) = work[index];
        match result {
            Ok(built) => {
                // A cached copy has no log: its resources were reported when it was built.
                let report = parse_ptxas_report(&built.kernel.log);
                let kernels: Vec<_> =
                    report.iter().filter(|r| program.entry_points.iter().any(|e| e.name == r.name)).collect();
                let known = !built.cached;
                let max_registers = kernels.iter().filter_map(|r| r.registers).max();
                let spills: u32 = report.iter().map(|r| r.spill_store_bytes + r.spill_load_bytes).sum();
                println!(
                    "{:<18} {:<14} {:<6} {:>9} {:>10} {:>9} {:>10} {:>9}",
                    program.path,
                    variant.name(),
                    arch.sm_name(),
                    if built.cached { "cached".to_string() } else { format!("{:.1}", built.seconds) },
                    built.kernel.image.len().div_ceil(1024),
                    cell(known.then(|| kernels.len().to_string())),
                    cell(max_registers.map(|r| r.to_string())),
                    cell(known.then(|| spills.to_string()))
                );
                if let Some(name) = built.path.file_name() {
                    names.push_str(&name.to_string_lossy());
                    names.push('\n');
                }
            }
            Err(e) => {
                failures += 1;
                println!("{:<18} {:<14} {:<6} FAILED: {e}", program.path, variant.name(), arch.sm_name());
            }
        }
    }
    if let Some(manifest) = manifest {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(manifest)
            .and_then(|mut file| file.write_all(names.as_bytes()))
            .with_context(|| format!("writing the manifest {}", manifest.display()))?;
    }
    if failures > 0 {
        bail!("{failures} kernel image(s) failed to build");
    }
    Ok(())
}

fn list(dir: &Path) -> Result<()> {
    let mut entries: Vec<(String, u64)> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.metadata().ok()?.len())))
            .filter(|(name, _)| name.ends_with(".cubin") || name.ends_with(".ptx"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    entries.sort();
    println!("kernel cache {}: {} file(s)", dir.display(), entries.len());
    if !entries.is_empty() {
        println!(
            "  {:<18} {:<14} {:<12} {:<6} {:>9}  {:<8} file",
            "program", "variant", "target", "nvrtc", "KiB", "sources"
        );
    }
    for (name, bytes) in entries {
        let kib = bytes.div_ceil(1024);
        match nvrtc::describe_cache_file(&name) {
            Some(entry) => println!(
                "  {:<18} {:<14} {:<12} {:<6} {kib:>9}  {:<8} {name}",
                entry.program,
                entry.variant.name(),
                entry.target.to_string(),
                entry.nvrtc.to_string(),
                if entry.current { "current" } else { "stale" }
            ),
            None => println!("  {:<18} {:<14} {:<12} {:<6} {kib:>9}  {:<8} {name}", "?", "?", "?", "?", "unknown"),
        }
    }
    Ok(())
}

/// Prints the GPU and, for each program and variant, the image built ahead it would
/// load from `dir`; `false` when there is no usable GPU.
fn describe_device(dir: &Path) -> bool {
    let gpu = match teraproof_gpu::Gpu::detect() {
        Ok(gpu) => gpu,
        Err(reason) => {
            println!("no usable GPU: {reason}");
            return false;
        }
    };
    println!("GPU: {}", gpu.description());
    for program in PROGRAMS {
        for &variant in program.variants {
            match nvrtc::prebuilt_image(dir, program, variant, gpu.compute_capability(), gpu.driver_version()) {
                Some((target, release)) => {
                    println!("  {} {variant}: loads {target} built by NVRTC {release}", program.path)
                }
                None => println!("  {} {variant}: nothing built ahead fits; NVRTC compiles it here", program.path),
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_parse_in_the_usual_spellings_and_nothing_else() {
        let hopper = ComputeCapability { major: 9, minor: 0 };
        for text in ["sm_90", "90", "9.0"] {
            assert_eq!(parse_arch(text).unwrap(), hopper, "{text}");
        }
        assert_eq!(parse_arch("sm_120").unwrap(), ComputeCapability { major: 12, minor: 0 });
        for bad in ["", "sm_", "sm_9", "compute_90", "sm_90a", "hopper", "sm_999", "-90"] {
            assert!(parse_arch(bad).is_err(), "{bad}");
        }
    }
}
