//! A GEMM of any shape as a job of standard units: a 200×300×170 int8 product cut into
//! CU-16 units (13×11 output tiles, chains of 19 steps), proven, verified as one job
//! with the buyer's own matrices, then one element of C tampered with and caught.
//!
//! Run: `cargo run --release --example 04_gemm_job [MxKxN]` (9.5 minutes on the
//! 2-core development VM for the default shape; 40x50x30 takes seconds).

use std::time::Instant;

use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use teraproof::core::{matmul_cpu, GemmShape, Matrix, UnitKind, UnitSpec};
use teraproof::prover::{setup_dev_of_kind, Backend, JobOptions, JobProver};
use teraproof::verifier::{JobVerifier, VerifyError};

fn main() -> Result<()> {
    let shape: GemmShape = std::env::args().nth(1).as_deref().unwrap_or("200x300x170").parse()?;
    let unit: UnitSpec = "CU-16".parse()?;

    // 1. Keys for the unit's two circuits: the compute unit starts each chain, the
    //    accumulating unit continues it. Development keys are INSECURE (public seed).
    let product = setup_dev_of_kind(UnitKind::Product, unit, 7)?;
    let accumulate = setup_dev_of_kind(UnitKind::Accumulate, unit, 7)?;
    let verifier = JobVerifier::new(product.verifying_key()?, Some(accumulate.verifying_key()?))?;

    // 2. The buyer's matrices.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let a = Matrix::from_fn(shape.m, shape.k, |_, _| rng.gen::<i8>())?;
    let b = Matrix::from_fn(shape.k, shape.n, |_, _| rng.gen::<i8>())?;

    // 3. The supplier: C once, then every unit of every chain, in parallel batches.
    let prover = JobProver::new(Backend::Auto.prover(product)?, Some(Backend::Auto.prover(accumulate)?))?;
    let tiling = prover.tiling(shape)?;
    let (i, t, j) = tiling.grid();
    println!("job {shape} on {unit}: {i}×{j} output tiles, chains of {t} steps, {} units", tiling.units());
    let start = Instant::now();
    let step = (tiling.units() / 10).max(1);
    let output = prover.prove_job(&a, &b, &JobOptions::default(), &|done, total| {
        if done % step == 0 || done == total {
            println!("  {done}/{total} units proven");
        }
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!("proved in {secs:.1} s ({:.2} units/s)", output.proved as f64 / secs);
    assert_eq!(output.c, matmul_cpu(&a, &b)?);

    // 4. The buyer: the job, then its own A and B and the C it received.
    let start = Instant::now();
    let verified = verifier.verify_gemm_job_with_data(&output.receipt, &a, &b, Some(&output.c))?;
    println!(
        "valid: {} units verified in {:.1} ms with the data check; statement {}",
        verified.units,
        start.elapsed().as_secs_f64() * 1e3,
        verified.statement_id
    );

    // 5. A supplier who changes one element of C after proving is caught.
    let mut tampered = output.c.clone();
    let element = tampered.get_mut(shape.m / 2, shape.n / 3).context("inside C")?;
    *element = element.wrapping_add(1);
    match verifier.verify_gemm_job_with_data(&output.receipt, &a, &b, Some(&tampered)) {
        Err(e @ VerifyError::OutputMismatch { .. }) => println!("tampered C caught: {e}"),
        other => anyhow::bail!("a tampered C was not caught: {other:?}"),
    }
    Ok(())
}
