//! The GEMM kernels' device code, run on the CPU: `tests/host/gemm_i8_host.cpp`
//! includes `kernels/gemm/gemm_i8.cuh` and drives every block, thread, warp and lane of
//! the three launches through the same `__host__ __device__` functions the GPU runs
//! (index math, swizzle, staging, fragment addressing, epilogue), with the
//! warp-collective PTX (ldmatrix, mma.sync) replaced by host models written from the
//! PTX ISA's fragment tables. Its C must equal the Rust reference exactly.
//!
//! Built with the system C++ compiler (with AddressSanitizer and UBSan when they link),
//! so an out-of-bounds index in the kernels' math fails here too. Skips, saying why,
//! only when there is no C++ compiler.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use teraproof_gpu::{gemm_i8_reference, gemm_selftest_cases};

/// The host emulation costs a few CPU operations per multiply-add of every whole block
/// tile; cases above this many block-slices (128x256x64) are left to the GPU.
const MAX_BLOCK_SLICES: usize = 300;

/// Builds the harness once per test run. `Err` is the reason to skip.
fn harness() -> Result<&'static Path, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(|| common::build_host_harness("gemm_i8_host")).as_deref().map_err(Clone::clone)
}

/// Runs the kernels' host emulation on A and B; returns C.
fn run_on_host(harness: &Path, a: &[i8], b: &[i8], m: usize, k: usize, n: usize, tag: &str) -> Vec<i32> {
    let dir = common::scratch_dir("host");
    let (input, output) = (dir.join(format!("{tag}.in")), dir.join(format!("{tag}.out")));
    let mut bytes = Vec::with_capacity(12 + a.len() + b.len());
    for dim in [m, k, n] {
        bytes.extend_from_slice(&u32::try_from(dim).unwrap().to_le_bytes());
    }
    bytes.extend(a.iter().chain(b).map(|&v| v as u8));
    std::fs::write(&input, bytes).unwrap();
    let run = Command::new(harness).arg(&input).arg(&output).output().unwrap();
    assert!(run.status.success(), "harness failed on {m}x{k}x{n}:\n{}", String::from_utf8_lossy(&run.stderr));
    let raw = std::fs::read(&output).unwrap();
    raw.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect()
}

/// How much block-level work the host emulation does for a shape.
fn block_slices(m: usize, k: usize, n: usize) -> usize {
    m.div_ceil(128) * n.div_ceil(256) * k.div_ceil(64)
}

fn assert_host_matches_reference(harness: &Path, name: &str, a: &[i8], b: &[i8], (m, k, n): (usize, usize, usize)) {
    let tag = name.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    let host = run_on_host(harness, a, b, m, k, n, &tag);
    let expected = gemm_i8_reference(a, b, m, k, n).unwrap();
    assert_eq!(host.len(), expected.len(), "{name}: C has the wrong size");
    if let Some(i) = host.iter().zip(&expected).position(|(x, y)| x != y) {
        panic!(
            "{name} ({m}x{k}x{n}): first difference at row {}, col {}: host {}, reference {}",
            i / n,
            i % n,
            host[i],
            expected[i]
        );
    }
}

#[test]
fn selftest_cases_match_the_reference_on_the_host() {
    let harness = match harness() {
        Ok(h) => h,
        Err(reason) => return common::skip("selftest_cases_match_the_reference_on_the_host", &reason),
    };
    let mut ran = 0;
    for case in gemm_selftest_cases() {
        if block_slices(case.m, case.k, case.n) > MAX_BLOCK_SLICES {
            eprintln!("host emulation skips the large case {:?} (left to the GPU self-test)", case.name);
            continue;
        }
        let (a, b) = case.inputs();
        assert_host_matches_reference(harness, case.name, &a, &b, (case.m, case.k, case.n));
        ran += 1;
    }
    assert!(ran >= 12, "most self-test cases run on the host ({ran} did)");
}

#[test]
fn random_shapes_match_the_reference_on_the_host() {
    let harness = match harness() {
        Ok(h) => h,
        Err(reason) => return common::skip("random_shapes_match_the_reference_on_the_host", &reason),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(0x6e6d_6d61);
    for round in 0..16 {
        // Mostly small (every residue of m, n mod 128 and k mod 64 is an edge case),
        // sometimes past one block.
        let mut dim = |small: usize, large: usize| {
            if rng.gen_bool(0.25) {
                rng.gen_range(1..=large)
            } else {
                rng.gen_range(1..=small)
            }
        };
        let (m, k, n) = (dim(40, 300), dim(100, 700), dim(40, 300));
        let a: Vec<i8> = (0..m * k).map(|_| rng.gen()).collect();
        let b: Vec<i8> = (0..k * n).map(|_| rng.gen()).collect();
        assert_host_matches_reference(harness, &format!("random round {round}"), &a, &b, (m, k, n));
    }
}

#[test]
fn int32_extremes_at_a_long_k_match_on_the_host() {
    let harness = match harness() {
        Ok(h) => h,
        Err(reason) => return common::skip("int32_extremes_at_a_long_k_match_on_the_host", &reason),
    };
    // k = 8191 (odd: packing path) with every product at its extreme; a smaller stand-in
    // for the MAX_K cases the GPU self-test runs.
    let (m, k, n) = (3, 8191, 5);
    for (name, a, b) in [("all -128", -128i8, -128i8), ("-128 x 127", -128, 127), ("all 127", 127, 127)] {
        assert_host_matches_reference(harness, name, &vec![a; m * k], &vec![b; k * n], (m, k, n));
    }
}

#[test]
fn shared_memory_accesses_are_free_of_bank_conflicts() {
    let harness = match harness() {
        Ok(h) => h,
        Err(reason) => return common::skip("shared_memory_accesses_are_free_of_bank_conflicts", &reason),
    };
    let run = Command::new(harness).arg("--check-bank-conflicts").output().unwrap();
    assert!(run.status.success(), "the swizzle leaves bank conflicts:\n{}", String::from_utf8_lossy(&run.stderr));
}
