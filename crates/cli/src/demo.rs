//! `teraproof demo`: the main job on an embedded default. Development keys are cached
//! in the user's cache directory, so only the first run pays for setup.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use teraproof_circuits::circuit_cost;
use teraproof_core::{UnitSpec, PROOF_BYTES};
use teraproof_prover::{Backend, UnitKeys};
use teraproof_verifier::Verifier;

use crate::{random_inputs, run_setup, spinner, write};

/// The demo's development-setup seed (public, hence insecure keys).
const DEMO_DEV_SEED: u64 = 7;

pub fn cache_dir() -> PathBuf {
    // An empty value means unset, not the current folder.
    std::env::var_os("TERAPROOF_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("teraproof")))
        .unwrap_or_else(|| std::env::temp_dir().join("teraproof"))
}

/// A cached development key directory for jobs on the square unit `spec`: the compute
/// unit's keys (as [`cached_dev_keys`]) and the accumulating unit's in `accumulate/`,
/// made when absent.
pub fn cached_dev_job_keys(spec: &UnitSpec) -> Result<PathBuf> {
    cached_dev_keys(spec)?;
    let key_dir = cache_dir().join("keys").join(format!("{}-dev{DEMO_DEV_SEED}", spec.id()));
    let acc_dir = key_dir.join(teraproof_verifier::ACCUMULATE_KEYS_DIR);
    let ours = |keys: &UnitKeys| {
        keys.manifest().dev_seed == Some(DEMO_DEV_SEED)
            && keys.manifest().insecure_dev_setup
            && keys.kind() == teraproof_core::UnitKind::Accumulate
    };
    match UnitKeys::load(&acc_dir, Some(spec)) {
        Ok(keys) if ours(&keys) => {}
        _ => {
            let mut keys =
                teraproof_prover::setup_dev_of_kind(teraproof_core::UnitKind::Accumulate, *spec, DEMO_DEV_SEED)?;
            keys.save(&acc_dir)?;
        }
    }
    Ok(key_dir)
}

/// Where [`cached_dev_keys`] keeps `spec`'s development keys.
pub fn dev_key_dir(spec: &UnitSpec) -> PathBuf {
    cache_dir().join("keys").join(format!("{}-dev{DEMO_DEV_SEED}", spec.id()))
}

/// Development keys for `spec` from the cache, made (and cached) when absent. Returns
/// the keys and a line saying where they came from.
pub fn cached_dev_keys(spec: &UnitSpec) -> Result<(UnitKeys, String)> {
    let key_dir = dev_key_dir(spec);
    let t = Instant::now();
    // Only keys this function made are reused: the demo prints their seed as fact.
    let ours = |keys: &UnitKeys| keys.manifest().dev_seed == Some(DEMO_DEV_SEED) && keys.manifest().insecure_dev_setup;
    match UnitKeys::load(&key_dir, Some(spec)) {
        Ok(keys) if ours(&keys) => Ok((keys, format!("cached development keys in {}", key_dir.display()))),
        _ => {
            run_setup(*spec, Some(DEMO_DEV_SEED), &key_dir)?;
            let keys = UnitKeys::load(&key_dir, Some(spec)).context("reloading the keys just written")?;
            let note = format!("new development keys in {} ({:.1} s)", key_dir.display(), t.elapsed().as_secs_f64());
            Ok((keys, note))
        }
    }
}

pub fn run(unit: &str, seed: u64, backend: Backend) -> Result<ExitCode> {
    let spec: UnitSpec = unit.parse()?;
    crate::fit::check_fits("the demo", teraproof_core::UnitKind::Product, &spec)?;
    let cost = circuit_cost(&spec)?;
    let root = cache_dir();
    println!(
        "teraproof demo: {} ({}), {} ops, seed {seed}",
        spec.catalog_name().unwrap_or("custom unit"),
        spec,
        spec.ops()
    );

    let (keys, setup_note) = cached_dev_keys(&spec)?;

    let (a, b) = random_inputs(&spec, seed)?;
    let pb = spinner(crate::preparing(backend, "loading the circuit"));
    let vk = keys.verifying_key()?;
    let prover = backend.prover(keys)?;
    pb.set_message(format!("proving {spec}"));
    let output = prover.prove(&a, &b, &mut rand::rngs::OsRng)?;
    pb.set_message("verifying");
    let verifier = Verifier::new(vk);
    let t = Instant::now();
    let verified = verifier.verify(&output.receipt)?;
    let verify_ms = t.elapsed().as_secs_f64() * 1e3;
    pb.finish_and_clear();

    let out_dir = root.join("demo");
    let receipt_path = out_dir.join(format!("receipt-{}.json", spec.id()));
    write(&receipt_path, &output.receipt.to_json())?;
    write(&out_dir.join(format!("C-{}.json", spec.id())), &output.c.to_json())?;

    let r = &output.receipt;
    let t = &r.prover.timings;
    let prove_ms = t.total_ms - t.compute_ms;
    println!("  keys            {setup_note}");
    println!("                  INSECURE development setup (public seed {DEMO_DEV_SEED}): for demonstration only");
    println!("  compute on      {} ({})", r.prover.compute_backend, r.prover.compute_device);
    println!("  msm on          {} ({})", r.prover.backend, r.prover.device);
    println!("  constraints     {} (textbook circuit: {})", cost.constraints, cost.naive_constraints);
    println!("  compute         {:10.3} ms", t.compute_ms);
    println!("  witness         {:10.1} ms", t.witness_ms);
    println!("  qap             {:10.1} ms", t.qap_ms);
    println!("  msm             {:10.1} ms", t.msm_ms);
    println!("  prove (total)   {prove_ms:10.1} ms");
    println!("  verify          {verify_ms:10.2} ms");
    println!("  proof overhead  {:10.0}x  (prove time / compute time)", prove_ms / t.compute_ms.max(1e-6));
    println!("  proof size      {PROOF_BYTES:>10} bytes");
    println!("  statement       {}", verified.statement_id);
    println!("  receipt         {}", receipt_path.display());
    Ok(ExitCode::SUCCESS)
}
