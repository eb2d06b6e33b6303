//! The sumcheck path from the command line: setup of an SRS (dev seed, or a Powers of Tau
//! made by the real snarkjs), prove, verify with and without the buyer's data, and the
//! side-by-side bench.

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

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn snarkjs_bin() -> Option<PathBuf> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/snarkjs/node_modules/.bin/snarkjs");
    bin.exists().then_some(bin)
}

#[test]
fn a_dev_srs_proves_and_the_buyer_checks_its_own_matrices() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = teraproof(&["setup", "--system", "sumcheck", "--unit", "mm-i8-3x5x7", "--dev-seed", "3", "--out", "S"], d);
    assert!(o.status.success(), "{o:?}");
    assert!(text(&o).contains("INSECURE development SRS"), "{o:?}");
    let id = text(&o).lines().find_map(|l| l.strip_prefix("srs id")).unwrap().trim().to_string();
    // A second setup into the same folder needs --force.
    let o = teraproof(&["setup", "--system", "sumcheck", "--unit", "mm-i8-3x5x7", "--dev-seed", "3", "--out", "S"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("--force"), "{o:?}");
    assert!(teraproof(&["inputs", "--unit", "mm-i8-3x5x7", "--out", "."], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-3x5x7", "--seed", "2", "--out", "other"], d).status.success());
    let o = teraproof(
        &["prove", "--keys", "S", "--a", "A.json", "--b", "B.json", "--out", "R.json", "--c-out", "C.json"],
        d,
    );
    assert!(o.status.success(), "{o:?}");
    assert!(text(&o).contains("sumcheck"), "{o:?}");

    let o = teraproof(&["verify", "--keys", "S", "R.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(text(&o).contains("valid R.json: mm-i8-3x5x7 sumcheck, srs ") && text(&o).contains("proof only"), "{o:?}");
    let o = teraproof(&["verify", "--keys", "S", "--a", "A.json", "--b", "B.json", "--c", "C.json", "R.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(text(&o).contains("commitments of A, B, C recomputed and equal"), "{o:?}");
    // The verdicts as JSON, for programs; a missing file is unchecked (exit 2), a bad one
    // invalid (exit 1, which wins).
    let o = teraproof(&["verify", "--keys", "S", "--json", "R.json", "missing.json"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list[0]["verdict"], "valid");
    assert_eq!(list[0]["system"], "sumcheck");
    assert_eq!(list[0]["insecure_dev_setup"], true);
    assert_eq!(list[1]["verdict"], "unchecked");
    // The SRS pinned by its id: the right one passes, another stops the check (status 2).
    let o = teraproof(&["verify", "--keys", "S", "--srs-id", &id, "R.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(text(&o).contains(&id), "{o:?}");
    let o = teraproof(&["verify", "--keys", "S", "--srs-id", &"ab".repeat(32), "R.json"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o).contains("not the pinned --srs-id"), "{o:?}");
    // Another A of the same shape: its commitment is not the receipt's.
    let o = teraproof(&["verify", "--keys", "S", "--a", "other/A.json", "R.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("commitment to A recomputed from the given matrix is not the receipt's"), "{o:?}");
    // A matrix of another shape is reported as such.
    let o = teraproof(&["verify", "--keys", "S", "--a", "B.json", "R.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("the given A is 5x7, the receipt's A is 3x5"), "{o:?}");
    // A changed C element.
    let mut c: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("C.json")).unwrap()).unwrap();
    c["data"][4] = (c["data"][4].as_i64().unwrap() + 1).into();
    std::fs::write(d.join("C2.json"), c.to_string()).unwrap();
    let o = teraproof(&["verify", "--keys", "S", "--c", "C2.json", "R.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("commitment to C"), "{o:?}");
    // A garbled receipt is invalid, not a crash; a missing key folder is exit 2.
    std::fs::write(d.join("bad.json"), "{\"version\": 1, \"kind\": \"sumcheck-matmul\"}").unwrap();
    let o = teraproof(&["verify", "--keys", "S", "R.json", "bad.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("invalid bad.json"), "{o:?}");
    let o = teraproof(&["verify", "--keys", "S", "bad.json", "missing.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let o = teraproof(&["verify", "--system", "sumcheck", "--keys", "nowhere", "R.json"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    // A unit too large for the SRS is refused with the powers it needs.
    assert!(teraproof(&["inputs", "--unit", "CU-16", "--out", "big"], d).status.success());
    let o = teraproof(&["prove", "--keys", "S", "--a", "big/A.json", "--b", "big/B.json", "--out", "R3.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("this shape needs 256"), "{o:?}");
    assert!(!d.join("R3.json").exists());
    // --ptau belongs to the sumcheck system.
    let o = teraproof(&["setup", "--unit", "CU-8", "--ptau", "x.ptau", "--out", "G"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("--system sumcheck"), "{o:?}");
    // A file that is not a ptau.
    std::fs::write(d.join("x.ptau"), "garbage").unwrap();
    let o = teraproof(&["setup", "--system", "sumcheck", "--unit", "CU-8", "--ptau", "x.ptau", "--out", "P"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("truncated, or not a ptau file"), "{o:?}");
}

/// The SRS from a Powers of Tau the real snarkjs made and contributed to: not marked
/// insecure, proves and verifies; a ptau too small for the unit is refused by name.
#[test]
fn an_srs_from_a_snarkjs_powers_of_tau() {
    let Some(snarkjs) = snarkjs_bin() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the real snarkjs (scripts/test.sh installs it)");
        println!("SKIPPED an_srs_from_a_snarkjs_powers_of_tau: tools/snarkjs/node_modules is absent");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let o = Command::new(&snarkjs).args(args).current_dir(d).output().expect("node runs snarkjs");
        assert!(o.status.success(), "snarkjs {args:?}: {o:?}");
    };
    run(&["powersoftau", "new", "bn128", "5", "p0.ptau"]);
    run(&["powersoftau", "contribute", "p0.ptau", "p1.ptau", "--name=test", "-e=some entropy"]);
    // Power 5 holds 2·32 − 1 = 63 G1 powers: enough for 4x4x4 (16), not for 8x8x8 (64).
    let o =
        teraproof(&["setup", "--system", "sumcheck", "--unit", "mm-i8-4x4x4", "--ptau", "p1.ptau", "--out", "S"], d);
    assert!(o.status.success(), "{o:?}");
    assert!(text(&o).contains("source      ptau:"), "{o:?}");
    assert!(!text(&o).contains("INSECURE"), "{o:?}");
    assert!(teraproof(&["inputs", "--unit", "mm-i8-4x4x4", "--out", "."], d).status.success());
    let o = teraproof(&["prove", "--keys", "S", "--a", "A.json", "--b", "B.json", "--out", "R.json"], d);
    assert!(o.status.success(), "{o:?}");
    let receipt: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("R.json")).unwrap()).unwrap();
    assert_eq!(receipt["insecure_dev_setup"], false);
    let o = teraproof(&["verify", "--keys", "S", "--a", "A.json", "--b", "B.json", "R.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(!text(&o).contains("INSECURE"), "{o:?}");
    let o = teraproof(&["setup", "--system", "sumcheck", "--unit", "CU-8", "--ptau", "p1.ptau", "--out", "S8"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o).contains("holds 63 G1 powers; 64 are needed"), "{o:?}");
}

#[test]
fn bench_measures_both_systems_on_the_same_units() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = teraproof(
        &[
            "bench",
            "--units",
            "CU-2,mm-i8-3x5x2",
            "--systems",
            "groth16,sumcheck",
            "--repeats",
            "1",
            "--json",
            "b.json",
        ],
        d,
    );
    assert!(o.status.success(), "{o:?}");
    let out = text(&o);
    assert!(out.contains("side by side") && out.contains("mm-i8-3x5x2"), "{out}");
    let rows: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("b.json")).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let sumcheck: Vec<_> = rows.iter().filter(|r| r["system"] == "sumcheck").collect();
    assert_eq!(sumcheck.len(), 2);
    for row in sumcheck {
        for key in ["prove_ms", "commit_ms", "open_ms", "verify_ms", "buyer_commit_ms", "proof_bytes", "srs_bytes"] {
            assert!(row[key].as_f64().unwrap() > 0.0, "{key} in {row}");
        }
    }
    for row in rows.iter().filter(|r| r["system"] == "groth16") {
        assert!(row["key_bytes"].as_u64().unwrap() > 0, "{row}");
    }
}
