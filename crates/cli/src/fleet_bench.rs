//! `teraproof bench fleet`: how a job's proving scales with worker processes on one
//! Redis, and what the coordinator and Redis pay per unit.
//!
//! For each worker count w: a job on fresh random inputs is enqueued with no worker
//! running (its Redis memory per queued unit measured from `INFO memory`), then w
//! `teraproof worker` processes of this binary are started with `RAYON_NUM_THREADS`
//! = `--threads-per-worker` (by default max(1, CPU threads / w)) each, and the job is timed from the moment all w
//! heartbeats are up (keys loaded) to the verified job receipt. The coordinator's own
//! time per unit (Redis round trips to enqueue and collect, and verifying) comes from
//! the coordinator itself.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::json;
use teraproof_core::job::Tiling;
use teraproof_core::{GemmShape, UnitSpec};
use teraproof_fleet::{Conn, ConnectOptions, Coordinator, CoordinatorOptions};
use teraproof_prover::{Backend, PreparedJob};
use teraproof_verifier::JobVerifier;

use crate::demo::cached_dev_job_keys;
use crate::{random_inputs, spinner, write};

fn used_memory(conn: &mut Conn) -> Result<u64> {
    let info: String = conn.run("INFO memory", |c| teraproof_fleet::redis::cmd("INFO").arg("memory").query(c))?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .context("INFO memory has no used_memory")
}

fn queued(conn: &mut Conn, streams: &[String]) -> Result<u64> {
    let mut n = 0;
    for s in streams {
        n += conn.run("XLEN", |c| teraproof_fleet::redis::cmd("XLEN").arg(s).query::<u64>(c))?;
    }
    Ok(n)
}

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

pub fn run(
    url: &str,
    unit: &str,
    shape: &str,
    workers: &[usize],
    threads_per_worker: usize,
    backend: &str,
    json_out: Option<&Path>,
) -> Result<()> {
    let outputs: Vec<&Path> = json_out.into_iter().collect();
    crate::make_output_folders(&outputs)?;
    crate::check_outputs(&outputs, &[], None)?;
    let spec: UnitSpec = unit.parse()?;
    let shape: GemmShape = shape.parse()?;
    if workers.is_empty() || workers.contains(&0) {
        bail!("--workers values must be at least 1");
    }
    let backend_choice: Backend = backend.parse()?;
    let pb = spinner(format!("development keys for jobs on {spec} (cached after the first run)"));
    let keys = cached_dev_job_keys(&spec)?;
    let connect = ConnectOptions::new(url);
    let mut conn = Conn::open(&connect)?;
    pb.finish_and_clear();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let exe = std::env::current_exe()?;
    println!("fleet bench: {shape} on {spec}, {threads} CPU threads, Redis at {}", conn.url());
    println!(
        "{:>7} {:>15} {:>9} {:>9} {:>9} {:>22} {:>12}",
        "workers", "threads/worker", "total s", "units/s", "speedup", "enqueue+collect ms/unit", "Redis B/unit"
    );
    let mut rows = Vec::new();
    let mut base_rate = None;
    let mut alone_rows = Vec::new();
    for (run, &w) in workers.iter().enumerate() {
        let verifier = JobVerifier::load(&keys)?;
        let streams: Vec<String> = std::iter::once(verifier.product().key().id())
            .chain(verifier.accumulate().map(|v| v.key().id()))
            .map(teraproof_fleet::names::tasks)
            .collect();
        let tiling = Tiling::new(shape, &spec)?;
        let units = tiling.units();
        // Fresh inputs per run: a job already proven would be found in Redis.
        let seed = now_seed() + run as u64;
        let (a, b) = random_inputs(&UnitSpec::new(shape.m, shape.k, shape.n)?, seed)?;
        let compute = backend_choice.compute()?;
        let job = PreparedJob::compute(tiling, &a, &b, compute.as_ref())?;
        let before = used_memory(&mut conn)?;
        let mut coordinator = Coordinator::new(
            &connect,
            verifier,
            CoordinatorOptions { max_queued: units.max(1), ..CoordinatorOptions::default() },
        )?;
        let pb = spinner(format!("{w} worker(s): enqueuing {units} units"));
        let (output, started) = std::thread::scope(|scope| -> Result<_> {
            let handle = scope.spawn(|| coordinator.prove_job(job, &a, &b, &mut |_| {}));
            let mut wait = Instant::now();
            while queued(&mut conn, &streams)? < units as u64 {
                if wait.elapsed() > Duration::from_secs(600) || handle.is_finished() {
                    bail!("the coordinator did not enqueue the job");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let per_unit = (used_memory(&mut conn)?.saturating_sub(before)) as f64 / units as f64;
            pb.set_message(format!("{w} worker(s): starting"));
            let per_worker = if threads_per_worker > 0 { threads_per_worker } else { (threads / w).max(1) };
            let mut children = Workers(Vec::new());
            for i in 0..w {
                let child = Command::new(&exe)
                    .args(["worker", "--fleet", url, "--backend", backend, "--name", &format!("bench-{run}-{i}")])
                    .arg("--keys")
                    .arg(&keys)
                    .env("RAYON_NUM_THREADS", per_worker.to_string())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?;
                children.0.push(child);
            }
            wait = Instant::now();
            loop {
                let alive = teraproof_fleet::status::live_workers(&mut conn)?;
                if alive >= w || handle.is_finished() {
                    break;
                }
                if wait.elapsed() > Duration::from_secs(120) {
                    bail!("only {alive} of {w} workers came up");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let started = Instant::now();
            pb.set_message(format!("{w} worker(s): proving {units} units"));
            let output = handle.join().map_err(|_| anyhow::anyhow!("the coordinator panicked"))??;
            let elapsed = started.elapsed();
            drop(children);
            Ok(((output, per_unit, per_worker), elapsed))
        })?;
        // The same job again: every receipt is already in Redis, so this is the
        // coordinator collecting and verifying alone, on an otherwise idle machine.
        pb.set_message("collecting again, the coordinator alone");
        let job = PreparedJob::compute(Tiling::new(shape, &spec)?, &a, &b, compute.as_ref())?;
        let mut alone = Coordinator::new(&connect, JobVerifier::load(&keys)?, CoordinatorOptions::default())?;
        let again = alone.prove_job(job, &a, &b, &mut |_| {})?;
        pb.finish_and_clear();
        let ((output, redis_per_unit, per_worker), elapsed) = (output, started);
        let secs = elapsed.as_secs_f64();
        let rate = units as f64 / secs;
        let speedup = rate / *base_rate.get_or_insert(rate);
        let coord = (output.enqueue_ms + output.collect_ms) / units as f64;
        alone_rows.push((
            output.enqueue_ms / units as f64,
            again.collect_ms / units as f64,
            again.verify_ms / units as f64,
        ));
        println!(
            "{w:>7} {per_worker:>15} {secs:>9.2} {rate:>9.2} {speedup:>8.2}x {:>22} {redis_per_unit:>12.0}",
            format!(
                "{:.2}+{:.2} +{:.2} verify",
                output.enqueue_ms / units as f64,
                output.collect_ms / units as f64,
                output.verify_ms / units as f64
            )
        );
        rows.push(json!({
            "workers": w, "threads_per_worker": per_worker, "total_s": secs, "units_per_s": rate,
            "speedup_vs_first": speedup, "coordinator_enqueue_collect_ms_per_unit": coord,
            "coordinator_enqueue_ms_per_unit": output.enqueue_ms / units as f64,
            "coordinator_collect_ms_per_unit": output.collect_ms / units as f64,
            "coordinator_verify_ms_per_unit": output.verify_ms / units as f64,
            "redis_bytes_per_queued_unit": redis_per_unit, "input_bytes_per_unit": output.input_bytes as f64 / units as f64,
            "units": units, "rejected": output.rejected,
            "alone_collect_ms_per_unit": again.collect_ms / units as f64,
            "alone_verify_ms_per_unit": again.verify_ms / units as f64,
            "alone_enqueue_plus_collect_ms_per_unit": (output.enqueue_ms + again.collect_ms) / units as f64,
        }));
    }
    for (w, (enqueue, collect, verify)) in workers.iter().zip(&alone_rows) {
        println!(
            "coordinator alone ({w} worker run): enqueue {enqueue:.3} + collect {collect:.3} = {:.3} ms/unit, verify \
             {verify:.3} ms/unit",
            enqueue + collect
        );
    }
    if let Some(path) = json_out {
        let doc = json!({ "shape": shape.to_string(), "unit": spec.id(), "cpu_threads": threads, "runs": rows });
        write(path, &(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    Ok(())
}

fn now_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(7)
}
