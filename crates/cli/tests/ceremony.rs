//! snarkjs-compatible phase 2 files, checked with the real snarkjs 0.7.6 (tools/snarkjs).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn teraproof(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_teraproof"))
        .args(args)
        .current_dir(cwd)
        .env("TERAPROOF_CACHE", cwd.join("cache"))
        .output()
        .expect("the binary runs")
}

fn snarkjs_bin() -> Option<PathBuf> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/snarkjs/node_modules/.bin/snarkjs");
    bin.exists().then_some(bin)
}

/// snarkjs's output with its colour codes removed.
fn snarkjs(bin: &Path, args: &[&str], cwd: &Path) -> (bool, String) {
    let o = Command::new(bin).args(args).current_dir(cwd).env("NO_COLOR", "1").output().expect("node runs snarkjs");
    let text = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    let mut plain = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    (o.status.success(), plain)
}

/// `ceremony r1cs` and `prove --wtns-out`: snarkjs reads our constraint system (its counts
/// are ours), finds our witness correct, and finds a witness with one value changed, or
/// for other matrices than the circuit's dA, incorrect.
#[test]
fn snarkjs_reads_our_r1cs_and_checks_our_witness() {
    let Some(sj) = snarkjs_bin() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the real snarkjs (scripts/test.sh installs it)");
        println!("SKIPPED: tools/snarkjs/node_modules is absent");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let unit = "mm-i8-4x4x4";
    assert!(teraproof(&["setup", "--unit", unit, "--dev-seed", "2", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", unit, "--seed", "3", "--out", "."], d).status.success());
    let o = teraproof(&["ceremony", "r1cs", "--unit", unit, "--out", "unit.r1cs"], d);
    assert!(o.status.success(), "{o:?}");
    let info: serde_json::Value = serde_json::from_slice(&teraproof(&["info", unit], d).stdout).unwrap();
    let constraints = info["constraints"].as_u64().unwrap();
    let o = teraproof(
        &["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json", "--wtns-out", "W.wtns"],
        d,
    );
    assert!(o.status.success(), "{o:?}");

    let (ok, text) = snarkjs(&sj, &["r1cs", "info", "unit.r1cs"], d);
    assert!(ok, "{text}");
    assert!(text.contains("Curve: bn-128"), "{text}");
    assert!(text.contains(&format!("# of Constraints: {constraints}")), "{text}");
    assert!(text.contains("# of Public Inputs: 3") && text.contains("# of Outputs: 0"), "{text}");
    let wires: u64 = text.lines().find_map(|l| l.split("# of Wires: ").nth(1)).unwrap().trim().parse().unwrap();
    let wtns = std::fs::read(d.join("W.wtns")).unwrap();
    assert_eq!(wtns.len() as u64, 12 + 12 + 40 + 12 + 32 * wires, "one value per wire");

    let (ok, text) = snarkjs(&sj, &["wtns", "check", "unit.r1cs", "W.wtns"], d);
    assert!(ok && text.contains("WITNESS IS CORRECT"), "{text}");
    // Wires 1-3 are the receipt's dA, dB, dC.
    let receipt: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("R.json")).unwrap()).unwrap();
    let value = |i: usize| {
        let at = 12 + 12 + 40 + 12 + 32 * i;
        let mut be = wtns[at..at + 32].to_vec();
        be.reverse();
        num_decimal(&be)
    };
    assert_eq!(value(0), "1");
    for (i, field) in ["da", "db", "dc"].iter().enumerate() {
        assert_eq!(value(i + 1), receipt[field].as_str().unwrap(), "{field}");
    }
    // A value changed: a witness snarkjs refuses.
    let mut bad = wtns.clone();
    let last = bad.len() - 32;
    bad[last] ^= 1;
    std::fs::write(d.join("bad.wtns"), &bad).unwrap();
    let (ok, text) = snarkjs(&sj, &["wtns", "check", "unit.r1cs", "bad.wtns"], d);
    assert!(!ok && text.contains("WITNESS IS NOT CORRECT"), "{text}");
    // Another dA in the public wire: the digest constraints fail.
    let mut bad = wtns.clone();
    bad[12 + 12 + 40 + 12 + 32] ^= 1;
    std::fs::write(d.join("bad.wtns"), &bad).unwrap();
    let (ok, text) = snarkjs(&sj, &["wtns", "check", "unit.r1cs", "bad.wtns"], d);
    assert!(!ok && text.contains("WITNESS IS NOT CORRECT"), "{text}");
}

/// A big-endian unsigned integer as a decimal string.
fn num_decimal(be: &[u8]) -> String {
    let mut digits = vec![0u8]; // little-endian base-10 digits
    for &byte in be {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

/// A whole ceremony across both tools: our initial zkey, our contribution, snarkjs's,
/// ours again, our beacon. `snarkjs zkey verify` and `ceremony verify` agree on it (and
/// on a tampered copy); the imported keys prove receipts snarkjs verifies, and snarkjs's
/// proof from the zkey and our witness passes our verifier.
#[test]
fn a_ceremony_across_teraproof_and_snarkjs() {
    let Some(sj) = snarkjs_bin() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the real snarkjs (scripts/test.sh installs it)");
        println!("SKIPPED: tools/snarkjs/node_modules is absent");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ptau = Path::new(env!("CARGO_MANIFEST_DIR")).join("../prover/tests/fixtures/pot11.ptau");
    std::fs::copy(&ptau, d.join("pot.ptau")).unwrap();
    let unit = "mm-i8-2x2x2";
    let ok = |o: Output| {
        assert!(o.status.success(), "{o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ok(teraproof(&["ceremony", "r1cs", "--unit", unit, "--out", "unit.r1cs"], d));
    ok(teraproof(&["ceremony", "new", "--unit", unit, "--ptau", "pot.ptau", "--out", "0.zkey"], d));
    let ours1 = ok(teraproof(&["ceremony", "contribute", "--in", "0.zkey", "--out", "1.zkey", "--name", "alice"], d));
    let (done, text) = snarkjs(&sj, &["zkey", "contribute", "1.zkey", "2.zkey", "--name=bob", "-e=entropy"], d);
    assert!(done, "{text}");
    ok(teraproof(&["ceremony", "contribute", "--in", "2.zkey", "--out", "3.zkey", "--name", "carol"], d));
    let beacon = ["ceremony", "beacon", "--in", "3.zkey", "--out", "final.zkey", "--iterations", "10", "--hash"];
    ok(teraproof(&[&beacon[..], &["0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"]].concat(), d));

    let (done, text) = snarkjs(&sj, &["zkey", "verify", "unit.r1cs", "pot.ptau", "final.zkey"], d);
    assert!(done && text.contains("ZKey Ok!"), "{text}");
    // snarkjs prints our contribution's hash as we did.
    let hash_lines: Vec<&str> = ours1.lines().filter(|l| l.starts_with("\t\t")).collect();
    assert_eq!(hash_lines.len(), 4);
    assert!(hash_lines.iter().all(|l| text.contains(l)), "{text}");
    let ours = ok(teraproof(&["ceremony", "verify", "--unit", unit, "--ptau", "pot.ptau", "--zkey", "final.zkey"], d));
    assert!(ours.contains("zkey ok: 4 contributions check") && ours.contains("bob"), "{ours}");

    // Tampered copies: both tools refuse each, ours by name.
    let honest = std::fs::read(d.join("final.zkey")).unwrap();
    let section = |id: u32| {
        let mut at = 12;
        loop {
            let sid = u32::from_le_bytes(honest[at..at + 4].try_into().unwrap());
            let len = u64::from_le_bytes(honest[at + 4..at + 12].try_into().unwrap()) as usize;
            if sid == id {
                return at + 12;
            }
            at += 12 + len;
        }
    };
    let (header, l, h, mpc) = (section(2), section(8), section(9), section(10));
    let copy = |bytes: &mut Vec<u8>, from: usize, to: usize, len: usize| {
        let piece = bytes[from..from + len].to_vec();
        bytes[to..to + len].copy_from_slice(&piece);
    };
    type Tamper = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Tamper, &str)> = vec![
        (
            "a replaced L point",
            Box::new(move |b| copy(b, l + 64, l, 64)),
            "the L section is not the initial one divided by δ",
        ),
        (
            "a replaced H point",
            Box::new(move |b| copy(b, h + 64, h, 64)),
            "the H section is not the initial one divided by δ",
        ),
        // δ·G1 replaced by α·G1 (a valid point, but no contribution's).
        (
            "a δ without its proof",
            Box::new(move |b| copy(b, header + 84, header + 468, 64)),
            "the key's δ is not the last contribution's",
        ),
        // The first contribution's transcript (after its four points).
        ("a broken hash chain", Box::new(move |b| b[mpc + 68 + 320] ^= 1), "transcript does not follow"),
        ("a truncated file", Box::new(|b| b.truncate(b.len() / 2)), "not a usable zkey"),
    ];
    for (what, tamper, ours) in cases {
        let mut bytes = honest.clone();
        tamper(&mut bytes);
        std::fs::write(d.join("bad.zkey"), &bytes).unwrap();
        let (done, text) = snarkjs(&sj, &["zkey", "verify", "unit.r1cs", "pot.ptau", "bad.zkey"], d);
        assert!(!done || !text.contains("ZKey Ok!"), "snarkjs took {what}: {text}");
        let o = teraproof(&["ceremony", "verify", "--unit", unit, "--ptau", "pot.ptau", "--zkey", "bad.zkey"], d);
        assert_eq!(o.status.code(), Some(1), "{what}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(ours), "{what}: {o:?}");
    }
    // The honest zkey taken for another unit: both refuse.
    ok(teraproof(&["ceremony", "r1cs", "--unit", "mm-i8-2x2x1", "--out", "other.r1cs"], d));
    let (done, text) = snarkjs(&sj, &["zkey", "verify", "other.r1cs", "pot.ptau", "final.zkey"], d);
    assert!(!done || !text.contains("ZKey Ok!"), "{text}");
    let o =
        teraproof(&["ceremony", "verify", "--unit", "mm-i8-2x2x1", "--ptau", "pot.ptau", "--zkey", "final.zkey"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not this unit's"), "{o:?}");

    // Imported keys: not insecure, prove, verify here and in snarkjs.
    let out = ok(teraproof(
        &["ceremony", "import", "--unit", unit, "--ptau", "pot.ptau", "--zkey", "final.zkey", "--out", "K"],
        d,
    ));
    assert!(out.contains("4 contributions"), "{out}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("K/keys.json")).unwrap()).unwrap();
    assert_eq!(manifest["insecure_dev_setup"], false);
    assert_eq!(manifest["ceremony"]["contributions"].as_array().unwrap().len(), 4);
    ok(teraproof(&["inputs", "--unit", unit, "--seed", "4", "--out", "."], d));
    let proved = ok(teraproof(
        &["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json", "--wtns-out", "W.wtns"],
        d,
    ));
    assert!(!proved.contains("INSECURE"), "{proved}");
    let verified = ok(teraproof(&["verify", "--keys", "K", "--a", "A.json", "--b", "B.json", "R.json"], d));
    assert!(verified.starts_with("valid R.json") && !verified.contains("INSECURE"), "{verified}");
    ok(teraproof(&["export", "snarkjs", "--keys", "K", "R.json", "--out", "SJ"], d));
    let (done, text) =
        snarkjs(&sj, &["groth16", "verify", "SJ/verification_key.json", "SJ/public.json", "SJ/proof.json"], d);
    assert!(done && text.contains("OK!"), "{text}");
    // snarkjs proves from the zkey and our witness; our verifier accepts that proof.
    let (done, text) = snarkjs(&sj, &["groth16", "prove", "final.zkey", "W.wtns", "sp.json", "spub.json"], d);
    assert!(done, "{text}");
    let proof =
        teraproof_verifier::snarkjs::proof_from_json(&std::fs::read_to_string(d.join("sp.json")).unwrap()).unwrap();
    let public: Vec<String> = serde_json::from_str(&std::fs::read_to_string(d.join("spub.json")).unwrap()).unwrap();
    let mut receipt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("R.json")).unwrap()).unwrap();
    assert_eq!(public, [&receipt["da"], &receipt["db"], &receipt["dc"]].map(|v| v.as_str().unwrap().to_string()));
    receipt["proof"] = teraproof_core::receipt::encode_hex(&teraproof_verifier::encode_proof(&proof)).into();
    std::fs::write(d.join("theirs.json"), receipt.to_string()).unwrap();
    let verified = ok(teraproof(&["verify", "--keys", "K", "theirs.json"], d));
    assert!(verified.starts_with("valid theirs.json"), "{verified}");
}
