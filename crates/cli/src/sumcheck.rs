//! `--system sumcheck`: the second proof path on the command line (setup of an SRS,
//! prove, verify with the buyer's data) and its side of `bench --systems`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use ark_bn254::G1Affine;
use teraproof_core::{compute_unit_cpu, Matrix, UnitSpec};
use teraproof_prover::sumcheck::srs::{SRS_G1_FILE, SRS_KEY_FILE};
use teraproof_prover::sumcheck::{Srs, SumcheckProver};
use teraproof_prover::{compute_with_fallback, Backend};
use teraproof_verifier::sumcheck::commit::{check_data, powers_from_bytes, G1_POWER_BYTES};
use teraproof_verifier::sumcheck::{Dims, SrsKey, SumcheckReceipt};

use teraproof_verifier::sumcheck::receipt::MAX_SUMCHECK_RECEIPT_BYTES;

use crate::{
    check_outputs, one_line, output_name, read_capped, read_matrix, say, spinner, stdin_at_most_once, write,
    write_matrix, ReadError, Verdict,
};

/// The proof systems a command can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum System {
    /// The Groth16 compute unit (digests as public inputs, a proving key per unit).
    Groth16,
    /// Sumcheck over committed matrices (an SRS, any shape it is long enough for).
    Sumcheck,
}

/// The dev seed `bench` and `demo` use for their cached SRS.
pub const BENCH_SRS_SEED: u64 = 7;

/// `setup --system sumcheck`: an SRS directory long enough for `spec`.
pub fn setup(spec: &UnitSpec, dev_seed: Option<u64>, ptau: Option<&Path>, out: &Path, force: bool) -> Result<()> {
    if out.join(SRS_KEY_FILE).exists() && !force {
        bail!("{} already holds an SRS; pass --force to overwrite", out.display());
    }
    let powers = Dims::of(spec.m(), spec.k(), spec.n()).max_len();
    let pb = spinner(format!("making an SRS of {powers} powers"));
    let srs = match (dev_seed, ptau) {
        (Some(seed), None) => Srs::dev(seed, powers)?,
        (None, Some(path)) => Srs::from_ptau(path, powers)?,
        _ => bail!("--system sumcheck needs exactly one of --dev-seed SEED and --ptau FILE"),
    };
    srs.save(out)?;
    pb.finish_and_clear();
    println!("unit        {} (any shape whose padded matrices fit {powers} powers)", spec.id());
    println!("srs id      {}", srs.key.id());
    println!("source      {}", srs.key.source);
    println!("srs         {}", out.display());
    if srs.key.insecure {
        println!("WARNING     INSECURE development SRS: its tau follows from the seed, anyone can forge proofs");
    }
    Ok(())
}

/// `prove --system sumcheck`.
pub fn prove(keys: &Path, a: &Path, b: &Path, out: &Path, c_out: Option<&Path>, backend: Backend) -> Result<()> {
    let outputs: Vec<&Path> = std::iter::once(out).chain(c_out).collect();
    check_outputs(&outputs, &[a, b], Some(keys))?;
    let (a, b) = (read_matrix::<i8>(a)?, read_matrix::<i8>(b)?);
    let spec = UnitSpec::new(a.rows(), a.cols(), b.cols())?;
    if b.rows() != a.cols() {
        bail!(
            "shape mismatch: A is {}x{}, B is {}x{}; B needs {} rows",
            a.rows(),
            a.cols(),
            b.rows(),
            b.cols(),
            a.cols()
        );
    }
    let need = Dims::of(spec.m(), spec.k(), spec.n()).max_len();
    let srs = Srs::load(keys, need).with_context(|| format!("cannot load the SRS from {}", keys.display()))?;
    let pb = spinner(format!("proving {spec} (sumcheck)"));
    let started = Instant::now();
    let compute_backend = backend.compute()?;
    let (c, compute, _) = compute_with_fallback(compute_backend.as_ref(), &spec, &a, &b)?;
    let compute_ms = started.elapsed().as_secs_f64() * 1e3;
    let prover = SumcheckProver::new(srs, backend.msm()?);
    let mut output = prover.prove(&spec, &a, &b, &c)?;
    output.receipt.prover.compute_backend = compute.into();
    output.receipt.prover.timings.compute_ms = compute_ms;
    output.receipt.prover.timings.total_ms += compute_ms;
    pb.finish_and_clear();
    write(out, &output.receipt.to_json())?;
    if let Some(c_out) = c_out {
        write_matrix(c_out, &c)?;
    }
    let t = &output.receipt.prover.timings;
    let shown = output_name(out);
    say(
        &outputs,
        format!(
            "receipt {shown} ({spec}, sumcheck, {}: commit {:.1} ms, sumcheck {:.1} ms, open {:.1} ms, total {:.1} ms)",
            output.receipt.prover.backend, t.commit_ms, t.sumcheck_ms, t.open_ms, t.total_ms
        ),
    );
    if output.receipt.insecure_dev_setup {
        say(&outputs, "WARNING: the SRS is an INSECURE development SRS; the receipt says so");
    }
    Ok(())
}

/// `verify --system sumcheck`: each receipt against the SRS key, one verdict each, as
/// the Groth16 `verify` prints them (a line each, or one JSON array); with the buyer's
/// matrices their commitments are recomputed from the SRS's G1 powers (checked to be
/// powers of the key's τ first) and compared. Exit 0 all valid, 1 any invalid, 2 one
/// could not be read (errors returned here stop every check: status 2 as well).
pub fn verify(
    keys: &Path,
    a: Option<&Path>,
    b: Option<&Path>,
    c: Option<&Path>,
    receipts: &[PathBuf],
    json: bool,
    srs_id: Option<&str>,
) -> Result<ExitCode> {
    if (a.is_some() || b.is_some() || c.is_some()) && receipts.len() > 1 {
        bail!("--a, --b and --c check one receipt's matrices; give a single receipt with them");
    }
    let read_files: Vec<&Path> = [a, b, c].into_iter().flatten().chain(receipts.iter().map(PathBuf::as_path)).collect();
    stdin_at_most_once(&read_files)?;
    let key = Srs::load_key(keys).with_context(|| format!("cannot load the SRS key from {}", keys.display()))?;
    if let Some(pinned) = srs_id {
        if !pinned.eq_ignore_ascii_case(&key.id()) {
            bail!("{} holds SRS {}, not the pinned --srs-id {}", keys.display(), key.id(), one_line(pinned));
        }
    }
    let a = a.map(read_matrix::<i8>).transpose()?;
    let b = b.map(read_matrix::<i8>).transpose()?;
    let c = c.map(read_matrix::<i32>).transpose()?;
    let checked: Vec<&str> =
        [("A", a.is_some()), ("B", b.is_some()), ("C", c.is_some())].iter().filter(|x| x.1).map(|x| x.0).collect();
    let mut verdicts = Vec::with_capacity(receipts.len());
    for path in receipts {
        let bytes = match read_capped(path, MAX_SUMCHECK_RECEIPT_BYTES as u64, "sumcheck receipt") {
            Ok(bytes) => bytes,
            Err(e @ ReadError::TooLarge { .. }) => {
                verdicts.push(Verdict::Invalid(format!("malformed receipt: {e}")));
                continue;
            }
            Err(e) => {
                verdicts.push(Verdict::Unchecked(format!("cannot read {}: {e}", path.display())));
                continue;
            }
        };
        let checked_receipt = String::from_utf8(bytes)
            .map_err(|e| anyhow::anyhow!("malformed receipt: not UTF-8 text ({e})"))
            .and_then(|text| Ok(key.verify_json(&text)?))
            .and_then(|(receipt, statement)| {
                if !checked.is_empty() {
                    let powers = read_powers(keys, &key, statement.dims().max_len())?;
                    check_data(&statement, &powers, a.as_ref(), b.as_ref(), c.as_ref())?;
                }
                Ok(receipt)
            });
        verdicts.push(match checked_receipt {
            Ok(r) => Verdict::Valid {
                statement: format!("{}:{}:{}:{}:{}", r.unit, r.srs, r.commitments.a, r.commitments.b, r.commitments.c),
                dc: r.commitments.c.clone(),
                unit: r.unit.clone(),
                insecure: key.insecure,
            },
            Err(e) => Verdict::Invalid(format!("{e:#}")),
        });
    }
    let insecure = key.insecure;
    if json {
        let list: Vec<serde_json::Value> = verdicts
            .iter()
            .zip(receipts)
            .map(|(v, p)| {
                let mut j = v.json(p);
                j["system"] = "sumcheck".into();
                if matches!(v, Verdict::Valid { .. }) {
                    j["checked"] = serde_json::json!(checked);
                    j["srs"] = key.id().into();
                }
                j
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        let warn = if insecure { " (INSECURE development SRS)" } else { "" };
        let data = if checked.is_empty() {
            "; proof only: no matrix of yours checked".to_string()
        } else {
            format!("; commitments of {} recomputed and equal", checked.join(", "))
        };
        let id = key.id();
        for (verdict, path) in verdicts.iter().zip(receipts) {
            let path = one_line(&path.display().to_string());
            match verdict {
                Verdict::Valid { statement, .. } => {
                    let unit = statement.split(':').next().unwrap_or_default();
                    println!("valid {path}: {unit} sumcheck, srs {id}{data}{warn}")
                }
                Verdict::Invalid(reason) => println!("invalid {path}: {}", one_line(reason)),
                Verdict::Unchecked(reason) => println!("unchecked {path}: {}", one_line(reason)),
            }
        }
    }
    Ok(Verdict::exit_status(&verdicts))
}

/// The first `need` G1 powers of the SRS directory `keys`, read and checked by the
/// verifier crate (only the bytes needed are read).
fn read_powers(keys: &Path, key: &SrsKey, need: usize) -> Result<Vec<G1Affine>> {
    use std::io::Read;
    let path = keys.join(SRS_G1_FILE);
    // The shape comes from the receipt: bound it by the key before reading anything.
    if need > key.powers {
        bail!("the SRS holds {} powers; this receipt's shape needs {need}", key.powers);
    }
    let file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let meta = file.metadata().with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() || meta.len() != (key.powers as u64).saturating_mul(G1_POWER_BYTES as u64) {
        bail!("{} is not a file of the key's {} powers ({} bytes each)", path.display(), key.powers, G1_POWER_BYTES);
    }
    let mut bytes = Vec::new();
    file.take((need as u64).saturating_mul(G1_POWER_BYTES as u64))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    powers_from_bytes(key, &bytes, need).with_context(|| format!("{}", path.display()))
}

/// One sumcheck measurement for `bench --systems`.
pub struct SumcheckRow {
    pub prove_ms: f64,
    pub commit_ms: f64,
    pub sumcheck_ms: f64,
    pub open_ms: f64,
    pub verify_ms: f64,
    pub buyer_commit_ms: f64,
    pub proof_bytes: usize,
    pub srs_bytes: u64,
    pub backend: String,
    pub device: String,
}

/// The dev SRS for `powers` powers, cached beside the dev keys.
fn cached_srs(powers: usize) -> Result<Srs> {
    let dir = crate::demo::cache_dir().join("srs").join(format!("dev{BENCH_SRS_SEED}-{powers}"));
    if let Ok(srs) = Srs::load(&dir, powers) {
        if srs.key.source == format!("dev-seed:{BENCH_SRS_SEED}") {
            return Ok(srs);
        }
    }
    let srs = Srs::dev(BENCH_SRS_SEED, powers)?;
    srs.save(&dir)?;
    Ok(srs)
}

/// Median of `repeats` sumcheck proofs of `spec` on `a`, `b` (the same matrices the
/// Groth16 row uses), the verify time (median of 20) and the buyer's commitment time.
pub fn measure(
    spec: &UnitSpec,
    a: &Matrix<i8>,
    b: &Matrix<i8>,
    repeats: usize,
    backend: Backend,
) -> Result<SumcheckRow> {
    let dims = Dims::of(spec.m(), spec.k(), spec.n());
    let srs = cached_srs(dims.max_len())?;
    let key = srs.key.clone();
    let srs_bytes = (srs.powers.len() * 64) as u64 + key.to_manifest_json().len() as u64;
    let prover = SumcheckProver::new(srs, backend.msm()?);
    let c = compute_unit_cpu(spec, a, b)?;
    let mut runs: Vec<[f64; 4]> = Vec::new();
    let mut receipt: Option<SumcheckReceipt> = None;
    for _ in 0..repeats {
        let out = prover.prove(spec, a, b, &c)?;
        let t = &out.receipt.prover.timings;
        runs.push([t.total_ms, t.commit_ms, t.sumcheck_ms, t.open_ms]);
        receipt = Some(out.receipt);
    }
    let receipt = receipt.context("at least one repeat")?;
    let text = receipt.to_json();
    let verify: Vec<f64> = (0..20)
        .map(|_| {
            let t = Instant::now();
            key.verify_json(&text).map(|_| t.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    // The buyer's cost: A's and B's commitments recomputed by the verifier crate (no
    // GPU), as `verify --a --b` does.
    let statement = receipt.statement()?;
    let t = Instant::now();
    check_data(&statement, &prover.srs().powers, Some(a), Some(b), None)?;
    let buyer_commit_ms = t.elapsed().as_secs_f64() * 1e3;
    let column = |i: usize| crate::median(runs.iter().map(|r| r[i]).collect());
    Ok(SumcheckRow {
        prove_ms: column(0),
        commit_ms: column(1),
        sumcheck_ms: column(2),
        open_ms: column(3),
        verify_ms: crate::median(verify),
        buyer_commit_ms,
        proof_bytes: dims.proof_bytes(),
        srs_bytes,
        backend: receipt.prover.backend.clone(),
        device: receipt.prover.device.clone(),
    })
}
