//! The randomness of snarkjs' phase 2, reproduced: its ChaCha stream, its field and
//! curve sampling, and the G2 point it hashes a transcript to.
//!
//! A contribution's proof of knowledge pairs `g1_s, g1_sx = x·g1_s` with
//! `g2_sp = hashToG2(transcript)` and `g2_spx = x·g2_sp`; a verifier recomputes g2_sp,
//! so it must be derived exactly as snarkjs derives it, and a beacon's whole
//! contribution follows from its value, so its sampling must be snarkjs' too:
//!
//! - the stream is ChaCha20 keyed by eight u32 words (the first 32 bytes of a hash read
//!   as big-endian words), nonce and counter zero: `rand_chacha`'s `ChaCha20Rng` with
//!   stream 0 gives the same words;
//! - a field element takes four u64 draws (each the high u32 drawn first), least
//!   significant first, masked to 254 bits and redrawn until below the modulus; that
//!   integer v is taken as a Montgomery representation, so the element is v·2⁻²⁵⁶;
//! - a curve point draws x (c0 then c1 in Fq2), then a bit choosing the larger or
//!   smaller y, until x³ + b is a square; a G2 point is then multiplied by the cofactor
//!   2q − r.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, Field, PrimeField};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// snarkjs' ChaCha stream for eight seed words.
pub fn chacha(seed: [u32; 8]) -> ChaCha20Rng {
    let mut bytes = [0u8; 32];
    for (i, w) in seed.iter().enumerate() {
        bytes[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    ChaCha20Rng::from_seed(bytes)
}

/// The seed words of a hash: its first 32 bytes as big-endian u32s.
pub fn seed_of(hash: &[u8]) -> [u32; 8] {
    std::array::from_fn(|i| u32::from_be_bytes(hash[4 * i..4 * i + 4].try_into().expect("a hash of 32 bytes or more")))
}

fn next_u64(rng: &mut impl RngCore) -> u64 {
    let high = u64::from(rng.next_u32());
    (high << 32) | u64::from(rng.next_u32())
}

/// A raw 254-bit draw below `modulus`, as snarkjs makes it.
fn draw_below(rng: &mut impl RngCore, modulus: &BigInt<4>) -> BigInt<4> {
    loop {
        let mut limbs = [0u64; 4];
        for limb in limbs.iter_mut() {
            *limb = next_u64(rng);
        }
        limbs[3] &= (1u64 << (254 - 192)) - 1;
        let v = BigInt::new(limbs);
        if v < *modulus {
            return v;
        }
    }
}

/// snarkjs' `Fr.fromRng`: the draw taken as a Montgomery representation.
pub fn fr_from_rng(rng: &mut impl RngCore) -> Fr {
    Fr::new_unchecked(draw_below(rng, &Fr::MODULUS))
}

fn fq_from_rng(rng: &mut impl RngCore) -> Fq {
    Fq::new_unchecked(draw_below(rng, &Fq::MODULUS))
}

fn fq_is_negative(x: &Fq) -> bool {
    x.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

fn fq2_is_negative(x: &Fq2) -> bool {
    if ark_ff::Zero::is_zero(&x.c1) {
        fq_is_negative(&x.c0)
    } else {
        fq_is_negative(&x.c1)
    }
}

/// snarkjs' `G1.fromRng`.
pub fn g1_from_rng(rng: &mut impl RngCore) -> G1Affine {
    loop {
        let x = fq_from_rng(rng);
        let greatest = rng.next_u32() & 1 == 1;
        if let Some(mut y) = (x * x * x + Fq::from(3u64)).sqrt() {
            if greatest != fq_is_negative(&y) {
                y = -y;
            }
            return G1Affine::new_unchecked(x, y);
        }
    }
}

/// snarkjs' `G2.fromRng`, the cofactor cleared.
pub fn g2_from_rng(rng: &mut impl RngCore) -> G2Affine {
    let b = <ark_bn254::g2::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
    loop {
        let x = Fq2::new(fq_from_rng(rng), fq_from_rng(rng));
        let greatest = rng.next_u32() & 1 == 1;
        if let Some(mut y) = (x * x * x + b).sqrt() {
            if greatest != fq2_is_negative(&y) {
                y = -y;
            }
            let p = G2Affine::new_unchecked(x, y);
            // 2q − r, as a plain integer.
            let cofactor =
                BigInt::<4>::new([0x345f2299c0f9fa8d, 0x06ceecda572a2489, 0xb85045b68181585e, 0x30644e72e131a029]);
            return ark_ec::CurveGroup::into_affine(p.mul_bigint(cofactor));
        }
    }
}

/// The G2 point of a contribution's transcript (snarkjs' `hashToG2`).
pub fn hash_to_g2(transcript: &[u8; 64]) -> G2Affine {
    g2_from_rng(&mut chacha(seed_of(transcript)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn the_stream_and_the_samples_are_snarkjs() {
        // Vectors from snarkjs 0.7.6 / ffjavascript 0.3.1.
        let mut rng = chacha([1, 2, 3, 4, 5, 6, 7, 8]);
        let words: Vec<u32> = (0..4).map(|_| rng.next_u32()).collect();
        assert_eq!(words, [0x8891120d, 0xa1d7fd60, 0x546a15d9, 0xf896cad8]);
        let x = fr_from_rng(&mut chacha([1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(
            x,
            Fr::from_str("11421152797359801513699257512876826534900512878648310510227136947029091328776").unwrap()
        );
        let p = g2_from_rng(&mut chacha([0; 8]));
        let fq = |s: &str| Fq::from_str(s).unwrap();
        let want = G2Affine::new(
            Fq2::new(
                fq("35855136299218177983175817670651091219931845799047128344222155838244161316"),
                fq("646069087635397797919938636744693715354528566603017493395115058465377362471"),
            ),
            Fq2::new(
                fq("1901684158256603321858309450823703490945049772038664416862771328906397094895"),
                fq("3422840315865726820925947100339987389766207607061923384417058547416974546320"),
            ),
        );
        assert_eq!(p, want);
        assert!(p.is_in_correct_subgroup_assuming_on_curve());
    }
}
