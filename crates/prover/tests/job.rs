//! Jobs end to end on the CPU: a GEMM of an odd shape cut into CU-8 units, proven,
//! verified, and every way a job receipt can be wrong rejected with its own error,
//! each next to the honest case.

use std::sync::OnceLock;

use rand::{Rng, SeedableRng};
use teraproof_core::job::{JobReceipt, TilePos};
use teraproof_core::{matmul_cpu, Matrix, UnitKind, UnitSpec};
use teraproof_prover::{plan, setup_dev_of_kind, Backend, JobOptions, JobProver, ProverError};
use teraproof_verifier::{JobVerifier, VerifyError, ACCUMULATE_KEYS_DIR};

struct Fixture {
    dir: tempfile::TempDir,
    prover: JobProver,
    a: Matrix<i8>,
    b: Matrix<i8>,
    c: Matrix<i32>,
    job: JobReceipt,
}

fn random_i8(rows: usize, cols: usize, rng: &mut impl Rng) -> Matrix<i8> {
    Matrix::from_fn(rows, cols, |_, _| rng.gen::<i8>()).unwrap()
}

fn keys_dir(spec: UnitSpec, seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    setup_dev_of_kind(UnitKind::Product, spec, seed).unwrap().save(dir.path()).unwrap();
    setup_dev_of_kind(UnitKind::Accumulate, spec, seed).unwrap().save(&dir.path().join(ACCUMULATE_KEYS_DIR)).unwrap();
    dir
}

fn options() -> JobOptions {
    JobOptions { work_dir: None, units_in_flight: 2 }
}

/// A 13×20×9 job on CU-8: 2×2 output tiles, chains of 3 steps, 12 units.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let spec = UnitSpec::square(8).unwrap();
        let dir = keys_dir(spec, 7);
        let prover = JobProver::load(dir.path(), Backend::Cpu).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let a = random_i8(13, 20, &mut rng);
        let b = random_i8(20, 9, &mut rng);
        let out = prover.prove_job(&a, &b, &options(), &|_, _| {}).unwrap();
        assert_eq!(out.proved, 12);
        Fixture { dir, prover, a, b, c: out.c, job: out.receipt }
    })
}

fn verifier() -> JobVerifier {
    JobVerifier::load(fixture().dir.path()).unwrap()
}

fn check(job: &JobReceipt) -> Result<(), VerifyError> {
    verifier().verify_gemm_job(job).map(|_| ())
}

#[test]
fn honest_job_verifies_with_the_buyers_data() {
    let f = fixture();
    assert_eq!(f.c, matmul_cpu(&f.a, &f.b).unwrap());
    assert_eq!(f.job.units.len(), 12);
    let v = verifier();
    let verified = v.verify_gemm_job_with_data(&f.job, &f.a, &f.b, Some(&f.c)).unwrap();
    assert_eq!(verified.units, 12);
    assert!(verified.insecure_dev_setup);
    assert_eq!(verified.statement_id.len(), 64);
    // The JSON round trip keeps the statement and every proof (timings are floats and
    // may change in their last digit), and the parsed job verifies too.
    let parsed = JobReceipt::from_json(&f.job.to_json()).unwrap();
    assert_eq!(teraproof_verifier::job_statement_id(&parsed), verified.statement_id);
    for (x, y) in parsed.units.iter().zip(&f.job.units) {
        assert_eq!(
            (x.pos(), x.receipt.statement_id(), &x.receipt.proof),
            (y.pos(), y.receipt.statement_id(), &y.receipt.proof)
        );
    }
    v.verify_gemm_job_json(&f.job.to_json()).unwrap();
}

#[test]
fn buyers_check_catches_other_data() {
    let f = fixture();
    let v = verifier();
    let mut c = f.c.clone();
    *c.get_mut(12, 8).unwrap() += 1; // in the padded last tile
    assert!(matches!(
        v.verify_gemm_job_with_data(&f.job, &f.a, &f.b, Some(&c)),
        Err(VerifyError::OutputMismatch { .. })
    ));
    let mut a = f.a.clone();
    *a.get_mut(0, 19).unwrap() ^= 1;
    assert!(matches!(
        v.check_job_data(&f.job, Some(&a), None, None),
        Err(VerifyError::InputMismatch { input: "A", .. })
    ));
    let mut b = f.b.clone();
    *b.get_mut(19, 0).unwrap() ^= 1;
    assert!(matches!(
        v.check_job_data(&f.job, None, Some(&b), None),
        Err(VerifyError::InputMismatch { input: "B", .. })
    ));
    // A and B swapped: shapes differ.
    let wrong = Matrix::<i8>::zeros(20, 13).unwrap();
    assert!(matches!(v.check_job_data(&f.job, Some(&wrong), None, None), Err(VerifyError::DataShapeMismatch(_))));
}

#[test]
fn missing_repeated_and_reordered_units_are_named() {
    let f = fixture();
    let mut job = f.job.clone();
    job.units.remove(4);
    assert!(matches!(check(&job), Err(VerifyError::MissingUnit { pos: TilePos { i: 0, j: 1, t: 1 } })));

    let mut job = f.job.clone();
    job.units[5] = job.units[4].clone();
    assert!(matches!(check(&job), Err(VerifyError::RepeatedUnit { .. })));

    let mut job = f.job.clone();
    job.units.swap(0, 3);
    assert!(matches!(check(&job), Err(VerifyError::ReorderedUnit { index: 0, .. })));

    let mut job = f.job.clone();
    job.units[0].t = 3; // outside the chain
    assert!(matches!(check(&job), Err(VerifyError::ForeignUnit { index: 0, .. })));
}

#[test]
fn foreign_units_are_named() {
    let f = fixture();
    // The same job proven under other keys (another dev seed): right position, right
    // digests, another key.
    let spec = UnitSpec::square(8).unwrap();
    let other_dir = keys_dir(spec, 8);
    let other = JobProver::load(other_dir.path(), Backend::Cpu).unwrap();
    let small_a = Matrix::from_fn(8, 8, |i, j| f.a.get(i, j).unwrap()).unwrap();
    let small_b = Matrix::from_fn(8, 8, |i, j| f.b.get(i, j).unwrap()).unwrap();
    let theirs = other.prove_job(&small_a, &small_b, &options(), &|_, _| {}).unwrap().receipt;
    let mut job = f.job.clone();
    job.units[0].receipt = theirs.units[0].receipt.clone();
    assert!(matches!(check(&job), Err(VerifyError::ForeignUnit { index: 0, .. })), "{:?}", check(&job));

    // A valid receipt of our keys but about other data, at the right position.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(6);
    let (other_a, other_b) = (random_i8(8, 8, &mut rng), random_i8(8, 8, &mut rng));
    let ours = f.prover.prove_job(&other_a, &other_b, &options(), &|_, _| {}).unwrap().receipt;
    let mut job = f.job.clone();
    job.units[0].receipt = ours.units[0].receipt.clone();
    assert!(matches!(check(&job), Err(VerifyError::TileDigestMismatch { matrix: "A", row: 0, col: 0, .. })));
}

#[test]
fn broken_chains_are_named() {
    let f = fixture();
    // A step's dCin is not the previous dCout.
    let mut job = f.job.clone();
    job.units[2].receipt.dcin = job.units[0].receipt.dcin.or(Some(job.units[0].receipt.dc));
    assert_ne!(job.units[2].receipt.dcin, f.job.units[2].receipt.dcin);
    assert!(matches!(check(&job), Err(VerifyError::BrokenChain { pos: TilePos { i: 0, j: 0, t: 2 }, .. })));

    // A chain that starts with an accumulating unit.
    let mut job = f.job.clone();
    job.units[0].receipt = job.units[1].receipt.clone();
    assert!(matches!(check(&job), Err(VerifyError::ChainNotFromZero { .. })));

    // A compute unit in the middle of a chain.
    let mut job = f.job.clone();
    job.units[1].receipt = job.units[0].receipt.clone();
    assert!(matches!(check(&job), Err(VerifyError::BrokenChain { pos: TilePos { t: 1, .. }, .. })));
}

#[test]
fn tile_digests_and_shapes_must_agree() {
    let f = fixture();
    // A tile digest that differs between the table and a chain.
    let mut job = f.job.clone();
    job.a_tiles[1][2] = job.a_tiles[0][0];
    assert!(matches!(check(&job), Err(VerifyError::TileDigestMismatch { matrix: "A", row: 1, col: 2, .. })));
    let mut job = f.job.clone();
    job.b_tiles[2][1] = job.b_tiles[0][0];
    assert!(matches!(check(&job), Err(VerifyError::TileDigestMismatch { matrix: "B", row: 2, col: 1, .. })));
    let mut job = f.job.clone();
    job.c_tiles[1][1] = job.c_tiles[0][0];
    assert!(matches!(check(&job), Err(VerifyError::TileDigestMismatch { matrix: "C", row: 1, col: 1, .. })));
    // Another shape: the grids no longer fit.
    let mut job = f.job.clone();
    job.shape = "13x28x9".parse().unwrap();
    job.ops = job.shape.ops();
    assert!(matches!(check(&job), Err(VerifyError::JobShapeMismatch(_))));
    // A K that pads past 2^17 − 1 on this unit (a chain's sums could leave int32), and
    // a shape built in Rust without the parser's checks.
    let mut job = f.job.clone();
    job.shape.k = 131_071;
    job.ops = job.shape.ops();
    assert!(matches!(check(&job), Err(VerifyError::JobShapeMismatch(m)) if m.contains("pads to 131072")));
    let mut job = f.job.clone();
    job.shape.k = 0;
    job.ops = 0;
    job.units.clear();
    assert!(matches!(check(&job), Err(VerifyError::JobShapeMismatch(_))));
    let mut job = f.job.clone();
    job.ops += 1;
    assert!(matches!(check(&job), Err(VerifyError::JobShapeMismatch(_))));
    let mut job = f.job.clone();
    job.keys.product = "00".repeat(32);
    assert!(matches!(check(&job), Err(VerifyError::JobKeyMismatch(_))));
    let mut job = f.job.clone();
    job.insecure_dev_setup = false;
    assert!(matches!(check(&job), Err(VerifyError::InsecureFlagMismatch { .. })));
}

#[test]
fn a_forged_unit_proof_is_rejected_and_named() {
    let f = fixture();
    let mut job = f.job.clone();
    // Unit 7's proof replaced by unit 6's (both valid points, wrong statement).
    job.units[7].receipt.proof = job.units[6].receipt.proof.clone();
    match check(&job) {
        Err(VerifyError::UnitsRejected { failures }) => {
            assert_eq!(failures.len(), 1);
            assert_eq!(failures[0].0, job.units[7].pos());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_interrupted_job_resumes_from_its_receipts() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let opts = JobOptions { work_dir: Some(work.path().to_path_buf()), units_in_flight: 2 };
    let first = f.prover.prove_job(&f.a, &f.b, &opts, &|_, _| {}).unwrap();
    assert_eq!((first.proved, first.reused), (12, 0));
    // "Interrupt": two receipts lost, one damaged, one replaced by another unit's.
    std::fs::remove_file(work.path().join("0-0-0.json")).unwrap();
    std::fs::remove_file(work.path().join("1-1-2.json")).unwrap();
    std::fs::write(work.path().join("0-1-1.json"), "{ half a rec").unwrap();
    std::fs::copy(work.path().join("1-0-0.json"), work.path().join("1-0-1.json")).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let second =
        f.prover.prove_job(&f.a, &f.b, &opts, &|done, total| seen.lock().unwrap().push((done, total))).unwrap();
    assert_eq!((second.proved, second.reused), (4, 8));
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 12);
    assert_eq!(seen.iter().map(|s| s.0).max(), Some(12));
    assert!(seen.iter().all(|s| s.1 == 12));
    verifier().verify_gemm_job_with_data(&second.receipt, &f.a, &f.b, Some(&second.c)).unwrap();
    // Nothing left to do on a third run.
    let third = f.prover.prove_job(&f.a, &f.b, &opts, &|_, _| {}).unwrap();
    assert_eq!((third.proved, third.reused), (0, 12));
}

#[test]
fn small_and_degenerate_shapes() {
    let f = fixture();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    for (m, k, n) in [(1, 1, 1), (1, 17, 3), (9, 1, 8)] {
        let a = random_i8(m, k, &mut rng);
        let b = random_i8(k, n, &mut rng);
        let out = f.prover.prove_job(&a, &b, &options(), &|_, _| {}).unwrap();
        assert_eq!(out.c, matmul_cpu(&a, &b).unwrap());
        verifier().verify_gemm_job_with_data(&out.receipt, &a, &b, Some(&out.c)).unwrap();
        assert_eq!(out.receipt.keys.accumulate.is_some(), k > 8);
    }
    // Mismatched inner dimensions are refused, not a panic.
    let a = random_i8(3, 4, &mut rng);
    let b = random_i8(5, 3, &mut rng);
    assert!(f.prover.prove_job(&a, &b, &options(), &|_, _| {}).is_err());
}

#[test]
fn a_job_needing_the_accumulating_keys_is_refused_without_them() {
    let spec = UnitSpec::square(4).unwrap();
    let dir = tempfile::tempdir().unwrap();
    setup_dev_of_kind(UnitKind::Product, spec, 1).unwrap().save(dir.path()).unwrap();
    let prover = JobProver::load(dir.path(), Backend::Cpu).unwrap();
    let a = Matrix::<i8>::zeros(4, 8).unwrap();
    let b = Matrix::<i8>::zeros(8, 4).unwrap();
    assert!(matches!(prover.prove_job(&a, &b, &options(), &|_, _| {}), Err(ProverError::KeyFile(_))));
    // K within one tile needs only the compute unit.
    let a = Matrix::<i8>::zeros(5, 4).unwrap();
    let out = prover.prove_job(&a, &Matrix::zeros(4, 6).unwrap(), &options(), &|_, _| {}).unwrap();
    assert_eq!(out.receipt.units.len(), 4);
}

#[test]
fn an_overflowing_step_is_refused_before_proving() {
    let f = fixture();
    let dir = f.dir.path().join(ACCUMULATE_KEYS_DIR);
    let keys = teraproof_prover::UnitKeys::load(&dir, None).unwrap();
    let prover = Backend::Cpu.prover(keys).unwrap();
    let a = Matrix::<i8>::new(8, 8, vec![-128; 64]).unwrap();
    let b = Matrix::<i8>::new(8, 8, vec![-128; 64]).unwrap();
    let cin = Matrix::<i32>::new(8, 8, vec![i32::MAX - 10; 64]).unwrap();
    let err = prover.prove_accumulate_computed(&a, &b, &cin, &mut rand::rngs::OsRng).err().unwrap();
    assert!(matches!(err, ProverError::AccumulationOverflow { row: 0, col: 0, .. }), "{err}");
    // The honest step from a real partial sum proves, and a wrong Cout is withheld.
    let cin = matmul_cpu(&a, &b).unwrap();
    let out = prover.prove_accumulate_computed(&a, &b, &cin, &mut rand::rngs::OsRng).unwrap();
    assert_eq!(out.c.get(0, 0), Some(2 * 8 * 16384));
    let mut wrong = out.c.clone();
    *wrong.get_mut(1, 1).unwrap() += 1;
    let err = prover.prove_accumulate(&a, &b, &cin, &wrong, &mut rand::rngs::OsRng).err().unwrap();
    assert!(matches!(err, ProverError::NotTheSum { .. }), "{err}");
    // A Cout the circuit would take (an overflow carried into the next element of its
    // word) is refused before proving.
    let mut cin = Matrix::<i32>::zeros(8, 8).unwrap();
    *cin.get_mut(0, 0).unwrap() = i32::MAX;
    let mut one = Matrix::<i8>::zeros(8, 8).unwrap();
    *one.get_mut(0, 0).unwrap() = 1;
    let mut carried = cin.clone();
    *carried.get_mut(0, 0).unwrap() = i32::MIN;
    *carried.get_mut(0, 1).unwrap() = 1;
    let err = prover.prove_accumulate(&one, &one, &cin, &carried, &mut rand::rngs::OsRng).err().unwrap();
    assert!(matches!(err, ProverError::AccumulationOverflow { row: 0, col: 0, .. }), "{err}");
    // The compute-unit entry point refuses accumulating keys.
    assert!(matches!(prover.prove(&a, &b, &mut rand::rngs::OsRng), Err(ProverError::WrongKind { .. })));
}

#[test]
fn plans_count_units_and_constraints() {
    let p = plan("256x256x256".parse().unwrap(), &UnitSpec::square(64).unwrap()).unwrap();
    assert_eq!((p.product_units, p.accumulate_units), (16, 48));
    let unit = UnitSpec::square(64).unwrap();
    let want = 16 * teraproof_prover::constraints_of(UnitKind::Product, &unit).unwrap() as u64
        + 48 * teraproof_prover::constraints_of(UnitKind::Accumulate, &unit).unwrap() as u64;
    assert_eq!(p.constraints, want);
    assert!(plan("200x300x170".parse().unwrap(), &UnitSpec::new(16, 16, 8).unwrap()).is_err());
}

#[test]
fn the_buyers_check_refuses_a_job_with_short_grids() {
    let f = fixture();
    let v = verifier();
    let mut job = f.job.clone();
    job.a_tiles[1].pop();
    assert!(matches!(
        v.check_job_data(&job, Some(&f.a), Some(&f.b), Some(&f.c)),
        Err(VerifyError::JobShapeMismatch(_))
    ));
    assert!(matches!(check(&job), Err(VerifyError::JobShapeMismatch(_))));
}

#[test]
fn a_unit_receipt_checked_on_its_own_must_be_the_job_unit_at_its_position() {
    let f = fixture();
    let v = verifier();
    let prepared = f.prover.prepare(&f.a, &f.b).unwrap();
    assert_eq!(prepared.statement_id(), teraproof_verifier::job_statement_id(&f.job));
    let mut units = Vec::new();
    prepared
        .for_each_unit(&f.a, &f.b, |u| -> Result<(), ProverError> {
            units.push((u.pos, u.statement));
            Ok(())
        })
        .unwrap();
    assert_eq!(units.len(), f.job.units.len());
    // Honest: each receipt is its position's unit.
    for ((pos, statement), unit) in units.iter().zip(&f.job.units) {
        v.verify_unit(*pos, statement, &unit.receipt).unwrap();
    }
    // Another position's receipt (a chain start at a later step's place, and the reverse).
    let (pos1, st1) = units[1];
    assert!(
        matches!(v.verify_unit(pos1, &st1, &f.job.units[0].receipt), Err(VerifyError::NotThisUnit { pos }) if pos == pos1)
    );
    let (pos0, st0) = units[0];
    assert!(matches!(v.verify_unit(pos0, &st0, &f.job.units[1].receipt), Err(VerifyError::NotThisUnit { .. })));
    // The right digests but a changed proof.
    let mut forged = f.job.units[1].receipt.clone();
    let last = forged.proof.pop().unwrap();
    forged.proof.push(if last == '0' { '1' } else { '0' });
    assert!(v.verify_unit(pos1, &st1, &forged).is_err());
    // A step after the first, checked without the accumulating unit's key.
    let product_only = JobVerifier::new(v.product().key().clone(), None).unwrap();
    assert!(matches!(product_only.verify_unit(pos1, &st1, &f.job.units[1].receipt), Err(VerifyError::BadKey(_))));
    product_only.verify_unit(pos0, &st0, &f.job.units[0].receipt).unwrap();
}
