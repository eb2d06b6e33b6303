//! Decoding a receipt's proof: 128 compressed bytes, each point canonically encoded,
//! not the identity, on the curve and, for B in G2, in the prime-order subgroup (G1 of
//! BN254 has cofactor 1).

use ark_bn254::{g1::Config as G1Config, g2::Config as G2Config, Bn254};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_groth16::Proof;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use teraproof_core::PROOF_BYTES;

use crate::error::{Result, VerifyError};
use crate::prelude::*;

/// Decodes one compressed point and checks it is on the curve and in the prime-order
/// subgroup (free for G1, whose cofactor is 1; essential for G2).
fn point<P: SWCurveConfig>(point: &'static str, bytes: &[u8]) -> Result<Affine<P>> {
    // Decompression recovers y from x; an x with no square root does not decode.
    let p = Affine::<P>::deserialize_with_mode(bytes, Compress::Yes, Validate::No).map_err(|_| {
        VerifyError::InvalidProofPoint {
            point,
            reason: "not a valid compressed point (not on the curve or a non-canonical encoding)",
        }
    })?;
    // arkworks reads any x under the infinity flag as the identity, so several byte
    // strings would name one point; only the canonical one is accepted.
    let mut canonical = Vec::with_capacity(bytes.len());
    p.serialize_compressed(&mut canonical).expect("Vec write");
    if canonical != bytes {
        return Err(VerifyError::InvalidProofPoint { point, reason: "not the canonical encoding of its point" });
    }
    // An honest proof's points are the identity with negligible probability.
    if p.is_zero() {
        return Err(VerifyError::InvalidProofPoint { point, reason: "the identity" });
    }
    if !p.is_on_curve() {
        return Err(VerifyError::InvalidProofPoint { point, reason: "not on the curve" });
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(VerifyError::InvalidProofPoint { point, reason: "not in the prime-order subgroup" });
    }
    Ok(p)
}

/// Decodes and validates a compressed proof `A (32) ‖ B (64) ‖ C (32)`.
pub fn decode_proof(bytes: &[u8; PROOF_BYTES]) -> Result<Proof<Bn254>> {
    Ok(Proof {
        a: point::<G1Config>("A", &bytes[..32])?,
        b: point::<G2Config>("B", &bytes[32..96])?,
        c: point::<G1Config>("C", &bytes[96..])?,
    })
}

/// The compressed encoding of a proof, as receipts carry it.
pub fn encode_proof(proof: &Proof<Bn254>) -> [u8; PROOF_BYTES] {
    let mut out = Vec::with_capacity(PROOF_BYTES);
    proof.a.serialize_compressed(&mut out).expect("Vec write");
    proof.b.serialize_compressed(&mut out).expect("Vec write");
    proof.c.serialize_compressed(&mut out).expect("Vec write");
    out.try_into().expect("compressed BN254 Groth16 proofs are 128 bytes")
}
