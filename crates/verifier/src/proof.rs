//! Decoding a receipt's proof: 128 compressed bytes, each point checked on the curve
//! and, for B in G2, in the prime-order subgroup (G1 of BN254 has cofactor 1).

use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_groth16::Proof;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use teraproof_core::PROOF_BYTES;

use crate::error::{Result, VerifyError};

fn g1(point: &'static str, bytes: &[u8]) -> Result<G1Affine> {
    // Decompression recovers y from x; an x with no square root is not on the curve.
    let p = G1Affine::deserialize_with_mode(bytes, Compress::Yes, Validate::No).map_err(|_| {
        VerifyError::InvalidProofPoint {
            point,
            reason: "not a valid compressed point (not on the curve or a non-canonical encoding)",
        }
    })?;
    if !p.is_on_curve() {
        return Err(VerifyError::InvalidProofPoint { point, reason: "not on the curve" });
    }
    Ok(p)
}

fn g2(point: &'static str, bytes: &[u8]) -> Result<G2Affine> {
    let p = G2Affine::deserialize_with_mode(bytes, Compress::Yes, Validate::No).map_err(|_| {
        VerifyError::InvalidProofPoint {
            point,
            reason: "not a valid compressed point (not on the curve or a non-canonical encoding)",
        }
    })?;
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
    Ok(Proof { a: g1("A", &bytes[..32])?, b: g2("B", &bytes[32..96])?, c: g1("C", &bytes[96..])? })
}

/// The compressed encoding of a proof, as receipts carry it.
pub fn encode_proof(proof: &Proof<Bn254>) -> [u8; PROOF_BYTES] {
    let mut out = Vec::with_capacity(PROOF_BYTES);
    proof.a.serialize_compressed(&mut out).expect("Vec write");
    proof.b.serialize_compressed(&mut out).expect("Vec write");
    proof.c.serialize_compressed(&mut out).expect("Vec write");
    out.try_into().expect("compressed BN254 Groth16 proofs are 128 bytes")
}
