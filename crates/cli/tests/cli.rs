//! The command line, end to end, as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

fn teraproof(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_teraproof"))
        .args(args)
        .current_dir(cwd)
        .env("TERAPROOF_CACHE", cwd.join("cache"))
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A decimal below 2^256 as 32 big-endian bytes.
fn decimal_to_be32(decimal: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for digit in decimal.bytes() {
        let mut carry = u32::from(digit - b'0');
        for byte in out.iter_mut().rev() {
            let v = u32::from(*byte) * 10 + carry;
            *byte = v as u8;
            carry = v >> 8;
        }
    }
    out
}

#[test]
fn setup_prove_verify_round_trip_and_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = teraproof(&["setup", "--unit", "mm-i8-3x5x7", "--dev-seed", "7", "--out", "KEYDIR"], d);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("INSECURE"));
    // Refuses to overwrite without --force.
    let o = teraproof(&["setup", "--unit", "mm-i8-3x5x7", "--dev-seed", "7", "--out", "KEYDIR"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(teraproof(&["inputs", "--unit", "mm-i8-3x5x7", "--seed", "4", "--out", "."], d).status.success());
    let o = teraproof(
        &["prove", "--keys", "KEYDIR", "--a", "A.json", "--b", "B.json", "--out", "RECEIPT.json", "--c-out", "C.json"],
        d,
    );
    assert!(o.status.success(), "{o:?}");

    let o = teraproof(&["verify", "--keys", "KEYDIR", "RECEIPT.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout(&o).contains("valid"));
    let o = teraproof(&["verify", "--keys", "KEYDIR", "--c", "C.json", "RECEIPT.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");

    // C's digest printed by `digest` is the receipt's dC.
    let receipt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("RECEIPT.json")).unwrap()).unwrap();
    let o = teraproof(&["digest", "C.json"], d);
    assert_eq!(stdout(&o).trim(), receipt["dc"].as_str().unwrap());

    // A changed element of C: the output check fails.
    let mut c: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("C.json")).unwrap()).unwrap();
    c["data"][0] = (c["data"][0].as_i64().unwrap() + 1).into();
    std::fs::write(d.join("C2.json"), c.to_string()).unwrap();
    let o = teraproof(&["verify", "--keys", "KEYDIR", "--c", "C2.json", "RECEIPT.json"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("invalid"), "{}", stdout(&o));
    // A C from the supplier that is no int32 matrix (here an int8 file, then junk) is an
    // invalid result, exit 1, in --json too; a C that cannot be opened stops the check (2).
    std::fs::write(d.join("JUNK.json"), "not a matrix").unwrap();
    for bad in ["A.json", "JUNK.json"] {
        let o = teraproof(&["verify", "--keys", "KEYDIR", "--c", bad, "RECEIPT.json"], d);
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        assert!(stdout(&o).contains("not an int32 matrix"), "{}", stdout(&o));
        let o = teraproof(&["verify", "--keys", "KEYDIR", "--c", bad, "--json", "RECEIPT.json"], d);
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        let verdicts: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(verdicts[0]["verdict"], "invalid", "{verdicts}");
    }

    // A forged dC: exit 1 with the reason.
    let mut bad = receipt.clone();
    bad["dc"] = "12345".into();
    std::fs::write(d.join("BAD.json"), bad.to_string()).unwrap();
    let o = teraproof(&["verify", "--keys", "KEYDIR", "BAD.json"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("pairing check failed"), "{}", stdout(&o));

    // snarkjs export of a valid receipt; a forged one is refused.
    let o = teraproof(&["export", "snarkjs", "--keys", "KEYDIR", "RECEIPT.json", "--out", "SJ"], d);
    assert!(o.status.success(), "{o:?}");
    for f in ["proof.json", "public.json", "verification_key.json"] {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("SJ").join(f)).unwrap()).unwrap();
        assert!(!v.is_null());
    }
    let public: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(d.join("SJ/public.json")).unwrap()).unwrap();
    assert_eq!(public[2], receipt["dc"].as_str().unwrap());
    let o = teraproof(&["export", "snarkjs", "--keys", "KEYDIR", "BAD.json", "--out", "SJ2"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(!d.join("SJ2").exists());

    // Solidity: the contract names the unit and key; calldata is the selector and 11 words
    // ending with dC; a forged receipt gets no calldata.
    let o = teraproof(&["export", "solidity", "--keys", "KEYDIR", "--out", "SOL/Verifier.sol"], d);
    assert!(o.status.success(), "{o:?}");
    let sol = std::fs::read_to_string(d.join("SOL/Verifier.sol")).unwrap();
    assert!(sol.contains("contract TeraproofVerifier") && sol.contains("INSECURE"), "{sol}");
    let o = teraproof(&["export", "calldata", "--keys", "KEYDIR", "RECEIPT.json"], d);
    assert!(o.status.success(), "{o:?}");
    let hex = stdout(&o).trim().to_string();
    assert_eq!(hex.len(), 2 + 2 * (4 + 11 * 32), "{hex}");
    assert!(hex.starts_with("0x11479fea"), "{hex}");
    let dc_hex: String = decimal_to_be32(receipt["dc"].as_str().unwrap()).iter().map(|b| format!("{b:02x}")).collect();
    assert!(hex.ends_with(&dc_hex), "{hex} should end with dC {dc_hex}");
    let o = teraproof(&["export", "calldata", "--keys", "KEYDIR", "BAD.json"], d);
    assert_eq!(o.status.code(), Some(1));

    // A batch names the bad receipt.
    let o = teraproof(&["verify", "--keys", "KEYDIR", "RECEIPT.json", "BAD.json"], d);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("invalid BAD.json") && out.contains("valid RECEIPT.json"), "{out}");
    assert!(!out.contains("invalid RECEIPT.json"), "{out}");

    // Garbage in, a reason out, never a panic.
    std::fs::write(d.join("JUNK.json"), "{\"version\":1").unwrap();
    let o = teraproof(&["verify", "--keys", "KEYDIR", "JUNK.json"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    // The verifier's own trouble is exit 2, never the 1 that means a bad receipt.
    let o = teraproof(&["verify", "--keys", "NOKEYS", "RECEIPT.json"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("keys.json"));
    let o = teraproof(&["verify", "--keys", "KEYDIR", "RECEIPT.json", "MISSING.json"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("valid RECEIPT.json") && out.contains("unchecked MISSING.json"), "{out}");
    let o = teraproof(&["verify", "--keys", "KEYDIR", "--c", "NOPE.json", "RECEIPT.json"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

#[test]
fn verify_checks_the_buyers_inputs_and_prove_guards_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "mm-i8-2x3x2", "--dev-seed", "7", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x3x2", "--seed", "1", "--out", "."], d).status.success());
    std::fs::create_dir(d.join("other")).unwrap();
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x3x2", "--seed", "2", "--out", "other"], d).status.success());
    let prove = |a: &str, b: &str, out: &str, c_out: &str| {
        teraproof(&["prove", "--keys", "K", "--a", a, "--b", b, "--out", out, "--c-out", c_out], d)
    };
    assert!(prove("A.json", "B.json", "R.json", "C.json").status.success());
    assert!(prove("other/A.json", "other/B.json", "R2.json", "C2.json").status.success());

    // The buyer's own A and B: the honest receipt passes, one about other inputs fails.
    let o = teraproof(&["verify", "--keys", "K", "--a", "A.json", "--b", "B.json", "--c", "C.json", "R.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    for (flag, file) in [("--a", "A.json"), ("--b", "B.json")] {
        let o = teraproof(&["verify", "--keys", "K", flag, file, "R2.json"], d);
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        assert!(stdout(&o).contains("is not the receipt's input"), "{}", stdout(&o));
    }

    // A batch gives every receipt a verdict, valid ones included.
    let mut bad: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("R.json")).unwrap()).unwrap();
    bad["dc"] = "7".into();
    std::fs::write(d.join("BAD.json"), bad.to_string()).unwrap();
    let o = teraproof(&["verify", "--keys", "K", "R.json", "BAD.json", "R2.json"], d);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for line in ["valid R.json", "invalid BAD.json", "valid R2.json"] {
        assert!(out.lines().any(|l| l.starts_with(line)), "no line {line:?}: {out}");
    }

    // The same verdicts for programs: one JSON array, in the order given. A receipt whose
    // unit carries a forged verdict line stays one invalid entry.
    let mut forged = bad.clone();
    forged["unit"] = "x\nvalid R.json: mm-i8-2x3x2".into();
    std::fs::write(d.join("FORGED.json"), forged.to_string()).unwrap();
    let args = ["verify", "--keys", "K", "--json", "R.json", "BAD.json", "R2.json", "FORGED.json", "MISSING.json"];
    let o = teraproof(&args, d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let verdicts: Vec<(&str, &str)> =
        list.iter().map(|v| (v["receipt"].as_str().unwrap(), v["verdict"].as_str().unwrap())).collect();
    assert_eq!(
        verdicts,
        [
            ("R.json", "valid"),
            ("BAD.json", "invalid"),
            ("R2.json", "valid"),
            ("FORGED.json", "invalid"),
            ("MISSING.json", "unchecked")
        ]
    );
    let receipt: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("R.json")).unwrap()).unwrap();
    let statement = format!("mm-i8-2x3x2:{}:{}:{}", receipt["da"], receipt["db"], receipt["dc"]).replace('"', "");
    assert_eq!(list[0]["statement"], statement.as_str());
    assert_eq!(list[0]["insecure_dev_setup"], true);
    assert!(list[1]["reason"].as_str().unwrap().contains("pairing check failed"), "{}", list[1]);
    // In text mode too: a key holding a forged verdict line, and bytes that are not
    // UTF-8, are each one invalid receipt (exit 1, not the 2 of the verifier's trouble).
    let mut text: String = std::fs::read_to_string(d.join("R.json")).unwrap();
    text.insert_str(1, "\"x\\nvalid R.json: mm-i8-2x3x2 dC=1\": 1, ");
    std::fs::write(d.join("KEYED.json"), text).unwrap();
    std::fs::write(d.join("BINARY.json"), [0xff, 0xfe, 0x00, 0x7b]).unwrap();
    let o = teraproof(&["verify", "--keys", "K", "R.json", "KEYED.json", "BINARY.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("valid R.json")).count(), 1, "{out}");
    assert!(out.lines().any(|l| l.starts_with("invalid KEYED.json")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("invalid BINARY.json") && l.contains("UTF-8")), "{out}");

    let o = teraproof(&["verify", "--keys", "K", "--json", "--a", "A.json", "R.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = teraproof(&["verify", "--keys", "K", "--json", "--a", "A.json", "R2.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(list[0]["reason"].as_str().unwrap().contains("is not the receipt's input"), "{}", list[0]);

    // Outputs that would destroy something are refused before proving.
    let receipt_before = std::fs::read_to_string(d.join("R.json")).unwrap();
    for (out, c_out, why) in [
        ("X.json", "X.json", "two outputs"),
        ("A.json", "C3.json", "overwrite the input"),
        ("K/keys.json", "C3.json", "inside the key directory"),
        ("R.json", "nofolder/C.json", "no folder"),
        ("other", "C3.json", "is a folder"),
    ] {
        let o = prove("A.json", "B.json", out, c_out);
        assert_eq!(o.status.code(), Some(1), "{out} {c_out}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(why), "{out} {c_out}: {o:?}");
    }
    assert_eq!(std::fs::read_to_string(d.join("R.json")).unwrap(), receipt_before, "nothing written");
    assert!(!d.join("X.json").exists());
    assert!(teraproof(&["verify", "--keys", "K", "R.json"], d).status.success(), "keys intact");
}

#[test]
fn info_digest_and_demo() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = teraproof(&["info", "CU-64"], d);
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["id"], "mm-i8-64x64x64");
    assert_eq!(info["ops"], 2 * 64 * 64 * 64);
    assert!(info["constraints"].as_u64().unwrap() <= 30 * 64 * 64);
    let parts: u64 = info["constraint_breakdown"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(parts, info["constraints"].as_u64().unwrap(), "the breakdown adds up");
    assert!(info["naive_constraints"].as_u64().unwrap() > 64 * 64 * 64);
    assert_eq!(info["public_inputs"], serde_json::json!(["dA", "dB", "dC"]));
    let o = teraproof(&["info", "mm-i8-0x1x1"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 1"));

    std::fs::write(d.join("M.json"), r#"{"dtype":"i8","rows":2,"cols":3,"data":[-128,127,0,-1,1,42]}"#).unwrap();
    let o = teraproof(&["digest", "M.json"], d);
    // Computed with circomlibjs (tools/vectors, "i8_2x3_extremes").
    assert_eq!(stdout(&o).trim(), "7434249636693984178192683691013308134134574259610573426726014117252526797186");
    std::fs::write(d.join("B.json"), r#"{"dtype":"i8","rows":1,"cols":1,"data":[300]}"#).unwrap();
    let o = teraproof(&["digest", "B.json"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("outside the range"));

    let o = teraproof(&["demo", "--unit", "CU-8"], d);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    for needle in
        ["compute on", "msm on", "constraints", "witness", "prove (total)", "verify", "proof overhead", "receipt"]
    {
        assert!(out.contains(needle), "demo summary lacks {needle}: {out}");
    }
    assert!(out.contains("compute on      cpu"), "no GPU here, so C is computed on the CPU: {out}");
    // Selftest: the CPU part passes; --gpu without a GPU exits 2 with the reason.
    let o = teraproof(&["selftest"], d);
    assert!(o.status.success() && stdout(&o).contains("selftest passed"), "{o:?}");
    let o = teraproof(&["selftest", "--gpu"], d);
    if stdout(&o).contains("no usable GPU") {
        assert_eq!(o.status.code(), Some(2), "{o:?}");
    } else {
        assert!(o.status.success(), "GPU selftest failed: {}", stdout(&o));
    }
    // --only needs --gpu and names a section; without a GPU the CPU row is still printed.
    let o = teraproof(&["selftest", "--only", "msm"], d);
    assert_eq!(o.status.code(), Some(2), "--only without --gpu is a usage error: {o:?}");
    let o = teraproof(&["selftest", "--gpu", "--only", "everything"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("gemm, msm, prove"), "{o:?}");
    let o = teraproof(&["selftest", "--gpu", "--quick", "--only", "prove"], d);
    if stdout(&o).contains("no usable GPU") {
        assert_eq!(o.status.code(), Some(2), "{o:?}");
        assert!(stdout(&o).contains("prove+verify (Cpu)"), "the CPU row comes first: {o:?}");
    }
    // Unknown kernel variants and architectures are refused with the known ones.
    let o = teraproof(&["bench", "msm", "--variants", "fast"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("default, noinline-mont"), "{o:?}");
    let o = teraproof(&["kernels", "build", "--arch", "hopper", "--out", "kernels"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("sm_90"), "{o:?}");
    let o = teraproof(&["kernels", "list", "--cache", "no-such-folder"], d);
    assert!(o.status.success() && stdout(&o).contains("0 file(s)"), "{o:?}");
    // A median of no runs is refused.
    let o = teraproof(&["bench", "--repeats", "0"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 1"), "{o:?}");
    // Out-of-range benchmark sizes are refused, not a crash.
    let o = teraproof(&["bench", "msm", "--log-sizes", "64"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("at most 27"), "{o:?}");
    // Second run uses the cached keys.
    let o = teraproof(&["demo", "--unit", "CU-8"], d);
    assert!(stdout(&o).contains("cached development keys"));
}

#[test]
fn bench_writes_table_json_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = teraproof(
        &["bench", "--units", "CU-2,CU-4", "--repeats", "1", "--json", "bench.json", "--svg", "bench.svg"],
        d,
    );
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("mm-i8-2x2x2") && out.contains("mm-i8-4x4x4") && out.contains("overhead"), "{out}");
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("bench.json")).unwrap()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    for row in rows.as_array().unwrap() {
        for key in ["constraints", "naive_constraints", "compute_ms", "witness_ms", "qap_ms", "msm_ms", "prove_ms"] {
            assert!(row[key].as_f64().unwrap() > 0.0, "{key} in {row}");
        }
        assert_eq!(row["proof_bytes"], 128);
        assert!(row["prover_seconds_per_tflop"].as_f64().unwrap() > 0.0);
    }
    let svg = std::fs::read_to_string(d.join("bench.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("proof overhead"));
}

/// A job end to end from the command line: setup makes both keys, `job prove` writes a
/// job receipt (C as .npy), `job verify` gives 0/1/2 as `verify` does, and a second
/// `job prove` reuses the unit receipts of the first.
#[test]
fn job_prove_verify_resume_and_exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = teraproof(&["setup", "--unit", "CU-4", "--dev-seed", "3", "--out", "KEYS"], d);
    assert!(o.status.success(), "{o:?}");
    assert!(d.join("KEYS/accumulate/keys.json").exists());
    assert!(stdout(&o).contains("mma-i8-4x4x4"));
    // A 6×9×5 job: 2×2 output tiles, chains of 3 steps.
    assert!(teraproof(&["inputs", "--unit", "mm-i8-6x9x5", "--seed", "2", "--out", "."], d).status.success());
    let o = teraproof(&["job", "plan", "--unit", "CU-4", "--shape", "6x9x5"], d);
    assert!(o.status.success() && stdout(&o).contains("12 (4 compute units, 8 accumulating units)"), "{o:?}");
    let prove = [
        "job",
        "prove",
        "--keys",
        "KEYS",
        "--a",
        "A.json",
        "--b",
        "B.json",
        "--out",
        "JOB.json",
        "--c-out",
        "C.npy",
        "--backend",
        "cpu",
    ];
    let o = teraproof(&prove, d);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("12 proven, 0 reused"), "{}", stdout(&o));
    assert!(std::fs::read(d.join("C.npy")).unwrap().starts_with(b"\x93NUMPY"));

    let verify = |extra: &[&str]| {
        let mut args = vec!["job", "verify", "--keys", "KEYS"];
        args.extend_from_slice(extra);
        teraproof(&args, d)
    };
    let o = verify(&["--a", "A.json", "--b", "B.json", "--c", "C.npy", "JOB.json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout(&o).contains("A, B, C checked"), "{}", stdout(&o));

    // A tampered job receipt: one unit's dCin changed (the chain breaks).
    let mut job: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("JOB.json")).unwrap()).unwrap();
    job["units"][2]["receipt"]["dcin"] = job["units"][0]["receipt"]["dc"].clone();
    std::fs::write(d.join("BAD.json"), job.to_string()).unwrap();
    let o = verify(&["--json", "BAD.json"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let verdicts: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(verdicts[0]["verdict"], "invalid");
    assert!(verdicts[0]["reason"].as_str().unwrap().contains("chain"), "{verdicts}");
    // Another C than the job's: invalid; a missing file: unchecked (2).
    let o = verify(&["--c", "B.json", "JOB.json"]);
    assert_eq!(o.status.code(), Some(2), "a B where C belongs is the buyer's own mistake: {o:?}");
    let o = verify(&["JOB.json", "MISSING.json"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let o = verify(&["JOB.json", "MISSING.json", "BAD.json"]);
    assert_eq!(o.status.code(), Some(1), "an invalid receipt outranks an unreadable one: {o:?}");

    // Run again: every unit receipt is reused; lose one, and only it is proven again.
    let o = teraproof(&prove, d);
    assert!(stdout(&o).contains("0 proven, 12 reused"), "{}", stdout(&o));
    std::fs::remove_file(d.join("JOB.json.units/1-1-2.json")).unwrap();
    let o = teraproof(&prove, d);
    assert!(stdout(&o).contains("1 proven, 11 reused"), "{}", stdout(&o));
    // A job whose inputs do not fit together is refused with a message.
    let o = teraproof(&["job", "prove", "--keys", "KEYS", "--a", "A.json", "--b", "A.json", "--out", "X.json"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("A's columns must be B's rows"), "{o:?}");
}

/// An accumulating unit's receipt exports to snarkjs with its four public inputs, and
/// the Solidity exports (three inputs) refuse the accumulating key and receipt.
#[test]
fn exports_of_an_accumulating_unit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "CU-2", "--dev-seed", "3", "--out", "KEYS"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x4x2", "--seed", "2", "--out", "."], d).status.success());
    let o = teraproof(
        &["job", "prove", "--keys", "KEYS", "--a", "A.json", "--b", "B.json", "--out", "JOB.json", "--backend", "cpu"],
        d,
    );
    assert!(o.status.success(), "{o:?}");
    // The second step of the chain is an accumulating unit's receipt.
    let step = "JOB.json.units/0-0-1.json";
    let o = teraproof(&["verify", "--keys", "KEYS/accumulate", step], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = teraproof(&["export", "snarkjs", "--keys", "KEYS/accumulate", step, "--out", "SNARKJS"], d);
    assert!(o.status.success(), "{o:?}");
    let public: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("SNARKJS/public.json")).unwrap()).unwrap();
    assert_eq!(public.as_array().unwrap().len(), 4);
    let o = teraproof(&["export", "solidity", "--keys", "KEYS/accumulate", "--out", "V.sol"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(!d.join("V.sol").exists());
    let o = teraproof(&["export", "calldata", "--keys", "KEYS/accumulate", step], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
}

/// The fault `job prove` claims to survive: the process killed (SIGKILL) halfway. The
/// rerun reuses every unit receipt the killed run finished and proves only the rest,
/// and the job verifies.
#[test]
fn a_killed_job_prove_resumes_from_the_receipts_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "CU-4", "--dev-seed", "5", "--out", "KEYS"], d).status.success());
    // 2×2 output tiles, chains of 20 steps: 80 units.
    assert!(teraproof(&["inputs", "--unit", "mm-i8-8x80x8", "--seed", "3", "--out", "."], d).status.success());
    let args = [
        "job",
        "prove",
        "--keys",
        "KEYS",
        "--a",
        "A.json",
        "--b",
        "B.json",
        "--out",
        "JOB.json",
        "--backend",
        "cpu",
        "--units-in-flight",
        "1",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_teraproof"))
        .args(args)
        .current_dir(d)
        .env("TERAPROOF_CACHE", d.join("cache"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let work = d.join("JOB.json.units");
    let finished = |dir: &Path| {
        std::fs::read_dir(dir)
            .map(|e| e.filter_map(|f| f.ok()).filter(|f| f.path().extension().is_some_and(|x| x == "json")).count())
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while finished(&work) < 5 {
        assert!(child.try_wait().unwrap().is_none(), "the job finished before it could be killed");
        assert!(start.elapsed().as_secs() < 120, "no unit receipt appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(child.try_wait().unwrap().is_none(), "the job finished before it could be killed");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!d.join("JOB.json").exists(), "a killed run wrote no job receipt");
    let done = finished(&work);
    assert!((5..80).contains(&done), "{done} unit receipts after the kill");

    let o = teraproof(&args, d);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    // Units finished after the count above but before the kill are reused too.
    let reused: usize = out.split(" reused").next().and_then(|s| s.rsplit(' ').next()).unwrap().parse().unwrap();
    let proven: usize = out.split(" proven").next().and_then(|s| s.rsplit(' ').next()).unwrap().parse().unwrap();
    assert!(reused >= done && proven + reused == 80 && proven > 0, "{out}");
    let o = teraproof(&["job", "verify", "--keys", "KEYS", "--a", "A.json", "--b", "B.json", "JOB.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

#[test]
fn reads_are_capped_and_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "CU-4", "--dev-seed", "3", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "CU-4", "--seed", "2", "--out", "."], d).status.success());
    assert!(teraproof(&["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json"], d)
        .status
        .success());
    // An endless file is refused at the cap of its kind, as the supplier's fault.
    let o = teraproof(&["verify", "--keys", "K", "/dev/zero"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("more than 64 KiB, the most a receipt may"), "{o:?}");
    let o = teraproof(&["job", "verify", "--keys", "K", "/dev/zero"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("more than 1 GiB, the most a job receipt may"), "{o:?}");
    // A key folder whose keys.json does not end is refused, not read without end.
    std::fs::create_dir(d.join("K2")).unwrap();
    std::fs::copy(d.join("K/verifying_key.bin"), d.join("K2/verifying_key.bin")).unwrap();
    std::fs::write(d.join("K2/keys.json"), vec![b' '; (1 << 20) + 1]).unwrap();
    let o = teraproof(&["verify", "--keys", "K2", "R.json"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("the most a key file may"), "{o:?}");
    // stdout closed after the first line of a long report: status 141, no panic.
    let many: Vec<&str> = std::iter::repeat_n("R.json", 3000).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_teraproof"))
        .args(["verify", "--keys", "K"])
        .args(&many)
        .current_dir(d)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    assert_eq!(&first, b"valid ");
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn outputs_never_destroy_a_users_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "mm-i8-2x3x2", "--dev-seed", "5", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x3x2", "--seed", "2", "--out", "."], d).status.success());
    let a_before = std::fs::read(d.join("A.json")).unwrap();
    let b_before = std::fs::read(d.join("B.json")).unwrap();
    let pk_before = std::fs::read(d.join("K/proving_key.bin")).unwrap();
    // `inputs` no longer replaces A.json and B.json silently.
    let o = teraproof(&["inputs", "--unit", "mm-i8-2x3x2", "--seed", "3", "--out", "."], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read(d.join("A.json")).unwrap(), a_before);
    // Links to an input or the proving key, symbolic and hard: refused, nothing touched.
    std::fs::create_dir(d.join("p")).unwrap();
    std::os::unix::fs::symlink(d.join("A.json"), d.join("p/link.json")).unwrap();
    std::os::unix::fs::symlink(d.join("K/proving_key.bin"), d.join("p/pk.json")).unwrap();
    std::fs::hard_link(d.join("B.json"), d.join("p/hard.json")).unwrap();
    for out in ["p/link.json", "p/pk.json", "p/hard.json"] {
        let o = teraproof(&["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", out], d);
        assert_eq!(o.status.code(), Some(1), "{out}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("refusing"), "{out}: {err}");
    }
    // A device as C's output is refused before proving: no receipt is left behind.
    let o = teraproof(
        &["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json", "--c-out", "/dev/full"],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file"), "{o:?}");
    assert!(!d.join("R.json").exists());
    // Exports into the key folder, or over the receipt: refused.
    assert!(teraproof(&["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json"], d)
        .status
        .success());
    let o = teraproof(&["export", "solidity", "--keys", "K", "--out", "K/keys.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let o = teraproof(&["export", "snarkjs", "--keys", "K", "R.json", "--out", "K"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    // bench with the same file for JSON and SVG: refused before measuring.
    let o = teraproof(&["bench", "--units", "mm-i8-2x3x2", "--repeats", "1", "--json", "x.out", "--svg", "x.out"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("two outputs"), "{o:?}");
    // Every file the user had is as it was; writing through a plain new name still works
    // and leaves no temporary file.
    assert_eq!(std::fs::read(d.join("A.json")).unwrap(), a_before);
    assert_eq!(std::fs::read(d.join("B.json")).unwrap(), b_before);
    assert_eq!(std::fs::read(d.join("K/proving_key.bin")).unwrap(), pk_before);
    let names: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

#[test]
fn verify_says_which_matrices_it_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "mm-i8-2x3x2", "--dev-seed", "5", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x3x2", "--seed", "2", "--out", "."], d).status.success());
    let o = teraproof(
        &["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json", "--c-out", "C.json"],
        d,
    );
    assert!(o.status.success(), "{o:?}");
    let o = teraproof(&["verify", "--keys", "K", "R.json"], d);
    assert!(stdout(&o).contains("proof only: no matrix of yours checked"), "{o:?}");
    let o = teraproof(&["verify", "--keys", "K", "--a", "A.json", "R.json"], d);
    assert!(stdout(&o).contains("; A checked"), "{o:?}");
    let o = teraproof(&["verify", "--keys", "K", "--a", "A.json", "--c", "C.json", "--json", "R.json"], d);
    let list: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(list[0]["checked"], serde_json::json!(["A", "C"]));
}

#[test]
fn json_files_end_with_a_newline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "mm-i8-2x3x2", "--dev-seed", "5", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x3x2", "--seed", "2", "--out", "."], d).status.success());
    let o = teraproof(
        &["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json", "--c-out", "C.json"],
        d,
    );
    assert!(o.status.success(), "{o:?}");
    assert!(teraproof(&["export", "snarkjs", "--keys", "K", "R.json", "--out", "SJ"], d).status.success());
    for f in [
        "K/keys.json",
        "A.json",
        "B.json",
        "R.json",
        "C.json",
        "SJ/proof.json",
        "SJ/public.json",
        "SJ/verification_key.json",
    ] {
        let text = std::fs::read_to_string(d.join(f)).unwrap();
        assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{f}");
    }
}

/// Work that cannot fit this machine is refused at once, with the estimate and what to do
/// instead, never an abort in a failed allocation; `info` gives the estimates.
#[test]
fn impossible_units_are_refused_up_front_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [
        vec!["setup", "--unit", "CU-4096", "--dev-seed", "1", "--out", "K"],
        vec!["setup", "--unit", "mm-i8-1048576x131071x1048576", "--dev-seed", "1", "--out", "K"],
        vec!["demo", "--unit", "CU-4096"],
    ] {
        let o = teraproof(&args, d);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("would not fit this machine") && err.contains("proving key of about"), "{err}");
        assert!(err.contains("job of standard units"), "{err}");
        assert!(!d.join("K").exists(), "nothing was written");
    }
    let o = teraproof(&["info", "CU-64"], d);
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let estimate = &info["groth16_estimate"];
    assert!(estimate["proving_key_bytes"].as_u64().unwrap() > 40_000_000, "{estimate}");
    assert_eq!(estimate["peak_memory_bytes"].as_u64().unwrap(), 2 * estimate["proving_key_bytes"].as_u64().unwrap());
    assert_eq!(estimate["fits_this_machine"], true);
    let o = teraproof(&["info", "CU-4096"], d);
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["groth16_estimate"]["fits_this_machine"], false, "{info}");
}

/// `teraproof` with `stdin` as its standard input.
fn teraproof_with_stdin(args: &[&str], cwd: &Path, stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_teraproof"))
        .args(args)
        .current_dir(cwd)
        .env("TERAPROOF_CACHE", cwd.join("cache"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // A command that refuses its arguments exits without reading: a closed pipe then.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// `-` is stdin where one file is read and stdout where one is written; the summary line
/// then goes to stderr, so the pipe receives the file alone.
#[test]
fn a_dash_stands_for_stdin_or_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "mm-i8-2x3x2", "--dev-seed", "5", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x3x2", "--seed", "2", "--out", "."], d).status.success());
    let a = std::fs::read(d.join("A.json")).unwrap();
    let o = teraproof_with_stdin(&["prove", "--keys", "K", "--a", "-", "--b", "B.json", "--out", "-"], d, &a);
    assert!(o.status.success(), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("receipt stdout"), "{o:?}");
    let receipt = o.stdout;
    assert!(receipt.starts_with(b"{") && receipt.ends_with(b"}\n"), "the receipt alone on stdout");
    let o = teraproof_with_stdin(&["verify", "--keys", "K", "--a", "A.json", "-"], d, &receipt);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout(&o).starts_with("valid -: mm-i8-2x3x2") && stdout(&o).contains("A checked"), "{o:?}");
    let o = teraproof_with_stdin(&["digest", "-"], d, &a);
    assert_eq!(stdout(&o).trim(), stdout(&teraproof(&["digest", "A.json"], d)).trim());
    let o = teraproof(&["export", "solidity", "--keys", "K", "--out", "-"], d);
    assert!(stdout(&o).contains("contract TeraproofVerifier"), "{o:?}");
    // stdin and stdout hold one file each.
    for args in [
        vec!["prove", "--keys", "K", "--a", "-", "--b", "-", "--out", "R.json"],
        vec!["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "-", "--c-out", "-"],
        vec!["verify", "--keys", "K", "-", "-"],
    ] {
        let o = teraproof_with_stdin(&args, d, &a);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("can stand for only one"), "{args:?}: {o:?}");
    }
}

/// Messages speak of the user's files, never of the program's own types.
#[test]
fn messages_name_no_internal_types() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "mm-i8-2x3x2", "--dev-seed", "5", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x3x2", "--seed", "2", "--out", "."], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-3x3x3", "--seed", "2", "--out", "O"], d).status.success());
    for (text, found) in [("5", "a number"), ("[1, 2]", "an array"), ("null", "null"), ("\"x\"", "a string")] {
        std::fs::write(d.join("X.json"), text).unwrap();
        for args in [
            vec!["digest", "X.json"],
            vec!["prove", "--keys", "K", "--a", "X.json", "--b", "B.json", "--out", "R.json"],
        ] {
            let o = teraproof(&args, d);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains(&format!("expected a matrix as a JSON object `{{...}}`, found {found}")), "{err}");
            assert!(!err.contains("struct") && !err.contains("JsonMatrixIn"), "{err}");
        }
        let o = teraproof(&["verify", "--keys", "K", "X.json"], d);
        assert!(stdout(&o).contains(&format!("expected a receipt as a JSON object `{{...}}`, found {found}")), "{o:?}");
    }
    let o = teraproof(&["prove", "--keys", "K", "--a", "O/A.json", "--b", "B.json", "--out", "R.json"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("shape mismatch: A is 3x3 but unit mm-i8-2x3x2 needs 2x3"), "{err}");
    let o = teraproof(
        &["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json", "--backend", "gpu"],
        d,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown backend \"gpu\": expected auto, cpu, cuda or cuda:N"), "{err}");
    // A damaged keys.json: said to be keys.json, not a type.
    std::fs::write(d.join("K/keys.json"), "[1]").unwrap();
    let o = teraproof(&["verify", "--keys", "K", "R.json"], d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("expected keys.json as a JSON object") && !err.contains("struct"), "{err}");
}

/// A keyring: several key folders, each receipt checked by the key it names; a key
/// folder split into a verifier bundle (no proving key) and a prover bundle.
#[test]
fn a_keyring_verifies_receipts_of_several_units_and_split_bundles_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (unit, keys, inputs) in [("mm-i8-2x3x2", "ring/K1", "I1"), ("mm-i8-2x2x2", "ring/K2", "I2")] {
        assert!(teraproof(&["setup", "--unit", unit, "--dev-seed", "5", "--out", keys], d).status.success());
        assert!(teraproof(&["inputs", "--unit", unit, "--seed", "2", "--out", inputs], d).status.success());
        let (a, b, r) = (format!("{inputs}/A.json"), format!("{inputs}/B.json"), format!("{inputs}/R.json"));
        let o = teraproof(&["prove", "--keys", keys, "--a", &a, "--b", &b, "--out", &r], d);
        assert!(o.status.success(), "{o:?}");
    }
    let o = teraproof(&["verify", "--keys", "ring/K1", "--keys", "ring/K2", "I1/R.json", "I2/R.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains("valid I1/R.json: mm-i8-2x3x2") && out.contains("valid I2/R.json: mm-i8-2x2x2"), "{out}");
    // --keyring adds every key folder under it (K2's accumulating unit too).
    let o = teraproof(&["verify", "--keyring", "ring", "--json", "I1/R.json", "I2/R.json"], d);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(list.as_array().unwrap().iter().all(|v| v["verdict"] == "valid" && v["insecure_dev_setup"] == true));
    // A receipt naming a key the keyring lacks is invalid, and says so.
    let o = teraproof(&["verify", "--keys", "ring/K1", "--keys", "ring/K2/accumulate", "I1/R.json", "I2/R.json"], d);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        stdout(&o).contains("invalid I2/R.json: receipt is for verifying key")
            && stdout(&o).contains("not in the keyring")
    );
    let o = teraproof(&["verify", "--keyring", "I1", "I1/R.json"], d);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds no key folder"), "{o:?}");

    // Split: the verifier bundle holds no proving key and verifies; the prover bundle proves.
    let o = teraproof(&["keys", "split", "ring/K2", "--verifier-out", "V", "--prover-out", "P"], d);
    assert!(o.status.success(), "{o:?}");
    for f in ["keys.json", "verifying_key.bin", "accumulate/keys.json", "accumulate/verifying_key.bin"] {
        assert!(d.join("V").join(f).is_file() && d.join("P").join(f).is_file(), "{f}");
    }
    assert!(!d.join("V/proving_key.bin").exists() && !d.join("V/accumulate/proving_key.bin").exists());
    assert_eq!(
        std::fs::read(d.join("P/proving_key.bin")).unwrap(),
        std::fs::read(d.join("ring/K2/proving_key.bin")).unwrap()
    );
    assert_eq!(teraproof(&["verify", "--keys", "V", "I2/R.json"], d).status.code(), Some(0));
    let o = teraproof(&["prove", "--keys", "P", "--a", "I2/A.json", "--b", "I2/B.json", "--out", "R3.json"], d);
    assert!(o.status.success(), "{o:?}");
    let o = teraproof(&["prove", "--keys", "V", "--a", "I2/A.json", "--b", "I2/B.json", "--out", "R4.json"], d);
    assert!(!o.status.success(), "a verifier bundle cannot prove");
    // Refused: existing bundles without --force, a bundle inside the key folder, a
    // corrupt proving key (nothing copied).
    let o = teraproof(&["keys", "split", "ring/K2", "--verifier-out", "V"], d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("already holds keys"), "{o:?}");
    let o = teraproof(&["keys", "split", "ring/K2", "--verifier-out", "ring/K2/v"], d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside it"), "{o:?}");
    let mut pk = std::fs::read(d.join("ring/K1/proving_key.bin")).unwrap();
    pk[100] ^= 1;
    std::fs::write(d.join("ring/K1/proving_key.bin"), pk).unwrap();
    let o = teraproof(&["keys", "split", "ring/K1", "--prover-out", "P1"], d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("is corrupt"), "{o:?}");
    assert!(!d.join("P1/proving_key.bin").exists() && !d.join("P1/keys.json").exists());
}

/// Keys carry the id of the constraint system they were made for, recomputed on load: a
/// key of another circuit (here the accumulating unit's, standing in for a withdrawn
/// circuit) relabelled as this unit's is refused by every command that loads it.
#[test]
fn keys_of_another_circuit_are_refused_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(teraproof(&["setup", "--unit", "mm-i8-2x2x2", "--dev-seed", "5", "--out", "K"], d).status.success());
    assert!(teraproof(&["inputs", "--unit", "mm-i8-2x2x2", "--seed", "2", "--out", "."], d).status.success());
    let o = teraproof(&["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json"], d);
    assert!(o.status.success(), "{o:?}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("K/keys.json")).unwrap()).unwrap();
    let acc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("K/accumulate/keys.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "teraproof-keys/3");
    assert_ne!(manifest["circuit_id"], acc["circuit_id"]);
    let mut edited = manifest.clone();
    edited["circuit_id"] = acc["circuit_id"].clone();
    std::fs::write(d.join("K/keys.json"), edited.to_string()).unwrap();
    for args in [
        vec!["verify", "--keys", "K", "R.json"],
        vec!["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R2.json"],
        vec!["export", "solidity", "--keys", "K", "--out", "V.sol"],
        vec!["keys", "split", "K", "--verifier-out", "V"],
    ] {
        let o = teraproof(&args, d);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("another (perhaps withdrawn) circuit"), "{args:?}: {err}");
    }
    // The honest manifest back: everything works again.
    std::fs::write(d.join("K/keys.json"), manifest.to_string()).unwrap();
    assert_eq!(teraproof(&["verify", "--keys", "K", "R.json"], d).status.code(), Some(0));
}

/// Off a terminal, stderr carries no colour codes or spinner frames: log lines (here at
/// `info`) and the setup's spinner are plain or absent.
#[test]
fn no_escape_codes_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_teraproof"))
            .args(args)
            .current_dir(d)
            .env("TERAPROOF_CACHE", d.join("cache"))
            .env("TERAPROOF_LOG", "info")
            .output()
            .unwrap()
    };
    let outputs = [
        run(&["setup", "--unit", "mm-i8-2x2x2", "--dev-seed", "5", "--out", "K"]),
        run(&["inputs", "--unit", "mm-i8-2x2x2", "--seed", "2", "--out", "."]),
        run(&["prove", "--keys", "K", "--a", "A.json", "--b", "B.json", "--out", "R.json"]),
        run(&["verify", "--keys", "K", "R.json"]),
    ];
    let logged: usize = outputs.iter().map(|o| o.stderr.len()).sum();
    assert!(logged > 0, "info logging wrote something to check");
    for o in &outputs {
        assert!(o.status.success(), "{o:?}");
        assert!(!o.stderr.contains(&0x1b) && !o.stdout.contains(&0x1b), "{}", String::from_utf8_lossy(&o.stderr));
    }
}
