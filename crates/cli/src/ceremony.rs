//! `teraproof ceremony`: a unit's phase 2 in snarkjs' file formats (DESIGN §12).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use teraproof_core::{UnitKind, UnitSpec};

use teraproof_prover::ceremony::format_hash;
use teraproof_prover::ceremony::zkey::{Zkey, CONTRIBUTE_ORDER};

use crate::{check_outputs, output_name, say, spinner, write_bytes};

fn kind_and_spec(unit: &str, accumulate: bool) -> Result<(UnitKind, UnitSpec)> {
    let spec: UnitSpec = unit.parse()?;
    Ok((if accumulate { UnitKind::Accumulate } else { UnitKind::Product }, spec))
}

/// Verifies the ceremony of `zkey` for the unit on `ptau`; returns it with the open ptau.
fn check(
    kind: UnitKind,
    spec: &UnitSpec,
    ptau: &Path,
    zkey: &Path,
) -> Result<(teraproof_prover::ceremony::verify::Checked, teraproof_prover::ptau::PtauFile)> {
    let mut file =
        teraproof_prover::ptau::PtauFile::open(ptau).with_context(|| format!("cannot use {}", ptau.display()))?;
    let pb = spinner(format!("reading {}", zkey.display()));
    let z = Zkey::load(zkey).with_context(|| format!("cannot use {}", zkey.display()))?;
    pb.set_message(format!("synthesising {}", kind.unit_id(spec)));
    let r1cs = teraproof_circuits::r1cs_of(kind, spec)?;
    pb.set_message("recomputing the initial key and checking every contribution");
    let checked = teraproof_prover::ceremony::verify::verify_zkey(&r1cs, &mut file, z)
        .with_context(|| format!("{} does not check", zkey.display()))?;
    pb.finish_and_clear();
    Ok((checked, file))
}

fn print_checked(checked: &teraproof_prover::ceremony::verify::Checked) {
    println!("circuit hash\n{}", format_hash(&checked.cs_hash));
    for (i, c) in checked.contributions.iter().enumerate().rev() {
        let kind = match &c.beacon {
            Some((value, exp)) => format!(" (beacon {}, 2^{exp} rounds)", teraproof_core::receipt::encode_hex(value)),
            None => String::new(),
        };
        println!("contribution #{} {}{kind}:\n{}", i + 1, c.name.as_deref().unwrap_or(""), format_hash(&c.hash));
    }
    if checked.random_contributions() == 0 {
        println!(
            "WARNING: no random contribution: δ is the generator or follows from public beacon values; anyone can \
             forge proofs under this key (import refuses it)"
        );
    }
    println!("zkey ok: {} contributions check", checked.contributions.len());
}

/// The SHA-256 and blake2b-512 (hex) of a file, in one streamed pass.
fn hash_file(path: &Path) -> Result<(String, String)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut blake = blake2::Blake2b512::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        blake.update(&buf[..n]);
    }
    let hex = teraproof_core::receipt::encode_hex;
    Ok((hex(&hasher.finalize()), hex(&blake.finalize())))
}

/// Bytes from hex (an optional 0x, an even count of digits).
fn decode_hex(text: &str) -> Result<Vec<u8>> {
    let t = text.strip_prefix("0x").unwrap_or(text);
    anyhow::ensure!(!t.is_empty() && t.len().is_multiple_of(2) && t.len() <= 510, "not 1 to 255 bytes of hex");
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
    /// Check a zkey's whole ceremony against the unit's circuit and the Powers of Tau, as
    /// `snarkjs zkey verify` does; exit 0 when it checks, 1 with the reason otherwise.
    Verify {
        /// unit id or catalog name
        #[arg(long)]
        unit: String,
        /// with a square unit: the accumulating unit's circuit
        #[arg(long)]
        accumulate: bool,
        /// the prepared Powers of Tau the ceremony started from
        #[arg(long)]
        ptau: PathBuf,
        /// the zkey to check
        #[arg(long)]
        zkey: PathBuf,
    },
    /// Verify a zkey's ceremony and write it as a key folder the prover, verifier, C ABI
    /// and exports use (not marked insecure; keys.json records the ceremony).
    Import {
        /// unit id or catalog name
        #[arg(long)]
        unit: String,
        /// with a square unit: the accumulating unit's circuit
        #[arg(long)]
        accumulate: bool,
        /// the prepared Powers of Tau the ceremony started from
        #[arg(long)]
        ptau: PathBuf,
        /// the final zkey
        #[arg(long)]
        zkey: PathBuf,
        /// the key folder to write
        #[arg(long)]
        out: PathBuf,
        /// replace keys already in --out
        #[arg(long)]
        force: bool,
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
            let t = std::time::Instant::now();
            let mut zkey = Zkey::load(&input).with_context(|| format!("cannot use {}", input.display()))?;
            let read_ms = t.elapsed().as_secs_f64() * 1e3;
            pb.set_message("contributing");
            let t = std::time::Instant::now();
            let hash = teraproof_prover::ceremony::contribute::contribute(&mut zkey, name, entropy.as_bytes())?;
            let contribute_ms = t.elapsed().as_secs_f64() * 1e3;
            pb.set_message(format!("writing {}", out.display()));
            let t = std::time::Instant::now();
            zkey.save(&out, &CONTRIBUTE_ORDER)?;
            tracing::info!(read_ms, contribute_ms, write_ms = t.elapsed().as_secs_f64() * 1e3, "contributed");
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
        CeremonyCommand::Verify { unit, accumulate, ptau, zkey } => {
            let (kind, spec) = kind_and_spec(&unit, accumulate)?;
            let (checked, _) = check(kind, &spec, &ptau, &zkey)?;
            print_checked(&checked);
            Ok(())
        }
        CeremonyCommand::Import { unit, accumulate, ptau, zkey, out, force } => {
            let (kind, spec) = kind_and_spec(&unit, accumulate)?;
            if out.join("keys.json").exists() && !force {
                anyhow::bail!("{} already holds keys; pass --force to overwrite", out.display());
            }
            // The ptau is hashed before it is checked, and the zkey imported is the very
            // one verified (no second read of either file).
            let pb = spinner("hashing the Powers of Tau");
            let (sha256, blake2b) = hash_file(&ptau)?;
            pb.finish_and_clear();
            let (checked, ptau_file) = check(kind, &spec, &ptau, &zkey)?;
            let mut ptau_file = ptau_file;
            let record = teraproof_prover::ceremony::import::PtauRecord {
                sha256,
                blake2b,
                power: ptau_file.power,
                contributions: ptau_file.contributions()?,
            };
            let count = checked.contributions.len();
            let mut keys = teraproof_prover::ceremony::import::import(kind, spec, checked, &record)?;
            keys.save(&out)?;
            let m = keys.manifest();
            println!("unit        {}", m.unit);
            println!("vk id       {}", m.vk_id);
            println!("keys        {}", out.display());
            println!("ceremony    {count} contributions on a Powers of Tau of power {}", record.power);
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
