//! Verification of a job: a GEMM of any shape proven as chains of standard units
//! (DESIGN §10; the tiling is [`teraproof_core::job`]).
//!
//! [`JobVerifier::verify_gemm_job`] accepts a [`JobReceipt`] only when, in this order:
//! its version is supported; its unit is the verifier's compute unit and its shape
//! tiles into it (with the shape's op count); it names the verifier's keys and their
//! insecure flag; its tile grids are `I×T`, `T×J`, `I×J`; every position `(i, j, t)`
//! has exactly one receipt, in job order; each chain starts with a compute unit
//! (`C⁰ = 0`) and continues with accumulating units whose `dCin` is the previous
//! step's `dCout`; each receipt's `dA`, `dB` are the job's tile digests of A and B, and
//! each chain's last `dCout` is the job's tile digest of C; and finally every unit
//! receipt verifies (one batch, one final exponentiation, per key).
//!
//! What that proves: by the compute unit's soundness the first step's dC is the
//! canonical digest of `A_i0·B_0j`; by the accumulating unit's, each next dCout is the
//! canonical digest of the partial sum (its int32 condition holds for any chain from
//! zero whose padded inner dimension is at most 2^17 − 1, which the tiling enforces,
//! whatever the padding holds). So each C tile digest is the digest of
//! `Σ_t A_it·B_tj`, the tile of the product of the matrices whose tiles have the
//! job's A and B digests. A buyer then checks those digests against its own A and B and
//! the C it received ([`JobVerifier::check_job_data`]).

#[cfg(feature = "std")]
use std::path::Path;

use alloc::collections::BTreeSet;
use sha2::{Digest, Sha256};
use teraproof_core::job::{JobReceipt, TilePos, Tiling, UnitStatement, JOB_RECEIPT_VERSION};
use teraproof_core::{GemmShape, Matrix, MatrixDigest, Receipt, UnitKind, UnitSpec};

use crate::error::{quoted, Result, VerifyError};
use crate::key::UnitVerifyingKey;
use crate::prelude::*;
use crate::verify::{Verified, Verifier};

/// The folder inside a key directory that holds the accumulating unit's keys.
pub const ACCUMULATE_KEYS_DIR: &str = "accumulate";

/// What a successful job verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJob {
    /// SHA-256 (hex) of the job's shape, unit and tile digests ([`job_statement_id`])
    pub statement_id: String,
    /// the GEMM's shape
    pub shape: GemmShape,
    /// the unit it was cut into
    pub unit: UnitSpec,
    /// how many unit receipts were verified
    pub units: usize,
    /// true when the keys came from a development setup
    pub insecure_dev_setup: bool,
}

/// Verifies job receipts against a unit's two keys: the compute unit's and, for jobs
/// whose chains have more than one step, the accumulating unit's.
pub struct JobVerifier {
    product: Verifier,
    accumulate: Option<Verifier>,
}

/// A job's identity: SHA-256 over a tag, the unit id, the shape and every tile digest
/// (grids in order, each digest as 32 big-endian bytes). The unit receipts' proofs are
/// not part of it (proofs are malleable), nor are the keys: two *valid* job receipts
/// with one statement id prove the same product, under whichever keys the verifier
/// holds (a development key's receipts say so in `insecure_dev_setup`).
pub fn job_statement_id(job: &JobReceipt) -> String {
    statement_id_of(&job.unit, job.shape, [&job.a_tiles, &job.b_tiles, &job.c_tiles])
}

/// [`job_statement_id`] from a job's parts, before any unit is proven (a fleet names
/// a job by it, so that a coordinator run again finds the receipts already made).
pub fn statement_id_of(unit: &str, shape: GemmShape, tiles: [&[Vec<MatrixDigest>]; 3]) -> String {
    let mut h = Sha256::new();
    h.update(b"teraproof.job.v1");
    h.update((unit.len() as u64).to_le_bytes());
    h.update(unit.as_bytes());
    for d in [shape.m, shape.k, shape.n] {
        h.update((d as u64).to_le_bytes());
    }
    for grid in tiles {
        h.update((grid.len() as u64).to_le_bytes());
        for row in grid {
            h.update((row.len() as u64).to_le_bytes());
            for d in row {
                h.update(teraproof_core::field::fr_to_be_bytes(&d.0));
            }
        }
    }
    teraproof_core::receipt::encode_hex(&h.finalize())
}

/// The first tile `(row, col)` whose digest differs between two grids of one shape,
/// with the job's digest and the recomputed one.
fn first_difference<'a>(
    theirs: &'a [Vec<MatrixDigest>],
    ours: &'a [Vec<MatrixDigest>],
) -> Option<(usize, usize, &'a MatrixDigest, &'a MatrixDigest)> {
    theirs.iter().zip(ours).enumerate().find_map(|(r, (x, y))| {
        x.iter().zip(y).enumerate().find(|(_, (p, q))| p != q).map(|(col, (p, q))| (r, col, p, q))
    })
}

fn grid_is(grid: &[Vec<MatrixDigest>], rows: usize, cols: usize) -> bool {
    grid.len() == rows && grid.iter().all(|r| r.len() == cols)
}

impl JobVerifier {
    /// A job verifier from the compute unit's key and, optionally, the accumulating
    /// unit's key for the same square shape.
    pub fn new(product: UnitVerifyingKey, accumulate: Option<UnitVerifyingKey>) -> Result<Self> {
        let unit = *product.unit();
        if product.kind() != UnitKind::Product {
            return Err(VerifyError::BadKey(format!("{} is not a compute unit's key", product.unit_id())));
        }
        if unit.m() != unit.k() || unit.k() != unit.n() {
            return Err(VerifyError::BadKey(format!("jobs are cut into square units, not {unit}")));
        }
        if let Some(acc) = &accumulate {
            if acc.kind() != UnitKind::Accumulate || acc.unit() != &unit {
                return Err(VerifyError::BadKey(format!(
                    "the accumulating key is for {}, not {}",
                    acc.unit_id(),
                    UnitKind::Accumulate.unit_id(&unit)
                )));
            }
            if acc.insecure_dev_setup() != product.insecure_dev_setup() {
                return Err(VerifyError::BadKey(
                    "one of the unit's two keys is a development key, the other not".into(),
                ));
            }
        }
        Ok(Self { product: Verifier::new(product), accumulate: accumulate.map(Verifier::new) })
    }

    /// Loads a key directory made by `teraproof setup`: the compute unit's keys at its
    /// top and, when present, the accumulating unit's in [`ACCUMULATE_KEYS_DIR`].
    #[cfg(feature = "std")]
    pub fn load(dir: &Path) -> Result<Self> {
        let product = UnitVerifyingKey::load(dir)?;
        let acc_dir = dir.join(ACCUMULATE_KEYS_DIR);
        let accumulate = if acc_dir.exists() { Some(UnitVerifyingKey::load(&acc_dir)?) } else { None };
        Self::new(product, accumulate)
    }

    /// The compute unit's verifier.
    pub fn product(&self) -> &Verifier {
        &self.product
    }

    /// The accumulating unit's verifier, when this verifier has its key.
    pub fn accumulate(&self) -> Option<&Verifier> {
        self.accumulate.as_ref()
    }

    /// One unit receipt on its own, as the job's unit at `pos` that must prove
    /// `statement`: it claims exactly that statement and verifies under the key of
    /// its kind (a chain's first step is a compute unit, every later step an
    /// accumulating unit). A fleet's coordinator checks each receipt so as it arrives.
    pub fn verify_unit(&self, pos: TilePos, statement: &UnitStatement, receipt: &Receipt) -> Result<Verified> {
        if !statement.is_claimed_by(receipt) {
            return Err(VerifyError::NotThisUnit { pos });
        }
        let verifier = if pos.t == 0 {
            &self.product
        } else {
            self.accumulate.as_ref().ok_or_else(|| {
                VerifyError::BadKey("an accumulating unit cannot be checked without the accumulating unit's key".into())
            })?
        };
        verifier.verify(receipt)
    }

    /// The tiling a job receipt claims, checked against this verifier's unit.
    fn tiling(&self, job: &JobReceipt) -> Result<Tiling> {
        let unit = *self.product.key().unit();
        if job.unit != unit.id() {
            return Err(VerifyError::UnitMismatch { expected: unit.id(), found: quoted(&job.unit) });
        }
        // The shape's own bounds again: a job built in Rust need not have come through
        // the validating parser.
        let shape = GemmShape::new(job.shape.m, job.shape.k, job.shape.n)
            .map_err(|e| VerifyError::JobShapeMismatch(e.to_string()))?;
        let tiling = Tiling::new(shape, &unit)?;
        if job.ops != job.shape.ops() {
            return Err(VerifyError::JobShapeMismatch(format!(
                "the job claims {} ops but a {} GEMM has {}",
                job.ops,
                job.shape,
                job.shape.ops()
            )));
        }
        Ok(tiling)
    }

    fn check_keys(&self, job: &JobReceipt, chain_len: usize) -> Result<()> {
        let product_id = self.product.key().id();
        if job.keys.product != product_id {
            return Err(VerifyError::JobKeyMismatch(format!(
                "the job's compute-unit key is {:?}, this verifier holds {product_id}",
                quoted(&job.keys.product)
            )));
        }
        match (&job.keys.accumulate, &self.accumulate) {
            (Some(claimed), Some(acc)) if claimed == acc.key().id() => {}
            (Some(claimed), Some(acc)) => {
                return Err(VerifyError::JobKeyMismatch(format!(
                    "the job's accumulating key is {:?}, this verifier holds {}",
                    quoted(claimed),
                    acc.key().id()
                )))
            }
            (Some(_), None) => {
                return Err(VerifyError::JobKeyMismatch(
                    "the job names an accumulating key and this verifier has none (load the key directory's \
                     accumulate/ folder)"
                        .into(),
                ))
            }
            (None, _) if chain_len > 1 => {
                return Err(VerifyError::JobKeyMismatch(format!(
                    "the job's chains have {chain_len} steps but it names no accumulating key"
                )))
            }
            (None, _) => {}
        }
        if job.insecure_dev_setup != self.product.key().insecure_dev_setup() {
            return Err(VerifyError::InsecureFlagMismatch {
                key: self.product.key().insecure_dev_setup(),
                receipt: job.insecure_dev_setup,
            });
        }
        Ok(())
    }

    /// The job's tile grids are `I×T` (A), `T×J` (B) and `I×J` (C).
    fn check_grids(job: &JobReceipt, tiling: &Tiling) -> Result<()> {
        let (i_tiles, t_tiles, j_tiles) = tiling.grid();
        for (name, grid, rows, cols) in [
            ("A", &job.a_tiles, i_tiles, t_tiles),
            ("B", &job.b_tiles, t_tiles, j_tiles),
            ("C", &job.c_tiles, i_tiles, j_tiles),
        ] {
            if !grid_is(grid, rows, cols) {
                return Err(VerifyError::JobShapeMismatch(format!(
                    "the job's {name} tiles are not a {rows}×{cols} grid"
                )));
            }
        }
        Ok(())
    }

    /// Every position exactly once, in job order.
    fn check_positions(tiling: &Tiling, job: &JobReceipt) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (index, unit) in job.units.iter().enumerate() {
            let pos = unit.pos();
            if !tiling.contains(pos) {
                let (i, t, j) = tiling.grid();
                return Err(VerifyError::ForeignUnit {
                    index,
                    reason: format!("position {pos} is outside the job's {i}×{j} tiles of {t} steps"),
                });
            }
            if !seen.insert(pos) {
                return Err(VerifyError::RepeatedUnit { pos });
            }
        }
        if let Some(pos) = tiling.positions().find(|p| !seen.contains(p)) {
            return Err(VerifyError::MissingUnit { pos });
        }
        for (index, (unit, expected)) in job.units.iter().zip(tiling.positions()).enumerate() {
            if unit.pos() != expected {
                return Err(VerifyError::ReorderedUnit { index, expected, found: unit.pos() });
            }
        }
        Ok(())
    }

    /// The unit receipt at `index` (position `pos`) is of the right kind and key and
    /// carries the job's digests; `previous` is the receipt of the step before.
    fn check_unit(
        &self,
        job: &JobReceipt,
        tiling: &Tiling,
        index: usize,
        pos: TilePos,
        receipt: &Receipt,
        previous: Option<&Receipt>,
    ) -> Result<()> {
        let unit = *self.product.key().unit();
        let foreign = |reason: String| VerifyError::ForeignUnit { index, reason };
        let (kind, spec) = receipt.kind_and_spec().map_err(|_| foreign(format!("unit {:?}", quoted(&receipt.unit))))?;
        if spec != unit {
            return Err(foreign(format!("it proves {:?}, the job is cut into {unit}", quoted(&receipt.unit))));
        }
        match (pos.t, kind) {
            (0, UnitKind::Accumulate) => return Err(VerifyError::ChainNotFromZero { pos }),
            (t, UnitKind::Product) if t > 0 => {
                return Err(VerifyError::BrokenChain { pos, reason: "the step is not an accumulating unit".into() })
            }
            _ => {}
        }
        let key_id = match (kind, &self.accumulate) {
            (UnitKind::Product, _) => self.product.key().id(),
            (UnitKind::Accumulate, Some(v)) => v.key().id(),
            (UnitKind::Accumulate, None) => {
                return Err(VerifyError::JobKeyMismatch("an accumulating unit, and no accumulating key".into()))
            }
        };
        if receipt.vk_id != key_id {
            return Err(foreign(format!(
                "it was made with key {:?}, not the job's {kind} key",
                quoted(&receipt.vk_id)
            )));
        }
        let tile = |matrix: &'static str, row: usize, col: usize, reason: String| VerifyError::TileDigestMismatch {
            matrix,
            row,
            col,
            reason,
        };
        if receipt.da != job.a_tiles[pos.i][pos.t] {
            return Err(tile("A", pos.i, pos.t, format!("unit {pos}'s dA differs from the job's tile digest")));
        }
        if receipt.db != job.b_tiles[pos.t][pos.j] {
            return Err(tile("B", pos.t, pos.j, format!("unit {pos}'s dB differs from the job's tile digest")));
        }
        if let Some(previous) = previous {
            if receipt.dcin != Some(previous.dc) {
                return Err(VerifyError::BrokenChain {
                    pos,
                    reason: "its dCin is not the previous step's dCout".into(),
                });
            }
        }
        let (_, chain_len, _) = tiling.grid();
        if pos.t + 1 == chain_len && receipt.dc != job.c_tiles[pos.i][pos.j] {
            return Err(tile(
                "C",
                pos.i,
                pos.j,
                format!("the chain's last dCout (unit {pos}) differs from the job's tile digest"),
            ));
        }
        Ok(())
    }

    /// Verifies a job receipt (see the module docs for the checks and their order).
    pub fn verify_gemm_job(&self, job: &JobReceipt) -> Result<VerifiedJob> {
        if job.version != JOB_RECEIPT_VERSION {
            return Err(VerifyError::UnsupportedVersion { found: job.version, supported: JOB_RECEIPT_VERSION });
        }
        let tiling = self.tiling(job)?;
        let (_, t_tiles, _) = tiling.grid();
        self.check_keys(job, t_tiles)?;
        Self::check_grids(job, &tiling)?;
        Self::check_positions(&tiling, job)?;
        let mut product = Vec::new();
        let mut accumulate = Vec::new();
        for (index, unit) in job.units.iter().enumerate() {
            let pos = unit.pos();
            let previous = (pos.t > 0).then(|| &job.units[index - 1].receipt);
            self.check_unit(job, &tiling, index, pos, &unit.receipt, previous)?;
            if pos.t == 0 {
                product.push((pos, unit.receipt.clone()));
            } else {
                accumulate.push((pos, unit.receipt.clone()));
            }
        }
        let mut failures = Vec::new();
        for (verifier, units) in [(Some(&self.product), &product), (self.accumulate.as_ref(), &accumulate)] {
            if units.is_empty() {
                continue;
            }
            // Fail closed: receipts are never skipped for want of a key.
            let verifier = verifier
                .ok_or_else(|| VerifyError::JobKeyMismatch("accumulating units and no accumulating key".into()))?;
            let receipts: Vec<Receipt> = units.iter().map(|(_, r)| r.clone()).collect();
            match verifier.verify_batch(&receipts) {
                Ok(_) => {}
                Err(VerifyError::BatchFailed { failures: bad, .. }) => {
                    failures.extend(bad.into_iter().map(|(i, e)| (units[i].0, e)));
                }
                Err(e) => return Err(e),
            }
        }
        if !failures.is_empty() {
            failures.sort_by_key(|(pos, _)| *pos);
            return Err(VerifyError::UnitsRejected { failures });
        }
        Ok(VerifiedJob {
            statement_id: job_statement_id(job),
            shape: job.shape,
            unit: *self.product.key().unit(),
            units: job.units.len(),
            insecure_dev_setup: job.insecure_dev_setup,
        })
    }

    /// Parses (strictly) and verifies a job receipt's JSON.
    pub fn verify_gemm_job_json(&self, text: &str) -> Result<VerifiedJob> {
        self.verify_gemm_job(&JobReceipt::from_json(text)?)
    }

    /// The buyer's check of the data: `a` and `b` have the job's shape and their tile
    /// digests are the job's (so the job is about the inputs the buyer sent), and, when
    /// given, so are the received `c`'s (so it is the output the job proves). A job
    /// receipt only proves that *its* C tiles are the product of *its* A and B tiles.
    pub fn check_job_data(
        &self,
        job: &JobReceipt,
        a: Option<&Matrix<i8>>,
        b: Option<&Matrix<i8>>,
        c: Option<&Matrix<i32>>,
    ) -> Result<()> {
        let tiling = self.tiling(job)?;
        let (i_tiles, t_tiles, j_tiles) = tiling.grid();
        let s = job.shape;
        let shape_of = |name: &str, rows: usize, cols: usize, want: (usize, usize)| {
            if (rows, cols) != want {
                return Err(VerifyError::DataShapeMismatch(format!(
                    "{name} is {rows}x{cols} but the {s} job's {name} is {}x{}",
                    want.0, want.1
                )));
            }
            Ok(())
        };
        // The job's grids are checked as verification checks them, so that a job that
        // was never verified cannot pass by carrying short rows.
        Self::check_grids(job, &tiling)?;
        let tile_note = |r: usize, col: usize, d: &MatrixDigest| format!("{d} (tile ({r}, {col}))");
        for (name, matrix, want, grid, rows, cols) in
            [("A", a, (s.m, s.k), &job.a_tiles, i_tiles, t_tiles), ("B", b, (s.k, s.n), &job.b_tiles, t_tiles, j_tiles)]
        {
            let Some(matrix) = matrix else { continue };
            shape_of(name, matrix.rows(), matrix.cols(), want)?;
            if let Some((r, col, expected, found)) = first_difference(grid, &tiling.tile_digests(matrix, rows, cols)) {
                return Err(VerifyError::InputMismatch {
                    input: name,
                    expected: tile_note(r, col, expected),
                    found: found.to_string(),
                });
            }
        }
        if let Some(c) = c {
            shape_of("C", c.rows(), c.cols(), (s.m, s.n))?;
            if let Some((r, col, expected, found)) =
                first_difference(&job.c_tiles, &tiling.tile_digests(c, i_tiles, j_tiles))
            {
                return Err(VerifyError::OutputMismatch {
                    expected: tile_note(r, col, expected),
                    found: found.to_string(),
                });
            }
        }
        Ok(())
    }

    /// A buyer's whole check: the job verifies, then its data is the buyer's
    /// ([`Self::check_job_data`] with A and B required). A forged job is rejected as
    /// such before any data is compared.
    pub fn verify_gemm_job_with_data(
        &self,
        job: &JobReceipt,
        a: &Matrix<i8>,
        b: &Matrix<i8>,
        c: Option<&Matrix<i32>>,
    ) -> Result<VerifiedJob> {
        let verified = self.verify_gemm_job(job)?;
        self.check_job_data(job, Some(a), Some(b), c)?;
        Ok(verified)
    }
}
