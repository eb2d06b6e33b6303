//! `teraproof`: prove and verify compute units from the command line.

#![forbid(unsafe_code)]

mod bench;
mod ceremony;
mod demo;
mod files;
mod fit;
mod fleet;
mod fleet_bench;
mod gpu_bench;
mod job;
mod job_bench;
mod kernels;
mod keys;
mod selftest;
mod sumcheck;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use teraproof_circuits::circuit_cost;
use teraproof_core::{digest_matrix, AnyMatrix, Matrix, Receipt, UnitKind, UnitSpec};
use teraproof_prover::{setup_dev_of_kind, setup_with_rng_of_kind, Backend, UnitKeys};
use teraproof_verifier::{Keyring, UnitVerifyingKey, Verifier, VerifyError};

pub(crate) use crate::files::*;
use crate::sumcheck::System;

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
    /// The main job: set up (cached), prove and verify a unit on seeded random inputs, and summarise.
    Demo {
        /// unit id or catalog name
        #[arg(long, default_value = "CU-64")]
        unit: String,
        /// seed of the random inputs
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// backend for C and the MSMs: auto (the GPU when one is usable), cpu, cuda, cuda:N
        #[arg(long, default_value = "auto")]
        backend: String,
    },
    /// Measure proof overhead per unit: a table, optionally JSON and an SVG plot.
    /// `bench gemm` and `bench msm` measure the GPU kernels alone.
    #[command(args_conflicts_with_subcommands = true)]
    Bench {
        #[command(subcommand)]
        what: Option<BenchWhat>,
        /// units to measure (ids or catalog names)
        #[arg(long, value_delimiter = ',', default_values_t = ["CU-16".to_string(), "CU-32".to_string(), "CU-64".to_string()])]
        units: Vec<String>,
        /// proof systems to measure on the same matrices: groth16 (the unit circuit),
        /// sumcheck (over committed matrices); both print a side-by-side table
        #[arg(long, value_delimiter = ',', value_enum, default_values_t = [System::Groth16])]
        systems: Vec<System>,
        /// proofs per unit (the median is reported)
        #[arg(long, default_value_t = 3, value_parser = at_least_one)]
        repeats: usize,
        /// backend for C and the MSMs: auto (the GPU when one is usable), cpu, cuda, cuda:N
        #[arg(long, default_value = "auto")]
        backend: String,
        /// write the rows as JSON here
        #[arg(long)]
        json: Option<PathBuf>,
        /// write an SVG plot of prove time and overhead against unit size here
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Check this machine: a unit proved and verified on the CPU; with --gpu, every GPU
    /// kernel against its CPU reference and a unit computed on the GPU. Exit status 1
    /// on a mismatch, 2 when --gpu finds no usable GPU.
    Selftest {
        /// also test the GPU
        #[arg(long)]
        gpu: bool,
        /// with --gpu: GEMM cases of at most 2^23 multiply-adds, MSM cases of at most
        /// 1000 points (every kernel and every edge input) and the end-to-end proof of
        /// the smallest unit, small enough for compute-sanitizer
        #[arg(long, requires = "gpu")]
        quick: bool,
        /// with --gpu: only this section
        #[arg(long, requires = "gpu", value_enum)]
        only: Option<selftest::Section>,
    },
    /// Generate a unit's proving and verifying keys; for a square unit CU-n also the
    /// accumulating unit's (in OUT/accumulate), which jobs need.
    Setup {
        /// unit id (`mm-i8-MxKxN`) or catalog name (`CU-64`)
        #[arg(long)]
        unit: String,
        /// INSECURE deterministic development setup from this seed; without it a
        /// single-party setup with fresh OS randomness is run (groth16), or --ptau is
        /// needed (sumcheck)
        #[arg(long)]
        dev_seed: Option<u64>,
        /// groth16: a proving key per unit; sumcheck: an SRS (G1 powers) long enough for
        /// the unit's padded matrices, from --ptau or --dev-seed
        #[arg(long, value_enum, default_value = "groth16")]
        system: System,
        /// with --system sumcheck: take the SRS from this snarkjs Powers of Tau file
        /// (the public ceremony: nobody knows its tau)
        #[arg(long, conflicts_with = "dev_seed")]
        ptau: Option<PathBuf>,
        /// key directory to write
        #[arg(long)]
        out: PathBuf,
        /// overwrite existing keys in --out
        #[arg(long)]
        force: bool,
    },
    /// Compute C = A·B and prove it; write the receipt (and C).
    Prove {
        /// key directory from `teraproof setup`
        #[arg(long)]
        keys: PathBuf,
        /// A, an int8 matrix JSON file
        #[arg(long)]
        a: PathBuf,
        /// B, an int8 matrix JSON file
        #[arg(long)]
        b: PathBuf,
        /// where to write the receipt
        #[arg(long)]
        out: PathBuf,
        /// where to write C (int32 matrix JSON)
        #[arg(long)]
        c_out: Option<PathBuf>,
        /// where to write the full witness as snarkjs' .wtns (the `ceremony r1cs` wire
        /// order; check with `snarkjs wtns check`)
        #[arg(long)]
        wtns_out: Option<PathBuf>,
        /// backend for C and the MSMs: auto (the GPU when one is usable), cpu, cuda, cuda:N
        #[arg(long, default_value = "auto")]
        backend: String,
        /// the proof system; by default the one --keys was set up for (an SRS
        /// directory, with srs.json, is sumcheck)
        #[arg(long, value_enum)]
        system: Option<System>,
    },
    /// Verify receipts (several are checked as one batch), one verdict line each. Exit 0
    /// when all are valid, 1 when any is invalid, 2 when one could not be checked at all
    /// (keys or a file unreadable, a bad matrix file). With several keys (a keyring),
    /// each receipt is checked by the key it names; one naming no key held is invalid.
    Verify {
        /// key directory (only keys.json and verifying_key.bin are read); give it several
        /// times for a keyring
        #[arg(long, required_unless_present = "keyring")]
        keys: Vec<PathBuf>,
        /// a folder of key directories (each subfolder with a keys.json, and its
        /// accumulate/ folder), all added to the keyring
        #[arg(long)]
        keyring: Option<PathBuf>,
        /// also check that this A (int8 matrix JSON) is the receipt's input: a buyer
        /// should pass the A and B it sent, or a proof about other inputs passes
        #[arg(long)]
        a: Option<PathBuf>,
        /// also check that this B (int8 matrix JSON) is the receipt's input
        #[arg(long)]
        b: Option<PathBuf>,
        /// also check that this C (int32 matrix JSON) is the receipt's output
        #[arg(long)]
        c: Option<PathBuf>,
        /// print the verdicts as one JSON array (receipt, verdict, reason or statement)
        /// instead of one line per receipt, for programs to read
        #[arg(long)]
        json: bool,
        /// the proof system; by default the one --keys holds (srs.json: sumcheck). With
        /// sumcheck, --a/--b/--c recompute the commitments from the buyer's matrices
        #[arg(long, value_enum)]
        system: Option<System>,
        /// with sumcheck: the SRS id you trust (hex); the check stops (status 2) when
        /// --keys holds another. srs.json's source and insecure mark are the folder's own
        /// word: pin the id
        #[arg(long)]
        srs_id: Option<String>,
        /// receipt files
        #[arg(required = true)]
        receipts: Vec<PathBuf>,
    },
    /// Jobs: a GEMM of any shape proven as chains of standard units and verified as one.
    #[command(subcommand)]
    Job(job::JobCommand),
    /// A fleet worker: proves the units `job prove --fleet` enqueues in Redis, for the
    /// keys given, until SIGTERM or ^C (which finish the current unit first).
    Worker(fleet::WorkerArgs),
    /// The fleet: `fleet status --fleet URL`.
    #[command(subcommand)]
    Fleet(fleet::FleetCommand),
    /// GPU kernels built ahead: `kernels build` compiles them to CUBIN here (no GPU
    /// needed), `kernels list` shows the kernel cache.
    #[command(subcommand)]
    Kernels(kernels::KernelsCommand),
    /// snarkjs-compatible phase 2: `ceremony r1cs` writes a unit's circuit as circom's .r1cs.
    #[command(subcommand)]
    Ceremony(ceremony::CeremonyCommand),
    /// Key folders: `keys split` cuts one into a verifier bundle (no proving key) and a
    /// prover bundle.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Export for other verifiers: a receipt for snarkjs, the key as a Solidity contract, calldata.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Write seeded random int8 inputs A.json and B.json for a unit.
    Inputs {
        /// unit id or catalog name
        #[arg(long)]
        unit: String,
        /// seed
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// output directory
        #[arg(long)]
        out: PathBuf,
        /// replace A.json and B.json when they exist
        #[arg(long)]
        force: bool,
    },
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

#[derive(Subcommand)]
enum BenchWhat {
    /// A whole job: the CPU GEMM, the job proven with each --in-flight setting (total,
    /// units/s, peak RSS, overhead), and its verification per unit receipt.
    Job {
        /// the unit to cut the job into
        #[arg(long, default_value = "CU-64")]
        unit: String,
        /// the GEMM's shape MxKxN
        #[arg(long, default_value = "256x256x256")]
        shape: String,
        /// units proven at once, one run each (1: one at a time with parallel MSMs)
        #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2])]
        in_flight: Vec<usize>,
        /// backend for C and the MSMs: auto, cpu, cuda, cuda:N
        #[arg(long, default_value = "auto")]
        backend: String,
        /// write the figures as JSON here
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// A job on a fleet: its proving time with each number of worker processes (on this
    /// machine, against the Redis given), the coordinator's cost per unit and Redis
    /// memory per queued unit.
    Fleet {
        /// the fleet's Redis: redis://[:PASSWORD@]HOST:PORT
        #[arg(long = "fleet", value_name = "URL")]
        url: String,
        /// the unit to cut the job into
        #[arg(long, default_value = "CU-16")]
        unit: String,
        /// the GEMM's shape MxKxN (64x64x64 on CU-16: 64 units)
        #[arg(long, default_value = "64x64x64")]
        shape: String,
        /// worker processes, one run each
        #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2])]
        workers: Vec<usize>,
        /// CPU threads each worker proves with (0: this machine's threads shared out
        /// among the workers)
        #[arg(long, default_value_t = 0)]
        threads_per_worker: usize,
        /// backend for C and the workers' MSMs: auto, cpu, cuda, cuda:N
        #[arg(long, default_value = "auto")]
        backend: String,
        /// write the figures as JSON here
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// int8 GEMM timings and TOPS: our CUDA kernel, cuBLASLt and the CPU reference.
    Gemm {
        /// shapes (ids or catalog names)
        #[arg(long, value_delimiter = ',', default_values_t = ["CU-64".to_string(), "CU-256".to_string(), "CU-1024".to_string(), "CU-4096".to_string()])]
        units: Vec<String>,
        /// timed launches per shape (median reported; the CPU runs at most 5)
        #[arg(long, default_value_t = 20, value_parser = at_least_one)]
        repeats: usize,
        /// skip the CPU for shapes with a dimension above this
        #[arg(long, default_value_t = 1024)]
        cpu_max: usize,
    },
    /// G1 and G2 MSM timings: our CUDA Pippenger (bases on the device) and our CPU MSM.
    Msm {
        /// log2 of the point counts
        #[arg(long, value_delimiter = ',', default_values_t = [10u32, 12, 14, 16, 18, 20, 22, 24])]
        log_sizes: Vec<u32>,
        /// timed runs per size (median reported)
        #[arg(long, default_value_t = 10, value_parser = at_least_one)]
        repeats: usize,
        /// skip the CPU above 2^this points
        #[arg(long, default_value_t = 16)]
        cpu_max_log: u32,
        /// kernel variants to time, each on the same inputs (default, noinline-mont)
        #[arg(long, value_delimiter = ',', default_value = "default")]
        variants: Vec<teraproof_gpu::kernels::KernelVariant>,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// proof.json, public.json and verification_key.json as snarkjs writes them
    /// (Groth16, bn128); check with `snarkjs groth16 verify`.
    Snarkjs {
        /// key directory
        #[arg(long)]
        keys: PathBuf,
        /// the receipt to export (verified first)
        receipt: PathBuf,
        /// output directory
        #[arg(long)]
        out: PathBuf,
    },
    /// A Solidity verifier contract for the unit's key (EVM BN254 precompiles;
    /// `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[3])`, snarkjs's interface).
    Solidity {
        /// key directory
        #[arg(long)]
        keys: PathBuf,
        /// the .sol file to write
        #[arg(long)]
        out: PathBuf,
    },
    /// The ABI-encoded calldata (0x-hex) of a `verifyProof` call for a receipt.
    Calldata {
        /// key directory (the receipt is verified first)
        #[arg(long)]
        keys: PathBuf,
        /// the receipt
        receipt: PathBuf,
    },
}

/// What the spinner says while `backend` prepares a prover: a GPU's first run on a
/// machine compiles the kernels (about a minute; later runs take them from the kernel
/// cache), which must not look like a hang.
pub(crate) fn preparing(backend: Backend, what: &str) -> String {
    if backend != Backend::Cpu && teraproof_gpu::driver_library_present() {
        format!("{what} and, with a usable GPU, its kernels (unless cached, NVRTC compiles them: about a minute)")
    } else {
        what.to_string()
    }
}

/// A spinner on stderr (hidden when stderr is not a terminal).
pub(crate) fn spinner(message: impl Into<String>) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("static template"));
    pb.set_message(message.into());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// Seeded random int8 inputs for a unit.
pub(crate) fn random_inputs(spec: &UnitSpec, seed: u64) -> Result<(Matrix<i8>, Matrix<i8>)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let a = Matrix::from_fn(spec.m(), spec.k(), |_, _| rng.gen::<i8>())?;
    let b = Matrix::from_fn(spec.k(), spec.n(), |_, _| rng.gen::<i8>())?;
    Ok((a, b))
}

pub(crate) fn run_setup(spec: UnitSpec, dev_seed: Option<u64>, out: &Path) -> Result<UnitKeys> {
    run_setup_of_kind(UnitKind::Product, spec, dev_seed, out)
}

fn run_setup_of_kind(kind: UnitKind, spec: UnitSpec, dev_seed: Option<u64>, out: &Path) -> Result<UnitKeys> {
    fit::check_fits("setup", kind, &spec)?;
    let constraints = teraproof_prover::constraints_of(kind, &spec)?;
    let pb = spinner(format!("setting up {} ({constraints} constraints)", kind.unit_id(&spec)));
    let mut keys = match dev_seed {
        Some(seed) => setup_dev_of_kind(kind, spec, seed)?,
        None => setup_with_rng_of_kind(kind, spec, &mut rand::rngs::OsRng)?,
    };
    pb.set_message(format!("writing keys to {}", out.display()));
    keys.save(out)?;
    pb.finish_and_clear();
    Ok(keys)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Demo { unit, seed, backend } => return demo::run(&unit, seed, backend.parse()?),
        Command::Selftest { gpu, quick, only } => return selftest::run(gpu, quick, only),
        Command::Bench { what: Some(BenchWhat::Gemm { units, repeats, cpu_max }), .. } => {
            gpu_bench::gemm(&units, repeats, cpu_max)?
        }
        Command::Bench { what: Some(BenchWhat::Msm { log_sizes, repeats, cpu_max_log, variants }), .. } => {
            gpu_bench::msm(&log_sizes, repeats, cpu_max_log, &variants)?
        }
        Command::Bench { what: Some(BenchWhat::Job { unit, shape, in_flight, backend, json }), .. } => {
            job_bench::run(&unit, &shape, &in_flight, backend.parse()?, json.as_deref())?
        }
        Command::Bench {
            what: Some(BenchWhat::Fleet { url, unit, shape, workers, threads_per_worker, backend, json }),
            ..
        } => fleet_bench::run(&url, &unit, &shape, &workers, threads_per_worker, &backend, json.as_deref())?,
        Command::Bench { what: None, units, systems, repeats, backend, json, svg } => {
            bench::run(&units, &systems, repeats, backend.parse()?, json.as_deref(), svg.as_deref())?
        }
        Command::Setup { unit, dev_seed, system: System::Sumcheck, ptau, out, force } => {
            let spec: UnitSpec = unit.parse()?;
            sumcheck::setup(&spec, dev_seed, ptau.as_deref(), &out, force)?
        }
        Command::Setup { ptau: Some(_), system: System::Groth16, .. } => {
            bail!("--ptau makes an SRS for --system sumcheck; Groth16 keys come from --dev-seed or a fresh setup")
        }
        Command::Setup { unit, dev_seed, out, force, .. } => {
            let spec: UnitSpec = unit.parse()?;
            if out.join("keys.json").exists() && !force {
                bail!("{} already holds keys; pass --force to overwrite", out.display());
            }
            let keys = run_setup(spec, dev_seed, &out)?;
            let m = keys.manifest();
            println!("unit        {}", m.unit);
            println!("constraints {}", m.constraints);
            println!("vk id       {}", m.vk_id);
            println!("keys        {}", out.display());
            // Jobs on a square unit chain it with the accumulating unit.
            if spec.m() == spec.k() && spec.k() == spec.n() {
                let acc_dir = out.join(teraproof_verifier::ACCUMULATE_KEYS_DIR);
                let acc = run_setup_of_kind(UnitKind::Accumulate, spec, dev_seed, &acc_dir)?;
                let m = acc.manifest();
                println!("unit        {} (for jobs)", m.unit);
                println!("constraints {}", m.constraints);
                println!("vk id       {}", m.vk_id);
                println!("keys        {}", acc_dir.display());
            }
            match dev_seed {
                Some(seed) => println!(
                    "WARNING     INSECURE development setup (seed {seed}): anyone who knows the seed can forge proofs"
                ),
                None => println!(
                    "note        single-party setup: its randomness was discarded, but whoever ran it must be trusted"
                ),
            }
        }
        Command::Prove { keys, a, b, out, c_out, wtns_out, backend, system } => {
            let backend: Backend = backend.parse()?;
            if system_of(&keys, system) == System::Sumcheck {
                if wtns_out.is_some() {
                    bail!("--wtns-out writes a Groth16 unit circuit's witness; the sumcheck path has none");
                }
                sumcheck::prove(&keys, &a, &b, &out, c_out.as_deref(), backend)?;
                return Ok(ExitCode::SUCCESS);
            }
            let outputs: Vec<&Path> =
                std::iter::once(out.as_path()).chain(c_out.as_deref()).chain(wtns_out.as_deref()).collect();
            check_outputs(&outputs, &[&a, &b], Some(&keys))?;
            // The proof's peak is about twice the proving key: refuse before loading it.
            let manifest = teraproof_verifier::KeyManifest::from_json(&read(&keys.join("keys.json"))?)
                .with_context(|| format!("cannot load keys from {}", keys.display()))?;
            if let Ok((kind, spec)) = UnitKind::parse_unit_id(&manifest.unit) {
                fit::check_fits("proving", kind, &spec)?;
            }
            let keys =
                UnitKeys::load(&keys, None).with_context(|| format!("cannot load keys from {}", keys.display()))?;
            let a = read_matrix::<i8>(&a)?;
            let b = read_matrix::<i8>(&b)?;
            let spec = *keys.spec();
            let insecure = keys.manifest().insecure_dev_setup;
            let pb = spinner(preparing(backend, "loading the circuit"));
            let prover = backend.prover(keys)?;
            pb.set_message(format!("proving {spec}"));
            let output = prover.prove(&a, &b, &mut rand::rngs::OsRng)?;
            pb.finish_and_clear();
            write(&out, &output.receipt.to_json())?;
            if let Some(c_out) = &c_out {
                write_matrix(c_out, &output.c)?;
            }
            if let Some(wtns_out) = &wtns_out {
                ceremony::write_unit_wtns(wtns_out, &spec, &a, &b, &output.c)?;
            }
            let t = &output.receipt.prover.timings;
            let shown = output_name(&out);
            say(
                &outputs,
                format!("receipt {shown} ({} {}, {:.1} ms)", spec, output.receipt.prover.backend, t.total_ms),
            );
            if insecure {
                say(&outputs, "WARNING: keys come from an INSECURE development setup; the receipt says so");
            }
        }
        Command::Verify { keys, keyring, a, b, c, json, receipts, system, srs_id } => {
            let keys = match keyring_folders(keys, keyring.as_deref()) {
                Ok(keys) => keys,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return Ok(ExitCode::from(2));
                }
            };
            if keys.iter().any(|k| system_of(k, system) == System::Sumcheck) {
                if keys.len() > 1 {
                    eprintln!("error: a keyring holds Groth16 keys; verify sumcheck receipts against one SRS folder");
                    return Ok(ExitCode::from(2));
                }
                return Ok(sumcheck::verify(
                    &keys[0],
                    a.as_deref(),
                    b.as_deref(),
                    c.as_deref(),
                    &receipts,
                    json,
                    srs_id.as_deref(),
                )
                .unwrap_or_else(|e| {
                    eprintln!("error: {e:#}");
                    ExitCode::from(2)
                }));
            }
            if srs_id.is_some() {
                eprintln!("error: --srs-id pins a sumcheck SRS; {} holds Groth16 keys", keys[0].display());
                return Ok(ExitCode::from(2));
            }
            let matrices = [("A", a), ("B", b), ("C", c)];
            return Ok(verify(&keys, &matrices, &receipts, json).unwrap_or_else(|e| {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }));
        }
        Command::Job(command) => return job::run(command),
        Command::Worker(args) => fleet::worker(args)?,
        Command::Fleet(command) => fleet::run(command)?,
        Command::Kernels(command) => kernels::run(command)?,
        Command::Keys(command) => keys::run(command)?,
        Command::Ceremony(command) => ceremony::run(command)?,
        Command::Export(ExportCommand::Snarkjs { keys, receipt, out }) => {
            use teraproof_verifier::snarkjs;
            let receipt_path = receipt.clone();
            let key = UnitVerifyingKey::load(&keys)?;
            check_circuit(&keys)?;
            let receipt = Receipt::from_json(&read(&receipt)?).map_err(VerifyError::from)?;
            let verifier = Verifier::new(key.clone());
            verifier.verify(&receipt).context("refusing to export a receipt that does not verify")?;
            let files = ["proof.json", "public.json", "verification_key.json"].map(|f| out.join(f));
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            check_outputs(&files.iter().map(PathBuf::as_path).collect::<Vec<_>>(), &[&receipt_path], Some(&keys))?;
            let proof = teraproof_verifier::decode_proof(&receipt.proof_bytes()?)?;
            let inputs = receipt.public_inputs();
            let pretty = |v: serde_json::Value| serde_json::to_string_pretty(&v).expect("JSON values serialise");
            write(&out.join("proof.json"), &pretty(snarkjs::proof_json(&proof)))?;
            write(&out.join("public.json"), &pretty(snarkjs::public_json(&inputs)))?;
            write(&out.join("verification_key.json"), &pretty(snarkjs::verification_key_json(key.vk())))?;
            println!("wrote proof.json, public.json, verification_key.json to {}", out.display());
        }
        Command::Export(ExportCommand::Solidity { keys, out }) => {
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            }
            check_outputs(&[&out], &[], Some(&keys))?;
            let key = UnitVerifyingKey::load(&keys)?;
            check_circuit(&keys)?;
            if key.kind() != UnitKind::Product {
                bail!(
                    "{} holds the accumulating unit's key ({}); the Solidity verifier is for a compute unit's key \
                     (its parent folder)",
                    keys.display(),
                    key.unit_id()
                );
            }
            write(&out, &teraproof_verifier::solidity::verifier_contract(&key))?;
            let outputs = [out.as_path()];
            say(
                &outputs,
                format!(
                    "wrote {} (contract {}, unit {})",
                    output_name(&out),
                    teraproof_verifier::solidity::CONTRACT_NAME,
                    key.unit()
                ),
            );
            if key.insecure_dev_setup() {
                say(&outputs, "WARNING: keys come from an INSECURE development setup; the contract says so");
            }
        }
        Command::Export(ExportCommand::Calldata { keys, receipt }) => {
            let key = UnitVerifyingKey::load(&keys)?;
            check_circuit(&keys)?;
            let receipt = Receipt::from_json(&read(&receipt)?).map_err(VerifyError::from)?;
            Verifier::new(key).verify(&receipt).context("refusing to export a receipt that does not verify")?;
            let data = teraproof_verifier::solidity::calldata(&receipt)?;
            println!("0x{}", teraproof_core::receipt::encode_hex(&data));
        }
        Command::Inputs { unit, seed, out, force } => {
            let spec: UnitSpec = unit.parse()?;
            let (pa, pb) = (out.join("A.json"), out.join("B.json"));
            for p in [&pa, &pb] {
                if p.exists() && !force {
                    bail!("{} exists; pass --force to replace it", p.display());
                }
            }
            if out.exists() {
                check_outputs(&[&pa, &pb], &[], None)?;
            }
            let (a, b) = random_inputs(&spec, seed)?;
            write(&out.join("A.json"), &a.to_json())?;
            write(&out.join("B.json"), &b.to_json())?;
            println!("{} {}", out.join("A.json").display(), out.join("B.json").display());
        }
        Command::Digest { matrix } => {
            let bytes = read_capped(&matrix, MATRIX_JSON_CAP, "matrix JSON file")
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", matrix.display()))?;
            let text =
                String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{} is not JSON text", matrix.display()))?;
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
            let acc = teraproof_circuits::accumulate_cost(&spec)?;
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
                    "digest_equalities": cost.digest_equalities,
                },
                "public_inputs": ["dA", "dB", "dC"],
                "groth16_estimate": estimate_json(UnitKind::Product, &spec)?,
                "ceremony": ceremony_json(cost.constraints, UnitKind::Product.public_inputs()),
                "accumulate": {
                    "id": UnitKind::Accumulate.unit_id(&spec),
                    "constraints": acc.constraints,
                    "constraints_per_n2": acc.constraints as f64 / (spec.m() * spec.n()) as f64,
                    "constraint_breakdown": {
                        "range_check": acc.range_check,
                        "hashing": acc.hashing,
                        "freivalds": acc.freivalds,
                        "digest_equalities": acc.digest_equalities,
                    },
                    "public_inputs": UnitKind::Accumulate.input_names(),
                    "groth16_estimate": estimate_json(UnitKind::Accumulate, &spec)?,
                    "ceremony": ceremony_json(acc.constraints, UnitKind::Accumulate.public_inputs()),
                },
            });
            println!("{}", serde_json::to_string_pretty(&info)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A count that must be at least 1 (a median of no runs is not a measurement).
/// `info`'s estimate of a Groth16 unit's key and peak memory, and whether it fits here.
fn estimate_json(kind: UnitKind, spec: &UnitSpec) -> Result<serde_json::Value> {
    let e = fit::estimate(kind, spec)?;
    let memory = fit::machine_memory();
    Ok(serde_json::json!({
        "proving_key_bytes": e.proving_key_bytes,
        "peak_memory_bytes": e.peak_bytes,
        "basis": format!(
            "{} bytes per constraint and a peak of {}x the key, fitted to measurements (estimates)",
            fit::KEY_BYTES_PER_CONSTRAINT,
            fit::PEAK_OVER_KEY
        ),
        "machine_memory_bytes": memory,
        "fits_this_machine": memory.map(|m| e.peak_bytes <= m),
    }))
}

/// Refuses a key folder (and its accumulate/ folder, when present) whose keys are not for
/// this build's circuit (their circuit id, DESIGN §6).
pub(crate) fn check_circuit(dir: &Path) -> Result<()> {
    let acc = dir.join(teraproof_verifier::ACCUMULATE_KEYS_DIR);
    for folder in std::iter::once(dir.to_path_buf())
        .chain(acc.join(teraproof_verifier::key::MANIFEST_FILE).is_file().then_some(acc))
    {
        let manifest = teraproof_verifier::key::read_manifest(&folder)
            .with_context(|| format!("cannot load keys from {}", folder.display()))?;
        teraproof_prover::circuit_id::check_manifest(&manifest)
            .with_context(|| format!("cannot use the keys in {}", folder.display()))?;
    }
    Ok(())
}

/// The key folders of `verify`: each `--keys`, then with `--keyring DIR` every subfolder
/// of DIR that holds a keys.json (in name order) and its accumulate/ folder.
fn keyring_folders(mut keys: Vec<PathBuf>, keyring: Option<&Path>) -> Result<Vec<PathBuf>> {
    if let Some(dir) = keyring {
        let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read the keyring {}", dir.display()))?;
        let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        found.sort();
        let before = keys.len();
        for folder in found {
            let acc = folder.join(teraproof_verifier::ACCUMULATE_KEYS_DIR);
            for f in [folder, acc] {
                if f.join(teraproof_verifier::key::MANIFEST_FILE).is_file() {
                    keys.push(f);
                }
            }
        }
        if keys.len() == before {
            bail!("the keyring {} holds no key folder (a subfolder with keys.json)", dir.display());
        }
    }
    Ok(keys)
}

/// `info`'s ceremony needs: the QAP domain and the Powers of Tau power its phase 2 takes
/// (one more than the domain's from 2^15 up: snarkjs' circuit hash reads one point more).
fn ceremony_json(constraints: usize, public_inputs: usize) -> serde_json::Value {
    // A row per constraint, then one per public wire and the constant one.
    let domain = teraproof_prover::ceremony::new::domain_power(constraints + public_inputs + 1);
    let ptau = if domain >= 15 { domain + 1 } else { domain };
    serde_json::json!({
        "qap_domain_power": domain,
        "ptau_power": ptau,
        "ptau_file": format!("powersOfTau28_hez_final_{ptau:02}.ptau"),
    })
}

/// The system asked for, else the one the key directory holds.
fn system_of(keys: &Path, asked: Option<System>) -> System {
    asked.unwrap_or_else(|| {
        if keys.join(teraproof_prover::sumcheck::srs::SRS_KEY_FILE).exists() {
            System::Sumcheck
        } else {
            System::Groth16
        }
    })
}

/// The median of `v` (the mean of the middle two for an even count).
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn at_least_one(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Checks `receipt`'s digest of each given matrix (`("A" | "B" | "C", path)`).
fn check_matrices(verifier: &Verifier, receipt: &Receipt, matrices: &[(&str, Option<PathBuf>)]) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (name, path) in matrices {
        let Some(path) = path else { continue };
        let checked = match *name {
            "A" => verifier.check_inputs(receipt, Some(&read_matrix::<i8>(path)?), None),
            "B" => verifier.check_inputs(receipt, None, Some(&read_matrix::<i8>(path)?)),
            _ => {
                // C is the supplier's: one that cannot be opened stops the check (the
                // buyer's setup), one that opens but is no int32 matrix is an invalid result.
                std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
                match read_matrix::<i32>(path) {
                    Ok(c) => verifier.check_output(receipt, &c),
                    Err(e) => {
                        problems.push(format!("{}: the output is not an int32 matrix: {e:#}", path.display()));
                        continue;
                    }
                }
            }
        };
        if let Err(e) = checked {
            problems.push(format!("{}: {e}", path.display()));
        }
    }
    Ok(problems)
}

/// `text` with control characters escaped (`\n` as the two characters `\` `n`), so that
/// what a receipt or a file name holds cannot start a line of `verify`'s output.
pub(crate) fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// The verdict on one receipt file.
pub(crate) enum Verdict {
    /// the proof verifies (and the matrices given are the receipt's)
    Valid { statement: String, dc: String, unit: String, insecure: bool },
    /// the receipt or the matrices were refused, with the reasons
    Invalid(String),
    /// the file could not be read
    Unchecked(String),
}

impl Verdict {
    /// `verify`'s status for these verdicts: 1 when any is invalid (a cheat found
    /// outranks a file missing), else 2 when one could not be read, else 0.
    pub(crate) fn exit_status(verdicts: &[Verdict]) -> ExitCode {
        let any = |f: fn(&Verdict) -> bool| verdicts.iter().any(f);
        if any(|v| matches!(v, Verdict::Invalid(_))) {
            ExitCode::from(1)
        } else if any(|v| matches!(v, Verdict::Unchecked(_))) {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        }
    }

    pub(crate) fn json(&self, path: &Path) -> serde_json::Value {
        let receipt = path.display().to_string();
        match self {
            Verdict::Valid { statement, insecure, .. } => serde_json::json!({
                "receipt": receipt, "verdict": "valid", "statement": statement, "insecure_dev_setup": insecure,
            }),
            Verdict::Invalid(reason) => serde_json::json!({"receipt": receipt, "verdict": "invalid", "reason": reason}),
            Verdict::Unchecked(reason) => {
                serde_json::json!({"receipt": receipt, "verdict": "unchecked", "reason": reason})
            }
        }
    }
}

/// Verifies receipts and prints a verdict per receipt, in the order given (a line each,
/// or with `json` one JSON array): 0 when all are valid, 1 when any is invalid, 2 when
/// one could not be checked (an unreadable file). Errors that stop every check (the
/// keys, the matrices) are returned for exit status 2.
fn verify(
    keys: &[PathBuf],
    matrices: &[(&str, Option<PathBuf>)],
    receipts: &[PathBuf],
    json: bool,
) -> Result<ExitCode> {
    if matrices.iter().any(|(_, p)| p.is_some()) && receipts.len() > 1 {
        bail!("--a, --b and --c check one receipt's matrices; give a single receipt with them");
    }
    let read_files: Vec<&Path> =
        matrices.iter().filter_map(|(_, p)| p.as_deref()).chain(receipts.iter().map(PathBuf::as_path)).collect();
    stdin_at_most_once(&read_files)?;
    let mut ring = Keyring::new();
    for dir in keys {
        let key =
            UnitVerifyingKey::load(dir).with_context(|| format!("cannot load verifying key from {}", dir.display()))?;
        check_circuit(dir)?;
        ring.add(key).with_context(|| format!("cannot add the key in {} to the keyring", dir.display()))?;
    }
    // In a keyring the receipt picks its key: say up front when a forgeable one is held.
    let insecure_units: Vec<String> = ring.keys().filter(|k| k.insecure_dev_setup()).map(|k| k.unit_id()).collect();
    if ring.len() > 1 && !insecure_units.is_empty() {
        eprintln!(
            "WARNING: the keyring holds INSECURE development keys ({}); receipts under them can be forged, and \
             their verdicts say so",
            insecure_units.join(", ")
        );
    }
    // Which of the buyer's matrices were compared with the receipt: said with each verdict.
    let checked: Vec<&str> = matrices.iter().filter(|(_, p)| p.is_some()).map(|(n, _)| *n).collect();
    let mut verdicts: Vec<Option<Verdict>> = receipts.iter().map(|_| None).collect();
    let mut parsed = Vec::with_capacity(receipts.len());
    for (slot, path) in verdicts.iter_mut().zip(receipts) {
        // Only a file that cannot be read is unchecked: bytes that are not UTF-8 are a
        // malformed receipt, the supplier's fault, not the verifier's.
        let bytes = match read_capped(path, RECEIPT_CAP, "receipt") {
            Ok(bytes) => bytes,
            // A file too large to be a receipt is the supplier's: invalid, like any
            // other malformed receipt.
            Err(e @ ReadError::TooLarge { .. }) => {
                *slot = Some(Verdict::Invalid(format!("malformed receipt: {e}")));
                continue;
            }
            Err(e) => {
                *slot = Some(Verdict::Unchecked(format!("cannot read {}: {e}", path.display())));
                continue;
            }
        };
        let parsed_receipt = match String::from_utf8(bytes) {
            Ok(text) => Receipt::from_json(&text).map_err(VerifyError::from),
            Err(e) => Err(VerifyError::MalformedReceipt(format!("not UTF-8 text ({e})"))),
        };
        match parsed_receipt {
            Ok(r) => parsed.push((slot, r)),
            Err(e) => *slot = Some(Verdict::Invalid(e.to_string())),
        }
    }
    // The receipts of each key held as one batch; one naming no key held is invalid.
    // With a single key, every receipt goes to it, so that one for another key is told
    // which key it names and which this is.
    let pick = |r: &Receipt| -> std::result::Result<&Verifier, VerifyError> {
        match ring.verifiers().next() {
            Some(only) if ring.len() == 1 => Ok(only),
            _ => ring.verifier_for(r),
        }
    };
    let mut errors: Vec<Option<VerifyError>> = parsed.iter().map(|_| None).collect();
    let mut batches: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, (_, r)) in parsed.iter().enumerate() {
        match pick(r) {
            Ok(v) => batches.entry(v.key().id()).or_default().push(i),
            Err(e) => errors[i] = Some(e),
        }
    }
    for indexes in batches.values() {
        let verifier = pick(&parsed[indexes[0]].1)?;
        let batch: Vec<Receipt> = indexes.iter().map(|&i| parsed[i].1.clone()).collect();
        match batch.len() {
            1 => errors[indexes[0]] = verifier.verify(&batch[0]).err(),
            _ => match verifier.verify_batch(&batch) {
                Ok(_) => {}
                Err(VerifyError::BatchFailed { failures, .. }) => {
                    for (i, e) in failures {
                        errors[indexes[i]] = Some(e);
                    }
                }
                Err(e) => return Err(e.into()),
            },
        }
    }
    for ((slot, r), error) in parsed.into_iter().zip(errors) {
        let problems = match error {
            Some(e) => vec![e.to_string()],
            None => check_matrices(pick(&r)?, &r, matrices)?,
        };
        let key = pick(&r).ok().map(|v| v.key());
        *slot = Some(if problems.is_empty() {
            let key = key.expect("a valid receipt's key is held");
            Verdict::Valid {
                statement: r.statement_id(),
                dc: r.dc.to_string(),
                unit: key.unit().to_string(),
                insecure: key.insecure_dev_setup(),
            }
        } else {
            Verdict::Invalid(problems.join("; "))
        });
    }
    let verdicts: Vec<Verdict> = verdicts.into_iter().map(|v| v.expect("every receipt has a verdict")).collect();
    if json {
        let list: Vec<serde_json::Value> = verdicts
            .iter()
            .zip(receipts)
            .map(|(v, p)| {
                let mut j = v.json(p);
                if matches!(v, Verdict::Valid { .. }) {
                    j["checked"] = serde_json::json!(checked);
                }
                j
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        let data = if checked.is_empty() {
            "; proof only: no matrix of yours checked".to_string()
        } else {
            format!("; {} checked", checked.join(", "))
        };
        for (verdict, path) in verdicts.iter().zip(receipts) {
            // One line per receipt, whatever a receipt or a file name holds.
            let path = one_line(&path.display().to_string());
            match verdict {
                Verdict::Valid { dc, unit, insecure, .. } => {
                    let warn = if *insecure { " (INSECURE development keys)" } else { "" };
                    println!("valid {path}: {unit} dC={dc}{data}{warn}")
                }
                Verdict::Invalid(reason) => println!("invalid {path}: {}", one_line(reason)),
                Verdict::Unchecked(reason) => println!("unchecked {path}: {}", one_line(reason)),
            }
        }
    }
    Ok(Verdict::exit_status(&verdicts))
}

/// The status of a command whose stdout was closed under it (`teraproof verify … |
/// head -1`): 128 + SIGPIPE, as if the signal had ended it, so that a pipeline with
/// `pipefail` does not take an unfinished check for a passed one.
const CLOSED_PIPE_STATUS: i32 = 141;

/// Printing to a closed pipe panics in Rust's `println!`; that is no crash but the
/// reader leaving, so end quietly with [`CLOSED_PIPE_STATUS`] instead of a panic
/// message and status 101.
fn exit_quietly_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE_STATUS);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    exit_quietly_on_closed_pipe();
    let cli = Cli::parse();
    // A worker says what it does, unit by unit; everything else only warns.
    let default_filter = if matches!(cli.command, Command::Worker(_)) { "warn,teraproof_fleet=info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TERAPROOF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
