//! A fleet worker: keeps its provers (keys, prepared bases) loaded and proves the
//! units it reads from the task streams of its keys, one at a time.
//!
//! For each task: claim (XREADGROUP `>`, or XAUTOCLAIM of an entry whose lease ran
//! out), check its delivery count, parse the entry and the inputs as untrusted
//! input, recompute the unit from its inputs, prove, verify the receipt with the
//! verifier crate, store it with HSETNX (first write wins), announce it on the job's
//! `done` stream, and only then XACK (and XDEL) the entry. A crash anywhere before the
//! XACK leaves the entry pending; its lease stops being renewed and another worker
//! reclaims it. A crash after the HSETNX and before the XACK makes the next worker
//! find the receipt and just acknowledge.
//!
//! While a unit is proven, a keeper thread renews the task's lease (XCLAIM … JUSTID by
//! its owner, which resets the idle time without counting a delivery) and writes the
//! worker's heartbeat. The lease therefore does not have to guess how long a unit
//! takes on this worker's device: a live worker keeps its task however slow the unit,
//! and a dead one's task is reclaimed one lease after its last renewal.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::Value;
use teraproof_core::UnitKind;
use teraproof_prover::{Prover, ProverError};
use teraproof_verifier::Verifier;

use crate::conn::{Conn, ConnectOptions};
use crate::error::{FleetError, Result};
use crate::names::{self, GROUP};
use crate::stream::{self, Entry};
use crate::task::{encoded_len, TaskRef, UnitInputs};

/// How long a job's `done` stream outlives its last announcement (a day).
const DONE_KEEP_S: u64 = 24 * 3600;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// the consumer name, unique in the fleet (default: host and process id)
    pub name: String,
    /// how long a task may go without its lease being renewed before others reclaim it
    pub lease: Duration,
    /// a task delivered more often than this is dead-lettered with its last error
    pub max_deliveries: u64,
    /// how long one read waits for a task (the stop flag is checked in between)
    pub block: Duration,
    /// the device, in words, for the heartbeat
    pub device: String,
    /// each unit takes at least this long (a slow prover, for fault-injection tests)
    pub min_unit: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "worker".into());
        Self {
            name: format!("{host}-{}", std::process::id()),
            lease: Duration::from_secs(30),
            max_deliveries: 5,
            block: Duration::from_millis(1000),
            device: String::new(),
            min_unit: Duration::ZERO,
        }
    }
}

/// What a worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// units proven and stored
    pub units: u64,
    /// tasks whose unit already had a receipt (a repeated delivery)
    pub duplicates: u64,
    /// tasks dead-lettered
    pub dead: u64,
    /// tasks that failed and were left for another delivery
    pub failed: u64,
}

struct Keyed {
    stream: String,
    vk: String,
    prover: Prover,
    verifier: Verifier,
}

/// What the keeper thread publishes and renews.
#[derive(Default)]
struct Shared {
    stats: WorkerStats,
    /// (stream, entry) of every entry delivered to us and not yet finished: the
    /// keeper renews all their leases, not only the one being proven
    held: Vec<(String, String)>,
    /// the task being proven, in words, and since when (unix seconds)
    current: Option<(String, u64)>,
    stopping: bool,
}

/// A fleet worker.
pub struct Worker {
    conn: Conn,
    connect: ConnectOptions,
    options: WorkerOptions,
    keyed: Vec<Keyed>,
    shared: Arc<Mutex<Shared>>,
    /// where each stream's XAUTOCLAIM scan goes on from
    cursors: Vec<String>,
    /// the connection's reconnect count when we last read our own pending entries
    reconnects_seen: u64,
}

fn now_s() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Worker {
    /// A worker proving with `provers` (each key's tasks arrive on its own stream).
    pub fn new(connect: &ConnectOptions, provers: Vec<Prover>, options: WorkerOptions) -> Result<Self> {
        if provers.is_empty() {
            return Err(FleetError::Keys("a worker needs at least one key directory".into()));
        }
        let mut keyed: Vec<Keyed> = Vec::new();
        for prover in provers {
            let vk = prover.vk_id().to_string();
            if keyed.iter().any(|k| k.vk == vk) {
                return Err(FleetError::Keys(format!("the key {vk} is given twice")));
            }
            let verifier = Verifier::new(prover.verifying_key()?);
            keyed.push(Keyed { stream: names::tasks(&vk), vk, prover, verifier });
        }
        let mut conn = Conn::open(connect)?;
        for k in &keyed {
            conn.ensure_group(&k.stream)?;
        }
        let cursors = vec!["0-0".to_string(); keyed.len()];
        Ok(Self { conn, connect: connect.clone(), options, keyed, shared: Arc::default(), cursors, reconnects_seen: 0 })
    }

    /// The worker's consumer name.
    pub fn name(&self) -> &str {
        &self.options.name
    }

    /// Proves tasks until `stop` is set; the unit being proven when it is set is
    /// finished first. Returns what was done.
    pub fn run(&mut self, stop: &AtomicBool) -> Result<WorkerStats> {
        let keeper = self.start_keeper()?;
        tracing::info!(worker = %self.options.name, url = %self.conn.url(), streams = self.keyed.len(), "worker started");
        let result = (|| {
            while !stop.load(Ordering::Relaxed) {
                let batch = self.next_tasks()?;
                let held = batch.iter().map(|(k, e)| (self.keyed[*k].stream.clone(), e.id.clone())).collect();
                self.lock().held = held;
                for (k, entry) in batch {
                    let id = entry.id.clone();
                    if stop.load(Ordering::Relaxed) {
                        // Not started: hand it back at once rather than make it wait a
                        // lease (out of `held` first, so the keeper does not renew it).
                        let stream = self.keyed[k].stream.clone();
                        self.lock().held.retain(|(s, e)| !(s == &stream && e == &id));
                        self.release(k, &id);
                    } else if let Err(e) = self.handle(k, entry) {
                        match e {
                            // Redis gone for the whole reconnect window: stop, and let a
                            // supervisor start us again.
                            FleetError::Unreachable { .. } => return Err(e),
                            // Anything else is this task's trouble, not the worker's: the
                            // entry stays pending and comes back, until its deliveries run out.
                            e => self.task_failed(k, &id, &e),
                        }
                    }
                    let stream = self.keyed[k].stream.clone();
                    self.lock().held.retain(|(s, e)| !(s == &stream && e == &id));
                }
            }
            Ok(())
        })();
        self.lock().stopping = true;
        let _ = keeper.join();
        let stats = self.lock().stats;
        tracing::info!(worker = %self.options.name, ?stats, "worker stopped");
        result.map(|()| stats)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().expect("the keeper does not panic holding the lock")
    }

    /// Makes an entry we hold but will not prove at once reclaimable by others (its
    /// idle time set to a whole lease; no delivery is counted).
    fn release(&mut self, k: usize, entry: &str) {
        let (stream, me) = (self.keyed[k].stream.clone(), self.options.name.clone());
        let lease_ms = self.options.lease.as_millis() as u64;
        let released = self.conn.run("XCLAIM", |c| {
            // Only our own: an entry reclaimed by another worker meanwhile stays theirs.
            let owner =
                redis::cmd("XPENDING").arg(&stream).arg(GROUP).arg(entry).arg(entry).arg(1).query::<Value>(c)?;
            if !matches!(stream::pending_deliveries(&owner), Ok(Some((consumer, _))) if consumer == me) {
                return Ok(Value::Nil);
            }
            redis::cmd("XCLAIM")
                .arg(&stream)
                .arg(GROUP)
                .arg(&me)
                .arg(0)
                .arg(entry)
                .arg("IDLE")
                .arg(lease_ms)
                .arg("JUSTID")
                .query::<Value>(c)
        });
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not hand back an unstarted task; it is reclaimed after its lease");
        }
    }

    /// Records a task's error for its dead letter (best effort) and counts it.
    fn task_failed(&mut self, k: usize, entry: &str, error: &FleetError) {
        tracing::warn!(entry, %error, "a task failed; it stays pending for another delivery");
        let field = names::error_field(&self.keyed[k].stream, entry);
        let msg = error.to_string();
        let _ =
            self.conn.run("HSET", |c| redis::cmd("HSET").arg(names::ERRORS).arg(&field).arg(&msg).query::<Value>(c));
        self.lock().stats.failed += 1;
    }

    /// The heartbeat and lease keeper, on its own connection.
    fn start_keeper(&self) -> Result<std::thread::JoinHandle<()>> {
        // Short timeouts: a keeper stuck on a dead connection would let our leases lapse.
        let tick_guess = (self.options.lease / 4).clamp(Duration::from_millis(100), Duration::from_secs(2));
        let mut options = self.connect.clone();
        options.read_timeout = (2 * tick_guess).max(Duration::from_secs(1));
        options.reconnect_for = tick_guess;
        let mut conn = Conn::open(&options)?;
        let shared = Arc::clone(&self.shared);
        let name = self.options.name.clone();
        let tick = (self.options.lease / 4).clamp(Duration::from_millis(100), Duration::from_secs(2));
        let ttl_ms = (3 * tick).max(Duration::from_secs(10)).as_millis() as u64;
        let keys: Vec<String> = self.keyed.iter().map(|k| format!("{} {}", k.prover.unit_id(), &k.vk[..12])).collect();
        let backend = self.options.device.clone();
        let started = now_s();
        Ok(std::thread::spawn(move || loop {
            let (stats, held, current, stopping) = {
                let s = shared.lock().expect("worker does not panic holding the lock");
                (s.stats, s.held.clone(), s.current.clone(), s.stopping)
            };
            let key = names::worker(&name);
            if stopping {
                let _ = conn.run("DEL", |c| redis::cmd("DEL").arg(&key).query::<Value>(c));
                return;
            }
            let beat = conn.run("HSET heartbeat", |c| {
                redis::pipe()
                    .cmd("HSET")
                    .arg(&key)
                    .arg("pid")
                    .arg(std::process::id())
                    .arg("started")
                    .arg(started)
                    .arg("updated")
                    .arg(now_s())
                    .arg("units")
                    .arg(stats.units)
                    .arg("duplicates")
                    .arg(stats.duplicates)
                    .arg("dead")
                    .arg(stats.dead)
                    .arg("failed")
                    .arg(stats.failed)
                    .arg("current")
                    .arg(current.as_ref().map(|c| c.0.as_str()).unwrap_or("idle"))
                    .arg("current_since")
                    .arg(current.as_ref().map(|c| c.1).unwrap_or(0))
                    .arg("device")
                    .arg(&backend)
                    .arg("keys")
                    .arg(keys.join(", "))
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(ttl_ms)
                    .ignore()
                    .query::<()>(c)
            });
            if let Err(e) = beat {
                tracing::warn!(error = %e, "heartbeat failed");
            }
            for (stream, entry) in held {
                // Still held? (An entry handed back since the snapshot is not renewed.)
                let still = shared
                    .lock()
                    .expect("worker does not panic holding the lock")
                    .held
                    .iter()
                    .any(|(s, e)| s == &stream && e == &entry);
                if !still {
                    continue;
                }
                // Renew only our own lease: a task reclaimed by another worker stays theirs.
                let renewed = conn.run("XCLAIM", |c| {
                    let owner = redis::cmd("XPENDING")
                        .arg(&stream)
                        .arg(GROUP)
                        .arg(&entry)
                        .arg(&entry)
                        .arg(1)
                        .query::<Value>(c)?;
                    let mine =
                        matches!(stream::pending_deliveries(&owner), Ok(Some((consumer, _))) if consumer == name);
                    if mine {
                        redis::cmd("XCLAIM")
                            .arg(&stream)
                            .arg(GROUP)
                            .arg(&name)
                            .arg(0)
                            .arg(&entry)
                            .arg("JUSTID")
                            .query::<Value>(c)?;
                    }
                    Ok(())
                });
                if let Err(e) = renewed {
                    tracing::warn!(error = %e, "lease renewal failed");
                }
            }
            let slept = Instant::now();
            while slept.elapsed() < tick && !shared.lock().expect("worker does not panic holding the lock").stopping {
                std::thread::sleep(Duration::from_millis(50));
            }
        }))
    }

    /// The next tasks: first an entry of a dead worker whose lease ran out, else new
    /// ones (at most one per stream: XREADGROUP's COUNT is per stream).
    fn next_tasks(&mut self) -> Result<Vec<(usize, Entry)>> {
        let me = self.options.name.clone();
        let lease_ms = self.options.lease.as_millis() as u64;
        for k in 0..self.keyed.len() {
            let stream = self.keyed[k].stream.clone();
            let cursor = self.cursors[k].clone();
            let claimed = self.conn.run("XAUTOCLAIM", |c| {
                redis::cmd("XAUTOCLAIM")
                    .arg(&stream)
                    .arg(GROUP)
                    .arg(&me)
                    .arg(lease_ms)
                    .arg(&cursor)
                    .arg("COUNT")
                    .arg(1)
                    .query::<Value>(c)
            });
            let reply = match claimed {
                Err(FleetError::Redis { reason, .. }) if reason.contains("NOGROUP") => {
                    self.conn.ensure_group(&stream)?;
                    continue;
                }
                other => other?,
            };
            // Follow the scan's cursor: one call looks at a few pending entries only, and
            // a dead worker's entry may sit behind live ones.
            let (next, claimed) = stream::autoclaim_reply(&reply)?;
            self.cursors[k] = next;
            if let Some(entry) = claimed.into_iter().next() {
                tracing::info!(stream = %stream, entry = %entry.id, "reclaimed a task whose lease ran out");
                return Ok(vec![(k, entry)]);
            }
        }
        let streams: Vec<String> = self.keyed.iter().map(|k| k.stream.clone()).collect();
        let block_ms = self.options.block.as_millis() as u64;
        // After a reconnect, our own pending entries first: a read whose reply was lost
        // left its entries delivered to us, unseen.
        let from = if self.conn.reconnects() != self.reconnects_seen {
            self.reconnects_seen = self.conn.reconnects();
            "0"
        } else {
            ">"
        };
        let read = self.conn.run("XREADGROUP", |c| {
            let mut cmd = redis::cmd("XREADGROUP");
            cmd.arg("GROUP").arg(GROUP).arg(&me).arg("COUNT").arg(1).arg("BLOCK").arg(block_ms).arg("STREAMS");
            for s in &streams {
                cmd.arg(s);
            }
            for _ in &streams {
                cmd.arg(from);
            }
            cmd.query::<Value>(c)
        });
        let reply = match read {
            // The streams or their group vanished under us (a server restarted without
            // its data, a FLUSHALL): make them again and read on.
            Err(FleetError::Redis { reason, .. }) if reason.contains("NOGROUP") || reason.contains("UNBLOCKED") => {
                tracing::warn!(%reason, "the task streams vanished; creating them again");
                for s in &streams {
                    self.conn.ensure_group(s)?;
                }
                return Ok(Vec::new());
            }
            other => other?,
        };
        let entries = stream::read_reply(&reply)?;
        Ok(entries
            .into_iter()
            .filter_map(|(key, entry)| self.keyed.iter().position(|k| k.stream == key).map(|k| (k, entry)))
            .collect())
    }

    /// Acknowledges and deletes an entry (and forgets its last error).
    fn finish(&mut self, stream: &str, entry: &str) -> Result<()> {
        let field = names::error_field(stream, entry);
        self.conn.run("XACK", |c| {
            redis::pipe()
                .cmd("XACK")
                .arg(stream)
                .arg(GROUP)
                .arg(entry)
                .ignore()
                .cmd("XDEL")
                .arg(stream)
                .arg(entry)
                .ignore()
                .cmd("HDEL")
                .arg(names::ERRORS)
                .arg(&field)
                .ignore()
                .query::<()>(c)
        })
    }

    /// Moves a task to the dead-letter stream with its reason (and tells its job's
    /// coordinator, when the entry names a job).
    fn dead_letter(
        &mut self,
        k: usize,
        entry: &Entry,
        task: Option<&TaskRef>,
        deliveries: u64,
        reason: &str,
    ) -> Result<()> {
        let stream = self.keyed[k].stream.clone();
        tracing::warn!(stream = %stream, entry = %entry.id, reason, "dead-lettering a task");
        let name = self.options.name.clone();
        self.conn.run("XADD dead", |c| {
            let mut cmd = redis::cmd("XADD");
            cmd.arg(names::DEAD)
                .arg("MAXLEN")
                .arg("~")
                .arg(100_000)
                .arg("*")
                .arg("stream")
                .arg(&stream)
                .arg("entry")
                .arg(&entry.id)
                .arg("worker")
                .arg(&name)
                .arg("deliveries")
                .arg(deliveries)
                .arg("reason")
                .arg(reason);
            if let Some(t) = task {
                cmd.arg("job").arg(&t.job).arg("unit").arg(t.unit);
            }
            cmd.query::<Value>(c)
        })?;
        if let Some(t) = task {
            self.announce(t, &[("dead", reason), ("entry", &entry.id)])?;
        }
        self.finish(&stream, &entry.id)?;
        self.lock().stats.dead += 1;
        Ok(())
    }

    fn handle(&mut self, k: usize, entry: Entry) -> Result<()> {
        let stream = self.keyed[k].stream.clone();
        let Some(fields) = entry.fields.clone() else {
            // Deleted while pending (its unit was finished by someone else): nothing to do.
            return self.finish(&stream, &entry.id);
        };
        let id = entry.id.clone();
        let pending = self.conn.run("XPENDING", |c| {
            redis::cmd("XPENDING").arg(&stream).arg(GROUP).arg(&id).arg(&id).arg(1).query::<Value>(c)
        })?;
        let Some((owner, deliveries)) = stream::pending_deliveries(&pending)? else {
            return Ok(()); // acknowledged by another worker meanwhile
        };
        if owner != self.options.name {
            return Ok(()); // reclaimed by another worker meanwhile: theirs now
        }
        let task = TaskRef::parse(&fields);
        if deliveries > self.options.max_deliveries {
            let field = names::error_field(&stream, &id);
            let last: Option<Vec<u8>> =
                self.conn.run("HGET", |c| redis::cmd("HGET").arg(names::ERRORS).arg(&field).query(c))?;
            let reason = match last {
                Some(e) => format!("delivered {deliveries} times; last error: {}", String::from_utf8_lossy(&e)),
                None => format!(
                    "delivered {deliveries} times without a result (the workers that took it died or stopped renewing its lease)"
                ),
            };
            return self.dead_letter(k, &entry, task.as_ref().ok(), deliveries, &reason);
        }
        let task = match task {
            Ok(t) => t,
            Err(e) => return self.dead_letter(k, &entry, None, deliveries, &e.to_string()),
        };
        if task.key != self.keyed[k].vk {
            let reason = format!("the task names key {}, but its stream is key {}'s", task.key, self.keyed[k].vk);
            return self.dead_letter(k, &entry, Some(&task), deliveries, &reason);
        }
        let receipts = names::receipts(&task.job);
        let exists: bool =
            self.conn.run("HEXISTS", |c| redis::cmd("HEXISTS").arg(&receipts).arg(task.unit).query(c))?;
        if exists {
            // A repeated delivery (or a crash between storing and acknowledging):
            // the first receipt stands; announce it again in case that was lost.
            self.announce(&task, &[])?;
            self.finish(&stream, &id)?;
            self.lock().stats.duplicates += 1;
            return Ok(());
        }
        let (kind, spec) = (self.keyed[k].prover.kind(), *self.keyed[k].prover.spec());
        let key = names::inputs(&task.job, task.unit);
        let len: usize = self.conn.run("STRLEN", |c| redis::cmd("STRLEN").arg(&key).query(c))?;
        if len == 0 {
            let reason = format!("its inputs ({key}) are gone: the job finished, expired or was never enqueued");
            return self.dead_letter(k, &entry, Some(&task), deliveries, &reason);
        }
        if len > encoded_len(UnitKind::Accumulate, spec.m()) {
            let reason = format!("its inputs are {len} bytes, more than any {} task has", spec);
            return self.dead_letter(k, &entry, Some(&task), deliveries, &reason);
        }
        let bytes: Vec<u8> = self.conn.run("GET", |c| redis::cmd("GET").arg(&key).query(c))?;
        let inputs = match UnitInputs::decode(&bytes) {
            Ok(x) => x,
            Err(e) => return self.dead_letter(k, &entry, Some(&task), deliveries, &e.to_string()),
        };
        if inputs.kind != kind || inputs.tile() != spec.m() || spec.m() != spec.k() || spec.k() != spec.n() {
            let reason = format!(
                "the inputs are for a {:?} unit of tile {}; key {} is {}'s",
                inputs.kind,
                inputs.tile(),
                &task.key[..12],
                self.keyed[k].prover.unit_id()
            );
            return self.dead_letter(k, &entry, Some(&task), deliveries, &reason);
        }
        self.prove_and_store(k, &entry, &task, &inputs, deliveries)
    }

    /// Tells the job's coordinator the unit has a receipt. Best effort: the
    /// coordinator's sweep finds a receipt whose announcement was lost.
    fn announce(&mut self, task: &TaskRef, fields: &[(&str, &str)]) -> Result<()> {
        let name = self.options.name.clone();
        let done = names::done(&task.job);
        let announced = self.conn.run("XADD done", |c| {
            let mut xadd = redis::cmd("XADD");
            xadd.arg(&done)
                .arg("MAXLEN")
                .arg("~")
                .arg(1_000_000)
                .arg("*")
                .arg("unit")
                .arg(task.unit)
                .arg("worker")
                .arg(&name);
            for (k, v) in fields {
                xadd.arg(*k).arg(*v);
            }
            redis::pipe().add_command(xadd).ignore().cmd("EXPIRE").arg(&done).arg(DONE_KEEP_S).ignore().query::<()>(c)
        });
        match announced {
            Err(e @ FleetError::Unreachable { .. }) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "could not announce a unit; its coordinator's sweep will find it");
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    fn prove_and_store(
        &mut self,
        k: usize,
        entry: &Entry,
        task: &TaskRef,
        inputs: &UnitInputs,
        deliveries: u64,
    ) -> Result<()> {
        let stream = self.keyed[k].stream.clone();
        let what = format!("job {}… unit {} {}", &task.job[..12], task.unit, inputs.pos);
        self.lock().current = Some((what, now_s()));
        let start = Instant::now();
        let mut rng = rand::rngs::OsRng;
        let keyed = &self.keyed[k];
        let made = match &inputs.cin {
            None => keyed.prover.prove(&inputs.a, &inputs.b, &mut rng).map(|o| o.receipt),
            Some(cin) => keyed.prover.prove_accumulate_computed(&inputs.a, &inputs.b, cin, &mut rng).map(|o| o.receipt),
        };
        // The one check that does not trust the prover: our verifier, before storing.
        let checked =
            made.map_err(FleetError::from).and_then(|r| keyed.verifier.verify(&r).map(|_| r).map_err(FleetError::from));
        if let Some(rest) = self.options.min_unit.checked_sub(start.elapsed()) {
            std::thread::sleep(rest);
        }
        self.lock().current = None;
        let receipt = match checked {
            Ok(r) => r,
            Err(FleetError::Prover(e @ ProverError::AccumulationOverflow { .. })) => {
                return self.dead_letter(k, entry, Some(task), deliveries, &e.to_string());
            }
            Err(e) => {
                // Left pending for another delivery, its error kept for the dead letter.
                self.task_failed(k, &entry.id, &e);
                return Ok(());
            }
        };
        let receipts = names::receipts(&task.job);
        let json = receipt.to_json();
        let first: bool =
            self.conn.run("HSETNX", |c| redis::cmd("HSETNX").arg(&receipts).arg(task.unit).arg(&json).query(c))?;
        self.announce(task, &[])?;
        self.finish(&stream, &entry.id)?;
        let mut shared = self.lock();
        if first {
            shared.stats.units += 1;
        } else {
            shared.stats.duplicates += 1;
        }
        tracing::info!(unit = task.unit, pos = %inputs.pos, ms = start.elapsed().as_millis() as u64, first, "unit proven");
        Ok(())
    }
}
