//! `teraproof selftest [--gpu]`: checks this machine can do a supplier's job.
//!
//! Always: a small unit proved and verified on the CPU. With `--gpu`: every GPU kernel
//! against its CPU reference at several shapes (GEMM, then MSM; tables), then a unit
//! computed and proved on the GPU and verified. Exit status 1 on any mismatch, 2 when `--gpu` is asked
//! for and no usable GPU is present.

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

fn print_table(title: &str, rows: &[SelftestRow]) {
    println!("{title}");
    println!("  {:<34} {:>18} {:>6} {:>10}  detail", "case", "m x k x n", "ok", "ms");
    for r in rows {
        let (m, k, n) = r.shape;
        println!(
            "  {:<34} {:>18} {:>6} {:>10.2}  {}",
            r.name,
            format!("{m}x{k}x{n}"),
            if r.passed { "pass" } else { "FAIL" },
            r.ms,
            r.detail.as_deref().unwrap_or("")
        );
    }
}

pub fn run(gpu: bool, quick: bool) -> Result<ExitCode> {
    let mut all_passed = true;
    let cpu = vec![prove_and_verify("mm-i8-3x5x7", Backend::Cpu)?];
    all_passed &= cpu.iter().all(|r| r.passed);
    print_table("CPU", &cpu);

    if gpu {
        let device = match Gpu::detect() {
            Ok(device) => device,
            Err(reason) => {
                println!("no usable GPU: {reason}");
                return Ok(ExitCode::from(2));
            }
        };
        println!("\nGPU: {}", device.description());
        let gemm = teraproof_gpu::selftest_gemm(&device);
        all_passed &= gemm.iter().all(|r| r.passed);
        print_table("int8 GEMM (GPU vs CPU reference, exact)", &gemm);
        println!("\nMSM kernels: NVRTC compile on first use (about a minute), then the kernel cache…");
        let msm = if quick { teraproof_gpu::selftest_msm_quick(&device) } else { teraproof_gpu::selftest_msm(&device) };
        all_passed &= msm.iter().all(|r| r.passed);
        print_table("MSM (GPU vs arkworks, exact; shape = points x window bits x 1)", &msm);
        drop(device);

        // The whole job on the GPU: C and all five MSMs; the proof checked by the
        // verifier. Quick: the smallest unit (1 841 constraints), for the sanitizers.
        let unit = if quick { "mm-i8-1x1x1" } else { "CU-16" };
        let job = vec![prove_and_verify(unit, Backend::Cuda { device: 0 })?];
        all_passed &= job.iter().all(|r| r.passed && r.detail.as_deref() == Some("C on cuda"));
        print_table("end to end", &job);
    }

    if all_passed {
        println!("\nselftest passed");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\nselftest FAILED");
        Ok(ExitCode::from(1))
    }
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
