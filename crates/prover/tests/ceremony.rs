//! The snarkjs-compatible ceremony on checked-in data: the initial zkey is byte for byte
//! the one snarkjs wrote from the same ptau; honest contributions and a beacon verify
//! and import into keys that prove; each kind of tampering is refused by name.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ark_bn254::{Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use sha2::{Digest, Sha256};
use teraproof_core::{UnitKind, UnitSpec};
use teraproof_prover::ceremony::contribute::{beacon, contribute};
use teraproof_prover::ceremony::new::new_zkey;
use teraproof_prover::ceremony::verify::{verify_against, CeremonyError};
use teraproof_prover::ceremony::zkey::{Zkey, CONTRIBUTE_ORDER, NEW_ORDER};
use teraproof_prover::ptau::PtauFile;

fn ptau_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pot11.ptau")
}

fn unit() -> UnitSpec {
    "mm-i8-2x2x2".parse().unwrap()
}

/// The initial zkey of mm-i8-2x2x2 on the fixture ptau (made once).
fn init() -> &'static Zkey {
    static INIT: OnceLock<Zkey> = OnceLock::new();
    INIT.get_or_init(|| {
        let r1cs = teraproof_circuits::r1cs_of(UnitKind::Product, &unit()).unwrap();
        new_zkey(&r1cs, &mut PtauFile::open(&ptau_path()).unwrap()).unwrap()
    })
}

/// Two contributions and a beacon on the initial zkey (made once).
fn finished() -> &'static Zkey {
    static FINAL: OnceLock<Zkey> = OnceLock::new();
    FINAL.get_or_init(|| {
        let mut z = init().clone();
        contribute(&mut z, Some("alice".into()), b"some text").unwrap();
        contribute(&mut z, Some("bob".into()), b"").unwrap();
        beacon(&mut z, Some("Final Beacon".into()), &(1..=31).collect::<Vec<u8>>(), 10).unwrap();
        z
    })
}

/// A ptau record as import takes it, with `contributions` phase-1 contributions.
fn ptau_record(contributions: u32) -> teraproof_prover::ceremony::import::PtauRecord {
    teraproof_prover::ceremony::import::PtauRecord {
        sha256: "00".repeat(32),
        blake2b: "00".repeat(64),
        power: 11,
        contributions,
    }
}

fn bytes(z: &Zkey, order: &[u32; 10]) -> Vec<u8> {
    let mut out = Vec::new();
    z.write(&mut out, order).unwrap();
    out
}

#[test]
fn the_initial_zkey_is_snarkjs_own_byte_for_byte() {
    let z = init();
    let digest = Sha256::digest(bytes(z, &NEW_ORDER));
    assert_eq!(
        teraproof_core::receipt::encode_hex(&digest),
        "a1bda56ae2fafdd9fe760d34f25c1a08da1e922eef8c5002dfa76d7659d99e1a",
        "the zkey snarkjs groth16 setup wrote from the same r1cs and ptau"
    );
    assert_eq!(teraproof_core::receipt::encode_hex(&z.cs_hash[..4]), "29454edf");
    // And it reads back as itself.
    let back = Zkey::read(&mut std::io::Cursor::new(bytes(z, &NEW_ORDER)), bytes(z, &NEW_ORDER).len() as u64).unwrap();
    assert_eq!(&back, z);
}

#[test]
fn a_ptau_too_small_or_unprepared_is_refused_with_what_is_needed() {
    let acc = teraproof_circuits::r1cs_of(UnitKind::Accumulate, &unit()).unwrap();
    let e = new_zkey(&acc, &mut PtauFile::open(&ptau_path()).unwrap()).unwrap_err().to_string();
    assert!(e.contains("needs a Powers of Tau of power 12"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    // The first three sections of the fixture only: no Lagrange bases.
    let full = std::fs::read(ptau_path()).unwrap();
    let mut cut = full[..12].to_vec();
    cut[8..12].copy_from_slice(&3u32.to_le_bytes());
    let mut at = 12;
    for _ in 0..3 {
        let len = u64::from_le_bytes(full[at + 4..at + 12].try_into().unwrap()) as usize;
        cut.extend_from_slice(&full[at..at + 12 + len]);
        at += 12 + len;
    }
    std::fs::write(dir.path().join("raw.ptau"), cut).unwrap();
    let r1cs = teraproof_circuits::r1cs_of(UnitKind::Product, &unit()).unwrap();
    let e = new_zkey(&r1cs, &mut PtauFile::open(&dir.path().join("raw.ptau")).unwrap()).unwrap_err().to_string();
    assert!(e.contains("not prepared for phase 2"), "{e}");
}

#[test]
fn honest_contributions_and_a_beacon_verify_and_the_imported_keys_prove() {
    let z = finished();
    let checked = verify_against(init(), z.clone()).unwrap();
    assert_eq!(checked.contributions.len(), 3);
    assert_eq!(checked.contributions[2].beacon, Some(((1..=31).collect(), 10)));
    assert_eq!(checked.contributions[0].beacon, None);
    // Written and read back, still the same ceremony.
    let written = bytes(z, &CONTRIBUTE_ORDER);
    let back = Zkey::read(&mut std::io::Cursor::new(&written), written.len() as u64).unwrap();
    assert_eq!(&back, z);
    assert_eq!(checked.zkey(), &back);
    let ptau = ptau_record(1);
    let import = |c| teraproof_prover::ceremony::import::import(UnitKind::Product, unit(), c, &ptau);
    // The initial key alone verifies, but cannot be imported (δ = 1), nor a key whose
    // only contribution is a beacon (its secret is public), nor one on a ptau without
    // phase-1 contributions.
    let e = import(verify_against(init(), init().clone()).unwrap()).err().expect("refused").to_string();
    assert!(e.contains("no random contribution"), "{e}");
    let mut beacon_only = init().clone();
    beacon(&mut beacon_only, None, b"public", 10).unwrap();
    let e = import(verify_against(init(), beacon_only).unwrap()).err().expect("refused").to_string();
    assert!(e.contains("no random contribution"), "{e}");
    let e = teraproof_prover::ceremony::import::import(UnitKind::Product, unit(), checked.clone(), &ptau_record(0))
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("no phase-1 contribution"), "{e}");
    let keys = import(checked).unwrap();
    assert!(!keys.manifest().insecure_dev_setup);
    let vk = keys.verifying_key().unwrap();
    let prover = teraproof_prover::Prover::new(keys, Box::new(teraproof_prover::CpuMsm)).unwrap();
    let spec = unit();
    let a = teraproof_core::Matrix::from_fn(2, 2, |i, j| (3 * i + j) as i8 - 2).unwrap();
    let b = teraproof_core::Matrix::from_fn(2, 2, |i, j| (i * 5) as i8 - j as i8).unwrap();
    let out = prover.prove(&a, &b, &mut rand::thread_rng()).unwrap();
    assert_eq!(out.receipt.unit, spec.id());
    teraproof_verifier::Verifier::new(vk).verify(&out.receipt).unwrap();
}

/// `z` with one change, checked against the initial key.
fn tampered(change: impl FnOnce(&mut Zkey)) -> CeremonyError {
    let mut z = finished().clone();
    change(&mut z);
    verify_against(init(), z).unwrap_err()
}

fn double(p: &G1Affine) -> G1Affine {
    (*p * Fr::from(2u64)).into_affine()
}

#[test]
fn each_kind_of_tampering_is_refused_by_name() {
    // δ moved without a proof for it.
    let e = tampered(|z| {
        z.header.delta1 = double(&z.header.delta1);
        z.header.delta2 = (z.header.delta2 * Fr::from(2u64)).into_affine();
    });
    assert_eq!(e, CeremonyError::FinalDelta);
    // A contribution's δ_after that its proof does not cover.
    let e = tampered(|z| z.contributions[1].delta_after = double(&z.contributions[1].delta_after));
    assert!(matches!(e, CeremonyError::InconsistentTranscript(3) | CeremonyError::BrokenDeltaChain(2)), "{e}");
    // A proof of knowledge that does not hold.
    let e = tampered(|z| z.contributions[0].g2_spx = (z.contributions[0].g2_spx * Fr::from(3u64)).into_affine());
    assert!(matches!(e, CeremonyError::BadProofOfKnowledge(1) | CeremonyError::InconsistentTranscript(2)), "{e}");
    // A broken hash chain.
    let e = tampered(|z| z.contributions[1].transcript[0] ^= 1);
    assert_eq!(e, CeremonyError::InconsistentTranscript(2));
    // A beacon that is not its value's.
    let e = tampered(|z| {
        if let teraproof_prover::ceremony::zkey::ContributionKind::Beacon { hash, .. } = &mut z.contributions[2].kind {
            hash[0] ^= 1;
        }
    });
    assert_eq!(e, CeremonyError::BeaconMismatch(3));
    // A replaced L or H point.
    let e = tampered(|z| z.l[5] = double(&z.l[5]));
    assert_eq!(e, CeremonyError::LNotScaled);
    let e = tampered(|z| z.h[7] = G1Affine::generator());
    assert_eq!(e, CeremonyError::HNotScaled);
    // Parts no contribution may change.
    let e = tampered(|z| z.a[9] = double(&z.a[9]));
    assert_eq!(e, CeremonyError::NotThisCircuit("A section"));
    let e = tampered(|z| z.cs_hash[3] ^= 1);
    assert_eq!(e, CeremonyError::NotThisCircuit("circuit hash"));
}

#[test]
fn a_zkey_for_another_unit_is_refused() {
    let other: UnitSpec = "mm-i8-2x2x1".parse().unwrap();
    let r1cs = teraproof_circuits::r1cs_of(UnitKind::Product, &other).unwrap();
    let other_init = new_zkey(&r1cs, &mut PtauFile::open(&ptau_path()).unwrap()).unwrap();
    let e = verify_against(&other_init, finished().clone()).unwrap_err();
    assert!(matches!(e, CeremonyError::NotThisCircuit(_)), "{e}");
}

#[test]
fn damaged_zkey_files_are_refused_never_a_panic() {
    let written = bytes(finished(), &CONTRIBUTE_ORDER);
    // Truncated anywhere.
    for cut in [0, 5, 12, 100, 700, written.len() / 2, written.len() - 1] {
        let part = &written[..cut];
        assert!(Zkey::read(&mut std::io::Cursor::new(part), part.len() as u64).is_err(), "cut at {cut}");
    }
    // Bytes flipped across the file: refused, or read into a zkey that does not verify.
    let mut refused = 0;
    for at in (0..written.len()).step_by(written.len() / 97) {
        let mut bad = written.clone();
        bad[at] ^= 0x5a;
        match Zkey::read(&mut std::io::Cursor::new(&bad), bad.len() as u64) {
            Err(_) => refused += 1,
            Ok(z) => assert!(verify_against(init(), z).is_err(), "a flip at {at} verified"),
        }
    }
    assert!(refused > 0);
}

/// The development ptau (benchmarks use it at sizes no fixture has) serves a ceremony
/// whose keys prove and verify, which they cannot when any Lagrange or H point is off.
#[test]
fn a_development_ptau_serves_a_ceremony_whose_keys_prove() {
    use std::str::FromStr;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dev.ptau");
    let (tau, alpha, beta) = (Fr::from(123456789u64), Fr::from(5u64), Fr::from_str("77").unwrap());
    teraproof_prover::ceremony::dev_ptau::write_dev_ptau(&path, 11, tau, alpha, beta).unwrap();
    assert_eq!(PtauFile::open(&path).unwrap().power, 11);
    let r1cs = teraproof_circuits::r1cs_of(UnitKind::Product, &unit()).unwrap();
    let mut z = new_zkey(&r1cs, &mut PtauFile::open(&path).unwrap()).unwrap();
    let init = z.clone();
    contribute(&mut z, None, b"").unwrap();
    let checked = verify_against(&init, z).unwrap();
    // A development ptau lists no phase-1 contribution: its keys are never imported.
    let mut file = PtauFile::open(&path).unwrap();
    assert_eq!(file.contributions().unwrap(), 0);
    assert!(teraproof_prover::ceremony::import::import(UnitKind::Product, unit(), checked.clone(), &ptau_record(0))
        .is_err());
    // Its Lagrange and H points are right: keys made from it (here, in a test) prove.
    let keys = teraproof_prover::ceremony::import::import(UnitKind::Product, unit(), checked, &ptau_record(1)).unwrap();
    let vk = keys.verifying_key().unwrap();
    let prover = teraproof_prover::Prover::new(keys, Box::new(teraproof_prover::CpuMsm)).unwrap();
    let a = teraproof_core::Matrix::from_fn(2, 2, |i, j| (i + 2 * j) as i8).unwrap();
    let out = prover.prove(&a, &a, &mut rand::thread_rng()).unwrap();
    teraproof_verifier::Verifier::new(vk).verify(&out.receipt).unwrap();
}
