//! One NVRTC compilation: a kernel program, for one target, in one variant.
//!
//! Two kinds of output. **CUBIN** (`--gpu-architecture=sm_90`, `nvrtcGetCUBIN`) is
//! machine code for one architecture: the driver loads it as it is, in well under a
//! second. **PTX** (`compute_90`) is the portable form the driver compiles itself on
//! load (its JIT takes 27–43 s for the MSM program); it is what a device newer than any
//! architecture the NVRTC knows gets.

use std::ffi::{c_char, c_int, CStr, CString};
use std::fmt;

use cudarc::nvrtc::{result as nvrtc_result, sys as nvrtc_sys};

use super::load::{ensure_nvrtc, nvrtc_version, NvrtcVersion};
use crate::capability::ComputeCapability;
use crate::error::GpuError;
use crate::kernels::{KernelProgram, KernelVariant, HEADERS};

/// What NVRTC produces: machine code for one real architecture, or PTX for a virtual one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// PTX for `compute_XY`, compiled by the driver on load.
    Ptx(ComputeCapability),
    /// A CUBIN for `sm_XY`, loaded as it is.
    Cubin(ComputeCapability),
}

impl Target {
    /// The architecture.
    pub fn capability(self) -> ComputeCapability {
        match self {
            Target::Ptx(cc) | Target::Cubin(cc) => cc,
        }
    }

    /// NVRTC's name for it: `compute_90` for PTX, `sm_90` for a CUBIN.
    pub fn arch_name(self) -> String {
        match self {
            Target::Ptx(cc) => cc.compute_name(),
            Target::Cubin(cc) => cc.sm_name(),
        }
    }

    /// The cache file extension.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Target::Ptx(_) => "ptx",
            Target::Cubin(_) => "cubin",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arch_name())
    }
}

/// A compiled program: PTX text or a CUBIN, and what made it.
#[derive(Debug, Clone)]
pub struct CompiledKernel {
    /// The source compiled, relative to `kernels/`.
    pub program: &'static str,
    /// What it was compiled for.
    pub target: Target,
    /// The build variant.
    pub variant: KernelVariant,
    /// The NVRTC that compiled it.
    pub nvrtc: NvrtcVersion,
    /// The PTX text (UTF-8) or the CUBIN.
    pub image: Vec<u8>,
    /// NVRTC's log: warnings, and for a CUBIN ptxas's resource report.
    pub log: String,
}

impl CompiledKernel {
    /// The PTX text, for a PTX target.
    pub fn ptx(&self) -> Option<&str> {
        match self.target {
            Target::Ptx(_) => std::str::from_utf8(&self.image).ok(),
            Target::Cubin(_) => None,
        }
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

/// Compiles `program` to PTX for the virtual architecture `arch` (9.0 → `compute_90`).
pub fn compile_ptx(program: &KernelProgram, arch: ComputeCapability) -> Result<CompiledKernel, GpuError> {
    compile(program, Target::Ptx(arch), KernelVariant::Default)
}

/// Compiles `program` for `target` in `variant`. On failure the error carries NVRTC's log.
pub fn compile(program: &KernelProgram, target: Target, variant: KernelVariant) -> Result<CompiledKernel, GpuError> {
    ensure_nvrtc()?;
    let nvrtc = nvrtc_version()?;
    let arch_name = target.arch_name();
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

    let options = compile_options(target, variant);
    // SAFETY: the program handle is live (owned by `guard`).
    let compiled = unsafe { nvrtc_result::compile_program(guard.0, &options) };
    let log = program_log(&guard);
    if let Err(e) = compiled {
        return Err(compile_error(format!("{e:?}"), log));
    }
    let image = match target {
        Target::Ptx(_) => {
            // SAFETY: the program compiled successfully, so it has PTX.
            let chars = unsafe { nvrtc_result::get_ptx(guard.0) }
                .map_err(|e| compile_error(format!("nvrtcGetPTX: {e:?}"), log.clone()))?;
            c_chars_to_string(&chars).into_bytes()
        }
        Target::Cubin(_) => cubin_of(&guard).map_err(|reason| compile_error(reason, log.clone()))?,
    };
    tracing::debug!(program = program.path, %target, variant = variant.name(), bytes = image.len(), "compiled kernel");
    Ok(CompiledKernel { program: program.path, target, variant, nvrtc, image, log })
}

/// The CUBIN of a program compiled for a real architecture.
fn cubin_of(guard: &ProgramGuard) -> Result<Vec<u8>, String> {
    let mut size = 0usize;
    // SAFETY: the program handle is live and compiled; `size` is valid for writes.
    let status = unsafe { nvrtc_sys::nvrtcGetCUBINSize(guard.0, &mut size) };
    status.result().map_err(|e| format!("nvrtcGetCUBINSize: {e:?}"))?;
    if size == 0 {
        return Err("NVRTC produced an empty CUBIN".into());
    }
    let mut cubin = vec![0u8; size];
    // SAFETY: `cubin` has the `size` bytes NVRTC reported for this program's CUBIN.
    let status = unsafe { nvrtc_sys::nvrtcGetCUBIN(guard.0, cubin.as_mut_ptr().cast::<c_char>()) };
    status.result().map_err(|e| format!("nvrtcGetCUBIN: {e:?}"))?;
    Ok(cubin)
}

/// The NVRTC options of one compilation. They are part of the cache key.
pub(crate) fn compile_options(target: Target, variant: KernelVariant) -> Vec<String> {
    let mut options = vec![
        format!("--gpu-architecture={}", target.arch_name()),
        "--std=c++17".to_string(),
        // Source lines in profiles; does not change the generated code.
        "--generate-line-info".to_string(),
    ];
    if matches!(target, Target::Cubin(_)) {
        // ptxas's registers / spills report, into the log.
        options.push("--ptxas-options=-v".to_string());
    }
    options.extend(variant.defines().iter().map(|d| d.to_string()));
    options
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
pub(crate) fn c_chars_to_string(chars: &[c_char]) -> String {
    // c_char is i8 or u8 by platform; either way each is one byte of the text.
    let bytes: Vec<u8> = chars.iter().map(|&c| c as u8).collect();
    match CStr::from_bytes_until_nul(&bytes) {
        Ok(text) => text.to_string_lossy().into_owned(),
        Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// What ptxas reported for one function: registers, stack, spills, shared memory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FunctionResources {
    /// The function (kernel or non-inlined device function).
    pub name: String,
    /// Registers per thread, when reported.
    pub registers: Option<u32>,
    /// Stack frame bytes per thread.
    pub stack_frame_bytes: u32,
    /// Bytes spilled to local memory (stores).
    pub spill_store_bytes: u32,
    /// Bytes read back from spills.
    pub spill_load_bytes: u32,
    /// Static shared memory bytes.
    pub shared_bytes: u32,
}

/// Parses a ptxas `-v` report (from ptxas itself or from a CUBIN compile's NVRTC log)
/// into one entry per function, in order.
pub fn parse_ptxas_report(output: &str) -> Vec<FunctionResources> {
    let number_before = |line: &str, unit: &str| -> Option<u32> {
        let end = line.find(unit)?;
        line[..end].split(|c: char| !c.is_ascii_digit()).rfind(|s| !s.is_empty())?.parse().ok()
    };
    let mut reports: Vec<FunctionResources> = Vec::new();
    for line in output.lines() {
        if let Some(rest) = line.split("Function properties for ").nth(1) {
            reports.push(FunctionResources { name: rest.trim().to_string(), ..Default::default() });
        } else if let Some(current) = reports.last_mut() {
            if line.contains("bytes stack frame") {
                current.stack_frame_bytes = number_before(line, " bytes stack frame").unwrap_or(0);
                current.spill_store_bytes = number_before(line, " bytes spill stores").unwrap_or(0);
                current.spill_load_bytes = number_before(line, " bytes spill loads").unwrap_or(0);
            } else if line.contains("Used ") && line.contains(" registers") {
                current.registers = number_before(line, " registers");
                current.shared_bytes = number_before(line, " bytes smem").unwrap_or(0);
            }
        }
    }
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_chars_stop_at_the_first_nul() {
        let chars: Vec<c_char> = b"ptx text\0garbage".iter().map(|&b| b as c_char).collect();
        assert_eq!(c_chars_to_string(&chars), "ptx text");
    }

    #[test]
    fn targets_name_the_architecture_nvrtc_takes() {
        let hopper = ComputeCapability { major: 9, minor: 0 };
        assert_eq!(Target::Ptx(hopper).arch_name(), "compute_90");
        assert_eq!(Target::Cubin(hopper).arch_name(), "sm_90");
        let options = compile_options(Target::Cubin(hopper), KernelVariant::NoinlineMontgomery);
        assert!(options.contains(&"--gpu-architecture=sm_90".to_string()), "{options:?}");
        assert!(options.iter().any(|o| o.starts_with("-DTP_MONT_NOINLINE")), "{options:?}");
        let plain = compile_options(Target::Ptx(hopper), KernelVariant::Default);
        assert!(!plain.iter().any(|o| o.starts_with("-D") || o.starts_with("--ptxas")), "{plain:?}");
    }

    #[test]
    fn ptxas_reports_are_parsed() {
        let sample = "\
ptxas info    : 112 bytes gmem
ptxas info    : Compiling entry function 'gemm_i8_mma' for 'sm_90'
ptxas info    : Function properties for gemm_i8_mma
    8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads
ptxas info    : Used 236 registers, used 1 barriers, 1152 bytes smem
ptxas info    : Function properties for helper
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
";
        let reports = parse_ptxas_report(sample);
        assert_eq!(
            reports[0],
            FunctionResources {
                name: "gemm_i8_mma".into(),
                registers: Some(236),
                stack_frame_bytes: 8,
                spill_store_bytes: 4,
                spill_load_bytes: 12,
                shared_bytes: 1152
            }
        );
        assert_eq!((reports[1].name.as_str(), reports[1].registers), ("helper", None));
    }
}
