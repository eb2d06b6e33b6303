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

use teraproof_gpu::kernels::{EntryPoint, KernelProgram, ParamKind, HEADERS, PROGRAMS};
use teraproof_gpu::nvrtc::{compile_ptx, nvrtc_version};
use teraproof_gpu::{ComputeCapability, GpuError};

/// The architectures every kernel is checked for: A100 and H100.
const ARCHS: [ComputeCapability; 2] =
    [ComputeCapability { major: 8, minor: 0 }, ComputeCapability { major: 9, minor: 0 }];

/// What ptxas -v says about one function.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct FunctionReport {
    name: String,
    registers: Option<u32>,
    stack_frame_bytes: u32,
    spill_store_bytes: u32,
    spill_load_bytes: u32,
    shared_bytes: u32,
}

/// Parses `ptxas -v` output into one report per function, in order.
fn parse_ptxas_report(output: &str) -> Vec<FunctionReport> {
    let number_before = |line: &str, unit: &str| -> Option<u32> {
        let end = line.find(unit)?;
        line[..end].split(|c: char| !c.is_ascii_digit()).rfind(|s| !s.is_empty())?.parse().ok()
    };
    let mut reports: Vec<FunctionReport> = Vec::new();
    for line in output.lines() {
        if let Some(rest) = line.split("Function properties for ").nth(1) {
            reports.push(FunctionReport { name: rest.trim().to_string(), ..Default::default() });
        } else if let Some(current) = reports.last_mut() {
            if line.contains("bytes stack frame") {
                current.stack_frame_bytes = number_before(line, " bytes stack frame").unwrap_or(0);
                current.spill_store_bytes = number_before(line, " bytes spill stores").unwrap_or(0);
                current.spill_load_bytes = number_before(line, " bytes spill loads").unwrap_or(0);
            } else if line.contains("Used ") && line.contains(" registers") {
                current.registers = number_before(line, " registers");
                current.shared_bytes = number_before(line, " bytes smem").unwrap_or(0);
            }
        }
    }
    reports
}

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
fn launch_misfit(entry: &EntryPoint, report: &FunctionReport, arch: ComputeCapability) -> Option<String> {
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

/// Compiles `program` for `arch`, assembles it, and returns the PTX and ptxas's
/// per-function report.
fn compile_and_assemble(
    program: &KernelProgram,
    arch: ComputeCapability,
    ptxas: &Path,
) -> (String, Vec<FunctionReport>) {
    let compiled = compile_ptx(program, arch).unwrap_or_else(|e| panic!("{e}"));
    if !compiled.log.is_empty() {
        eprintln!("NVRTC log for {} ({}):\n{}", program.path, compiled.arch, compiled.log);
    }
    let dir = common::scratch_dir("ptx");
    let stem = format!("{}.{}", program.path.replace('/', "_"), arch.sm_name());
    let ptx_path = dir.join(format!("{stem}.ptx"));
    std::fs::write(&ptx_path, &compiled.ptx).expect("write PTX");
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
    (compiled.ptx, parse_ptxas_report(&text))
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
    let (major, minor) = nvrtc_version().expect("NVRTC version");
    eprintln!("NVRTC {major}.{minor}, ptxas {}", ptxas.display());
    eprintln!(
        "{:<18} {:<7} {:<28} {:>5} {:>11} {:>12} {:>11} {:>10}",
        "program", "arch", "kernel", "regs", "stack (B)", "spill st (B)", "spill ld (B)", "smem (B)"
    );
    let mut spills = Vec::new();
    // NVRTC takes minutes on the MSM program; the (program, arch) pairs compile in
    // parallel, and are reported in order.
    let jobs: Vec<_> = PROGRAMS.iter().flat_map(|p| ARCHS.iter().map(move |a| (p, *a))).collect();
    let all_reports: Vec<(String, Vec<FunctionReport>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|&(program, arch)| {
                let ptxas = &ptxas;
                scope.spawn(move || compile_and_assemble(program, arch, ptxas))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a compile job panicked")).collect()
    });
    let mut misfits = Vec::new();
    for (&(program, arch), (ptx, reports)) in jobs.iter().zip(all_reports) {
        let ptx_entries =
            parse_ptx_entries(&ptx).unwrap_or_else(|e| panic!("{} {}: {e}", program.path, arch.sm_name()));
        for entry in program.entry_points {
            let report = reports.iter().find(|r| r.name == entry.name);
            let report =
                report.unwrap_or_else(|| panic!("ptxas reported nothing for {} in {}", entry.name, program.path));
            let declared = ptx_entries.iter().find(|(name, _)| name == entry.name).map(|(_, params)| params);
            assert_eq!(
                declared,
                Some(&entry.params.to_vec()),
                "{} {}: the PTX parameters of {} differ from its EntryPoint record",
                program.path,
                arch.sm_name(),
                entry.name
            );
            misfits.extend(launch_misfit(entry, report, arch));
        }
        assert_eq!(
            ptx_entries.len(),
            program.entry_points.len(),
            "{}: the PTX has kernels the EntryPoint records do not list",
            program.path
        );
        for r in &reports {
            let regs = r.registers.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
            eprintln!(
                "{:<18} {:<7} {:<28} {:>5} {:>11} {:>12} {:>11} {:>10}",
                program.path,
                arch.sm_name(),
                r.name,
                regs,
                r.stack_frame_bytes,
                r.spill_store_bytes,
                r.spill_load_bytes,
                r.shared_bytes
            );
            if r.spill_store_bytes > 0 || r.spill_load_bytes > 0 {
                spills.push(format!("{} {} {}", program.path, arch.sm_name(), r.name));
            }
            // ptxas caps registers at 255; anything above means the parser misread.
            assert!(r.registers.is_none_or(|n| n <= 255), "{r:?}");
        }
    }
    assert!(misfits.is_empty(), "blocks that cannot launch: {misfits:?}");
    assert!(spills.is_empty(), "kernels spill registers to local memory: {spills:?}");
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
            params: &[ParamKind::Pointer],
            block: (1, 1, 1),
            dynamic_shared_bytes: 0,
        }],
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
    let report = |registers| FunctionReport { name: "k".into(), registers: Some(registers), ..Default::default() };
    // 255 registers round up to 256 per thread: 256 threads use the whole file, 257 do not fit.
    assert_eq!(launch_misfit(&entry(256, 0), &report(255), hopper), None);
    assert!(launch_misfit(&entry(288, 0), &report(255), hopper).is_some());
    assert_eq!(launch_misfit(&entry(128, 0), &report(255), hopper), None);
    assert_eq!(launch_misfit(&entry(256, 98304), &report(237), hopper), None);
    assert!(launch_misfit(&entry(256, 200 * 1024), &report(32), ComputeCapability { major: 8, minor: 0 }).is_some());
}

#[test]
fn ptxas_reports_are_parsed() {
    let sample = "\
ptxas info    : 112 bytes gmem
ptxas info    : Compiling entry function 'gemm_i8_mma' for 'sm_90'
ptxas info    : Function properties for gemm_i8_mma
    8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads
ptxas info    : Used 236 registers, used 1 barriers, 1152 bytes smem
ptxas info    : Function properties for helper
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
";
    let reports = parse_ptxas_report(sample);
    assert_eq!(
        reports[0],
        FunctionReport {
            name: "gemm_i8_mma".into(),
            registers: Some(236),
            stack_frame_bytes: 8,
            spill_store_bytes: 4,
            spill_load_bytes: 12,
            shared_bytes: 1152
        }
    );
    assert_eq!((reports[1].name.as_str(), reports[1].registers), ("helper", None));
}
