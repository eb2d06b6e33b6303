//! Canonical text and byte forms of BN254 scalar-field elements.
//!
//! Inputs from outside (receipts, JSON, the command line) are parsed strictly: plain
//! decimal digits, no sign, no leading zeros, and a value below the field modulus r.
//! Nothing here reduces modulo r; `Fr::from_str` does, which would let `x` and `x + r`
//! name the same element.

use ark_ff::{BigInteger, PrimeField};

pub use ark_bn254::Fr;

use crate::error::{CoreError, Result};
use crate::prelude::*;

/// The most decimal digits an element below a 254-bit modulus can have (r and q have 77).
const MAX_DIGITS: usize = 77;

fn invalid(value: &str, reason: &'static str) -> CoreError {
    CoreError::InvalidFieldElement { value: crate::json::cut(value, 100), reason }
}

/// Parses a canonical decimal representation of an element of Fr.
///
/// Refuses (never reduces) anything that is not `0` or a digit string without leading
/// zeros whose value is below r.
pub fn fr_from_decimal(text: &str) -> Result<Fr> {
    field_from_decimal::<Fr>(text)
}

/// [`fr_from_decimal`] for any prime field of at most 256 bits (e.g. BN254's base
/// field Fq, for curve coordinates): canonical decimal below the modulus, never reduced.
pub fn field_from_decimal<F: PrimeField<BigInt = ark_ff::BigInt<4>>>(text: &str) -> Result<F> {
    if text.is_empty() {
        return Err(invalid(text, "empty string"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(text, "only the decimal digits 0-9 are allowed (no sign, spaces or prefix)"));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(invalid(text, "leading zeros are not canonical"));
    }
    if text.len() > MAX_DIGITS {
        return Err(invalid(text, "not below the field modulus"));
    }
    let mut limbs = [0u64; 4];
    for digit in text.bytes().map(|b| (b - b'0') as u128) {
        let mut carry = digit;
        for limb in limbs.iter_mut() {
            let wide = (*limb as u128) * 10 + carry;
            *limb = wide as u64;
            carry = wide >> 64;
        }
        if carry != 0 {
            return Err(invalid(text, "not below the field modulus"));
        }
    }
    F::from_bigint(ark_ff::BigInt::new(limbs)).ok_or_else(|| invalid(text, "not below the field modulus"))
}

/// The canonical decimal representation of an element of Fr.
pub fn fr_to_decimal(x: &Fr) -> String {
    field_to_decimal(x)
}

/// The canonical decimal representation of an element of a 256-bit prime field.
pub fn field_to_decimal<F: PrimeField<BigInt = ark_ff::BigInt<4>>>(x: &F) -> String {
    let mut limbs = x.into_bigint().0;
    if limbs.iter().all(|&l| l == 0) {
        return "0".to_string();
    }
    // Repeated division by 10^19, the largest power of ten in a u64.
    const CHUNK: u64 = 10_000_000_000_000_000_000;
    let mut chunks = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem: u128 = 0;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 64) | *limb as u128;
            *limb = (cur / CHUNK as u128) as u64;
            rem = cur % CHUNK as u128;
        }
        chunks.push(rem as u64);
    }
    let mut out = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
    for c in chunks.iter().rev() {
        out.push_str(&format!("{c:019}"));
    }
    out
}

/// Big-endian canonical 32-byte form (as Solidity and snarkjs use).
pub fn fr_to_be_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// Interprets at most 31 big-endian bytes as an integer; always below r.
pub(crate) fn fr_from_short_be_bytes(bytes: &[u8]) -> Fr {
    assert!(bytes.len() <= 31, "constant tags are short");
    let mut le = [0u8; 32];
    for (dst, src) in le.iter_mut().zip(bytes.iter().rev()) {
        *dst = *src;
    }
    fr_from_le_u248(&le)
}

/// An element from 32 little-endian bytes whose top byte is zero (so the value is below
/// 2^248 < r and no reduction can happen).
pub(crate) fn fr_from_le_u248(le: &[u8; 32]) -> Fr {
    debug_assert_eq!(le[31], 0);
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        *limb = u64::from_le_bytes(le[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    }
    Fr::from_bigint(ark_ff::BigInt::new(limbs)).expect("values below 2^248 are below r")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{One, Zero};

    const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    const R_MINUS_1: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495616";

    #[test]
    fn decimal_round_trip() {
        assert_eq!(fr_to_decimal(&Fr::zero()), "0");
        assert_eq!(fr_to_decimal(&Fr::one()), "1");
        assert_eq!(fr_from_decimal("0").unwrap(), Fr::zero());
        let minus_one = -Fr::one();
        assert_eq!(fr_to_decimal(&minus_one), R_MINUS_1);
        assert_eq!(fr_from_decimal(R_MINUS_1).unwrap(), minus_one);
        for v in [1u64, 9, 10, 10_000_000_000_000_000_000, u64::MAX] {
            assert_eq!(fr_to_decimal(&Fr::from(v)), v.to_string());
            assert_eq!(fr_from_decimal(&v.to_string()).unwrap(), Fr::from(v));
        }
    }

    #[test]
    fn non_canonical_is_refused() {
        for bad in ["", "-1", "+1", "01", " 1", "1 ", "0x10", "1e3", R, &format!("{R}0")] {
            assert!(fr_from_decimal(bad).is_err(), "{bad:?} accepted");
        }
        // r + 1 would reduce to 1 under a lax parser.
        let r_plus_1 = "21888242871839275222246405745257275088548364400416034343698204186575808495618";
        assert!(fr_from_decimal(r_plus_1).is_err());
        assert!(fr_from_decimal(&"9".repeat(200)).is_err());
    }

    #[test]
    fn be_bytes() {
        let b = fr_to_be_bytes(&Fr::from(258u64));
        assert_eq!(&b[30..], &[1, 2]);
        assert!(b[..30].iter().all(|&x| x == 0));
        assert_eq!(fr_from_short_be_bytes(&[1, 2]), Fr::from(258u64));
    }
}
