//! The sumcheck prover: commitments, the product's sumcheck, the batched openings.
//! The protocol and its soundness argument are in `teraproof_verifier::sumcheck`; this
//! file follows its steps and its transcript exactly, and checks its own proof with
//! the verifier before returning it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, One, Zero};
use rayon::prelude::*;
use teraproof_core::receipt::encode_hex;
use teraproof_core::{Matrix, UnitSpec};
use teraproof_verifier::sumcheck::hyperkzg::points;
use teraproof_verifier::sumcheck::proof::BatchOpening;
use teraproof_verifier::sumcheck::receipt::{Shape, SumcheckProverInfo, SumcheckTimings};
use teraproof_verifier::sumcheck::transcript::Transcript;
use teraproof_verifier::sumcheck::{
    opening_points, verify_matmul, Dims, MatmulProof, MatmulStatement, SumcheckReceipt, SUMCHECK_KIND,
    SUMCHECK_RECEIPT_VERSION,
};

use super::srs::Srs;
use crate::error::{ProverError, Result};
use crate::msm::{BaseSet, MsmBackend, PreparedBases};

/// Proves products with one SRS and one MSM backend; bases the backend prepares (one
/// handle per prefix length of the SRS) are kept for the prover's life.
pub struct SumcheckProver {
    srs: Srs,
    backend: Box<dyn MsmBackend>,
    prepared: Mutex<HashMap<usize, PreparedBases>>,
}

/// A proof and how long its phases took.
pub struct SumcheckOutput {
    /// The receipt.
    pub receipt: SumcheckReceipt,
    /// The statement it proves.
    pub statement: MatmulStatement,
}

/// The smallest residue class folded commitments are built from (see
/// [`SumcheckProver::commit_fold_by_classes`]): below it a class MSM is mostly bucket
/// overhead, and the full-width MSM of the (by then small) fold is cheaper.
const SMALL_CLASS_MIN: usize = 1 << 10;
/// The deepest fold built from classes: level i costs 2^i small-scalar MSMs over all of
/// f₀ against one full-width MSM of |f₀|/2^i, which is cheaper from about 2^i = 8 on.
const MAX_CLASS_LEVEL: usize = 3;

/// A matrix's entries as field elements, padded with zeros to `rows × cols` (row-major).
fn padded<T: Copy + Into<i64> + Send + Sync>(data: &[T], r: usize, c: usize, rows: usize, cols: usize) -> Vec<Fr> {
    let mut out = vec![Fr::zero(); rows * cols];
    out.par_chunks_mut(cols).take(r).enumerate().for_each(|(i, row)| {
        for (slot, &v) in row.iter_mut().zip(&data[i * c..(i + 1) * c]) {
            *slot = Fr::from(v.into());
        }
    });
    out
}

/// `eq(r, z)` for every z ∈ {0,1}^len(r), z's bit t matched with `r[t]`.
pub fn eq_table(r: &[Fr]) -> Vec<Fr> {
    let mut table = vec![Fr::one()];
    for (t, rt) in r.iter().enumerate() {
        let mut next = vec![Fr::zero(); table.len() * 2];
        for (z, e) in table.iter().enumerate() {
            // Bit t of the new index is this variable.
            next[z] = *e * (Fr::one() - rt);
            next[z | (1 << t)] = *e * rt;
        }
        table = next;
    }
    table
}

/// Folds a polynomial's coefficients by its lowest variable at `x`.
fn fold(f: &[Fr], x: Fr) -> Vec<Fr> {
    f.par_chunks(2).map(|pair| pair[0] + x * (pair[1] - pair[0])).collect()
}

/// f(u) for coefficients f (Horner).
fn evaluate(f: &[Fr], u: Fr) -> Fr {
    f.iter().rev().fold(Fr::zero(), |acc, c| acc * u + c)
}

/// The coefficients of (f(X) − f(u))/(X − u) (synthetic division).
fn quotient(f: &[Fr], u: Fr) -> Vec<Fr> {
    let mut q = vec![Fr::zero(); f.len().saturating_sub(1)];
    let mut carry = Fr::zero();
    for i in (1..f.len()).rev() {
        carry = f[i] + u * carry;
        q[i - 1] = carry;
    }
    q
}

impl SumcheckProver {
    /// A prover over `srs` with MSMs on `backend`.
    pub fn new(srs: Srs, backend: Box<dyn MsmBackend>) -> Self {
        SumcheckProver { srs, backend, prepared: Mutex::new(HashMap::new()) }
    }

    /// The SRS.
    pub fn srs(&self) -> &Srs {
        &self.srs
    }

    /// The MSM backend's name.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The commitment `Σ f[i]·τⁱ·G` of `f` (at most the SRS's length).
    pub fn commit(&self, f: &[Fr]) -> Result<G1Affine> {
        if f.is_empty() {
            return Ok(G1Affine::default());
        }
        let bases = self.srs.powers.get(..f.len()).ok_or_else(|| {
            ProverError::Srs(format!("the SRS holds {} powers; a commitment needs {}", self.srs.powers.len(), f.len()))
        })?;
        let prepared = {
            let mut cache = self.prepared.lock().map_err(|_| ProverError::Srs("a prover thread panicked".into()))?;
            match cache.get(&f.len()) {
                Some(p) => p.clone(),
                None => {
                    let p = self.backend.prepare_g1(BaseSet::Srs, bases)?;
                    cache.insert(f.len(), p.clone());
                    p
                }
            }
        };
        Ok(self.backend.msm_g1(&prepared, bases, f)?.into_affine())
    }

    /// The commitment to an int8 matrix, padded as the protocol pads it (rows to
    /// `rows`, columns to `cols`, both powers of two, at least the matrix's).
    pub fn commit_i8(&self, m: &Matrix<i8>, rows: usize, cols: usize) -> Result<G1Affine> {
        fits(m.rows(), m.cols(), rows, cols)?;
        self.commit(&padded(m.data(), m.rows(), m.cols(), rows, cols))
    }

    /// The commitment to an int32 matrix, padded likewise.
    pub fn commit_i32(&self, m: &Matrix<i32>, rows: usize, cols: usize) -> Result<G1Affine> {
        fits(m.rows(), m.cols(), rows, cols)?;
        self.commit(&padded(m.data(), m.rows(), m.cols(), rows, cols))
    }

    /// The buyer's commitments to A, B and (if given) C for a receipt's shape.
    pub fn commitments_of(
        &self,
        dims: Dims,
        a: Option<&Matrix<i8>>,
        b: Option<&Matrix<i8>>,
        c: Option<&Matrix<i32>>,
    ) -> Result<[Option<G1Affine>; 3]> {
        let (m, k, n) = (1usize << dims.a, 1usize << dims.b, 1usize << dims.c);
        Ok([
            a.map(|a| self.commit_i8(a, m, k)).transpose()?,
            b.map(|b| self.commit_i8(b, k, n)).transpose()?,
            c.map(|c| self.commit_i32(c, m, n)).transpose()?,
        ])
    }

    /// Proves `C = A·B` for `spec`'s shape; `c` is the product (computed by the caller
    /// on whichever compute backend), checked here only through the proof's self-check.
    pub fn prove(&self, spec: &UnitSpec, a: &Matrix<i8>, b: &Matrix<i8>, c: &Matrix<i32>) -> Result<SumcheckOutput> {
        let started = Instant::now();
        let (m, k, n) = (spec.m(), spec.k(), spec.n());
        let shapes =
            [(a.rows(), a.cols(), m, k, "A"), (b.rows(), b.cols(), k, n, "B"), (c.rows(), c.cols(), m, n, "C")];
        for (rows, cols, want_rows, want_cols, name) in shapes {
            if (rows, cols) != (want_rows, want_cols) {
                return Err(ProverError::Srs(format!(
                    "{name} is {rows}x{cols}; unit {} needs {want_rows}x{want_cols}",
                    spec.id()
                )));
            }
        }
        let dims = Dims::of(m, k, n);
        if dims.max_len() > self.srs.powers.len() {
            return Err(ProverError::Srs(format!(
                "unit {} needs an SRS of {} powers; this one holds {}",
                spec.id(),
                dims.max_len(),
                self.srs.powers.len()
            )));
        }
        let (mm, kk, nn) = (1usize << dims.a, 1usize << dims.b, 1usize << dims.c);
        let fa = padded(a.data(), m, k, mm, kk);
        let fb = padded(b.data(), k, n, kk, nn);
        let fc = padded(c.data(), m, n, mm, nn);
        let commitments = [self.commit(&fa)?, self.commit(&fb)?, self.commit(&fc)?];
        let commit_ms = ms(started);

        let statement = MatmulStatement { unit: spec.id(), m, k, n, srs: self.srs.key.id(), commitments };
        let sumcheck_started = Instant::now();
        let mut t = statement.transcript();
        let r_j = t.challenges(b"r_j", dims.c as usize);
        let r_i = t.challenges(b"r_i", dims.a as usize);
        let (eq_i, eq_j) = (eq_table(&r_i), eq_table(&r_j));
        // v = Σ_i eq_i[i]·Σ_j eq_j[j]·C[i][j]
        let claim: Fr = fc.par_chunks(nn).zip(&eq_i).map(|(row, e)| *e * dot(row, &eq_j)).sum();
        t.absorb_fr(b"claim", &claim);
        // Ã(x, r_i) = Σ_i eq_i[i]·A[i][x] and B̃(r_j, x) = Σ_j eq_j[j]·B[x][j].
        let mut ta =
            (0..kk).into_par_iter().map(|x| (0..mm).map(|i| eq_i[i] * fa[i * kk + x]).sum()).collect::<Vec<Fr>>();
        let mut tb = fb.par_chunks(nn).map(|row| dot(row, &eq_j)).collect::<Vec<Fr>>();
        let mut rounds = Vec::with_capacity(dims.b as usize);
        let mut r_x = Vec::with_capacity(dims.b as usize);
        for _ in 0..dims.b {
            let (g0, g1, g2) = ta
                .par_chunks(2)
                .zip(tb.par_chunks(2))
                .map(|(pa, pb)| {
                    let (a2, b2) = (pa[1].double() - pa[0], pb[1].double() - pb[0]);
                    (pa[0] * pb[0], pa[1] * pb[1], a2 * b2)
                })
                .reduce(|| (Fr::zero(), Fr::zero(), Fr::zero()), |x, y| (x.0 + y.0, x.1 + y.1, x.2 + y.2));
            // g0 + g1 is the running claim when C = A·B; a wrong C is caught by the
            // self-check below, which refuses to emit the proof.
            let g = [g0, g1, g2];
            t.absorb_frs(b"round", &g);
            let rho = t.challenge(b"rho");
            ta = fold(&ta, rho);
            tb = fold(&tb, rho);
            rounds.push(g);
            r_x.push(rho);
        }
        let (eval_a, eval_b) = (ta[0], tb[0]);
        t.absorb_frs(b"evaluations of A and B", &[eval_a, eval_b]);
        let sumcheck_ms = ms(sumcheck_started);

        let open_started = Instant::now();
        let [point_a, point_b, point_c] = opening_points(&r_i, &r_j, &r_x);
        let opening = self.open(&mut t, [(&fa, &point_a), (&fb, &point_b), (&fc, &point_c)])?;
        let open_ms = ms(open_started);
        let proof = MatmulProof { claim, rounds, eval_a, eval_b, opening };

        // No proof leaves the prover unverified.
        verify_matmul(&self.srs.key, &statement, &proof).map_err(|e| ProverError::SelfCheckFailed {
            unit: spec.id(),
            reason: format!("the sumcheck proof does not verify: {e}"),
        })?;
        let receipt = SumcheckReceipt {
            version: SUMCHECK_RECEIPT_VERSION,
            kind: SUMCHECK_KIND.into(),
            unit: spec.id(),
            shape: Shape { m, k, n },
            srs: statement.srs.clone(),
            insecure_dev_setup: self.srs.key.insecure,
            commitments: SumcheckReceipt::commitments_hex(&commitments),
            proof: encode_hex(&proof.to_bytes()),
            prover: SumcheckProverInfo {
                backend: self.backend.name().into(),
                device: self.backend.device(),
                compute_backend: String::new(),
                timings: SumcheckTimings { compute_ms: 0.0, commit_ms, sumcheck_ms, open_ms, total_ms: ms(started) },
                version: env!("CARGO_PKG_VERSION").into(),
            },
        };
        Ok(SumcheckOutput { receipt, statement })
    }

    /// The commitment to f₀ folded by the variables `xs`, from small-scalar MSMs.
    ///
    /// Folding by x₀ … x_{i−1} gives `fᵢ[j] = Σ_s eq(s, x)·f₀[j·2^i + s]` over the 2^i
    /// residue classes s (bit t of s matched with x_t), so `[fᵢ] = Σ_s eq(s, x)·[f₀ class
    /// s]`, each class laid out compactly. The classes hold f₀'s own entries, int8 or
    /// int32, which the MSM backends do as small signed scalars: 2^i MSMs of |f₀|/2^i
    /// small scalars replace one of |f₀|/2^i full-width ones. Same commitment, cheaper.
    fn commit_fold_by_classes(&self, f: &[Fr], xs: &[Fr]) -> Result<G1Affine> {
        let stride = 1usize << xs.len();
        let weights = eq_table(xs);
        let classes = (0..stride)
            .map(|s| {
                let class: Vec<Fr> = f.iter().skip(s).step_by(stride).copied().collect();
                self.commit(&class)
            })
            .collect::<Result<Vec<G1Affine>>>()?;
        let sum = G1Projective::msm(&classes, &weights)
            .map_err(|_| ProverError::Srs("class commitment count mismatch".into()))?;
        Ok(sum.into_affine())
    }

    /// The batched evaluation proofs (see `teraproof_verifier::sumcheck::hyperkzg`).
    fn open(&self, t: &mut Transcript, claims: [(&Vec<Fr>, &Vec<Fr>); 3]) -> Result<BatchOpening> {
        // Each claim's f₀ … f_{max(ℓ,1)−1}; the last fold (the constant) is not kept.
        let mut polys: Vec<Vec<Fr>> = Vec::new();
        let mut folds = Vec::new();
        for (f, point) in claims {
            polys.push(f.clone());
            let mut current = f.clone();
            for (i, x) in point.iter().enumerate() {
                current = fold(&current, *x);
                if i + 1 < point.len() {
                    let level = i + 1;
                    let commitment = if level <= MAX_CLASS_LEVEL && f.len() >> level >= SMALL_CLASS_MIN {
                        self.commit_fold_by_classes(f, &point[..level])?
                    } else {
                        self.commit(&current)?
                    };
                    folds.push(commitment);
                    polys.push(current.clone());
                }
            }
        }
        t.absorb_g1s(b"folds", &folds);
        let r = t.nonzero_challenge(b"r");
        let us = points(r);
        let evals: Vec<[Fr; 3]> = polys.par_iter().map(|f| us.map(|u| evaluate(f, u))).collect();
        let flat: Vec<Fr> = evals.iter().flatten().copied().collect();
        t.absorb_frs(b"evaluations", &flat);
        let q = t.challenge(b"q");
        let longest = polys.iter().map(Vec::len).max().unwrap_or(1);
        let mut batched = vec![Fr::zero(); longest];
        let mut power = Fr::one();
        for f in &polys {
            for (slot, c) in batched.iter_mut().zip(f) {
                *slot += power * c;
            }
            power *= q;
        }
        let mut quotients = [G1Affine::default(); 3];
        for (slot, u) in quotients.iter_mut().zip(us) {
            *slot = self.commit(&quotient(&batched, u))?;
        }
        t.absorb_g1s(b"quotients", &quotients);
        let _d = t.challenge(b"d");
        Ok(BatchOpening { folds, evals, quotients })
    }
}

/// A `r × c` matrix padded to `rows × cols` must fit in it.
fn fits(r: usize, c: usize, rows: usize, cols: usize) -> Result<()> {
    if r > rows || c > cols {
        return Err(ProverError::Srs(format!("a {r}x{c} matrix does not fit the padded {rows}x{cols} of this shape")));
    }
    Ok(())
}

fn dot(a: &[Fr], b: &[Fr]) -> Fr {
    a.iter().zip(b).map(|(x, y)| *x * y).sum()
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// Unused in the protocol, kept for tests: the multilinear evaluation of `f` at `point`.
#[cfg(test)]
pub(crate) fn multilinear(f: &[Fr], point: &[Fr]) -> Fr {
    point.iter().fold(f.to_vec(), |f, x| fold(&f, *x))[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fold_committed_by_classes_is_the_folds_commitment() {
        let srs = Srs::dev(3, 1 << 12).unwrap();
        let prover = SumcheckProver::new(srs, Box::new(crate::msm::CpuMsm));
        let f: Vec<Fr> = (0..1u64 << 12).map(|i| Fr::from((i * 37 % 255) as i64 - 127)).collect();
        let xs = [Fr::from(5u64), Fr::from(1234567u64), -Fr::from(99u64)];
        for level in 1..=xs.len() {
            let folded = xs[..level].iter().fold(f.clone(), |g, x| fold(&g, *x));
            assert_eq!(prover.commit_fold_by_classes(&f, &xs[..level]).unwrap(), prover.commit(&folded).unwrap());
        }
    }

    #[test]
    fn helpers_agree_with_their_definitions() {
        let f: Vec<Fr> = (1..=8u64).map(Fr::from).collect();
        let u = Fr::from(3u64);
        let q = quotient(&f, u);
        // f(X) = q(X)·(X − u) + f(u) at another point.
        let x = Fr::from(11u64);
        assert_eq!(evaluate(&f, x), evaluate(&q, x) * (x - u) + evaluate(&f, u));
        // The multilinear evaluation at a vertex is the entry there.
        let vertex = [Fr::one(), Fr::zero(), Fr::one()];
        assert_eq!(multilinear(&f, &vertex), f[0b101]);
        let eq = eq_table(&vertex);
        assert_eq!(eq.iter().position(|e| e.is_one()), Some(0b101));
    }
}
