//! The canonical matrix digest (DESIGN §3), a normative spec other tools reproduce.
//!
//! 1. Each element is encoded unsigned: int8 `v ↦ v + 128`, int32 `v ↦ v + 2^31`.
//! 2. Elements are packed row major, little endian, 31 int8 or 7 int32 per field
//!    element: `e = Σ_j u_j·2^(b·j)` with `b` the element width in bits.
//! 3. `h₀ = Poseidon(TAG_MATRIX, dtype, rows, cols)` with dtype 1 (int8) or 4 (int32).
//! 4. For each group of 11 packed elements (the last padded with zeros):
//!    `h ← Poseidon(h, e₀, …, e₁₀)`.
//! 5. The digest is the final `h`.
//!
//! Poseidon is circomlib's ([`crate::poseidon`](mod@crate::poseidon), equal to light-poseidon's `new_circom`).

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::field::{fr_from_decimal, fr_from_le_u248, fr_from_short_be_bytes, fr_to_decimal, Fr};
use crate::matrix::{Element, Matrix};
pub use crate::poseidon::poseidon;
use crate::prelude::*;

/// Packed field elements absorbed per chained Poseidon call.
pub const ABSORB_RATE: usize = 11;

/// `TAG_MATRIX`: the ASCII bytes `teraproof.matrix.v1` read as a big-endian integer.
pub fn tag_matrix() -> Fr {
    fr_from_short_be_bytes(b"teraproof.matrix.v1")
}

/// `TAG_FREIVALDS`: the ASCII bytes `teraproof.freivalds.v1` read as a big-endian integer.
pub fn tag_freivalds() -> Fr {
    fr_from_short_be_bytes(b"teraproof.freivalds.v1")
}

/// `TAG_ACCUMULATE`: the ASCII bytes `teraproof.accumulate.v1` read as a big-endian
/// integer; the accumulating unit's challenge tag, distinct from [`tag_freivalds`] so
/// that no challenge of one circuit is ever a challenge of the other.
pub fn tag_accumulate() -> Fr {
    fr_from_short_be_bytes(b"teraproof.accumulate.v1")
}

/// Step 1 and 2: the unsigned encodings of a run of at most `T::PER_FIELD_ELEMENT`
/// elements packed little endian into one field element.
pub fn pack_group<T: Element>(group: &[T]) -> Fr {
    assert!(group.len() <= T::PER_FIELD_ELEMENT, "a packing group holds at most {} elements", T::PER_FIELD_ELEMENT);
    let bytes_per = (T::BITS / 8) as usize;
    let offset = 1i64 << (T::BITS - 1);
    let mut le = [0u8; 32];
    for (j, &v) in group.iter().enumerate() {
        let u = (v.into() + offset) as u64;
        le[j * bytes_per..(j + 1) * bytes_per].copy_from_slice(&u.to_le_bytes()[..bytes_per]);
    }
    fr_from_le_u248(&le)
}

/// The packed field elements of a matrix, in order.
pub fn pack<T: Element>(data: &[T]) -> Vec<Fr> {
    data.chunks(T::PER_FIELD_ELEMENT).map(pack_group).collect()
}

/// Step 3: the initial state for a matrix of this dtype and shape.
pub fn header_state<T: Element>(rows: usize, cols: usize) -> Fr {
    poseidon(&[tag_matrix(), Fr::from(T::DIGEST_CODE), Fr::from(rows as u64), Fr::from(cols as u64)])
        .expect("four inputs are supported")
}

/// The digest of a matrix.
pub fn digest_matrix<T: Element>(matrix: &Matrix<T>) -> MatrixDigest {
    let mut h = header_state::<T>(matrix.rows(), matrix.cols());
    let packed = pack(matrix.data());
    let mut inputs = [Fr::from(0u64); ABSORB_RATE + 1];
    for group in packed.chunks(ABSORB_RATE) {
        inputs.fill(Fr::from(0u64));
        inputs[0] = h;
        inputs[1..=group.len()].copy_from_slice(group);
        h = poseidon(&inputs).expect("twelve inputs are supported");
    }
    MatrixDigest(h)
}

/// The Freivalds challenge `x = Poseidon(TAG_FREIVALDS, dA, dB, dC)` (DESIGN §4).
pub fn freivalds_challenge(da: &MatrixDigest, db: &MatrixDigest, dc: &MatrixDigest) -> Fr {
    poseidon(&[tag_freivalds(), da.0, db.0, dc.0]).expect("four inputs are supported")
}

/// A matrix digest: an element of Fr, written as a canonical decimal string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MatrixDigest(pub Fr);

impl MatrixDigest {
    /// The field element.
    pub fn to_fr(&self) -> Fr {
        self.0
    }
}

impl fmt::Display for MatrixDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fr_to_decimal(&self.0))
    }
}

impl FromStr for MatrixDigest {
    type Err = CoreError;
    /// Strict: canonical decimal below r, see [`fr_from_decimal`].
    fn from_str(s: &str) -> Result<Self> {
        fr_from_decimal(s).map(MatrixDigest)
    }
}

impl Serialize for MatrixDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for MatrixDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_is_little_endian_unsigned() {
        assert_eq!(pack_group::<i8>(&[-128]), Fr::from(0u64));
        assert_eq!(pack_group::<i8>(&[-127, -128, 127]), Fr::from(1u64 + (255u64 << 16)));
        assert_eq!(pack_group::<i32>(&[i32::MIN + 5, 0]), Fr::from(5u64 + (1u64 << 63)));
        assert_eq!(pack::<i8>(&[0i8; 32]).len(), 2);
        assert_eq!(pack::<i32>(&[0i32; 14]).len(), 2);
        // 31 elements of 127 = 255 in every byte: 2^248 - 1, still below r.
        let full = pack_group::<i8>(&[127i8; 31]);
        let expect: Fr = (0..31).fold(Fr::from(0u64), |acc, _| acc * Fr::from(256u64) + Fr::from(255u64));
        assert_eq!(full, expect);
    }

    #[test]
    fn digest_depends_on_shape_dtype_and_every_element() {
        let m = Matrix::<i8>::new(2, 2, vec![1, 2, 3, 4]).unwrap();
        let d = digest_matrix(&m);
        let t = Matrix::<i8>::new(1, 4, vec![1, 2, 3, 4]).unwrap();
        assert_ne!(d, digest_matrix(&t));
        let w = Matrix::<i32>::new(2, 2, vec![1, 2, 3, 4]).unwrap();
        assert_ne!(d, digest_matrix(&w));
        for i in 0..4 {
            let mut x = m.clone();
            *x.get_mut(i / 2, i % 2).unwrap() += 1;
            assert_ne!(d, digest_matrix(&x));
        }
    }

    #[test]
    fn digest_text_is_strict() {
        let d = digest_matrix(&Matrix::<i8>::new(1, 1, vec![0]).unwrap());
        let text = d.to_string();
        assert_eq!(text.parse::<MatrixDigest>().unwrap(), d);
        assert!(format!("0{text}").parse::<MatrixDigest>().is_err());
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<MatrixDigest>(&json).unwrap(), d);
    }

    #[test]
    fn tags() {
        // "teraproof.matrix.v1" = 0x746572617072…; check the leading and trailing bytes.
        let t = crate::field::fr_to_be_bytes(&tag_matrix());
        assert_eq!(&t[32 - 19..], b"teraproof.matrix.v1");
        assert!(t[..32 - 19].iter().all(|&b| b == 0));
        let f = crate::field::fr_to_be_bytes(&tag_freivalds());
        assert_eq!(&f[32 - 22..], b"teraproof.freivalds.v1");
        let a = crate::field::fr_to_be_bytes(&tag_accumulate());
        assert_eq!(&a[32 - 23..], b"teraproof.accumulate.v1");
        assert!(a[..32 - 23].iter().all(|&b| b == 0));
    }
}
