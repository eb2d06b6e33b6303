//! circomlib's Poseidon hash over BN254, computed natively (no `std`, no allocation).
//!
//! For `t` inputs the state has width `w = t + 1` and starts as `(0, x₁, …, x_t)`. Each
//! of the `R_F + R_P` rounds is `state ← M · S(state + c_r)`, where the S-box `x ↦ x⁵`
//! acts on every element in the `R_F = 8` full rounds (four before, four after) and on
//! the first element only in the `R_P` partial rounds. The hash is the first element.
//!
//! The constants `c_r` and the MDS matrix `M` are circomlib's (generated into
//! `poseidon_constants.rs` from light-poseidon, which the tests compare against).

use ark_ff::{AdditiveGroup, BigInt, Field};

use crate::error::{CoreError, Result};
use crate::prelude::*;
use crate::Fr;

#[path = "poseidon_constants.rs"]
mod constants;

/// Largest number of inputs (circomlib's widest parameters, width 13).
pub const MAX_INPUTS: usize = 12;

/// The parameters of one width.
#[derive(Debug)]
pub struct Width {
    /// state width `w = inputs + 1`
    pub width: usize,
    /// `R_F`, split evenly around the partial rounds
    pub full_rounds: usize,
    /// `R_P`
    pub partial_rounds: usize,
    /// round constants, `w` per round, round by round
    pub ark: &'static [Fr],
    /// the MDS matrix, row major, `w × w`
    pub mds: &'static [Fr],
}

/// An element from its Montgomery limbs (the generated tables are in this form).
const fn m(limbs: [u64; 4]) -> Fr {
    Fr::new_unchecked(BigInt::new(limbs))
}

/// The parameters for `inputs` inputs, or an error outside `1..=MAX_INPUTS`.
pub fn parameters(inputs: usize) -> Result<&'static Width> {
    if inputs == 0 || inputs > MAX_INPUTS {
        return Err(CoreError::Poseidon(format!("{inputs} inputs; 1 to {MAX_INPUTS} are supported")));
    }
    let table: &[Width] = &constants::WIDTHS;
    table.get(inputs - 1).ok_or_else(|| CoreError::Poseidon(format!("no parameters for {inputs} inputs")))
}

/// circomlib Poseidon of 1 to 12 inputs.
pub fn poseidon(inputs: &[Fr]) -> Result<Fr> {
    let p = parameters(inputs.len())?;
    let w = p.width;
    let mut state = [Fr::ZERO; MAX_INPUTS + 1];
    state[1..w].copy_from_slice(inputs);
    let mut mixed = [Fr::ZERO; MAX_INPUTS + 1];
    let half = p.full_rounds / 2;
    for round in 0..p.full_rounds + p.partial_rounds {
        let full = round < half || round >= half + p.partial_rounds;
        for (i, s) in state[..w].iter_mut().enumerate() {
            *s += p.ark[round * w + i];
            if full || i == 0 {
                let sq = s.square();
                *s *= sq.square();
            }
        }
        for (i, out) in mixed[..w].iter_mut().enumerate() {
            let row = &p.mds[i * w..(i + 1) * w];
            *out = row.iter().zip(&state[..w]).map(|(c, s)| *c * s).sum();
        }
        state[..w].copy_from_slice(&mixed[..w]);
    }
    Ok(state[0])
}

#[cfg(test)]
mod tests {
    use ark_ff::UniformRand;
    use light_poseidon::parameters::bn254_x5::get_poseidon_parameters;
    use light_poseidon::{Poseidon, PoseidonHasher};
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn constants_are_circomlibs() {
        for inputs in 1..=MAX_INPUTS {
            let ours = parameters(inputs).unwrap();
            let theirs = get_poseidon_parameters::<Fr>(inputs as u8 + 1).unwrap();
            assert_eq!(ours.width, theirs.width);
            assert_eq!(ours.full_rounds, theirs.full_rounds);
            assert_eq!(ours.partial_rounds, theirs.partial_rounds);
            assert_eq!(ours.ark, &theirs.ark[..], "round constants for {inputs} inputs");
            let mds: Vec<Fr> = theirs.mds.iter().flatten().copied().collect();
            assert_eq!(ours.mds, &mds[..], "MDS for {inputs} inputs");
        }
    }

    #[test]
    fn equals_light_poseidon_on_random_inputs() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for inputs in 1..=MAX_INPUTS {
            for _ in 0..4 {
                let x: Vec<Fr> = (0..inputs).map(|_| Fr::rand(&mut rng)).collect();
                let expected = Poseidon::<Fr>::new_circom(inputs).unwrap().hash(&x).unwrap();
                assert_eq!(poseidon(&x).unwrap(), expected, "{inputs} inputs");
            }
        }
    }

    #[test]
    fn rejects_unsupported_arities() {
        assert!(matches!(poseidon(&[]), Err(CoreError::Poseidon(_))));
        assert!(matches!(poseidon(&[Fr::ZERO; 13]), Err(CoreError::Poseidon(_))));
    }
}
