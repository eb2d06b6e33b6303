//! Many G1 points times one scalar, as a contribution divides every L and H point by
//! its secret: the scalar's GLV halves and their width-4 NAFs are computed once, and
//! each point then costs about 127 doublings and 50 mixed additions (a point's odd
//! multiples P, 3P, 5P, 7P and their images under the endomorphism, made affine in one
//! batch for all points), where a plain multiplication costs 127 doublings and some 95
//! projective additions.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{BigInteger, PrimeField};
use rayon::prelude::*;

type Config = ark_bn254::g1::Config;

/// The width-4 NAF of `k` (digits odd in −7..=7 or 0, least significant first).
fn wnaf4(k: &Fr) -> Vec<i8> {
    let mut bits = k.into_bigint();
    let mut digits = Vec::with_capacity(130);
    while !bits.is_zero() {
        if bits.is_odd() {
            let low = (bits.as_ref()[0] & 15) as i8;
            let d = if low >= 8 { low - 16 } else { low };
            if d > 0 {
                bits.sub_with_borrow(&ark_ff::BigInt::from(d as u64));
            } else {
                bits.add_with_carry(&ark_ff::BigInt::from((-d) as u64));
            }
            digits.push(d);
        } else {
            digits.push(0);
        }
        bits.div2();
    }
    digits
}

/// Every point of `points` times `by`, in place.
pub fn scale_all(points: &mut [G1Affine], by: &Fr) {
    let ((s1, k1), (s2, k2)) = Config::scalar_decomposition(*by);
    let (n1, n2) = (wnaf4(&k1), wnaf4(&k2));
    let len = n1.len().max(n2.len());
    // Per point: ±P·{1,3,5,7}, then the endomorphism's images, signed by the halves.
    let tables: Vec<G1Projective> = points
        .par_iter()
        .flat_map_iter(|p| {
            let base: G1Projective = if s1 { p.into_group() } else { -p.into_group() };
            let twice = base.double();
            let mut odd = [base; 4];
            for i in 1..4 {
                odd[i] = odd[i - 1] + twice;
            }
            odd.into_iter()
        })
        .collect();
    let tables = G1Projective::normalize_batch(&tables);
    let flip = s1 != s2;
    let scaled: Vec<G1Projective> = tables
        .par_chunks(4)
        .map(|t| {
            let t2: [G1Affine; 4] = std::array::from_fn(|i| {
                let e = Config::endomorphism_affine(&t[i]);
                if flip {
                    -e
                } else {
                    e
                }
            });
            let mut acc = G1Projective::default();
            for i in (0..len).rev() {
                acc.double_in_place();
                for (naf, table) in [(&n1, t), (&n2, &t2[..])] {
                    match naf.get(i).copied().unwrap_or(0) {
                        0 => {}
                        d if d > 0 => acc += table[(d as usize) / 2],
                        d => acc -= table[((-d) as usize) / 2],
                    }
                }
            }
            acc
        })
        .collect();
    points.copy_from_slice(&G1Projective::normalize_batch(&scaled));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn scaling_agrees_with_plain_multiplication() {
        let mut rng = rand::thread_rng();
        let mut points: Vec<G1Affine> = (0..50).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        points.push(G1Affine::identity());
        for by in [Fr::from(1u64), Fr::from(7u64), -Fr::from(1u64), Fr::rand(&mut rng), Fr::rand(&mut rng)] {
            let want: Vec<G1Affine> = points.iter().map(|p| (*p * by).into_affine()).collect();
            let mut got = points.clone();
            scale_all(&mut got, &by);
            assert_eq!(got, want, "{by}");
        }
    }
}
