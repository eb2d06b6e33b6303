//! `ceremony contribute` and `ceremony beacon`: one more secret factor in δ, with the
//! proof of knowledge and transcript snarkjs uses, so that `snarkjs zkey verify`
//! accepts our contributions and snarkjs and teraproof can contribute in turn.
//!
//! A contribution draws a secret x and, from the same stream, a random `g1_s`; it sets
//! `g1_sx = x·g1_s`, the transcript `T = blake2b(csHash ‖ every earlier contribution ‖
//! g1_s ‖ g1_sx)` (points uncompressed), `g2_spx = x·hashToG2(T)`, multiplies δ·G1 and
//! δ·G2 by x and divides every L and H point by x. The pairs (g1_s, g1_sx) and
//! (δ_before, δ_after), each against (g2_sp, g2_spx), show that one x did both, known to
//! whoever made T's points. A random contribution's stream is keyed by blake2b of 64
//! bytes from the OS and the contributor's text; the secret is zeroized after use. A
//! beacon's stream is keyed by `2^e` SHA-256 rounds of a public value, so anyone can
//! recompute it, which ends the ceremony with randomness nobody chose.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Field;
use blake2::{Blake2b512, Digest};
use rand::RngCore;
use zeroize::Zeroize;

use super::binfile::{g1_u, g2_u};
use super::rng::{chacha, fr_from_rng, g1_from_rng, hash_to_g2, seed_of};
use super::zkey::{Contribution, ContributionKind, Zkey, MAX_NAME_CHARS};
use crate::error::{ProverError, Result};

/// The most SHA-256 rounds (as a power of two) a beacon may ask for, here and of a
/// verifier: 2^40 rounds take days; a hostile file asking 2^63 must not stall a check.
pub const MAX_BEACON_ITERATIONS_EXP: u8 = 40;

/// The bytes snarkjs hashes for a contribution (its "public key"): deltaAfter, g1_s,
/// g1_sx, g2_spx uncompressed, then the transcript.
pub fn public_key_bytes(c: &Contribution) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 3 + 128 + 64);
    g1_u(&c.delta_after, &mut out);
    g1_u(&c.g1_s, &mut out);
    g1_u(&c.g1_sx, &mut out);
    g2_u(&c.g2_spx, &mut out);
    out.extend_from_slice(&c.transcript);
    out
}

/// A contribution's hash, as snarkjs prints it (`Contribution Hash`).
pub fn contribution_hash(c: &Contribution) -> [u8; 64] {
    Blake2b512::digest(public_key_bytes(c)).into()
}

/// The transcript hasher after the circuit hash and the contributions before `upto`.
pub fn transcript_prefix(zkey: &Zkey, upto: usize) -> Blake2b512 {
    let mut h = Blake2b512::new();
    h.update(zkey.cs_hash);
    for c in &zkey.contributions[..upto] {
        h.update(public_key_bytes(c));
    }
    h
}

/// The secret and the proof-of-knowledge points a stream gives (the draw order is
/// snarkjs': x, then g1_s).
pub fn draw(rng: &mut impl RngCore) -> (Fr, G1Affine, G1Affine) {
    let x = fr_from_rng(rng);
    let g1_s = g1_from_rng(rng);
    let g1_sx = (g1_s * x).into_affine();
    (x, g1_s, g1_sx)
}

/// The beacon's stream: `2^iterations_exp` rounds of SHA-256 of `hash`.
pub fn beacon_rng(hash: &[u8], iterations_exp: u8) -> rand_chacha::ChaCha20Rng {
    use sha2::Sha256;
    let mut cur = hash.to_vec();
    for _ in 0..(1u64 << iterations_exp) {
        cur = Sha256::digest(&cur).to_vec();
    }
    chacha(seed_of(&cur))
}

/// Adds a contribution drawn from `rng` to `zkey`; returns its hash.
fn contribute_with(
    zkey: &mut Zkey,
    rng: &mut impl RngCore,
    kind: ContributionKind,
    name: Option<String>,
) -> Result<[u8; 64]> {
    if zkey.contributions.len() >= u32::MAX as usize {
        return Err(ProverError::Ceremony("too many contributions".into()));
    }
    let (mut x, g1_s, g1_sx) = draw(rng);
    let mut hasher = transcript_prefix(zkey, zkey.contributions.len());
    let mut points = Vec::with_capacity(128);
    g1_u(&g1_s, &mut points);
    g1_u(&g1_sx, &mut points);
    hasher.update(&points);
    let transcript: [u8; 64] = hasher.finalize().into();
    let g2_spx = (hash_to_g2(&transcript) * x).into_affine();
    zkey.header.delta1 = (zkey.header.delta1 * x).into_affine();
    zkey.header.delta2 = (zkey.header.delta2 * x).into_affine();
    let mut inverse = x.inverse().ok_or_else(|| ProverError::Ceremony("drew a zero secret".into()))?;
    scale(&mut zkey.l, &inverse);
    scale(&mut zkey.h, &inverse);
    x.zeroize();
    inverse.zeroize();
    let name = name.map(|n| n.chars().take(MAX_NAME_CHARS).collect());
    let c = Contribution { delta_after: zkey.header.delta1, g1_s, g1_sx, g2_spx, transcript, kind, name };
    let hash = contribution_hash(&c);
    zkey.contributions.push(c);
    Ok(hash)
}

fn scale(points: &mut [G1Affine], by: &Fr) {
    super::scale::scale_all(points, by);
}

/// A random contribution: the stream keyed by 64 bytes from the OS and `entropy`.
pub fn contribute(zkey: &mut Zkey, name: Option<String>, entropy: &[u8]) -> Result<[u8; 64]> {
    let mut os = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut os);
    let mut h = Blake2b512::new();
    h.update(os);
    h.update(entropy);
    let mut key: [u8; 64] = h.finalize().into();
    let mut rng = chacha(seed_of(&key));
    os.zeroize();
    key.zeroize();
    let hash = contribute_with(zkey, &mut rng, ContributionKind::Random, name);
    // The stream's state determines the secret: overwrite it in place (rand_chacha has
    // no zeroize; a fresh all-zero stream takes the same memory).
    rng = chacha([0; 8]);
    std::hint::black_box(&mut rng);
    hash
}

/// The beacon: the stream of `2^iterations_exp` SHA-256 rounds of `hash` (1 to 255
/// bytes; `iterations_exp` 10 to 63, snarkjs' range).
pub fn beacon(zkey: &mut Zkey, name: Option<String>, hash: &[u8], iterations_exp: u8) -> Result<[u8; 64]> {
    if hash.is_empty() || hash.len() > 255 {
        return Err(ProverError::Ceremony(format!("a beacon value is 1 to 255 bytes, not {}", hash.len())));
    }
    let most = MAX_BEACON_ITERATIONS_EXP;
    if !(10..=most).contains(&iterations_exp) {
        return Err(ProverError::Ceremony(format!("beacon iterations exponent {iterations_exp}: it is 10 to {most}")));
    }
    let mut rng = beacon_rng(hash, iterations_exp);
    contribute_with(zkey, &mut rng, ContributionKind::Beacon { hash: hash.to_vec(), iterations_exp }, name)
}

/// Whether e(a1, b2) = e(b1, a2): the two G1 points differ by the factor the G2 pair
/// does. False when any point is the identity.
pub fn same_ratio(a1: &G1Affine, b1: &G1Affine, a2: &G2Affine, b2: &G2Affine) -> bool {
    use ark_ec::pairing::Pairing;
    if a1.is_zero() || b1.is_zero() || a2.is_zero() || b2.is_zero() {
        return false;
    }
    ark_bn254::Bn254::multi_pairing([*a1, -*b1], [*b2, *a2]) == ark_ec::pairing::PairingOutput::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn the_beacon_stream_and_draws_are_snarkjs() {
        // snarkjs 0.7.6: beacon 0x0102…1f, exponent 10.
        let hash: Vec<u8> = (1..=31).collect();
        let (x, g1_s, g1_sx) = draw(&mut beacon_rng(&hash, 10));
        let fr = |s: &str| Fr::from_str(s).unwrap();
        let fq = |s: &str| ark_bn254::Fq::from_str(s).unwrap();
        assert_eq!(x, fr("245419528001706797440158906564465443062649850853982249214041232844358706575"));
        assert_eq!(
            g1_s,
            G1Affine::new(
                fq("4479198964310915047771313168227329308870517467537789003659707845470163506916"),
                fq("15552833264422697478591749076681310391952599781681295170056107412410042822144")
            )
        );
        assert_eq!(
            g1_sx,
            G1Affine::new(
                fq("16844218476193550112316117893878339833618188932148438567348163798279958315325"),
                fq("1226036948688871999392820375333857949675432030116394321901160616825015407654")
            )
        );
    }
}
