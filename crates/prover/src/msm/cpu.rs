//! Our CPU multi-scalar multiplication `Σ sᵢ·Pᵢ` ([`CpuMsm`]), shaped by what a Groth16
//! witness looks like.
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

/// Emits the entries of one window as `(bucket, index into the bases, negate)`; called
/// once to count and once to place.
pub type BucketFill<'a> = &'a dyn Fn(&mut dyn FnMut(u32, u32, bool));

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
    msm_prepared(bases, &prepare(scalars), 0)
}

/// [`msm`], also returning how the scalars were split.
pub fn msm_with_split<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) -> (Projective<P>, Split) {
    let prepared = prepare(scalars);
    let live = |i: &u32| !bases[*i as usize].is_zero();
    let split = Split {
        ones: prepared.ones.iter().filter(|i| live(i)).count(),
        small: prepared.small.iter().filter(|(i, _, _)| live(i)).count(),
        full: prepared.full.iter().filter(|i| live(i)).count(),
        skipped: 0,
    };
    let split = Split { skipped: bases.len().min(scalars.len()) - split.ones - split.small - split.full, ..split };
    (msm_prepared(bases, &prepared, 0), split)
}

/// Scalars classified (and full-width ones cut into signed digits) once, so that
/// several MSMs over the same scalars and different bases (Groth16's A, B₁, B₂ and L
/// queries all multiply the assignment) share the work.
pub struct PreparedScalars {
    len: usize,
    /// indices of scalars equal to one
    ones: Vec<u32>,
    /// `(index, |s|, s negative)` for |s| < 2³²
    small: Vec<(u32, u32, bool)>,
    /// indices of full-width scalars
    full: Vec<u32>,
    /// their signed digits, `windows` per scalar
    digits: Vec<i16>,
    c: u32,
    windows: usize,
}

/// Classifies `scalars` for [`msm_prepared`]. Zero scalars are dropped here.
pub fn prepare<F: PrimeField>(scalars: &[F]) -> PreparedScalars {
    let modulus = F::MODULUS;
    let mut ones: Vec<u32> = Vec::new();
    let mut small: Vec<(u32, u32, bool)> = Vec::new();
    let mut full = Vec::new();
    for (i, scalar) in scalars.iter().enumerate() {
        let i = i as u32;
        if scalar.is_zero() {
            continue;
        }
        let s = scalar.into_bigint();
        if let Some(v) = low_u32(&s) {
            if v == 1 {
                ones.push(i);
            } else {
                small.push((i, v as u32, false));
            }
            continue;
        }
        let mut neg = modulus;
        neg.sub_with_borrow(&s);
        if let Some(v) = low_u32(&neg) {
            small.push((i, v as u32, true));
            continue;
        }
        full.push((i, s));
    }
    let bits = F::MODULUS_BIT_SIZE;
    let c = window_bits(full.len(), bits).max(2);
    let windows = (bits + 1).div_ceil(c) as usize;
    // Scalar-major digits, i16 each (c ≤ 16, so |d| ≤ 2^15): one flat allocation.
    let mut digits = vec![0i16; windows * full.len()];
    digits.par_chunks_mut(windows).zip(full.par_iter()).for_each(|(out, (_, s))| {
        for (dst, d) in out.iter_mut().zip(signed_digits(s, c, windows)) {
            *dst = d as i16;
        }
    });
    let full = full.into_iter().map(|(i, _)| i).collect();
    PreparedScalars { len: scalars.len(), ones, small, full, digits, c, windows }
}

/// `Σ scalars[offset + i]·bases[i]` for prepared scalars. Indices into `bases`, never
/// copies of the points, are what the MSM holds: the proving key is the largest thing
/// in memory and the MSM should add little to it. Identity bases are skipped.
pub fn msm_prepared<P: SWCurveConfig>(bases: &[Affine<P>], prepared: &PreparedScalars, offset: usize) -> Projective<P> {
    let end = prepared.len.min(offset + bases.len());
    // Maps a scalar index to its base index, or None when outside this MSM's range
    // or the base is the identity.
    let base_of = move |i: u32| -> Option<u32> {
        let i = i as usize;
        (i >= offset && i < end && !bases[i - offset].is_zero()).then(|| (i - offset) as u32)
    };
    let (subset, (small_sum, full_sum)) = rayon::join(
        || sum_points(bases, &prepared.ones, &base_of),
        || {
            rayon::join(
                || pippenger_u32(bases, &prepared.small, &base_of),
                || pippenger_full(bases, prepared, &base_of),
            )
        },
    );
    subset + small_sum + full_sum
}

fn low_u32<B: BigInteger>(b: &B) -> Option<u64> {
    let limbs = b.as_ref();
    (limbs[1..].iter().all(|&l| l == 0) && limbs[0] < (1 << 32)).then_some(limbs[0])
}

/// `Σ bases[i]` over `indices`, by pairwise batch-affine reduction (a single bucket).
fn sum_points<P: SWCurveConfig>(
    bases: &[Affine<P>],
    indices: &[u32],
    base_of: &(dyn Fn(u32) -> Option<u32> + Sync),
) -> Projective<P> {
    if indices.is_empty() {
        return Projective::zero();
    }
    let sums = bucket_sums_with(bases, 1, &|emit: &mut dyn FnMut(u32, u32, bool)| {
        for &i in indices {
            if let Some(b) = base_of(i) {
                emit(0, b, false);
            }
        }
    });
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

/// Pippenger over 32-bit scalars `(index, value, negate)`.
fn pippenger_u32<P: SWCurveConfig>(
    bases: &[Affine<P>],
    entries: &[(u32, u32, bool)],
    base_of: &(dyn Fn(u32) -> Option<u32> + Sync),
) -> Projective<P> {
    if entries.is_empty() {
        return Projective::zero();
    }
    let c = window_bits(entries.len(), 32);
    let windows = 32u32.div_ceil(c);
    let mask = (1u64 << c) - 1;
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| {
            window_sum(bases, 1 << c, &|emit: &mut dyn FnMut(u32, u32, bool)| {
                for &(i, v, negate) in entries {
                    let d = (v as u64 >> (w * c)) & mask;
                    if d != 0 {
                        if let Some(b) = base_of(i) {
                            emit((d - 1) as u32, b, negate);
                        }
                    }
                }
            })
        })
        .collect();
    combine_windows(&sums, c)
}

/// Signed-digit Pippenger over the prepared full-width scalars: digits in
/// `[−2^(c−1), 2^(c−1))`, a negative digit adds `−P` to bucket `|d|`.
fn pippenger_full<P: SWCurveConfig>(
    bases: &[Affine<P>],
    prepared: &PreparedScalars,
    base_of: &(dyn Fn(u32) -> Option<u32> + Sync),
) -> Projective<P> {
    if prepared.full.is_empty() {
        return Projective::zero();
    }
    let (c, windows) = (prepared.c, prepared.windows);
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| {
            window_sum(bases, 1 << (c - 1), &|emit: &mut dyn FnMut(u32, u32, bool)| {
                for (&i, ds) in prepared.full.iter().zip(prepared.digits.chunks_exact(windows)) {
                    let d = ds[w];
                    if d == 0 {
                        continue;
                    }
                    if let Some(b) = base_of(i) {
                        if d > 0 {
                            emit((d - 1) as u32, b, false);
                        } else {
                            emit((-d - 1) as u32, b, true);
                        }
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
fn window_sum<P: SWCurveConfig>(bases: &[Affine<P>], num_buckets: usize, fill: BucketFill<'_>) -> Projective<P> {
    let sums = bucket_sums_with(bases, num_buckets, fill);
    let mut running = Projective::<P>::zero();
    let mut acc = Projective::<P>::zero();
    for b in sums.iter().rev() {
        running += b;
        acc += running;
    }
    acc
}

/// Sums the points of each bucket (affine; identity for an empty bucket):
/// `points[i]` goes to bucket `buckets[i]`.
///
/// Points are sorted by bucket (a counting sort), then every bucket is reduced
/// pairwise, one level at a time, with all the slopes of a level inverted together.
pub fn bucket_sums<P: SWCurveConfig>(num_buckets: usize, points: Vec<Affine<P>>, buckets: Vec<u32>) -> Vec<Affine<P>> {
    bucket_sums_with(&points, num_buckets, &|emit: &mut dyn FnMut(u32, u32, bool)| {
        for (i, &b) in buckets.iter().enumerate() {
            emit(b, i as u32, false);
        }
    })
}

/// Adds `pairs.len()` pairs of points with one shared inversion.
fn add_pairs<P: SWCurveConfig>(pairs: &[(Affine<P>, Affine<P>)], out: &mut Vec<Affine<P>>) {
    let mut denominators: Vec<P::BaseField> = pairs.iter().map(|(p, q)| slope_denominator(p, q)).collect();
    batch_inversion(&mut denominators);
    out.extend(pairs.iter().zip(&denominators).map(|((p, q), inv)| add_with_inverse(p, q, inv)));
}

/// The denominator of the slope of `p + q`: `x_q − x_p`, or `2y` when doubling, or 1
/// when no slope is needed (an identity operand, or `q = −p`).
fn slope_denominator<P: SWCurveConfig>(p: &Affine<P>, q: &Affine<P>) -> P::BaseField {
    if p.is_zero() || q.is_zero() {
        P::BaseField::ONE
    } else if p.x != q.x {
        q.x - p.x
    } else if p.y == q.y && !p.y.is_zero() {
        p.y.double()
    } else {
        P::BaseField::ONE
    }
}

/// `p + q` given the inverse of the slope's denominator (see [`add_pairs`]).
fn add_with_inverse<P: SWCurveConfig>(p: &Affine<P>, q: &Affine<P>, inv: &P::BaseField) -> Affine<P> {
    if p.is_zero() {
        *q
    } else if q.is_zero() {
        *p
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
    }
}

/// [`bucket_sums`] over the entries `fill` emits. Entries are sorted by bucket as
/// 4-byte references into `bases`; the first pairwise level reads the bases directly,
/// so a window never holds more than half its points as copies.
pub fn bucket_sums_with<P: SWCurveConfig>(
    bases: &[Affine<P>],
    num_buckets: usize,
    fill: BucketFill<'_>,
) -> Vec<Affine<P>> {
    const NEGATE: u32 = 1 << 31;
    // Counting sort of references by bucket.
    let mut offsets = vec![0usize; num_buckets + 1];
    fill(&mut |b, _, _| offsets[b as usize + 1] += 1);
    for i in 0..num_buckets {
        offsets[i + 1] += offsets[i];
    }
    let mut cursor = offsets.clone();
    let mut refs = vec![0u32; offsets[num_buckets]];
    fill(&mut |b, i, negate| {
        refs[cursor[b as usize]] = if negate { i | NEGATE } else { i };
        cursor[b as usize] += 1;
    });
    let point = |r: u32| {
        let p = bases[(r & !NEGATE) as usize];
        if r & NEGATE != 0 {
            -p
        } else {
            p
        }
    };

    // Level one, from the references: bucket b gets ⌈len/2⌉ slots, holding its pair
    // sums followed by its odd point, if any.
    let mut starts = Vec::with_capacity(num_buckets);
    let mut lens = Vec::with_capacity(num_buckets);
    let mut total = 0usize;
    for b in 0..num_buckets {
        let len = offsets[b + 1] - offsets[b];
        starts.push(total);
        lens.push(len.div_ceil(2));
        total += len.div_ceil(2);
    }
    let mut sorted = vec![Affine::<P>::identity(); total];
    const CHUNK: usize = 1 << 12;
    let mut pairs = Vec::with_capacity(CHUNK);
    let mut dests = Vec::with_capacity(CHUNK);
    let mut sums = Vec::with_capacity(CHUNK);
    let mut flush = |pairs: &mut Vec<(Affine<P>, Affine<P>)>, dests: &mut Vec<usize>, sorted: &mut [Affine<P>]| {
        sums.clear();
        add_pairs(pairs, &mut sums);
        for (&d, p) in dests.iter().zip(&sums) {
            sorted[d] = *p;
        }
        pairs.clear();
        dests.clear();
    };
    for b in 0..num_buckets {
        let group = &refs[offsets[b]..offsets[b + 1]];
        for (j, pair) in group.chunks(2).enumerate() {
            let dest = starts[b] + j;
            if pair.len() == 1 {
                sorted[dest] = point(pair[0]);
                continue;
            }
            pairs.push((point(pair[0]), point(pair[1])));
            dests.push(dest);
            if pairs.len() == CHUNK {
                flush(&mut pairs, &mut dests, &mut sorted);
            }
        }
    }
    flush(&mut pairs, &mut dests, &mut sorted);
    drop(refs);

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
        denominators.extend(pair_idx.iter().map(|&(i, j)| slope_denominator(&sorted[i], &sorted[j])));
        batch_inversion(&mut denominators);
        // Write each pair's sum over its first slot.
        for (&(i, j), inv) in pair_idx.iter().zip(&denominators) {
            sorted[i] = add_with_inverse(&sorted[i], &sorted[j], inv);
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

/// Our CPU MSM as a backend: scalars split by size, batch-affine buckets.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuMsm;

impl super::MsmBackend for CpuMsm {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn device(&self) -> String {
        format!("{} CPU threads", rayon::current_num_threads())
    }
    fn msm_g1(
        &self,
        prepared: &super::PreparedBases,
        bases: &[ark_bn254::G1Affine],
        scalars: &[ark_bn254::Fr],
    ) -> crate::error::Result<ark_bn254::G1Projective> {
        prepared.check(self.name(), super::HOST_ISSUER, super::Group::G1, bases.len(), scalars.len())?;
        Ok(msm(bases, scalars))
    }
    fn msm_g2(
        &self,
        prepared: &super::PreparedBases,
        bases: &[ark_bn254::G2Affine],
        scalars: &[ark_bn254::Fr],
    ) -> crate::error::Result<ark_bn254::G2Projective> {
        prepared.check(self.name(), super::HOST_ISSUER, super::Group::G2, bases.len(), scalars.len())?;
        Ok(msm(bases, scalars))
    }

    /// The shared scalars are split once ([`prepare`]) and every MSM reads that split.
    fn msm_shared(
        &self,
        g1: &[(&super::PreparedBases, &[ark_bn254::G1Affine], usize)],
        g2: &[(&super::PreparedBases, &[ark_bn254::G2Affine], usize)],
        scalars: &[ark_bn254::Fr],
    ) -> crate::error::Result<super::SharedMsm> {
        use super::Group;
        let g1_ranges = g1.iter().map(|(p, b, offset)| (*p, Group::G1, b.len(), *offset));
        let g2_ranges = g2.iter().map(|(p, b, offset)| (*p, Group::G2, b.len(), *offset));
        for (prepared, group, len, offset) in g1_ranges.chain(g2_ranges) {
            prepared.check(self.name(), super::HOST_ISSUER, group, len, len)?;
            if offset + len > scalars.len() {
                return Err(crate::error::ProverError::Msm {
                    backend: self.name().into(),
                    reason: format!(
                        "{:?}: {len} bases from offset {offset} but {} scalars",
                        prepared.set(),
                        scalars.len()
                    ),
                });
            }
        }
        let t = std::time::Instant::now();
        let split = prepare(scalars);
        tracing::debug!(ms = t.elapsed().as_secs_f64() * 1e3, scalars = scalars.len(), "msm scalars prepared");
        // Each query's time, for researchers comparing where proving goes (debug log).
        fn timed<T>(set: super::BaseSet, f: impl FnOnce() -> T) -> T {
            let t = std::time::Instant::now();
            let out = f();
            tracing::debug!(?set, ms = t.elapsed().as_secs_f64() * 1e3, "msm");
            out
        }
        let g1 = g1.iter().map(|&(p, b, off)| timed(p.set(), || msm_prepared(b, &split, off))).collect();
        let g2 = g2.iter().map(|&(p, b, off)| timed(p.set(), || msm_prepared(b, &split, off))).collect();
        Ok(super::SharedMsm { g1, g2 })
    }
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
    fn prepared_scalars_are_shared_across_bases_and_offsets() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(6);
        let n = 500;
        let s = scalars(n, &mut rng);
        let prepared = prepare(&s);
        let g1: Vec<G1Affine> = (0..n).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        let g2: Vec<G2Affine> = (0..n).map(|_| G2Projective::rand(&mut rng).into_affine()).collect();
        assert_eq!(msm_prepared(&g1, &prepared, 0), G1Projective::msm_unchecked(&g1, &s));
        assert_eq!(msm_prepared(&g2, &prepared, 0), G2Projective::msm_unchecked(&g2, &s));
        // Bases for scalars[7..]: as the L query uses the witness part of z.
        let tail = &g1[..n - 7];
        assert_eq!(msm_prepared(tail, &prepared, 7), G1Projective::msm_unchecked(tail, &s[7..]));
        // Fewer bases than scalars: the extra scalars are ignored.
        assert_eq!(msm_prepared(&g1[..100], &prepared, 0), G1Projective::msm_unchecked(&g1[..100], &s[..100]));
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
