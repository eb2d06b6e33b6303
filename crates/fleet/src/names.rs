//! Where the fleet keeps things in Redis: one place for every key name.
//!
//! ```text
//! tp:tasks:{vk}             stream, one per verifying key; consumer group `provers`
//! tp:job:{job}:in:{unit}    string, the unit's inputs (binary, see `task`)
//! tp:job:{job}:receipts     hash unit → receipt JSON (first write wins: HSETNX)
//! tp:job:{job}:done         stream of {unit, worker} or {unit, dead, entry}: what the coordinator waits on
//! tp:job:{job}:meta         hash: unit, shape, units (for `fleet status`)
//! tp:jobs                   set of the jobs in progress
//! tp:dead                   stream of dead-lettered tasks with their last error
//! tp:errors                 hash "{stream} {entry}" → the last error a worker hit on it
//! tp:worker:{name}          hash, a worker's heartbeat (expires when the worker stops beating)
//! ```
//!
//! `{job}` is the job's statement id, so a coordinator run again on the same job finds
//! the receipts already made; `{vk}` is a verifying key's id, so a worker reads only
//! the streams of keys it holds and never takes a task it cannot prove.

/// The consumer group every worker reads tasks in.
pub const GROUP: &str = "provers";
/// The dead-letter stream.
pub const DEAD: &str = "tp:dead";
/// Last errors per pending task.
pub const ERRORS: &str = "tp:errors";
/// Jobs in progress.
pub const JOBS: &str = "tp:jobs";
/// Prefix of the workers' heartbeat keys.
pub const WORKER_PREFIX: &str = "tp:worker:";

/// The task stream for the key whose id is `vk`.
pub fn tasks(vk: &str) -> String {
    format!("tp:tasks:{vk}")
}

/// The inputs of unit `unit` of job `job`.
pub fn inputs(job: &str, unit: usize) -> String {
    format!("tp:job:{job}:in:{unit}")
}

/// The receipts of job `job`.
pub fn receipts(job: &str) -> String {
    format!("tp:job:{job}:receipts")
}

/// The stream the workers announce finished (or dead-lettered) units of `job` on.
pub fn done(job: &str) -> String {
    format!("tp:job:{job}:done")
}

/// Facts about job `job` for `fleet status`.
pub fn meta(job: &str) -> String {
    format!("tp:job:{job}:meta")
}

/// A worker's heartbeat.
pub fn worker(name: &str) -> String {
    format!("{WORKER_PREFIX}{name}")
}

/// The field of [`ERRORS`] for an entry of a stream.
pub fn error_field(stream: &str, entry: &str) -> String {
    format!("{stream} {entry}")
}
