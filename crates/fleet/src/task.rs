//! A task: the stream entry naming a unit, and the unit's inputs in a compact binary
//! form. Both come from Redis, so both are parsed as untrusted input: every length,
//! tag and name checked, nothing assumed.
//!
//! The stream entry has exactly four fields: `v` (`1`), `job` (the job's statement id,
//! 64 lowercase hex digits), `unit` (the unit's index in job order, decimal) and `key`
//! (the id of the verifying key the unit must be proven under, 64 lowercase hex).
//!
//! The inputs (at [`crate::names::inputs`]) are, little-endian:
//!
//! ```text
//! "TPU1"  kind:u8 (0 compute unit, 1 accumulating)  n:u32  i:u32 j:u32 t:u32
//! A: n·n int8, row-major   B: n·n int8   Cin: n·n int32 (accumulating units only)
//! ```
//!
//! 2·n² + 4·n² bytes for an accumulating unit: 24 KiB at CU-64, against about 150 KiB
//! as JSON. The worker recomputes the unit's output from these, so the output is not
//! sent.

use teraproof_core::{Matrix, TilePos, UnitKind};

use crate::error::{FleetError, Result};

/// The stream entries' format version.
pub const TASK_VERSION: &str = "1";
const MAGIC: &[u8; 4] = b"TPU1";
const HEADER: usize = 4 + 1 + 4 * 4;
/// The largest unit a task may carry (CU-4096: 96 MiB of inputs); anything larger is
/// refused before a byte of it is interpreted.
pub const MAX_TILE: usize = 4096;
/// The most units a job has (the tiling's own limit).
pub const MAX_UNITS: usize = 1 << 22;

/// A stream entry: which unit of which job, under which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRef {
    /// the job's statement id
    pub job: String,
    /// the unit's index in job order
    pub unit: usize,
    /// the verifying key's id
    pub key: String,
}

fn is_hex_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn text<'a>(name: &str, value: &'a [u8]) -> Result<&'a str> {
    let s = std::str::from_utf8(value).map_err(|_| FleetError::BadTask(format!("field {name} is not UTF-8 text")))?;
    Ok(s)
}

/// Cuts text from outside to a length fit for a message.
pub(crate) fn shown(bytes: &[u8]) -> String {
    shown_up_to(bytes, 40)
}

/// [`shown`] with room for `n` characters.
pub(crate) fn shown_up_to(bytes: &[u8], n: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    let mut out: String = s.chars().take(n).map(|c| if c.is_control() { '?' } else { c }).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

impl TaskRef {
    /// The entry's fields, for XADD.
    pub fn fields(&self) -> [(&'static str, String); 4] {
        [
            ("v", TASK_VERSION.into()),
            ("job", self.job.clone()),
            ("unit", self.unit.to_string()),
            ("key", self.key.clone()),
        ]
    }

    /// Parses an entry's fields strictly: exactly `v`, `job`, `unit`, `key`, once each.
    pub fn parse(fields: &[(Vec<u8>, Vec<u8>)]) -> Result<Self> {
        let (mut v, mut job, mut unit, mut key) = (None, None, None, None);
        for (name, value) in fields {
            let slot = match name.as_slice() {
                b"v" => &mut v,
                b"job" => &mut job,
                b"unit" => &mut unit,
                b"key" => &mut key,
                other => return Err(FleetError::BadTask(format!("unknown field \"{}\"", shown(other)))),
            };
            if slot.replace(value.as_slice()).is_some() {
                return Err(FleetError::BadTask(format!("field {} given twice", shown(name))));
            }
        }
        let missing = |n: &str| FleetError::BadTask(format!("field {n} is missing"));
        let v = text("v", v.ok_or_else(|| missing("v"))?)?;
        if v != TASK_VERSION {
            return Err(FleetError::BadTask(format!(
                "task format version \"{}\"; this worker reads version {TASK_VERSION}",
                shown(v.as_bytes())
            )));
        }
        let job = text("job", job.ok_or_else(|| missing("job"))?)?;
        if !is_hex_id(job) {
            return Err(FleetError::BadTask(format!(
                "job \"{}\" is not a 64-digit lowercase hex id",
                shown(job.as_bytes())
            )));
        }
        let key = text("key", key.ok_or_else(|| missing("key"))?)?;
        if !is_hex_id(key) {
            return Err(FleetError::BadTask(format!(
                "key \"{}\" is not a 64-digit lowercase hex id",
                shown(key.as_bytes())
            )));
        }
        let unit_text = text("unit", unit.ok_or_else(|| missing("unit"))?)?;
        let unit = (!unit_text.is_empty() && unit_text.len() <= 8 && unit_text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| unit_text.parse::<usize>().ok())
            .flatten()
            .filter(|u| *u < MAX_UNITS)
            .ok_or_else(|| {
                FleetError::BadTask(format!(
                    "unit \"{}\" is not an index below {MAX_UNITS}",
                    shown(unit_text.as_bytes())
                ))
            })?;
        Ok(Self { job: job.into(), unit, key: key.into() })
    }
}

/// A unit's inputs as a task carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInputs {
    /// which circuit proves it
    pub kind: UnitKind,
    /// where it sits in its job
    pub pos: TilePos,
    /// the A tile, n×n
    pub a: Matrix<i8>,
    /// the B tile, n×n
    pub b: Matrix<i8>,
    /// the partial sum it starts from (accumulating units only), n×n
    pub cin: Option<Matrix<i32>>,
}

/// The size of the inputs of an `n`×`n` unit of `kind`, in bytes.
pub fn encoded_len(kind: UnitKind, n: usize) -> usize {
    HEADER + 2 * n * n + if kind == UnitKind::Accumulate { 4 * n * n } else { 0 }
}

impl UnitInputs {
    /// The tile size n.
    pub fn tile(&self) -> usize {
        self.a.rows()
    }

    /// The binary form.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.tile();
        let mut out = Vec::with_capacity(encoded_len(self.kind, n));
        out.extend_from_slice(MAGIC);
        out.push(match self.kind {
            UnitKind::Product => 0,
            UnitKind::Accumulate => 1,
        });
        for x in [n, self.pos.i, self.pos.j, self.pos.t] {
            out.extend_from_slice(&(x as u32).to_le_bytes());
        }
        out.extend(self.a.data().iter().map(|&x| x as u8));
        out.extend(self.b.data().iter().map(|&x| x as u8));
        if let Some(cin) = &self.cin {
            for x in cin.data() {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    /// Parses the binary form, checking the tag, the kind, the size and the exact length.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| FleetError::BadTask(format!("unit inputs: {why}"));
        if bytes.len() < HEADER {
            return Err(bad(format!("{} bytes, shorter than the {HEADER}-byte header", bytes.len())));
        }
        if &bytes[..4] != MAGIC {
            return Err(bad(format!("they start with \"{}\", not TPU1", shown(&bytes[..4]))));
        }
        let kind = match bytes[4] {
            0 => UnitKind::Product,
            1 => UnitKind::Accumulate,
            k => return Err(bad(format!("unknown unit kind {k}"))),
        };
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes")) as usize;
        let (n, i, j, t) = (word(5), word(9), word(13), word(17));
        if n == 0 || n > MAX_TILE {
            return Err(bad(format!("tile size {n} is not between 1 and {MAX_TILE}")));
        }
        if (kind == UnitKind::Product) != (t == 0) {
            return Err(bad(format!("a {} at chain step {t}: only step 0 is a compute unit", kind_name(kind))));
        }
        let want = encoded_len(kind, n);
        if bytes.len() != want {
            return Err(bad(format!("{} bytes; a {} of tile {n} has {want}", bytes.len(), kind_name(kind))));
        }
        let nn = n * n;
        let body = &bytes[HEADER..];
        let a = Matrix::new(n, n, body[..nn].iter().map(|&x| x as i8).collect())?;
        let b = Matrix::new(n, n, body[nn..2 * nn].iter().map(|&x| x as i8).collect())?;
        let cin = (kind == UnitKind::Accumulate)
            .then(|| {
                let words =
                    body[2 * nn..].chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().expect("four bytes")));
                Matrix::new(n, n, words.collect())
            })
            .transpose()?;
        Ok(Self { kind, pos: TilePos { i, j, t }, a, b, cin })
    }
}

fn kind_name(kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::Product => "compute unit",
        UnitKind::Accumulate => "accumulating unit",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        pairs.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect()
    }

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn task_refs_round_trip_and_bad_ones_are_named() {
        let task = TaskRef { job: ID.into(), unit: 17, key: ID.into() };
        let f: Vec<(Vec<u8>, Vec<u8>)> =
            task.fields().iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
        assert_eq!(TaskRef::parse(&f).unwrap(), task);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("v", "1"), ("job", ID), ("unit", "1")], "key is missing"),
            (&[("v", "2"), ("job", ID), ("unit", "1"), ("key", ID)], "version"),
            (&[("v", "1"), ("job", "xyz"), ("unit", "1"), ("key", ID)], "not a 64-digit"),
            (&[("v", "1"), ("job", &ID.to_uppercase()), ("unit", "1"), ("key", ID)], "not a 64-digit"),
            (&[("v", "1"), ("job", ID), ("unit", "-1"), ("key", ID)], "not an index"),
            (&[("v", "1"), ("job", ID), ("unit", "99999999"), ("key", ID)], "not an index"),
            (&[("v", "1"), ("job", ID), ("unit", ""), ("key", ID)], "not an index"),
            (&[("v", "1"), ("job", ID), ("unit", "1"), ("key", ID), ("extra", "x")], "unknown field"),
            (&[("v", "1"), ("job", ID), ("unit", "1"), ("unit", "2"), ("key", ID)], "twice"),
        ];
        for (pairs, why) in cases {
            let e = TaskRef::parse(&fields(pairs)).unwrap_err().to_string();
            assert!(e.contains(why), "{pairs:?}: {e}");
        }
        let binary = vec![(b"v".to_vec(), vec![0xff, 0xfe])];
        assert!(TaskRef::parse(&binary).unwrap_err().to_string().contains("not UTF-8"));
    }

    fn inputs(kind: UnitKind, n: usize) -> UnitInputs {
        let a = Matrix::new(n, n, (0..n * n).map(|x| (x as i32 * 37 % 256 - 128) as i8).collect()).unwrap();
        let b = Matrix::new(n, n, (0..n * n).map(|x| (x as i32 * 11 % 256 - 128) as i8).collect()).unwrap();
        let cin = (kind == UnitKind::Accumulate)
            .then(|| Matrix::new(n, n, (0..n * n).map(|x| i32::MIN + x as i32 * 7919).collect()).unwrap());
        let t = usize::from(kind == UnitKind::Accumulate) * 3;
        UnitInputs { kind, pos: TilePos { i: 1, j: 2, t }, a, b, cin }
    }

    #[test]
    fn inputs_round_trip() {
        for kind in [UnitKind::Product, UnitKind::Accumulate] {
            for n in [1, 3, 16] {
                let x = inputs(kind, n);
                let bytes = x.encode();
                assert_eq!(bytes.len(), encoded_len(kind, n));
                assert_eq!(UnitInputs::decode(&bytes).unwrap(), x);
            }
        }
    }

    #[test]
    fn bad_inputs_are_refused_with_a_reason() {
        let good = inputs(UnitKind::Accumulate, 4).encode();
        let mut cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..10].to_vec(), "shorter than"),
            (good[..good.len() - 1].to_vec(), "bytes; a accumulating unit"),
            ([good.as_slice(), &[0]].concat(), "bytes; a accumulating unit"),
        ];
        let mut magic = good.clone();
        magic[0] = b'X';
        cases.push((magic, "not TPU1"));
        let mut kind = good.clone();
        kind[4] = 7;
        cases.push((kind, "unknown unit kind"));
        let mut step = good.clone();
        step[17..21].copy_from_slice(&0u32.to_le_bytes());
        cases.push((step, "only step 0"));
        let mut huge = good.clone();
        huge[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        cases.push((huge, "not between"));
        let mut zero = good.clone();
        zero[5..9].copy_from_slice(&0u32.to_le_bytes());
        cases.push((zero, "not between"));
        for (bytes, why) in cases {
            let e = UnitInputs::decode(&bytes).unwrap_err().to_string();
            assert!(e.contains(why), "{why}: {e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn decoding_anything_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = UnitInputs::decode(&bytes);
        }

        #[test]
        fn parsing_any_fields_never_panics(
            fields in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        proptest::strategy::Just(b"v".to_vec()),
                        proptest::strategy::Just(b"job".to_vec()),
                        proptest::strategy::Just(b"unit".to_vec()),
                        proptest::strategy::Just(b"key".to_vec()),
                        proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8),
                    ],
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
                ),
                0..6,
            )
        ) {
            let _ = TaskRef::parse(&fields);
        }
    }
}
