//! Proving a job: a GEMM of any shape as chains of standard units (DESIGN §10;
//! the tiling is [`teraproof_core::job`], the checks [`teraproof_verifier::job`]).
//!
//! The product C is computed once with the compute backend (the GPU when usable).
//! Then, chain by chain (output tile `(i, j)`), the partial sums `C¹ … Cᵀ` are formed
//! on the CPU from the tiles, the last checked equal to C's tile, and each step becomes
//! a unit to prove: a compute unit for `t = 0`, an accumulating unit after. Units are
//! proven in batches of [`JobOptions::units_in_flight`] in parallel (rayon), so memory
//! stays at C plus one chain plus the batch's inputs, never all partial sums at once.
//!
//! With a work folder ([`JobOptions::work_dir`]), each unit receipt is written there as
//! it is made (atomically, `i-j-t.json`); a job run again with the same inputs and
//! keys reuses every receipt that verifies for the statement expected at its position,
//! so an interrupted job resumes where it stopped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;
use teraproof_core::job::{JobKeys, JobReceipt, JobUnit, TilePos, Tiling, UnitStatement, JOB_RECEIPT_VERSION};
use teraproof_core::{digest_matrix, matmul_cpu, GemmShape, Matrix, MatrixDigest, Receipt, UnitKind, UnitSpec};
use teraproof_verifier::{JobVerifier, ACCUMULATE_KEYS_DIR};

use crate::backend::Backend;
use crate::compute::ComputeBackend;
use crate::error::{ProverError, Result};
use crate::keys::UnitKeys;
use crate::prove::{accumulate, Prover};

/// How a job is proven.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// where unit receipts are kept as they are made, so that the job can resume
    pub work_dir: Option<PathBuf>,
    /// how many units are proven at once (1: one at a time, each with parallel MSMs)
    pub units_in_flight: usize,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self { work_dir: None, units_in_flight: rayon::current_num_threads().max(1) }
    }
}

/// What proving a job produced.
pub struct JobOutput {
    /// `C = A·B`
    pub c: Matrix<i32>,
    /// the job receipt
    pub receipt: JobReceipt,
    /// units proven by this run
    pub proved: usize,
    /// units whose receipts were found in the work folder and reused
    pub reused: usize,
    /// the backend and device that computed C
    pub compute: (String, String),
    /// milliseconds computing C
    pub compute_ms: f64,
    /// milliseconds of the whole job
    pub total_ms: f64,
}

/// A job after its product is computed: the tiling, `C` and every tile digest, ready
/// for its units to be proven here ([`JobProver::prove_job`]) or on a fleet.
pub struct PreparedJob {
    /// the GEMM's shape
    pub shape: GemmShape,
    /// how it is cut into units
    pub tiling: Tiling,
    /// `C = A·B`
    pub c: Matrix<i32>,
    /// digests of A's tiles (I×T), B's (T×J) and C's (I×J)
    pub tiles: [Vec<Vec<MatrixDigest>>; 3],
    /// the backend and device that computed C
    pub compute: (String, String),
    /// milliseconds computing C
    pub compute_ms: f64,
}

/// One unit of a job with everything needed to prove it.
pub struct UnitWork {
    /// where it sits
    pub pos: TilePos,
    /// its index in job order
    pub index: usize,
    /// the A tile
    pub a: Matrix<i8>,
    /// the B tile
    pub b: Matrix<i8>,
    /// the partial sum it starts from (none for a chain's first step)
    pub cin: Option<Matrix<i32>>,
    /// the partial sum it produces (last in its chain: C's tile)
    pub cout: Matrix<i32>,
    /// the digests its receipt must carry
    pub statement: UnitStatement,
}

impl UnitWork {
    /// Which circuit proves it.
    pub fn kind(&self) -> UnitKind {
        if self.cin.is_some() {
            UnitKind::Accumulate
        } else {
            UnitKind::Product
        }
    }
}

/// The shape of the job `A·B`, refused when A's columns are not B's rows.
pub fn job_shape(a: &Matrix<i8>, b: &Matrix<i8>) -> Result<GemmShape> {
    if b.rows() != a.cols() {
        return Err(ProverError::Core(teraproof_core::CoreError::InvalidJob(format!(
            "A is {}x{} and B is {}x{}: A's columns must be B's rows",
            a.rows(),
            a.cols(),
            b.rows(),
            b.cols()
        ))));
    }
    Ok(GemmShape::new(a.rows(), a.cols(), b.cols())?)
}

impl PreparedJob {
    /// A job of `tiling` whose product `c` was computed by `compute` in
    /// `compute_ms`; the tile digests are taken here.
    pub fn new(
        tiling: Tiling,
        a: &Matrix<i8>,
        b: &Matrix<i8>,
        c: Matrix<i32>,
        compute: (String, String),
        compute_ms: f64,
    ) -> Self {
        let (i_tiles, t_tiles, j_tiles) = tiling.grid();
        let tiles = [
            tiling.tile_digests(a, i_tiles, t_tiles),
            tiling.tile_digests(b, t_tiles, j_tiles),
            tiling.tile_digests(&c, i_tiles, j_tiles),
        ];
        Self { shape: tiling.shape(), tiling, c, tiles, compute, compute_ms }
    }

    /// Computes `C = A·B` for a job of `tiling` with `compute` (the CPU taking over if
    /// the device fails) and prepares it.
    pub fn compute(tiling: Tiling, a: &Matrix<i8>, b: &Matrix<i8>, compute: &dyn ComputeBackend) -> Result<Self> {
        tiling.check_shapes(a, b, None)?;
        let t = Instant::now();
        let spec = UnitSpec::new(a.rows(), a.cols(), b.cols())?;
        let (c, backend, device) = crate::compute::compute_with_fallback(compute, &spec, a, b)?;
        Ok(Self::new(tiling, a, b, c, (backend.to_string(), device), ms(t)))
    }

    /// The job's statement id ([`teraproof_verifier::job_statement_id`] of the
    /// receipt it will have).
    pub fn statement_id(&self) -> String {
        let [a, b, c] = &self.tiles;
        teraproof_verifier::statement_id_of(&self.tiling.unit().id(), self.shape, [a, b, c])
    }

    /// Walks the units in job order (chain by chain, each chain's steps in order),
    /// forming the partial sums on the CPU from the tiles, the last of each chain
    /// checked equal to C's tile, and hands each unit to `f`. Memory: one chain's
    /// partial sum at a time, plus whatever `f` keeps.
    pub fn for_each_unit<E: From<ProverError>>(
        &self,
        a: &Matrix<i8>,
        b: &Matrix<i8>,
        mut f: impl FnMut(UnitWork) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let tiling = &self.tiling;
        let t_tiles = tiling.grid().1;
        let [a_tiles, b_tiles, _] = &self.tiles;
        let accumulate_id = UnitKind::Accumulate.unit_id(&tiling.unit());
        let mut previous: Option<Matrix<i32>> = None;
        for (index, pos) in tiling.positions().enumerate() {
            let TilePos { i, j, t: step } = pos;
            if step == 0 {
                previous = None;
            }
            let a_tile = tiling.tile_of(a, i, step);
            let b_tile = tiling.tile_of(b, step, j);
            let product = matmul_cpu(&a_tile, &b_tile).map_err(ProverError::from)?;
            let cout = match &previous {
                None => product,
                Some(cin) => accumulate(&accumulate_id, cin, &product)?,
            };
            if step + 1 == t_tiles && cout != tiling.tile_of(&self.c, i, j) {
                return Err(E::from(ProverError::ComputeMismatch(format!(
                    "the product from {} ({}) disagrees with the tiled CPU sums at output tile ({i}, {j}); no \
                     receipt is made for a wrong C",
                    self.compute.0, self.compute.1
                ))));
            }
            let statement = UnitStatement {
                da: a_tiles[i][step],
                db: b_tiles[step][j],
                dcin: previous.as_ref().map(digest_matrix),
                dc: digest_matrix(&cout),
            };
            let cin = previous.take();
            previous = Some(cout.clone());
            f(UnitWork { pos, index, a: a_tile, b: b_tile, cin, cout, statement })?;
        }
        Ok(())
    }

    /// The job receipt from every unit's receipt in job order; returns C with it.
    /// The caller verifies it before it leaves.
    pub fn assemble(
        self,
        keys: JobKeys,
        insecure_dev_setup: bool,
        receipts: Vec<Receipt>,
    ) -> (Matrix<i32>, JobReceipt) {
        let [a_tiles, b_tiles, c_tiles] = self.tiles;
        let units = self
            .tiling
            .positions()
            .zip(receipts)
            .map(|(pos, receipt)| JobUnit { i: pos.i, j: pos.j, t: pos.t, receipt })
            .collect();
        let receipt = JobReceipt {
            version: JOB_RECEIPT_VERSION,
            shape: self.shape,
            unit: self.tiling.unit().id(),
            ops: self.shape.ops(),
            keys,
            insecure_dev_setup,
            a_tiles,
            b_tiles,
            c_tiles,
            units,
        };
        (self.c, receipt)
    }
}

/// Proves jobs on one unit with its two provers (the compute unit's, and the
/// accumulating unit's for jobs whose K spans more than one tile).
pub struct JobProver {
    product: Prover,
    accumulate: Option<Prover>,
    verifier: JobVerifier,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

impl JobProver {
    /// A job prover from the two provers of one square unit.
    pub fn new(product: Prover, accumulate: Option<Prover>) -> Result<Self> {
        let product_vk = product.verifying_key()?;
        let accumulate_vk = accumulate.as_ref().map(|p| p.verifying_key()).transpose()?;
        let verifier = JobVerifier::new(product_vk, accumulate_vk)?;
        Ok(Self { product, accumulate, verifier })
    }

    /// Loads a key directory made by `teraproof setup` (the compute unit's keys and, in
    /// `accumulate/`, the accumulating unit's) with `backend`'s MSM and compute.
    pub fn load(dir: &Path, backend: Backend) -> Result<Self> {
        let product = UnitKeys::load(dir, None)?;
        if product.kind() != UnitKind::Product {
            return Err(ProverError::KeyFile(format!(
                "{} holds {} keys, not a compute unit's",
                dir.display(),
                product.unit_id()
            )));
        }
        let acc_dir = dir.join(ACCUMULATE_KEYS_DIR);
        let accumulate = if acc_dir.exists() { Some(UnitKeys::load(&acc_dir, Some(product.spec()))?) } else { None };
        Self::new(backend.prover(product)?, accumulate.map(|k| backend.prover(k)).transpose()?)
    }

    /// The unit jobs are cut into.
    pub fn unit(&self) -> UnitSpec {
        *self.product.spec()
    }

    /// The compute unit's prover.
    pub fn product(&self) -> &Prover {
        &self.product
    }

    /// The verifier for this prover's keys.
    pub fn verifier(&self) -> &JobVerifier {
        &self.verifier
    }

    /// The tiling of a job of `shape` on this prover's unit; refused when the chains
    /// need the accumulating unit and its keys are missing.
    pub fn tiling(&self, shape: GemmShape) -> Result<Tiling> {
        let tiling = Tiling::new(shape, &self.unit())?;
        if tiling.grid().1 > 1 && self.accumulate.is_none() {
            return Err(ProverError::KeyFile(format!(
                "a {shape} job on CU-{} needs the accumulating unit's keys ({} steps per chain); make them with \
                 `teraproof setup --unit CU-{}`",
                tiling.tile(),
                tiling.grid().1,
                tiling.tile()
            )));
        }
        Ok(tiling)
    }

    /// Computes `C = A·B` for a job with this prover's compute backend and prepares
    /// its tiling and tile digests; refused when `A` and `B` do not chain or the
    /// job needs keys this prover lacks.
    pub fn prepare(&self, a: &Matrix<i8>, b: &Matrix<i8>) -> Result<PreparedJob> {
        let tiling = self.tiling(job_shape(a, b)?)?;
        let t = Instant::now();
        let (c, backend, device) = self.product.compute(a, b)?;
        Ok(PreparedJob::new(tiling, a, b, c, (backend.to_string(), device), ms(t)))
    }

    /// Proves the job `C = A·B`; `progress(done, total)` is called as units finish
    /// (reused ones count as done at once).
    pub fn prove_job(
        &self,
        a: &Matrix<i8>,
        b: &Matrix<i8>,
        options: &JobOptions,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<JobOutput> {
        let total_start = Instant::now();
        let job = self.prepare(a, b)?;
        let tiling = &job.tiling;
        let _span =
            tracing::info_span!("job", shape = %job.shape, unit = %self.unit(), units = tiling.units()).entered();
        if let Some(dir) = &options.work_dir {
            std::fs::create_dir_all(dir).map_err(|error| ProverError::Io {
                action: "cannot create",
                path: dir.clone(),
                error,
            })?;
        }
        let (compute_backend, compute_device) = job.compute.clone();

        let total = tiling.units();
        let done = AtomicUsize::new(0);
        let receipts: Mutex<Vec<Option<Receipt>>> = Mutex::new(vec![None; total]);
        let mut reused = 0;
        let mut pending: Vec<UnitWork> = Vec::new();
        let batch = options.units_in_flight.max(1);
        let flush = |pending: &mut Vec<UnitWork>| -> Result<()> {
            let results: Vec<Result<(usize, Receipt)>> = pending
                .par_iter()
                .map(|unit| {
                    let mut receipt = self.prove_unit(unit)?;
                    receipt.prover.compute_backend = compute_backend.clone();
                    receipt.prover.compute_device = compute_device.clone();
                    if let Some(dir) = &options.work_dir {
                        write_atomically(&unit_path(dir, unit.pos), receipt.to_json().as_bytes())?;
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                    Ok((unit.index, receipt))
                })
                .collect();
            pending.clear();
            let mut slots = receipts.lock().expect("no panics while holding the lock");
            for result in results {
                let (index, receipt) = result?;
                slots[index] = Some(receipt);
            }
            Ok(())
        };

        job.for_each_unit(a, b, |unit| -> Result<()> {
            let found = options.work_dir.as_ref().and_then(|dir| self.reusable(dir, &unit));
            if let Some(receipt) = found {
                receipts.lock().expect("no panics while holding the lock")[unit.index] = Some(receipt);
                reused += 1;
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            } else {
                pending.push(unit);
            }
            if pending.len() >= batch {
                flush(&mut pending)?;
            }
            Ok(())
        })?;
        if !pending.is_empty() {
            flush(&mut pending)?;
        }

        let receipts = receipts.into_inner().expect("no panics while holding the lock");
        let receipts = receipts.into_iter().map(|r| r.expect("every unit was proven or reused")).collect();
        let keys = self.job_keys(tiling);
        let insecure = self.product.manifest().insecure_dev_setup;
        let compute_ms = job.compute_ms;
        let compute = job.compute.clone();
        let (c, receipt) = job.assemble(keys, insecure, receipts);
        // The job as a buyer will check it, before it leaves: no invalid job receipt
        // is ever written.
        self.verifier.verify_gemm_job(&receipt)?;
        let proved = total - reused;
        tracing::info!(proved, reused, total_ms = ms(total_start), "job proved");
        Ok(JobOutput { c, receipt, proved, reused, compute, compute_ms, total_ms: ms(total_start) })
    }

    /// The key ids a job receipt of `tiling` names.
    pub fn job_keys(&self, tiling: &Tiling) -> JobKeys {
        JobKeys {
            product: self.product.vk_id().to_string(),
            accumulate: (tiling.grid().1 > 1)
                .then(|| self.accumulate.as_ref().map(|p| p.vk_id().to_string()))
                .flatten(),
        }
    }

    fn prove_unit(&self, unit: &UnitWork) -> Result<Receipt> {
        let mut rng = rand::rngs::OsRng;
        match &unit.cin {
            None => self.product.prove_product(&unit.a, &unit.b, &unit.cout, &mut rng),
            Some(cin) => {
                let prover = self.accumulate.as_ref().expect("checked by tiling()");
                prover.prove_accumulate(&unit.a, &unit.b, cin, &unit.cout, &mut rng)
            }
        }
    }

    /// A receipt in the work folder for `unit` that proves exactly the expected
    /// statement and verifies; anything else (missing, unreadable, another job's,
    /// forged) is ignored and the unit is proven again.
    fn reusable(&self, dir: &Path, unit: &UnitWork) -> Option<Receipt> {
        let path = unit_path(dir, unit.pos);
        let text = std::fs::read_to_string(&path).ok()?;
        let receipt = Receipt::from_json(&text).ok()?;
        match self.verifier.verify_unit(unit.pos, &unit.statement, &receipt) {
            Ok(_) => Some(receipt),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "a unit receipt in the work folder is not this unit's; proving it again");
                None
            }
        }
    }
}

/// The work folder's file for the unit at `pos`.
pub fn unit_path(dir: &Path, pos: TilePos) -> PathBuf {
    dir.join(format!("{}-{}-{}.json", pos.i, pos.j, pos.t))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).map_err(|error| ProverError::Io {
        action: "cannot write",
        path: tmp.clone(),
        error,
    })?;
    std::fs::rename(&tmp, path).map_err(|error| ProverError::Io {
        action: "cannot rename into",
        path: path.into(),
        error,
    })
}

/// A job's plan: its tiling and what proving it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPlan {
    /// the tiling
    pub tiling: Tiling,
    /// compute units (chain starts)
    pub product_units: usize,
    /// accumulating units
    pub accumulate_units: usize,
    /// constraints over all units
    pub constraints: u64,
}

/// The plan of a `shape` job on `unit`.
pub fn plan(shape: GemmShape, unit: &UnitSpec) -> Result<JobPlan> {
    let tiling = Tiling::new(shape, unit)?;
    let chains = tiling.chains();
    let product_units = chains;
    let accumulate_units = tiling.units() - chains;
    let constraints = product_units as u64 * crate::keys::constraints_of(UnitKind::Product, unit)? as u64
        + accumulate_units as u64 * crate::keys::constraints_of(UnitKind::Accumulate, unit)? as u64;
    Ok(JobPlan { tiling, product_units, accumulate_units, constraints })
}
