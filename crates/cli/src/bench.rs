//! `teraproof bench`: what proving costs against the compute it protects, per unit.
//!
//! For each unit: constraints (ours and the textbook circuit's), the CPU compute time,
//! witness, QAP, MSM and total prove times (median of `--repeats` proofs), the verify
//! time (median of 50), proof size, proof overhead (prove / compute) and prover
//! seconds per verified TFLOP. Optionally JSON and an SVG plot.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use serde_json::json;
use teraproof_circuits::circuit_cost;
use teraproof_core::{compute_unit_cpu, UnitSpec, PROOF_BYTES};
use teraproof_prover::Backend;
use teraproof_verifier::Verifier;

use crate::demo::cached_dev_keys;
use crate::{random_inputs, write};

/// One unit's measurements (milliseconds unless named otherwise).
#[derive(Debug, Clone)]
pub struct Row {
    pub unit: UnitSpec,
    pub constraints: usize,
    pub naive_constraints: usize,
    pub compute_ms: f64,
    pub witness_ms: f64,
    pub qap_ms: f64,
    pub msm_ms: f64,
    pub prove_ms: f64,
    pub verify_ms: f64,
    pub backend: String,
    pub device: String,
}

impl Row {
    fn overhead(&self) -> f64 {
        self.prove_ms / self.compute_ms.max(1e-9)
    }
    /// Prover seconds per verified TFLOP (10¹² operations).
    fn prover_s_per_tflop(&self) -> f64 {
        (self.prove_ms / 1e3) / (self.unit.ops() as f64 / 1e12)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn measure(spec: UnitSpec, repeats: usize, backend: Backend, pb: &ProgressBar) -> Result<Row> {
    pb.set_message(format!("{spec}: keys"));
    let (keys, _) = cached_dev_keys(&spec)?;
    let vk = keys.verifying_key()?;
    let cost = circuit_cost(&spec)?;
    pb.set_message(crate::preparing(backend, &format!("{spec}: loading the circuit")));
    let prover = backend.prover(keys)?;
    let (a, b) = random_inputs(&spec, 1)?;
    // Compute alone, many times: it is microseconds for small units.
    let compute: Vec<f64> = (0..25)
        .map(|_| {
            let t = Instant::now();
            let c = compute_unit_cpu(&spec, &a, &b);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(c).map(|_| ms)
        })
        .collect::<Result<_, _>>()?;
    let mut phases: [Vec<f64>; 4] = Default::default();
    let mut prove = Vec::new();
    let mut receipt = None;
    for i in 0..repeats {
        pb.set_message(format!("{spec}: proof {}/{repeats}", i + 1));
        let out = prover.prove(&a, &b, &mut rand::rngs::OsRng)?;
        let t = &out.receipt.prover.timings;
        for (v, x) in phases.iter_mut().zip([t.compute_ms, t.witness_ms, t.qap_ms, t.msm_ms]) {
            v.push(x);
        }
        prove.push(t.total_ms - t.compute_ms);
        receipt = Some(out.receipt);
    }
    let receipt = receipt.context("at least one repeat")?;
    pb.set_message(format!("{spec}: verify"));
    let verifier = Verifier::new(vk);
    let verify: Vec<f64> = (0..50)
        .map(|_| {
            let t = Instant::now();
            verifier.verify(&receipt).map(|_| t.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    let [_, witness, qap, msm] = phases;
    Ok(Row {
        unit: spec,
        constraints: cost.constraints,
        naive_constraints: cost.naive_constraints,
        compute_ms: median(compute),
        witness_ms: median(witness),
        qap_ms: median(qap),
        msm_ms: median(msm),
        prove_ms: median(prove),
        verify_ms: median(verify),
        backend: receipt.prover.backend.clone(),
        device: receipt.prover.device.clone(),
    })
}

pub fn run(
    units: &[String],
    repeats: usize,
    backend: Backend,
    json_out: Option<&Path>,
    svg: Option<&Path>,
) -> Result<()> {
    let outputs: Vec<&Path> = json_out.into_iter().chain(svg).collect();
    crate::make_output_folders(&outputs)?;
    crate::check_outputs(&outputs, &[], None)?;
    let specs: Vec<UnitSpec> = units.iter().map(|u| u.parse()).collect::<Result<_, _>>()?;
    let pb = ProgressBar::new(specs.len() as u64);
    pb.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]").expect("static template"));
    let mut rows = Vec::new();
    for spec in specs {
        rows.push(measure(spec, repeats.max(1), backend, &pb)?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    print_table(&rows);
    if let Some(path) = json_out {
        write(path, &serde_json::to_string_pretty(&to_json(&rows))?)?;
        println!("json: {}", path.display());
    }
    if let Some(path) = svg {
        plot(&rows, path)?;
        println!("plot: {}", path.display());
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    if let Some(r) = rows.first() {
        println!("backend: {} ({}); times are medians; prove excludes compute", r.backend, r.device);
    }
    println!(
        "{:<18} {:>10} {:>11} {:>11} {:>10} {:>9} {:>9} {:>10} {:>9} {:>6} {:>10} {:>12}",
        "unit",
        "constr.",
        "naive",
        "compute ms",
        "witness",
        "qap",
        "msm",
        "prove ms",
        "verify",
        "bytes",
        "overhead",
        "s/TFLOP"
    );
    for r in rows {
        println!(
            "{:<18} {:>10} {:>11} {:>11.4} {:>10.1} {:>9.1} {:>9.1} {:>10.1} {:>9.2} {:>6} {:>9.0}x {:>12.0}",
            r.unit.id(),
            r.constraints,
            r.naive_constraints,
            r.compute_ms,
            r.witness_ms,
            r.qap_ms,
            r.msm_ms,
            r.prove_ms,
            r.verify_ms,
            PROOF_BYTES,
            r.overhead(),
            r.prover_s_per_tflop()
        );
    }
}

fn to_json(rows: &[Row]) -> serde_json::Value {
    json!(rows
        .iter()
        .map(|r| json!({
            "unit": r.unit.id(),
            "ops": r.unit.ops(),
            "constraints": r.constraints,
            "naive_constraints": r.naive_constraints,
            "compute_ms": r.compute_ms,
            "witness_ms": r.witness_ms,
            "qap_ms": r.qap_ms,
            "msm_ms": r.msm_ms,
            "prove_ms": r.prove_ms,
            "verify_ms": r.verify_ms,
            "proof_bytes": PROOF_BYTES,
            "proof_overhead": r.overhead(),
            "prover_seconds_per_tflop": r.prover_s_per_tflop(),
            "backend": r.backend,
            "device": r.device,
        }))
        .collect::<Vec<_>>())
}

/// Prove time and proof overhead against unit size (n of CU-n, or the cube root of m·k·n).
fn plot(rows: &[Row], path: &Path) -> Result<()> {
    let size = |r: &Row| ((r.unit.m() * r.unit.k() * r.unit.n()) as f64).cbrt();
    let xs: Vec<f64> = rows.iter().map(size).collect();
    let (x_min, x_max) = (xs.iter().cloned().fold(f64::MAX, f64::min), xs.iter().cloned().fold(0.0, f64::max));
    let max_prove = rows.iter().map(|r| r.prove_ms).fold(0.0, f64::max);
    let max_over = rows.iter().map(|r| r.overhead()).fold(0.0, f64::max);
    // Drawn into memory, then written like every output (temporary file, rename).
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(450);
        let mut chart = ChartBuilder::on(&left)
            .caption("prove time (ms)", ("sans-serif", 18))
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d((x_min * 0.9)..(x_max * 1.1), 0.0..(max_prove * 1.15))?;
        chart.configure_mesh().x_desc("unit size n (CU-n)").draw()?;
        chart.draw_series(LineSeries::new(rows.iter().map(|r| (size(r), r.prove_ms)), &BLUE))?;
        chart.draw_series(rows.iter().map(|r| Circle::new((size(r), r.prove_ms), 4, BLUE.filled())))?;
        let mut chart = ChartBuilder::on(&right)
            .caption("proof overhead (prove / compute)", ("sans-serif", 18))
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d((x_min * 0.9)..(x_max * 1.1), 0.0..(max_over * 1.15))?;
        chart.configure_mesh().x_desc("unit size n (CU-n)").draw()?;
        chart.draw_series(LineSeries::new(rows.iter().map(|r| (size(r), r.overhead())), &RED))?;
        chart.draw_series(rows.iter().map(|r| Circle::new((size(r), r.overhead()), 4, RED.filled())))?;
        root.present().with_context(|| format!("cannot draw {}", path.display()))?;
    }
    crate::write_bytes(path, svg.as_bytes())
}
