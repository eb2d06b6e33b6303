//! A unit circuit's constraint system as data, and the circuit id that names it.
//!
//! [`r1cs_of`] synthesises a circuit the way Groth16's setup does (setup mode, every
//! linear combination inlined, the constraint-minimising goal) and returns its three
//! sparse matrices A, B, C over the variables `z = (1, public inputs, witness)`: the
//! exact relation the proving and verifying keys are made for.
//!
//! The **circuit id** is the SHA-256 of that relation in a fixed encoding (below). Keys
//! carry it in `keys.json` (DESIGN §6), and loading them recomputes it: a key made for a
//! withdrawn circuit keeps its circuit's id whatever its format string says, so it is
//! refused, where an edited format string alone would pass. Encoding, all integers u64
//! little endian: the domain `teraproof-circuit-id/1` and a zero byte; the unit id's
//! length and bytes; the counts of instance variables (the constant one included),
//! witness variables and constraints; then for each constraint its A, B and C rows, each
//! a term count and per term the variable index and the coefficient as 32 canonical
//! little-endian bytes (a row's terms in the order synthesis gives them).

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode};
use sha2::{Digest, Sha256};
use teraproof_core::{UnitKind, UnitSpec};

use crate::error::{CircuitError, Result};
use crate::{AccumulateCircuit, ComputeUnitCircuit};

/// A sparse matrix row: `(coefficient, variable index)` terms.
pub type Row = Vec<(Fr, usize)>;

/// A unit circuit's R1CS: `⟨A_i, z⟩ · ⟨B_i, z⟩ = ⟨C_i, z⟩` for every row `i`, where `z`
/// is the constant one, the public inputs, then the witness.
#[derive(Debug, Clone, PartialEq)]
pub struct R1cs {
    /// the unit id (`mm-i8-…` or `mma-i8-…`)
    pub unit: String,
    /// instance variables, the constant one included
    pub num_instance: usize,
    /// witness variables
    pub num_witness: usize,
    /// A's rows
    pub a: Vec<Row>,
    /// B's rows
    pub b: Vec<Row>,
    /// C's rows
    pub c: Vec<Row>,
}

impl R1cs {
    /// The number of constraints.
    pub fn num_constraints(&self) -> usize {
        self.a.len()
    }

    /// The circuit id: SHA-256 of the encoding in the [module docs](self), as hex.
    pub fn circuit_id(&self) -> String {
        let mut h = Sha256::new();
        let u64le = |h: &mut Sha256, v: usize| h.update((v as u64).to_le_bytes());
        h.update(b"teraproof-circuit-id/1\0");
        u64le(&mut h, self.unit.len());
        h.update(self.unit.as_bytes());
        u64le(&mut h, self.num_instance);
        u64le(&mut h, self.num_witness);
        u64le(&mut h, self.num_constraints());
        for i in 0..self.num_constraints() {
            for row in [&self.a[i], &self.b[i], &self.c[i]] {
                u64le(&mut h, row.len());
                for (coefficient, index) in row {
                    u64le(&mut h, *index);
                    h.update(coefficient.into_bigint().to_bytes_le());
                }
            }
        }
        teraproof_core::receipt::encode_hex(&h.finalize())
    }
}

/// The R1CS that Groth16's setup reduces for the unit `kind` of `spec`.
pub fn r1cs_of(kind: UnitKind, spec: &UnitSpec) -> Result<R1cs> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    match kind {
        UnitKind::Product => ComputeUnitCircuit::for_setup(*spec).generate_constraints(cs.clone())?,
        UnitKind::Accumulate => AccumulateCircuit::for_setup(*spec).generate_constraints(cs.clone())?,
    }
    cs.finalize();
    let mut matrices = cs.to_matrices()?;
    let mut r1cs = matrices.pop_first().map(|(_, m)| m).unwrap_or_default();
    if !matrices.is_empty() || r1cs.len() != 3 {
        return Err(CircuitError::Synthesis(ark_relations::gr1cs::SynthesisError::Unsatisfiable));
    }
    let c = r1cs.pop().expect("three matrices");
    let b = r1cs.pop().expect("three matrices");
    let a = r1cs.pop().expect("three matrices");
    Ok(R1cs {
        unit: kind.unit_id(spec),
        num_instance: cs.num_instance_variables(),
        num_witness: cs.num_witness_variables(),
        a,
        b,
        c,
    })
}

/// The circuit id of the unit `kind` of `spec` (see the [module docs](self)).
pub fn circuit_id(kind: UnitKind, spec: &UnitSpec) -> Result<String> {
    Ok(r1cs_of(kind, spec)?.circuit_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_r1cs_is_the_circuits_and_its_id_tells_units_and_changes_apart() {
        let spec: UnitSpec = "mm-i8-2x3x2".parse().unwrap();
        let r1cs = r1cs_of(UnitKind::Product, &spec).unwrap();
        assert_eq!(r1cs.num_constraints(), crate::circuit_cost(&spec).unwrap().constraints);
        assert_eq!(r1cs.num_instance, 4, "the one and dA, dB, dC");
        assert!(r1cs.b.len() == r1cs.num_constraints() && r1cs.c.len() == r1cs.num_constraints());
        let id = r1cs.circuit_id();
        assert_eq!(id.len(), 64);
        // Deterministic, and distinct per unit and per kind.
        assert_eq!(circuit_id(UnitKind::Product, &spec).unwrap(), id);
        assert_ne!(circuit_id(UnitKind::Product, &"mm-i8-2x3x3".parse().unwrap()).unwrap(), id);
        let square: UnitSpec = "mm-i8-2x2x2".parse().unwrap();
        assert_ne!(circuit_id(UnitKind::Product, &square).unwrap(), circuit_id(UnitKind::Accumulate, &square).unwrap());
        // Any change to the relation changes the id: a coefficient, an index, a row.
        let mut changed = r1cs.clone();
        changed.a[0][0].0 += Fr::from(1u64);
        assert_ne!(changed.circuit_id(), id);
        let mut changed = r1cs.clone();
        changed.c.last_mut().unwrap().push((Fr::from(1u64), 0));
        assert_ne!(changed.circuit_id(), id);
        let mut changed = r1cs.clone();
        changed.a.pop();
        changed.b.pop();
        changed.c.pop();
        assert_ne!(changed.circuit_id(), id);
    }
}
