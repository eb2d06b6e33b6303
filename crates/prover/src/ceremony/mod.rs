//! A Groth16 setup nobody has to trust, compatible with snarkjs (DESIGN §12).
//!
//! The universal phase 1 is the public Powers of Tau (snarkjs `.ptau` files, read by
//! [`crate::ptau`]); phase 2 is per unit circuit, and is what this module builds, in the
//! file formats of the circom/snarkjs ecosystem, so that anyone can check a teraproof
//! ceremony with the tools they already trust:
//!
//! - [`binfile`]: the iden3 binary container every one of those files uses;
//! - [`r1cs`](mod@r1cs): a unit circuit as circom's `.r1cs` (wire 0 = one, then dA, dB, dC);
//! - [`wtns`]: a unit's full assignment as snarkjs' `.wtns`;
//! - [`zkey`]: snarkjs' Groth16 `.zkey`, read (strictly) and written;
//! - [`new`](mod@new): a unit's initial zkey from a prepared Powers of Tau;
//! - [`rng`]: snarkjs' sampling, reproduced (for proofs of knowledge and beacons);
//! - [`contribute`](mod@contribute): random contributions and the beacon;
//! - [`verify`](mod@verify): our own check of a whole transcript;
//! - [`import`](mod@import): a verified zkey as a key folder (snarkjs' QAP convention);
//! - [`dev_ptau`]: an INSECURE prepared ptau from a known τ, for benchmarks and tests.

pub mod binfile;
pub mod contribute;
pub mod dev_ptau;
pub mod error;
pub mod import;
pub mod new;
pub mod r1cs;
pub mod rng;
pub mod scale;
pub mod verify;
pub mod wtns;
pub mod zkey;

pub use r1cs::{write_r1cs, R1CS_PUBLIC_INPUTS};

/// A 64-byte hash as snarkjs prints it: four lines of four 8-digit hex groups, each line
/// indented by two tabs, so it can be compared with `snarkjs zkey verify`'s output.
pub fn format_hash(hash: &[u8; 64]) -> String {
    hash.chunks(16)
        .map(|line| {
            let groups: Vec<String> = line.chunks(4).map(|g| g.iter().map(|b| format!("{b:02x}")).collect()).collect();
            format!("\t\t{}", groups.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
pub use wtns::write_wtns;
