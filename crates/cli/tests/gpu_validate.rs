//! The one-call GPU validation script, dry: on a machine without a GPU it must finish in
//! seconds, say "no GPU", and leave no more files than the device tool brings back.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn the_dry_run_without_a_gpu_reports_no_gpu_in_seconds() {
    if Command::new("nvidia-smi").arg("-L").output().is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED the_dry_run_without_a_gpu_reports_no_gpu_in_seconds: this machine has a GPU");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let run = Command::new("bash")
        .arg(repo_root().join("scripts/gpu-validate.sh"))
        .env("TERAPROOF_BIN", env!("CARGO_BIN_EXE_teraproof"))
        .env("OUT", out.path())
        .env("TERAPROOF_KERNEL_CACHE", "/nonexistent/is-replaced-by-the-script")
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(100), "exit status 100 means no GPU:\n{stdout}");
    assert!(took < Duration::from_secs(60), "the dry run took {took:?}");
    let summary = std::fs::read_to_string(out.path().join("summary.txt")).unwrap();
    assert!(summary.contains("no GPU"), "{summary}");
    for part in ["kernel cache", "compute-sanitizer", "nvidia-smi", "no usable GPU"] {
        assert!(summary.contains(part), "the device report has {part}: {summary}");
    }
    let files: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "only summary.txt without a GPU: {files:?}");
}

#[test]
fn the_script_refuses_to_run_without_its_binary() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new("bash")
        .arg(repo_root().join("scripts/gpu-validate.sh"))
        .env("TERAPROOF_BIN", out.path().join("missing"))
        .env("OUT", out.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&run.stdout).contains("device-bundle.sh"));
}
