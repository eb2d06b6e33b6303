//! `teraproof ceremony`: a unit's phase 2 in snarkjs' file formats (DESIGN §12).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use teraproof_core::{UnitKind, UnitSpec};

use teraproof_prover::ceremony::format_hash;
use teraproof_prover::ceremony::zkey::{Zkey, CONTRIBUTE_ORDER};

use crate::{check_outputs, output_name, say, spinner, write_bytes};

/// Bytes from hex (an optional 0x, an even count of digits).
fn decode_hex(text: &str) -> Result<Vec<u8>> {
    let t = text.strip_prefix("0x").unwrap_or(text);
    anyhow::ensure!(!t.is_empty() && t.len() % 2 == 0 && t.len() <= 510, "not 1 to 255 bytes of hex");
    (0..t.len()).step_by(2).map(|i| u8::from_str_radix(&t[i..i + 2], 16).context("not hex")).collect()
}

#[derive(Subcommand)]
pub enum CeremonyCommand {
    /// Write a unit's constraint system as circom's .r1cs (wire 0 = one, then dA, dB, dC);
    /// check it with `snarkjs r1cs info`.
    R1cs {
        /// unit id or catalog name
        #[arg(long)]
        unit: String,
        /// with a square unit: the accumulating unit's circuit (`mma-…`) instead
        #[arg(long)]
        accumulate: bool,
        /// the .r1cs file to write
        #[arg(long)]
        out: PathBuf,
    },
    /// The unit's initial zkey (no contribution yet) from a prepared Powers of Tau, as
    /// `snarkjs groth16 setup` makes it.
    New {
        /// unit id or catalog name
        #[arg(long)]
        unit: String,
        /// with a square unit: the accumulating unit's circuit
        #[arg(long)]
        accumulate: bool,
        /// a prepared snarkjs Powers of Tau (phase 2 sections present)
        #[arg(long)]
        ptau: PathBuf,
        /// the .zkey to write
        #[arg(long)]
        out: PathBuf,
    },
    /// Add a contribution (a secret from the OS, mixed with --entropy when given) and
    /// print its hash, as `snarkjs zkey contribute` does.
    Contribute {
        /// the zkey to contribute to
        #[arg(long = "in")]
        input: PathBuf,
        /// the zkey to write
        #[arg(long)]
        out: PathBuf,
        /// the contributor's name (recorded, at most 64 characters)
        #[arg(long)]
        name: Option<String>,
        /// extra entropy text, mixed into the OS randomness
        #[arg(long, default_value = "")]
        entropy: String,
    },
    /// End the ceremony with a public beacon: 2^ITERATIONS SHA-256 rounds of HASH (hex),
    /// as `snarkjs zkey beacon` does.
    Beacon {
        /// the zkey to finish
        #[arg(long = "in")]
        input: PathBuf,
        /// the zkey to write
        #[arg(long)]
        out: PathBuf,
        /// the beacon value, hex (a future block hash, say)
        #[arg(long)]
        hash: String,
        /// log2 of the SHA-256 rounds (10 to 63)
        #[arg(long)]
        iterations: u8,
        /// the beacon's name
        #[arg(long, default_value = "Final Beacon")]
        name: String,
    },
}

pub fn run(command: CeremonyCommand) -> Result<()> {
    match command {
        CeremonyCommand::R1cs { unit, accumulate, out } => {
            let spec: UnitSpec = unit.parse()?;
            let kind = if accumulate { UnitKind::Accumulate } else { UnitKind::Product };
            check_outputs(&[&out], &[], None)?;
            let pb = spinner(format!("synthesising {}", kind.unit_id(&spec)));
            let r1cs = teraproof_circuits::r1cs_of(kind, &spec)?;
            let mut bytes = Vec::new();
            teraproof_prover::ceremony::write_r1cs(&r1cs, &mut bytes)?;
            pb.finish_and_clear();
            write_bytes(&out, &bytes)?;
            say(
                &[out.as_path()],
                format!(
                    "wrote {} ({}: {} constraints, {} wires, public {}; circuit id {})",
                    output_name(&out),
                    r1cs.unit,
                    r1cs.num_constraints(),
                    r1cs.num_instance + r1cs.num_witness,
                    teraproof_prover::ceremony::R1CS_PUBLIC_INPUTS.join(", "),
                    r1cs.circuit_id()
                ),
            );
            Ok(())
        }
        CeremonyCommand::Contribute { input, out, name, entropy } => {
            check_outputs(&[&out], &[&input], None)?;
            let pb = spinner(format!("reading {}", input.display()));
            let mut zkey = Zkey::load(&input).with_context(|| format!("cannot use {}", input.display()))?;
            pb.set_message("contributing");
            let hash = teraproof_prover::ceremony::contribute::contribute(&mut zkey, name, entropy.as_bytes())?;
            pb.set_message(format!("writing {}", out.display()));
            zkey.save(&out, &CONTRIBUTE_ORDER)?;
            pb.finish_and_clear();
            println!("wrote {} (contribution #{})", out.display(), zkey.contributions.len());
            println!("contribution hash\n{}", format_hash(&hash));
            Ok(())
        }
        CeremonyCommand::Beacon { input, out, hash, iterations, name } => {
            let value = decode_hex(&hash).context("--hash must be hex, 1 to 255 bytes")?;
            check_outputs(&[&out], &[&input], None)?;
            let pb = spinner(format!("reading {}", input.display()));
            let mut zkey = Zkey::load(&input).with_context(|| format!("cannot use {}", input.display()))?;
            pb.set_message(format!("the beacon: 2^{iterations} rounds of SHA-256"));
            let hash = teraproof_prover::ceremony::contribute::beacon(&mut zkey, Some(name), &value, iterations)?;
            pb.set_message(format!("writing {}", out.display()));
            zkey.save(&out, &CONTRIBUTE_ORDER)?;
            pb.finish_and_clear();
            println!("wrote {} (contribution #{}, the beacon)", out.display(), zkey.contributions.len());
            println!("contribution hash\n{}", format_hash(&hash));
            Ok(())
        }
        CeremonyCommand::New { unit, accumulate, ptau, out } => {
            let spec: UnitSpec = unit.parse()?;
            let kind = if accumulate { UnitKind::Accumulate } else { UnitKind::Product };
            check_outputs(&[&out], &[&ptau], None)?;
            let mut file = teraproof_prover::ptau::PtauFile::open(&ptau)
                .with_context(|| format!("cannot use {}", ptau.display()))?;
            let pb = spinner(format!("synthesising {}", kind.unit_id(&spec)));
            let r1cs = teraproof_circuits::r1cs_of(kind, &spec)?;
            pb.set_message(format!("computing the initial zkey of {} from {}", r1cs.unit, ptau.display()));
            let zkey = teraproof_prover::ceremony::new::new_zkey(&r1cs, &mut file)?;
            pb.set_message(format!("writing {}", out.display()));
            zkey.save(&out, &teraproof_prover::ceremony::zkey::NEW_ORDER)?;
            pb.finish_and_clear();
            println!(
                "wrote {} ({}, domain 2^{}, no contribution yet)",
                out.display(),
                r1cs.unit,
                zkey.header.domain_size.trailing_zeros()
            );
            println!("circuit hash\n{}", format_hash(&zkey.cs_hash));
            Ok(())
        }
    }
}

/// Writes the full assignment of the compute unit `spec` on A, B, C as a `.wtns` file.
pub fn write_unit_wtns(
    path: &Path,
    spec: &UnitSpec,
    a: &teraproof_core::Matrix<i8>,
    b: &teraproof_core::Matrix<i8>,
    c: &teraproof_core::Matrix<i32>,
) -> Result<()> {
    let circuit = teraproof_circuits::ComputeUnitCircuit::new(*spec, a, b, c)?;
    let z = circuit.direct_witness().context("computing the witness")?.assignment.full();
    let mut bytes = Vec::with_capacity(z.len() * 32 + 64);
    teraproof_prover::ceremony::write_wtns(&z, &mut bytes)?;
    write_bytes(path, &bytes)
}
