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
use sha2::{Digest, Sha256};
use teraproof_core::job::{JobKeys, JobReceipt, UnitStatement};
use teraproof_core::{Matrix, Receipt, TilePos};
use teraproof_prover::{PreparedJob, UnitWork};
use teraproof_verifier::JobVerifier;

use crate::conn::{Conn, ConnectOptions};
use crate::error::{FleetError, Result};
use crate::names;
use crate::stream;
use crate::task::{TaskRef, UnitInputs};

/// The largest unit receipt the coordinator reads (they are about 1 KB).
pub const MAX_RECEIPT_BYTES: usize = 64 * 1024;

/// HGET that answers with the value's length instead when it is over ARGV[2] bytes.
/// Nil for a missing field; an empty value comes back as the integer 0 (and is rejected).
const BOUNDED_HGET: &str = "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end \
    local n = redis.call('HSTRLEN', KEYS[1], ARGV[1]) \
    if n == 0 or n > tonumber(ARGV[2]) then return n end \
    return redis.call('HGET', KEYS[1], ARGV[1])";

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
    /// give up when no unit finished for this long (none: wait for workers forever)
    pub give_up_after: Option<Duration>,
}

impl Default for CoordinatorOptions {
    fn default() -> Self {
        Self {
            max_queued: 1024,
            keep_for: Duration::from_secs(24 * 3600),
            max_rejections: 3,
            poll: Duration::from_millis(500),
            give_up_after: None,
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
    /// the job's statement id
    pub statement: String,
    /// the job's name in Redis: its statement id and key ids, hashed
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
    stream: String,
    entry: String,
}

/// A fleet coordinator on one connection.
pub struct Coordinator {
    conn: Conn,
    verifier: JobVerifier,
    options: CoordinatorOptions,
}

/// A job's name in Redis: SHA-256 over its statement id and both key ids, so that the
/// same product under other keys (development and production keys, two suppliers on
/// one server) is another job with receipts of its own.
pub fn fleet_job_id(statement: &str, keys: &JobKeys) -> String {
    let mut h = Sha256::new();
    h.update(b"teraproof.fleet.job.v1");
    for part in [statement, keys.product.as_str(), keys.accumulate.as_deref().unwrap_or("")] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    teraproof_core::receipt::encode_hex(&h.finalize())
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
    /// every stream entry made for each unit, so that a dead letter of an earlier one counts
    entries_of: HashMap<usize, Vec<String>>,
    /// when a unit last finished
    progressed: Instant,
    /// when in-flight tasks were last checked for having vanished
    swept: Instant,
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
        let statement = job.statement_id();
        let job_id = fleet_job_id(&statement, &keys);
        let _span = tracing::info_span!("fleet_job", job = %&job_id[..12], units = total).entered();

        for vk in std::iter::once(&keys.product).chain(keys.accumulate.as_ref()) {
            self.conn.ensure_group(&names::tasks(vk))?;
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
            entries_of: HashMap::new(),
            progressed: Instant::now(),
            swept: Instant::now(),
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
            statement,
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
        run.entries_of.entry(index).or_default().push(entry.clone());
        run.in_flight.insert(index, InFlight { blob, stream, entry });
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
        // One round trip, bounded: the script returns the value only when it is under
        // the cap, else its length; nothing larger is ever sent to us.
        let reply: Value = self.conn.run("EVAL", |c| {
            redis::cmd("EVAL").arg(BOUNDED_HGET).arg(1).arg(&receipts).arg(index).arg(MAX_RECEIPT_BYTES).query(c)
        })?;
        // Nil: no receipt yet. An integer: the value's length, when it is empty or over
        // the cap (refused unread). Anything else is the receipt's bytes.
        let (len, bytes) = match reply {
            Value::Nil => {
                run.collect += t.elapsed();
                return Ok(false);
            }
            Value::Int(n) => (n.max(0) as usize, Vec::new()),
            other => match crate::stream::bytes(&other) {
                Some(b) => (b.len(), b),
                None => (0, Vec::new()),
            },
        };
        let verdict = if len == 0 || bytes.is_empty() {
            Err("an empty receipt".to_string())
        } else if len > MAX_RECEIPT_BYTES || bytes.len() > MAX_RECEIPT_BYTES {
            Err(format!("a {len}-byte receipt, over the {MAX_RECEIPT_BYTES}-byte cap"))
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
                run.progressed = Instant::now();
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
            // Redis may have lost writes (a restart from an older file): check now.
            run.reconnects = self.conn.reconnects();
            self.sweep(run)?;
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
        }
        let quiet = entries.is_empty();
        for (_, entry) in entries {
            run.last_done = entry.id.clone();
            let Some(index) =
                entry.text("unit").and_then(|u| u.parse::<usize>().ok()).filter(|&i| i < run.accepted.len())
            else {
                continue;
            };
            if let Some(reason) = entry.text("dead") {
                // Any entry this coordinator ever made for the unit: a sweep may have
                // enqueued it again before the dead letter's announcement was read.
                let ours = run.in_flight.contains_key(&index)
                    && entry
                        .text("entry")
                        .is_some_and(|e| run.entries_of.get(&index).is_some_and(|all| all.iter().any(|x| x == e)));
                if ours {
                    let (pos, _) = run.statements[index].expect("in flight, so walked");
                    return Err(FleetError::DeadLettered { pos, reason: reason.to_string() });
                }
                continue;
            }
            self.try_accept(run, index, true)?;
        }
        // After the announcements, so that a dead letter is read before a sweep could
        // take its vanished entry for a loss.
        if quiet || run.swept.elapsed() > Duration::from_secs(5) {
            self.sweep(run)?;
        }
        let due = run.workers_checked.is_none_or(|t| t.elapsed() > Duration::from_secs(2));
        if due {
            run.workers = crate::status::live_workers_for(&mut self.conn, &run.keys.product)?;
            run.workers_checked = Some(Instant::now());
        }
        if let Some(limit) = self.options.give_up_after {
            if run.progressed.elapsed() > limit && run.done < run.accepted.len() {
                return Err(FleetError::Stalled {
                    secs: run.progressed.elapsed().as_secs(),
                    workers: run.workers,
                    done: run.done,
                    total: run.accepted.len(),
                });
            }
        }
        (run.progress)(FleetProgress {
            done: run.done,
            total: run.accepted.len(),
            workers: run.workers,
            rejected: run.rejected,
        });
        Ok(())
    }

    /// Every few seconds, and when nothing was announced for a poll: checks each
    /// in-flight unit. A receipt whose announcement was lost is picked up; a task that
    /// vanished without a receipt (dead-lettered with its announcement lost, or lost
    /// by a server that restarted from an older file) is enqueued again, and a unit
    /// whose task vanishes more than `max_rejections` times stops the job.
    fn sweep(&mut self, run: &mut Run) -> Result<()> {
        run.swept = Instant::now();
        if run.in_flight.is_empty() {
            return Ok(());
        }
        let t = Instant::now();
        let mut units: Vec<usize> = run.in_flight.keys().copied().collect();
        units.sort_unstable();
        let receipts = names::receipts(&run.job_id);
        // The entries first, then the receipts, in one pipeline: a worker stores the
        // receipt before it deletes the entry, so "no entry and no receipt" is a loss.
        let (entries, stored): (Vec<Value>, Vec<bool>) = self.conn.run("sweep", |c| {
            let mut pipe = redis::pipe();
            for u in &units {
                let f = &run.in_flight[u];
                pipe.cmd("XRANGE").arg(&f.stream).arg(&f.entry).arg(&f.entry);
            }
            let (mut first, mut second) = (Vec::new(), Vec::new());
            let replies: Vec<Value> = {
                for u in &units {
                    pipe.cmd("HEXISTS").arg(&receipts).arg(*u);
                }
                pipe.query(c)?
            };
            for (n, r) in replies.into_iter().enumerate() {
                if n < units.len() {
                    first.push(r);
                } else {
                    second.push(matches!(r, Value::Int(1)));
                }
            }
            Ok((first, second))
        })?;
        run.collect += t.elapsed();
        for ((index, entry), has_receipt) in units.into_iter().zip(entries).zip(stored) {
            if has_receipt {
                self.try_accept(run, index, true)?;
                continue;
            }
            let gone = matches!(&entry, Value::Array(rows) if rows.is_empty());
            if gone {
                let (pos, _) = run.statements[index].expect("in flight, so walked");
                let n = run.rejections.entry(index).or_insert(0);
                *n += 1;
                if *n > self.options.max_rejections {
                    return Err(FleetError::DeadLettered {
                        pos,
                        reason: format!(
                            "its task vanished {n} times without a receipt; see the dead letters (tp:dead)"
                        ),
                    });
                }
                tracing::warn!(unit = index, %pos, "a task vanished without a receipt; enqueuing it again");
                let f = run.in_flight.remove(&index).expect("listed");
                self.enqueue(run, index, f.blob)?;
            }
        }
        Ok(())
    }
}
