//! snarkjs interop: our exports verify with the real `snarkjs groth16 verify`
//! (installed by `scripts/test.sh` into tools/snarkjs), and import back exactly;
//! tampered exports are refused by both.

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::{Rng, SeedableRng};
use teraproof::core::{Matrix, UnitSpec};
use teraproof::prover::{setup_dev, CpuMsm, Prover};
use teraproof::verifier::{decode_proof, snarkjs, VerifyError};

fn snarkjs_bin() -> Option<PathBuf> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/snarkjs/node_modules/.bin/snarkjs");
    bin.exists().then_some(bin)
}

fn snarkjs_accepts(dir: &Path, bin: &Path) -> bool {
    let out = Command::new(bin)
        .args(["groth16", "verify", "verification_key.json", "public.json", "proof.json"])
        .current_dir(dir)
        .output()
        .expect("node runs snarkjs");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    out.status.success() && text.contains("OK")
}

#[test]
fn exports_verify_with_snarkjs_and_import_back() {
    let unit: UnitSpec = "mm-i8-3x5x7".parse().unwrap();
    let keys = setup_dev(unit, 7).unwrap();
    let vk = keys.verifying_key().unwrap();
    let prover = Prover::new(keys, Box::new(CpuMsm)).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let a = Matrix::from_fn(3, 5, |_, _| rng.gen::<i8>()).unwrap();
    let b = Matrix::from_fn(5, 7, |_, _| rng.gen::<i8>()).unwrap();
    let receipt = prover.prove(&a, &b, &mut rng).unwrap().receipt;
    let proof = decode_proof(&receipt.proof_bytes().unwrap()).unwrap();
    let inputs = [receipt.da.0, receipt.db.0, receipt.dc.0];

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: serde_json::Value| std::fs::write(dir.path().join(name), v.to_string()).unwrap();
    write("proof.json", snarkjs::proof_json(&proof));
    write("public.json", snarkjs::public_json(&inputs));
    write("verification_key.json", snarkjs::verification_key_json(vk.vk()));

    // Import: the same proof, inputs and key.
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(snarkjs::proof_from_json(&read("proof.json")).unwrap(), proof);
    assert_eq!(snarkjs::public_from_json(&read("public.json")).unwrap(), inputs.to_vec());
    assert_eq!(&snarkjs::verification_key_from_json(&read("verification_key.json")).unwrap(), vk.vk());

    // Strict import: x + q is refused, not reduced; a point off the curve is refused.
    let q = "21888242871839275222246405745257275089696311157297823662689037894645226208583";
    let mut v: serde_json::Value = serde_json::from_str(&read("proof.json")).unwrap();
    v["pi_a"][2] = "2".into();
    assert!(snarkjs::proof_from_json(&v.to_string()).is_err());
    v["pi_a"][2] = "1".into();
    v["pi_a"][0] = q.into();
    assert!(snarkjs::proof_from_json(&v.to_string()).is_err());
    v["pi_a"][0] = "1".into();
    v["pi_a"][1] = "1".into();
    assert!(matches!(snarkjs::proof_from_json(&v.to_string()), Err(VerifyError::InvalidProofPoint { point: "A", .. })));
    // Each proof point written as the identity is refused, as `decode_proof` refuses it.
    let honest: serde_json::Value = serde_json::from_str(&read("proof.json")).unwrap();
    for (key, point, identity) in [
        ("pi_a", "A", serde_json::json!(["0", "1", "0"])),
        ("pi_b", "B", serde_json::json!([["0", "0"], ["1", "0"], ["0", "0"]])),
        ("pi_c", "C", serde_json::json!(["0", "1", "0"])),
    ] {
        let mut v = honest.clone();
        v[key] = identity;
        assert_eq!(
            snarkjs::proof_from_json(&v.to_string()),
            Err(VerifyError::InvalidProofPoint { point, reason: "the identity" }),
            "{key}"
        );
    }
    // A repeated key is refused, whichever copy a reader would take.
    let text = read("proof.json");
    let twice = text.replacen("\"pi_a\":", &format!("\"pi_a\":{},\"pi_a\":", honest["pi_c"]), 1);
    assert!(
        matches!(snarkjs::proof_from_json(&twice), Err(VerifyError::MalformedReceipt(m)) if m.contains("duplicate key"))
    );
    // Degenerate keys (an identity point, gamma = delta) are refused on import.
    let key: serde_json::Value = serde_json::from_str(&read("verification_key.json")).unwrap();
    for (field, value) in [
        ("vk_alpha_1", serde_json::json!(["0", "1", "0"])),
        ("vk_delta_2", key["vk_gamma_2"].clone()),
        ("vk_gamma_2", serde_json::json!([["0", "0"], ["1", "0"], ["0", "0"]])),
    ] {
        let mut v = key.clone();
        v[field] = value;
        assert!(matches!(snarkjs::verification_key_from_json(&v.to_string()), Err(VerifyError::BadKey(_))), "{field}");
    }
    // vk_alphabeta_12 is e(alpha, beta); any other value is refused.
    assert_eq!(
        key["vk_alphabeta_12"],
        snarkjs::gt_json(&ark_ec::pairing::Pairing::pairing(vk.vk().alpha_g1, vk.vk().beta_g2))
    );
    let mut v = key.clone();
    v["vk_alphabeta_12"][0][0][0] = "1".into();
    assert!(
        matches!(snarkjs::verification_key_from_json(&v.to_string()), Err(VerifyError::BadKey(m)) if m.contains("vk_alphabeta_12"))
    );
    let mut v = key.clone();
    v["IC"][2] = serde_json::json!(["0", "1", "0"]);
    assert!(matches!(snarkjs::verification_key_from_json(&v.to_string()), Err(VerifyError::BadKey(_))));

    let r_plus = "21888242871839275222246405745257275088548364400416034343698204186575808495618";
    assert!(matches!(
        snarkjs::public_from_json(&format!("[\"{r_plus}\", \"1\", \"2\"]")),
        Err(VerifyError::NonCanonicalInput { field: "da", .. })
    ));

    // The real snarkjs.
    let Some(bin) = snarkjs_bin() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the real snarkjs (scripts/test.sh installs it)");
        println!(
            "SKIPPED the snarkjs run: tools/snarkjs/node_modules is absent (scripts/test.sh installs it with npm)"
        );
        return;
    };
    assert!(snarkjs_accepts(dir.path(), &bin), "snarkjs rejected an honest proof");
    let mut tampered = inputs;
    tampered[2] += teraproof::core::Fr::from(1u64);
    write("public.json", snarkjs::public_json(&tampered));
    assert!(!snarkjs_accepts(dir.path(), &bin), "snarkjs accepted a changed dC");
}
