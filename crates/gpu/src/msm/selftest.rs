//! The MSM self-test (every case against arkworks, plus a per-phase comparison with the
//! Rust reference) and benchmark rows, for `teraproof selftest --gpu` / `teraproof bench`.

use std::time::Instant;

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{Field, UniformRand, Zero};
use ark_std::rand::{rngs::StdRng, SeedableRng};

use super::device::{GpuMsm, MsmTiming};
use super::layout::MsmCurve;
use super::reference::msm_phases;
use crate::device::Gpu;
use crate::error::GpuError;
use crate::kernels::KernelVariant;
use crate::selftest::SelftestRow;

/// How a case's scalars and bases are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsmInputs {
    /// Random scalars and bases.
    Random,
    /// Every scalar zero.
    ZeroScalars,
    /// Every other scalar zero.
    HalfZeroScalars,
    /// Every scalar r − 1.
    MinusOne,
    /// One random scalar for every base (one bucket per window takes everything).
    AllEqual,
    /// Random scalars, every third base the identity.
    IdentityBases,
    /// Three distinct bases repeated, one scalar: P + P inside buckets.
    RepeatedBases,
}

/// One MSM self-test case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsmCase {
    /// What it exercises.
    pub name: &'static str,
    /// `"G1"` or `"G2"`.
    pub curve: &'static str,
    /// Number of points.
    pub n: usize,
    /// Input kind.
    pub inputs: MsmInputs,
}

impl MsmCase {
    /// The case for a run limited to `max_points`: random inputs of a larger size are
    /// left out; edge-case inputs shrink to the limit.
    fn within(&self, max_points: usize) -> Option<MsmCase> {
        match self.inputs {
            MsmInputs::Random if self.n > max_points => None,
            _ => Some(MsmCase { n: self.n.min(max_points), ..*self }),
        }
    }
}

/// The self-test cases: random sizes from 1 to 2^20 and every edge-case input, on G1
/// and (smaller) G2.
pub fn msm_selftest_cases() -> Vec<MsmCase> {
    use MsmInputs::*;
    let mut cases = Vec::new();
    for (curve, sizes) in
        [("G1", &[1, 2, 7, 100, 1000, 4099, 1 << 16, 1 << 20][..]), ("G2", &[1, 3, 100, 4099, 1 << 16][..])]
    {
        for &n in sizes {
            cases.push(MsmCase { name: "random", curve, n, inputs: Random });
        }
        for (name, inputs) in [
            ("zero scalars", ZeroScalars),
            ("half zero scalars", HalfZeroScalars),
            ("scalars r - 1", MinusOne),
            ("all-equal scalars", AllEqual),
            ("identity bases", IdentityBases),
            ("repeated bases", RepeatedBases),
        ] {
            cases.push(MsmCase { name, curve, n: 5000, inputs });
        }
    }
    cases
}

/// `n` bases: consecutive multiples-plus-offset of random points (cheap to make), in
/// affine form.
fn make_bases<P: MsmCurve>(n: usize, rng: &mut StdRng) -> Vec<Affine<P>> {
    let step = Projective::<P>::rand(rng);
    let mut current = Projective::<P>::rand(rng);
    let points: Vec<Projective<P>> = (0..n)
        .map(|_| {
            current += step;
            current
        })
        .collect();
    Projective::<P>::normalize_batch(&points)
}

fn case_inputs<P: MsmCurve>(case: &MsmCase, seed: u64) -> (Vec<Affine<P>>, Vec<Fr>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = case.n;
    let mut bases = make_bases::<P>(n, &mut rng);
    let one = Fr::rand(&mut rng);
    let mut scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    match case.inputs {
        MsmInputs::Random => {}
        MsmInputs::ZeroScalars => scalars.fill(Fr::zero()),
        MsmInputs::HalfZeroScalars => scalars.iter_mut().step_by(2).for_each(|s| *s = Fr::zero()),
        MsmInputs::MinusOne => scalars.fill(-Fr::ONE),
        MsmInputs::AllEqual => scalars.fill(one),
        MsmInputs::IdentityBases => bases.iter_mut().step_by(3).for_each(|b| *b = Affine::<P>::identity()),
        MsmInputs::RepeatedBases => {
            bases = (0..n).map(|i| bases[i % 3]).collect();
            scalars.fill(one);
        }
    }
    (bases, scalars)
}

fn run_case<P: MsmCurve>(msm: &GpuMsm<'_>, case: &MsmCase, seed: u64) -> SelftestRow
where
    Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
{
    let name = format!("MSM {} {} n={}", case.curve, case.name, case.n);
    let shape = (case.n, super::reference::MsmPlan::for_size(case.n).window_bits as usize, 1);
    let (bases, scalars) = case_inputs::<P>(case, seed);
    let expected = Projective::<P>::msm(&bases, &scalars);
    let started = Instant::now();
    let outcome = msm.upload(&bases).and_then(|device| msm.msm(&device, &scalars));
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let (passed, detail) = match (outcome, expected) {
        (Ok(got), Ok(want)) if got == want => (true, None),
        (Ok(got), Ok(want)) => (false, Some(format!("got {}, expected {}", got.into_affine(), want.into_affine()))),
        (Err(e), _) => (false, Some(e.to_string())),
        (_, Err(len)) => (false, Some(format!("arkworks rejected the inputs (length {len})"))),
    };
    SelftestRow { name, shape, passed, ms, detail }
}

/// Compares every phase of one GPU MSM with the Rust reference.
fn run_phases<P: MsmCurve>(msm: &GpuMsm<'_>, n: usize, seed: u64) -> Vec<SelftestRow> {
    let case = MsmCase { name: "phases", curve: P::NAME, n, inputs: MsmInputs::HalfZeroScalars };
    let (bases, scalars) = case_inputs::<P>(&case, seed);
    let started = Instant::now();
    let dump = msm.upload(&bases).and_then(|device| msm.msm_phases(&device, &scalars));
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let row = |phase: &str, passed: bool, detail: Option<String>| SelftestRow {
        name: format!("MSM {} phase: {phase} n={n}", P::NAME),
        shape: (n, 0, 1),
        passed,
        ms,
        detail,
    };
    let dump = match dump {
        Ok(d) => d,
        Err(e) => return vec![row("all", false, Some(e.to_string()))],
    };
    let reference = msm_phases(&bases, &scalars, dump.plan);
    let offsets_ok = dump.layout.offsets == reference.layout.offsets;
    let entries_ok = offsets_ok
        && (0..dump.plan.buckets()).all(|b| {
            let mut ours = dump.layout.bucket(b).to_vec();
            ours.sort_unstable();
            ours == reference.layout.bucket(b)
        });
    let first_bad_bucket = dump.bucket_sums.iter().zip(&reference.bucket_sums).position(|(a, b)| a != b);
    let first_bad_window = dump.window_sums.iter().zip(&reference.window_sums).position(|(a, b)| a != b);
    vec![
        row("bucket offsets (digit histogram + scan)", offsets_ok, (!offsets_ok).then(|| "offsets differ".into())),
        row("bucket entries (scatter)", entries_ok, (!entries_ok).then(|| "entries differ".into())),
        row(
            "bucket sums",
            first_bad_bucket.is_none() && dump.bucket_sums.len() == reference.bucket_sums.len(),
            first_bad_bucket.map(|b| format!("first wrong bucket {b}")),
        ),
        row("window sums", first_bad_window.is_none(), first_bad_window.map(|w| format!("first wrong window {w}"))),
        row(
            "result",
            dump.result == reference.result,
            (dump.result != reference.result).then(|| "result differs".into()),
        ),
    ]
}

/// Runs every [`msm_selftest_cases`] case on `gpu` against arkworks, then compares each
/// phase of a mid-size G1 and G2 MSM with the Rust reference. Never panics: errors mark
/// rows failed.
pub fn selftest_msm(gpu: &Gpu) -> Vec<SelftestRow> {
    selftest_msm_streaming(gpu, false, &mut |_| {})
}

/// [`selftest_msm`] with every case of at most 1000 points and the per-phase check at
/// 1000 (G1) and 250 (G2) points: every kernel and every special input, small enough
/// to run under `compute-sanitizer` in minutes.
pub fn selftest_msm_quick(gpu: &Gpu) -> Vec<SelftestRow> {
    selftest_msm_streaming(gpu, true, &mut |_| {})
}

/// [`selftest_msm`] (or, `quick`, [`selftest_msm_quick`]), calling `on_row` with each
/// row as soon as it is done.
pub fn selftest_msm_streaming(gpu: &Gpu, quick: bool, on_row: &mut dyn FnMut(&SelftestRow)) -> Vec<SelftestRow> {
    let (max_points, phase_sizes) = if quick { (1000, (1000, 250)) } else { (usize::MAX, (1 << 14, 1 << 12)) };
    let mut rows = Vec::new();
    let mut emit = |row: SelftestRow| {
        on_row(&row);
        rows.push(row);
    };
    let msm = match GpuMsm::new(gpu) {
        Ok(msm) => msm,
        Err(e) => {
            emit(SelftestRow {
                name: "MSM kernels".into(),
                shape: (0, 0, 0),
                passed: false,
                ms: 0.0,
                detail: Some(e.to_string()),
            });
            return rows;
        }
    };
    for (i, case) in msm_selftest_cases().iter().enumerate() {
        let Some(case) = case.within(max_points) else { continue };
        let seed = 0x6d73_6d00 + i as u64;
        emit(if case.curve == "G1" {
            run_case::<ark_bn254::g1::Config>(&msm, &case, seed)
        } else {
            run_case::<ark_bn254::g2::Config>(&msm, &case, seed)
        });
    }
    run_phases::<ark_bn254::g1::Config>(&msm, phase_sizes.0, 0x7068_6131).into_iter().for_each(&mut emit);
    run_phases::<ark_bn254::g2::Config>(&msm, phase_sizes.1, 0x7068_6132).into_iter().for_each(&mut emit);
    rows
}

/// One benchmark line: the MSM of 2^log_size points on one curve, in one kernel variant.
#[derive(Debug)]
pub struct MsmBenchRow {
    /// `"G1"` or `"G2"`.
    pub curve: &'static str,
    /// log2 of the number of points.
    pub log_size: u32,
    /// The kernel variant timed.
    pub variant: KernelVariant,
    /// The timing, or why there is none.
    pub timing: Result<MsmTiming, GpuError>,
    /// For a variant after the first: whether its result equals the first variant's on
    /// the same inputs (`None` when either has no result).
    pub agrees_with_first: Option<bool>,
}

/// Times G1 and G2 MSMs of 2^k points for every k in `log_sizes` and every kernel
/// variant in `variants` (`repeats` timed runs after a warm-up, each checked to give the
/// warm-up's result; random bases and scalars, the same for every variant). Never panics.
pub fn bench_msm(gpu: &Gpu, log_sizes: &[u32], repeats: usize, variants: &[KernelVariant]) -> Vec<MsmBenchRow> {
    let loaded: Vec<(KernelVariant, Result<GpuMsm<'_>, GpuError>)> =
        variants.iter().map(|&variant| (variant, GpuMsm::with_variant(gpu, variant))).collect();
    let mut rows = Vec::new();
    for &log_size in log_sizes {
        for curve in ["G1", "G2"] {
            let timings = if curve == "G1" {
                bench_variants::<ark_bn254::g1::Config>(&loaded, log_size, repeats)
            } else {
                bench_variants::<ark_bn254::g2::Config>(&loaded, log_size, repeats)
            };
            let first = timings.first().and_then(|t| t.as_ref().ok()).map(|t| t.result_fingerprint);
            for (index, ((variant, _), timing)) in loaded.iter().zip(timings).enumerate() {
                let fingerprint = timing.as_ref().ok().map(|t| t.result_fingerprint);
                let agrees_with_first = match (index, first, fingerprint) {
                    (0, _, _) => None,
                    (_, Some(a), Some(b)) => Some(a == b),
                    _ => None,
                };
                tracing::info!(
                    curve,
                    log_size,
                    variant = variant.name(),
                    ms = ?timing.as_ref().map(|t| t.median_ms).ok(),
                    "MSM benchmark"
                );
                rows.push(MsmBenchRow { curve, log_size, variant: *variant, timing, agrees_with_first });
            }
        }
    }
    rows
}

/// Times one MSM of 2^log_size random points with each loaded variant, on inputs made
/// once (the seed depends on the size alone) and uploaded once: every variant's kernels
/// live in the same context, so they share the device bases.
fn bench_variants<P: MsmCurve>(
    loaded: &[(KernelVariant, Result<GpuMsm<'_>, GpuError>)],
    log_size: u32,
    repeats: usize,
) -> Vec<Result<MsmTiming, GpuError>> {
    if log_size > super::device::MAX_MSM_LOG_SIZE {
        let most = super::device::MAX_MSM_LOG_SIZE;
        let refused = || Err(GpuError::Msm(format!("2^{log_size} points; at most 2^{most} are supported")));
        return loaded.iter().map(|_| refused()).collect();
    }
    let case = MsmCase { name: "bench", curve: P::NAME, n: 1 << log_size, inputs: MsmInputs::Random };
    let (bases, scalars) = case_inputs::<P>(&case, u64::from(log_size));
    let mut uploaded = None;
    loaded
        .iter()
        .map(|(_, msm)| {
            let msm = msm.as_ref().map_err(clone_error)?;
            if uploaded.is_none() {
                uploaded = Some(msm.upload(&bases)?);
            }
            let device_bases = uploaded.as_ref().ok_or_else(|| GpuError::Msm("bases not uploaded".into()))?;
            msm.msm_timed(device_bases, &scalars, repeats)
        })
        .collect()
}

/// GpuError is not Clone; keep the message for rows after the first.
fn clone_error(e: &GpuError) -> GpuError {
    GpuError::Msm(format!("loading the MSM kernels: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_cover_the_edge_inputs_and_sizes_up_to_2_pow_20() {
        let cases = msm_selftest_cases();
        assert!(cases.iter().any(|c| c.n == 1 << 20 && c.curve == "G1"));
        assert!(cases.iter().any(|c| c.n == 1));
        for inputs in [MsmInputs::ZeroScalars, MsmInputs::MinusOne, MsmInputs::AllEqual, MsmInputs::IdentityBases] {
            assert!(cases.iter().any(|c| c.inputs == inputs && c.curve == "G2"));
        }
    }

    #[test]
    fn the_quick_cases_keep_every_input_kind_small() {
        let quick: Vec<MsmCase> = msm_selftest_cases().iter().filter_map(|c| c.within(1000)).collect();
        assert!(quick.iter().all(|c| c.n <= 1000));
        for curve in ["G1", "G2"] {
            for inputs in [MsmInputs::Random, MsmInputs::ZeroScalars, MsmInputs::RepeatedBases, MsmInputs::MinusOne] {
                assert!(quick.iter().any(|c| c.curve == curve && c.inputs == inputs), "{curve} {inputs:?}");
            }
        }
        assert!(quick.iter().any(|c| c.n == 1000 && c.inputs == MsmInputs::AllEqual));
    }

    #[test]
    fn case_inputs_are_what_they_say() {
        let case = MsmCase { name: "t", curve: "G1", n: 10, inputs: MsmInputs::IdentityBases };
        let (bases, scalars) = case_inputs::<ark_bn254::g1::Config>(&case, 1);
        assert_eq!((bases.len(), scalars.len()), (10, 10));
        use ark_ec::AffineRepr;
        assert!(bases[0].is_zero() && !bases[1].is_zero());
        let case = MsmCase { inputs: MsmInputs::MinusOne, ..case };
        assert!(case_inputs::<ark_bn254::g1::Config>(&case, 1).1.iter().all(|s| *s == -Fr::ONE));
    }

    #[test]
    fn msm_kernels_load_wherever_a_gpu_opens() {
        if let Ok(gpu) = Gpu::detect() {
            // With a GPU this is the real self-test; run only the cheap part here.
            assert!(GpuMsm::new(&gpu).is_ok() || gpu.compute_capability().major < 8);
        }
    }
}
