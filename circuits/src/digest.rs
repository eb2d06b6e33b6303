//! The matrix digest (DESIGN §3 steps 3–5) as a gadget over packed elements.
//!
//! The header state `h₀ = Poseidon(TAG_MATRIX, dtype, rows, cols)` depends only on the
//! unit's shape, so it is a circuit constant and costs nothing. Each group of 11 packed
//! elements then costs one 12-input Poseidon: `h ← Poseidon(h, e₀, …, e₁₀)`.

use teraproof_core::digest::ABSORB_RATE;
use teraproof_core::Fr;

use crate::builder::{Builder, Expr};
use crate::error::Result;
use crate::poseidon::PoseidonGadget;

/// Absorbs `packed` into the constant header state; returns the digest.
///
/// `absorb` must be a 12-input [`PoseidonGadget`].
pub fn digest_gadget(builder: &Builder, absorb: &PoseidonGadget, header: Fr, packed: &[Expr]) -> Result<Expr> {
    debug_assert_eq!(absorb.arity(), ABSORB_RATE + 1);
    let mut h = Expr::constant(header);
    let zero = Expr::constant(Fr::from(0u64));
    for group in packed.chunks(ABSORB_RATE) {
        let mut inputs = Vec::with_capacity(ABSORB_RATE + 1);
        inputs.push(h);
        inputs.extend_from_slice(group);
        inputs.resize(ABSORB_RATE + 1, zero.clone());
        h = absorb.hash(builder, &inputs)?;
    }
    Ok(h)
}

/// Number of 12-input Poseidon calls for `packed_len` packed elements.
pub fn absorb_calls(packed_len: usize) -> usize {
    packed_len.div_ceil(ABSORB_RATE)
}
