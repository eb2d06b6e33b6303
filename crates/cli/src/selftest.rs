//! `teraproof selftest [--gpu]`: checks this machine can do a supplier's job.
//!
//! Always: a small unit proved and verified on the CPU. With `--gpu`: every GPU kernel
//! against its CPU reference at several shapes (GEMM, then MSM; tables), then a unit
//! computed and proved on the GPU and verified; `--only` picks one of the three. Each
//! row is printed (and flushed) as soon as it is done, and each section opens the
//! device afresh (see [`gpu_section`] for what that does and does not isolate). Exit status 1 on any mismatch, 2 when `--gpu` is asked for and no
//! usable GPU is present.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use teraproof_core::UnitSpec;
use teraproof_gpu::{Gpu, SelftestRow};
use teraproof_prover::{setup_dev, Backend};
use teraproof_verifier::Verifier;

use crate::random_inputs;

/// Proves and verifies `unit` with `backend`; a line for the table.
fn prove_and_verify(unit: &str, backend: Backend) -> Result<SelftestRow> {
    let spec: UnitSpec = unit.parse()?;
    let keys = setup_dev(spec, 1)?;
    let vk = keys.verifying_key()?;
    let prover = backend.prover(keys)?;
    let (a, b) = random_inputs(&spec, 7)?;
    let t = Instant::now();
    let result = prover
        .prove(&a, &b, &mut rand::rngs::OsRng)
        .map_err(anyhow::Error::from)
        .and_then(|out| Ok((Verifier::new(vk).verify(&out.receipt)?, out.receipt.prover.compute_backend)));
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let name = format!("prove+verify ({backend:?})");
    let shape = (spec.m(), spec.k(), spec.n());
    Ok(match result {
        Ok((_, compute)) => SelftestRow { name, shape, passed: true, ms, detail: Some(format!("C on {compute}")) },
        Err(e) => SelftestRow { name, shape, passed: false, ms, detail: Some(e.to_string()) },
    })
}

/// Which GPU sections `selftest --gpu` runs (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// the int8 GEMM against the CPU reference
    Gemm,
    /// the MSM kernels against arkworks, and each MSM phase against the Rust reference
    Msm,
    /// a unit computed and proved on the GPU, the proof checked by the verifier
    Prove,
}

/// Prints a table's rows as they come, each flushed at once: a section that hangs or a
/// process killed at its time limit still leaves every finished row on stdout.
struct RowPrinter {
    passed: bool,
}

impl RowPrinter {
    fn start(title: &str) -> RowPrinter {
        println!("\n{title}");
        println!("  {:<34} {:>18} {:>6} {:>10}  detail", "case", "m x k x n", "ok", "ms");
        flush();
        RowPrinter { passed: true }
    }

    fn row(&mut self, r: &SelftestRow) {
        let (m, k, n) = r.shape;
        println!(
            "  {:<34} {:>18} {:>6} {:>10.2}  {}",
            r.name,
            format!("{m}x{k}x{n}"),
            if r.passed { "pass" } else { "FAIL" },
            r.ms,
            r.detail.as_deref().unwrap_or("")
        );
        flush();
        self.passed &= r.passed;
    }
}

fn flush() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// One GPU section in a context of its own: the device is opened for it and closed after
/// it, so an error left in one section's context does not reach the next. A *sticky*
/// error (an illegal address, say) poisons the whole process, though, which CUDA clears
/// only with a new one: scripts/gpu-validate.sh therefore runs each section as its own
/// process with `--only`.
fn gpu_section(title: &str, run: impl FnOnce(&Gpu, &mut RowPrinter)) -> bool {
    let started = Instant::now();
    let mut printer = RowPrinter::start(title);
    match Gpu::detect() {
        Ok(device) => run(&device, &mut printer),
        Err(e) => printer.row(&SelftestRow {
            name: "opening the GPU".into(),
            shape: (0, 0, 0),
            passed: false,
            ms: 0.0,
            detail: Some(e.to_string()),
        }),
    }
    println!("  ({:.1} s)", started.elapsed().as_secs_f64());
    flush();
    printer.passed
}

pub fn run(gpu: bool, quick: bool, only: Option<Section>) -> Result<ExitCode> {
    let started = Instant::now();
    let mut printer = RowPrinter::start("CPU");
    printer.row(&prove_and_verify("mm-i8-3x5x7", Backend::Cpu)?);
    let mut all_passed = printer.passed;

    if gpu {
        match Gpu::detect() {
            Ok(device) => println!("\nGPU: {}", device.description()),
            Err(reason) => {
                println!("no usable GPU: {reason}");
                return Ok(ExitCode::from(2));
            }
        }
        let wanted = |section| only.is_none_or(|o| o == section);
        if wanted(Section::Gemm) {
            let title = if quick {
                "int8 GEMM, quick (GPU vs CPU reference, exact)"
            } else {
                "int8 GEMM (GPU vs CPU reference, exact)"
            };
            all_passed &= gpu_section(title, |device, printer| {
                teraproof_gpu::selftest_gemm_streaming(device, quick, &mut |row| printer.row(row));
            });
        }
        if wanted(Section::Msm) {
            let title = "MSM (GPU vs arkworks, exact; shape = points x window bits x 1)";
            all_passed &= gpu_section(title, |device, printer| {
                teraproof_gpu::selftest_msm_streaming(device, quick, &mut |row| printer.row(row));
            });
        }
        if wanted(Section::Prove) {
            // The whole job on the GPU: C and all five MSMs; the proof checked by the
            // verifier. The prover opens the device itself (a context of its own); the
            // kernel images the sections above loaded are reused from this process's
            // cache, so it compiles nothing. Quick: the smallest unit (1 841
            // constraints), for the sanitizers.
            let unit = if quick { "mm-i8-1x1x1" } else { "CU-16" };
            let section_started = Instant::now();
            let mut printer = RowPrinter::start("end to end");
            let row = prove_and_verify(unit, Backend::Cuda { device: 0 })?;
            let on_gpu = row.detail.as_deref() == Some("C on cuda");
            printer.row(&row);
            all_passed &= printer.passed && on_gpu;
            println!("  ({:.1} s)", section_started.elapsed().as_secs_f64());
        }
    }

    println!("\nselftest {} in {:.1} s", if all_passed { "passed" } else { "FAILED" }, started.elapsed().as_secs_f64());
    flush();
    Ok(if all_passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_selftest_row_passes() {
        let row = prove_and_verify("mm-i8-2x3x4", Backend::Cpu).unwrap();
        assert!(row.passed, "{row:?}");
        assert_eq!(row.shape, (2, 3, 4));
        assert_eq!(row.detail.as_deref(), Some("C on cpu"));
    }
}
