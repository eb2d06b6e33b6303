//! `teraproof job plan|prove|verify`: GEMMs of any shape as jobs of standard units.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use teraproof_core::job::JobReceipt;
use teraproof_core::{GemmShape, UnitKind, UnitSpec};
use teraproof_prover::{plan, Backend, JobOptions, JobProver};
use teraproof_verifier::{JobVerifier, VerifyError};

use crate::{check_outputs, one_line, random_inputs, read_matrix, spinner, write, write_matrix};

#[derive(Subcommand)]
pub(crate) enum JobCommand {
    /// How a GEMM of this shape splits into units: counts, constraints and, with --keys,
    /// a proving-time estimate from one measured unit of each kind.
    Plan {
        /// the unit to cut the job into (CU-n)
        #[arg(long)]
        unit: String,
        /// the GEMM's shape MxKxN
        #[arg(long)]
        shape: String,
        /// key directory from `teraproof setup`: measure one unit of each kind
        #[arg(long)]
        keys: Option<PathBuf>,
        /// backend for the measurement: auto, cpu, cuda, cuda:N
        #[arg(long, default_value = "auto")]
        backend: String,
    },
    /// Compute C = A·B and prove it as a job; resumable (unit receipts are kept in
    /// --work, by default JOB.json.units/, and reused when the job is run again).
    Prove {
        /// key directory from `teraproof setup` (the compute and accumulating units' keys)
        #[arg(long)]
        keys: PathBuf,
        /// A (M×K): int8 matrix JSON or .npy
        #[arg(long)]
        a: PathBuf,
        /// B (K×N): int8 matrix JSON or .npy
        #[arg(long)]
        b: PathBuf,
        /// where to write the job receipt
        #[arg(long)]
        out: PathBuf,
        /// where to write C (.npy when the name ends in .npy, else matrix JSON)
        #[arg(long)]
        c_out: Option<PathBuf>,
        /// folder for the unit receipts as they are made (default: OUT.units)
        #[arg(long, conflicts_with = "fleet")]
        work: Option<PathBuf>,
        /// units proven at once (default: the CPU threads; 1 proves one unit at a time
        /// with parallel MSMs)
        #[arg(long, conflicts_with = "fleet")]
        units_in_flight: Option<usize>,
        /// prove the units on a fleet of `teraproof worker`s through this Redis
        /// (redis://[:PASSWORD@]HOST:PORT or rediss://); C is computed here, and only the
        /// verifying keys are read
        #[arg(long, value_name = "URL")]
        fleet: Option<String>,
        /// with --fleet: PEM file of the authority that signed a rediss:// server's certificate
        #[arg(long, requires = "fleet", value_name = "FILE")]
        fleet_ca: Option<PathBuf>,
        /// with --fleet: most units in Redis at once (the inputs of a job of any size
        /// never have to fit in the server)
        #[arg(long, default_value_t = 1024, requires = "fleet")]
        max_queued: usize,
        /// with --fleet: give up (exit 1, the job resumable) when no unit finished for this
        /// many seconds; by default wait for workers as long as it takes
        #[arg(long, requires = "fleet", value_name = "SECS")]
        give_up_after: Option<u64>,
        /// backend for C and the MSMs: auto, cpu, cuda, cuda:N
        #[arg(long, default_value = "auto")]
        backend: String,
    },
    /// Verify job receipts, one verdict line each. Exit 0 when all are valid, 1 when any
    /// is invalid, 2 when one could not be checked at all (keys or a file unreadable).
    Verify {
        /// key directory (only keys.json and verifying_key.bin, here and in accumulate/)
        #[arg(long)]
        keys: PathBuf,
        /// also check that this A (int8, JSON or .npy) is the job's input
        #[arg(long)]
        a: Option<PathBuf>,
        /// also check that this B is the job's input
        #[arg(long)]
        b: Option<PathBuf>,
        /// also check that this C (int32, JSON or .npy) is the job's output
        #[arg(long)]
        c: Option<PathBuf>,
        /// print the verdicts as one JSON array
        #[arg(long)]
        json: bool,
        /// job receipt files
        #[arg(required = true)]
        receipts: Vec<PathBuf>,
    },
}

pub(crate) fn run(command: JobCommand) -> Result<ExitCode> {
    match command {
        JobCommand::Plan { unit, shape, keys, backend } => {
            plan_job(&unit, &shape, keys.as_deref(), backend.parse()?)?;
        }
        JobCommand::Prove {
            keys,
            a,
            b,
            out,
            c_out,
            fleet: Some(url),
            fleet_ca,
            max_queued,
            give_up_after,
            backend,
            ..
        } => {
            let outputs: Vec<&Path> = std::iter::once(out.as_path()).chain(c_out.as_deref()).collect();
            check_outputs(&outputs, &[&a, &b], Some(&keys))?;
            if max_queued == 0 {
                bail!("--max-queued must be at least 1");
            }
            let fleet = crate::fleet::FleetArgs { url, ca: fleet_ca };
            let backend = backend.parse()?;
            crate::fleet::prove_job(&keys, &a, &b, &out, c_out.as_deref(), &fleet, max_queued, give_up_after, backend)?;
        }
        JobCommand::Prove { keys, a, b, out, c_out, work, units_in_flight, backend, .. } => {
            let work = work.unwrap_or_else(|| {
                let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
                name.push(".units");
                out.with_file_name(name)
            });
            prove_job(&keys, &a, &b, &out, c_out.as_deref(), &work, units_in_flight, backend.parse()?)?;
        }
        JobCommand::Verify { keys, a, b, c, json, receipts } => {
            return Ok(verify_jobs(&keys, [a, b, c], &receipts, json).unwrap_or_else(|e| {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn plan_job(unit: &str, shape: &str, keys: Option<&Path>, backend: Backend) -> Result<()> {
    let spec: UnitSpec = unit.parse()?;
    let shape: GemmShape = shape.parse()?;
    let p = plan(shape, &spec)?;
    let (i, t, j) = p.tiling.grid();
    println!("job          {shape} ({} ops) on CU-{} ({spec})", shape.ops(), p.tiling.tile());
    println!(
        "tiles        {i}×{j} output tiles, chains of {t} steps (padded to {}x{}x{})",
        i * spec.m(),
        t * spec.m(),
        j * spec.m()
    );
    println!(
        "units        {} ({} compute units, {} accumulating units)",
        p.tiling.units(),
        p.product_units,
        p.accumulate_units
    );
    println!("constraints  {} in all", p.constraints);
    let padded_ops = p.tiling.units() as u64 * spec.ops();
    println!(
        "efficiency   {:.1}% of the units' ops are the job's (the rest is zero padding)",
        100.0 * shape.ops() as f64 / padded_ops as f64
    );
    let Some(keys) = keys else {
        println!("estimate     pass --keys KEYDIR to time one unit of each kind on this machine");
        return Ok(());
    };
    let pb = spinner("loading the keys");
    let prover = JobProver::load(keys, backend).with_context(|| format!("cannot load keys from {}", keys.display()))?;
    if prover.unit() != spec {
        bail!("{} holds keys for {}, not {spec}", keys.display(), prover.unit());
    }
    pb.set_message("timing one unit of each kind");
    // One small job of a single chain of two steps: one unit of each kind.
    let (a, b) = random_inputs(&UnitSpec::new(spec.m(), 2 * spec.m(), spec.m())?, 1)?;
    let opts = JobOptions { work_dir: None, units_in_flight: 1 };
    let out = prover.prove_job(&a, &b, &opts, &|_, _| {})?;
    pb.finish_and_clear();
    let ms = |kind: UnitKind| {
        out.receipt
            .units
            .iter()
            .find(|u| (u.t > 0) == (kind == UnitKind::Accumulate))
            .map(|u| u.receipt.prover.timings.total_ms)
            .unwrap_or(0.0)
    };
    let (tp, ta) = (ms(UnitKind::Product), ms(UnitKind::Accumulate));
    let serial_s = (p.product_units as f64 * tp + p.accumulate_units as f64 * ta) / 1e3;
    println!(
        "measured     compute unit {tp:.0} ms, accumulating unit {ta:.0} ms (one at a time, {} MSMs)",
        out.receipt.units[0].receipt.prover.backend
    );
    println!(
        "estimate     {serial_s:.1} s proving one unit at a time on this machine ({:.2} units/s)",
        p.tiling.units() as f64 / serial_s.max(1e-9)
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn prove_job(
    keys: &Path,
    a: &Path,
    b: &Path,
    out: &Path,
    c_out: Option<&Path>,
    work: &Path,
    units_in_flight: Option<usize>,
    backend: Backend,
) -> Result<()> {
    let outputs: Vec<&Path> = std::iter::once(out).chain(c_out).collect();
    check_outputs(&outputs, &[a, b], Some(keys))?;
    let pb = spinner(crate::preparing(backend, "loading the keys"));
    let prover = JobProver::load(keys, backend).with_context(|| format!("cannot load keys from {}", keys.display()))?;
    pb.set_message("reading A and B");
    let a = read_matrix::<i8>(a)?;
    let b = read_matrix::<i8>(b)?;
    pb.finish_and_clear();
    let shape = GemmShape::new(a.rows(), a.cols(), b.cols())?;
    let tiling = prover.tiling(shape)?;
    let total = tiling.units();
    eprintln!("job {shape} on CU-{}: {total} units; unit receipts kept in {}", tiling.tile(), work.display());

    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} units  {per_sec}  eta {eta}  [{elapsed}]")
            .expect("static template"),
    );
    bar.enable_steady_tick(Duration::from_millis(250));
    let mut options = JobOptions { work_dir: Some(work.to_path_buf()), ..JobOptions::default() };
    if let Some(n) = units_in_flight {
        if n == 0 {
            bail!("--units-in-flight must be at least 1");
        }
        options.units_in_flight = n;
    }
    let start = Instant::now();
    let output = prover.prove_job(&a, &b, &options, &|done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    write(out, &output.receipt.to_json())?;
    if let Some(c_out) = c_out {
        write_matrix(c_out, &output.c)?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "job receipt {} ({shape}, {total} units: {} proven, {} reused; {:.1} s, {:.2} units/s; C on {})",
        out.display(),
        output.proved,
        output.reused,
        secs,
        output.proved as f64 / secs.max(1e-9),
        output.compute.0
    );
    println!("statement   {}", teraproof_verifier::job_statement_id(&output.receipt));
    if output.receipt.insecure_dev_setup {
        println!("WARNING: keys come from an INSECURE development setup; the job receipt says so");
    }
    Ok(())
}

/// Verifies job receipts: a verdict per receipt in the order given; 0 all valid, 1 any
/// invalid, 2 any unreadable. Errors that stop every check (keys, the buyer's own
/// matrices) are returned, for exit status 2.
fn verify_jobs(keys: &Path, matrices: [Option<PathBuf>; 3], receipts: &[PathBuf], json: bool) -> Result<ExitCode> {
    let [a, b, c] = matrices;
    if (a.is_some() || b.is_some() || c.is_some()) && receipts.len() > 1 {
        bail!("--a, --b and --c check one job's matrices; give a single job receipt with them");
    }
    let verifier =
        JobVerifier::load(keys).with_context(|| format!("cannot load verifying keys from {}", keys.display()))?;
    crate::check_circuit(keys)?;
    let a = a.map(|p| read_matrix::<i8>(&p)).transpose()?;
    let b = b.map(|p| read_matrix::<i8>(&p)).transpose()?;
    let c = c.map(|p| read_matrix::<i32>(&p)).transpose()?;
    let checked: Vec<&str> = [("A", a.is_some()), ("B", b.is_some()), ("C", c.is_some())]
        .into_iter()
        .filter_map(|(n, given)| given.then_some(n))
        .collect();
    let mut verdicts = Vec::new();
    let (mut invalid, mut unchecked) = (false, false);
    for path in receipts {
        let verdict: std::result::Result<teraproof_verifier::VerifiedJob, (bool, String)> = (|| {
            let bytes = crate::read_capped(path, crate::JOB_RECEIPT_CAP, "job receipt").map_err(|e| match e {
                crate::ReadError::TooLarge { .. } => (true, format!("malformed job receipt: {e}")),
                e => (false, format!("cannot read {}: {e}", path.display())),
            })?;
            let text = String::from_utf8(bytes).map_err(|e| (true, format!("not UTF-8 text ({e})")))?;
            let job = JobReceipt::from_json(&text).map_err(|e| (true, VerifyError::from(e).to_string()))?;
            let verified = verifier.verify_gemm_job(&job).map_err(|e| (true, e.to_string()))?;
            verifier.check_job_data(&job, a.as_ref(), b.as_ref(), c.as_ref()).map_err(|e| (true, e.to_string()))?;
            Ok(verified)
        })();
        match &verdict {
            Err((true, _)) => invalid = true,
            Err((false, _)) => unchecked = true,
            Ok(_) => {}
        }
        verdicts.push((path, verdict));
    }
    if json {
        let list: Vec<serde_json::Value> = verdicts
            .iter()
            .map(|(path, v)| match v {
                Ok(j) => serde_json::json!({
                    "receipt": path.display().to_string(), "verdict": "valid", "statement": j.statement_id,
                    "shape": j.shape.to_string(), "units": j.units, "checked": checked,
                    "insecure_dev_setup": j.insecure_dev_setup,
                }),
                Err((is_invalid, reason)) => serde_json::json!({
                    "receipt": path.display().to_string(),
                    "verdict": if *is_invalid { "invalid" } else { "unchecked" }, "reason": reason,
                }),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        for (path, v) in &verdicts {
            let path = one_line(&path.display().to_string());
            match v {
                Ok(j) => {
                    let data =
                        if checked.is_empty() { String::new() } else { format!("; {} checked", checked.join(", ")) };
                    let warn = if j.insecure_dev_setup { " (INSECURE development keys)" } else { "" };
                    println!(
                        "valid {path}: {} job on {}, {} units, statement {}{data}{warn}",
                        j.shape, j.unit, j.units, j.statement_id
                    )
                }
                Err((true, reason)) => println!("invalid {path}: {}", one_line(reason)),
                Err((false, reason)) => println!("unchecked {path}: {}", one_line(reason)),
            }
        }
    }
    Ok(if invalid {
        ExitCode::from(1)
    } else if unchecked {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
