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
