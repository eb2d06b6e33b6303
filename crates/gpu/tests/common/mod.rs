//! Shared by the integration tests: finding the CUDA tools (NVRTC, ptxas) and the host
//! C++ compiler, and scratch space.
#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root (this crate is `crates/gpu`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// Where `scripts/cuda-tools.sh` installs the wheels.
fn project_tools() -> PathBuf {
    repo_root().join(".tools/cuda/nvidia/cu13")
}

/// A scratch folder for this test binary.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("teraproof-gpu").join(name);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// An explicitly configured tool path that does not exist is a setup error, not a
/// reason to skip: fail loudly.
fn configured(var: &str) -> Option<PathBuf> {
    let value = std::env::var_os(var)?;
    let path = PathBuf::from(value);
    assert!(path.exists(), "{var} is set to {}, which does not exist (run scripts/cuda-tools.sh)", path.display());
    Some(path)
}

/// Makes NVRTC loadable for this process: `TERAPROOF_NVRTC_LIB_DIR` (the library reads
/// it itself), else the project-local `.tools/cuda`, else whatever the loader finds.
/// `Err` carries the reason to print when skipping.
pub fn nvrtc() -> Result<(), String> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            if configured(teraproof_gpu::nvrtc::NVRTC_LIB_DIR_ENV).is_none() {
                let local = project_tools().join("lib");
                if local.join("libnvrtc.so.13").exists() {
                    teraproof_gpu::nvrtc::preload_nvrtc_from(&local).map_err(|e| e.to_string())?;
                }
            }
            teraproof_gpu::nvrtc::ensure_nvrtc()
                .map_err(|e| format!("{e}\n(install it with `scripts/cuda-tools.sh`, or set TERAPROOF_NVRTC_LIB_DIR)"))
        })
        .clone()
}

/// ptxas: `TERAPROOF_PTXAS`, else the project-local `.tools/cuda`, else a CUDA toolkit's
/// (`$CUDA_HOME/bin`, `/usr/local/cuda/bin`, PATH). `Err` carries the reason to print.
pub fn ptxas() -> Result<PathBuf, String> {
    if let Some(path) = configured("TERAPROOF_PTXAS") {
        return Ok(path);
    }
    let mut candidates = vec![project_tools().join("bin/ptxas")];
    if let Some(home) = std::env::var_os("CUDA_HOME") {
        candidates.push(PathBuf::from(home).join("bin/ptxas"));
    }
    candidates.push(PathBuf::from("/usr/local/cuda/bin/ptxas"));
    candidates.push(PathBuf::from("ptxas"));
    candidates
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()))
        .ok_or_else(|| "ptxas not found (install it with `scripts/cuda-tools.sh`, or set TERAPROOF_PTXAS)".to_string())
}

/// A host C++ compiler: `$CXX`, else `c++`, `g++`, `clang++`.
pub fn cxx() -> Result<String, String> {
    let candidates = std::env::var("CXX").into_iter().chain(["c++", "g++", "clang++"].map(String::from));
    candidates
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .ok_or_else(|| "no C++ compiler found (set CXX or install g++)".to_string())
}

/// Prints why a GPU test is skipping on a machine without (a suitable) GPU: allowed in
/// CI, which has none.
pub fn skip_without_gpu(test: &str, reason: &str) {
    eprintln!("SKIPPED {test}: {reason}");
}

/// Prints why a test is skipping, visibly even without `--nocapture`'s help. In CI
/// (`CI` set) a missing tool is a failure instead: scripts/test.sh installs them all.
pub fn skip(test: &str, reason: &str) {
    assert!(std::env::var_os("CI").is_none(), "{test} cannot run in CI: {reason}");
    eprintln!("SKIPPED {test}: {reason}");
}

/// Builds `crates/gpu/tests/host/<name>.cpp` with the host C++ compiler, including the
/// kernels' headers, with AddressSanitizer and UBSan when the compiler supports them.
/// `Err` is the reason to skip (no compiler); a compiler that cannot build the
/// kernels' headers fails the test.
#[allow(dead_code)] // not every test binary builds a harness
pub fn build_host_harness(name: &str) -> Result<PathBuf, String> {
    let cxx = cxx()?;
    let root = repo_root();
    let source = root.join(format!("crates/gpu/tests/host/{name}.cpp"));
    let binary = scratch_dir("host").join(name);
    let build = |extra: &[&str]| {
        Command::new(&cxx)
            // The harnesses view word buffers as field elements and points, as the kernels do.
            .args(["-std=c++17", "-O2", "-g", "-Wall", "-Wextra", "-fno-strict-aliasing"])
            .args(extra)
            .arg("-I")
            .arg(root.join("kernels"))
            .arg(&source)
            .arg("-o")
            .arg(&binary)
            .output()
            .map_err(|e| format!("cannot run {cxx}: {e}"))
    };
    let mut output = build(&["-fsanitize=address,undefined", "-fno-sanitize-recover=all"])?;
    if !output.status.success() {
        eprintln!("note: building {name} with sanitizers failed; building without them");
        output = build(&[])?;
    }
    let diagnostics = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{cxx} failed to build the host harness {name}:\n{diagnostics}");
    if !diagnostics.trim().is_empty() {
        eprintln!("{cxx} warnings for the host harness {name}:\n{diagnostics}");
    }
    Ok(binary)
}
