//! `teraproof worker`, `teraproof fleet status` and `job prove --fleet`: a job's units
//! proven by many workers through Redis Streams (teraproof-fleet).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use teraproof_core::job::Tiling;
use teraproof_core::UnitKind;
use teraproof_fleet::{Conn, ConnectOptions, Coordinator, CoordinatorOptions, FleetJobOutput, Worker, WorkerOptions};
use teraproof_prover::{job_shape, Backend, PreparedJob, Prover, UnitKeys};
use teraproof_verifier::{JobVerifier, ACCUMULATE_KEYS_DIR};

use crate::{read_matrix, spinner, write, write_matrix};

/// Where the fleet's Redis is.
#[derive(Args, Clone)]
pub(crate) struct FleetArgs {
    /// the fleet's Redis: redis://[:PASSWORD@]HOST:PORT or rediss://… (TLS)
    #[arg(long = "fleet", value_name = "URL")]
    pub url: String,
    /// PEM file of the authority that signed a rediss:// server's certificate (default:
    /// TERAPROOF_FLEET_CA, else the system's roots)
    #[arg(long = "fleet-ca", value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

impl FleetArgs {
    pub(crate) fn connect(&self) -> ConnectOptions {
        let mut options = ConnectOptions::new(&self.url);
        if self.ca.is_some() {
            options.ca = self.ca.clone();
        }
        options
    }
}

#[derive(Subcommand)]
pub(crate) enum FleetCommand {
    /// Workers alive (units done, current task, device), each task stream's queued and
    /// pending tasks, dead letters and jobs in progress.
    Status {
        #[command(flatten)]
        fleet: FleetArgs,
    },
}

/// `teraproof worker`.
#[derive(Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    fleet: FleetArgs,
    /// key directory from `teraproof setup` (repeat for several units); its tasks, and
    /// those of its accumulate/ keys, are the ones this worker takes
    #[arg(long, required = true)]
    keys: Vec<PathBuf>,
    /// backend for C and the MSMs: auto, cpu, cuda, cuda:N
    #[arg(long, default_value = "auto")]
    backend: String,
    /// consumer name, unique in the fleet (default: HOST-PID)
    #[arg(long)]
    name: Option<String>,
    /// seconds a task may go without its lease being renewed before other workers
    /// reclaim it (a live worker renews it however long the unit takes)
    #[arg(long, default_value_t = 30.0)]
    lease_secs: f64,
    /// a task delivered more often than this is dead-lettered with its last error
    #[arg(long, default_value_t = 5)]
    max_deliveries: u64,
    /// make every unit take at least this long (a slow prover for fault-injection tests)
    #[arg(long, default_value_t = 0, hide = true)]
    min_unit_ms: u64,
}

/// The provers of one key directory: its compute unit's and, when present, its
/// accumulating unit's.
fn provers_of(dir: &Path, backend: Backend) -> Result<Vec<Prover>> {
    let product = UnitKeys::load(dir, None).with_context(|| format!("cannot load keys from {}", dir.display()))?;
    let spec = *product.spec();
    let mut provers = vec![backend.prover(product)?];
    let acc = dir.join(ACCUMULATE_KEYS_DIR);
    if acc.exists() {
        let keys =
            UnitKeys::load(&acc, Some(&spec)).with_context(|| format!("cannot load keys from {}", acc.display()))?;
        provers.push(backend.prover(keys)?);
    }
    Ok(provers)
}

pub(crate) fn worker(args: WorkerArgs) -> Result<()> {
    let backend: Backend = args.backend.parse()?;
    if !(args.lease_secs.is_finite() && (0.5..=86_400.0).contains(&args.lease_secs)) {
        bail!("--lease-secs must be between 0.5 and 86400");
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while the current unit finishes stops at once.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let pb = spinner(crate::preparing(backend, "loading the keys"));
    let mut provers = Vec::new();
    for dir in &args.keys {
        provers.extend(provers_of(dir, backend)?);
    }
    pb.finish_and_clear();
    let mut options = WorkerOptions {
        lease: Duration::from_secs_f64(args.lease_secs),
        max_deliveries: args.max_deliveries,
        min_unit: Duration::from_millis(args.min_unit_ms),
        ..WorkerOptions::default()
    };
    if let Some(name) = args.name {
        if name.is_empty() || name.len() > 128 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bail!("--name must be 1 to 128 characters without spaces");
        }
        options.name = name;
    }
    let units: Vec<String> = provers.iter().map(|p| format!("{} ({})", p.unit_id(), &p.vk_id()[..12])).collect();
    options.device = format!("{} MSMs", backend_name(&provers));
    let mut worker = Worker::new(&args.fleet.connect(), provers, options)?;
    eprintln!(
        "worker {} on {}: proving {}; SIGTERM or ^C finishes the current unit and stops",
        worker.name(),
        teraproof_fleet::redacted(&args.fleet.url),
        units.join(", ")
    );
    let stats = worker.run(&stop)?;
    eprintln!(
        "worker {} stopped: {} units proven, {} repeated deliveries, {} dead-lettered, {} failed",
        worker.name(),
        stats.units,
        stats.duplicates,
        stats.dead,
        stats.failed
    );
    Ok(())
}

fn backend_name(provers: &[Prover]) -> String {
    provers.first().map(|p| p.backend_name().to_string()).unwrap_or_default()
}

pub(crate) fn run(command: FleetCommand) -> Result<()> {
    match command {
        FleetCommand::Status { fleet } => {
            let mut options = fleet.connect();
            options.reconnect_for = Duration::from_secs(5);
            let mut conn = Conn::open(&options)?;
            print!("{}", teraproof_fleet::status(&mut conn)?);
        }
    }
    Ok(())
}

/// `job prove --fleet`: C here, the units on the fleet.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prove_job(
    keys: &Path,
    a_path: &Path,
    b_path: &Path,
    out: &Path,
    c_out: Option<&Path>,
    fleet: &FleetArgs,
    max_queued: usize,
    give_up_after: Option<u64>,
    backend: Backend,
) -> Result<FleetJobOutput> {
    let pb = spinner("loading the verifying keys");
    let verifier =
        JobVerifier::load(keys).with_context(|| format!("cannot load verifying keys from {}", keys.display()))?;
    crate::check_circuit(keys)?;
    pb.set_message("reading A and B");
    let a = read_matrix::<i8>(a_path)?;
    let b = read_matrix::<i8>(b_path)?;
    let shape = job_shape(&a, &b)?;
    let unit = *verifier.product().key().unit();
    let tiling = Tiling::new(shape, &unit)?;
    if tiling.grid().1 > 1 && verifier.accumulate().is_none() {
        bail!(
            "a {shape} job on CU-{} needs the accumulating unit's keys in {}/{ACCUMULATE_KEYS_DIR}",
            unit.m(),
            keys.display()
        );
    }
    let total = tiling.units();
    pb.set_message(format!("computing C ({shape})"));
    let compute = backend.compute()?;
    let job = PreparedJob::compute(tiling, &a, &b, compute.as_ref())?;
    pb.set_message("connecting to the fleet");
    let options = CoordinatorOptions {
        max_queued,
        give_up_after: give_up_after.map(Duration::from_secs),
        ..CoordinatorOptions::default()
    };
    let mut coordinator = Coordinator::new(&fleet.connect(), verifier, options)?;
    pb.finish_and_clear();
    eprintln!(
        "job {shape} on CU-{}: {total} units on the fleet at {} (C on {})",
        unit.m(),
        teraproof_fleet::redacted(&fleet.url),
        job.compute.0
    );
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} units  {per_sec}  eta {eta}  [{elapsed}]  {msg}")
            .expect("static template"),
    );
    bar.enable_steady_tick(Duration::from_millis(250));
    let start = Instant::now();
    let output = coordinator.prove_job(job, &a, &b, &mut |p| {
        bar.set_position(p.done as u64);
        let rejected = if p.rejected > 0 { format!(", {} receipts rejected", p.rejected) } else { String::new() };
        bar.set_message(format!("{} workers alive{rejected}", p.workers));
    })?;
    bar.finish_and_clear();
    write(out, &output.receipt.to_json())?;
    if let Some(c_out) = c_out {
        write_matrix(c_out, &output.c)?;
    }
    let secs = start.elapsed().as_secs_f64();
    let kinds = |k: UnitKind| output.receipt.units.iter().filter(|u| (u.t > 0) == (k == UnitKind::Accumulate)).count();
    println!(
        "job receipt {} ({shape}, {total} units: {} proven by the fleet, {} already there; {:.1} s, {:.2} units/s)",
        out.display(),
        output.proved,
        output.reused,
        secs,
        output.proved as f64 / secs.max(1e-9),
    );
    println!(
        "coordinator {:.3} ms/unit enqueue + collect, {:.3} ms/unit verifying; {} compute + {} accumulating units; {} \
         receipts rejected",
        (output.enqueue_ms + output.collect_ms) / total as f64,
        output.verify_ms / total as f64,
        kinds(UnitKind::Product),
        kinds(UnitKind::Accumulate),
        output.rejected
    );
    println!("statement   {}", output.statement);
    println!("fleet job   {} (its name in Redis)", output.job_id);
    if output.receipt.insecure_dev_setup {
        println!("WARNING: keys come from an INSECURE development setup; the job receipt says so");
    }
    Ok(output)
}
