//! Will a Groth16 unit fit this machine? Estimates of the proving key's size and the peak
//! memory of setup and proving, so that impossible work is refused before it starts
//! instead of dying in a failed allocation (an abort, exit 134) hours later.
//!
//! The estimates are fitted to measurements, not derived: the proving key takes about
//! [`KEY_BYTES_PER_CONSTRAINT`] bytes per constraint (386–395 measured at CU-16 … CU-256,
//! docs/perf/2026-12-02-sumcheck.md) and proving peaked below twice the key's size
//! (1.69–1.95×, docs/perf/2026-11-24-cpu.md), so the peak is taken as
//! [`PEAK_OVER_KEY`] times the key.

use anyhow::{bail, Result};
use teraproof_circuits::{accumulate_cost, circuit_cost};
use teraproof_core::{UnitKind, UnitSpec};

/// Proving-key bytes per constraint (measured, rounded up).
pub const KEY_BYTES_PER_CONSTRAINT: u64 = 400;
/// Peak memory of setup or proving, as a multiple of the proving key (measured ≤ 1.95).
pub const PEAK_OVER_KEY: u64 = 2;
/// Set to `1` to skip the check (for a machine whose memory the estimate misjudges).
pub const SKIP_ENV: &str = "TERAPROOF_SKIP_MEMORY_CHECK";

/// A unit's estimated costs on the Groth16 path.
pub struct Estimate {
    pub constraints: usize,
    pub proving_key_bytes: u64,
    pub peak_bytes: u64,
}

/// The estimate for a unit of `kind`.
pub fn estimate(kind: UnitKind, spec: &UnitSpec) -> Result<Estimate> {
    let constraints = match kind {
        UnitKind::Product => circuit_cost(spec)?.constraints,
        UnitKind::Accumulate => accumulate_cost(spec)?.constraints,
    };
    let proving_key_bytes = (constraints as u64).saturating_mul(KEY_BYTES_PER_CONSTRAINT);
    Ok(Estimate { constraints, proving_key_bytes, peak_bytes: proving_key_bytes.saturating_mul(PEAK_OVER_KEY) })
}

/// This machine's memory in bytes (`MemTotal` of /proc/meminfo), when it can be read.
pub fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Bytes in the largest binary unit that keeps the number readable.
pub fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", units[unit])
}

/// Refuses `what` (`setup`, `prove`, …) for a unit whose estimated peak memory exceeds
/// this machine's, saying the estimate and what to do instead.
pub fn check_fits(what: &str, kind: UnitKind, spec: &UnitSpec) -> Result<()> {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        return Ok(());
    }
    let Some(memory) = machine_memory() else { return Ok(()) };
    let e = estimate(kind, spec)?;
    if e.peak_bytes > memory {
        bail!(
            "{what} of {} would not fit this machine: {} constraints, a proving key of about {} and a peak of \
             about {} against {} of memory. Prove it as a job of standard units instead (`teraproof job prove \
             --unit CU-256 …`), or, where its SRS fits, with the sumcheck path (`--system sumcheck`), which needs \
             no proving key; {SKIP_ENV}=1 skips this check",
            kind.unit_id(spec),
            e.constraints,
            human(e.proving_key_bytes),
            human(e.peak_bytes),
            human(memory)
        );
    }
    Ok(())
}
