//! A Groth16 setup nobody has to trust, compatible with snarkjs (DESIGN §12).
//!
//! The universal phase 1 is the public Powers of Tau (snarkjs `.ptau` files, read by
//! [`crate::ptau`]); phase 2 is per unit circuit, and is what this module builds, in the
//! file formats of the circom/snarkjs ecosystem, so that anyone can check a teraproof
//! ceremony with the tools they already trust:
//!
//! - [`binfile`]: the iden3 binary container every one of those files uses;
//! - [`r1cs`](mod@r1cs): a unit circuit as circom's `.r1cs` (wire 0 = one, then dA, dB, dC);
//! - [`wtns`]: a unit's full assignment as snarkjs' `.wtns`.

pub mod binfile;
pub mod r1cs;
pub mod wtns;

pub use r1cs::{write_r1cs, R1CS_PUBLIC_INPUTS};
pub use wtns::write_wtns;
