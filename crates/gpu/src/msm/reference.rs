//! The CPU reference of every MSM phase, in the kernels' data layout
//! (`kernels/msm/msm.cuh` describes the algorithm; the names here match its phases).
//!
//! For scalars s_i < r < 2^254 and c-bit windows, every s_i is written as
//! Σ_w d_{i,w}·2^(c·w) with signed digits d ∈ (-2^(c-1), 2^(c-1)] over
//! W = ⌊254/c⌋ + 1 windows. Bucket k of window w (global id w·2^(c-1) + k) collects
//! sign(d)·P_i for every |d_{i,w}| = k + 1, so window w's sum is Σ_k (k+1)·B_{w,k} and
//! the MSM is Σ_w 2^(c·w)·window_w.
//!
//! The GPU must reproduce: the bucket offsets exactly, the entries of every bucket as a
//! set (their order inside a bucket depends on thread timing), and every bucket sum,
//! window sum and the result as group elements.

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::AdditiveGroup;
use ark_ff::{PrimeField, Zero};

/// Bits in a BN254 scalar (r < 2^254).
pub const SCALAR_BITS: u32 = 254;
/// The largest window the kernels accept.
pub const MAX_WINDOW_BITS: u32 = 16;

/// The window split of one MSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsmPlan {
    /// c: bits per window.
    pub window_bits: u32,
    /// W = ⌊254/c⌋ + 1 windows (the top one has room for the last carry).
    pub windows: u32,
    /// 2^(c-1) buckets per window, for digit magnitudes 1..=2^(c-1).
    pub buckets_per_window: u32,
}

impl MsmPlan {
    /// The plan for `c`-bit windows, `2 ≤ c ≤` [`MAX_WINDOW_BITS`] (clamped into range).
    pub fn with_window_bits(window_bits: u32) -> MsmPlan {
        let c = window_bits.clamp(2, MAX_WINDOW_BITS);
        MsmPlan { window_bits: c, windows: SCALAR_BITS / c + 1, buckets_per_window: 1 << (c - 1) }
    }

    /// The window size used for `n` points: about log2(n) − 4 bits (so each bucket
    /// gets a few dozen entries), between 4 and [`MAX_WINDOW_BITS`].
    pub fn for_size(n: usize) -> MsmPlan {
        let log2 = usize::BITS - n.max(1).next_power_of_two().leading_zeros() - 1;
        MsmPlan::with_window_bits(log2.saturating_sub(4).clamp(4, MAX_WINDOW_BITS))
    }

    /// Buckets over all windows.
    pub fn buckets(&self) -> usize {
        (self.windows * self.buckets_per_window) as usize
    }

    /// The global id of the bucket a non-zero `digit` of window `window` falls in.
    pub fn bucket_id(&self, window: u32, digit: i32) -> u32 {
        window * self.buckets_per_window + digit.unsigned_abs() - 1
    }
}

/// Bits `[offset, offset + width)` of a little-endian 256-bit integer.
fn bits_at(limbs: &[u64; 4], offset: u32, width: u32) -> u32 {
    let (word, shift) = ((offset / 64) as usize, offset % 64);
    if word >= 4 {
        return 0;
    }
    let mut bits = u128::from(limbs[word]) >> shift;
    if word + 1 < 4 {
        bits |= u128::from(limbs[word + 1]) << (64 - shift);
    }
    (bits as u32) & ((1u32 << width) - 1)
}

/// Phase 1: the signed digits of `scalar`, lowest window first.
pub fn signed_digits(scalar: &Fr, plan: &MsmPlan) -> Vec<i32> {
    let limbs = scalar.into_bigint().0;
    let (c, half) = (plan.window_bits, 1u32 << (plan.window_bits - 1));
    let mut carry = 0;
    (0..plan.windows)
        .map(|w| {
            let value = bits_at(&limbs, w * c, c) + carry;
            carry = u32::from(value > half);
            value as i32 - ((carry << c) as i32)
        })
        .collect()
}

/// Phases 2–3: the (bucket, entry) pairs sorted by bucket. Bucket `b` holds
/// `entries[offsets[b]..offsets[b + 1]]`; an entry is `(point << 1) | negative`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketLayout {
    /// B + 1 offsets; the last is the number of entries.
    pub offsets: Vec<u32>,
    /// Every non-zero digit's entry, grouped by bucket (here in point order).
    pub entries: Vec<u32>,
}

impl BucketLayout {
    /// Bucket `bucket`'s entries.
    pub fn bucket(&self, bucket: usize) -> &[u32] {
        &self.entries[self.offsets[bucket] as usize..self.offsets[bucket + 1] as usize]
    }
}

/// Phases 1–3: a stable counting sort of every non-zero digit's entry by bucket.
pub fn sort_into_buckets(scalars: &[Fr], plan: &MsmPlan) -> BucketLayout {
    let digits: Vec<Vec<i32>> = scalars.iter().map(|s| signed_digits(s, plan)).collect();
    let mut offsets = vec![0u32; plan.buckets() + 1];
    for (w, &d) in digits.iter().flat_map(|ds| ds.iter().enumerate()) {
        if d != 0 {
            offsets[plan.bucket_id(w as u32, d) as usize] += 1;
        }
    }
    let mut running = 0;
    for slot in offsets.iter_mut() {
        let count = *slot;
        *slot = running;
        running += count;
    }
    let mut cursors = offsets.clone();
    let mut entries = vec![0u32; running as usize];
    for (point, ds) in digits.iter().enumerate() {
        for (w, &d) in ds.iter().enumerate() {
            if d != 0 {
                let cursor = &mut cursors[plan.bucket_id(w as u32, d) as usize];
                entries[*cursor as usize] = ((point as u32) << 1) | u32::from(d < 0);
                *cursor += 1;
            }
        }
    }
    BucketLayout { offsets, entries }
}

/// Phase 4: every bucket's sum of signed bases.
pub fn bucket_sums<P: SWCurveConfig>(bases: &[Affine<P>], layout: &BucketLayout) -> Vec<Projective<P>> {
    (0..layout.offsets.len() - 1)
        .map(|b| {
            layout.bucket(b).iter().fold(Projective::<P>::zero(), |mut sum, &entry| {
                let base = &bases[(entry >> 1) as usize];
                if entry & 1 == 1 {
                    sum -= base;
                } else {
                    sum += base;
                }
                sum
            })
        })
        .collect()
}

/// Phases 5–6: each window's Σ_k (k+1)·B_k, by the running-sum identity.
pub fn window_sums<P: SWCurveConfig>(bucket_sums: &[Projective<P>], plan: &MsmPlan) -> Vec<Projective<P>> {
    bucket_sums
        .chunks_exact(plan.buckets_per_window as usize)
        .map(|buckets| {
            let (mut running, mut total) = (Projective::<P>::zero(), Projective::<P>::zero());
            for bucket in buckets.iter().rev() {
                running += bucket;
                total += running;
            }
            total
        })
        .collect()
}

/// Phase 7: Σ_w 2^(c·w)·window_w (Horner from the top window).
pub fn combine_windows<P: SWCurveConfig>(window_sums: &[Projective<P>], plan: &MsmPlan) -> Projective<P> {
    window_sums.iter().rev().fold(Projective::<P>::zero(), |mut acc, window| {
        for _ in 0..plan.window_bits {
            acc.double_in_place();
        }
        acc + window
    })
}

/// Every phase of the reference pipeline for one MSM, kept for per-phase comparison.
#[derive(Debug, Clone)]
pub struct MsmPhases<P: SWCurveConfig> {
    /// The window split used.
    pub plan: MsmPlan,
    /// The sorted bucket entries.
    pub layout: BucketLayout,
    /// One sum per bucket.
    pub bucket_sums: Vec<Projective<P>>,
    /// One sum per window.
    pub window_sums: Vec<Projective<P>>,
    /// Σ s_i·P_i.
    pub result: Projective<P>,
}

/// Runs every reference phase with `plan`.
pub fn msm_phases<P: SWCurveConfig<ScalarField = Fr>>(
    bases: &[Affine<P>],
    scalars: &[Fr],
    plan: MsmPlan,
) -> MsmPhases<P> {
    assert_eq!(bases.len(), scalars.len(), "one scalar per base");
    let layout = sort_into_buckets(scalars, &plan);
    let bucket_sums = bucket_sums(bases, &layout);
    let window_sums = window_sums(&bucket_sums, &plan);
    let result = combine_windows(&window_sums, &plan);
    MsmPhases { plan, layout, bucket_sums, window_sums, result }
}

/// Σ s_i·P_i by the reference pipeline with [`MsmPlan::for_size`]. Panics when the
/// lengths differ.
pub fn msm_reference<P: SWCurveConfig<ScalarField = Fr>>(bases: &[Affine<P>], scalars: &[Fr]) -> Projective<P> {
    msm_phases(bases, scalars, MsmPlan::for_size(scalars.len())).result
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, Field};

    #[test]
    fn digits_recompose_the_scalar_and_stay_in_range() {
        let mut rng = ark_std::test_rng();
        let specials = [Fr::zero(), Fr::ONE, -Fr::ONE, Fr::from(u64::MAX), Fr::from(2u64).pow([253])];
        let randoms: Vec<Fr> = (0..50).map(|_| <Fr as ark_std::UniformRand>::rand(&mut rng)).collect();
        for c in 2..=MAX_WINDOW_BITS {
            let plan = MsmPlan::with_window_bits(c);
            for scalar in specials.iter().chain(&randoms) {
                let digits = signed_digits(scalar, &plan);
                assert_eq!(digits.len(), plan.windows as usize);
                let half = 1i32 << (c - 1);
                assert!(digits.iter().all(|&d| -half < d && d <= half), "c={c}: {digits:?}");
                let recomposed =
                    digits.iter().rev().fold(Fr::zero(), |acc, &d| acc * Fr::from(1u64 << c) + Fr::from(i64::from(d)));
                assert_eq!(recomposed, *scalar, "c={c}");
            }
        }
        assert!((-Fr::ONE).into_bigint().num_bits() == SCALAR_BITS);
    }

    #[test]
    fn plans_grow_with_the_size() {
        assert_eq!(MsmPlan::for_size(0).window_bits, 4);
        assert_eq!(MsmPlan::for_size(1 << 12).window_bits, 8);
        assert_eq!(MsmPlan::for_size(1 << 20).window_bits, 16);
        assert_eq!(MsmPlan::for_size(1 << 24).window_bits, 16);
        let plan = MsmPlan::with_window_bits(16);
        assert_eq!((plan.windows, plan.buckets_per_window, plan.buckets()), (16, 1 << 15, 1 << 19));
    }
}
