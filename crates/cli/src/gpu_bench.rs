//! `teraproof bench gemm` and `teraproof bench msm`: the GPU kernels alone.
//!
//! gemm: the unit's workload, GPU against CPU and cuBLASLt.
//! GPU figures are medians over `--repeats` launches timed with CUDA events, operands
//! resident on the device (ours includes its operand preparation, cuBLASLt's does
//! not); the CPU figure is the median wall time of the exact reference. TOPS counts
//! `2·m·k·n` operations.

use std::time::Instant;

use anyhow::Result;
use teraproof_core::{matmul_cpu, Matrix, UnitSpec};
use teraproof_gpu::kernels::KernelVariant;
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

pub fn gemm(units: &[String], repeats: usize, cpu_max: usize) -> Result<()> {
    let specs = units.iter().map(|u| u.parse::<UnitSpec>()).collect::<Result<Vec<_>, _>>()?;
    let gpu = Gpu::detect();
    match &gpu {
        Ok(g) => println!("GPU {}", g.description()),
        Err(reason) => println!("no usable GPU ({reason}): CPU figures only"),
    }
    println!(
        "{:<20} {:>12} {:>9} {:>12} {:>9} {:>12} {:>9} {:>8} {:>6}",
        "unit", "gpu ms", "TOPS", "cuBLASLt ms", "TOPS", "cpu ms", "TOPS", "vs cuBL", "same"
    );
    let mut failures = 0;
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
            // Our kernel failing, or disagreeing with cuBLASLt, fails the command.
            if row.ours.is_err() {
                failures += 1;
            }
            if row.outputs_agree() == Some(false) {
                failures += 1;
            }
        }
    }
    if failures > 0 {
        anyhow::bail!("{failures} GPU GEMM failure(s) or disagreement(s) with cuBLASLt (see above)");
    }
    Ok(())
}

/// MSM timings for G1 and G2 at `2^log` points, per kernel variant: the GPU (bases
/// resident on the device, timed with CUDA events from the scalar upload to the result;
/// every variant on the same inputs, its result compared with the first's) and our CPU
/// MSM.
pub fn msm(log_sizes: &[u32], repeats: usize, cpu_max_log: u32, variants: &[KernelVariant]) -> Result<()> {
    use ark_std::UniformRand;
    use teraproof_prover::{msm_g1_once, msm_g2_once, BaseSet, CpuMsm};

    let most = teraproof_gpu::MAX_MSM_LOG_SIZE;
    if let Some(&log) = log_sizes.iter().find(|&&log| log > most) {
        anyhow::bail!(
            "--log-sizes {log}: at most {most} (the MSM takes at most {} points)",
            teraproof_gpu::MAX_MSM_POINTS
        );
    }
    if variants.is_empty() {
        anyhow::bail!("--variants: name at least one kernel variant");
    }
    let gpu = Gpu::detect();
    match &gpu {
        Ok(g) => println!("GPU {}", g.description()),
        Err(reason) => println!("no usable GPU ({reason}): CPU figures only"),
    }
    let gpu_rows = match &gpu {
        Ok(g) => {
            println!("loading the MSM kernels (built ahead, else NVRTC once per process)…");
            teraproof_gpu::bench_msm(g, log_sizes, repeats.max(1), variants)
        }
        Err(_) => Vec::new(),
    };
    println!(
        "{:<6} {:>5} {:<14} {:>14} {:>14} {:>8} {:>6} {:>12}",
        "curve", "log n", "variant", "gpu median ms", "gpu min ms", "window", "same", "cpu ms"
    );
    let mut rng = rand::rngs::OsRng;
    let mut disagreements = 0;
    for &log in log_sizes {
        for curve in ["G1", "G2"] {
            // One random base repeated: our CPU MSM does not special-case equal bases,
            // and making 2^16 random points would take longer than the MSM.
            let cpu = if log <= cpu_max_log {
                let n = 1usize << log;
                let scalars: Vec<ark_bn254::Fr> = (0..n).map(|_| ark_bn254::Fr::rand(&mut rng)).collect();
                let started = Instant::now();
                if curve == "G1" {
                    let bases = vec![ark_bn254::G1Affine::rand(&mut rng); n];
                    let _ = std::hint::black_box(msm_g1_once(&CpuMsm, BaseSet::A, &bases, &scalars)?);
                } else {
                    let bases = vec![ark_bn254::G2Affine::rand(&mut rng); n];
                    let _ = std::hint::black_box(msm_g2_once(&CpuMsm, BaseSet::BG2, &bases, &scalars)?);
                }
                Some(started.elapsed().as_secs_f64() * 1e3)
            } else {
                None
            };
            let cpu = cpu.map_or_else(|| "-".to_string(), |ms| format!("{ms:.1}"));
            let rows: Vec<_> = gpu_rows.iter().filter(|r| r.curve == curve && r.log_size == log).collect();
            if rows.is_empty() {
                println!("{curve:<6} {log:>5} {:<14} {:>14} {:>14} {:>8} {:>6} {cpu:>12}", "-", "-", "-", "-", "-");
            }
            for row in rows {
                let (median, min, window) = match &row.timing {
                    Ok(t) => (format!("{:.3}", t.median_ms), format!("{:.3}", t.min_ms), t.window_bits.to_string()),
                    Err(e) => {
                        println!("  {curve} 2^{log} {}: {e}", row.variant);
                        ("error".into(), "-".into(), "-".into())
                    }
                };
                let same = match row.agrees_with_first {
                    Some(true) => "yes",
                    Some(false) => {
                        disagreements += 1;
                        "NO"
                    }
                    None => "-",
                };
                let variant = row.variant.name();
                println!("{curve:<6} {log:>5} {variant:<14} {median:>14} {min:>14} {window:>8} {same:>6} {cpu:>12}");
            }
        }
    }
    if disagreements > 0 {
        anyhow::bail!("{disagreements} MSM result(s) differ between kernel variants on the same inputs");
    }
    let errors = gpu_rows.iter().filter(|r| r.timing.is_err()).count();
    if errors > 0 {
        anyhow::bail!("{errors} GPU MSM benchmark row(s) failed (see above)");
    }
    Ok(())
}
