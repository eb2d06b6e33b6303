//! Jobs of any size: an int8 GEMM `C (M×N, int32) = A (M×K) · B (K×N)` cut into
//! standard units of one catalog size CU-n, and the job receipt that ties their
//! receipts back into one verifiable result (DESIGN §10).
//!
//! **Tiling.** M, K and N are padded with zeros up to multiples of n (zeros change no
//! product); `I = ⌈M/n⌉`, `T = ⌈K/n⌉`, `J = ⌈N/n⌉`. Tile `(i, t)` of A holds rows
//! `i·n … i·n + n − 1` and columns `t·n …` of the padded A; likewise `(t, j)` of B and
//! `(i, j)` of C. A tile's digest is the ordinary matrix digest of the padded n×n tile.
//!
//! **Chains.** For every output tile `(i, j)`: `C¹ = A_i0·B_0j` is a compute unit, and
//! `Cᵗ⁺¹ = Cᵗ + A_it·B_tj` for `t = 1 … T − 1` is an accumulating unit; the last partial
//! sum is C's tile. Units are ordered `(i, j, t)` lexicographically, so a chain's steps
//! are adjacent and in order. Every partial sum stays inside int32 because the padded
//! inner dimension `T·n` is at most 2^17 − 1, which [`Tiling::new`] enforces (padding
//! counts: see `teraproof_circuits::accumulate`).

use serde::{Deserialize, Serialize};

use crate::digest::{digest_matrix, MatrixDigest};
use crate::error::{CoreError, Result};
use crate::json::short_message;
use crate::matrix::{Element, Matrix};
use crate::prelude::*;
use crate::receipt::Receipt;
use crate::spec::{UnitSpec, MAX_K};

/// The job receipt format version this library writes and reads.
pub const JOB_RECEIPT_VERSION: u64 = 1;

/// The largest number of units a job may have: a guard against shapes whose receipt no
/// machine could hold (a unit receipt is about 1 KB).
pub const MAX_JOB_UNITS: u64 = 1 << 22;

/// A GEMM's shape: `C (m×n) = A (m×k) · B (k×n)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct GemmShape {
    /// rows of A and C
    pub m: usize,
    /// columns of A, rows of B
    pub k: usize,
    /// columns of B and C
    pub n: usize,
}

impl GemmShape {
    /// A validated shape: every dimension at least 1, `k ≤ 2^17 − 1` (int32 exact), `m`
    /// and `n` at most 2^20.
    pub fn new(m: usize, k: usize, n: usize) -> Result<Self> {
        // The same bounds as a unit's, with the same messages.
        UnitSpec::new(m, k, n)?;
        Ok(Self { m, k, n })
    }

    /// `2·m·k·n`.
    pub fn ops(&self) -> u64 {
        2 * self.m as u64 * self.k as u64 * self.n as u64
    }
}

impl core::fmt::Display for GemmShape {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}x{}x{}", self.m, self.k, self.n)
    }
}

impl core::str::FromStr for GemmShape {
    type Err = CoreError;

    /// Parses `MxKxN`, plain decimals.
    fn from_str(text: &str) -> Result<Self> {
        let spec: UnitSpec = format!("mm-i8-{text}").parse().map_err(|e| match e {
            CoreError::InvalidUnitId { reason, .. } => CoreError::InvalidJob(format!(
                "cannot parse the shape {:?}: {reason} (expected MxKxN, e.g. 256x256x256)",
                crate::json::cut(text, 80)
            )),
            other => other,
        })?;
        Ok(Self { m: spec.m(), k: spec.k(), n: spec.n() })
    }
}

impl<'de> Deserialize<'de> for GemmShape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(expecting = "a GEMM shape (an object with m, k, n)")]
        #[serde(deny_unknown_fields)]
        struct Raw {
            m: usize,
            k: usize,
            n: usize,
        }
        let raw = Raw::deserialize(d)?;
        GemmShape::new(raw.m, raw.k, raw.n).map_err(serde::de::Error::custom)
    }
}

/// What one unit of a job must prove: the digests its receipt has to carry, as
/// the job's tiling and partial sums determine them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitStatement {
    /// digest of the A tile
    pub da: MatrixDigest,
    /// digest of the B tile
    pub db: MatrixDigest,
    /// digest of the partial sum it starts from (none for a chain's first step)
    pub dcin: Option<MatrixDigest>,
    /// digest of the partial sum (or, last in its chain, the C tile) it produces
    pub dc: MatrixDigest,
}

impl UnitStatement {
    /// Whether `receipt` claims exactly this statement (its proof is not checked).
    pub fn is_claimed_by(&self, receipt: &crate::Receipt) -> bool {
        receipt.da == self.da && receipt.db == self.db && receipt.dcin == self.dcin && receipt.dc == self.dc
    }
}

/// Where a unit sits in a job: output tile `(i, j)`, step `t` of its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(expecting = "a tile position (an object)")]
pub struct TilePos {
    /// row tile
    pub i: usize,
    /// column tile
    pub j: usize,
    /// step of the chain (the K tile)
    pub t: usize,
}

impl core::fmt::Display for TilePos {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "({}, {}, {})", self.i, self.j, self.t)
    }
}

/// A GEMM cut into square units of side `tile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    shape: GemmShape,
    tile: usize,
    i_tiles: usize,
    t_tiles: usize,
    j_tiles: usize,
}

impl Tiling {
    /// The tiling of `shape` by the square unit `unit` (CU-n); refused when the unit is
    /// not square or the job would have more than [`MAX_JOB_UNITS`] units.
    pub fn new(shape: GemmShape, unit: &UnitSpec) -> Result<Self> {
        let tile = unit.m();
        if unit.k() != tile || unit.n() != tile {
            return Err(CoreError::InvalidJob(format!("jobs are cut into square units CU-n, not {unit}")));
        }
        let (i_tiles, t_tiles, j_tiles) = (shape.m.div_ceil(tile), shape.k.div_ceil(tile), shape.n.div_ceil(tile));
        // Every partial sum adds T·n products, padding included (only a buyer can see
        // that padding is zero), so T·n must keep int32 exact.
        if t_tiles * tile > MAX_K {
            return Err(CoreError::InvalidJob(format!(
                "K = {} pads to {} on CU-{tile}, more than {MAX_K}: every chain's partial sums must stay inside \
                 int32 with padding counted; on this unit K may be at most {}",
                shape.k,
                t_tiles * tile,
                (MAX_K / tile) * tile
            )));
        }
        let units = i_tiles as u64 * t_tiles as u64 * j_tiles as u64;
        if units > MAX_JOB_UNITS {
            return Err(CoreError::InvalidJob(format!(
                "a {shape} job on CU-{tile} has {units} units, more than the {MAX_JOB_UNITS} a job may have; use a \
                 larger unit"
            )));
        }
        Ok(Self { shape, tile, i_tiles, t_tiles, j_tiles })
    }

    /// The job's shape.
    pub fn shape(&self) -> GemmShape {
        self.shape
    }
    /// The unit's side n.
    pub fn tile(&self) -> usize {
        self.tile
    }
    /// The unit, CU-n.
    pub fn unit(&self) -> UnitSpec {
        UnitSpec::square(self.tile).expect("validated when the tiling was made")
    }
    /// `(I, T, J)`: row tiles, inner tiles (chain length), column tiles.
    pub fn grid(&self) -> (usize, usize, usize) {
        (self.i_tiles, self.t_tiles, self.j_tiles)
    }
    /// `I·J·T`.
    pub fn units(&self) -> usize {
        self.i_tiles * self.j_tiles * self.t_tiles
    }
    /// Output tiles (chains), `I·J`.
    pub fn chains(&self) -> usize {
        self.i_tiles * self.j_tiles
    }
    /// The unit positions in job order: `(i, j, t)` lexicographically.
    pub fn positions(&self) -> impl Iterator<Item = TilePos> + '_ {
        (0..self.i_tiles)
            .flat_map(move |i| (0..self.j_tiles).flat_map(move |j| (0..self.t_tiles).map(move |t| TilePos { i, j, t })))
    }
    /// The index of `pos` in job order.
    pub fn index_of(&self, pos: TilePos) -> usize {
        (pos.i * self.j_tiles + pos.j) * self.t_tiles + pos.t
    }
    /// Whether `pos` is a position of this job.
    pub fn contains(&self, pos: TilePos) -> bool {
        pos.i < self.i_tiles && pos.j < self.j_tiles && pos.t < self.t_tiles
    }

    /// Tile `(row, col)` of `matrix`, zero padded to n×n. The matrix must have the
    /// dimensions the caller's role gives it (checked by [`Tiling::check_shapes`]).
    pub fn tile_of<T: Element>(&self, matrix: &Matrix<T>, row: usize, col: usize) -> Matrix<T> {
        let n = self.tile;
        let (r0, c0) = (row * n, col * n);
        let mut data = vec![T::default(); n * n];
        let rows = matrix.rows().saturating_sub(r0).min(n);
        let cols = matrix.cols().saturating_sub(c0).min(n);
        for i in 0..rows {
            let src = &matrix.data()[(r0 + i) * matrix.cols() + c0..][..cols];
            data[i * n..i * n + cols].copy_from_slice(src);
        }
        Matrix::new(n, n, data).expect("n×n")
    }

    /// The digests of every tile of `matrix` in a `rows × cols` grid of tiles, row major.
    pub fn tile_digests<T: Element>(&self, matrix: &Matrix<T>, rows: usize, cols: usize) -> Vec<Vec<MatrixDigest>> {
        let digest_row = |r: usize| (0..cols).map(|c| digest_matrix(&self.tile_of(matrix, r, c))).collect();
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            (0..rows).into_par_iter().map(digest_row).collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            (0..rows).map(digest_row).collect()
        }
    }

    /// A (M×K), B (K×N) and, when given, C (M×N) have the job's shape.
    pub fn check_shapes(&self, a: &Matrix<i8>, b: &Matrix<i8>, c: Option<&Matrix<i32>>) -> Result<()> {
        let s = self.shape;
        let mut found = vec![("A", (a.rows(), a.cols()), (s.m, s.k)), ("B", (b.rows(), b.cols()), (s.k, s.n))];
        if let Some(c) = c {
            found.push(("C", (c.rows(), c.cols()), (s.m, s.n)));
        }
        for (name, got, want) in found {
            if got != want {
                return Err(CoreError::InvalidJob(format!(
                    "{name} is {}x{} but a {} job needs it {}x{}",
                    got.0, got.1, s, want.0, want.1
                )));
            }
        }
        Ok(())
    }
}

/// The verifying keys a job's units were proven with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(expecting = "the job's key ids (an object)")]
#[serde(deny_unknown_fields)]
pub struct JobKeys {
    /// the compute unit's vk id (chain steps t = 0)
    pub product: String,
    /// the accumulating unit's vk id (steps t ≥ 1); absent when every chain has one step
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accumulate: Option<String>,
}

/// One unit of a job: its position and its receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a job unit (an object)")]
#[serde(deny_unknown_fields)]
pub struct JobUnit {
    /// row tile
    pub i: usize,
    /// column tile
    pub j: usize,
    /// chain step
    pub t: usize,
    /// the unit's receipt
    pub receipt: Receipt,
}

impl JobUnit {
    /// The unit's position.
    pub fn pos(&self) -> TilePos {
        TilePos { i: self.i, j: self.j, t: self.t }
    }
}

/// A job receipt: the shape, the unit, the keys, the tile digests of A (I×T), B (T×J)
/// and C (I×J), and every unit receipt in job order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a job receipt (a JSON object)")]
#[serde(deny_unknown_fields)]
pub struct JobReceipt {
    /// format version, [`JOB_RECEIPT_VERSION`]
    pub version: u64,
    /// the GEMM's shape
    pub shape: GemmShape,
    /// the compute unit's id, `mm-i8-n×n×n`
    pub unit: String,
    /// `2·M·K·N` of the job itself (padding not counted)
    pub ops: u64,
    /// the keys' ids
    pub keys: JobKeys,
    /// true when the keys came from a development setup
    pub insecure_dev_setup: bool,
    /// digests of A's padded tiles, `I` rows of `T`
    pub a_tiles: Vec<Vec<MatrixDigest>>,
    /// digests of B's padded tiles, `T` rows of `J`
    pub b_tiles: Vec<Vec<MatrixDigest>>,
    /// digests of C's padded tiles, `I` rows of `J`
    pub c_tiles: Vec<Vec<MatrixDigest>>,
    /// every unit, ordered `(i, j, t)`
    pub units: Vec<JobUnit>,
}

impl JobReceipt {
    /// Parses a job receipt: version first, no repeated keys anywhere, digests
    /// canonical (never reduced), every unit receipt as strict as [`Receipt::from_json`].
    pub fn from_json(text: &str) -> Result<Self> {
        let value = crate::receipt::parse_versioned(text, JOB_RECEIPT_VERSION, "job receipt: ")?;
        // Unit receipts through their own parser, so that each gets its typed errors.
        if let Some(units) = value.get("units").and_then(|u| u.as_array()) {
            for (index, unit) in units.iter().enumerate() {
                if let Some(receipt) = unit.get("receipt") {
                    Receipt::from_json(&receipt.to_string()).map_err(|e| {
                        CoreError::MalformedReceipt(format!("job receipt: unit {index}: {}", short_message(e)))
                    })?;
                }
            }
        }
        serde_json::from_value(value)
            .map_err(|e| CoreError::MalformedReceipt(format!("job receipt: {}", short_message(e))))
    }

    /// Pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("job receipts serialise");
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_validated() {
        assert_eq!("200x300x170".parse::<GemmShape>().unwrap(), GemmShape { m: 200, k: 300, n: 170 });
        for bad in ["", "1x2", "0x1x1", "1x131072x1", "1x1x1x1", "a1x1x1", "01x1x1"] {
            assert!(bad.parse::<GemmShape>().is_err(), "{bad}");
        }
        assert!(GemmShape::new(1, MAX_K, 1).is_ok());
        assert!(serde_json::from_str::<GemmShape>(r#"{"m":1,"k":0,"n":1}"#).is_err());
    }

    #[test]
    fn tiling_pads_and_orders() {
        let shape = GemmShape::new(20, 17, 9).unwrap();
        let t = Tiling::new(shape, &UnitSpec::square(8).unwrap()).unwrap();
        assert_eq!(t.grid(), (3, 3, 2));
        assert_eq!(t.units(), 18);
        let positions: Vec<TilePos> = t.positions().collect();
        assert_eq!(positions.len(), 18);
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "lexicographic");
        assert!(positions.iter().enumerate().all(|(k, &p)| t.index_of(p) == k));
        let a = Matrix::<i8>::from_fn(20, 17, |i, j| (i * 17 + j) as i8).unwrap();
        let tile = t.tile_of(&a, 2, 2);
        assert_eq!(tile.get(0, 0), a.get(16, 16));
        assert_eq!(tile.get(3, 0), a.get(19, 16));
        assert_eq!(tile.get(0, 1), Some(0), "padded columns are zero");
        assert_eq!(tile.get(4, 0), Some(0), "padded rows are zero");
        assert!(Tiling::new(shape, &UnitSpec::new(8, 8, 4).unwrap()).is_err());
        let c = Matrix::<i32>::zeros(20, 9).unwrap();
        assert!(t.check_shapes(&a, &Matrix::zeros(17, 9).unwrap(), Some(&c)).is_ok());
        assert!(t.check_shapes(&a, &Matrix::zeros(9, 17).unwrap(), None).is_err());
    }

    #[test]
    fn a_k_that_pads_past_max_k_is_refused() {
        let unit = UnitSpec::square(64).unwrap();
        assert!(Tiling::new(GemmShape::new(1, 131_008, 1).unwrap(), &unit).is_ok());
        let e = Tiling::new(GemmShape::new(1, 131_009, 1).unwrap(), &unit).unwrap_err();
        assert!(e.to_string().contains("at most 131008"), "{e}");
        assert!(Tiling::new(GemmShape::new(1, MAX_K, 1).unwrap(), &UnitSpec::square(1).unwrap()).is_ok());
    }

    #[test]
    fn too_many_units_are_refused() {
        let shape = GemmShape::new(1 << 20, 1 << 16, 1 << 20).unwrap();
        assert!(matches!(Tiling::new(shape, &UnitSpec::square(16).unwrap()), Err(CoreError::InvalidJob(_))));
    }
}
