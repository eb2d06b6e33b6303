//! The shortest complete use of teraproof: keys for a unit, a proof that `C = A·B`,
//! and its verification.
//!
//! Run: `cargo run --release --example 01_prove_and_verify`

use anyhow::Result;
use rand::{Rng, SeedableRng};
use teraproof::core::{Matrix, UnitSpec};
use teraproof::prover::{setup_dev, Backend};
use teraproof::verifier::Verifier;

fn main() -> Result<()> {
    // 1. The unit of work: C (8×8, int32) = A (8×8, int8) · B (8×8, int8).
    let unit: UnitSpec = "CU-8".parse()?;

    // 2. Keys. A development setup from a public seed is INSECURE (anyone who knows the
    //    seed can forge proofs); real deployments use keys from a trusted setup.
    let keys = setup_dev(unit, 7)?;
    let verifying_key = keys.verifying_key()?;

    // 3. The supplier's side: inputs in, product and receipt out.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let a = Matrix::from_fn(unit.m(), unit.k(), |_, _| rng.gen::<i8>())?;
    let b = Matrix::from_fn(unit.k(), unit.n(), |_, _| rng.gen::<i8>())?;
    let prover = Backend::Auto.prover(keys)?;
    let output = prover.prove(&a, &b, &mut rand::rngs::OsRng)?;

    // 4. The marketplace's side: only the verifying key and the receipt.
    let verifier = Verifier::new(verifying_key);
    let verified = verifier.verify(&output.receipt)?;
    verifier.check_output(&output.receipt, &output.c)?;
    println!("verified {} ({} ops) in a {}-byte proof", verified.unit, unit.ops(), teraproof::core::PROOF_BYTES);
    println!("receipt:\n{}", output.receipt.to_json());
    Ok(())
}
