//! `teraproof`: prove and verify compute units from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use teraproof_circuits::circuit_cost;
use teraproof_core::{digest_matrix, AnyMatrix, UnitSpec};

#[derive(Parser)]
#[command(
    name = "teraproof",
    version,
    about = "Verifiable GPU compute: Groth16 proofs that an int8 matrix product is right"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the canonical digest (DESIGN §3) of a matrix JSON file, as a decimal.
    Digest {
        /// `{"dtype":"i8"|"i32","rows":R,"cols":C,"data":[...]}`
        matrix: PathBuf,
    },
    /// Print a unit's shape, operations and circuit sizes as JSON.
    Info {
        /// `mm-i8-MxKxN` or a catalog name such as `CU-64`
        unit: String,
    },
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Digest { matrix } => {
            let text = read(&matrix)?;
            let parsed =
                AnyMatrix::from_json(&text).with_context(|| format!("{} is not a valid matrix", matrix.display()))?;
            let digest = match &parsed {
                AnyMatrix::I8(m) => digest_matrix(m),
                AnyMatrix::I32(m) => digest_matrix(m),
            };
            println!("{digest}");
        }
        Command::Info { unit } => {
            let spec: UnitSpec = unit.parse()?;
            let cost = circuit_cost(&spec)?;
            let info = serde_json::json!({
                "id": spec.id(),
                "catalog_name": spec.catalog_name(),
                "m": spec.m(), "k": spec.k(), "n": spec.n(),
                "ops": spec.ops(),
                "input_bytes": spec.input_bytes(),
                "output_bytes": spec.output_bytes(),
                "constraints": cost.constraints,
                "naive_constraints": cost.naive_constraints,
                "constraint_breakdown": {
                    "range_check": cost.range_check,
                    "hashing": cost.hashing,
                    "freivalds": cost.freivalds,
                },
                "public_inputs": ["dA", "dB", "dC"],
            });
            println!("{}", serde_json::to_string_pretty(&info)?);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
