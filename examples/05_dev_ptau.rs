//! 05: an INSECURE prepared Powers of Tau of a chosen power, from a seed, for the
//! ceremony benchmark (`scripts/bench-contribute.sh`) at sizes no public file is small
//! enough to download for. Whoever knows the seed can forge proofs under its keys.
//!
//! `cargo run --release --example 05_dev_ptau -- POWER SEED OUT.ptau`

use anyhow::{bail, Context, Result};
use ark_ff::UniformRand;
use rand::SeedableRng;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [power, seed, out] = args.as_slice() else {
        bail!("usage: 05_dev_ptau POWER SEED OUT.ptau");
    };
    let power: u32 = power.parse().context("POWER is a number")?;
    let seed: u64 = seed.parse().context("SEED is a number")?;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let (tau, alpha, beta) =
        (ark_bn254::Fr::rand(&mut rng), ark_bn254::Fr::rand(&mut rng), ark_bn254::Fr::rand(&mut rng));
    let started = std::time::Instant::now();
    teraproof_prover::ceremony::dev_ptau::write_dev_ptau(std::path::Path::new(out), power, tau, alpha, beta)?;
    println!(
        "wrote {out}: INSECURE development ptau of power {power} (seed {seed}) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
