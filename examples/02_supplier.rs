//! A supplier's loop body: a job file in, the product and its receipt out.
//!
//! A job is JSON: `{"unit": "mm-i8-16x16x16", "a": {matrix}, "b": {matrix}}` with
//! matrices in teraproof's JSON form. Without arguments a sample job is made.
//!
//! Run: `cargo run --release --example 02_supplier [JOB.json] [OUT_DIR]`

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use rand::{Rng, SeedableRng};
use serde_json::json;
use teraproof::core::{digest_matrix, Matrix, UnitSpec};
use teraproof::prover::{setup_dev, Backend};

fn sample_job(path: &PathBuf) -> Result<()> {
    let unit: UnitSpec = "mm-i8-16x16x16".parse()?;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let a = Matrix::from_fn(unit.m(), unit.k(), |_, _| rng.gen::<i8>())?;
    let b = Matrix::from_fn(unit.k(), unit.n(), |_, _| rng.gen::<i8>())?;
    let job = json!({
        "unit": unit.id(),
        "a": serde_json::from_str::<serde_json::Value>(&a.to_json())?,
        "b": serde_json::from_str::<serde_json::Value>(&b.to_json())?,
    });
    std::fs::write(path, serde_json::to_string(&job)?)?;
    Ok(())
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let out_dir = std::env::temp_dir().join("teraproof-supplier");
    std::fs::create_dir_all(&out_dir)?;
    let job_path = match args.next() {
        Some(p) => PathBuf::from(p),
        None => {
            let p = out_dir.join("job.json");
            sample_job(&p)?;
            println!("no job given; wrote a sample job to {}", p.display());
            p
        }
    };
    let out_dir = args.next().map(PathBuf::from).unwrap_or(out_dir);

    // 1. Read and validate the job: unit id, then each matrix against it.
    let job: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&job_path).with_context(|| format!("cannot read {}", job_path.display()))?,
    )
    .context("the job is not JSON")?;
    let unit: UnitSpec = job["unit"].as_str().context("job lacks \"unit\"")?.parse()?;
    let a = Matrix::<i8>::from_json(&job["a"].to_string()).context("job's \"a\"")?;
    let b = Matrix::<i8>::from_json(&job["b"].to_string()).context("job's \"b\"")?;
    if (a.rows(), a.cols(), b.cols()) != (unit.m(), unit.k(), unit.n()) {
        bail!("the job's matrices do not have the shape of {unit}");
    }

    // 2. Keys for the unit (development keys here; a market publishes real ones).
    let keys = setup_dev(unit, 7)?;

    // 3. Compute and prove. `Backend::Auto` takes the GPU when this build and machine
    //    have one, the CPU otherwise; the receipt records which.
    let prover = Backend::Auto.prover(keys)?;
    let output = prover.prove(&a, &b, &mut rand::rngs::OsRng)?;

    // 4. Hand back C and the receipt; the buyer checks dA and dB against its inputs.
    let c_path = out_dir.join("C.json");
    let receipt_path = out_dir.join("receipt.json");
    std::fs::write(&c_path, output.c.to_json())?;
    std::fs::write(&receipt_path, output.receipt.to_json())?;
    assert_eq!(output.receipt.da, digest_matrix(&a));
    let t = &output.receipt.prover.timings;
    println!(
        "{unit}: computed on {} in {:.3} ms, proved (MSMs on {}) in {:.1} ms",
        output.receipt.prover.compute_device,
        t.compute_ms,
        output.receipt.prover.device,
        t.total_ms - t.compute_ms
    );
    println!("wrote {} and {}", c_path.display(), receipt_path.display());
    Ok(())
}
