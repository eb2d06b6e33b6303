//! Row-major integer matrices and their JSON form
//! `{"dtype":"i8","rows":R,"cols":C,"data":[...]}`.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::prelude::*;

/// An element type a [`Matrix`] may hold.
pub trait Element:
    Copy + Send + Sync + Default + Serialize + Into<i64> + TryFrom<i64> + core::fmt::Debug + 'static
{
    /// The dtype name in JSON (`"i8"`, `"i32"`).
    const DTYPE: &'static str;
    /// The dtype code absorbed by the digest (DESIGN §3): 1 for int8, 4 for int32.
    const DIGEST_CODE: u64;
    /// Bits of the unsigned encoding `v + 2^(bits-1)`.
    const BITS: u32;
    /// Elements packed into one field element by the digest.
    const PER_FIELD_ELEMENT: usize;
}

impl Element for i8 {
    const DTYPE: &'static str = "i8";
    const DIGEST_CODE: u64 = 1;
    const BITS: u32 = 8;
    const PER_FIELD_ELEMENT: usize = 31;
}

impl Element for i32 {
    const DTYPE: &'static str = "i32";
    const DIGEST_CODE: u64 = 4;
    const BITS: u32 = 32;
    const PER_FIELD_ELEMENT: usize = 7;
}

/// A row-major matrix. The invariant `data.len() == rows * cols` (both ≥ 1) holds for
/// every value of this type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix<T: Element> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

fn check_shape(rows: usize, cols: usize) -> Result<usize> {
    if rows == 0 || cols == 0 {
        return Err(CoreError::InvalidMatrixShape { rows, cols, reason: "both dimensions must be at least 1" });
    }
    rows.checked_mul(cols).ok_or(CoreError::InvalidMatrixShape { rows, cols, reason: "rows × cols overflows" })
}

impl<T: Element> Matrix<T> {
    /// A matrix from row-major data; fails when the length is not `rows × cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<T>) -> Result<Self> {
        let expected = check_shape(rows, cols)?;
        if data.len() != expected {
            return Err(CoreError::WrongLength { rows, cols, expected, actual: data.len() });
        }
        Ok(Self { rows, cols, data })
    }

    /// A matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Result<Self> {
        let len = check_shape(rows, cols)?;
        Ok(Self { rows, cols, data: vec![T::default(); len] })
    }

    /// A matrix whose element `(i, j)` is `f(i, j)`.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> Result<Self> {
        let len = check_shape(rows, cols)?;
        let mut data = Vec::with_capacity(len);
        for i in 0..rows {
            for j in 0..cols {
                data.push(f(i, j));
            }
        }
        Ok(Self { rows, cols, data })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// The elements, row major.
    pub fn data(&self) -> &[T] {
        &self.data
    }
    /// Consumes the matrix, returning its row-major elements.
    pub fn into_data(self) -> Vec<T> {
        self.data
    }
    /// Element `(i, j)`, or `None` outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<T> {
        (i < self.rows && j < self.cols).then(|| self.data[i * self.cols + j])
    }
    /// Mutable element `(i, j)`, or `None` outside the matrix.
    pub fn get_mut(&mut self, i: usize, j: usize) -> Option<&mut T> {
        if i < self.rows && j < self.cols {
            Some(&mut self.data[i * self.cols + j])
        } else {
            None
        }
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&JsonMatrixOut { dtype: T::DTYPE, rows: self.rows, cols: self.cols, data: &self.data })
            .expect("serialising integers cannot fail")
    }

    /// Parses the JSON form, checking the dtype, the length and every element's range.
    pub fn from_json(text: &str) -> Result<Self> {
        AnyMatrix::from_json(text)?.into_typed::<T>()
    }
}

#[derive(Serialize)]
struct JsonMatrixOut<'a, T: Serialize> {
    dtype: &'static str,
    rows: usize,
    cols: usize,
    data: &'a [T],
}

/// How much of an unknown dtype name an error quotes back.
const QUOTED_DTYPE_CHARS: usize = 16;

#[derive(Deserialize)]
#[serde(expecting = "a matrix (an object with dtype, rows, cols, data)")]
#[serde(deny_unknown_fields)]
struct JsonMatrixIn {
    dtype: String,
    rows: usize,
    cols: usize,
    data: Elements,
}

/// A matrix's `data` as read: four bytes an element whatever the dtype (an int32 holds
/// every value either dtype accepts), instead of the eight a `Vec<i64>` would take,
/// since matrices from buyers and suppliers can be large. The first element outside
/// int32 is kept aside, with a 0 in its place, so that the dtype's range error can name
/// it once the shape is known.
struct Elements {
    values: Vec<i32>,
    first_outside_i32: Option<(usize, i64)>,
}

impl<'de> Deserialize<'de> for Elements {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        struct ElementsVisitor;
        impl<'de> serde::de::Visitor<'de> for ElementsVisitor {
            type Value = Elements;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a list of integers")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> core::result::Result<Elements, A::Error> {
                let mut values = Vec::new();
                let mut first_outside_i32 = None;
                while let Some(value) = seq.next_element::<i64>()? {
                    let narrowed = i32::try_from(value).unwrap_or_else(|_| {
                        first_outside_i32.get_or_insert((values.len(), value));
                        0
                    });
                    values.push(narrowed);
                }
                Ok(Elements { values, first_outside_i32 })
            }
        }
        deserializer.deserialize_seq(ElementsVisitor)
    }
}

/// A matrix of either dtype, as read from JSON when the dtype is not known in advance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyMatrix {
    /// int8 elements
    I8(Matrix<i8>),
    /// int32 elements
    I32(Matrix<i32>),
}

fn convert<T: Element>(raw: JsonMatrixIn) -> Result<Matrix<T>> {
    let expected = check_shape(raw.rows, raw.cols)?;
    let actual = raw.data.values.len();
    if actual != expected {
        return Err(CoreError::WrongLength { rows: raw.rows, cols: raw.cols, expected, actual });
    }
    let half = 1i64 << (T::BITS - 1);
    let outside = raw.data.first_outside_i32;
    let data = raw
        .data
        .values
        .iter()
        .enumerate()
        .map(|(index, &kept)| {
            // Every element before the first one outside int32 is as given.
            let value = match outside {
                Some((at, value)) if at == index => value,
                _ => i64::from(kept),
            };
            T::try_from(value).map_err(|_| CoreError::OutOfRange {
                index,
                row: index / raw.cols,
                col: index % raw.cols,
                value,
                dtype: T::DTYPE,
                min: -half,
                max: half - 1,
            })
        })
        .collect::<Result<Vec<T>>>()?;
    Ok(Matrix { rows: raw.rows, cols: raw.cols, data })
}

impl AnyMatrix {
    /// Parses the JSON form of a matrix of any supported dtype.
    pub fn from_json(text: &str) -> Result<Self> {
        crate::json::expect_object(text, "a matrix").map_err(CoreError::Json)?;
        let raw: JsonMatrixIn =
            serde_json::from_str(text).map_err(|e| CoreError::Json(crate::json::short_message(e)))?;
        match raw.dtype.as_str() {
            "i8" => Ok(AnyMatrix::I8(convert(raw)?)),
            "i32" => Ok(AnyMatrix::I32(convert(raw)?)),
            _ => Err(CoreError::UnknownDtype(crate::json::cut(&raw.dtype, QUOTED_DTYPE_CHARS))),
        }
    }

    /// The dtype name.
    pub fn dtype(&self) -> &'static str {
        match self {
            AnyMatrix::I8(_) => i8::DTYPE,
            AnyMatrix::I32(_) => i32::DTYPE,
        }
    }

    /// The matrix as dtype `T`, or [`CoreError::WrongDtype`].
    pub fn into_typed<T: Element>(self) -> Result<Matrix<T>> {
        let found = self.dtype();
        let boxed: Box<dyn core::any::Any> = match self {
            AnyMatrix::I8(m) => Box::new(m),
            AnyMatrix::I32(m) => Box::new(m),
        };
        boxed
            .downcast::<Matrix<T>>()
            .map(|m| *m)
            .map_err(|_| CoreError::WrongDtype { expected: T::DTYPE, found: found.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let m = Matrix::<i8>::new(2, 3, vec![-128, 0, 127, 1, -1, 5]).unwrap();
        let text = m.to_json();
        assert_eq!(text, r#"{"dtype":"i8","rows":2,"cols":3,"data":[-128,0,127,1,-1,5]}"#);
        assert_eq!(Matrix::<i8>::from_json(&text).unwrap(), m);
        let c = Matrix::<i32>::new(1, 2, vec![i32::MIN, i32::MAX]).unwrap();
        assert_eq!(Matrix::<i32>::from_json(&c.to_json()).unwrap(), c);
    }

    #[test]
    fn json_errors_say_what_is_wrong() {
        let e = Matrix::<i8>::from_json(r#"{"dtype":"i8","rows":2,"cols":2,"data":[1,2,3]}"#).unwrap_err();
        assert!(matches!(e, CoreError::WrongLength { expected: 4, actual: 3, .. }), "{e}");
        let e = Matrix::<i8>::from_json(r#"{"dtype":"i8","rows":1,"cols":2,"data":[1,128]}"#).unwrap_err();
        assert!(matches!(e, CoreError::OutOfRange { index: 1, value: 128, .. }), "{e}");
        assert!(e.to_string().contains("[-128, 127]"), "{e}");
        let e = Matrix::<i32>::from_json(r#"{"dtype":"i32","rows":1,"cols":1,"data":[2147483648]}"#).unwrap_err();
        assert!(matches!(e, CoreError::OutOfRange { .. }), "{e}");
        let e = Matrix::<i8>::from_json(r#"{"dtype":"f16","rows":1,"cols":1,"data":[1]}"#).unwrap_err();
        assert_eq!(e, CoreError::UnknownDtype("f16".into()));
        let long = format!(r#"{{"dtype":"{}","rows":1,"cols":1,"data":[1]}}"#, "x".repeat(100_000));
        assert_eq!(
            Matrix::<i8>::from_json(&long).unwrap_err(),
            CoreError::UnknownDtype(format!("{}…", "x".repeat(16)))
        );
        let e = Matrix::<i8>::from_json(r#"{"dtype":"i32","rows":1,"cols":1,"data":[1]}"#).unwrap_err();
        assert!(matches!(e, CoreError::WrongDtype { .. }), "{e}");
        let e = Matrix::<i8>::from_json(r#"{"dtype":"i8","rows":0,"cols":1,"data":[]}"#).unwrap_err();
        assert!(matches!(e, CoreError::InvalidMatrixShape { .. }), "{e}");
        let e = Matrix::<i8>::from_json(r#"{"dtype":"i8","rows":1,"cols":1,"data":[1.5]}"#).unwrap_err();
        assert!(matches!(e, CoreError::Json(_)), "{e}");
        let e =
            Matrix::<i8>::from_json(r#"{"dtype":"i8","rows":18446744073709551615,"cols":2,"data":[]}"#).unwrap_err();
        assert!(matches!(e, CoreError::InvalidMatrixShape { .. }), "{e}");
        assert!(Matrix::<i8>::from_json("not json").is_err());
        assert!(Matrix::<i8>::new(2, 2, vec![0; 3]).is_err());
    }

    #[test]
    fn the_first_element_out_of_range_is_named_even_beyond_int32() {
        let json = |dtype: &str, data: &str| format!(r#"{{"dtype":"{dtype}","rows":1,"cols":3,"data":{data}}}"#);
        let out_of_range = |e: CoreError| match e {
            CoreError::OutOfRange { index, value, .. } => (index, value),
            other => panic!("{other}"),
        };
        // An int8 error before an element outside int32, and one at it.
        let e = Matrix::<i8>::from_json(&json("i8", "[1,200,1099511627776]")).unwrap_err();
        assert_eq!(out_of_range(e), (1, 200));
        let e = Matrix::<i8>::from_json(&json("i8", "[1,-2,-1099511627776]")).unwrap_err();
        assert_eq!(out_of_range(e), (2, -1_099_511_627_776));
        // int32: the extremes pass, one past them is named, the later ones do not hide it.
        let ok = Matrix::<i32>::from_json(&json("i32", "[-2147483648,0,2147483647]")).unwrap();
        assert_eq!(ok.data(), &[i32::MIN, 0, i32::MAX]);
        let e = Matrix::<i32>::from_json(&json("i32", "[0,2147483648,9223372036854775807]")).unwrap_err();
        assert_eq!(out_of_range(e), (1, 2_147_483_648));
        let e = Matrix::<i32>::from_json(&json("i32", "[-9223372036854775808,0,0]")).unwrap_err();
        assert_eq!(out_of_range(e), (0, i64::MIN));
        // Not a list of integers.
        for data in ["\"1,2,3\"", "[[1],2,3]", "[1,2,null]", "[1,2,18446744073709551615]"] {
            let e = Matrix::<i32>::from_json(&json("i32", data)).unwrap_err();
            assert!(matches!(e, CoreError::Json(_)), "{data}: {e}");
        }
    }
}
