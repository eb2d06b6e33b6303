//! `teraproof fleet status`: the workers alive, each task stream's depth and pending
//! entries, the dead letters, and the jobs in progress.

use std::fmt;

use redis::Value;

use crate::conn::Conn;
use crate::error::Result;
use crate::names::{self, GROUP};
use crate::stream::bytes;

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

/// The fleet's state.
pub fn status(conn: &mut Conn) -> Result<FleetStatus> {
    let mut workers = Vec::new();
    for key in scan(conn, &format!("{}*", names::WORKER_PREFIX))? {
        let flat: Vec<Value> = conn.run("HGETALL", |c| redis::cmd("HGETALL").arg(&key).query(c))?;
        let fields = flat.chunks_exact(2).map(|kv| (text(&kv[0]), text(&kv[1]))).collect();
        workers.push(WorkerBeat { name: key[names::WORKER_PREFIX.len()..].to_string(), fields });
    }
    let mut streams = Vec::new();
    for key in scan(conn, "tp:tasks:*")? {
        let length: u64 = conn.run("XLEN", |c| redis::cmd("XLEN").arg(&key).query(c))?;
        let summary: Value = conn.run("XPENDING", |c| redis::cmd("XPENDING").arg(&key).arg(GROUP).query(c))?;
        let pending = match &summary {
            Value::Array(parts) => parts.first().and_then(|v| text(v).parse().ok()).unwrap_or(0),
            _ => 0,
        };
        streams.push(StreamStatus { name: key, queued: length.saturating_sub(pending), pending });
    }
    let dead: u64 = conn.run("XLEN", |c| redis::cmd("XLEN").arg(names::DEAD).query(c))?;
    let recent: Value = conn.run("XREVRANGE", |c| {
        redis::cmd("XREVRANGE").arg(names::DEAD).arg("+").arg("-").arg("COUNT").arg(5).query(c)
    })?;
    let recent_dead = crate::stream::read_reply(&Value::Array(vec![Value::Array(vec![
        Value::BulkString(names::DEAD.as_bytes().to_vec()),
        recent,
    ])]))?
    .into_iter()
    .map(|(_, e)| {
        let reason = e.text("reason").unwrap_or("").to_string();
        (e.id, reason)
    })
    .collect();
    let ids: Vec<Vec<u8>> = conn.run("SMEMBERS", |c| redis::cmd("SMEMBERS").arg(names::JOBS).query(c))?;
    let mut jobs = Vec::new();
    for id in ids {
        let id = String::from_utf8_lossy(&id).into_owned();
        let (unit, shape, units): (Option<String>, Option<String>, Option<u64>) = conn.run("HMGET", |c| {
            redis::cmd("HMGET").arg(names::meta(&id)).arg("unit").arg("shape").arg("units").query(c)
        })?;
        let receipts: u64 = conn.run("HLEN", |c| redis::cmd("HLEN").arg(names::receipts(&id)).query(c))?;
        jobs.push(JobStatus {
            id,
            unit: unit.unwrap_or_default(),
            shape: shape.unwrap_or_default(),
            units: units.unwrap_or(0),
            receipts,
        });
    }
    Ok(FleetStatus { workers, streams, dead, recent_dead, jobs })
}

impl fmt::Display for FleetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "workers      {} alive", self.workers.len())?;
        for w in &self.workers {
            let g = |k| w.get(k).unwrap_or("?");
            writeln!(
                f,
                "  {:<24} {} units ({} repeated, {} dead-lettered, {} failed); {}; {}; keys {}",
                w.name,
                g("units"),
                g("duplicates"),
                g("dead"),
                g("failed"),
                g("current"),
                g("device"),
                g("keys")
            )?;
        }
        writeln!(f, "task streams {}", self.streams.len())?;
        for s in &self.streams {
            writeln!(f, "  {:<24} {} queued, {} pending", crate::task::shown(s.name.as_bytes()), s.queued, s.pending)?;
        }
        writeln!(f, "dead letters {}", self.dead)?;
        for (id, reason) in &self.recent_dead {
            writeln!(f, "  {id}: {}", crate::task::shown(reason.as_bytes()))?;
        }
        writeln!(f, "jobs         {} in progress", self.jobs.len())?;
        for j in &self.jobs {
            writeln!(
                f,
                "  {}… {} on {}: {}/{} receipts",
                &j.id[..j.id.len().min(12)],
                j.shape,
                j.unit,
                j.receipts,
                j.units
            )?;
        }
        Ok(())
    }
}
