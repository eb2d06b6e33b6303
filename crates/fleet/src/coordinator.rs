//! The coordinator: enqueues a prepared job's units for the fleet, collects the
//! receipts as they arrive, verifies each, re-enqueues any that fails, and assembles
//! the job receipt.
//!
//! The job is named by its statement id, so a coordinator run again on the same job
//! (after a crash, or ^C) finds the receipts the fleet already made and enqueues only
//! the rest. At most [`CoordinatorOptions::max_queued`] units are in Redis at once:
//! the inputs of a job of any size never have to fit in the server. When the
//! connection to Redis was lost and remade, every unit still outstanding is enqueued
//! again (a server restarted from an older snapshot may have lost them; a repeated
//! task costs one HEXISTS at the worker that gets it).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use redis::Value;
use teraproof_core::job::{JobKeys, JobReceipt, UnitStatement};
use teraproof_core::{Matrix, Receipt, TilePos};
use teraproof_prover::{PreparedJob, UnitWork};
use teraproof_verifier::JobVerifier;

use crate::conn::{Conn, ConnectOptions};
use crate::error::{FleetError, Result};
use crate::names;
use crate::stream;
use crate::task::{TaskRef, UnitInputs};
use crate::worker::ensure_group;

/// The largest unit receipt the coordinator reads (they are about 1 KB).
pub const MAX_RECEIPT_BYTES: usize = 64 * 1024;

/// How the coordinator behaves.
#[derive(Debug, Clone)]
pub struct CoordinatorOptions {
    /// most units enqueued and not yet collected at once
    pub max_queued: usize,
    /// how long a finished job's receipts (and an abandoned job's inputs) stay in Redis
    pub keep_for: Duration,
    /// receipts of one unit that may fail verification before the job is given up
    pub max_rejections: usize,
    /// how long one wait for receipts blocks (progress is reported in between)
    pub poll: Duration,
}

impl Default for CoordinatorOptions {
    fn default() -> Self {
        Self {
            max_queued: 1024,
            keep_for: Duration::from_secs(24 * 3600),
            max_rejections: 3,
            poll: Duration::from_millis(500),
        }
    }
}

/// Where a fleet job stands, for a progress bar.
#[derive(Debug, Clone, Copy, Default)]
pub struct FleetProgress {
    /// units with a verified receipt
    pub done: usize,
    /// units in the job
    pub total: usize,
    /// workers with a live heartbeat
    pub workers: usize,
    /// receipts rejected so far
    pub rejected: usize,
}

/// What a fleet job produced, with the coordinator's own costs.
pub struct FleetJobOutput {
    /// `C = A·B`
    pub c: Matrix<i32>,
    /// the job receipt, verified
    pub receipt: JobReceipt,
    /// units proven by the fleet during this run
    pub proved: usize,
    /// units whose receipts were already in Redis
    pub reused: usize,
    /// receipts rejected (and their units enqueued again)
    pub rejected: usize,
    /// the job's statement id (its name in Redis)
    pub job_id: String,
    /// milliseconds the coordinator spent enqueuing (Redis round trips)
    pub enqueue_ms: f64,
    /// milliseconds spent collecting receipts (Redis round trips and parsing), not waiting
    pub collect_ms: f64,
    /// milliseconds verifying unit receipts
    pub verify_ms: f64,
    /// bytes of unit inputs written to Redis
    pub input_bytes: u64,
    /// milliseconds of the whole job after C was computed
    pub total_ms: f64,
}

struct InFlight {
    blob: Vec<u8>,
    entry: String,
}

/// A fleet coordinator on one connection.
pub struct Coordinator {
    conn: Conn,
    verifier: JobVerifier,
    options: CoordinatorOptions,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Run<'a> {
    job_id: String,
    keys: JobKeys,
    statements: Vec<Option<(TilePos, UnitStatement)>>,
    accepted: Vec<Option<Receipt>>,
    done: usize,
    in_flight: HashMap<usize, InFlight>,
    rejections: HashMap<usize, usize>,
    rejected: usize,
    last_done: String,
    reconnects: u64,
    enqueue: Duration,
    collect: Duration,
    verify: Duration,
    input_bytes: u64,
    progress: &'a mut dyn FnMut(FleetProgress),
    workers: usize,
    workers_checked: Option<Instant>,
    /// inputs of accepted units, deleted with the next read
    to_delete: Vec<String>,
}

impl Coordinator {
    /// A coordinator verifying with `verifier` (verifying keys only: it needs no
    /// proving key).
    pub fn new(connect: &ConnectOptions, verifier: JobVerifier, options: CoordinatorOptions) -> Result<Self> {
        Ok(Self { conn: Conn::open(connect)?, verifier, options })
    }

    /// Proves `job` (whose inputs are `a` and `b`) on the fleet; `progress` is called
    /// whenever a unit is collected and at least every poll.
    pub fn prove_job(
        &mut self,
        job: PreparedJob,
        a: &Matrix<i8>,
        b: &Matrix<i8>,
        progress: &mut dyn FnMut(FleetProgress),
    ) -> Result<FleetJobOutput> {
        let start = Instant::now();
        let tiling = job.tiling;
        let total = tiling.units();
        if tiling.grid().1 > 1 && self.verifier.accumulate().is_none() {
            return Err(FleetError::Keys(format!(
                "a {} job needs the accumulating unit's keys (in KEYDIR/accumulate)",
                job.shape
            )));
        }
        let keys = JobKeys {
            product: self.verifier.product().key().id().to_string(),
            accumulate: (tiling.grid().1 > 1)
                .then(|| self.verifier.accumulate().map(|v| v.key().id().to_string()))
                .flatten(),
        };
        let insecure = self.verifier.product().key().insecure_dev_setup();
        let job_id = job.statement_id();
        let _span = tracing::info_span!("fleet_job", job = %&job_id[..12], units = total).entered();

        for vk in std::iter::once(&keys.product).chain(keys.accumulate.as_ref()) {
            ensure_group(&mut self.conn, &names::tasks(vk))?;
        }
        let (meta, shape, unit) = (names::meta(&job_id), job.shape.to_string(), tiling.unit().id());
        let keep_s = self.options.keep_for.as_secs().max(1);
        self.conn.run("HSET meta", |c| {
            redis::pipe()
                .cmd("HSET")
                .arg(&meta)
                .arg("unit")
                .arg(&unit)
                .arg("shape")
                .arg(&shape)
                .arg("units")
                .arg(total)
                .ignore()
                .cmd("EXPIRE")
                .arg(&meta)
                .arg(keep_s)
                .ignore()
                .cmd("SADD")
                .arg(names::JOBS)
                .arg(&job_id)
                .ignore()
                .query::<()>(c)
        })?;
        let existing: Vec<Vec<u8>> =
            self.conn.run("HKEYS", |c| redis::cmd("HKEYS").arg(names::receipts(&job_id)).query(c))?;
        let existing: HashSet<usize> =
            existing.iter().filter_map(|k| std::str::from_utf8(k).ok()?.parse().ok()).collect();

        let mut run = Run {
            job_id: job_id.clone(),
            keys: keys.clone(),
            statements: vec![None; total],
            accepted: vec![None; total],
            done: 0,
            in_flight: HashMap::new(),
            rejections: HashMap::new(),
            rejected: 0,
            last_done: "0-0".into(),
            reconnects: self.conn.reconnects(),
            enqueue: Duration::ZERO,
            collect: Duration::ZERO,
            verify: Duration::ZERO,
            input_bytes: 0,
            progress,
            workers: 0,
            workers_checked: None,
            to_delete: Vec::new(),
        };
        let mut reused = 0;
        job.for_each_unit(a, b, |unit: UnitWork| -> Result<()> {
            run.statements[unit.index] = Some((unit.pos, unit.statement));
            if existing.contains(&unit.index) && self.try_accept(&mut run, unit.index, false)? {
                reused += 1;
                return Ok(());
            }
            let inputs = UnitInputs { kind: unit.kind(), pos: unit.pos, a: unit.a, b: unit.b, cin: unit.cin };
            self.enqueue(&mut run, unit.index, inputs.encode())?;
            while run.in_flight.len() >= self.options.max_queued.max(1) {
                self.collect(&mut run)?;
            }
            Ok(())
        })?;
        while run.done < total {
            self.collect(&mut run)?;
        }

        let receipts: Vec<Receipt> = run.accepted.drain(..).map(|r| r.expect("every unit was accepted")).collect();
        let (c, receipt) = job.assemble(keys, insecure, receipts);
        // The job as a buyer will check it, before it leaves.
        let t = Instant::now();
        self.verifier.verify_gemm_job(&receipt)?;
        run.verify += t.elapsed();
        let (receipts_key, done_key) = (names::receipts(&job_id), names::done(&job_id));
        self.conn.run("EXPIRE", |c| {
            redis::pipe()
                .cmd("EXPIRE")
                .arg(&receipts_key)
                .arg(keep_s)
                .ignore()
                .cmd("DEL")
                .arg(&done_key)
                .ignore()
                .cmd("SREM")
                .arg(names::JOBS)
                .arg(&job_id)
                .ignore()
                .query::<()>(c)
        })?;
        (run.progress)(FleetProgress { done: total, total, workers: run.workers, rejected: run.rejected });
        Ok(FleetJobOutput {
            c,
            receipt,
            proved: total - reused,
            reused,
            rejected: run.rejected,
            job_id,
            enqueue_ms: ms(run.enqueue),
            collect_ms: ms(run.collect),
            verify_ms: ms(run.verify),
            input_bytes: run.input_bytes,
            total_ms: ms(start.elapsed()),
        })
    }

    fn enqueue(&mut self, run: &mut Run, index: usize, blob: Vec<u8>) -> Result<()> {
        let t = Instant::now();
        let (pos, _) = run.statements[index].expect("walked before enqueued");
        let vk =
            if pos.t == 0 { run.keys.product.clone() } else { run.keys.accumulate.clone().expect("checked up front") };
        let stream = names::tasks(&vk);
        let task = TaskRef { job: run.job_id.clone(), unit: index, key: vk };
        let key = names::inputs(&run.job_id, index);
        let keep_s = self.options.keep_for.as_secs().max(1);
        let (entry,): (String,) = self.conn.run("XADD task", |c| {
            let mut xadd = redis::cmd("XADD");
            xadd.arg(&stream).arg("*");
            for (k, v) in task.fields() {
                xadd.arg(k).arg(v);
            }
            redis::pipe().cmd("SET").arg(&key).arg(&blob).arg("EX").arg(keep_s).ignore().add_command(xadd).query(c)
        })?;
        run.input_bytes += blob.len() as u64;
        run.in_flight.insert(index, InFlight { blob, entry });
        run.enqueue += t.elapsed();
        Ok(())
    }

    /// Reads the receipt of `index` from Redis and accepts it if it proves the unit's
    /// statement and verifies; a bad one is deleted and, when `retry`, the unit is
    /// enqueued again. Returns whether it was accepted.
    fn try_accept(&mut self, run: &mut Run, index: usize, retry: bool) -> Result<bool> {
        if run.accepted[index].is_some() {
            return Ok(true);
        }
        let Some((pos, statement)) = run.statements[index] else { return Ok(false) };
        let t = Instant::now();
        let receipts = names::receipts(&run.job_id);
        // One round trip: the length (checked before anything is parsed) and the value.
        let (len, bytes): (usize, Option<Vec<u8>>) = self.conn.run("HGET", |c| {
            redis::pipe().cmd("HSTRLEN").arg(&receipts).arg(index).cmd("HGET").arg(&receipts).arg(index).query(c)
        })?;
        let Some(bytes) = bytes.filter(|_| len > 0) else {
            run.collect += t.elapsed();
            return Ok(false);
        };
        let verdict = if len > MAX_RECEIPT_BYTES || bytes.len() > MAX_RECEIPT_BYTES {
            Err(format!("a {}-byte receipt, over the {MAX_RECEIPT_BYTES}-byte cap", len.max(bytes.len())))
        } else {
            match String::from_utf8(bytes)
                .map_err(|_| "a receipt that is not UTF-8".to_string())
                .and_then(|text| Receipt::from_json(&text).map_err(|e| format!("a receipt that does not parse: {e}")))
            {
                Ok(receipt) => {
                    run.collect += t.elapsed();
                    let v = Instant::now();
                    let checked = self.verifier.verify_unit(pos, &statement, &receipt);
                    run.verify += v.elapsed();
                    checked.map(|_| receipt).map_err(|e| e.to_string())
                }
                Err(e) => Err(e),
            }
        };
        let t = Instant::now();
        let accepted = match verdict {
            Ok(receipt) => {
                run.accepted[index] = Some(receipt);
                run.done += 1;
                if run.in_flight.remove(&index).is_some() {
                    // Deleted with the next read, in the same round trip.
                    run.to_delete.push(names::inputs(&run.job_id, index));
                }
                true
            }
            Err(reason) => {
                tracing::warn!(unit = index, %pos, %reason, "a unit receipt from the fleet was rejected");
                self.conn.run("HDEL", |c| redis::cmd("HDEL").arg(&receipts).arg(index).query::<Value>(c))?;
                run.rejected += 1;
                let n = run.rejections.entry(index).or_insert(0);
                *n += 1;
                if *n > self.options.max_rejections {
                    return Err(FleetError::Untrustworthy { pos, attempts: *n, reason });
                }
                if retry {
                    if let Some(f) = run.in_flight.remove(&index) {
                        self.enqueue(run, index, f.blob)?;
                    }
                }
                false
            }
        };
        run.collect += t.elapsed();
        Ok(accepted)
    }

    /// Waits up to one poll for units to be announced, accepts what arrived, and
    /// reports progress.
    fn collect(&mut self, run: &mut Run) -> Result<()> {
        if self.conn.reconnects() != run.reconnects {
            run.reconnects = self.conn.reconnects();
            let outstanding: Vec<usize> = run.in_flight.keys().copied().collect();
            tracing::warn!(units = outstanding.len(), "reconnected to Redis: enqueuing the outstanding units again");
            for index in outstanding {
                let f = run.in_flight.remove(&index).expect("listed");
                self.enqueue(run, index, f.blob)?;
            }
        }
        let done_key = names::done(&run.job_id);
        let t = Instant::now();
        let last = run.last_done.clone();
        let to_delete = std::mem::take(&mut run.to_delete);
        let (quick,): (Value,) = self.conn.run("XREAD", |c| {
            let mut pipe = redis::pipe();
            if !to_delete.is_empty() {
                pipe.cmd("DEL").arg(&to_delete).ignore();
            }
            pipe.cmd("XREAD").arg("COUNT").arg(512).arg("STREAMS").arg(&done_key).arg(&last).query(c)
        })?;
        let mut entries = stream::read_reply(&quick)?;
        run.collect += t.elapsed();
        if entries.is_empty() {
            let poll_ms = self.options.poll.as_millis() as u64;
            let waited = self.conn.run("XREAD", |c| {
                redis::cmd("XREAD")
                    .arg("COUNT")
                    .arg(512)
                    .arg("BLOCK")
                    .arg(poll_ms)
                    .arg("STREAMS")
                    .arg(&done_key)
                    .arg(&last)
                    .query::<Value>(c)
            })?;
            entries = stream::read_reply(&waited)?;
            if entries.is_empty() {
                self.sweep(run)?;
            }
        }
        for (_, entry) in entries {
            run.last_done = entry.id.clone();
            let Some(index) =
                entry.text("unit").and_then(|u| u.parse::<usize>().ok()).filter(|&i| i < run.accepted.len())
            else {
                continue;
            };
            if let Some(reason) = entry.text("dead") {
                let ours = run.in_flight.get(&index).is_some_and(|f| Some(f.entry.as_str()) == entry.text("entry"));
                if ours {
                    let (pos, _) = run.statements[index].expect("in flight, so walked");
                    return Err(FleetError::DeadLettered { pos, reason: reason.to_string() });
                }
                continue;
            }
            self.try_accept(run, index, true)?;
        }
        let due = run.workers_checked.is_none_or(|t| t.elapsed() > Duration::from_secs(2));
        if due {
            run.workers = crate::status::live_workers(&mut self.conn)?;
            run.workers_checked = Some(Instant::now());
        }
        (run.progress)(FleetProgress {
            done: run.done,
            total: run.accepted.len(),
            workers: run.workers,
            rejected: run.rejected,
        });
        Ok(())
    }

    /// When nothing was announced for a poll: picks up receipts whose announcement
    /// was lost (a worker that died between storing and announcing, a trimmed stream).
    fn sweep(&mut self, run: &mut Run) -> Result<()> {
        let t = Instant::now();
        let keys: Vec<Vec<u8>> =
            self.conn.run("HKEYS", |c| redis::cmd("HKEYS").arg(names::receipts(&run.job_id)).query(c))?;
        run.collect += t.elapsed();
        for k in keys {
            if let Some(index) = std::str::from_utf8(&k).ok().and_then(|s| s.parse::<usize>().ok()) {
                if run.in_flight.contains_key(&index) {
                    self.try_accept(run, index, true)?;
                }
            }
        }
        Ok(())
    }
}
