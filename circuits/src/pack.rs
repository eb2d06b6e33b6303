//! Range checks and packing (DESIGN §3 steps 1–2) as gadgets.
//!
//! An int8 element `v` is witnessed by eight booleans `b₀…b₇` with
//! `u = Σ 2^i·bᵢ = v + 128`, so `u ∈ [0, 255]` is enforced by the eight booleanity
//! constraints alone; the signed value `v = u − 128` and the packed field element
//! `e = Σ_j 2^(8j)·u_j` are then linear combinations of the bits and cost nothing.
//! Because every `u_j < 2^8`, the packing into 248 bits is injective, which is what
//! lets the digest bind A and B.
//!
//! int32 elements of C are single variables with no range check (DESIGN §4 explains
//! why none is needed); their packing `Σ_j 2^(32j)·(c_j + 2^31)` is linear.

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

fn pow2(i: u32) -> Fr {
    Fr::from(2u64).pow([i as u64])
}

/// The eight "bits" of `u = v + 128`, least significant first. For `v` in int8 these
/// are the binary digits; for a value outside int8 (only ever built by tests that
/// tamper with witnesses) the top "bit" absorbs the excess so that `Σ 2^i·bᵢ = u`
/// still holds and only the booleanity constraints can object.
pub fn int8_bit_values(v: i64) -> [Fr; 8] {
    let u = v + 128;
    let mut bits = [Fr::zero(); 8];
    for (i, bit) in bits.iter_mut().enumerate().take(7) {
        *bit = Fr::from(((u >> i) & 1) as u64);
    }
    bits[7] = fr_from_i64(u >> 7);
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
    /// one variable per element, row major
    pub elements: Vec<Expr>,
    /// `Σ_j 2^(32j)·(c_j + 2^31)` per group of 7 elements
    pub packed: Vec<Expr>,
}

/// Allocates `len` int32 elements (no constraints) and packs them.
pub fn alloc_int32_matrix(builder: &Builder, len: usize, values: Option<&[i64]>) -> Result<Int32Matrix> {
    let elements =
        (0..len).map(|idx| builder.witness(values.map(|v| fr_from_i64(v[idx])))).collect::<Result<Vec<_>>>()?;
    let offset = pow2(31);
    let packed = elements
        .chunks(7)
        .map(|group| {
            let mut e = Expr::weighted_sum(group.iter().enumerate().map(|(j, c)| (pow2(32 * j as u32), c)));
            let shift: Fr = (0..group.len()).map(|j| pow2(32 * j as u32) * offset).sum();
            e = e.add_const(shift);
            e
        })
        .collect();
    Ok(Int32Matrix { elements, packed })
}
