//! A thin layer over arkworks' constraint system that carries each linear combination
//! together with its value, so gadgets compute their witness while they constrain it.
//!
//! In setup mode the values are `None` and only the matrices are built; when proving
//! they are `Some` and every new variable is assigned.

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
        let lc = if c.is_zero() {
            Vec::new()
        } else {
            vec![(c, Variable::One)]
        };
        Self { lc, value: Some(c) }
    }

    /// A single variable with value `value`.
    pub fn var(v: Variable, value: Option<Fr>) -> Self {
        Self {
            lc: vec![(Fr::one(), v)],
            value,
        }
    }

    /// `self + other`.
    pub fn add(&self, other: &Expr) -> Expr {
        let mut lc = Vec::with_capacity(self.lc.len() + other.lc.len());
        lc.extend_from_slice(&self.lc);
        lc.extend_from_slice(&other.lc);
        Expr {
            lc,
            value: self.value.zip(other.value).map(|(a, b)| a + b),
        }
    }

    /// `self - other`.
    pub fn sub(&self, other: &Expr) -> Expr {
        self.add(&other.scale(-Fr::one()))
    }

    /// `c · self`.
    pub fn scale(&self, c: Fr) -> Expr {
        Expr {
            lc: self.lc.iter().map(|&(k, v)| (k * c, v)).collect(),
            value: self.value.map(|x| x * c),
        }
    }

    /// `self + c`.
    pub fn add_const(&self, c: Fr) -> Expr {
        let mut lc = self.lc.clone();
        if !c.is_zero() {
            lc.push((c, Variable::One));
        }
        Expr {
            lc,
            value: self.value.map(|x| x + c),
        }
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

/// Allocates variables and enforces constraints, keeping values alongside.
#[derive(Clone)]
pub struct Builder {
    cs: ConstraintSystemRef<Fr>,
}

impl Builder {
    /// Wraps a constraint system.
    pub fn new(cs: ConstraintSystemRef<Fr>) -> Self {
        Self { cs }
    }

    /// The underlying constraint system.
    pub fn cs(&self) -> &ConstraintSystemRef<Fr> {
        &self.cs
    }

    /// A new private variable.
    pub fn witness(&self, value: Option<Fr>) -> Result<Expr> {
        let v = self
            .cs
            .new_witness_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
        Ok(Expr::var(v, value))
    }

    /// A new public input.
    pub fn input(&self, value: Option<Fr>) -> Result<Expr> {
        let v = self
            .cs
            .new_input_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
        Ok(Expr::var(v, value))
    }

    /// Enforces `a · b = c` (one constraint).
    pub fn enforce_product(&self, a: &Expr, b: &Expr, c: &Expr) -> Result<()> {
        self.cs
            .enforce_r1cs_constraint(|| a.to_lc(), || b.to_lc(), || c.to_lc())?;
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
        self.enforce_product(&a.sub(b), &Expr::constant(Fr::one()), &Expr::constant(Fr::zero()))
    }

    /// A new variable constrained to be 0 or 1 (one constraint: `b · (1 − b) = 0`).
    pub fn boolean(&self, value: Option<Fr>) -> Result<Expr> {
        let bit = self.witness(value)?;
        let one_minus = Expr::constant(Fr::one()).sub(&bit);
        self.enforce_product(&bit, &one_minus, &Expr::constant(Fr::zero()))?;
        Ok(bit)
    }
}
