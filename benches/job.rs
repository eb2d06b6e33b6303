//! Job benches (DESIGN §10): `job/prove` (a whole job, units in flight 1 and 2) and
//! `job/verify` (all unit receipts batched per key, and with the buyer's tile check).
//!
//! Sizes from the environment, small by default so `cargo bench` finishes on 2 cores:
//! `TERAPROOF_BENCH_JOB` (default `CU-8:24x24x24`, i.e. 27 units) as `UNIT:MxKxN`. The
//! figures of record (CU-64, 256×256×256) come from `teraproof bench job`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use teraproof::core::{GemmShape, Matrix, UnitKind, UnitSpec};
use teraproof::prover::{setup_dev_of_kind, Backend, JobOptions, JobProver};

fn job() -> (UnitSpec, GemmShape) {
    let text = std::env::var("TERAPROOF_BENCH_JOB").unwrap_or_else(|_| "CU-8:24x24x24".into());
    let (unit, shape) = text.split_once(':').expect("TERAPROOF_BENCH_JOB is UNIT:MxKxN");
    (unit.parse().expect("a unit id"), shape.parse().expect("a shape MxKxN"))
}

fn benches(c: &mut Criterion) {
    let (unit, shape) = job();
    let product = setup_dev_of_kind(UnitKind::Product, unit, 7).expect("setup");
    let accumulate = setup_dev_of_kind(UnitKind::Accumulate, unit, 7).expect("setup");
    let prover = JobProver::new(
        Backend::Cpu.prover(product).expect("prover"),
        Some(Backend::Cpu.prover(accumulate).expect("prover")),
    )
    .expect("job prover");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let a = Matrix::from_fn(shape.m, shape.k, |_, _| rng.gen::<i8>()).expect("shape");
    let b = Matrix::from_fn(shape.k, shape.n, |_, _| rng.gen::<i8>()).expect("shape");
    let units = prover.tiling(shape).expect("tiling").units() as u64;
    let id = format!("{shape}/CU-{}", unit.m());

    let mut group = c.benchmark_group("job/prove");
    group.sample_size(10).throughput(Throughput::Elements(units));
    for in_flight in [1usize, 2] {
        let options = JobOptions { work_dir: None, units_in_flight: in_flight };
        group.bench_with_input(BenchmarkId::new(format!("in_flight_{in_flight}"), &id), &options, |bench, options| {
            bench.iter(|| prover.prove_job(&a, &b, options, &|_, _| {}).expect("job"))
        });
    }
    group.finish();

    let out = prover.prove_job(&a, &b, &JobOptions::default(), &|_, _| {}).expect("job");
    let mut group = c.benchmark_group("job/verify");
    group.throughput(Throughput::Elements(units));
    let verifier = prover.verifier();
    group.bench_function(BenchmarkId::new("receipts", &id), |bench| {
        bench.iter(|| verifier.verify_gemm_job(&out.receipt).expect("valid"))
    });
    group.bench_function(BenchmarkId::new("with_data", &id), |bench| {
        bench.iter(|| verifier.verify_gemm_job_with_data(&out.receipt, &a, &b, Some(&out.c)).expect("valid"))
    });
    group.finish();
}

criterion_group!(job_benches, benches);
criterion_main!(job_benches);
