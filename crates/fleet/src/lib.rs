//! # teraproof-fleet
//!
//! A job's units proven by many workers through **Redis Streams** with consumer
//! groups (docs/fleet.md; DESIGN §11): no home-made scheduler, no protocol of our own.
//!
//! - [`Coordinator`] (`teraproof job prove --fleet URL`): computes C and the partial
//!   sums, writes each unit's inputs in a compact binary form ([`task`]), enqueues one
//!   task per unit on the stream of the key that proves it, collects the receipts as
//!   workers announce them, verifies each, re-enqueues any that fails, and assembles
//!   and verifies the job receipt. It needs verifying keys only.
//! - [`Worker`] (`teraproof worker --fleet URL --keys DIR…`): keeps its provers loaded,
//!   reads tasks (XREADGROUP), proves, verifies, stores the receipt (HSETNX: first
//!   write wins), announces it, and only then acknowledges. See [`worker`] for the
//!   lease it renews and how dead workers' tasks are reclaimed (XAUTOCLAIM).
//! - [`status()`] (`teraproof fleet status URL`).
//!
//! ## Failure model
//!
//! Delivery is at least once; results are idempotent. A task's receipt is keyed by
//! job and unit, so a task proven twice leaves one receipt. Everything read from Redis
//! is untrusted input: tasks are parsed strictly and checked against the worker's
//! keys (a malformed or foreign task goes to the dead-letter stream with its reason,
//! never a panic or a crash loop), a task delivered more than
//! [`WorkerOptions::max_deliveries`] times is dead-lettered with its last error, and
//! the coordinator verifies every receipt it reads (a worker verifies its own before
//! storing it, so no honest worker stores an invalid one; a dishonest one's is
//! deleted and the unit proven again). Redis going away (restart, failover) is
//! survived by reconnecting ([`conn`]); with an append-only file nothing is lost, and
//! without one the coordinator enqueues its outstanding units again.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod conn;
pub mod coordinator;
pub mod error;
pub mod names;
pub mod status;
pub mod stream;
pub mod task;
pub mod worker;

/// The Redis client the fleet runs on, for callers that inspect the server.
pub use redis;

pub use conn::{redacted, Conn, ConnectOptions};
pub use coordinator::{Coordinator, CoordinatorOptions, FleetJobOutput, FleetProgress};
pub use error::{FleetError, Result};
pub use status::{status, FleetStatus};
pub use worker::{Worker, WorkerOptions, WorkerStats};
