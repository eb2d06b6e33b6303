//! End to end on the CPU: setup → key files → prove → receipt → verify, and every
//! rejection the verifier promises, each next to the honest case it differs from.

use std::sync::OnceLock;

use ark_bn254::{Bn254, Fq2, G2Affine};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_serialize::CanonicalSerialize;
use rand::{Rng, SeedableRng};
use teraproof_core::receipt::encode_hex;
use teraproof_core::{digest_matrix, Matrix, Receipt, UnitSpec};
use teraproof_prover::{setup_dev, CpuMsm, Prover, ProverError, UnitKeys};
use teraproof_verifier::{decode_proof, UnitVerifyingKey, Verifier, VerifyError};

const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";

struct Fixture {
    dir: tempfile::TempDir,
    verifier: Verifier,
    receipts: Vec<Receipt>,
    c: Matrix<i32>,
    /// the inputs of the first receipt
    inputs: (Matrix<i8>, Matrix<i8>),
}

fn random_i8(rows: usize, cols: usize, rng: &mut impl Rng) -> Matrix<i8> {
    Matrix::from_fn(rows, cols, |_, _| rng.gen::<i8>()).unwrap()
}

/// Keys for `unit` saved to a temporary directory and loaded back, and `count`
/// receipts proven with them.
fn fixture(unit: &str, count: usize) -> Fixture {
    let spec: UnitSpec = unit.parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut keys = setup_dev(spec, 7).unwrap();
    keys.save(dir.path()).unwrap();
    let keys = UnitKeys::load(dir.path(), Some(&spec)).unwrap();
    let prover = Prover::new(keys, Box::new(CpuMsm)).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(99);
    let mut receipts = Vec::new();
    let mut c = None;
    let mut inputs = None;
    for _ in 0..count {
        let a = random_i8(spec.m(), spec.k(), &mut rng);
        let b = random_i8(spec.k(), spec.n(), &mut rng);
        let out = prover.prove(&a, &b, &mut rng).unwrap();
        assert_eq!(out.c, teraproof_core::matmul_cpu(&a, &b).unwrap());
        c.get_or_insert(out.c);
        inputs.get_or_insert((a, b));
        receipts.push(out.receipt);
    }
    let verifier = Verifier::new(UnitVerifyingKey::load(dir.path()).unwrap());
    Fixture { dir, verifier, receipts, c: c.unwrap(), inputs: inputs.unwrap() }
}

fn cu8() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| fixture("mm-i8-8x8x8", 4))
}

fn odd() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| fixture("mm-i8-3x5x7", 1))
}

/// Decimal addition, to build `x + r` without a big-integer crate.
fn add_decimal(a: &str, b: &str) -> String {
    let (a, b): (Vec<u8>, Vec<u8>) =
        (a.bytes().rev().map(|c| c - b'0').collect(), b.bytes().rev().map(|c| c - b'0').collect());
    let mut out = Vec::new();
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        out.push(b'0' + s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(b'0' + carry);
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

#[test]
fn honest_receipts_verify_with_ours_and_with_ark_groth16() {
    for f in [cu8(), odd()] {
        for r in &f.receipts {
            let v = f.verifier.verify(r).unwrap();
            assert!(v.insecure_dev_setup);
            assert_eq!(v.statement_id, r.statement_id());
            // The proof stands on its own with ark-groth16's verifier.
            let proof = decode_proof(&r.proof_bytes().unwrap()).unwrap();
            let pvk = ark_groth16::prepare_verifying_key(f.verifier.key().vk());
            assert!(Groth16::<Bn254>::verify_proof(&pvk, &proof, &[r.da.0, r.db.0, r.dc.0]).unwrap());
            // And survives a JSON round trip.
            assert!(f.verifier.verify_json(&r.to_json()).is_ok());
            assert!(r.insecure_dev_setup);
        }
    }
}

#[test]
fn changed_element_of_c_is_rejected() {
    let f = cu8();
    let r = &f.receipts[0];
    f.verifier.check_output(r, &f.c).unwrap();
    let mut c = f.c.clone();
    *c.get_mut(2, 3).unwrap() += 1;
    assert!(matches!(f.verifier.check_output(r, &c), Err(VerifyError::OutputMismatch { .. })));
    let mut forged = r.clone();
    forged.dc = digest_matrix(&c);
    assert_eq!(f.verifier.verify(&forged), Err(VerifyError::ProofRejected));
}

#[test]
fn inputs_other_than_the_receipts_are_rejected() {
    let f = odd();
    let r = &f.receipts[0];
    let (a, b) = (&f.inputs.0, &f.inputs.1);
    f.verifier.check_inputs(r, Some(a), Some(b)).unwrap();
    let mut other = a.clone();
    *other.get_mut(0, 0).unwrap() ^= 1;
    assert!(matches!(
        f.verifier.check_inputs(r, Some(&other), Some(b)),
        Err(VerifyError::InputMismatch { input: "A", .. })
    ));
    let mut other = b.clone();
    *other.get_mut(0, 0).unwrap() ^= 1;
    assert!(matches!(
        f.verifier.check_inputs(r, None, Some(&other)),
        Err(VerifyError::InputMismatch { input: "B", .. })
    ));

    // The whole job check: honest with and without C; each kind of mismatch named; a
    // forged receipt rejected as a proof, before its data is looked at.
    f.verifier.verify_job(r, a, b, Some(&f.c)).unwrap();
    f.verifier.verify_job(r, a, b, None).unwrap();
    assert!(matches!(f.verifier.verify_job(r, a, &other, None), Err(VerifyError::InputMismatch { input: "B", .. })));
    let mut c = f.c.clone();
    *c.get_mut(0, 0).unwrap() ^= 1;
    assert!(matches!(f.verifier.verify_job(r, a, b, Some(&c)), Err(VerifyError::OutputMismatch { .. })));
    let mut forged = r.clone();
    forged.dc = teraproof_core::digest_matrix(&c);
    assert_eq!(f.verifier.verify_job(&forged, a, b, Some(&c)), Err(VerifyError::ProofRejected));
}

#[test]
fn each_public_input_plus_r_is_refused_not_reduced() {
    let f = cu8();
    let text = f.receipts[0].to_json();
    for field in ["da", "db", "dc"] {
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let x = v[field].as_str().unwrap().to_string();
        v[field] = add_decimal(&x, R).into();
        let err = f.verifier.verify_json(&v.to_string()).unwrap_err();
        assert!(matches!(err, VerifyError::NonCanonicalInput { field: got, .. } if got == field), "{field}: {err}");
    }
}

#[test]
fn receipt_under_another_units_keys_is_rejected() {
    let (a, b) = (cu8(), odd());
    let r = &a.receipts[0];
    assert!(matches!(b.verifier.verify(r), Err(VerifyError::WrongVerifyingKey { .. })));
    // Even claiming the other key's id does not help: the unit no longer matches.
    let mut claimed = r.clone();
    claimed.vk_id = b.verifier.key().id().to_string();
    assert!(matches!(b.verifier.verify(&claimed), Err(VerifyError::UnitMismatch { .. })));
    // And with the unit relabelled too, the ops (or the pairing) give it away.
    claimed.unit = "mm-i8-3x5x7".into();
    assert!(matches!(b.verifier.verify(&claimed), Err(VerifyError::OpsMismatch { .. })));
    claimed.ops = UnitSpec::new(3, 5, 7).unwrap().ops();
    assert_eq!(b.verifier.verify(&claimed), Err(VerifyError::ProofRejected));
}

#[test]
fn every_flipped_proof_byte_is_rejected() {
    let f = cu8();
    let r = &f.receipts[0];
    let bytes = r.proof_bytes().unwrap();
    for pos in 0..bytes.len() {
        for mask in [0x01u8, 0x80] {
            let mut bad = bytes;
            bad[pos] ^= mask;
            let mut t = r.clone();
            t.proof = encode_hex(&bad);
            let err = f.verifier.verify(&t).unwrap_err();
            assert!(
                matches!(err, VerifyError::InvalidProofPoint { .. } | VerifyError::ProofRejected),
                "byte {pos} mask {mask:#x}: {err}"
            );
        }
    }
}

#[test]
fn malformed_receipts_get_typed_errors() {
    let f = cu8();
    let text = f.receipts[0].to_json();
    let edit = |k: &str, val: serde_json::Value| {
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v[k] = val;
        f.verifier.verify_json(&v.to_string()).unwrap_err()
    };
    assert!(matches!(f.verifier.verify_json("{not json"), Err(VerifyError::MalformedReceipt(_))));
    assert!(matches!(f.verifier.verify_json(""), Err(VerifyError::MalformedReceipt(_))));
    assert!(matches!(f.verifier.verify_json("null"), Err(VerifyError::MalformedReceipt(_))));
    assert!(matches!(edit("proof", "zz".repeat(128).into()), VerifyError::BadProofEncoding(_)));
    let proof = f.receipts[0].proof.clone();
    assert!(matches!(edit("proof", proof[..200].into()), VerifyError::BadProofEncoding(_)));
    assert!(matches!(edit("proof", format!("{proof}00").into()), VerifyError::BadProofEncoding(_)));
    assert!(matches!(edit("version", 2.into()), VerifyError::UnsupportedVersion { found: 2, .. }));
    assert!(matches!(edit("version", (-1).into()), VerifyError::MalformedReceipt(_)));
    assert!(matches!(edit("ops", "many".into()), VerifyError::MalformedReceipt(_)));
    assert!(matches!(edit("unit", "mm-i8-0x0x0".into()), VerifyError::UnitMismatch { .. }));
    // What a receipt says about itself is quoted back escaped and short: a newline in
    // it cannot forge a line of a verifier's output, nor a megabyte of junk flood it.
    let forged_line = format!("x\nvalid receipt.json: {}", "y".repeat(10_000));
    for field in ["unit", "vk_id"] {
        let message = edit(field, forged_line.clone().into()).to_string();
        assert!(!message.contains('\n') && message.len() < 300, "{field}: {message}");
    }
    // A repeated key is refused, even when both copies agree.
    let dc = format!("\"dc\":\"{}\"", f.receipts[0].dc);
    let compact = serde_json::to_string(&f.receipts[0]).unwrap();
    let twice = compact.replacen(&dc, &format!("{dc},{dc}"), 1);
    assert_ne!(twice, compact);
    assert!(
        matches!(f.verifier.verify_json(&twice), Err(VerifyError::MalformedReceipt(m)) if m.contains("duplicate key"))
    );
    assert!(matches!(edit("da", "-1".into()), VerifyError::NonCanonicalInput { field: "da", .. }));
    assert!(matches!(edit("db", "0x01".into()), VerifyError::NonCanonicalInput { field: "db", .. }));
    assert!(matches!(edit("dc", "007".into()), VerifyError::NonCanonicalInput { field: "dc", .. }));
    // One spelling per proof: the same bytes in uppercase hex are refused.
    assert!(matches!(edit("proof", proof.to_uppercase().into()), VerifyError::BadProofEncoding(_)));
    f.verifier.verify_json(&text).unwrap();
}

#[test]
fn a_receipt_must_carry_its_keys_insecure_flag() {
    let f = cu8();
    let r = &f.receipts[0];
    assert!(r.insecure_dev_setup && f.verifier.key().insecure_dev_setup());
    f.verifier.verify(r).unwrap();
    let mut hidden = r.clone();
    hidden.insecure_dev_setup = false;
    assert_eq!(f.verifier.verify(&hidden), Err(VerifyError::InsecureFlagMismatch { key: true, receipt: false }));
}

#[test]
fn identity_points_and_their_non_canonical_encodings_are_refused() {
    use ark_ec::AffineRepr;
    let f = cu8();
    let r = &f.receipts[0];
    let bytes = r.proof_bytes().unwrap();
    f.verifier.verify(r).unwrap();
    let with = |range: std::ops::Range<usize>, enc: &[u8]| {
        let mut b = bytes;
        b[range].copy_from_slice(enc);
        let mut t = r.clone();
        t.proof = encode_hex(&b);
        f.verifier.verify(&t).unwrap_err()
    };
    let mut g1_identity = Vec::new();
    ark_bn254::G1Affine::zero().serialize_compressed(&mut g1_identity).unwrap();
    let mut g2_identity = Vec::new();
    G2Affine::zero().serialize_compressed(&mut g2_identity).unwrap();
    for (point, range, identity) in
        [("A", 0..32, &g1_identity), ("B", 32..96, &g2_identity), ("C", 96..128, &g1_identity)]
    {
        let err = with(range.clone(), identity);
        assert_eq!(err, VerifyError::InvalidProofPoint { point, reason: "the identity" }, "{point}");
        // The identity's flag with a stray coordinate byte: arkworks would read it as
        // the identity too; it is not the canonical encoding.
        let mut stray = identity.clone();
        stray[0] = 5;
        let err = with(range, &stray);
        assert_eq!(
            err,
            VerifyError::InvalidProofPoint { point, reason: "not the canonical encoding of its point" },
            "{point}"
        );
    }
}

#[test]
fn degenerate_verifying_keys_are_refused() {
    use ark_ec::AffineRepr;
    let f = cu8();
    let key = f.verifier.key();
    let honest = key.vk().clone();
    let spec = *key.unit();
    UnitVerifyingKey::new(spec, honest.clone(), true).unwrap();

    // Why: with γ = δ = O the proof (α, β, O) satisfies the pairing equation for any
    // statement, as ark-groth16's own check confirms.
    let mut broken = honest.clone();
    broken.gamma_g2 = G2Affine::zero();
    broken.delta_g2 = G2Affine::zero();
    let forged = ark_groth16::Proof { a: broken.alpha_g1, b: broken.beta_g2, c: ark_bn254::G1Affine::zero() };
    let anything = [ark_bn254::Fr::from(1u64), ark_bn254::Fr::from(2u64), ark_bn254::Fr::from(3u64)];
    let pvk = ark_groth16::prepare_verifying_key(&broken);
    assert!(Groth16::<Bn254>::verify_proof(&pvk, &forged, &anything).unwrap());
    assert!(matches!(UnitVerifyingKey::new(spec, broken, true), Err(VerifyError::BadKey(_))));

    type Edit = fn(&mut ark_groth16::VerifyingKey<Bn254>);
    let edits: [(&str, Edit); 7] = [
        ("alpha", |vk| vk.alpha_g1 = ark_bn254::G1Affine::zero()),
        ("beta", |vk| vk.beta_g2 = G2Affine::zero()),
        ("gamma", |vk| vk.gamma_g2 = G2Affine::zero()),
        ("delta", |vk| vk.delta_g2 = G2Affine::zero()),
        ("IC[0]", |vk| vk.gamma_abc_g1[0] = ark_bn254::G1Affine::zero()),
        ("IC[3]", |vk| vk.gamma_abc_g1[3] = ark_bn254::G1Affine::zero()),
        ("gamma = delta", |vk| vk.gamma_g2 = vk.delta_g2),
    ];
    for (what, edit) in edits {
        let mut vk = honest.clone();
        edit(&mut vk);
        let err = UnitVerifyingKey::new(spec, vk.clone(), true).unwrap_err();
        assert!(matches!(err, VerifyError::BadKey(_)), "{what}: {err}");
        // The same key as bytes, through the manifest path a C caller uses, fails alike.
        let bytes = UnitVerifyingKey::canonical_bytes(&vk);
        assert!(matches!(UnitVerifyingKey::from_bytes(spec, &bytes, true), Err(VerifyError::BadKey(_))), "{what}");
    }
}

#[test]
fn points_off_the_curve_and_outside_the_subgroup_have_their_own_error() {
    let f = cu8();
    let r = &f.receipts[0];
    let bytes = r.proof_bytes().unwrap();
    // A: an x with no point on the curve (try small x until decompression fails).
    let mut off = bytes;
    let mut found = false;
    for x in 1u8..50 {
        let mut cand = [0u8; 32];
        cand[0] = x; // little endian x
        if ark_bn254::G1Affine::get_point_from_x_unchecked(ark_bn254::Fq::from(x as u64), false).is_none() {
            off[..32].copy_from_slice(&cand);
            found = true;
            break;
        }
    }
    assert!(found);
    let mut t = r.clone();
    t.proof = encode_hex(&off);
    assert!(matches!(f.verifier.verify(&t), Err(VerifyError::InvalidProofPoint { point: "A", .. })));

    // B: a point on the twist curve but (almost surely) outside the r-order subgroup.
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let p = loop {
        let x = Fq2::rand(&mut rng);
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                break p;
            }
        }
    };
    assert!(p.is_on_curve());
    let mut enc = Vec::new();
    p.serialize_compressed(&mut enc).unwrap();
    let mut outside = bytes;
    outside[32..96].copy_from_slice(&enc);
    let mut t = r.clone();
    t.proof = encode_hex(&outside);
    assert_eq!(
        f.verifier.verify(&t),
        Err(VerifyError::InvalidProofPoint { point: "B", reason: "not in the prime-order subgroup" })
    );
}

#[test]
fn batch_accepts_honest_and_names_the_bad_receipt() {
    let f = cu8();
    let ok = f.verifier.verify_batch(&f.receipts).unwrap();
    assert_eq!(ok.len(), f.receipts.len());
    let mut batch = f.receipts.clone();
    let mut c = f.c.clone();
    *c.get_mut(0, 0).unwrap() ^= 1;
    batch[2].dc = digest_matrix(&c);
    match f.verifier.verify_batch(&batch) {
        Err(VerifyError::BatchFailed { total, failures }) => {
            assert_eq!(total, 4);
            assert_eq!(failures, vec![(2, VerifyError::ProofRejected)]);
        }
        other => panic!("expected BatchFailed, got {other:?}"),
    }
    // A structurally bad receipt is named with its own reason, the rest still checked.
    batch[2] = f.receipts[2].clone();
    batch[1].proof = "00".into();
    match f.verifier.verify_batch(&batch) {
        Err(VerifyError::BatchFailed { failures, .. }) => {
            assert_eq!(failures.len(), 1);
            assert_eq!(failures[0].0, 1);
            assert!(matches!(failures[0].1, VerifyError::BadProofEncoding(_)));
        }
        other => panic!("expected BatchFailed, got {other:?}"),
    }
    // Two proofs swapped between statements: each is valid for its own statement only.
    let mut swapped = f.receipts.clone();
    let p0 = swapped[0].proof.clone();
    swapped[0].proof = swapped[3].proof.clone();
    swapped[3].proof = p0;
    match f.verifier.verify_batch(&swapped) {
        Err(VerifyError::BatchFailed { failures, .. }) => {
            assert_eq!(failures.iter().map(|f| f.0).collect::<Vec<_>>(), vec![0, 3]);
        }
        other => panic!("expected BatchFailed, got {other:?}"),
    }
}

#[test]
fn key_files_missing_truncated_or_for_another_unit() {
    let f = cu8();
    let missing = f.dir.path().join("nope");
    assert!(matches!(UnitKeys::load(&missing, None), Err(ProverError::Verify(VerifyError::BadKey(_)))));
    let other: UnitSpec = "CU-16".parse().unwrap();
    let err = UnitKeys::load(f.dir.path(), Some(&other)).err().unwrap();
    assert!(err.to_string().contains("not mm-i8-16x16x16"), "{err}");

    let copy = tempfile::tempdir().unwrap();
    for name in ["keys.json", "verifying_key.bin", "proving_key.bin"] {
        std::fs::copy(f.dir.path().join(name), copy.path().join(name)).unwrap();
    }
    assert!(UnitKeys::load(copy.path(), None).is_ok());
    let pk = copy.path().join("proving_key.bin");
    let bytes = std::fs::read(&pk).unwrap();
    std::fs::write(&pk, &bytes[..bytes.len() / 2]).unwrap();
    let err = UnitKeys::load(copy.path(), None).err().unwrap();
    assert!(matches!(err, ProverError::KeyFile(_)) && err.to_string().contains("truncated"), "{err}");
    let vk = copy.path().join("verifying_key.bin");
    let vk_bytes = std::fs::read(&vk).unwrap();
    std::fs::write(&vk, &vk_bytes[..10]).unwrap();
    assert!(matches!(UnitVerifyingKey::load(copy.path()), Err(VerifyError::BadKey(_))));
    std::fs::write(&vk, [0u8; 0]).unwrap();
    assert!(matches!(UnitVerifyingKey::load(copy.path()), Err(VerifyError::BadKey(_))));
}

#[test]
fn dev_setup_is_deterministic_and_seed_dependent() {
    let spec: UnitSpec = "mm-i8-2x2x2".parse().unwrap();
    let a = setup_dev(spec, 1).unwrap();
    let b = setup_dev(spec, 1).unwrap();
    let c = setup_dev(spec, 2).unwrap();
    assert_eq!(a.manifest().vk_id, b.manifest().vk_id);
    assert_ne!(a.manifest().vk_id, c.manifest().vk_id);
    assert!(a.manifest().insecure_dev_setup);
    assert!(a.manifest().warning.as_deref().unwrap().contains("INSECURE"));
    // A dev key's verifying key follows from its seed: keys.json naming another seed is
    // refused on load; the true seed loads.
    let vk = a.verifying_key().unwrap();
    assert!(teraproof_prover::keys::is_dev_vk_of_seed(teraproof_core::UnitKind::Product, &spec, 1, vk.vk()));
    assert!(!teraproof_prover::keys::is_dev_vk_of_seed(teraproof_core::UnitKind::Product, &spec, 2, vk.vk()));
    let dir = tempfile::tempdir().unwrap();
    let mut a = a;
    a.save(dir.path()).unwrap();
    UnitKeys::load(dir.path(), None).unwrap();
    let manifest = dir.path().join("keys.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("\"dev_seed\": 1"), "{text}");
    std::fs::write(&manifest, text.replace("\"dev_seed\": 1", "\"dev_seed\": 5")).unwrap();
    let err = UnitKeys::load(dir.path(), None).err().unwrap().to_string();
    assert!(err.contains("development seed 5") && err.contains("not that seed's"), "{err}");
}

#[test]
fn wrong_input_shapes_are_errors() {
    let spec: UnitSpec = "mm-i8-2x3x2".parse().unwrap();
    let prover = Prover::new(setup_dev(spec, 3).unwrap(), Box::new(CpuMsm)).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let a = Matrix::<i8>::zeros(3, 2).unwrap();
    let b = Matrix::<i8>::zeros(3, 2).unwrap();
    assert!(matches!(prover.prove(&a, &b, &mut rng), Err(ProverError::Core(_))));
}
