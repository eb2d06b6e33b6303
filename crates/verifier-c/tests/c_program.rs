//! A C program, compiled against include/teraproof.h and linked with the shared
//! library, verifies an honest receipt and rejects tampered ones with the right codes.

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::{Rng, SeedableRng};
use teraproof_core::{Matrix, UnitSpec};
use teraproof_prover::{setup_dev, CpuMsm, Prover};
use teraproof_verifier_c::TpStatus;

/// Where cargo put the cdylib: this test's own folder (target/<profile>/deps) when
/// built for the tests, or its parent when uplifted by a plain build.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap().to_path_buf();
    let profile = deps.parent().unwrap().to_path_buf();
    [deps, profile].into_iter().find(|d| d.join("libteraproof_verifier_c.so").exists()).unwrap_or_default()
}

/// Compiles `tests/NAME.c` against the header and links it with the cdylib, into
/// `dir`; None (after saying so) when there is no C compiler, which fails on CI.
fn build_c_program(name: &str, dir: &Path) -> Option<PathBuf> {
    let Some(cc) = c_compiler() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have a C compiler");
        println!("SKIPPED: no C compiler (cc) on this machine");
        return None;
    };
    let lib_dir = library_dir();
    assert!(lib_dir.join("libteraproof_verifier_c.so").exists(), "cdylib not found in {}", lib_dir.display());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = dir.join(name);
    let out = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&exe)
        .arg(manifest.join(format!("tests/{name}.c")))
        .arg("-I")
        .arg(manifest.join("include"))
        .arg("-L")
        .arg(&lib_dir)
        .arg("-lteraproof_verifier_c")
        .output()
        .unwrap();
    assert!(out.status.success(), "C build failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(exe)
}

fn c_compiler() -> Option<String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    Command::new(&cc).arg("--version").output().ok().filter(|o| o.status.success()).map(|_| cc)
}

#[test]
fn c_program_verifies_and_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(exe) = build_c_program("verify", d) else { return };
    let lib_dir = library_dir();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));

    // Keys and an honest receipt.
    let unit: UnitSpec = "mm-i8-3x5x7".parse().unwrap();
    let mut keys = setup_dev(unit, 5).unwrap();
    keys.save(&d.join("keys")).unwrap();
    let prover = Prover::new(keys, Box::new(CpuMsm)).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let a = Matrix::from_fn(3, 5, |_, _| rng.gen::<i8>()).unwrap();
    let b = Matrix::from_fn(5, 7, |_, _| rng.gen::<i8>()).unwrap();
    let receipt: serde_json::Value =
        serde_json::from_str(&prover.prove(&a, &b, &mut rng).unwrap().receipt.to_json()).unwrap();

    let c = teraproof_core::matmul_cpu(&a, &b).unwrap();
    // `job`: the matrices to check the receipt against (A, B, C or None) and the status
    // expected of that check; the program exits non-zero unless both statuses match.
    type Job<'a> = (&'a str, &'a str, Option<&'a str>, TpStatus);
    let run_job = |name: &str, receipt: &serde_json::Value, expected: TpStatus, job: Option<Job>| {
        let path = d.join(name);
        std::fs::write(&path, receipt.to_string()).unwrap();
        let mut command = Command::new(&exe);
        command.arg(d.join("keys")).arg(&path).arg((expected as i32).to_string());
        if let Some((a_json, b_json, c_json, job_expected)) = job {
            let write = |file: &str, text: &str| {
                std::fs::write(d.join(file), text).unwrap();
                d.join(file)
            };
            command.arg(write("A.json", a_json)).arg(write("B.json", b_json));
            command.arg(c_json.map(|c| write("C.json", c)).unwrap_or_else(|| "-".into()));
            command.arg((job_expected as i32).to_string());
        }
        let o = command.env("LD_LIBRARY_PATH", &lib_dir).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{name}: expected {expected:?} ({job:?}), got:\n{text}");
        text
    };
    let run = |name: &str, receipt: &serde_json::Value, expected: TpStatus| run_job(name, receipt, expected, None);

    let text = run("honest.json", &receipt, TpStatus::Ok);
    assert!(text.contains("unit mm-i8-3x5x7") && text.contains("status 0"), "{text}");
    let statement = format!("mm-i8-3x5x7:{}:{}:{}", receipt["da"], receipt["db"], receipt["dc"]).replace('"', "");
    assert!(text.contains(&format!("statement {statement}\n")), "{text}");
    // The header's codes, in the header's order, are the library's.
    let library = [
        TpStatus::Ok,
        TpStatus::InvalidArgument,
        TpStatus::BadKey,
        TpStatus::MalformedReceipt,
        TpStatus::UnsupportedVersion,
        TpStatus::NonCanonicalInput,
        TpStatus::InvalidProofPoint,
        TpStatus::WrongKey,
        TpStatus::ProofRejected,
        TpStatus::Internal,
        TpStatus::DataMismatch,
        TpStatus::BadJob,
    ]
    .map(|s| (s as i32).to_string())
    .join(" ");
    assert!(text.contains(&format!("codes {library}\n")), "header codes differ from {library}:\n{text}");

    // The receipt as a job: the buyer's own A and B, and the C it received.
    let (a_json, b_json, c_json) = (a.to_json(), b.to_json(), c.to_json());
    let job = |a: &str, b: &str, c: Option<&str>, status: TpStatus| {
        let job: Job = (a, b, c, status);
        run_job("job.json", &receipt, TpStatus::Ok, Some(job))
    };
    assert!(job(&a_json, &b_json, Some(&c_json), TpStatus::Ok).contains("job status 0"));
    job(&a_json, &b_json, None, TpStatus::Ok);
    let mut other = a.clone();
    *other.get_mut(2, 4).unwrap() ^= 1;
    let text = job(&other.to_json(), &b_json, Some(&c_json), TpStatus::DataMismatch);
    assert!(text.contains("A's digest"), "{text}");
    let mut other = b.clone();
    *other.get_mut(0, 0).unwrap() ^= 1;
    job(&a_json, &other.to_json(), None, TpStatus::DataMismatch);
    let mut other = c.clone();
    *other.get_mut(1, 6).unwrap() ^= 1;
    job(&a_json, &b_json, Some(&other.to_json()), TpStatus::DataMismatch);
    // A and B swapped (both are int8, but of other shapes), and matrices that do not parse.
    job(&b_json, &a_json, None, TpStatus::DataMismatch);
    job("{\"dtype\":\"i8\"}", &b_json, None, TpStatus::InvalidArgument);
    // A C that is not an int32 matrix is the supplier's fault: a data mismatch.
    job(&a_json, &b_json, Some(&a_json), TpStatus::DataMismatch);
    // A job check verifies the proof first: a forged receipt is rejected as such.
    let mut forged_job = receipt.clone();
    forged_job["dc"] = teraproof_core::digest_matrix(&other).to_string().into();
    let job: Job = (&a_json, &b_json, Some(&c_json), TpStatus::ProofRejected);
    run_job("forged-job.json", &forged_job, TpStatus::ProofRejected, Some(job));

    let mut forged = receipt.clone();
    forged["dc"] = "12345".into();
    run("forged-dc.json", &forged, TpStatus::ProofRejected);

    let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    let mut shifted = receipt.clone();
    shifted["da"] = r.into();
    run("non-canonical.json", &shifted, TpStatus::NonCanonicalInput);

    let mut bad_proof = receipt.clone();
    bad_proof["proof"] = "00".repeat(128).into();
    let text = run("bad-point.json", &bad_proof, TpStatus::InvalidProofPoint);
    assert!(text.contains("status 6: "), "{text}");

    run("junk.json", &serde_json::json!({"version": 1}), TpStatus::MalformedReceipt);
    let mut other_unit = receipt.clone();
    other_unit["unit"] = "mm-i8-4x4x4".into();
    run("other-unit.json", &other_unit, TpStatus::WrongKey);

    // The same job checked from Python through ctypes (examples/verify_job.py).
    let Some(python) = python3() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have python3");
        println!("SKIPPED the Python example: no python3 on this machine");
        return;
    };
    let write = |name: &str, text: &str| {
        std::fs::write(d.join(name), text).unwrap();
        d.join(name)
    };
    let receipt_path = write("py-receipt.json", &receipt.to_string());
    let forged_path = write("py-forged.json", &forged.to_string());
    let (a_path, b_path, c_path) =
        (write("py-A.json", &a_json), write("py-B.json", &b_json), write("py-C.json", &c_json));
    let mut changed = a.clone();
    *changed.get_mut(0, 0).unwrap() ^= 2;
    let changed_path = write("py-A2.json", &changed.to_json());
    let script = manifest.join("examples/verify_job.py");
    let python_job = |receipt: &Path, a: &Path, c: Option<&Path>| {
        let mut command = Command::new(&python);
        command.arg(&script).arg(lib_dir.join("libteraproof_verifier_c.so")).arg(d.join("keys"));
        command.arg(receipt).arg(a).arg(&b_path).args(c);
        let o = command.output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        (o.status.code(), text)
    };
    let (code, text) = python_job(&receipt_path, &a_path, Some(&c_path));
    assert_eq!(code, Some(TpStatus::Ok as i32), "{text}");
    assert!(text.starts_with("valid: ") && text.contains("unit mm-i8-3x5x7"), "{text}");
    assert!(text.contains("INSECURE development keys"), "the dev keys' mark is reported: {text}");
    let (code, text) = python_job(&receipt_path, &changed_path, None);
    assert_eq!(code, Some(TpStatus::DataMismatch as i32), "{text}");
    assert!(text.contains("TP_ERR_DATA_MISMATCH") && text.contains("A's digest"), "{text}");
    let (code, text) = python_job(&forged_path, &a_path, Some(&c_path));
    assert_eq!(code, Some(TpStatus::ProofRejected as i32), "{text}");
    // The script's own failures have codes of their own: a NUL byte C would stop at (the
    // honest receipt followed by junk), a file it cannot read.
    let with_nul = d.join("py-nul.json");
    std::fs::write(&with_nul, [receipt.to_string().as_bytes(), b"\0junk"].concat()).unwrap();
    let (code, text) = python_job(&with_nul, &a_path, None);
    assert_eq!(code, Some(65), "{text}");
    let (code, text) = python_job(&d.join("py-missing.json"), &a_path, None);
    assert_eq!(code, Some(66), "{text}");
    // A library it cannot load: its own status, a message, no traceback.
    let o = Command::new(&python)
        .arg(&script)
        .arg(d.join("no-such-library.so"))
        .arg(d.join("keys"))
        .arg(&receipt_path)
        .arg(&a_path)
        .arg(&b_path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(69), "{text}");
    assert!(text.contains("cannot load the library") && !text.contains("Traceback"), "{text}");
}

fn python3() -> Option<String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    Command::new(&python).arg("--version").output().ok().filter(|o| o.status.success()).map(|_| python)
}

/// A C program verifies a job receipt through `tp_verify_gemm_job`: the honest job
/// with the buyer's data, and the right code for a unit removed (TP_ERR_BAD_JOB), a
/// unit's proof swapped (TP_ERR_PROOF_REJECTED) and a changed C (TP_ERR_DATA_MISMATCH).
#[test]
fn c_program_verifies_gemm_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(exe) = build_c_program("verify_gemm_job", d) else { return };
    let lib_dir = library_dir();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));

    let unit = UnitSpec::square(4).unwrap();
    let keys = d.join("keys");
    for kind in [teraproof_core::UnitKind::Product, teraproof_core::UnitKind::Accumulate] {
        let path = if kind == teraproof_core::UnitKind::Product {
            keys.clone()
        } else {
            keys.join(teraproof_verifier::ACCUMULATE_KEYS_DIR)
        };
        teraproof_prover::setup_dev_of_kind(kind, unit, 2).unwrap().save(&path).unwrap();
    }
    let prover = teraproof_prover::JobProver::load(&keys, teraproof_prover::Backend::Cpu).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
    let a = Matrix::from_fn(5, 7, |_, _| rng.gen::<i8>()).unwrap();
    let b = Matrix::from_fn(7, 3, |_, _| rng.gen::<i8>()).unwrap();
    let opts = teraproof_prover::JobOptions { work_dir: None, units_in_flight: 2 };
    let output = prover.prove_job(&a, &b, &opts, &|_, _| {}).unwrap();
    let write = |name: &str, text: String| {
        std::fs::write(d.join(name), text).unwrap();
        d.join(name)
    };
    let (a_path, b_path, c_path) =
        (write("A.json", a.to_json()), write("B.json", b.to_json()), write("C.json", output.c.to_json()));
    let run = |job: &teraproof_core::JobReceipt, expected: TpStatus, data: Option<[&Path; 3]>| {
        let job_path = write("job.json", job.to_json());
        let mut command = Command::new(&exe);
        command.arg(&keys).arg(&job_path).arg((expected as i32).to_string());
        if let Some(data) = data {
            command.args(data);
        }
        let o = command.env("LD_LIBRARY_PATH", &lib_dir).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(o.status.success(), "expected {expected:?}: {text}");
        text
    };
    let honest = &output.receipt;
    assert!(run(honest, TpStatus::Ok, None).contains("job status 0"));
    run(honest, TpStatus::Ok, Some([&a_path, &b_path, &c_path]));
    let mut missing = honest.clone();
    missing.units.pop();
    assert!(run(&missing, TpStatus::BadJob, None).contains("has no receipt"));
    let mut forged = honest.clone();
    forged.units[1].receipt.proof = forged.units[2].receipt.proof.clone();
    run(&forged, TpStatus::ProofRejected, None);
    let mut c = output.c.clone();
    *c.get_mut(4, 2).unwrap() += 1;
    let other_c = write("C2.json", c.to_json());
    assert!(run(honest, TpStatus::DataMismatch, Some([&a_path, &b_path, &other_c])).contains("output"));
    let dash = Path::new("-");
    run(honest, TpStatus::DataMismatch, Some([&b_path, dash, dash]));

    // The same checks from Python (examples/verify_job.py detects a job receipt).
    let Some(python) = python3() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have python3");
        println!("SKIPPED the Python example: no python3 on this machine");
        return;
    };
    let script = manifest.join("examples/verify_job.py");
    let python_job = |job: &teraproof_core::JobReceipt, c: &Path| {
        let job_path = write("py-job.json", job.to_json());
        let o = Command::new(&python)
            .arg(&script)
            .arg(lib_dir.join("libteraproof_verifier_c.so"))
            .arg(&keys)
            .args([&job_path, &a_path, &b_path])
            .arg(c)
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
    };
    let (code, text) = python_job(honest, &c_path);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("valid job: ") && text.contains("5x7x3"), "{text}");
    let (code, text) = python_job(honest, &other_c);
    assert_eq!(code, Some(TpStatus::DataMismatch as i32), "{text}");
    let (code, text) = python_job(&missing, &c_path);
    assert_eq!(code, Some(TpStatus::BadJob as i32), "{text}");
    assert!(text.contains("TP_ERR_BAD_JOB"), "{text}");
}
