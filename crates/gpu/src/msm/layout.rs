//! The device data layout of field elements and points, and conversions from and to
//! arkworks.
//!
//! A BN254 field element travels as eight little-endian `u32` words of its Montgomery
//! representation with R = 2^256, which is exactly arkworks' internal value (four `u64`
//! limbs), so no arithmetic happens in the conversion. An Fq2 element is c0 then c1.
//! Affine points are x then y, with the identity as x = y = 0 (on neither curve, since
//! b ≠ 0). XYZZ points (the kernels' accumulators) are X, Y, ZZ, ZZZ with
//! x = X/ZZ, y = Y/ZZZ, and the identity at ZZ = 0.

use ark_bn254::{Fq, Fq2, Fr};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, Field, PrimeField, Zero};

/// Words of one Fq element.
pub const FQ_WORDS: usize = 8;

/// A BN254 group (G1 or G2) the GPU MSM handles: how its coordinates travel.
pub trait MsmCurve: SWCurveConfig<ScalarField = Fr> {
    /// `"G1"` or `"G2"`.
    const NAME: &'static str;
    /// `u32` words of one base-field element: 8 for Fq, 16 for Fq2.
    const FIELD_WORDS: usize;
    /// Appends `element`'s words.
    fn push_field_words(element: &Self::BaseField, out: &mut Vec<u32>);
    /// The element whose Montgomery words are `words` (`FIELD_WORDS` of them); `None`
    /// when a limb is not below the modulus (never reduced silently).
    fn field_from_words(words: &[u32]) -> Option<Self::BaseField>;
}

/// Appends an Fq element's Montgomery words, least significant first.
pub fn push_fq_words(element: &Fq, out: &mut Vec<u32>) {
    for limb in element.0 .0 {
        out.push(limb as u32);
        out.push((limb >> 32) as u32);
    }
}

/// The Fq element with these Montgomery words, or `None` when the value is not below
/// the modulus (a kernel's outputs always are; an unwritten, poisoned slot is not).
pub fn fq_from_words(words: &[u32]) -> Option<Fq> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        *limb = u64::from(*words.get(2 * i)?) | (u64::from(*words.get(2 * i + 1)?) << 32);
    }
    let value = BigInt(limbs);
    (value < Fq::MODULUS).then(|| Fq::new_unchecked(value))
}

/// Appends an Fr element's Montgomery words (as the kernels take scalars).
pub fn push_fr_words(element: &Fr, out: &mut Vec<u32>) {
    for limb in element.0 .0 {
        out.push(limb as u32);
        out.push((limb >> 32) as u32);
    }
}

/// Scalars in the device layout: eight Montgomery words each.
pub fn scalars_to_words(scalars: &[Fr]) -> Vec<u32> {
    let mut words = Vec::with_capacity(scalars.len() * FQ_WORDS);
    for scalar in scalars {
        push_fr_words(scalar, &mut words);
    }
    words
}

impl MsmCurve for ark_bn254::g1::Config {
    const NAME: &'static str = "G1";
    const FIELD_WORDS: usize = FQ_WORDS;
    fn push_field_words(element: &Fq, out: &mut Vec<u32>) {
        push_fq_words(element, out);
    }
    fn field_from_words(words: &[u32]) -> Option<Fq> {
        fq_from_words(words)
    }
}

impl MsmCurve for ark_bn254::g2::Config {
    const NAME: &'static str = "G2";
    const FIELD_WORDS: usize = 2 * FQ_WORDS;
    fn push_field_words(element: &Fq2, out: &mut Vec<u32>) {
        push_fq_words(&element.c0, out);
        push_fq_words(&element.c1, out);
    }
    fn field_from_words(words: &[u32]) -> Option<Fq2> {
        Some(Fq2::new(fq_from_words(words.get(..FQ_WORDS)?)?, fq_from_words(words.get(FQ_WORDS..2 * FQ_WORDS)?)?))
    }
}

/// Words of one affine point.
pub fn affine_words<P: MsmCurve>() -> usize {
    2 * P::FIELD_WORDS
}

/// Words of one XYZZ point.
pub fn xyzz_words<P: MsmCurve>() -> usize {
    4 * P::FIELD_WORDS
}

/// Affine points in the device layout (the identity as all zeros).
pub fn bases_to_words<P: MsmCurve>(bases: &[Affine<P>]) -> Vec<u32> {
    let mut words = Vec::with_capacity(bases.len() * affine_words::<P>());
    for base in bases {
        match base.xy() {
            Some((x, y)) => {
                P::push_field_words(&x, &mut words);
                P::push_field_words(&y, &mut words);
            }
            None => words.resize(words.len() + affine_words::<P>(), 0),
        }
    }
    words
}

/// An XYZZ point as the device stores it; `None` when a coordinate is not a reduced
/// field element or the coordinates do not describe a point on the curve (which only a
/// faulty kernel, or a read of a slot no kernel wrote, produces).
pub fn xyzz_from_words<P: MsmCurve>(words: &[u32]) -> Option<Projective<P>> {
    let n = P::FIELD_WORDS;
    let coordinate = |i: usize| P::field_from_words(words.get(i * n..(i + 1) * n)?);
    let (x, y, zz, zzz) = (coordinate(0)?, coordinate(1)?, coordinate(2)?, coordinate(3)?);
    if zz.is_zero() {
        return zzz.is_zero().then(Projective::<P>::zero);
    }
    // ZZ^3 = ZZZ^2 is what makes (X, Y, ZZ, ZZZ) a valid XYZZ point.
    if zz.square() * zz != zzz.square() {
        return None;
    }
    let point = Affine::<P>::new_unchecked(x * zz.inverse()?, y * zzz.inverse()?);
    point.is_on_curve().then(|| point.into_group())
}

/// A point in the device's XYZZ layout (ZZ = ZZZ = 1, or all zeros for the identity).
pub fn xyzz_to_words<P: MsmCurve>(point: &Projective<P>) -> Vec<u32> {
    let mut words = Vec::with_capacity(xyzz_words::<P>());
    match ark_ec::CurveGroup::into_affine(*point).xy() {
        Some((x, y)) => {
            for c in [x, y, P::BaseField::ONE, P::BaseField::ONE] {
                P::push_field_words(&c, &mut words);
            }
        }
        None => words.resize(xyzz_words::<P>(), 0),
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_std::UniformRand;

    #[test]
    fn field_words_round_trip_and_match_arkworks_internal_value() {
        let mut rng = ark_std::test_rng();
        for _ in 0..20 {
            let a = Fq::rand(&mut rng);
            let mut words = Vec::new();
            push_fq_words(&a, &mut words);
            assert_eq!(fq_from_words(&words), Some(a));
        }
        // The modulus itself and all-ones words (the poison of unwritten slots) are not
        // field elements; nothing is reduced.
        let modulus: Vec<u32> = Fq::MODULUS.0.iter().flat_map(|l| [*l as u32, (l >> 32) as u32]).collect();
        assert_eq!(fq_from_words(&modulus), None);
        assert_eq!(fq_from_words(&[u32::MAX; 8]), None);
        assert_eq!(fq_from_words(&[0; 7]), None, "too few words");
        let mut words = Vec::new();
        push_fq_words(&Fq::ONE, &mut words);
        // R mod p, the constant the kernels call one().
        assert_eq!(words[0], 0xc58f_0d9d);
        assert_eq!(words[7], 0x0e0a_77c1);
    }

    #[test]
    fn points_round_trip_through_the_device_layouts() {
        let mut rng = ark_std::test_rng();
        let g1 = ark_bn254::G1Projective::rand(&mut rng);
        assert_eq!(xyzz_from_words::<ark_bn254::g1::Config>(&xyzz_to_words(&g1)), Some(g1));
        let g2 = ark_bn254::G2Projective::rand(&mut rng);
        assert_eq!(xyzz_from_words::<ark_bn254::g2::Config>(&xyzz_to_words(&g2)), Some(g2));
        let zero = ark_bn254::G2Projective::zero();
        assert_eq!(xyzz_from_words::<ark_bn254::g2::Config>(&xyzz_to_words(&zero)), Some(zero));
        let words = bases_to_words(&[ark_bn254::G1Affine::zero(), g1.into_affine()]);
        assert!(words[..16].iter().all(|&w| w == 0));
        let mut bad = xyzz_to_words(&g1);
        bad[0] ^= 1;
        assert_eq!(xyzz_from_words::<ark_bn254::g1::Config>(&bad), None);
        assert_eq!(xyzz_from_words::<ark_bn254::g2::Config>(&[u32::MAX; 64]), None, "poison");
    }
}
