//! Static checks of every kernel, on any machine (no GPU needed): each program under
//! `kernels/` compiles with NVRTC for sm_80 and sm_90, assembles with `ptxas`, and no
//! kernel spills registers to local memory. The register/spill report is printed
//! (`cargo test -p teraproof-gpu --test static_kernels -- --nocapture`).
//!
//! The same compile checks each kernel against the record the launchers follow
//! (`teraproof_gpu::kernels::EntryPoint`): the parameters NVRTC emitted in the PTX
//! `.entry` match the recorded kinds and order, and a block of the recorded size fits an
//! SM with the registers and shared memory ptxas assigned. Those are the two ways a
//! launch fails (or corrupts memory) on a GPU that no host test can see.
//!
//! Tools: run `scripts/cuda-tools.sh` once (PyPI wheels into `.tools/cuda`). Without
//! NVRTC or ptxas these tests print why and pass vacuously.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use teraproof_gpu::kernels::{EntryPoint, KernelProgram, KernelVariant, Param, ParamKind, HEADERS, PROGRAMS};
use teraproof_gpu::nvrtc::{compile, compile_ptx, nvrtc_version, parse_ptxas_report, FunctionResources, Target};
use teraproof_gpu::{ComputeCapability, GpuError};

/// The architectures every kernel is checked for: A100 and H100.
const ARCHS: [ComputeCapability; 2] =
    [ComputeCapability { major: 8, minor: 0 }, ComputeCapability { major: 9, minor: 0 }];

/// The parameter kinds of every `.entry` in a PTX module, by kernel name; an error for
/// a parameter type no launcher passes.
fn parse_ptx_entries(ptx: &str) -> Result<Vec<(String, Vec<ParamKind>)>, String> {
    let mut entries = Vec::new();
    let mut rest = ptx;
    while let Some(at) = rest.find(".entry ") {
        rest = &rest[at + ".entry ".len()..];
        let open = rest.find('(').ok_or("an .entry without a parameter list")?;
        let close = rest.find(')').ok_or("an unclosed .entry parameter list")?;
        let name = rest[..open].trim().to_string();
        let mut params = Vec::new();
        for param in rest[open + 1..close].split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let kind = match param.split_whitespace().nth(1) {
                Some(".u64") => ParamKind::Pointer,
                Some(".u32" | ".s32") => ParamKind::Word32,
                other => return Err(format!("{name}: unexpected parameter type {other:?} in `{param}`")),
            };
            params.push(kind);
        }
        entries.push((name, params));
        rest = &rest[close..];
    }
    Ok(entries)
}

/// Registers of one SM and the most one block may use, and the shared memory a block
/// may use (with opt-in), on the checked architectures.
const REGISTERS_PER_BLOCK: u32 = 65536;
fn max_shared_per_block(arch: ComputeCapability) -> u32 {
    if arch.major >= 9 {
        227 * 1024
    } else {
        163 * 1024
    }
}

/// Why a block of `entry.block_threads()` threads with ptxas's `report` cannot launch, if
/// it cannot: registers are allocated per warp in units of 256.
fn launch_misfit(entry: &EntryPoint, report: &FunctionResources, arch: ComputeCapability) -> Option<String> {
    let registers = report.registers.unwrap_or(0);
    let per_warp = (registers * 32).div_ceil(256) * 256;
    let warps = entry.block_threads().div_ceil(32);
    if per_warp * warps > REGISTERS_PER_BLOCK {
        return Some(format!(
            "{}: {} threads x {registers} registers need {} registers, a block may have {REGISTERS_PER_BLOCK}",
            entry.name,
            entry.block_threads(),
            per_warp * warps
        ));
    }
    let shared = report.shared_bytes + entry.dynamic_shared_bytes;
    if shared > max_shared_per_block(arch) {
        return Some(format!("{}: {shared} bytes of shared memory on {}", entry.name, arch.sm_name()));
    }
    None
}

/// Compiles `program` in `variant` for `arch`, assembles it, and returns the PTX and
/// ptxas's per-function report.
fn compile_and_assemble(
    program: &KernelProgram,
    arch: ComputeCapability,
    variant: KernelVariant,
    ptxas: &Path,
) -> (String, Vec<FunctionResources>) {
    let compiled = compile(program, Target::Ptx(arch), variant).unwrap_or_else(|e| panic!("{e}"));
    if !compiled.log.is_empty() {
        eprintln!("NVRTC log for {} ({}):\n{}", program.path, compiled.target, compiled.log);
    }
    let ptx = compiled.ptx().expect("PTX is text").to_string();
    let dir = common::scratch_dir("ptx");
    let stem = format!("{}.{}.{}.nvrtc{}", program.path.replace('/', "_"), variant, arch.sm_name(), compiled.nvrtc);
    let ptx_path = dir.join(format!("{stem}.ptx"));
    std::fs::write(&ptx_path, &ptx).expect("write PTX");
    let output = Command::new(ptxas)
        .arg(format!("-arch={}", arch.sm_name()))
        .arg("-v")
        .arg(&ptx_path)
        .arg("-o")
        .arg(dir.join(format!("{stem}.cubin")))
        .output()
        .expect("run ptxas");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "ptxas rejected {} for {}:\n{text}", program.path, arch.sm_name());
    (ptx, parse_ptxas_report(&text))
}

/// Set in the child process that repeats the compile checks with another NVRTC: the
/// major release the child must find loaded.
const EXPECT_NVRTC_MAJOR_ENV: &str = "TERAPROOF_STATIC_EXPECT_NVRTC_MAJOR";

/// The (program, architecture, variant) builds checked with the NVRTC loaded: every
/// program in every variant for sm_80 and sm_90 with the main NVRTC (13); with NVRTC 12
/// (for CUDA 12 drivers) the same for sm_90, the MSM's default build taking minutes.
fn checked_builds(nvrtc_major: u32) -> Vec<(&'static KernelProgram, ComputeCapability, KernelVariant)> {
    let archs: &[ComputeCapability] = if nvrtc_major >= 13 { &ARCHS } else { &ARCHS[1..] };
    let mut builds = Vec::new();
    for program in PROGRAMS {
        for &variant in program.variants {
            builds.extend(archs.iter().map(|&arch| (program, arch, variant)));
        }
    }
    builds
}

#[test]
fn every_kernel_compiles_assembles_and_does_not_spill() {
    if let Err(reason) = common::nvrtc() {
        return common::skip("every_kernel_compiles_assembles_and_does_not_spill", &reason);
    }
    let ptxas = match common::ptxas() {
        Ok(path) => path,
        Err(reason) => return common::skip("every_kernel_compiles_assembles_and_does_not_spill", &reason),
    };
    let version = nvrtc_version().expect("NVRTC version");
    if let Ok(expected) = std::env::var(EXPECT_NVRTC_MAJOR_ENV) {
        assert_eq!(version.major.to_string(), expected, "the child process loaded the wrong NVRTC");
    }
    eprintln!("NVRTC {version}, ptxas {}", ptxas.display());
    eprintln!(
        "{:<18} {:<13} {:<7} {:<28} {:>5} {:>9} {:>8} {:>8} {:>8} {:>7}",
        "program", "variant", "arch", "kernel", "regs", "stack B", "spill st", "spill ld", "smem B", "chains"
    );
    let mut spills = Vec::new();
    // NVRTC takes minutes on the MSM program; the builds compile in parallel, and are
    // reported in order.
    let jobs = checked_builds(version.major);
    let all_reports: Vec<(String, Vec<FunctionResources>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|&(program, arch, variant)| {
                let ptxas = &ptxas;
                scope.spawn(move || compile_and_assemble(program, arch, variant, ptxas))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a compile job panicked")).collect()
    });
    let mut misfits = Vec::new();
    let mut broken_chains = Vec::new();
    for (&(program, arch, variant), (ptx, reports)) in jobs.iter().zip(all_reports) {
        let what = format!("{} {variant} {} (NVRTC {version})", program.path, arch.sm_name());
        let ptx_entries = parse_ptx_entries(&ptx).unwrap_or_else(|e| panic!("{what}: {e}"));
        let chains = match carry_chains(&ptx) {
            Ok(count) => count,
            Err(problems) => {
                broken_chains.extend(problems.into_iter().take(5).map(|p| format!("{what}: {p}")));
                0
            }
        };
        for entry in program.entry_points {
            let report = reports.iter().find(|r| r.name == entry.name);
            let report = report.unwrap_or_else(|| panic!("ptxas reported nothing for {} in {what}", entry.name));
            let declared = ptx_entries.iter().find(|(name, _)| name == entry.name).map(|(_, params)| params);
            assert_eq!(
                declared,
                Some(&entry.params.iter().map(|p| p.kind).collect::<Vec<_>>()),
                "{what}: the PTX parameters of {} differ from its EntryPoint record",
                entry.name
            );
            misfits.extend(launch_misfit(entry, report, arch));
        }
        assert_eq!(ptx_entries.len(), program.entry_points.len(), "{what}: kernels the EntryPoint records do not list");
        for r in &reports {
            let regs = r.registers.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
            eprintln!(
                "{:<18} {:<13} {:<7} {:<28} {:>5} {:>9} {:>8} {:>8} {:>8} {:>7}",
                program.path,
                variant.name(),
                arch.sm_name(),
                r.name,
                regs,
                r.stack_frame_bytes,
                r.spill_store_bytes,
                r.spill_load_bytes,
                r.shared_bytes,
                chains
            );
            // The inlined build must not spill; the out-of-line multiply's calls pass
            // arguments through the stack by design, which ptxas may count as spills.
            if variant == KernelVariant::Default && (r.spill_store_bytes > 0 || r.spill_load_bytes > 0) {
                spills.push(format!("{what} {}", r.name));
            }
            // ptxas caps registers at 255; anything above means the parser misread.
            assert!(r.registers.is_none_or(|n| n <= 255), "{r:?}");
        }
    }
    assert!(broken_chains.is_empty(), "carry chains a compiler could break:\n{}", broken_chains.join("\n"));
    assert!(misfits.is_empty(), "blocks that cannot launch: {misfits:?}");
    assert!(spills.is_empty(), "kernels spill registers to local memory: {spills:?}");
}

/// The folder of NVRTC 12 (`scripts/cuda-tools.sh` installs it).
fn nvrtc12_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("TERAPROOF_NVRTC12_LIB_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| common::repo_root().join(".tools/cuda/nvidia/cuda_nvrtc/lib"));
    dir.join("libnvrtc.so.12").exists().then_some(dir)
}

/// The same compile, assembly, record and carry-chain checks with NVRTC 12, whose PTX a
/// CUDA 12 driver can load: in a child process, since one process loads one NVRTC.
#[test]
fn every_kernel_also_builds_with_nvrtc_12() {
    if std::env::var_os(EXPECT_NVRTC_MAJOR_ENV).is_some() {
        return; // the child runs only the check itself
    }
    let Some(dir) = nvrtc12_dir() else {
        return common::skip(
            "every_kernel_also_builds_with_nvrtc_12",
            "NVRTC 12 not found (run scripts/cuda-tools.sh)",
        );
    };
    if let Err(reason) = common::ptxas() {
        return common::skip("every_kernel_also_builds_with_nvrtc_12", &reason);
    }
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["every_kernel_compiles_assembles_and_does_not_spill", "--exact", "--nocapture", "--test-threads=1"])
        .env("TERAPROOF_NVRTC_LIB_DIR", &dir)
        // Only this folder: cudarc would otherwise find libnvrtc.so.13 by name first.
        .env("LD_LIBRARY_PATH", &dir)
        .env(EXPECT_NVRTC_MAJOR_ENV, "12")
        .output()
        .expect("run the test binary again");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    eprintln!("{text}");
    assert!(output.status.success(), "the checks failed with NVRTC 12:\n{text}");
    assert!(text.contains("NVRTC 12.") && text.contains("1 passed"), "the child did not run the checks:\n{text}");
    assert!(!text.contains("SKIPPED"), "the child skipped:\n{text}");
}

/// One instruction's relation to the carry flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CarryUse {
    /// Writes the flag without reading it: a chain's first step (add.cc, sub.cc, mad.lo.cc).
    Start,
    /// Reads and writes it (addc.cc, subc.cc, madc.lo.cc, madc.hi.cc).
    Step,
    /// Reads it only: a chain's last step (addc, subc, madc.hi).
    Last,
}

/// How a PTX instruction (its opcode) uses the carry flag, if at all.
fn carry_use(opcode: &str) -> Option<CarryUse> {
    let base = opcode.split('.').next().unwrap_or("");
    let writes = opcode.split('.').any(|part| part == "cc");
    let reads = matches!(base, "addc" | "subc" | "madc");
    match (reads, writes) {
        (false, true) => Some(CarryUse::Start),
        (true, true) => Some(CarryUse::Step),
        (true, false) => Some(CarryUse::Last),
        (false, false) => None,
    }
}

/// The PTX as (line number, instruction): NVRTC's inline-asm markers as they are; else
/// the comment cut off, each `;`-separated instruction on its own (inline asm may hold
/// several on a line), the guard predicate (`@%p1`, `@!%p2`) dropped so the opcode comes
/// first, labels and braces kept.
fn ptx_instructions(ptx: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (number, raw) in ptx.lines().enumerate() {
        let line = raw.trim();
        if line == "// begin inline asm" || line == "// end inline asm" {
            out.push((number + 1, line));
            continue;
        }
        let code = line.split("//").next().unwrap_or("").trim();
        for piece in code.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let piece = match piece.strip_prefix('@') {
                Some(guarded) => guarded.split_once(char::is_whitespace).map_or("", |(_, rest)| rest.trim()),
                None => piece,
            };
            if !piece.is_empty() {
                out.push((number + 1, piece));
            }
        }
    }
    out
}

/// The chains the field arithmetic writes (bn254_field.cuh), over 8 limbs: a sum without
/// carry-out (start + 7 steps), a sum or difference with its carry or borrow kept
/// (start + 7 steps + last), and the high halves of a·word (start + 6 steps + last).
const CHAIN_SHAPES: [(usize, bool); 3] = [(7, false), (7, true), (6, true)];

/// Checks that every carry chain in `ptx` is one no compiler can break, and returns how
/// many chains there are.
///
/// The field arithmetic writes each step of a carry chain as its own `asm volatile`
/// (add.cc, addc.cc, mad.lo.cc, ...); the hardware carry flag is not a value the
/// compiler tracks between those statements. PTX defines the flag as written only by
/// instructions with `.cc` and kept across every other instruction of straight-line
/// code, so a chain is intact when:
/// 1. every instruction that touches the flag is one of ours (inside NVRTC's `begin
///    inline asm` / `end inline asm` markers): none the compiler made can clobber it;
/// 2. between a step that writes the flag and the next that reads it there is no label,
///    branch, call, return or scope brace: straight-line code (the compiler does put
///    loads, moves and logic there, which PTX guarantees leave the flag alone);
/// 3. the carry instructions from one chain's start to the next chain's start have one
///    of [`CHAIN_SHAPES`]: two chains never interleave (volatile asm statements keep
///    their order, and this is the tripwire should a compiler ever reorder them).
fn carry_chains(ptx: &str) -> Result<usize, Vec<String>> {
    let mut problems = Vec::new();
    let mut chains = 0;
    let mut in_asm = false;
    // The open chain: its first line, steps so far, whether its last step came, and
    // whether the flag it wrote may still be read (no boundary since the last write).
    let mut chain: Option<(usize, usize, bool)> = None;
    let mut boundary_since_write: Option<String> = None;
    let close = |chain: Option<(usize, usize, bool)>, problems: &mut Vec<String>| {
        if let Some((line, steps, last)) = chain {
            if !CHAIN_SHAPES.contains(&(steps, last)) {
                problems.push(format!(
                    "line {line}: a carry chain of 1 start, {steps} steps{}: not a shape the field code writes \
                     (two chains interleaved?)",
                    if last { " and a last step" } else { "" }
                ));
            }
        }
    };
    for (here, line) in ptx_instructions(ptx) {
        match line {
            "// begin inline asm" => in_asm = true,
            "// end inline asm" => in_asm = false,
            _ => {}
        }
        if line.starts_with("//") || line.starts_with(".loc") {
            continue;
        }
        let opcode = line.split_whitespace().next().unwrap_or("");
        let Some(carry) = carry_use(opcode) else {
            let base = opcode.split('.').next().unwrap_or("");
            let control = line.ends_with(':')
                || matches!(base, "bra" | "brx" | "call" | "ret" | "exit" | "trap")
                || line.starts_with('{')
                || line.starts_with('}');
            if control && chain.is_some() && boundary_since_write.is_none() {
                boundary_since_write = Some(format!("line {here}: `{line}`"));
            }
            continue;
        };
        if !in_asm {
            problems.push(format!("line {here}: `{line}` touches the carry flag outside our inline asm"));
        }
        match carry {
            CarryUse::Start => {
                close(chain.take(), &mut problems);
                chains += 1;
                chain = Some((here, 0, false));
            }
            CarryUse::Step | CarryUse::Last => {
                if let Some(boundary) = boundary_since_write.take() {
                    problems.push(format!("{boundary} sits between a carry write and its read on line {here}"));
                }
                match chain.as_mut() {
                    Some((_, steps, last)) if !*last => {
                        if carry == CarryUse::Step {
                            *steps += 1;
                        } else {
                            *last = true;
                        }
                    }
                    _ => problems.push(format!("line {here}: `{line}` reads a carry no step of its chain wrote")),
                }
            }
        }
        boundary_since_write = None;
    }
    close(chain, &mut problems);
    if problems.is_empty() {
        Ok(chains)
    } else {
        Err(problems)
    }
}

#[test]
fn carry_chains_pass_only_when_nothing_can_clobber_the_flag() {
    let asm = |line: &str| format!("\t// begin inline asm\n\t{line}\n\t// end inline asm\n");
    let steps = |n: usize| (0..n).map(|i| asm(&format!("addc.cc.u32 %r{i}, %r1, %r2;"))).collect::<String>();
    let start = asm("add.cc.u32 %r1, %r2, %r3;");
    let last = asm("addc.u32 %r9, %r8, 0;");
    // The three shapes, with what the compiler legitimately schedules between steps.
    let with_loads = [
        start.clone(),
        "\t.loc 3 74 9\n\tmov.u32 %r9, 1138881939;\n\tld.global.nc.u32 %r26, [%rd13+4];\n".into(),
        steps(7),
        last.clone(),
    ]
    .concat();
    assert_eq!(carry_chains(&with_loads), Ok(1), "loads and moves between steps leave the flag alone");
    let shapes =
        [start.clone(), steps(7), start.clone(), steps(6), last.clone(), start.clone(), steps(7), last.clone()];
    assert_eq!(carry_chains(&shapes.concat()), Ok(3));
    // A chain's dangling last carry may be followed by anything.
    assert_eq!(carry_chains(&[start.clone(), steps(7), "$L__BB0_2:\n\tret;\n".into()].concat()), Ok(1));

    // Control flow between a write and its read, also guarded or behind a comment.
    for boundary in [
        "$L__BB0_2:",
        "$L__BB0_2: // loop",
        "bra.uni $L__BB0_3;",
        "@%p1 bra $L__BB0_3;",
        "@!%p2 ret;",
        "call.uni f, ();",
        "ret;",
        "{",
    ] {
        let chain = [start.clone(), steps(3), format!("\t{boundary}\n"), steps(4), last.clone()].concat();
        let problems = carry_chains(&chain).unwrap_err();
        assert!(problems[0].contains("sits between"), "{boundary}: {problems:?}");
    }
    // A guarded carry instruction, and two instructions on one line, are still seen.
    let guarded = [start.clone(), "\t@%p1 addc.cc.u32 %r4, %r5, %r6;\n".into(), steps(6), last.clone()].concat();
    assert!(carry_chains(&guarded).unwrap_err()[0].contains("outside our inline asm"));
    let two_on_a_line = [start.clone(), steps(6), asm("addc.cc.u32 %r1, %r2, %r3; addc.u32 %r4, %r5, 0;")].concat();
    assert_eq!(carry_chains(&two_on_a_line), Ok(1), "the second instruction of the line is the chain's last step");
    // A carry instruction the compiler emitted itself.
    let foreign = [start.clone(), "\taddc.cc.u32 %r4, %r5, %r6;\n".into(), steps(6), last.clone()].concat();
    assert!(carry_chains(&foreign).unwrap_err()[0].contains("outside our inline asm"));
    // A read with no chain open, and a step after a chain's last step.
    assert!(carry_chains(&last).unwrap_err()[0].contains("no step of its chain wrote"));
    let after_last = [start.clone(), steps(6), last.clone(), steps(1)].concat();
    assert!(carry_chains(&after_last).unwrap_err()[0].contains("no step of its chain wrote"));
    // Two chains interleaved: each is cut to a shape the field code never writes.
    let interleaved = [start.clone(), steps(3), start.clone(), steps(4), last.clone(), steps(4), last.clone()].concat();
    assert!(carry_chains(&interleaved).unwrap_err().iter().any(|p| p.contains("interleaved")));
    let short = [start.clone(), steps(2), last].concat();
    assert!(carry_chains(&short).unwrap_err()[0].contains("1 start, 2 steps and a last step"));
}

#[test]
fn nvrtc_errors_carry_the_compile_log() {
    if let Err(reason) = common::nvrtc() {
        return common::skip("nvrtc_errors_carry_the_compile_log", &reason);
    }
    let broken = KernelProgram {
        path: "broken.cu",
        source: "extern \"C\" __global__ void broken(int* out) { out[0] = undeclared_name; }",
        entry_points: &[EntryPoint {
            name: "broken",
            params: &[Param { name: "out", kind: ParamKind::Pointer }],
            block: (1, 1, 1),
            dynamic_shared_bytes: 0,
        }],
        variants: &[KernelVariant::Default],
    };
    let err = compile_ptx(&broken, ARCHS[1]).unwrap_err();
    match &err {
        GpuError::KernelCompile { program, arch, log, .. } => {
            assert_eq!((*program, arch.as_str()), ("broken.cu", "compute_90"));
            assert!(log.contains("undeclared_name"), "the log names the problem: {log}");
        }
        other => panic!("expected KernelCompile, got {other}"),
    }
    assert!(err.to_string().contains("undeclared_name"), "the message includes the log");
}

#[test]
fn every_file_under_kernels_is_registered() {
    let kernels = common::repo_root().join("kernels");
    let mut on_disk = BTreeSet::new();
    let mut pending = vec![kernels.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read kernels/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("cu" | "cuh")) {
                on_disk.insert(path.strip_prefix(&kernels).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let registered: BTreeSet<String> =
        PROGRAMS.iter().map(|p| p.path).chain(HEADERS.iter().map(|h| h.path)).map(String::from).collect();
    assert_eq!(
        on_disk, registered,
        "kernels/ and teraproof_gpu::kernels::{{PROGRAMS, HEADERS}} must list the same files"
    );
}

#[test]
fn ptx_entry_parameters_are_parsed() {
    let ptx = "\
.visible .entry msm_count_chunks(
\t.param .u64 .ptr .align 1 msm_count_chunks_param_0,
\t.param .u64 msm_count_chunks_param_1,
\t.param .u32 msm_count_chunks_param_2
)
{
\tret;
}
.visible .entry gemm(
\t.param .s32 gemm_param_0
)
";
    let entries = parse_ptx_entries(ptx).unwrap();
    use ParamKind::{Pointer, Word32};
    assert_eq!(
        entries,
        vec![("msm_count_chunks".to_string(), vec![Pointer, Pointer, Word32]), ("gemm".to_string(), vec![Word32])]
    );
    let err = parse_ptx_entries(".entry k(\n.param .f64 k_param_0\n)").unwrap_err();
    assert!(err.contains("unexpected parameter type"), "{err}");
}

#[test]
fn blocks_that_exceed_the_register_file_or_shared_memory_are_caught() {
    let hopper = ComputeCapability { major: 9, minor: 0 };
    let entry =
        |threads, shared| EntryPoint { name: "k", params: &[], block: (threads, 1, 1), dynamic_shared_bytes: shared };
    let report = |registers| FunctionResources { name: "k".into(), registers: Some(registers), ..Default::default() };
    // 255 registers round up to 256 per thread: 256 threads use the whole file, 257 do not fit.
    assert_eq!(launch_misfit(&entry(256, 0), &report(255), hopper), None);
    assert!(launch_misfit(&entry(288, 0), &report(255), hopper).is_some());
    assert_eq!(launch_misfit(&entry(128, 0), &report(255), hopper), None);
    assert_eq!(launch_misfit(&entry(256, 98304), &report(237), hopper), None);
    assert!(launch_misfit(&entry(256, 200 * 1024), &report(32), ComputeCapability { major: 8, minor: 0 }).is_some());
}
