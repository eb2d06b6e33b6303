//! Our CPU multi-scalar multiplication `Σ sᵢ·Pᵢ`, shaped by what a Groth16 witness
//! looks like.
//!
//! Most scalars of a teraproof witness are bits (the range checks of A and B), many are
//! small signed integers (entries of C), the rest are full-width field elements
//! (Poseidon states, Freivalds products, the QAP quotient). So each MSM is split:
//!
//! - zero scalars and identity bases are dropped;
//! - scalars equal to one become a *subset sum* `Σ Pᵢ`;
//! - scalars `s` with `s < 2³²` or `r − s < 2³²` are small signed integers, done by
//!   Pippenger over 32 bits only (the negative ones with `−Pᵢ`);
//! - the rest go through a signed-digit Pippenger over the full 254 bits.
//!
//! Bucket sums are computed with *batch-affine* additions: the points of every bucket
//! are added pairwise, level by level, and all the slopes of one level share a single
//! field inversion (Montgomery's trick). An affine addition then costs about six field
//! multiplications instead of the eleven of a mixed Jacobian addition. Windows run in
//! parallel.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr};
use ark_ff::{batch_inversion, BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

/// Emits the `(bucket, point)` entries of one window; called once to count and once
/// to place.
pub type BucketFill<'a, P> = &'a dyn Fn(&mut dyn FnMut(u32, Affine<P>));

/// How the scalars of one MSM were split (for tests and tracing).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// zero scalars or identity bases, skipped
    pub skipped: usize,
    /// scalars equal to one
    pub ones: usize,
    /// small signed scalars (|s| < 2³²)
    pub small: usize,
    /// full-width scalars
    pub full: usize,
}

/// `Σ scalars[i]·bases[i]`. Requires `bases.len() == scalars.len()` (extra entries of
/// the longer slice are ignored).
pub fn msm<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) -> Projective<P> {
    msm_with_split(bases, scalars).0
}

/// [`msm`], also returning how the scalars were split.
pub fn msm_with_split<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) -> (Projective<P>, Split) {
    let modulus = P::ScalarField::MODULUS;
    let mut split = Split::default();
    let mut ones = Vec::new();
    let mut small = Vec::new();
    let mut full = Vec::new();
    for (base, scalar) in bases.iter().zip(scalars) {
        if scalar.is_zero() || base.is_zero() {
            split.skipped += 1;
            continue;
        }
        let s = scalar.into_bigint();
        if let Some(v) = low_u32(&s) {
            if v == 1 {
                ones.push(*base);
            } else {
                small.push((*base, v));
            }
            continue;
        }
        let mut neg = modulus;
        neg.sub_with_borrow(&s);
        if let Some(v) = low_u32(&neg) {
            small.push((-*base, v));
            continue;
        }
        full.push((*base, s));
    }
    split.ones = ones.len();
    split.small = small.len();
    split.full = full.len();

    let (subset, (small_sum, full_sum)) =
        rayon::join(|| sum_points(ones), || rayon::join(|| pippenger_u32(&small), || pippenger_full::<P>(&full)));
    (subset + small_sum + full_sum, split)
}

fn low_u32<B: BigInteger>(b: &B) -> Option<u64> {
    let limbs = b.as_ref();
    (limbs[1..].iter().all(|&l| l == 0) && limbs[0] < (1 << 32)).then_some(limbs[0])
}

/// `Σ Pᵢ` by pairwise batch-affine reduction (a single bucket).
fn sum_points<P: SWCurveConfig>(points: Vec<Affine<P>>) -> Projective<P> {
    if points.is_empty() {
        return Projective::zero();
    }
    let len = points.len();
    let sums = bucket_sums(1, points, vec![0u32; len]);
    sums[0].into_group()
}

/// Window width minimising `windows · (n + 2·2^c)` (bucket additions plus the running
/// sum), for scalars of `bits` bits.
fn window_bits(n: usize, bits: u32) -> u32 {
    (2..=16u32)
        .min_by_key(|&c| {
            let windows = bits.div_ceil(c) as u64;
            windows * (n as u64 + 4 * (1u64 << c))
        })
        .expect("non-empty range")
}

/// Pippenger over unsigned 32-bit scalars.
fn pippenger_u32<P: SWCurveConfig>(pairs: &[(Affine<P>, u64)]) -> Projective<P> {
    if pairs.is_empty() {
        return Projective::zero();
    }
    let c = window_bits(pairs.len(), 32);
    let windows = 32u32.div_ceil(c);
    let mask = (1u64 << c) - 1;
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| {
            window_sum(1 << c, &|emit: &mut dyn FnMut(u32, Affine<P>)| {
                for (p, v) in pairs {
                    let d = (v >> (w * c)) & mask;
                    if d != 0 {
                        emit((d - 1) as u32, *p);
                    }
                }
            })
        })
        .collect();
    combine_windows(&sums, c)
}

/// Signed-digit Pippenger over full-width scalars: digits in `[−2^(c−1), 2^(c−1))`,
/// a negative digit adds `−P` to bucket `|d|`.
fn pippenger_full<P: SWCurveConfig>(pairs: &[(Affine<P>, <P::ScalarField as PrimeField>::BigInt)]) -> Projective<P> {
    if pairs.is_empty() {
        return Projective::zero();
    }
    let bits = P::ScalarField::MODULUS_BIT_SIZE;
    let c = window_bits(pairs.len(), bits).max(2);
    let windows = (bits + 1).div_ceil(c) as usize;
    let digits: Vec<Vec<i32>> = pairs.par_iter().map(|(_, s)| signed_digits(s, c, windows)).collect();
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| {
            window_sum(1 << (c - 1), &|emit: &mut dyn FnMut(u32, Affine<P>)| {
                for ((p, _), d) in pairs.iter().zip(&digits) {
                    let d = d[w];
                    if d > 0 {
                        emit((d - 1) as u32, *p);
                    } else if d < 0 {
                        emit((-d - 1) as u32, -*p);
                    }
                }
            })
        })
        .collect();
    combine_windows(&sums, c)
}

/// The signed base-2^c digits of `s` (least significant first), `Σ dᵢ·2^(c·i) = s`.
pub fn signed_digits<B: BigInteger>(s: &B, c: u32, windows: usize) -> Vec<i32> {
    let limbs = s.as_ref();
    let bits_of = |pos: u32| -> u64 {
        // c ≤ 16 bits starting at `pos`, possibly straddling two limbs.
        let (limb, shift) = ((pos / 64) as usize, pos % 64);
        let lo = limbs.get(limb).copied().unwrap_or(0) >> shift;
        let hi = if shift + c > 64 { limbs.get(limb + 1).copied().unwrap_or(0) << (64 - shift) } else { 0 };
        (lo | hi) & ((1u64 << c) - 1)
    };
    let half = 1i64 << (c - 1);
    let mut out = Vec::with_capacity(windows);
    let mut carry = 0i64;
    for w in 0..windows {
        let mut d = bits_of(w as u32 * c) as i64 + carry;
        carry = (d >= half) as i64;
        d -= carry << c;
        out.push(d as i32);
    }
    debug_assert_eq!(carry, 0, "enough windows for the top carry");
    out
}

/// `Σ_w 2^(c·w)·sums[w]`, by Horner from the top window.
fn combine_windows<P: SWCurveConfig>(sums: &[Projective<P>], c: u32) -> Projective<P> {
    let mut acc = Projective::<P>::zero();
    for s in sums.iter().rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        acc += s;
    }
    acc
}

/// One window: `Σ_j (j+1)·B_j` where `B_j` is the sum of the points in bucket `j`.
fn window_sum<P: SWCurveConfig>(num_buckets: usize, fill: BucketFill<'_, P>) -> Projective<P> {
    let sums = bucket_sums_with(num_buckets, fill);
    let mut running = Projective::<P>::zero();
    let mut acc = Projective::<P>::zero();
    for b in sums.iter().rev() {
        running += b;
        acc += running;
    }
    acc
}

/// Sums the points of each bucket (affine; identity for an empty bucket).
///
/// Points are sorted by bucket (a counting sort), then every bucket is reduced
/// pairwise, one level at a time, with all the slopes of a level inverted together.
pub fn bucket_sums<P: SWCurveConfig>(num_buckets: usize, points: Vec<Affine<P>>, buckets: Vec<u32>) -> Vec<Affine<P>> {
    bucket_sums_with(num_buckets, &|emit: &mut dyn FnMut(u32, Affine<P>)| {
        for (p, &b) in points.iter().zip(&buckets) {
            emit(b, *p);
        }
    })
}

/// [`bucket_sums`] over the entries `fill` emits as `(bucket, point)`. `fill` is called
/// twice (count, then place), so entries go straight into bucket order with one copy.
pub fn bucket_sums_with<P: SWCurveConfig>(num_buckets: usize, fill: BucketFill<'_, P>) -> Vec<Affine<P>> {
    // Counting sort by bucket.
    let mut offsets = vec![0usize; num_buckets + 1];
    fill(&mut |b, _| offsets[b as usize + 1] += 1);
    for i in 0..num_buckets {
        offsets[i + 1] += offsets[i];
    }
    let mut cursor = offsets.clone();
    let mut sorted = vec![Affine::<P>::identity(); offsets[num_buckets]];
    fill(&mut |b, p| {
        sorted[cursor[b as usize]] = p;
        cursor[b as usize] += 1;
    });
    let mut lens: Vec<usize> = (0..num_buckets).map(|b| offsets[b + 1] - offsets[b]).collect();
    let starts: Vec<usize> = offsets[..num_buckets].to_vec();

    // Pairwise reduction: within bucket b, the live points are sorted[starts[b]..][..lens[b]].
    let mut pair_idx: Vec<(usize, usize)> = Vec::new();
    let mut denominators: Vec<P::BaseField> = Vec::new();
    loop {
        pair_idx.clear();
        for b in 0..num_buckets {
            let s = starts[b];
            for j in 0..lens[b] / 2 {
                pair_idx.push((s + 2 * j, s + 2 * j + 1));
            }
        }
        if pair_idx.is_empty() {
            break;
        }
        denominators.clear();
        denominators.extend(pair_idx.iter().map(|&(i, j)| {
            let (p, q) = (&sorted[i], &sorted[j]);
            if p.is_zero() || q.is_zero() {
                P::BaseField::ONE
            } else if p.x != q.x {
                q.x - p.x
            } else if p.y == q.y && !p.y.is_zero() {
                p.y.double()
            } else {
                P::BaseField::ONE
            }
        }));
        batch_inversion(&mut denominators);
        // Write each pair's sum over its first slot.
        for (&(i, j), inv) in pair_idx.iter().zip(&denominators) {
            let (p, q) = (sorted[i], sorted[j]);
            sorted[i] = if p.is_zero() {
                q
            } else if q.is_zero() {
                p
            } else if p.x != q.x {
                let lambda = (q.y - p.y) * inv;
                let x3 = lambda.square() - p.x - q.x;
                let y3 = lambda * (p.x - x3) - p.y;
                Affine::new_unchecked(x3, y3)
            } else if p.y == q.y && !p.y.is_zero() {
                // Doubling: λ = (3x² + a)/(2y).
                let lambda = (p.x.square() * P::BaseField::from(3u64) + P::COEFF_A) * inv;
                let x3 = lambda.square() - p.x.double();
                let y3 = lambda * (p.x - x3) - p.y;
                Affine::new_unchecked(x3, y3)
            } else {
                Affine::identity()
            };
        }
        // Compact each bucket: sums land in even slots, an odd point stays last.
        for b in 0..num_buckets {
            let (s, len) = (starts[b], lens[b]);
            if len < 2 {
                continue;
            }
            let half = len / 2;
            for j in 0..half {
                sorted[s + j] = sorted[s + 2 * j];
            }
            if len % 2 == 1 {
                sorted[s + half] = sorted[s + len - 1];
            }
            lens[b] = half + len % 2;
        }
    }
    (0..num_buckets).map(|b| if lens[b] == 0 { Affine::identity() } else { sorted[starts[b]] }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ff::UniformRand;
    use rand::{Rng, SeedableRng};

    fn scalars(n: usize, rng: &mut impl Rng) -> Vec<Fr> {
        (0..n)
            .map(|i| match i % 7 {
                0 => Fr::zero(),
                1 => Fr::from(1u64),
                2 => Fr::from(rng.gen::<u32>() as u64),
                3 => -Fr::from(rng.gen::<u32>() as u64),
                4 => -Fr::from(1u64),
                5 => Fr::from(u32::MAX as u64 + 1),
                _ => Fr::rand(rng),
            })
            .collect()
    }

    #[test]
    fn equals_arkworks_on_g1_and_g2_with_every_kind_of_scalar_and_base() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        for n in [0usize, 1, 2, 3, 17, 100, 1000, 3000] {
            let mut g1: Vec<G1Affine> = (0..n).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
            let mut g2: Vec<G2Affine> = (0..n).map(|_| G2Projective::rand(&mut rng).into_affine()).collect();
            // Identity bases, repeated bases (doublings in a bucket) and P, −P pairs.
            if n >= 10 {
                g1[3] = G1Affine::identity();
                g2[3] = G2Affine::identity();
                for i in 5..n / 2 {
                    if i % 3 == 0 {
                        g1[i] = g1[5];
                        g2[i] = g2[5];
                    }
                    if i % 5 == 0 {
                        g1[i] = -g1[6];
                        g2[i] = -g2[6];
                    }
                }
            }
            let mut s = scalars(n, &mut rng);
            if n >= 10 {
                // The same scalar on equal bases forces P + P inside one bucket.
                for i in (5..n / 2).filter(|i| i % 3 == 0) {
                    s[i] = s[5];
                }
            }
            let (got, split) = msm_with_split(&g1, &s);
            assert_eq!(got, G1Projective::msm_unchecked(&g1, &s), "G1 n={n}");
            assert_eq!(split.skipped + split.ones + split.small + split.full, n);
            assert_eq!(msm(&g2, &s), G2Projective::msm_unchecked(&g2, &s), "G2 n={n}");
        }
    }

    #[test]
    fn all_equal_scalars_and_extremes() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let g1: Vec<G1Affine> = (0..300).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        for s in [Fr::from(1u64), -Fr::from(1u64), Fr::from(2u64), Fr::rand(&mut rng), Fr::from(u32::MAX as u64)] {
            let v = vec![s; g1.len()];
            assert_eq!(msm(&g1, &v), G1Projective::msm_unchecked(&g1, &v));
        }
        // The same point many times in one bucket: P + P + … with doublings and cancellation.
        let p = g1[0];
        let bases: Vec<G1Affine> = (0..64).map(|i| if i % 2 == 0 { p } else { -p }).collect();
        let ones = vec![Fr::from(1u64); 64];
        assert_eq!(msm(&bases, &ones), G1Projective::zero());
        let same = vec![p; 33];
        assert_eq!(msm(&same, &vec![Fr::from(1u64); 33]), p * Fr::from(33u64));
    }

    #[test]
    fn signed_digits_reconstruct_the_scalar() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        for c in [2u32, 5, 13, 16] {
            let windows = (Fr::MODULUS_BIT_SIZE + 1).div_ceil(c) as usize;
            for s in [Fr::zero(), -Fr::from(1u64), Fr::rand(&mut rng)] {
                let d = signed_digits(&s.into_bigint(), c, windows);
                let back: Fr = d.iter().rev().fold(Fr::zero(), |acc, &di| {
                    let di = if di < 0 { -Fr::from((-di) as u64) } else { Fr::from(di as u64) };
                    acc * Fr::from(1u64 << c) + di
                });
                assert_eq!(back, s, "c={c}");
                assert!(d.iter().all(|&x| x >= -(1 << (c - 1)) && x < (1 << (c - 1))));
            }
        }
    }
}
