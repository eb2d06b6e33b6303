//! A thin layer over arkworks' constraint system that carries each linear combination
//! together with its value, so gadgets compute their witness while they constrain it.
//!
//! In setup mode the values are `None` and only the matrices are built; when proving
//! they are `Some` and every new variable is assigned.
//!
//! A builder in *direct* mode ([`Builder::direct`]) has no constraint system at all: it
//! only records each new variable's value, in allocation order, and builds no linear
//! combinations. Running the same circuit code in that mode yields exactly the
//! assignment the constraint system would hold, at a fraction of the cost; the prover
//! uses it with matrices synthesised once.

use std::cell::RefCell;

use ark_ff::{One, Zero};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};
use teraproof_core::Fr;

use crate::error::Result;

/// A linear combination of circuit variables with its value (when known).
#[derive(Clone, Debug)]
pub struct Expr {
    /// `Σ cᵢ·vᵢ`; the constant term uses [`Variable::One`].
    pub lc: Vec<(Fr, Variable)>,
    /// The value of the combination under the current assignment.
    pub value: Option<Fr>,
}

impl Expr {
    /// The constant `c` (no variable, no constraint).
    pub fn constant(c: Fr) -> Self {
        let lc = if c.is_zero() { Vec::new() } else { vec![(c, Variable::One)] };
        Self { lc, value: Some(c) }
    }

    /// A single variable with value `value`.
    pub fn var(v: Variable, value: Option<Fr>) -> Self {
        Self { lc: vec![(Fr::one(), v)], value }
    }

    /// `self + other`.
    pub fn add(&self, other: &Expr) -> Expr {
        let mut lc = Vec::with_capacity(self.lc.len() + other.lc.len());
        lc.extend_from_slice(&self.lc);
        lc.extend_from_slice(&other.lc);
        Expr { lc, value: self.value.zip(other.value).map(|(a, b)| a + b) }
    }

    /// `self - other`.
    pub fn sub(&self, other: &Expr) -> Expr {
        self.add(&other.scale(-Fr::one()))
    }

    /// `c · self`.
    pub fn scale(&self, c: Fr) -> Expr {
        Expr { lc: self.lc.iter().map(|&(k, v)| (k * c, v)).collect(), value: self.value.map(|x| x * c) }
    }

    /// `self + c`.
    pub fn add_const(&self, c: Fr) -> Expr {
        let mut lc = self.lc.clone();
        if !c.is_zero() {
            lc.push((c, Variable::One));
        }
        Expr { lc, value: self.value.map(|x| x + c) }
    }

    /// `Σ cᵢ·eᵢ`, built in one allocation.
    pub fn weighted_sum<'a>(terms: impl IntoIterator<Item = (Fr, &'a Expr)>) -> Expr {
        let mut lc = Vec::new();
        let mut value = Some(Fr::zero());
        for (c, e) in terms {
            lc.extend(e.lc.iter().map(|&(k, v)| (k * c, v)));
            value = value.zip(e.value).map(|(acc, x)| acc + c * x);
        }
        Expr { lc, value }
    }

    fn to_lc(&self) -> LinearCombination<Fr> {
        let mut lc = LinearCombination(self.lc.clone());
        lc.compactify();
        lc
    }
}

/// The values of a circuit's variables in allocation order, as a constraint system
/// would assign them (the constant one first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    /// `1` followed by the public inputs
    pub instance: Vec<Fr>,
    /// the private variables
    pub witness: Vec<Fr>,
}

/// For every constraint `⟨Aᵢ,z⟩·⟨Bᵢ,z⟩ = ⟨Cᵢ,z⟩`, in order, the values of its three
/// linear combinations under the assignment `z`: exactly what the QAP reduction
/// computes from the matrices, recorded while the witness is generated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConstraintEvaluations {
    /// `⟨Aᵢ, z⟩`
    pub a: Vec<Fr>,
    /// `⟨Bᵢ, z⟩`
    pub b: Vec<Fr>,
    /// `⟨Cᵢ, z⟩`
    pub c: Vec<Fr>,
}

impl ConstraintEvaluations {
    /// Number of constraints.
    pub fn len(&self) -> usize {
        self.a.len()
    }
    /// Whether there are no constraints.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }
}

/// What a direct builder produces.
#[derive(Clone, Debug, Default)]
pub struct DirectWitness {
    /// the variables' values
    pub assignment: Assignment,
    /// the constraints' evaluations
    pub evaluations: ConstraintEvaluations,
}

impl Assignment {
    /// `instance ‖ witness`, the layout the QAP reduction takes.
    pub fn full(&self) -> Vec<Fr> {
        let mut z = Vec::with_capacity(self.instance.len() + self.witness.len());
        z.extend_from_slice(&self.instance);
        z.extend_from_slice(&self.witness);
        z
    }
}

enum Mode {
    Cs(ConstraintSystemRef<Fr>),
    Direct(RefCell<DirectWitness>),
}

/// Allocates variables and enforces constraints, keeping values alongside.
pub struct Builder {
    mode: Mode,
}

impl Builder {
    /// Wraps a constraint system.
    pub fn new(cs: ConstraintSystemRef<Fr>) -> Self {
        Self { mode: Mode::Cs(cs) }
    }

    /// A builder that only records values (no constraints, no linear combinations).
    pub fn direct() -> Self {
        let mut w = DirectWitness::default();
        w.assignment.instance.push(Fr::one());
        Self { mode: Mode::Direct(RefCell::new(w)) }
    }

    /// What a direct builder recorded (`None` for a constraint system).
    pub fn into_direct(self) -> Option<DirectWitness> {
        match self.mode {
            Mode::Direct(a) => Some(a.into_inner()),
            Mode::Cs(_) => None,
        }
    }

    /// Whether this builder only records values (see [`Builder::direct`]).
    pub fn is_direct(&self) -> bool {
        matches!(self.mode, Mode::Direct(_))
    }

    /// Appends what another direct builder recorded (its private variables and
    /// constraints, in order) as if they had been allocated here. Lets independent
    /// parts of a circuit be generated in parallel and stitched in allocation order.
    pub fn absorb(&self, part: DirectWitness) -> Result<()> {
        match &self.mode {
            // A part that allocated public inputs could not be stitched in order.
            Mode::Direct(_) if part.assignment.instance.len() != 1 => Err(SynthesisError::Unsatisfiable.into()),
            Mode::Direct(w) => {
                let mut w = w.borrow_mut();
                w.assignment.witness.extend(part.assignment.witness);
                w.evaluations.a.extend(part.evaluations.a);
                w.evaluations.b.extend(part.evaluations.b);
                w.evaluations.c.extend(part.evaluations.c);
                Ok(())
            }
            Mode::Cs(_) => Err(SynthesisError::Unsatisfiable.into()),
        }
    }

    /// Sets the value of public input `index` (1-based: 0 is the constant one) of a
    /// direct builder, for inputs that are derived from the witness.
    pub fn set_input(&self, index: usize, value: Fr) -> Result<()> {
        match &self.mode {
            Mode::Direct(w) => {
                let mut w = w.borrow_mut();
                let slot = w.assignment.instance.get_mut(index).ok_or(SynthesisError::AssignmentMissing)?;
                *slot = value;
                Ok(())
            }
            Mode::Cs(_) => Err(SynthesisError::Unsatisfiable.into()),
        }
    }

    /// Whether linear combinations are built (false in direct mode, where gadgets
    /// need only track values).
    pub fn tracks_lcs(&self) -> bool {
        matches!(self.mode, Mode::Cs(_))
    }

    fn direct_value(value: Option<Fr>) -> Result<Fr> {
        Ok(value.ok_or(SynthesisError::AssignmentMissing)?)
    }

    /// A new private variable.
    pub fn witness(&self, value: Option<Fr>) -> Result<Expr> {
        match &self.mode {
            Mode::Cs(cs) => {
                let v = cs.new_witness_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
                Ok(Expr::var(v, value))
            }
            Mode::Direct(a) => {
                a.borrow_mut().assignment.witness.push(Self::direct_value(value)?);
                Ok(Expr { lc: Vec::new(), value })
            }
        }
    }

    /// A new public input.
    pub fn input(&self, value: Option<Fr>) -> Result<Expr> {
        match &self.mode {
            Mode::Cs(cs) => {
                let v = cs.new_input_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
                Ok(Expr::var(v, value))
            }
            Mode::Direct(a) => {
                a.borrow_mut().assignment.instance.push(Self::direct_value(value)?);
                Ok(Expr { lc: Vec::new(), value })
            }
        }
    }

    /// Enforces `a · b = c` (one constraint).
    pub fn enforce_product(&self, a: &Expr, b: &Expr, c: &Expr) -> Result<()> {
        match &self.mode {
            Mode::Cs(cs) => cs.enforce_r1cs_constraint(|| a.to_lc(), || b.to_lc(), || c.to_lc())?,
            Mode::Direct(w) => {
                let mut w = w.borrow_mut();
                w.evaluations.a.push(Self::direct_value(a.value)?);
                w.evaluations.b.push(Self::direct_value(b.value)?);
                w.evaluations.c.push(Self::direct_value(c.value)?);
            }
        }
        Ok(())
    }

    /// A new variable constrained to `a · b` (one constraint).
    pub fn mul(&self, a: &Expr, b: &Expr) -> Result<Expr> {
        let product = self.witness(a.value.zip(b.value).map(|(x, y)| x * y))?;
        self.enforce_product(a, b, &product)?;
        Ok(product)
    }

    /// Enforces `a = b` (one constraint: `(a − b) · 1 = 0`).
    pub fn enforce_equal(&self, a: &Expr, b: &Expr) -> Result<()> {
        if let Mode::Direct(w) = &self.mode {
            // Same evaluations as below, without building linear combinations.
            let diff = Self::direct_value(a.value)? - Self::direct_value(b.value)?;
            let mut w = w.borrow_mut();
            w.evaluations.a.push(diff);
            w.evaluations.b.push(Fr::one());
            w.evaluations.c.push(Fr::zero());
            return Ok(());
        }
        self.enforce_product(&a.sub(b), &Expr::constant(Fr::one()), &Expr::constant(Fr::zero()))
    }

    /// A new variable constrained to be 0 or 1 (one constraint: `b · (1 − b) = 0`).
    pub fn boolean(&self, value: Option<Fr>) -> Result<Expr> {
        let bit = self.witness(value)?;
        if let Mode::Direct(w) = &self.mode {
            let v = Self::direct_value(value)?;
            let mut w = w.borrow_mut();
            w.evaluations.a.push(v);
            w.evaluations.b.push(Fr::one() - v);
            w.evaluations.c.push(Fr::zero());
            return Ok(bit);
        }
        let one_minus = Expr::constant(Fr::one()).sub(&bit);
        self.enforce_product(&bit, &one_minus, &Expr::constant(Fr::zero()))?;
        Ok(bit)
    }
}
