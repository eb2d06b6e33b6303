//! The MSM kernels' device code, run on the CPU: `tests/host/msm_host.cpp` includes
//! `kernels/msm/msm.cuh` (and through it the field and curve headers) and answers
//! requests on stdin with the same `__host__ __device__` functions the GPU runs, the
//! PTX carry chains replaced by their host model.
//!
//! - field arithmetic (Fq, Fr, Fq2) against arkworks on random and edge values;
//! - G1/G2 XYZZ point arithmetic against arkworks, including the identity, P + P and
//!   P + (−P), with non-trivial ZZ/ZZZ;
//! - the CUDA backend's own launch schedule (`teraproof_gpu::msm::schedule`) on small
//!   inputs, every buffer at exactly its scheduled length and every launched thread run
//!   through the kernel's body: against the Rust reference, phase by phase (bucket
//!   offsets, entries, bucket sums, window sums), and against arkworks.
//!
//! Built with the system C++ compiler (with AddressSanitizer and UBSan when they link).
//! Skips, saying why, only when there is no C++ compiler.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{Field, PrimeField, UniformRand, Zero};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use teraproof_gpu::msm::layout::{
    bases_to_words, push_fq_words, push_fr_words, scalars_to_words, xyzz_from_words, MsmCurve,
};
use teraproof_gpu::msm::reference::{msm_phases, MsmPlan};
use teraproof_gpu::msm::schedule::{Arg, BufferId, BufferSource, KernelArgs, Schedule, Step};

fn harness() -> Result<&'static Path, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(|| common::build_host_harness("msm_host")).as_deref().map_err(Clone::clone)
}

/// Runs the harness on `requests` (one per line). Its stdin is fed from a thread; when
/// the harness stops early (a refused schedule), the broken pipe is expected and the
/// write error is returned alongside the output.
fn run_harness(harness: &Path, requests: &str) -> (std::process::Output, std::io::Result<()>) {
    let mut child = Command::new(harness)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the MSM harness");
    let mut stdin = child.stdin.take().unwrap();
    let input = requests.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    (output, writer.join().unwrap())
}

/// Sends `requests` to the harness; returns its answer lines.
fn ask(harness: &Path, requests: &str) -> Vec<String> {
    let (output, written) = run_harness(harness, requests);
    assert!(output.status.success(), "harness failed:\n{}", String::from_utf8_lossy(&output.stderr));
    written.unwrap();
    String::from_utf8(output.stdout).unwrap().lines().map(String::from).collect()
}

/// Sends `requests` to the harness, which must fail; returns its error output.
fn ask_expecting_failure(harness: &Path, requests: &str) -> String {
    let (output, _) = run_harness(harness, requests);
    assert!(!output.status.success(), "the harness accepted a broken schedule");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// 64 hex digits per group of eight Montgomery words, big-endian.
fn words_hex(words: &[u32]) -> String {
    words
        .chunks(8)
        .map(|c| c.iter().rev().map(|w| format!("{w:08x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn hex_words(tokens: &str) -> Vec<u32> {
    tokens
        .split_whitespace()
        .flat_map(|t| {
            assert_eq!(t.len(), 64, "{t}");
            (0..8).rev().map(move |i| u32::from_str_radix(&t[8 * i..8 * i + 8], 16).unwrap())
        })
        .collect()
}

fn fq_hex(a: &Fq) -> String {
    let mut words = Vec::new();
    push_fq_words(a, &mut words);
    words_hex(&words)
}

fn fr_hex(a: &Fr) -> String {
    let mut words = Vec::new();
    push_fr_words(a, &mut words);
    words_hex(&words)
}

fn field_hex<P: MsmCurve>(a: &P::BaseField) -> String {
    let mut words = Vec::new();
    P::push_field_words(a, &mut words);
    words_hex(&words)
}

fn affine_hex<P: MsmCurve>(p: &Affine<P>) -> String {
    match p.xy() {
        Some((x, y)) => format!("{} {}", field_hex::<P>(&x), field_hex::<P>(&y)),
        None => {
            let zero = field_hex::<P>(&P::BaseField::zero());
            format!("{zero} {zero}")
        }
    }
}

/// `p` as XYZZ scaled by λ (X = xλ², Y = yλ³, ZZ = λ², ZZZ = λ³), so that the
/// formulas see general coordinates, not ZZ = 1.
fn xyzz_hex<P: MsmCurve>(p: &Projective<P>, lambda: P::BaseField) -> String {
    match p.into_affine().xy() {
        Some((x, y)) => {
            let (l2, l3) = (lambda.square(), lambda.square() * lambda);
            [x * l2, y * l3, l2, l3].iter().map(field_hex::<P>).collect::<Vec<_>>().join(" ")
        }
        None => [P::BaseField::zero(); 4].iter().map(field_hex::<P>).collect::<Vec<_>>().join(" "),
    }
}

fn parse_xyzz<P: MsmCurve>(line: &str) -> Projective<P> {
    xyzz_from_words::<P>(&hex_words(line)).unwrap_or_else(|| panic!("not a valid XYZZ point: {line}"))
}

macro_rules! harness_or_skip {
    ($name:literal) => {
        match harness() {
            Ok(h) => h,
            Err(reason) => return common::skip($name, &reason),
        }
    };
}

fn edge_and_random<F: Field + UniformRand>(edges: &[F], rng: &mut ChaCha8Rng, randoms: usize) -> Vec<F> {
    edges.iter().copied().chain((0..randoms).map(|_| F::rand(rng))).collect()
}

#[test]
fn fq_and_fr_arithmetic_match_arkworks() {
    let harness = harness_or_skip!("fq_and_fr_arithmetic_match_arkworks");
    let mut rng = ChaCha8Rng::seed_from_u64(0xf1e1d);
    let fq = edge_and_random(&[Fq::zero(), Fq::ONE, -Fq::ONE, Fq::from(2u64), -Fq::from(2u64)], &mut rng, 60);
    let fr = edge_and_random(&[Fr::zero(), Fr::ONE, -Fr::ONE, Fr::from(2u64), -Fr::from(2u64)], &mut rng, 60);
    let mut requests = String::new();
    let mut expected = Vec::new();
    for a in &fq {
        for b in fq.iter().take(12) {
            for (op, value) in [("add", *a + b), ("sub", *a - b), ("mul", *a * b)] {
                requests += &format!("fq_{op} {} {}\n", fq_hex(a), fq_hex(b));
                expected.push((format!("fq_{op}({a}, {b})"), fq_hex(&value)));
            }
        }
        requests += &format!("fq_sqr {}\nfq_neg {}\n", fq_hex(a), fq_hex(a));
        expected.push((format!("fq_sqr({a})"), fq_hex(&a.square())));
        expected.push((format!("fq_neg({a})"), fq_hex(&-*a)));
    }
    for a in &fr {
        for b in fr.iter().take(12) {
            for (op, value) in [("add", *a + b), ("sub", *a - b), ("mul", *a * b)] {
                requests += &format!("fr_{op} {} {}\n", fr_hex(a), fr_hex(b));
                expected.push((format!("fr_{op}({a}, {b})"), fr_hex(&value)));
            }
        }
        requests += &format!("fr_sqr {}\nfr_neg {}\nfr_from_mont {}\n", fr_hex(a), fr_hex(a), fr_hex(a));
        expected.push((format!("fr_sqr({a})"), fr_hex(&a.square())));
        expected.push((format!("fr_neg({a})"), fr_hex(&-*a)));
        // The canonical integer, laid out like a Montgomery value.
        let canonical = a.into_bigint().0.iter().flat_map(|l| [*l as u32, (l >> 32) as u32]).collect::<Vec<_>>();
        expected.push((format!("fr_from_mont({a})"), words_hex(&canonical)));
    }
    let answers = ask(harness, &requests);
    assert_eq!(answers.len(), expected.len());
    for (answer, (what, value)) in answers.iter().zip(&expected) {
        assert_eq!(answer, value, "{what}");
    }
}

#[test]
fn fq2_arithmetic_matches_arkworks() {
    let harness = harness_or_skip!("fq2_arithmetic_matches_arkworks");
    let mut rng = ChaCha8Rng::seed_from_u64(0xf2);
    let edges = [Fq2::zero(), Fq2::ONE, -Fq2::ONE, Fq2::new(Fq::zero(), Fq::ONE), Fq2::new(-Fq::ONE, -Fq::ONE)];
    let values = edge_and_random(&edges, &mut rng, 40);
    let hex = field_hex::<ark_bn254::g2::Config>;
    let mut requests = String::new();
    let mut expected = Vec::new();
    for a in &values {
        for b in values.iter().take(10) {
            for (op, value) in [("add", *a + b), ("sub", *a - b), ("mul", *a * b)] {
                requests += &format!("fq2_{op} {} {}\n", hex(a), hex(b));
                expected.push((format!("fq2_{op}({a}, {b})"), hex(&value)));
            }
        }
        requests += &format!("fq2_sqr {}\n", hex(a));
        expected.push((format!("fq2_sqr({a})"), hex(&a.square())));
    }
    let answers = ask(harness, &requests);
    assert_eq!(answers.len(), expected.len());
    for (answer, (what, value)) in answers.iter().zip(&expected) {
        assert_eq!(answer, value, "{what}");
    }
}

/// Mixed and general additions, doublings and small multiples on `P`'s curve: random
/// points and every special case, each answer checked against arkworks.
fn check_point_operations<P: MsmCurve>(harness: &Path, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut requests = String::new();
    let mut expected: Vec<(String, Projective<P>)> = Vec::new();
    let name = P::NAME.to_lowercase();
    let zero = Projective::<P>::zero();
    for round in 0..24 {
        let p = Projective::<P>::rand(&mut rng);
        let q = Projective::<P>::rand(&mut rng);
        let (l1, l2) = (P::BaseField::rand(&mut rng), P::BaseField::rand(&mut rng));
        let q_affine = q.into_affine();
        let cases_mixed = [
            ("P + q", p, q_affine),
            ("P + P", p, p.into_affine()),
            ("P + (-P)", p, (-p).into_affine()),
            ("0 + q", zero, q_affine),
            ("P + 0", p, Affine::<P>::zero()),
            ("0 + 0", zero, Affine::<P>::zero()),
        ];
        for (what, a, b) in cases_mixed {
            requests += &format!("{name}_add_mixed {} {}\n", xyzz_hex(&a, l1), affine_hex(&b));
            expected.push((format!("round {round}: mixed {what}"), a + b));
        }
        let cases_general =
            [("P + Q", p, q), ("P + P", p, p), ("P + (-P)", p, -p), ("0 + Q", zero, q), ("P + 0", p, zero)];
        for (what, a, b) in cases_general {
            requests += &format!("{name}_add {} {}\n", xyzz_hex(&a, l1), xyzz_hex(&b, l2));
            expected.push((format!("round {round}: {what}"), a + b));
        }
        requests += &format!("{name}_dbl {}\n{name}_dbl {}\n", xyzz_hex(&p, l1), xyzz_hex(&zero, l1));
        expected.push((format!("round {round}: 2P"), p + p));
        expected.push((format!("round {round}: 2·0"), zero));
        let k: u32 = if round < 4 { round } else { rng.gen_range(0..1 << 16) };
        requests += &format!("{name}_mul_small {} {k}\n", xyzz_hex(&p, l2));
        expected.push((format!("round {round}: {k}·P"), p * Fr::from(k)));
    }
    let answers = ask(harness, &requests);
    assert_eq!(answers.len(), expected.len());
    for (answer, (what, value)) in answers.iter().zip(&expected) {
        assert_eq!(parse_xyzz::<P>(answer), *value, "{} {what}", P::NAME);
    }
}

#[test]
fn g1_point_operations_match_arkworks() {
    let harness = harness_or_skip!("g1_point_operations_match_arkworks");
    check_point_operations::<ark_bn254::g1::Config>(harness, 0x61);
}

#[test]
fn g2_point_operations_match_arkworks() {
    let harness = harness_or_skip!("g2_point_operations_match_arkworks");
    check_point_operations::<ark_bn254::g2::Config>(harness, 0x62);
}

/// The request that runs `schedule` in the harness on `bases` and `scalars` and reads
/// back `reads`. Buffers are freed after their last use, as the CUDA executor does.
fn schedule_request(schedule: &Schedule, bases: &[u32], scalars: &[u32], reads: &[BufferId]) -> String {
    schedule_request_with_frees(schedule, &schedule.last_uses(), bases, scalars, reads)
}

/// [`schedule_request`] with the given last use of each buffer.
fn schedule_request_with_frees(
    schedule: &Schedule,
    last_uses: &[Option<usize>],
    bases: &[u32],
    scalars: &[u32],
    reads: &[BufferId],
) -> String {
    let hex = |words: &[u32]| words.iter().map(|w| format!("{w:x}")).collect::<Vec<_>>().join(" ");
    let curve = format!("{:?}", schedule.curve).to_lowercase();
    let frees = last_uses.iter().filter(|last| last.is_some()).count();
    let steps = schedule.steps.len() + frees;
    let mut request = format!("schedule {curve} {} {steps} {}\n", schedule.buffers.len(), reads.len());
    for buffer in &schedule.buffers {
        let source = format!("{:?}", buffer.source).to_lowercase().replace("zeroed", "zero");
        request += &format!("buffer {} {source}\n", buffer.words);
    }
    for (id, buffer) in schedule.buffers.iter().enumerate() {
        match buffer.source {
            BufferSource::Bases => request += &format!("data {id} {}\n", hex(bases)),
            BufferSource::Scalars => request += &format!("data {id} {}\n", hex(scalars)),
            _ => {}
        }
    }
    for (index, step) in schedule.steps.iter().enumerate() {
        match step {
            Step::Launch(l) => {
                let name = l.kernel().entry_point(schedule.curve).unwrap().name;
                let args: Vec<String> = l
                    .args
                    .to_args()
                    .iter()
                    .map(|a| match a {
                        Arg::Buffer(id) => format!("b{}", id.0),
                        Arg::U32(v) => format!("u{v}"),
                    })
                    .collect();
                request += &format!("launch {name} {} {} {}\n", l.blocks, l.threads, args.join(" "));
            }
            Step::Duplicate { from, to } => request += &format!("duplicate {} {}\n", from.0, to.0),
        }
        for (id, _) in last_uses.iter().enumerate().filter(|(_, last)| **last == Some(index)) {
            request += &format!("free {id}\n");
        }
    }
    for id in reads {
        request += &format!("read {}\n", id.0);
    }
    request
}

/// Runs the CUDA backend's schedule for `bases`/`scalars` with `window_bits` on the
/// host and compares every phase with the Rust reference and the result with arkworks.
fn check_msm_pipeline<P: MsmCurve>(harness: &Path, what: &str, bases: &[Affine<P>], scalars: &[Fr], window_bits: u32)
where
    Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
{
    let plan = MsmPlan::with_window_bits(window_bits);
    let reference = msm_phases(bases, scalars, plan);
    let expected = Projective::<P>::msm(bases, scalars).unwrap();
    assert_eq!(reference.result, expected, "{what}: the reference disagrees with arkworks");

    let schedule = Schedule::new::<P>(bases.len(), plan, true).unwrap();
    let outputs = schedule.outputs;
    let reads = [outputs.offsets.unwrap(), outputs.entries.unwrap(), outputs.bucket_sums.unwrap(), outputs.window_sums];
    let request = schedule_request(&schedule, &bases_to_words(bases), &scalars_to_words(scalars), &reads);
    let answers = ask(harness, &request);
    assert_eq!(answers.len(), reads.len(), "{what}");
    let words: Vec<Vec<u32>> = answers
        .iter()
        .map(|line| {
            let rest = line.strip_prefix("words").unwrap_or_else(|| panic!("{what}: {line}"));
            rest.split_whitespace().map(|t| u32::from_str_radix(t, 16).unwrap()).collect()
        })
        .collect();
    let buckets = plan.buckets();
    let offsets = &words[0];
    assert_eq!(offsets, &reference.layout.offsets, "{what}: bucket offsets");
    let entries = &words[1][..offsets[buckets] as usize];
    assert_eq!(entries.len(), reference.layout.entries.len(), "{what}: entry count");
    for b in 0..buckets {
        let range = offsets[b] as usize..offsets[b + 1] as usize;
        let mut ours = entries[range].to_vec();
        ours.sort_unstable();
        assert_eq!(ours, reference.layout.bucket(b), "{what}: entries of bucket {b}");
    }
    let points = |words: &[u32], count: usize| -> Vec<Projective<P>> {
        let xyzz = schedule.xyzz_words;
        words[..count * xyzz]
            .chunks_exact(xyzz)
            .map(|w| xyzz_from_words::<P>(w).unwrap_or_else(|| panic!("{what}: a point off the curve")))
            .collect()
    };
    assert_eq!(points(&words[2], buckets), reference.bucket_sums, "{what}: bucket sums");
    let windows = points(&words[3], plan.windows as usize);
    assert_eq!(windows, reference.window_sums, "{what}: window sums");
    let combined = teraproof_gpu::msm::reference::combine_windows(&windows, &plan);
    assert_eq!(combined, expected, "{what}: result");
}

/// The inputs every MSM test covers, at a given size: random, zeros, r − 1, all equal,
/// identity bases, repeated bases.
fn msm_input_sets<P: MsmCurve>(n: usize, rng: &mut ChaCha8Rng) -> Vec<(String, Vec<Affine<P>>, Vec<Fr>)> {
    let random_bases: Vec<Affine<P>> = (0..n).map(|_| Projective::<P>::rand(rng).into_affine()).collect();
    let random_scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(rng)).collect();
    let mixed_zeros: Vec<Fr> =
        random_scalars.iter().enumerate().map(|(i, s)| if i % 3 == 0 { Fr::zero() } else { *s }).collect();
    let with_identities: Vec<Affine<P>> =
        random_bases.iter().enumerate().map(|(i, b)| if i % 4 == 1 { Affine::<P>::zero() } else { *b }).collect();
    let repeated: Vec<Affine<P>> = (0..n).map(|i| random_bases[i % 3]).collect();
    let small: Vec<Fr> = (0..n).map(|_| Fr::from(rng.gen_range(0u64..4))).collect();
    vec![
        ("random".into(), random_bases.clone(), random_scalars.clone()),
        ("all zero scalars".into(), random_bases.clone(), vec![Fr::zero(); n]),
        ("a third zero".into(), random_bases.clone(), mixed_zeros),
        ("r - 1".into(), random_bases.clone(), vec![-Fr::ONE; n]),
        ("all equal".into(), random_bases.clone(), vec![random_scalars[0]; n]),
        ("identity bases".into(), with_identities, random_scalars.clone()),
        ("repeated bases (P + P in buckets)".into(), repeated.clone(), vec![random_scalars[0]; n]),
        ("repeated bases, small scalars".into(), repeated, small),
    ]
}

#[test]
fn g1_msm_pipeline_on_the_host_matches_reference_and_arkworks() {
    let harness = harness_or_skip!("g1_msm_pipeline_on_the_host_matches_reference_and_arkworks");
    let mut rng = ChaCha8Rng::seed_from_u64(0x6d31);
    for (n, window_bits) in [(1, 4), (7, 3), (100, 5), (300, 8), (1100, 4)] {
        for (what, bases, scalars) in msm_input_sets::<ark_bn254::g1::Config>(n, &mut rng) {
            check_msm_pipeline(harness, &format!("G1 n={n} c={window_bits} {what}"), &bases, &scalars, window_bits);
        }
    }
    // Plans chosen by size, as the GPU uses them.
    let bases: Vec<G1Affine> = (0..2000).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
    let scalars: Vec<Fr> = (0..2000).map(|_| Fr::rand(&mut rng)).collect();
    check_msm_pipeline(harness, "G1 n=2000 planned", &bases, &scalars, MsmPlan::for_size(2000).window_bits);
}

#[test]
fn g2_msm_pipeline_on_the_host_matches_reference_and_arkworks() {
    let harness = harness_or_skip!("g2_msm_pipeline_on_the_host_matches_reference_and_arkworks");
    let mut rng = ChaCha8Rng::seed_from_u64(0x6d32);
    for (n, window_bits) in [(1, 4), (50, 5), (200, 6)] {
        for (what, bases, scalars) in msm_input_sets::<ark_bn254::g2::Config>(n, &mut rng) {
            check_msm_pipeline(harness, &format!("G2 n={n} c={window_bits} {what}"), &bases, &scalars, window_bits);
        }
    }
    let bases: Vec<G2Affine> = (0..300).map(|_| G2Projective::rand(&mut rng).into_affine()).collect();
    let scalars: Vec<Fr> = (0..300).map(|_| Fr::rand(&mut rng)).collect();
    check_msm_pipeline(harness, "G2 n=300 planned", &bases, &scalars, MsmPlan::for_size(300).window_bits);
}

/// The host executor has teeth: a schedule whose bucket-sum buffer is one point short
/// (which `Schedule::validate` refuses, so the test skips it) makes the harness fault
/// under AddressSanitizer, and a launch whose arguments are out of order is refused.
#[test]
fn the_host_executor_catches_overruns_and_wrong_arguments() {
    let harness = harness_or_skip!("the_host_executor_catches_overruns_and_wrong_arguments");
    let mut rng = ChaCha8Rng::seed_from_u64(0x0b0b);
    let bases: Vec<G1Affine> = (0..40).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
    let scalars: Vec<Fr> = (0..40).map(|_| Fr::rand(&mut rng)).collect();
    let honest = Schedule::new::<ark_bn254::g1::Config>(40, MsmPlan::with_window_bits(4), false).unwrap();
    let (bases_words, scalar_words) = (bases_to_words(&bases), scalars_to_words(&scalars));
    let reads = [honest.outputs.window_sums];
    assert_eq!(ask(harness, &schedule_request(&honest, &bases_words, &scalar_words, &reads)).len(), 1);

    let gather = |s: &Schedule| {
        s.steps
            .iter()
            .position(|step| matches!(step, Step::Launch(l) if l.kernel() == teraproof_gpu::msm::schedule::Kernel::GatherBuckets))
            .unwrap()
    };
    // A schedule's arguments are typed structs, so a swapped pointer and integer can
    // only reach the harness through the request itself: swap them in the text.
    let request = schedule_request(&honest, &bases_words, &scalar_words, &reads);
    let swapped: Vec<String> = request
        .lines()
        .map(|line| {
            let mut tokens: Vec<&str> = line.split(' ').collect();
            if tokens.get(1).is_some_and(|name| name.starts_with("msm_gather_buckets")) {
                // launch NAME BLOCKS THREADS partials offsets bucket_sums buckets
                tokens.swap(6, 7);
            }
            tokens.join(" ")
        })
        .collect();
    assert_ne!(swapped.join("\n") + "\n", request);
    let stderr = ask_expecting_failure(harness, &(swapped.join("\n") + "\n"));
    assert!(stderr.contains("do not match the parameter kinds"), "{stderr}");

    // A buffer freed one step too early (an executor bug the frees would cause) is
    // reported at its next use.
    let mut early = honest.last_uses();
    let (bases_id, scalars_id) = honest.inputs();
    let scratch = |id: usize| Some(BufferId(id)) != bases_id && Some(BufferId(id)) != scalars_id;
    let victim = (0..early.len()).find(|&id| scratch(id) && early[id].is_some_and(|l| l > 2)).unwrap();
    early[victim] = early[victim].map(|l| l - 1);
    let request = schedule_request_with_frees(&honest, &early, &bases_words, &scalar_words, &reads);
    let stderr = ask_expecting_failure(harness, &request);
    assert!(stderr.contains("used after it was freed"), "{stderr}");

    // A launch short of threads (which validate() refuses) leaves partials unwritten;
    // they are poisoned, so the bucket sums read from them are no valid points, where
    // zeroed memory would have passed for the identity.
    let mut short_grid = honest.clone();
    let accumulate = short_grid
        .steps
        .iter()
        .position(
            |step| matches!(step, Step::Launch(l) if l.kernel() == teraproof_gpu::msm::schedule::Kernel::AccumulateBases),
        )
        .unwrap();
    if let Step::Launch(l) = &mut short_grid.steps[accumulate] {
        l.blocks = 1;
    }
    assert!(short_grid.validate().is_err());
    let Step::Launch(gather_launch) = &honest.steps[gather(&honest)] else { unreachable!() };
    let KernelArgs::GatherBuckets(gathered) = gather_launch.args else { unreachable!() };
    let bucket_sums = gathered.bucket_sums;
    let mut keep = honest.last_uses();
    keep[bucket_sums.0] = None;
    let request = schedule_request_with_frees(&short_grid, &keep, &bases_words, &scalar_words, &[bucket_sums]);
    let answer = ask(harness, &request);
    let words: Vec<u32> = answer[0]
        .strip_prefix("words")
        .unwrap()
        .split_whitespace()
        .map(|t| u32::from_str_radix(t, 16).unwrap())
        .collect();
    let invalid =
        words.chunks_exact(honest.xyzz_words).filter(|w| xyzz_from_words::<ark_bn254::g1::Config>(w).is_none()).count();
    assert!(invalid > 0, "the skipped chunks' partials should surface as invalid bucket sums");

    if ask(harness, "sanitizers\n") != ["address"] {
        return common::skip(
            "the_host_executor_catches_overruns_and_wrong_arguments (overrun half)",
            "the harness was built without AddressSanitizer",
        );
    }
    let mut short = honest.clone();
    let index = gather(&short);
    let Step::Launch(l) = &short.steps[index] else { unreachable!() };
    let KernelArgs::GatherBuckets(gathered) = l.args else { unreachable!() };
    let sums = gathered.bucket_sums;
    short.buffers[sums.0].words -= short.xyzz_words;
    assert!(short.validate().is_err());
    let stderr = ask_expecting_failure(harness, &schedule_request(&short, &bases_words, &scalar_words, &reads));
    assert!(stderr.contains("heap-buffer-overflow"), "{stderr}");
}
