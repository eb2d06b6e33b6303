//! `prove`: teraproof's prover against `ark_groth16::Groth16::prove`, same circuit, same
//! keys, in the same run; and the textbook circuit (one constraint per multiply-add,
//! [`NaiveMatmulCircuit`]) proven by ark-groth16, for the circuit-design comparison.
//! CPU only: the GPU's figures come from `teraproof bench --backend cuda` on a GPU machine
//! (scripts/gpu-validate.sh).
//!
//! Units come from `TERAPROOF_BENCH_UNITS` (comma-separated ids or catalog names;
//! default `CU-16` so that `cargo bench` stays short on 2 cores). Setup is not timed.
//! The textbook circuit is proven only up to `TERAPROOF_BENCH_NAIVE_MAX` constraints.
//! Each unit also prints the constraint count and the proof overhead (prove time /
//! compute time) measured on one run.

use std::time::Instant;

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use teraproof::circuits::{circuit_cost, ComputeUnitCircuit, NaiveMatmulCircuit};
use teraproof::core::{compute_unit_cpu, Matrix, UnitSpec};
use teraproof::prover::{setup_dev, CpuMsm, Prover};

fn units() -> Vec<UnitSpec> {
    std::env::var("TERAPROOF_BENCH_UNITS")
        .unwrap_or_else(|_| "CU-16".into())
        .split(',')
        .map(|u| u.trim().parse().expect("TERAPROOF_BENCH_UNITS holds unit ids"))
        .collect()
}

/// Largest textbook circuit to prove (`TERAPROOF_BENCH_NAIVE_MAX`, default 400 000).
fn naive_limit() -> usize {
    std::env::var("TERAPROOF_BENCH_NAIVE_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(400_000)
}

fn prove(c: &mut Criterion) {
    let mut group = c.benchmark_group("prove");
    group.sample_size(10);
    for spec in units() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let a = Matrix::from_fn(spec.m(), spec.k(), |_, _| rng.gen::<i8>()).unwrap();
        let b = Matrix::from_fn(spec.k(), spec.n(), |_, _| rng.gen::<i8>()).unwrap();
        let keys = setup_dev(spec, 1).unwrap();
        let pk = keys.proving_key().clone();
        let prover = Prover::new(keys, Box::new(CpuMsm)).unwrap();

        let t = Instant::now();
        let c_matrix = compute_unit_cpu(&spec, &a, &b).unwrap();
        let compute_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        prover.prove(&a, &b, &mut rng).unwrap();
        let prove_s = t.elapsed().as_secs_f64();
        println!(
            "{spec}: {} constraints, proof overhead {:.0}x (prove {:.3} s / compute {:.6} s)",
            prover.num_constraints(),
            prove_s / compute_s,
            prove_s,
            compute_s
        );

        group.bench_function(BenchmarkId::new("teraproof-cpu", spec.id()), |bench| {
            bench.iter(|| prover.prove(&a, &b, &mut rng).unwrap())
        });
        group.bench_function(BenchmarkId::new("ark-groth16", spec.id()), |bench| {
            bench.iter(|| {
                let circuit = ComputeUnitCircuit::new(spec, &a, &b, &c_matrix).unwrap();
                Groth16::<Bn254>::prove(&pk, circuit, &mut rng).unwrap()
            })
        });
        // The textbook circuit grows as n³: only where asked for, or small.
        let naive = circuit_cost(&spec).unwrap().naive_constraints;
        if naive <= naive_limit() {
            println!("{spec}: textbook circuit, {naive} constraints");
            let (naive_pk, _) =
                Groth16::<Bn254>::circuit_specific_setup(NaiveMatmulCircuit::for_setup(spec), &mut rng).unwrap();
            group.bench_function(BenchmarkId::new("naive-ark-groth16", spec.id()), |bench| {
                bench.iter(|| {
                    let circuit = NaiveMatmulCircuit::new(spec, &a, &b, &c_matrix).unwrap();
                    Groth16::<Bn254>::prove(&naive_pk, circuit, &mut rng).unwrap()
                })
            });
        } else {
            println!("{spec}: textbook circuit skipped ({naive} constraints > TERAPROOF_BENCH_NAIVE_MAX)");
        }
    }
    group.finish();
}

criterion_group!(benches, prove);
criterion_main!(benches);
