//! The Rust MSM reference (the phases the GPU is compared against) against arkworks'
//! `VariableBaseMSM` on G1 and G2: random sizes and window widths, zero scalars,
//! r − 1, all-equal scalars, identity bases, repeated bases. No GPU or compiler needed.

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{Field, UniformRand, Zero};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use teraproof_gpu::msm::reference::{msm_phases, msm_reference, signed_digits, MsmPlan};
use teraproof_gpu::msm::MsmCurve;

fn random_bases<P: MsmCurve>(n: usize, rng: &mut ChaCha8Rng) -> Vec<Affine<P>> {
    let step = Projective::<P>::rand(rng);
    let mut current = Projective::<P>::rand(rng);
    let points: Vec<_> = (0..n)
        .map(|_| {
            current += step;
            current
        })
        .collect();
    Projective::<P>::normalize_batch(&points)
}

fn check<P: MsmCurve>(what: &str, bases: &[Affine<P>], scalars: &[Fr], plan: MsmPlan)
where
    Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
{
    let expected = Projective::<P>::msm(bases, scalars).unwrap();
    let phases = msm_phases(bases, scalars, plan);
    assert_eq!(phases.result, expected, "{} {what} (c = {})", P::NAME, plan.window_bits);
    // The layout is consistent: every non-zero digit has exactly one entry in its bucket.
    let nonzero: usize = scalars.iter().map(|s| signed_digits(s, &plan).iter().filter(|&&d| d != 0).count()).sum();
    assert_eq!(phases.layout.entries.len(), nonzero, "{what}");
    assert_eq!(*phases.layout.offsets.last().unwrap() as usize, nonzero, "{what}");
    assert_eq!(phases.bucket_sums.len(), plan.buckets());
    assert_eq!(phases.window_sums.len(), plan.windows as usize);
}

fn edge_cases<P: MsmCurve>(seed: u64, sizes: &[usize])
where
    Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
{
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for &n in sizes {
        let bases = random_bases::<P>(n, &mut rng);
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let one = scalars[0];
        let plans = [MsmPlan::for_size(n), MsmPlan::with_window_bits(rng.gen_range(2..=16))];
        for plan in plans {
            check("random", &bases, &scalars, plan);
            check("zero scalars", &bases, &vec![Fr::zero(); n], plan);
            check("r - 1", &bases, &vec![-Fr::ONE; n], plan);
            check("all equal", &bases, &vec![one; n], plan);
            let identities: Vec<_> =
                bases.iter().enumerate().map(|(i, b)| if i % 2 == 0 { Affine::<P>::zero() } else { *b }).collect();
            check("identity bases", &identities, &scalars, plan);
            check("all identity bases", &vec![Affine::<P>::zero(); n], &scalars, plan);
            let repeated: Vec<_> = (0..n).map(|i| bases[i % 2]).collect();
            check("repeated bases", &repeated, &vec![one; n], plan);
            let negated: Vec<_> =
                (0..n).map(|i| if i % 2 == 0 { bases[0] } else { (-bases[0].into_group()).into_affine() }).collect();
            check("P and -P", &negated, &vec![one; n], plan);
        }
    }
}

#[test]
fn g1_reference_matches_arkworks_on_edge_cases() {
    edge_cases::<ark_bn254::g1::Config>(0x9131, &[1, 2, 3, 17, 256, 1000]);
}

#[test]
fn g2_reference_matches_arkworks_on_edge_cases() {
    edge_cases::<ark_bn254::g2::Config>(0x9232, &[1, 5, 64, 300]);
}

#[test]
fn reference_matches_arkworks_at_random_sizes() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5123);
    for _ in 0..6 {
        let n = rng.gen_range(1..5000);
        let bases = random_bases::<ark_bn254::g1::Config>(n, &mut rng);
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        assert_eq!(msm_reference(&bases, &scalars), ark_bn254::G1Projective::msm(&bases, &scalars).unwrap(), "n={n}");
    }
    let n = 1 << 14;
    let bases = random_bases::<ark_bn254::g1::Config>(n, &mut rng);
    let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    check("2^14 with 16-bit windows", &bases, &scalars, MsmPlan::with_window_bits(16));
}
