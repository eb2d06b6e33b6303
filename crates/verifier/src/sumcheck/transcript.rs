//! The Fiat–Shamir transcript of the sumcheck path: SHA-256 over a running state.
//!
//! **Why SHA-256.** It is already this crate's only hash (key ids, receipt ids), it is
//! `no_std`, and the EVM has it as a precompile (`0x02`), so an on-chain verifier can
//! recompute the same challenges. Poseidon would be cheaper inside a circuit, which this
//! path does not need.
//!
//! **Construction.** The state is 32 bytes, initially `SHA-256(DOMAIN)`. Absorbing a
//! message with label `L` sets `state = SHA-256(state ‖ "absorb" ‖ len(L) ‖ L ‖ len(m) ‖ m)`
//! (lengths as u64 LE), so no two sequences of (label, message) pairs give the same
//! input. A challenge with label `L` is `SHA-256(state ‖ "challenge" ‖ len(L) ‖ L ‖ i)` for
//! `i = 0, 1` (64 bytes), reduced modulo r, and the state then absorbs the challenge's
//! bytes. Reducing 512 uniform bits modulo the 254-bit r gives a statistical distance
//! from uniform below 2^-250; this is the one place a reduction is meant (challenges
//! are derived, never parsed).

use ark_bn254::{Fr, G1Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_serialize::CanonicalSerialize;
use sha2::{Digest, Sha256};

use crate::prelude::*;

/// The protocol's domain separator: a transcript of another protocol or version never
/// yields this one's challenges.
pub const DOMAIN: &[u8] = b"teraproof/sumcheck-matmul/v1";

/// A running Fiat–Shamir transcript (prover and verifier run the same one).
#[derive(Clone)]
pub struct Transcript {
    state: [u8; 32],
}

impl Transcript {
    /// A transcript of [`DOMAIN`].
    pub fn new() -> Self {
        Transcript { state: Sha256::digest(DOMAIN).into() }
    }

    fn framed(&self, kind: &[u8], label: &[u8]) -> Sha256 {
        let mut h = Sha256::new();
        h.update(self.state);
        h.update(kind);
        h.update((label.len() as u64).to_le_bytes());
        h.update(label);
        h
    }

    /// Absorbs `message` under `label`.
    pub fn absorb(&mut self, label: &[u8], message: &[u8]) {
        let mut h = self.framed(b"absorb", label);
        h.update((message.len() as u64).to_le_bytes());
        h.update(message);
        self.state = h.finalize().into();
    }

    /// Absorbs a u64.
    pub fn absorb_u64(&mut self, label: &[u8], value: u64) {
        self.absorb(label, &value.to_le_bytes());
    }

    /// Absorbs a field element (32 bytes, little-endian, canonical).
    pub fn absorb_fr(&mut self, label: &[u8], x: &Fr) {
        self.absorb(label, &x.into_bigint().to_bytes_le());
    }

    /// Absorbs field elements, one message.
    pub fn absorb_frs(&mut self, label: &[u8], xs: &[Fr]) {
        let mut bytes = Vec::with_capacity(32 * xs.len());
        for x in xs {
            bytes.extend_from_slice(&x.into_bigint().to_bytes_le());
        }
        self.absorb(label, &bytes);
    }

    /// Absorbs G1 points (compressed encodings), one message.
    pub fn absorb_g1s(&mut self, label: &[u8], points: &[G1Affine]) {
        let mut bytes = Vec::with_capacity(32 * points.len());
        for p in points {
            p.serialize_compressed(&mut bytes).expect("Vec write");
        }
        self.absorb(label, &bytes);
    }

    /// A challenge in Fr under `label`.
    pub fn challenge(&mut self, label: &[u8]) -> Fr {
        let mut wide = [0u8; 64];
        for (i, half) in wide.chunks_exact_mut(32).enumerate() {
            let mut h = self.framed(b"challenge", label);
            h.update([i as u8]);
            half.copy_from_slice(&h.finalize());
        }
        let x = Fr::from_le_bytes_mod_order(&wide);
        self.absorb(b"challenge-output", &wide);
        x
    }

    /// `count` challenges under `label`.
    pub fn challenges(&mut self, label: &[u8], count: usize) -> Vec<Fr> {
        (0..count).map(|_| self.challenge(label)).collect()
    }

    /// A challenge that is not zero (the openings divide by it); zero has probability
    /// 2^-254, so the loop ends at once in practice.
    pub fn nonzero_challenge(&mut self, label: &[u8]) -> Fr {
        loop {
            let x = self.challenge(label);
            if x != Fr::from(0u64) {
                return x;
            }
        }
    }
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_depend_on_everything_absorbed_and_on_labels() {
        let run = |label: &[u8], message: &[u8]| {
            let mut t = Transcript::new();
            t.absorb(label, message);
            t.challenge(b"r")
        };
        let base = run(b"a", b"xy");
        assert_eq!(base, run(b"a", b"xy"), "deterministic");
        assert_ne!(base, run(b"a", b"xz"));
        assert_ne!(base, run(b"ax", b"y"), "label and message are framed apart");
        let mut t = Transcript::new();
        let (first, second) = (t.challenge(b"r"), t.challenge(b"r"));
        assert_ne!(first, second, "each challenge advances the state");
    }
}
