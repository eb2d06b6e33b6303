//! `teraproof bench job`: what a whole job costs on this machine. For one GEMM shape on
//! one unit: the CPU GEMM alone, then the job proven with each `--in-flight` setting
//! (units proven at once; 1 is one unit at a time with parallel MSMs), with total time,
//! units per second and peak resident memory, and the job's verification (all unit
//! receipts, batched per key) with and without the buyer's tile check.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Result};
use serde_json::json;
use teraproof_core::{matmul_cpu, GemmShape, UnitSpec};
use teraproof_prover::{Backend, JobOptions, JobProver};

use crate::demo::cached_dev_job_keys;
use crate::{random_inputs, spinner, write};

/// Peak resident set of this process in bytes (`VmHWM`), Linux only.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak (`VmHWM`) to the current resident set, so that each run reports
/// its own peak; false where the kernel does not allow it.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn median_ms(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times[times.len() / 2])
}

pub fn run(unit: &str, shape: &str, in_flight: &[usize], backend: Backend, json_out: Option<&Path>) -> Result<()> {
    let outputs: Vec<&Path> = json_out.into_iter().collect();
    crate::make_output_folders(&outputs)?;
    crate::check_outputs(&outputs, &[], None)?;
    let spec: UnitSpec = unit.parse()?;
    let shape: GemmShape = shape.parse()?;
    if in_flight.contains(&0) {
        bail!("--in-flight values must be at least 1");
    }
    let pb = spinner(format!("development keys for jobs on {spec} (cached after the first run)"));
    let keys = cached_dev_job_keys(&spec)?;
    let prover = JobProver::load(&keys, backend)?;
    let tiling = prover.tiling(shape)?;
    let units = tiling.units();
    let (a, b) = random_inputs(&UnitSpec::new(shape.m, shape.k, shape.n)?, 1)?;
    pb.set_message(format!("{shape}: the CPU GEMM alone"));
    let gemm_ms = median_ms(5, || matmul_cpu(&a, &b).map(|_| ()).map_err(Into::into))?;
    pb.finish_and_clear();

    println!(
        "job {shape} on CU-{} ({units} units, {} backend), CPU GEMM {gemm_ms:.2} ms",
        tiling.tile(),
        prover.product().spec()
    );
    println!("{:>9} {:>10} {:>9} {:>12} {:>14}", "in flight", "total s", "units/s", "peak RSS MB", "overhead");
    let mut rows = Vec::new();
    let mut last = None;
    for &n in in_flight {
        let exact_peak = reset_peak_rss();
        let options = JobOptions { work_dir: None, units_in_flight: n };
        let pb = spinner(format!("proving with {n} unit(s) in flight"));
        let t = Instant::now();
        let out = prover.prove_job(&a, &b, &options, &|done, total| {
            pb.set_message(format!("{n} in flight: {done}/{total} units"))
        })?;
        let total_ms = t.elapsed().as_secs_f64() * 1e3;
        pb.finish_and_clear();
        let rss = peak_rss();
        let overhead = total_ms / gemm_ms.max(1e-9);
        println!(
            "{n:>9} {:>10.1} {:>9.2} {:>12} {:>13.0}x",
            total_ms / 1e3,
            units as f64 / (total_ms / 1e3),
            rss.map_or("?".into(), |r| format!(
                "{:.0}{}",
                r as f64 / 1e6,
                if exact_peak { "" } else { " (max so far)" }
            )),
            overhead
        );
        rows.push(json!({
            "units_in_flight": n, "total_ms": total_ms, "units_per_s": units as f64 / (total_ms / 1e3),
            "peak_rss_bytes": rss, "peak_rss_is_this_run": exact_peak, "overhead_vs_cpu_gemm": overhead,
            "compute_ms": out.compute_ms,
        }));
        last = Some(out);
    }
    let Some(out) = last else { bail!("give at least one --in-flight value") };
    let verifier = prover.verifier();
    let verify_ms = median_ms(5, || verifier.verify_gemm_job(&out.receipt).map(|_| ()).map_err(Into::into))?;
    let buyer_ms = median_ms(5, || {
        verifier.verify_gemm_job_with_data(&out.receipt, &a, &b, Some(&out.c)).map(|_| ()).map_err(Into::into)
    })?;
    println!(
        "verify     {verify_ms:.1} ms for {units} unit receipts ({:.3} ms per unit, batched per key); with the buyer's \
         tile check of A, B and C {buyer_ms:.1} ms",
        verify_ms / units as f64
    );
    println!("job receipt {} bytes", out.receipt.to_json().len());
    if let Some(path) = json_out {
        let doc = json!({
            "shape": shape.to_string(), "unit": spec.id(), "units": units,
            "msm_backend": out.receipt.units[0].receipt.prover.backend, "cpu_gemm_ms": gemm_ms, "runs": rows,
            "verify_ms": verify_ms, "verify_ms_per_unit": verify_ms / units as f64, "verify_with_data_ms": buyer_ms,
            "job_receipt_bytes": out.receipt.to_json().len(),
        });
        write(path, &(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    Ok(())
}
