//! The compute unit: an int8 matrix product of a fixed shape.
//!
//! `C (m×n, int32) = A (m×k, int8) · B (k×n, int8)`, row major, exact integer
//! arithmetic. The inner dimension is capped at [`MAX_K`] so that no int32 entry can
//! overflow; the GPU, the CPU and the field then agree exactly.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::prelude::*;

/// The largest inner dimension allowed: every int32 entry of C is exact.
///
/// Each product `a·b` of int8 values lies in `[-128·127, 2^14]` = `[-16256, 16384]`, so a
/// sum of `k` of them lies in `[-16256·k, 16384·k]`. For int32 we need
/// `16384·k ≤ 2^31 - 1`, i.e. `k ≤ 131071 = 2^17 - 1`.
pub const MAX_K: usize = (1 << 17) - 1;

/// The largest m or n accepted. Not a soundness bound (Freivalds is sound for any n
/// far below r) but a guard against shapes no machine could hold.
pub const MAX_MN: usize = 1 << 20;

/// Element types of a unit's inputs. Only int8 exists today; the enum keeps the id
/// format (`mm-{dtype}-…`) honest about what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitDtype {
    /// int8 inputs, int32 output.
    I8,
}

impl UnitDtype {
    fn as_str(self) -> &'static str {
        match self {
            UnitDtype::I8 => "i8",
        }
    }
}

/// The shape of a compute unit. Construct with [`UnitSpec::new`] (validated) or parse
/// an id such as `mm-i8-64x64x64` or `CU-64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct UnitSpec {
    m: usize,
    k: usize,
    n: usize,
    dtype: UnitDtype,
}

/// The standard catalog: the squares CU-64 … CU-512.
pub const CATALOG: [(&str, usize); 4] = [("CU-64", 64), ("CU-128", 128), ("CU-256", 256), ("CU-512", 512)];

impl UnitSpec {
    /// A validated int8 unit `C(m×n) = A(m×k)·B(k×n)`.
    pub fn new(m: usize, k: usize, n: usize) -> Result<Self> {
        let bad = |reason| Err(CoreError::InvalidShape { m, k, n, reason });
        if m == 0 || k == 0 || n == 0 {
            return bad("every dimension must be at least 1");
        }
        if k > MAX_K {
            return bad("k must be at most 131071 (2^17 - 1) so that int32 accumulation is exact");
        }
        if m > MAX_MN || n > MAX_MN {
            return bad("m and n must be at most 1048576 (2^20)");
        }
        Ok(Self { m, k, n, dtype: UnitDtype::I8 })
    }

    /// The catalog square unit CU-`n` (`n×n×n`).
    pub fn square(n: usize) -> Result<Self> {
        Self::new(n, n, n)
    }

    /// The standard catalog, smallest first.
    pub fn catalog() -> Vec<UnitSpec> {
        CATALOG.iter().map(|&(_, n)| Self { m: n, k: n, n, dtype: UnitDtype::I8 }).collect()
    }

    /// Rows of A and C.
    pub fn m(&self) -> usize {
        self.m
    }
    /// Columns of A, rows of B.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Columns of B and C.
    pub fn n(&self) -> usize {
        self.n
    }
    /// The input element type.
    pub fn dtype(&self) -> UnitDtype {
        self.dtype
    }

    /// Integer operations of the unit: `2·m·k·n` (one multiply and one add each).
    pub fn ops(&self) -> u64 {
        2 * self.m as u64 * self.k as u64 * self.n as u64
    }

    /// Bytes of input (A and B, one byte per element).
    pub fn input_bytes(&self) -> u64 {
        // In u64: on a 32-bit embedder m·k alone can exceed usize.
        self.m as u64 * self.k as u64 + self.k as u64 * self.n as u64
    }

    /// Bytes of output (C, four bytes per element).
    pub fn output_bytes(&self) -> u64 {
        4 * self.m as u64 * self.n as u64
    }

    /// The canonical id, `mm-i8-{m}x{k}x{n}`.
    pub fn id(&self) -> String {
        self.to_string()
    }

    /// The catalog name (`CU-64` …) when this unit is in the catalog.
    pub fn catalog_name(&self) -> Option<&'static str> {
        CATALOG.iter().find(|&&(_, n)| self.m == n && self.k == n && self.n == n).map(|&(name, _)| name)
    }
}

/// Which statement a unit's circuit proves about its shape: the compute unit
/// `C = A·B` (id `mm-i8-MxKxN`, public inputs `dA, dB, dC`) or the accumulating unit
/// `Cout = Cin + A·B` (id `mma-i8-MxKxN`, public inputs `dA, dB, dCin, dCout`) that
/// chains units into a job of any inner dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitKind {
    /// `C = A·B`
    Product,
    /// `Cout = Cin + A·B`
    Accumulate,
}

impl UnitKind {
    /// Both kinds, the compute unit first.
    pub const ALL: [UnitKind; 2] = [UnitKind::Product, UnitKind::Accumulate];

    /// The id prefix: `mm` or `mma`.
    pub fn prefix(self) -> &'static str {
        match self {
            UnitKind::Product => "mm",
            UnitKind::Accumulate => "mma",
        }
    }

    /// A short name for messages and file names: `product` or `accumulate`.
    pub fn name(self) -> &'static str {
        match self {
            UnitKind::Product => "product",
            UnitKind::Accumulate => "accumulate",
        }
    }

    /// How many public inputs the circuit takes (3 or 4 digests).
    pub fn public_inputs(self) -> usize {
        match self {
            UnitKind::Product => 3,
            UnitKind::Accumulate => 4,
        }
    }

    /// The public inputs' names, in circuit order.
    pub fn input_names(self) -> &'static [&'static str] {
        match self {
            UnitKind::Product => &["dA", "dB", "dC"],
            UnitKind::Accumulate => &["dA", "dB", "dCin", "dCout"],
        }
    }

    /// The id of this kind of unit of shape `spec`: `mm-i8-…` or `mma-i8-…`.
    pub fn unit_id(self, spec: &UnitSpec) -> String {
        match self {
            UnitKind::Product => spec.id(),
            UnitKind::Accumulate => format!("mma-{}-{}x{}x{}", spec.dtype.as_str(), spec.m, spec.k, spec.n),
        }
    }

    /// Parses a unit id of either kind. An accumulating id must be canonical
    /// (`mma-i8-MxKxN`); a compute-unit id is anything [`UnitSpec`] parses.
    pub fn parse_unit_id(id: &str) -> Result<(UnitKind, UnitSpec)> {
        match id.strip_prefix("mma-") {
            Some(rest) => {
                let spec: UnitSpec = format!("mm-{rest}").parse().map_err(|e| match e {
                    CoreError::InvalidUnitId { reason, .. } => invalid_id(id, reason),
                    other => other,
                })?;
                Ok((UnitKind::Accumulate, spec))
            }
            None => Ok((UnitKind::Product, id.parse()?)),
        }
    }
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for UnitSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mm-{}-{}x{}x{}", self.dtype.as_str(), self.m, self.k, self.n)
    }
}

/// At most this many characters of a unit id are quoted back in an error: the id may
/// come from a receipt, and a megabyte of it should not be echoed.
const QUOTED_ID_CHARS: usize = 80;

fn invalid_id(id: &str, reason: String) -> CoreError {
    CoreError::InvalidUnitId { id: crate::json::cut(id, QUOTED_ID_CHARS), reason }
}

fn parse_dim(id: &str, part: &str) -> Result<usize> {
    let shown = crate::json::cut(part, QUOTED_ID_CHARS);
    let err = |what: &str| invalid_id(id, format!("dimension {shown:?} {what}"));
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("is not a decimal number"));
    }
    if part.len() > 1 && part.starts_with('0') {
        return Err(err("has a leading zero"));
    }
    part.parse::<usize>().map_err(|_| err("is too large"))
}

impl FromStr for UnitSpec {
    type Err = CoreError;

    /// Parses `mm-i8-MxKxN` (canonical) or a catalog name `CU-n` or `cu-n` (any
    /// n ≥ 1). Dimensions must be plain decimals without leading zeros, so every
    /// unit has exactly one canonical id.
    fn from_str(id: &str) -> Result<Self> {
        let err = |reason: &str| invalid_id(id, reason.to_string());
        if let Some(rest) = id.strip_prefix("CU-").or_else(|| id.strip_prefix("cu-")) {
            let n = parse_dim(id, rest)?;
            return Self::square(n);
        }
        let rest = id.strip_prefix("mm-").ok_or_else(|| err("missing the \"mm-\" prefix"))?;
        let (dtype, dims) = rest.split_once('-').ok_or_else(|| err("missing the dtype"))?;
        if dtype != "i8" {
            return Err(err("only the dtype i8 is supported"));
        }
        let parts: Vec<&str> = dims.split('x').collect();
        if parts.len() != 3 {
            return Err(err("expected three dimensions MxKxN"));
        }
        let m = parse_dim(id, parts[0])?;
        let k = parse_dim(id, parts[1])?;
        let n = parse_dim(id, parts[2])?;
        Self::new(m, k, n)
    }
}

impl<'de> Deserialize<'de> for UnitSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            m: usize,
            k: usize,
            n: usize,
            dtype: UnitDtype,
        }
        let raw = Raw::deserialize(d)?;
        let spec = UnitSpec::new(raw.m, raw.k, raw.n).map_err(serde::de::Error::custom)?;
        match raw.dtype {
            UnitDtype::I8 => Ok(spec),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trip_and_catalog() {
        let u: UnitSpec = "mm-i8-3x5x7".parse().unwrap();
        assert_eq!((u.m(), u.k(), u.n()), (3, 5, 7));
        assert_eq!(u.id(), "mm-i8-3x5x7");
        assert_eq!(u.ops(), 2 * 3 * 5 * 7);
        assert_eq!(u.input_bytes(), 15 + 35);
        assert_eq!(u.output_bytes(), 4 * 21);
        let cu: UnitSpec = "CU-128".parse().unwrap();
        assert_eq!(cu.id(), "mm-i8-128x128x128");
        assert_eq!(cu.catalog_name(), Some("CU-128"));
        assert_eq!(UnitSpec::catalog().len(), 4);
        assert_eq!(UnitSpec::catalog()[3].id(), "mm-i8-512x512x512");
    }

    #[test]
    fn bad_ids_are_refused_with_reasons() {
        for bad in [
            "",
            "mm-i8-",
            "mm-i8-1x2",
            "mm-i8-1x2x3x4",
            "mm-i16-1x1x1",
            "mm-i8-0x1x1",
            "mm-i8-01x1x1",
            "mm-i8-+1x1x1",
            "mm-i8-1x1x-1",
            "mm-i8-1x131072x1",
            "mm-i8-99999999999999999999999x1x1",
            "CU-0",
            "CU-",
            "xx-i8-1x1x1",
            "mm-i8-1 x1x1",
        ] {
            let e = bad.parse::<UnitSpec>().unwrap_err();
            assert!(!e.to_string().is_empty(), "{bad}");
        }
        assert!("mm-i8-1x131071x1".parse::<UnitSpec>().is_ok());
    }

    #[test]
    fn a_long_bad_id_is_quoted_short() {
        for bad in [format!("mm-i8-{}x1x1", "9".repeat(5000)), format!("mm-i8-1x1x1{}", "\n".repeat(5000))] {
            let message = bad.parse::<UnitSpec>().unwrap_err().to_string();
            assert!(message.len() < 600 && !message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn sizes_are_exact_for_the_largest_shapes() {
        let u = UnitSpec::new(MAX_MN, MAX_K, MAX_MN).unwrap();
        assert_eq!(u.input_bytes(), 2 * (1u64 << 20) * MAX_K as u64);
        assert_eq!(u.output_bytes(), 4u64 << 40);
    }

    #[test]
    fn max_k_keeps_int32_exact() {
        assert!(16384i64 * MAX_K as i64 <= i32::MAX as i64);
        assert!(16384i64 * (MAX_K as i64 + 1) > i32::MAX as i64);
        assert!(-16256i64 * MAX_K as i64 >= i32::MIN as i64);
    }

    #[test]
    fn kinds_have_their_own_ids() {
        let spec = UnitSpec::new(3, 5, 7).unwrap();
        assert_eq!(UnitKind::Accumulate.unit_id(&spec), "mma-i8-3x5x7");
        assert_eq!(UnitKind::Product.unit_id(&spec), "mm-i8-3x5x7");
        assert_eq!(UnitKind::parse_unit_id("mma-i8-3x5x7").unwrap(), (UnitKind::Accumulate, spec));
        assert_eq!(UnitKind::parse_unit_id("mm-i8-3x5x7").unwrap(), (UnitKind::Product, spec));
        assert_eq!(UnitKind::parse_unit_id("CU-64").unwrap().0, UnitKind::Product);
        for bad in ["mma-CU-64", "mma-i8-0x1x1", "mma-", "mma-i8-1x131072x1", "mmb-i8-1x1x1"] {
            assert!(UnitKind::parse_unit_id(bad).is_err(), "{bad}");
        }
        let e = UnitKind::parse_unit_id("mma-i8-1x2").unwrap_err().to_string();
        assert!(e.contains("\"mma-i8-1x2\""), "{e}");
    }

    #[test]
    fn json_is_validated() {
        let u: UnitSpec = serde_json::from_str(r#"{"m":2,"k":3,"n":4,"dtype":"i8"}"#).unwrap();
        assert_eq!(u.id(), "mm-i8-2x3x4");
        assert!(serde_json::from_str::<UnitSpec>(r#"{"m":0,"k":3,"n":4,"dtype":"i8"}"#).is_err());
        assert!(serde_json::from_str::<UnitSpec>(r#"{"m":1,"k":3,"n":4,"dtype":"i4"}"#).is_err());
    }
}
