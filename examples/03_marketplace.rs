//! A simulated compute market: buyers post units at a price per TFLOP, suppliers with
//! stakes take them, some honest, some cheating. The same run is judged three ways:
//!
//! 1. **redundancy**: every job goes to k = 3 suppliers and the majority output wins;
//! 2. **Freivalds spot check**: the buyer checks `A·(B·r) = C·r` for a random vector r;
//! 3. **teraproof receipts**: the buyer verifies the supplier's Groth16 receipt and
//!    checks its digests against its own inputs and the returned output.
//!
//! For each mode: cheats attempted and caught, stake slashed, the verifier's own work,
//! and the effective cost per verified TFLOP (including, for receipts, the measured
//! proof overhead that suppliers must be paid for).
//!
//! Run: `cargo run --release --example 03_marketplace`

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use rand::{Rng, SeedableRng};
use teraproof::core::{digest_matrix, matmul_cpu, GemmShape, Matrix, Receipt, UnitSpec};
use teraproof::prover::{setup_dev, Backend, Prover};
use teraproof::verifier::Verifier;

/// Price a buyer pays per TFLOP of delivered work (any currency unit).
const PRICE_PER_TFLOP: f64 = 0.50;
const STAKE: f64 = 100.0;
/// Fraction of the stake slashed for each caught cheat (each mode is tallied on its own).
const SLASH: f64 = 0.5;
const JOBS: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Behaviour {
    Honest,
    /// computes, then alters one element of C
    WrongOutput,
    /// returns C = 0 without computing
    SkippedWork,
    /// returns the output of an earlier job of the same unit
    CopiedOutput,
}

struct Supplier {
    name: String,
    behaviour: Behaviour,
    stake: f64,
}

struct Job {
    unit: UnitSpec,
    a: Matrix<i8>,
    b: Matrix<i8>,
}

/// What a supplier hands back.
struct Delivery {
    c: Matrix<i32>,
    receipt: Option<Receipt>,
}

struct Market {
    provers: HashMap<UnitSpec, (Prover, Verifier)>,
    /// last honest output per unit, the raw material of copy-cheaters
    last_output: HashMap<UnitSpec, (Matrix<i32>, Receipt)>,
    /// seconds of proving per second of computing, measured here
    overheads: Vec<f64>,
}

impl Market {
    fn deliver(&mut self, supplier: &Supplier, job: &Job, with_receipt: bool) -> Result<Delivery> {
        let honest = || matmul_cpu(&job.a, &job.b);
        let (prover, _) = &self.provers[&job.unit];
        match supplier.behaviour {
            Behaviour::Honest => {
                if !with_receipt {
                    return Ok(Delivery { c: honest()?, receipt: None });
                }
                let t = Instant::now();
                let out = prover.prove(&job.a, &job.b, &mut rand::rngs::OsRng)?;
                let total = t.elapsed().as_secs_f64();
                let compute = out.receipt.prover.timings.compute_ms / 1e3;
                self.overheads.push((total - compute) / compute.max(1e-9));
                self.last_output.insert(job.unit, (out.c.clone(), out.receipt.clone()));
                Ok(Delivery { c: out.c, receipt: Some(out.receipt) })
            }
            Behaviour::WrongOutput => {
                // Proves the true product (a false one cannot be proven), returns a
                // tampered one with that receipt.
                let out = prover.prove(&job.a, &job.b, &mut rand::rngs::OsRng)?;
                let mut c = out.c;
                *c.get_mut(0, 0).expect("non-empty") ^= 1;
                Ok(Delivery { c, receipt: with_receipt.then_some(out.receipt) })
            }
            Behaviour::SkippedWork => {
                // No work, no proof: a receipt is made up from another one's bytes.
                let c = Matrix::zeros(job.unit.m(), job.unit.n())?;
                let receipt = self.last_output.get(&job.unit).map(|(_, r)| {
                    let mut fake = r.clone();
                    fake.da = digest_matrix(&job.a);
                    fake.db = digest_matrix(&job.b);
                    fake.dc = digest_matrix(&c);
                    fake
                });
                Ok(Delivery { c, receipt: if with_receipt { receipt } else { None } })
            }
            Behaviour::CopiedOutput => match self.last_output.get(&job.unit) {
                Some((c, r)) => Ok(Delivery { c: c.clone(), receipt: with_receipt.then(|| r.clone()) }),
                None => Ok(Delivery { c: Matrix::zeros(job.unit.m(), job.unit.n())?, receipt: None }),
            },
        }
    }
}

/// One mode's tally.
#[derive(Default)]
struct Tally {
    cheats: usize,
    caught: usize,
    slashed: f64,
    verifier_ops: f64,
    paid_tflop: f64,
    verified_tflop: f64,
    wrong_accepted: usize,
    honest_slashed: usize,
}

impl Tally {
    /// Records one judged delivery: accepted work is paid for and, if it was right,
    /// counted as verified; rejected work is slashed, as a caught cheat or (if it was
    /// right after all) an honest supplier wrongly slashed.
    fn judge(&mut self, accepted: bool, cheated: bool, tflop: f64, stake: f64) {
        match (accepted, cheated) {
            (true, false) => self.verified_tflop += tflop,
            (true, true) => self.wrong_accepted += 1,
            (false, cheated) => {
                self.slashed += stake * SLASH;
                if cheated {
                    self.caught += 1;
                } else {
                    self.honest_slashed += 1;
                }
            }
        }
    }

    fn print(&self, mode: &str) {
        let cost = self.paid_tflop * PRICE_PER_TFLOP + self.verifier_ops / 1e12 * PRICE_PER_TFLOP;
        println!(
            "{mode:<22} {:>6} {:>7} {:>14} {:>9.1} {:>14.3e} {:>10} {:>16.4}",
            self.cheats,
            self.caught,
            self.honest_slashed,
            self.slashed,
            self.verifier_ops,
            self.wrong_accepted,
            cost / self.verified_tflop.max(1e-30)
        );
    }
}

/// Freivalds over the integers: `A·(B·r) = C·r` with r uniform in [0, 2^20).
fn freivalds(job: &Job, c: &Matrix<i32>, rng: &mut impl Rng) -> (bool, f64) {
    let (m, k, n) = (job.unit.m(), job.unit.k(), job.unit.n());
    let r: Vec<i128> = (0..n).map(|_| rng.gen_range(0..1 << 20)).collect();
    let br: Vec<i128> = (0..k).map(|i| (0..n).map(|j| job.b.data()[i * n + j] as i128 * r[j]).sum()).collect();
    let ok = (0..m).all(|i| {
        let left: i128 = (0..k).map(|kk| job.a.data()[i * k + kk] as i128 * br[kk]).sum();
        let right: i128 = (0..n).map(|j| c.data()[i * n + j] as i128 * r[j]).sum();
        left == right
    });
    (ok, 2.0 * (k * n + m * k + m * n) as f64)
}

fn main() -> Result<()> {
    let units: Vec<UnitSpec> = vec!["CU-8".parse()?, "mm-i8-16x16x16".parse()?];
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2026);
    let mut market = Market { provers: HashMap::new(), last_output: HashMap::new(), overheads: Vec::new() };
    for &u in &units {
        let keys = setup_dev(u, 7)?;
        let verifier = Verifier::new(keys.verifying_key()?);
        market.provers.insert(u, (Backend::Auto.prover(keys)?, verifier));
    }
    let behaviours = [
        Behaviour::Honest,
        Behaviour::WrongOutput,
        Behaviour::Honest,
        Behaviour::SkippedWork,
        Behaviour::Honest,
        Behaviour::CopiedOutput,
    ];
    let suppliers: Vec<Supplier> = behaviours
        .iter()
        .enumerate()
        .map(|(i, &b)| Supplier { name: format!("supplier-{i}"), behaviour: b, stake: STAKE })
        .collect();
    let jobs: Vec<Job> = (0..JOBS)
        .map(|j| {
            let unit = units[j % units.len()];
            let a = Matrix::from_fn(unit.m(), unit.k(), |_, _| rng.gen::<i8>()).expect("shape");
            let b = Matrix::from_fn(unit.k(), unit.n(), |_, _| rng.gen::<i8>()).expect("shape");
            Job { unit, a, b }
        })
        .collect();

    let mut tallies: [Tally; 3] = Default::default();
    for (j, job) in jobs.iter().enumerate() {
        let tflop = job.unit.ops() as f64 / 1e12;
        let truth = matmul_cpu(&job.a, &job.b)?;

        // Mode 1: redundancy, three suppliers, majority output.
        let t = &mut tallies[0];
        let chosen: Vec<usize> = (0..3).map(|d| (j + d) % suppliers.len()).collect();
        let deliveries: Vec<Matrix<i32>> =
            chosen.iter().map(|&s| market.deliver(&suppliers[s], job, false).map(|d| d.c)).collect::<Result<_>>()?;
        let majority = deliveries
            .iter()
            .max_by_key(|c| deliveries.iter().filter(|d| d == c).count())
            .expect("three deliveries")
            .clone();
        for (&s, c) in chosen.iter().zip(&deliveries) {
            t.paid_tflop += tflop;
            if *c != truth {
                t.cheats += 1;
            }
            if *c != majority {
                // Outvoted: slashed, whether it cheated or was the honest minority.
                t.slashed += suppliers[s].stake * SLASH;
                if *c != truth {
                    t.caught += 1;
                } else {
                    t.honest_slashed += 1;
                }
            }
        }
        t.verifier_ops += (2 * job.unit.m() * job.unit.n()) as f64; // comparing outputs
        if majority == truth {
            t.verified_tflop += tflop;
        } else {
            t.wrong_accepted += 1;
        }

        // Modes 2 and 3 use one supplier per job.
        let s = j % suppliers.len();
        let delivery = market.deliver(&suppliers[s], job, true)?;
        let cheated = delivery.c != truth;

        // Mode 2: the buyer's Freivalds check.
        let t = &mut tallies[1];
        t.paid_tflop += tflop;
        t.cheats += cheated as usize;
        let (ok, work) = freivalds(job, &delivery.c, &mut rng);
        t.verifier_ops += work;
        t.judge(ok, cheated, tflop, suppliers[s].stake);

        // Mode 3: teraproof receipts.
        let t = &mut tallies[2];
        t.cheats += cheated as usize;
        let (_, verifier) = &market.provers[&job.unit];
        let accepted = match &delivery.receipt {
            None => false,
            Some(r) => {
                // The proof, then that it is about this job's inputs and this delivery.
                verifier.verify_job(r, &job.a, &job.b, Some(&delivery.c)).is_ok()
            }
        };
        // Verifier work: three digests over the data plus a constant pairing check,
        // counted as operations on field elements (rough: 1 op per element hashed).
        t.verifier_ops +=
            (job.unit.m() * job.unit.k() + job.unit.k() * job.unit.n() + job.unit.m() * job.unit.n()) as f64;
        t.paid_tflop += tflop; // the proof overhead is added below, once measured
        t.judge(accepted, cheated, tflop, suppliers[s].stake);
    }
    // Suppliers must be paid for proving too: scale receipts' payment by (1 + overhead).
    let overhead = if market.overheads.is_empty() {
        0.0
    } else {
        market.overheads.iter().sum::<f64>() / market.overheads.len() as f64
    };
    tallies[2].paid_tflop *= 1.0 + overhead;

    println!("{JOBS} jobs over {} units at {PRICE_PER_TFLOP} per TFLOP; suppliers:", units.len());
    for s in &suppliers {
        println!("  {:<11} {:?}", s.name, s.behaviour);
    }
    println!();
    println!(
        "{:<22} {:>6} {:>7} {:>14} {:>9} {:>14} {:>10} {:>16}",
        "mode", "cheats", "caught", "honest slashed", "slashed", "verifier ops", "bad taken", "cost/verified TF"
    );
    tallies[0].print("redundancy (k = 3)");
    tallies[1].print("Freivalds spot check");
    tallies[2].print("teraproof receipts");
    println!();
    println!(
        "measured proof overhead on this machine: {overhead:.0}x (prove time / compute time); \
         receipts need no trust in the buyer's own compute and no extra suppliers, but today \
         the supplier's proving time dominates their price"
    );

    // Real workloads are jobs: a GEMM of any shape is cut into standard units (chains of
    // compute and accumulating units, verified as one job), so the market prices a job
    // in units of the size it is cut into.
    let job: GemmShape = "1024x1024x1024".parse()?;
    println!();
    println!("a {job} job, priced in units (compute only: the proving the suppliers are paid for");
    println!("comes on top, and its overhead per TFLOP falls as units grow; see the README):");
    for n in [16, 64, 256] {
        let unit = &UnitSpec::square(n)?;
        let plan = teraproof::prover::plan(job, unit)?;
        let units_tflop = plan.tiling.units() as f64 * unit.ops() as f64 / 1e12;
        println!(
            "  on CU-{:<4} {:>7} units of {:.2e} TFLOP each, price {:.6} at {PRICE_PER_TFLOP} per TFLOP",
            unit.m(),
            plan.tiling.units(),
            unit.ops() as f64 / 1e12,
            units_tflop * PRICE_PER_TFLOP
        );
    }
    Ok(())
}
