//! `teraproof bench gemm`: the unit's workload alone, GPU against CPU and cuBLASLt.
//!
//! GPU figures are medians over `--repeats` launches timed with CUDA events, operands
//! resident on the device (ours includes its operand preparation, cuBLASLt's does
//! not); the CPU figure is the median wall time of the exact reference. TOPS counts
//! `2·m·k·n` operations.

use std::time::Instant;

use anyhow::Result;
use teraproof_core::{matmul_cpu, Matrix, UnitSpec};
use teraproof_gpu::Gpu;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn tops(spec: &UnitSpec, ms: f64) -> f64 {
    spec.ops() as f64 / (ms / 1e3) / 1e12
}

fn cpu_ms(spec: &UnitSpec, repeats: usize) -> Result<f64> {
    let a = Matrix::from_fn(spec.m(), spec.k(), |i, j| ((i * 7 + j * 3) % 255) as u8 as i8)?;
    let b = Matrix::from_fn(spec.k(), spec.n(), |i, j| ((i * 5 + j * 11) % 255) as u8 as i8)?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t = Instant::now();
        std::hint::black_box(matmul_cpu(&a, &b)?);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(median(times))
}

pub fn run(units: &[String], repeats: usize, cpu_max: usize) -> Result<()> {
    let specs = units.iter().map(|u| u.parse::<UnitSpec>()).collect::<Result<Vec<_>, _>>()?;
    let gpu = Gpu::detect();
    match &gpu {
        Ok(g) => println!("GPU {} ({}, driver {})", g.name(), g.compute_capability().sm_name(), g.driver_version()),
        Err(reason) => println!("no usable GPU ({reason}): CPU figures only"),
    }
    println!(
        "{:<20} {:>12} {:>9} {:>12} {:>9} {:>12} {:>9} {:>8} {:>6}",
        "unit", "gpu ms", "TOPS", "cuBLASLt ms", "TOPS", "cpu ms", "TOPS", "vs cuBL", "same"
    );
    for spec in specs {
        let shape = (spec.m(), spec.k(), spec.n());
        let gpu_row = gpu.as_ref().ok().map(|g| teraproof_gpu::bench_gemm(g, &[shape], repeats.max(1)).remove(0));
        let cpu = if spec.m().max(spec.n()).max(spec.k()) <= cpu_max {
            Some(cpu_ms(&spec, repeats.clamp(1, 5))?)
        } else {
            None
        };
        let cell = |r: Option<f64>| r.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
        let ours = gpu_row.as_ref().and_then(|r| r.ours.as_ref().ok());
        let theirs = gpu_row.as_ref().and_then(|r| r.cublaslt.as_ref().ok());
        println!(
            "{:<20} {:>12} {:>9} {:>12} {:>9} {:>12} {:>9} {:>8} {:>6}",
            spec.to_string(),
            cell(ours.map(|t| t.median_ms)),
            cell(ours.map(|t| t.tops)),
            cell(theirs.map(|t| t.median_ms)),
            cell(theirs.map(|t| t.tops)),
            cell(cpu),
            cell(cpu.map(|ms| tops(&spec, ms))),
            cell(gpu_row.as_ref().and_then(|r| r.ratio_to_cublaslt())),
            gpu_row.as_ref().and_then(|r| r.outputs_agree()).map_or("-", |same| if same { "yes" } else { "NO" }),
        );
        if let Some(row) = &gpu_row {
            for (what, result) in [("ours", &row.ours), ("cuBLASLt", &row.cublaslt)] {
                if let Err(e) = result {
                    println!("  {what}: {e}");
                }
            }
        }
    }
    Ok(())
}
