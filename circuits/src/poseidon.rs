//! The circom/circomlib Poseidon permutation over BN254 as an R1CS gadget.
//!
//! For `t` inputs the state has width `w = t + 1`, starts as `(0, x₁, …, x_t)` and goes
//! through `R_F = 8` full rounds (S-box `x ↦ x⁵` on every element) split around `R_P`
//! partial rounds (S-box on the first element only); each round is
//! `state ← M · S(state + c_r)`. The output is the first element. Constants `c_r`
//! and the MDS matrix `M` are circomlib's, taken from light-poseidon.
//!
//! Cost: `x⁵` takes three multiplications (`x², x⁴, x⁵`), so the gadget has
//! `3·(8·w + R_P)` constraints; the linear layers are free.
//!
//! Between S-boxes the state is linear in the variables created so far. We hold it as
//! dense coefficient vectors over a *basis* of variables: a full round resets the basis
//! to the `w` fresh S-box outputs, a partial round appends one. This keeps the partial
//! rounds' growing linear combinations cheap to build.

use ark_ff::{One, Zero};
use ark_relations::gr1cs::Variable;
use light_poseidon::parameters::bn254_x5::get_poseidon_parameters;
use light_poseidon::PoseidonParameters;
use teraproof_core::Fr;

use crate::builder::{Builder, Expr};
use crate::error::{CircuitError, Result};

/// Largest number of inputs supported (circomlib's width-13 parameters).
pub const MAX_INPUTS: usize = 12;

/// Poseidon parameters for `t` inputs (circom's width `t + 1`).
pub fn parameters(t: usize) -> Result<PoseidonParameters<Fr>> {
    if t == 0 || t > MAX_INPUTS {
        return Err(CircuitError::Core(teraproof_core::CoreError::Poseidon(format!(
            "{t} inputs; 1 to {MAX_INPUTS} are supported"
        ))));
    }
    get_poseidon_parameters::<Fr>((t + 1) as u8)
        .map_err(|e| CircuitError::Core(teraproof_core::CoreError::Poseidon(e.to_string())))
}

/// Constraints of one Poseidon hash of `t` inputs.
pub fn constraint_cost(t: usize) -> Result<usize> {
    let p = parameters(t)?;
    Ok(3 * (p.full_rounds * p.width + p.partial_rounds))
}

/// The Poseidon gadget for a fixed number of inputs; build once, hash many times.
pub struct PoseidonGadget {
    params: PoseidonParameters<Fr>,
}

/// The state as dense coefficient rows over a basis of variables, plus constants.
/// Without `track`, only the values are kept (direct witness generation).
struct DenseState {
    track: bool,
    basis: Vec<Variable>,
    rows: Vec<Vec<Fr>>,
    consts: Vec<Fr>,
    values: Vec<Option<Fr>>,
}

impl DenseState {
    /// A state whose elements are exactly the given fresh variables.
    fn fresh(vars: Vec<Expr>, track: bool) -> Self {
        let w = vars.len();
        let values = vars.iter().map(|e| e.value).collect();
        if !track {
            let rows = vec![Vec::new(); w];
            return Self { track, basis: Vec::new(), rows, consts: vec![Fr::zero(); w], values };
        }
        let basis = vars.iter().map(|e| e.lc[0].1).collect();
        let rows = (0..w).map(|i| (0..w).map(|j| if i == j { Fr::one() } else { Fr::zero() }).collect()).collect();
        Self { track, basis, rows, consts: vec![Fr::zero(); w], values }
    }

    fn element(&self, i: usize) -> Expr {
        if !self.track {
            return Expr { lc: Vec::new(), value: self.values[i] };
        }
        let mut lc: Vec<(Fr, Variable)> =
            self.rows[i].iter().zip(&self.basis).filter(|(c, _)| !c.is_zero()).map(|(&c, &v)| (c, v)).collect();
        if !self.consts[i].is_zero() {
            lc.push((self.consts[i], Variable::One));
        }
        Expr { lc, value: self.values[i] }
    }

    fn add_round_constants(&mut self, constants: &[Fr]) {
        for ((c, v), k) in self.consts.iter_mut().zip(self.values.iter_mut()).zip(constants) {
            *c += k;
            *v = v.map(|x| x + k);
        }
    }

    /// Replaces element 0 by a fresh variable (partial round).
    fn replace_first(&mut self, fresh: Expr) {
        self.values[0] = fresh.value;
        if !self.track {
            return;
        }
        self.basis.push(fresh.lc[0].1);
        for row in self.rows.iter_mut() {
            row.push(Fr::zero());
        }
        let len = self.basis.len();
        self.rows[0] = vec![Fr::zero(); len];
        self.rows[0][len - 1] = Fr::one();
        self.consts[0] = Fr::zero();
    }

    fn mix(&mut self, mds: &[Vec<Fr>]) {
        let w = self.rows.len();
        let len = self.basis.len();
        let mut rows = vec![vec![Fr::zero(); if self.track { len } else { 0 }]; w];
        let mut consts = vec![Fr::zero(); w];
        let mut values = vec![Some(Fr::zero()); w];
        for (i, mds_row) in mds.iter().enumerate().take(w) {
            for (j, &m) in mds_row.iter().enumerate() {
                if self.track {
                    for (dst, src) in rows[i].iter_mut().zip(&self.rows[j]) {
                        if !src.is_zero() {
                            *dst += m * src;
                        }
                    }
                }
                consts[i] += m * self.consts[j];
                values[i] = values[i].zip(self.values[j]).map(|(acc, x)| acc + m * x);
            }
        }
        self.rows = rows;
        self.consts = consts;
        self.values = values;
    }
}

impl PoseidonGadget {
    /// The gadget for `t` inputs, 1 ≤ t ≤ 12.
    pub fn new(t: usize) -> Result<Self> {
        Ok(Self { params: parameters(t)? })
    }

    /// Number of inputs this gadget takes.
    pub fn arity(&self) -> usize {
        self.params.width - 1
    }

    fn sbox(builder: &Builder, x: &Expr) -> Result<Expr> {
        let x2 = builder.mul(x, x)?;
        let x4 = builder.mul(&x2, &x2)?;
        builder.mul(&x4, x)
    }

    /// Constrains and returns `Poseidon(inputs)`; the result is a linear combination.
    pub fn hash(&self, builder: &Builder, inputs: &[Expr]) -> Result<Expr> {
        let p = &self.params;
        let w = p.width;
        if inputs.len() != w - 1 {
            return Err(CircuitError::Core(teraproof_core::CoreError::Poseidon(format!(
                "gadget for {} inputs given {}",
                w - 1,
                inputs.len()
            ))));
        }
        let half = p.full_rounds / 2;
        let rounds = p.full_rounds + p.partial_rounds;
        let ark = |r: usize| &p.ark[r * w..(r + 1) * w];

        // Round 0 (full) acts on arbitrary linear combinations.
        let mut initial = Vec::with_capacity(w);
        initial.push(Expr::constant(Fr::zero()));
        initial.extend_from_slice(inputs);
        let sboxed = initial
            .iter()
            .zip(ark(0))
            .map(|(e, &c)| Self::sbox(builder, &e.add_const(c)))
            .collect::<Result<Vec<_>>>()?;
        let track = builder.tracks_lcs();
        let mut state = DenseState::fresh(sboxed, track);
        state.mix(&p.mds);

        for r in 1..rounds {
            state.add_round_constants(ark(r));
            let full = r < half || r >= half + p.partial_rounds;
            if full {
                let sboxed = (0..w).map(|i| Self::sbox(builder, &state.element(i))).collect::<Result<Vec<_>>>()?;
                state = DenseState::fresh(sboxed, track);
            } else {
                let fresh = Self::sbox(builder, &state.element(0))?;
                state.replace_first(fresh);
            }
            state.mix(&p.mds);
        }
        Ok(state.element(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{Rng, SeedableRng};
    use teraproof_core::digest::poseidon;

    fn random_fr(rng: &mut impl Rng) -> Fr {
        Fr::from(rng.gen::<u64>()) * Fr::from(rng.gen::<u64>()) + Fr::from(rng.gen::<u64>())
    }

    #[test]
    fn equals_light_poseidon_for_every_arity() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for t in 1..=MAX_INPUTS {
            let gadget = PoseidonGadget::new(t).unwrap();
            for trial in 0..2 {
                let cs = ConstraintSystem::<Fr>::new_ref();
                let b = Builder::new(cs.clone());
                let values: Vec<Fr> = (0..t).map(|_| random_fr(&mut rng)).collect();
                // Inputs as plain witnesses on the first trial, as linear combinations
                // (2·w − w + const) on the second.
                let inputs: Vec<Expr> = values
                    .iter()
                    .map(|&v| {
                        let w = b.witness(Some(v)).unwrap();
                        if trial == 0 {
                            w
                        } else {
                            w.scale(Fr::from(2u64)).sub(&w).add_const(Fr::from(5u64)).add_const(-Fr::from(5u64))
                        }
                    })
                    .collect();
                let out = gadget.hash(&b, &inputs).unwrap();
                let expected = poseidon(&values).unwrap();
                assert_eq!(out.value, Some(expected), "arity {t}");
                // Bind the output to a public input: satisfied with the right value…
                let pi = b.input(Some(expected)).unwrap();
                b.enforce_equal(&out, &pi).unwrap();
                assert!(cs.is_satisfied().unwrap(), "arity {t}");
                assert_eq!(cs.num_constraints(), constraint_cost(t).unwrap() + 1);
            }
        }
    }

    #[test]
    fn wrong_output_or_tampered_state_is_unsatisfied() {
        let gadget = PoseidonGadget::new(2).unwrap();
        let values = [Fr::from(1u64), Fr::from(2u64)];
        let expected = poseidon(&values).unwrap();
        // Output claimed wrong.
        let cs = ConstraintSystem::<Fr>::new_ref();
        let b = Builder::new(cs.clone());
        let inputs: Vec<Expr> = values.iter().map(|&v| b.witness(Some(v)).unwrap()).collect();
        let out = gadget.hash(&b, &inputs).unwrap();
        let pi = b.input(Some(expected + Fr::one())).unwrap();
        b.enforce_equal(&out, &pi).unwrap();
        assert!(!cs.is_satisfied().unwrap());
        // An intermediate S-box variable changed.
        let cs = ConstraintSystem::<Fr>::new_ref();
        let b = Builder::new(cs.clone());
        let inputs: Vec<Expr> = values.iter().map(|&v| b.witness(Some(v)).unwrap()).collect();
        let out = gadget.hash(&b, &inputs).unwrap();
        let pi = b.input(Some(expected)).unwrap();
        b.enforce_equal(&out, &pi).unwrap();
        assert!(cs.is_satisfied().unwrap());
        {
            let mut inner = cs.borrow_mut().unwrap();
            inner.assignments.witness_assignment[10] += Fr::one();
        }
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn known_vector() {
        // circomlibjs poseidon([1, 2]).
        let expected: Fr = teraproof_core::fr_from_decimal(
            "7853200120776062878684798364095072458815029376092732009249414926327459813530",
        )
        .unwrap();
        assert_eq!(poseidon(&[Fr::from(1u64), Fr::from(2u64)]).unwrap(), expected);
    }
}
