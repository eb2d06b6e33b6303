//! Range checks and packing (DESIGN §3 steps 1–2) as gadgets.
//!
//! An int8 element `v` is witnessed by eight booleans `b₀…b₇` with
//! `u = Σ 2^i·bᵢ = v + 128`, so `u ∈ [0, 255]` is enforced by the eight booleanity
//! constraints alone; the signed value `v = u − 128` and the packed field element
//! `e = Σ_j 2^(8j)·u_j` are then linear combinations of the bits and cost nothing.
//! Because every `u_j < 2^8`, the packing into 248 bits is injective, which is what
//! lets the digest bind A and B.
//!
//! The int32 matrix C is witnessed in one of two forms, chosen by the circuit:
//! - [`alloc_int32_words`]: only its packed words `e = Σ_j 2^(32j)·(c_j + 2^31)`, one
//!   variable per group of 7 elements. The compute-unit circuit uses this form and
//!   never names an element of C: its check reads C through the words alone.
//! - [`alloc_int32_matrix`]: one variable per element, packed linearly. The elements
//!   carry **no range check**, so the packing is *not* injective over field elements:
//!   `(c₀ + 2^32·s, c₁ − s)` packs like `(c₀, c₁)` for every `s`. It is sound only in a
//!   circuit that pins each element to a value inside int32 by other constraints (the
//!   textbook circuit sets `c_ij = Σ_k A_ik·B_kj` exactly). An earlier compute-unit
//!   circuit used this form with Freivalds over the elements, and a prover could pick
//!   elements after the challenge to pass it with a false C (see unit.rs).

use ark_ff::{Field, Zero};
use teraproof_core::Fr;

use crate::builder::{Builder, Expr};
use crate::error::Result;

/// `v` as a field element (negative values map to `r − |v|`).
pub fn fr_from_i64(v: i64) -> Fr {
    if v >= 0 {
        Fr::from(v as u64)
    } else {
        -Fr::from(v.unsigned_abs())
    }
}

pub(crate) fn pow2(i: u32) -> Fr {
    Fr::from(2u64).pow([i as u64])
}

/// The eight "bits" of `u = v + 128`, least significant first. For `v` in int8 these
/// are the binary digits; for a value outside int8 (only ever built by tests that
/// tamper with witnesses) the top "bit" absorbs the excess so that `Σ 2^i·bᵢ = u`
/// still holds and only the booleanity constraints can object.
pub fn int8_bit_values(v: i64) -> [Fr; 8] {
    // Widened so that no i64 a test builds can overflow; `u >> 7` fits an i64 again.
    let u = i128::from(v) + 128;
    let mut bits = [Fr::zero(); 8];
    for (i, bit) in bits.iter_mut().enumerate().take(7) {
        *bit = Fr::from(((u >> i) & 1) as u64);
    }
    bits[7] = fr_from_i64((u >> 7) as i64);
    bits
}

/// int8 elements allocated as bits: their signed values and packed field elements.
pub struct Int8Matrix {
    /// `v = Σ 2^i·bᵢ − 128` per element, row major.
    pub elements: Vec<Expr>,
    /// `Σ_j 2^(8j)·u_j` per group of 31 elements.
    pub packed: Vec<Expr>,
}

/// Allocates `len` int8 elements (values from `values` when proving) with
/// `8·len` booleanity constraints, and packs them.
pub fn alloc_int8_matrix(builder: &Builder, len: usize, values: Option<&[i64]>) -> Result<Int8Matrix> {
    let weights: Vec<Fr> = (0..8).map(pow2).collect();
    let mut elements = Vec::with_capacity(len);
    let mut bits_of = Vec::with_capacity(len);
    for idx in 0..len {
        let bit_values = values.map(|v| int8_bit_values(v[idx]));
        let bits = (0..8).map(|i| builder.boolean(bit_values.map(|b| b[i]))).collect::<Result<Vec<_>>>()?;
        let signed = Expr::weighted_sum(weights.iter().copied().zip(bits.iter())).add_const(-Fr::from(128u64));
        elements.push(signed);
        bits_of.push(bits);
    }
    let packed = bits_of
        .chunks(31)
        .map(|group| {
            Expr::weighted_sum(
                group
                    .iter()
                    .enumerate()
                    .flat_map(|(j, bits)| bits.iter().enumerate().map(move |(i, b)| (pow2((8 * j + i) as u32), b))),
            )
        })
        .collect();
    Ok(Int8Matrix { elements, packed })
}

/// int32 elements allocated as plain variables, and their packed field elements.
pub struct Int32Matrix {
    /// one variable per element, row major (empty when only the words are witnessed)
    pub elements: Vec<Expr>,
    /// `Σ_j 2^(32j)·(c_j + 2^31)` per group of 7 elements
    pub packed: Vec<Expr>,
}

/// The packed word of a group of int32 values: `Σ_j 2^(32j)·(c_j + 2^31)`. Values
/// outside int32 (built only by tests that tamper with witnesses) are encoded as field
/// elements without complaint.
pub fn int32_word(group: &[i64]) -> Fr {
    group.iter().enumerate().map(|(j, &c)| pow2(32 * j as u32) * (fr_from_i64(c) + pow2(31))).sum()
}

/// The constant `Σ_j 2^(32j)·2^31` that a group of `len` elements adds to its word.
pub fn int32_word_offset(len: usize) -> Fr {
    (0..len).map(|j| pow2(32 * j as u32) * pow2(31)).sum()
}

/// C as its packed words only: `⌈len/7⌉` witness variables, no constraints, and no
/// element variables (`elements` is empty). The words are bound by the digest; what a
/// word means is fixed by the verifier's own digest of the int32 output it receives.
pub fn alloc_int32_words(builder: &Builder, len: usize, values: Option<&[i64]>) -> Result<Int32Matrix> {
    let packed = (0..len.div_ceil(7))
        .map(|g| builder.witness(values.map(|v| int32_word(&v[7 * g..(7 * g + 7).min(len)]))))
        .collect::<Result<Vec<_>>>()?;
    Ok(Int32Matrix { elements: Vec::new(), packed })
}

/// Allocates `len` int32 elements (no constraints) and packs them. See the module
/// docs: sound only where other constraints pin every element inside int32.
pub fn alloc_int32_matrix(builder: &Builder, len: usize, values: Option<&[i64]>) -> Result<Int32Matrix> {
    let elements =
        (0..len).map(|idx| builder.witness(values.map(|v| fr_from_i64(v[idx])))).collect::<Result<Vec<_>>>()?;
    let packed = elements
        .chunks(7)
        .map(|group| {
            Expr::weighted_sum(group.iter().enumerate().map(|(j, c)| (pow2(32 * j as u32), c)))
                .add_const(int32_word_offset(group.len()))
        })
        .collect();
    Ok(Int32Matrix { elements, packed })
}
