//! `teraproof bench`: what proving costs against the compute it protects, per unit.
//!
//! For each unit and proof system (`--systems groth16,sumcheck`), on the same seeded
//! matrices: the CPU compute time, the prove time and its phases (median of `--repeats`
//! proofs), the verify time, the proof size, the key (Groth16 proving key) or SRS size,
//! the proof overhead (prove / compute) and prover seconds per verified TFLOP. The
//! Groth16 rows also give the constraint counts (ours and the textbook circuit's) and
//! witness, QAP and MSM times; the sumcheck rows the commitment, sumcheck and opening
//! times and the buyer's cost of recomputing the commitments to A and B. Optionally
//! JSON and an SVG plot.

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

use crate::demo::{cached_dev_keys, dev_key_dir};
use crate::sumcheck::{SumcheckRow, System};
use crate::{median, random_inputs, write};

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
    /// bytes of the proving key (and the rest of the key directory but `accumulate/`)
    pub key_bytes: u64,
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

/// The CPU product's time (median of 25 runs: it is microseconds for small units).
fn compute_time(spec: &UnitSpec, a: &teraproof_core::Matrix<i8>, b: &teraproof_core::Matrix<i8>) -> Result<f64> {
    let runs: Vec<f64> = (0..25)
        .map(|_| {
            let t = Instant::now();
            let c = compute_unit_cpu(spec, a, b);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(c).map(|_| ms)
        })
        .collect::<Result<_, _>>()?;
    Ok(median(runs))
}

/// The bytes of the plain files directly in `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
        })
        .unwrap_or(0)
}

/// A sumcheck row with its unit and compute time.
pub struct SumcheckBench {
    pub unit: UnitSpec,
    pub compute_ms: f64,
    pub row: SumcheckRow,
}

impl SumcheckBench {
    fn overhead(&self) -> f64 {
        self.row.prove_ms / self.compute_ms.max(1e-9)
    }
    fn prover_s_per_tflop(&self) -> f64 {
        (self.row.prove_ms / 1e3) / (self.unit.ops() as f64 / 1e12)
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
    let compute_ms = compute_time(&spec, &a, &b)?;
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
        compute_ms,
        witness_ms: median(witness),
        qap_ms: median(qap),
        msm_ms: median(msm),
        prove_ms: median(prove),
        verify_ms: median(verify),
        key_bytes: dir_bytes(&dev_key_dir(&spec)),
        backend: receipt.prover.backend.clone(),
        device: receipt.prover.device.clone(),
    })
}

pub fn run(
    units: &[String],
    systems: &[System],
    repeats: usize,
    backend: Backend,
    json_out: Option<&Path>,
    svg: Option<&Path>,
) -> Result<()> {
    let outputs: Vec<&Path> = json_out.into_iter().chain(svg).collect();
    crate::make_output_folders(&outputs)?;
    crate::check_outputs(&outputs, &[], None)?;
    let specs: Vec<UnitSpec> = units.iter().map(|u| u.parse()).collect::<Result<_, _>>()?;
    let pb = ProgressBar::new((specs.len() * systems.len()) as u64);
    pb.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]").expect("static template"));
    let mut rows = Vec::new();
    let mut sumcheck_rows = Vec::new();
    for spec in specs {
        for system in systems {
            match system {
                System::Groth16 => rows.push(measure(spec, repeats.max(1), backend, &pb)?),
                System::Sumcheck => {
                    pb.set_message(format!("{spec}: sumcheck"));
                    let (a, b) = random_inputs(&spec, 1)?;
                    let compute_ms = compute_time(&spec, &a, &b)?;
                    let row = crate::sumcheck::measure(&spec, &a, &b, repeats.max(1), backend)?;
                    sumcheck_rows.push(SumcheckBench { unit: spec, compute_ms, row });
                }
            }
            pb.inc(1);
        }
    }
    pb.finish_and_clear();
    if !rows.is_empty() {
        print_table(&rows);
    }
    if !sumcheck_rows.is_empty() {
        print_sumcheck_table(&sumcheck_rows);
    }
    if !rows.is_empty() && !sumcheck_rows.is_empty() {
        print_side_by_side(&rows, &sumcheck_rows);
    }
    if let Some(path) = json_out {
        let mut all = to_json(&rows);
        all.extend(sumcheck_json(&sumcheck_rows));
        write(path, &(serde_json::to_string_pretty(&all)? + "\n"))?;
        println!("json: {}", path.display());
    }
    if let Some(path) = svg {
        let mut series = Vec::new();
        if !rows.is_empty() {
            let points = rows.iter().map(|r| (size(&r.unit), r.prove_ms, r.overhead())).collect();
            series.push(("groth16", BLUE, points));
        }
        if !sumcheck_rows.is_empty() {
            let points = sumcheck_rows.iter().map(|r| (size(&r.unit), r.row.prove_ms, r.overhead())).collect();
            series.push(("sumcheck", RED, points));
        }
        plot(&series, path)?;
        println!("plot: {}", path.display());
    }
    Ok(())
}

fn print_sumcheck_table(rows: &[SumcheckBench]) {
    if let Some(r) = rows.first() {
        println!(
            "sumcheck over committed matrices; backend: {} ({}); times are medians; prove excludes compute",
            r.row.backend, r.row.device
        );
    }
    println!(
        "{:<22} {:>11} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8} {:>11} {:>9} {:>10} {:>12}",
        "unit",
        "compute ms",
        "commit",
        "sumcheck",
        "open",
        "prove ms",
        "verify",
        "bytes",
        "srs bytes",
        "buyer ms",
        "overhead",
        "s/TFLOP"
    );
    for r in rows {
        let s = &r.row;
        println!(
            "{:<22} {:>11.4} {:>9.1} {:>9.1} {:>9.1} {:>10.1} {:>9.2} {:>8} {:>11} {:>9.1} {:>9.0}x {:>12.0}",
            r.unit.id(),
            r.compute_ms,
            s.commit_ms,
            s.sumcheck_ms,
            s.open_ms,
            s.prove_ms,
            s.verify_ms,
            s.proof_bytes,
            s.srs_bytes,
            s.buyer_commit_ms,
            r.overhead(),
            r.prover_s_per_tflop()
        );
    }
}

fn print_side_by_side(groth16: &[Row], sumcheck: &[SumcheckBench]) {
    println!("side by side (same matrices, same machine):");
    println!(
        "{:<22} {:>12} {:>12} {:>9} {:>10} {:>10} {:>8} {:>8} {:>13} {:>11}",
        "unit", "groth16 ms", "sumcheck ms", "ratio", "g16 verify", "sc verify", "g16 B", "sc B", "g16 key B", "srs B"
    );
    for g in groth16 {
        let Some(s) = sumcheck.iter().find(|s| s.unit == g.unit) else { continue };
        println!(
            "{:<22} {:>12.1} {:>12.1} {:>8.3}x {:>10.2} {:>10.2} {:>8} {:>8} {:>13} {:>11}",
            g.unit.id(),
            g.prove_ms,
            s.row.prove_ms,
            s.row.prove_ms / g.prove_ms.max(1e-9),
            g.verify_ms,
            s.row.verify_ms,
            PROOF_BYTES,
            s.row.proof_bytes,
            g.key_bytes,
            s.row.srs_bytes
        );
    }
}

fn sumcheck_json(rows: &[SumcheckBench]) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|r| {
            let s = &r.row;
            json!({
                "system": "sumcheck",
                "unit": r.unit.id(),
                "ops": r.unit.ops(),
                "compute_ms": r.compute_ms,
                "commit_ms": s.commit_ms,
                "sumcheck_ms": s.sumcheck_ms,
                "open_ms": s.open_ms,
                "prove_ms": s.prove_ms,
                "verify_ms": s.verify_ms,
                "buyer_commit_ms": s.buyer_commit_ms,
                "proof_bytes": s.proof_bytes,
                "srs_bytes": s.srs_bytes,
                "proof_overhead": r.overhead(),
                "prover_seconds_per_tflop": r.prover_s_per_tflop(),
                "backend": s.backend,
                "device": s.device,
            })
        })
        .collect()
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

fn to_json(rows: &[Row]) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|r| {
            json!({
                "system": "groth16",
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
                "key_bytes": r.key_bytes,
                "proof_overhead": r.overhead(),
                "prover_seconds_per_tflop": r.prover_s_per_tflop(),
                "backend": r.backend,
                "device": r.device,
            })
        })
        .collect()
}

/// n of CU-n, or the cube root of m·k·n.
fn size(unit: &UnitSpec) -> f64 {
    ((unit.m() * unit.k() * unit.n()) as f64).cbrt()
}

/// One plotted system: its name, colour and (size, prove ms, overhead) points.
type Series = (&'static str, RGBColor, Vec<(f64, f64, f64)>);

/// Prove time and proof overhead against unit size, one line per system.
fn plot(series: &[Series], path: &Path) -> Result<()> {
    let all = || series.iter().flat_map(|s| s.2.iter());
    let (x_min, x_max) = (all().map(|p| p.0).fold(f64::MAX, f64::min), all().map(|p| p.0).fold(0.0, f64::max));
    let max_prove = all().map(|p| p.1).fold(0.0, f64::max);
    let max_over = all().map(|p| p.2).fold(0.0, f64::max);
    // Drawn into memory, then written like every output (temporary file, rename).
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(450);
        let panels =
            [(&left, "prove time (ms)", max_prove, 1usize), (&right, "proof overhead (prove / compute)", max_over, 2)];
        for (area, caption, max_y, column) in panels {
            let mut chart = ChartBuilder::on(area)
                .caption(caption, ("sans-serif", 18))
                .margin(15)
                .x_label_area_size(35)
                .y_label_area_size(60)
                .build_cartesian_2d((x_min * 0.9)..(x_max * 1.1), 0.0..(max_y * 1.15))?;
            chart.configure_mesh().x_desc("unit size n (CU-n)").draw()?;
            for (name, colour, points) in series {
                let y = |p: &(f64, f64, f64)| if column == 1 { p.1 } else { p.2 };
                chart
                    .draw_series(LineSeries::new(points.iter().map(|p| (p.0, y(p))), colour))?
                    .label(*name)
                    .legend(move |(x, y0)| PathElement::new(vec![(x, y0), (x + 20, y0)], colour));
                chart.draw_series(points.iter().map(|p| Circle::new((p.0, y(p)), 4, colour.filled())))?;
            }
            if series.len() > 1 {
                chart.configure_series_labels().border_style(BLACK).draw()?;
            }
        }
        root.present().with_context(|| format!("cannot draw {}", path.display()))?;
    }
    crate::write_bytes(path, svg.as_bytes())
}
