//! `ceremony verify`: our own check of a whole phase-2 transcript, agreeing with
//! `snarkjs zkey verify`.
//!
//! Soundness: the initial key is recomputed from the unit's circuit and the Powers of
//! Tau, so every part of the zkey that contributions must not change (the header but δ,
//! the circuit hash, IC, the coefficients, A, B1, B2) is compared exactly. Each
//! contribution's transcript is recomputed; its proof of knowledge
//! `e(g1_s, g2_spx) = e(g1_sx, g2_sp)` with `g2_sp = hashToG2(transcript)` shows that
//! whoever made it knew the x of `g1_sx = x·g1_s`, and `e(δ_before, g2_spx) =
//! e(δ_after, g2_sp)` that δ was multiplied by that same x; a beacon's points are
//! recomputed from its public value. The final δ·G1 must be the last δ_after and pair
//! with δ·G2. Last, with random ρ drawn after reading, `Σρ·L_init = δ·Σρ·L` and
//! likewise for H (two pairings each): a false point passes with probability 1/r. So
//! the key's δ is the product of the contributions' secrets, and one honest random
//! contributor makes it unknown to everyone. A beacon does not: its secret follows from
//! its public value, so a zkey of beacons only has a public δ ([`Checked::random_contributions`]
//! tells; import refuses it).

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{AffineRepr, VariableBaseMSM};
use ark_ff::UniformRand;
use blake2::Digest;
use teraproof_circuits::R1cs;

use super::binfile::g1_u;
use super::contribute::{
    beacon_rng, contribution_hash, draw, same_ratio, transcript_prefix, MAX_BEACON_ITERATIONS_EXP,
};
pub use super::error::CeremonyError;
use super::new::new_zkey;
use super::rng::hash_to_g2;
use super::zkey::{ContributionKind, Zkey};
use crate::error::Result;
use crate::ptau::PtauFile;

/// A contribution as verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedContribution {
    /// its name, when given
    pub name: Option<String>,
    /// its hash, as snarkjs prints it
    pub hash: [u8; 64],
    /// the beacon's value and log2 of its rounds, for the beacon
    pub beacon: Option<(Vec<u8>, u8)>,
}

/// A verified zkey and what its ceremony is. Only verification makes one, and it holds
/// the very zkey it checked, so what is imported is what was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// the circuit hash
    pub cs_hash: [u8; 64],
    /// every contribution, oldest first
    pub contributions: Vec<CheckedContribution>,
    zkey: Zkey,
}

impl Checked {
    /// The zkey that was verified.
    pub fn zkey(&self) -> &Zkey {
        &self.zkey
    }

    pub(crate) fn into_zkey(self) -> Zkey {
        self.zkey
    }

    /// How many contributions drew a secret nobody can recompute (not beacons).
    pub fn random_contributions(&self) -> usize {
        self.contributions.iter().filter(|c| c.beacon.is_none()).count()
    }
}

/// Verifies `zkey` as a phase 2 of `r1cs` on `ptau` (see the [module docs](self)).
pub fn verify_zkey(r1cs: &R1cs, ptau: &mut PtauFile, zkey: Zkey) -> Result<Checked> {
    let init = new_zkey(r1cs, ptau)?;
    Ok(verify_against(&init, zkey)?)
}

/// Verifies `zkey` against the initial key `init` of its circuit.
pub fn verify_against(init: &Zkey, zkey: Zkey) -> std::result::Result<Checked, CeremonyError> {
    let (h, i) = (&zkey.header.clone(), &init.header);
    let same = [
        ("wire count", h.n_vars == i.n_vars),
        ("public wire count", h.n_public == i.n_public),
        ("domain size", h.domain_size == i.domain_size),
        ("alpha", h.alpha1 == i.alpha1),
        ("beta", h.beta1 == i.beta1 && h.beta2 == i.beta2),
        ("gamma", h.gamma2 == i.gamma2),
        ("circuit hash", zkey.cs_hash == init.cs_hash),
        ("IC section", zkey.ic == init.ic),
        ("coefficient section", zkey.coefs == init.coefs),
        ("A section", zkey.a == init.a),
        ("B1 section", zkey.b1 == init.b1),
        ("B2 section", zkey.b2 == init.b2),
        ("L section length", zkey.l.len() == init.l.len()),
        ("H section length", zkey.h.len() == init.h.len()),
    ];
    if let Some((what, _)) = same.iter().find(|(_, ok)| !ok) {
        return Err(CeremonyError::NotThisCircuit(what));
    }
    let mut delta = G1Affine::generator();
    let mut contributions = Vec::with_capacity(zkey.contributions.len());
    // The transcript so far, extended once per contribution (not rehashed from the start).
    let mut chain = transcript_prefix(&zkey, 0);
    for (k, c) in zkey.contributions.iter().enumerate() {
        let number = k + 1;
        let mut hasher = chain.clone();
        chain.update(super::contribute::public_key_bytes(c));
        let mut points = Vec::with_capacity(128);
        g1_u(&c.g1_s, &mut points);
        g1_u(&c.g1_sx, &mut points);
        hasher.update(&points);
        let transcript: [u8; 64] = hasher.finalize().into();
        if transcript != c.transcript {
            return Err(CeremonyError::InconsistentTranscript(number));
        }
        let g2_sp = hash_to_g2(&transcript);
        if !same_ratio(&c.g1_s, &c.g1_sx, &g2_sp, &c.g2_spx) {
            return Err(CeremonyError::BadProofOfKnowledge(number));
        }
        if !same_ratio(&delta, &c.delta_after, &g2_sp, &c.g2_spx) {
            return Err(CeremonyError::BrokenDeltaChain(number));
        }
        if let ContributionKind::Beacon { hash, iterations_exp } = &c.kind {
            if !(10..=MAX_BEACON_ITERATIONS_EXP).contains(iterations_exp) {
                return Err(CeremonyError::BeaconTooLong(number, *iterations_exp));
            }
            let (_, g1_s, g1_sx) = draw(&mut beacon_rng(hash, *iterations_exp));
            if g1_s != c.g1_s || g1_sx != c.g1_sx {
                return Err(CeremonyError::BeaconMismatch(number));
            }
        }
        delta = c.delta_after;
        contributions.push(CheckedContribution {
            name: c.name.clone(),
            hash: contribution_hash(c),
            beacon: match &c.kind {
                ContributionKind::Beacon { hash, iterations_exp } => Some((hash.clone(), *iterations_exp)),
                ContributionKind::Random => None,
            },
        });
    }
    if h.delta1 != delta || !same_ratio(&G1Affine::generator(), &h.delta1, &G2Affine::generator(), &h.delta2) {
        return Err(CeremonyError::FinalDelta);
    }
    let scaled = |initial: &[G1Affine], now: &[G1Affine]| {
        if initial.is_empty() {
            return true;
        }
        let mut rng = rand::thread_rng();
        let rho: Vec<Fr> = (0..initial.len()).map(|_| Fr::rand(&mut rng)).collect();
        let (Ok(r1), Ok(r2)) = (G1Projective::msm(initial, &rho), G1Projective::msm(now, &rho)) else {
            return false;
        };
        use ark_ec::CurveGroup;
        // Σρ·L_init = δ·Σρ·L: the pair (Σρ·L, Σρ·L_init) has the ratio (G2, δ·G2).
        same_ratio(&r2.into_affine(), &r1.into_affine(), &G2Affine::generator(), &h.delta2)
    };
    if !scaled(&init.l, &zkey.l) {
        return Err(CeremonyError::LNotScaled);
    }
    if !scaled(&init.h, &zkey.h) {
        return Err(CeremonyError::HNotScaled);
    }
    Ok(Checked { cs_hash: zkey.cs_hash, contributions, zkey })
}
