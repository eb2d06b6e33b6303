//! `teraproof fleet status`: the workers alive, each task stream's depth and pending
//! entries, the dead letters, and the jobs in progress.

use std::fmt;

use redis::Value;

use crate::conn::Conn;
use crate::error::{FleetError, Result};
use crate::names::{self, GROUP};
use crate::stream::bytes;
use crate::task::{shown, shown_up_to};

/// A worker's heartbeat fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerBeat {
    /// the consumer name
    pub name: String,
    /// field → value, as the worker wrote them
    pub fields: Vec<(String, String)>,
}

impl WorkerBeat {
    /// A field's value.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == field).map(|(_, v)| v.as_str())
    }
}

/// One task stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStatus {
    /// the stream's key
    pub name: String,
    /// entries waiting for a worker
    pub queued: u64,
    /// entries delivered and not yet acknowledged
    pub pending: u64,
}

/// A job in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    /// statement id
    pub id: String,
    /// unit and shape, as the coordinator recorded them
    pub unit: String,
    /// the GEMM's shape
    pub shape: String,
    /// units in the job
    pub units: u64,
    /// units with a stored receipt
    pub receipts: u64,
}

/// The fleet at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetStatus {
    /// live workers
    pub workers: Vec<WorkerBeat>,
    /// task streams
    pub streams: Vec<StreamStatus>,
    /// dead letters in all
    pub dead: u64,
    /// the latest dead letters: (entry, reason)
    pub recent_dead: Vec<(String, String)>,
    /// jobs in progress
    pub jobs: Vec<JobStatus>,
}

fn text(v: &Value) -> String {
    bytes(v).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}

fn scan(conn: &mut Conn, pattern: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let reply: (String, Vec<Vec<u8>>) = conn.run("SCAN", |c| {
            redis::cmd("SCAN").arg(&cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(1000).query(c)
        })?;
        out.extend(reply.1.into_iter().map(|k| String::from_utf8_lossy(&k).into_owned()));
        if reply.0 == "0" {
            break;
        }
        cursor = reply.0;
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// How many workers have a live heartbeat.
pub fn live_workers(conn: &mut Conn) -> Result<usize> {
    Ok(scan(conn, &format!("{}*", names::WORKER_PREFIX))?.len())
}

/// Live workers whose heartbeat lists the key `vk` (by its first 12 hex digits, as
/// the heartbeat does).
pub fn live_workers_for(conn: &mut Conn, vk: &str) -> Result<usize> {
    let prefix: String = vk.chars().take(12).collect();
    let mut n = 0;
    for key in scan(conn, &format!("{}*", names::WORKER_PREFIX))? {
        let keys =
            tolerant(conn.run("HGET", |c| redis::cmd("HGET").arg(&key).arg("keys").query::<Option<Vec<u8>>>(c)))?;
        if keys.flatten().is_some_and(|k| String::from_utf8_lossy(&k).contains(&prefix)) {
            n += 1;
        }
    }
    Ok(n)
}

/// A reply, or `None` when Redis answered with an error (a key of the wrong type or
/// form, another program's or a damaged one): one odd key must not spoil the report.
/// Redis being unreachable is still an error.
fn tolerant<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e @ FleetError::Unreachable { .. }) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The fleet's state.
pub fn status(conn: &mut Conn) -> Result<FleetStatus> {
    let mut workers = Vec::new();
    for key in scan(conn, &format!("{}*", names::WORKER_PREFIX))? {
        let Some(flat) = tolerant(conn.run("HGETALL", |c| redis::cmd("HGETALL").arg(&key).query::<Vec<Value>>(c)))?
        else {
            continue;
        };
        let fields = flat.chunks_exact(2).map(|kv| (text(&kv[0]), text(&kv[1]))).collect();
        let name = key.strip_prefix(names::WORKER_PREFIX).unwrap_or(&key).to_string();
        workers.push(WorkerBeat { name, fields });
    }
    let mut streams = Vec::new();
    for key in scan(conn, "tp:tasks:*")? {
        let Some(length) = tolerant(conn.run("XLEN", |c| redis::cmd("XLEN").arg(&key).query::<u64>(c)))? else {
            continue;
        };
        // No group yet (no worker or coordinator has come): nothing is pending.
        let summary =
            tolerant(conn.run("XPENDING", |c| redis::cmd("XPENDING").arg(&key).arg(GROUP).query::<Value>(c)))?;
        let pending = match &summary {
            Some(Value::Array(parts)) => parts.first().and_then(|v| text(v).parse().ok()).unwrap_or(0),
            _ => 0,
        };
        streams.push(StreamStatus { name: key, queued: length.saturating_sub(pending), pending });
    }
    let dead = tolerant(conn.run("XLEN", |c| redis::cmd("XLEN").arg(names::DEAD).query::<u64>(c)))?.unwrap_or(0);
    let recent = tolerant(conn.run("XREVRANGE", |c| {
        redis::cmd("XREVRANGE").arg(names::DEAD).arg("+").arg("-").arg("COUNT").arg(5).query::<Value>(c)
    }))?
    .unwrap_or(Value::Array(Vec::new()));
    let wrapped = Value::Array(vec![Value::Array(vec![Value::BulkString(names::DEAD.as_bytes().to_vec()), recent])]);
    let recent_dead = crate::stream::read_reply(&wrapped)
        .unwrap_or_default()
        .into_iter()
        .map(|(_, e)| {
            let reason = e.text("reason").unwrap_or("").to_string();
            (e.id, reason)
        })
        .collect();
    let ids = tolerant(conn.run("SMEMBERS", |c| redis::cmd("SMEMBERS").arg(names::JOBS).query::<Vec<Vec<u8>>>(c)))?
        .unwrap_or_default();
    let mut jobs = Vec::new();
    for id in ids {
        let id = String::from_utf8_lossy(&id).into_owned();
        let meta = tolerant(conn.run("HMGET", |c| {
            redis::cmd("HMGET").arg(names::meta(&id)).arg("unit").arg("shape").arg("units").query::<Vec<Value>>(c)
        }))?
        .unwrap_or_default();
        let field = |i: usize| meta.get(i).map(text).unwrap_or_default();
        let receipts =
            tolerant(conn.run("HLEN", |c| redis::cmd("HLEN").arg(names::receipts(&id)).query::<u64>(c)))?.unwrap_or(0);
        jobs.push(JobStatus { unit: field(0), shape: field(1), units: field(2).parse().unwrap_or(0), receipts, id });
    }
    Ok(FleetStatus { workers, streams, dead, recent_dead, jobs })
}

impl fmt::Display for FleetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Everything here was written by someone else: cut and made printable.
        let show = |s: &str| shown(s.as_bytes());
        writeln!(f, "workers      {} alive", self.workers.len())?;
        for w in &self.workers {
            let g = |k| show(w.get(k).unwrap_or("?"));
            let since = |k| w.get(k).and_then(|v| v.parse::<u64>().ok());
            let current = match (w.get("current"), since("current_since"), since("updated")) {
                (Some("idle") | None, _, _) => "idle".to_string(),
                (Some(task), Some(from), Some(now)) if from > 0 => {
                    format!("{} for {} s", shown_up_to(task.as_bytes(), 80), now.saturating_sub(from))
                }
                (Some(task), _, _) => shown_up_to(task.as_bytes(), 80),
            };
            writeln!(
                f,
                "  {:<24} {} units ({} repeated, {} dead-lettered, {} failed); {}; {}; keys {}",
                show(&w.name),
                g("units"),
                g("duplicates"),
                g("dead"),
                g("failed"),
                current,
                g("device"),
                w.get("keys")
                    .map(|k| k.chars().filter(|c| !c.is_control()).take(200).collect::<String>())
                    .unwrap_or_default()
            )?;
        }
        writeln!(f, "task streams {}", self.streams.len())?;
        for s in &self.streams {
            writeln!(f, "  {:<24} {} queued, {} pending", show(&s.name), s.queued, s.pending)?;
        }
        writeln!(f, "dead letters {}", self.dead)?;
        for (id, reason) in &self.recent_dead {
            writeln!(f, "  {}: {}", show(id), show(reason))?;
        }
        writeln!(f, "jobs         {} in progress", self.jobs.len())?;
        for j in &self.jobs {
            let id: String = j.id.chars().take(12).collect();
            writeln!(
                f,
                "  {}… {} on {}: {}/{} receipts",
                show(&id),
                show(&j.shape),
                show(&j.unit),
                j.receipts,
                j.units
            )?;
        }
        Ok(())
    }
}
