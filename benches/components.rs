//! Component benches (DESIGN §8): `gemm`, `msm/g1`, `msm/g2`, `witness`, `verify`.
//!
//! Sizes from the environment, small by default so `cargo bench` finishes on 2 cores:
//! - `TERAPROOF_BENCH_UNITS` (default `CU-16,CU-32`): units for gemm, witness, verify;
//! - `TERAPROOF_BENCH_MSM_LOG` (default `10,12`): log2 of MSM sizes.
//!
//! GPU cases are measured by `teraproof bench` and `teraproof selftest --gpu` once the
//! CUDA backend lands; this build has none, and says so once when it runs.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use teraproof::circuits::ComputeUnitCircuit;
use teraproof::core::{compute_unit_cpu, Matrix, UnitSpec};
use teraproof::prover::{msm::msm, setup_dev, ArkworksMsm, CpuMsm, MsmBackend, Prover};
use teraproof::verifier::Verifier;

fn units() -> Vec<UnitSpec> {
    std::env::var("TERAPROOF_BENCH_UNITS")
        .unwrap_or_else(|_| "CU-16,CU-32".into())
        .split(',')
        .map(|u| u.trim().parse().expect("TERAPROOF_BENCH_UNITS holds unit ids"))
        .collect()
}

fn msm_logs() -> Vec<u32> {
    std::env::var("TERAPROOF_BENCH_MSM_LOG")
        .unwrap_or_else(|_| "10,12".into())
        .split(',')
        .map(|s| s.trim().parse().expect("TERAPROOF_BENCH_MSM_LOG holds integers"))
        .collect()
}

fn inputs(spec: &UnitSpec, seed: u64) -> (Matrix<i8>, Matrix<i8>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let a = Matrix::from_fn(spec.m(), spec.k(), |_, _| rng.gen::<i8>()).expect("shape");
    let b = Matrix::from_fn(spec.k(), spec.n(), |_, _| rng.gen::<i8>()).expect("shape");
    (a, b)
}

fn no_gpu_note() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| eprintln!("note: these benches run on the CPU; `teraproof bench gemm|msm` time the GPU kernels"));
}

fn gemm(c: &mut Criterion) {
    no_gpu_note();
    let mut group = c.benchmark_group("gemm");
    for spec in units() {
        let (a, b) = inputs(&spec, 1);
        group.throughput(Throughput::Elements(spec.ops()));
        group.bench_function(BenchmarkId::new("cpu", spec.id()), |bench| {
            bench.iter(|| compute_unit_cpu(&spec, &a, &b).expect("shapes match"))
        });
    }
    group.finish();
}

fn msm_benches(c: &mut Criterion) {
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ff::UniformRand;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let max = 1usize << msm_logs().into_iter().max().unwrap_or(10);
    // Distinct bases from one generator by repeated addition (cheap to make).
    let g1 = G1Projective::rand(&mut rng);
    let g2 = G2Projective::rand(&mut rng);
    let mut acc1 = g1;
    let mut acc2 = g2;
    let mut b1 = Vec::with_capacity(max);
    let mut b2 = Vec::with_capacity(max);
    for _ in 0..max {
        b1.push(acc1);
        b2.push(acc2);
        acc1 += g1;
        acc2 += g2;
    }
    let b1: Vec<G1Affine> = G1Projective::normalize_batch(&b1);
    let b2: Vec<G2Affine> = G2Projective::normalize_batch(&b2);
    let scalars: Vec<Fr> = (0..max).map(|_| Fr::rand(&mut rng)).collect();
    let mut group = c.benchmark_group("msm/g1");
    group.sample_size(10);
    for log in msm_logs() {
        let n = 1usize << log;
        group.bench_function(BenchmarkId::new("cpu", n), |bench| bench.iter(|| msm(&b1[..n], &scalars[..n])));
        group.bench_function(BenchmarkId::new("cpu-arkworks", n), |bench| {
            bench.iter(|| G1Projective::msm_unchecked(&b1[..n], &scalars[..n]))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("msm/g2");
    group.sample_size(10);
    for log in msm_logs() {
        let n = 1usize << log;
        group.bench_function(BenchmarkId::new("cpu", n), |bench| bench.iter(|| msm(&b2[..n], &scalars[..n])));
        group.bench_function(BenchmarkId::new("cpu-arkworks", n), |bench| {
            bench.iter(|| G2Projective::msm_unchecked(&b2[..n], &scalars[..n]))
        });
    }
    group.finish();
    // Keep both backends' trait objects exercised so the bench tracks what provers use.
    let _: [&dyn MsmBackend; 2] = [&CpuMsm, &ArkworksMsm];
}

fn witness(c: &mut Criterion) {
    let mut group = c.benchmark_group("witness");
    for spec in units() {
        let (a, b) = inputs(&spec, 3);
        let cm = compute_unit_cpu(&spec, &a, &b).expect("shapes match");
        group.bench_function(BenchmarkId::new("direct", spec.id()), |bench| {
            bench.iter(|| ComputeUnitCircuit::prover_witness(spec, &a, &b, &cm).expect("witness"))
        });
    }
    group.finish();
}

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    let spec: UnitSpec = "CU-8".parse().expect("catalog name");
    let keys = setup_dev(spec, 1).expect("setup");
    let verifier = Verifier::new(keys.verifying_key().expect("vk"));
    let prover = Prover::new(keys, Box::new(CpuMsm)).expect("prover");
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
    let receipts: Vec<_> = (0..64)
        .map(|i| {
            let (a, b) = inputs(&spec, 100 + i);
            prover.prove(&a, &b, &mut rng).expect("prove").receipt
        })
        .collect();
    group.bench_function(BenchmarkId::new("single", 1), |bench| {
        bench.iter(|| verifier.verify(&receipts[0]).expect("valid"))
    });
    group.throughput(Throughput::Elements(64));
    group.bench_function(BenchmarkId::new("single-x64", 64), |bench| {
        bench.iter(|| receipts.iter().map(|r| verifier.verify(r).expect("valid")).collect::<Vec<_>>())
    });
    group.bench_function(BenchmarkId::new("batch", 64), |bench| {
        bench.iter(|| verifier.verify_batch(&receipts).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, gemm, msm_benches, witness, verify);
criterion_main!(benches);
