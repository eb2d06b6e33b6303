//! Why a ceremony does not check: the named failures of [`super::verify`].

use thiserror::Error;

/// Why a zkey's ceremony does not check.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CeremonyError {
    /// A part contributions may not change differs from the key the circuit and ptau give.
    #[error("the zkey is not this unit's on this Powers of Tau: its {0} differs")]
    NotThisCircuit(&'static str),
    /// A contribution's transcript is not the hash of what came before it.
    #[error("contribution #{0}: its transcript does not follow from the contributions before it (broken hash chain)")]
    InconsistentTranscript(usize),
    /// A contribution's proof of knowledge fails.
    #[error("contribution #{0}: its proof of knowledge fails")]
    BadProofOfKnowledge(usize),
    /// A contribution's δ is not the one before times its proven secret.
    #[error("contribution #{0}: δ was not multiplied by the secret its proof of knowledge proves")]
    BrokenDeltaChain(usize),
    /// A beacon whose points are not the ones its value gives.
    #[error("contribution #{0}: the beacon's points are not the ones its value and iterations give")]
    BeaconMismatch(usize),
    /// A beacon asking for more hash rounds than a verifier spends.
    #[error("contribution #{0}: a beacon of 2^{1} rounds (this verifier checks 2^10 to 2^40)")]
    BeaconTooLong(usize, u8),
    /// The key's δ is not the last contribution's.
    #[error("the key's δ is not the last contribution's (or δ·G1 and δ·G2 disagree)")]
    FinalDelta,
    /// The L points were not divided by δ.
    #[error("the L section is not the initial one divided by δ")]
    LNotScaled,
    /// The H points were not divided by δ.
    #[error("the H section is not the initial one divided by δ")]
    HNotScaled,
}
