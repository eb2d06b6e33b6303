//! The CUDA sources under `kernels/`, embedded in the binary.
//!
//! A built binary carries its kernels as text and compiles them with NVRTC on the
//! machine that runs them, for that machine's GPU, so one x86-64 build serves every
//! NVIDIA architecture the kernels support.

/// A header under `kernels/`, made available to every program under its include path.
#[derive(Debug, Clone, Copy)]
pub struct KernelHeader {
    /// The path `#include` uses, relative to `kernels/` (e.g. `common/portable.cuh`).
    pub path: &'static str,
    /// The header's text.
    pub source: &'static str,
}

/// A CUDA translation unit under `kernels/` and the `extern "C"` kernels it defines.
#[derive(Debug, Clone, Copy)]
pub struct KernelProgram {
    /// The path relative to `kernels/` (e.g. `gemm/gemm_i8.cu`).
    pub path: &'static str,
    /// The source text.
    pub source: &'static str,
    /// The `extern "C" __global__` functions the runtime loads from it.
    pub entry_points: &'static [&'static str],
}

macro_rules! kernel_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../kernels/", $path))
    };
}

/// Every header under `kernels/`. NVRTC gets all of them for every program; it only
/// reads the ones a program includes.
pub const HEADERS: &[KernelHeader] = &[
    KernelHeader { path: "common/portable.cuh", source: kernel_file!("common/portable.cuh") },
    KernelHeader { path: "common/warp_mma.cuh", source: kernel_file!("common/warp_mma.cuh") },
    KernelHeader { path: "gemm/gemm_i8.cuh", source: kernel_file!("gemm/gemm_i8.cuh") },
    KernelHeader { path: "field/bn254_field.cuh", source: kernel_file!("field/bn254_field.cuh") },
    KernelHeader { path: "curve/bn254_curve.cuh", source: kernel_file!("curve/bn254_curve.cuh") },
    KernelHeader { path: "msm/msm.cuh", source: kernel_file!("msm/msm.cuh") },
];

/// The int8 GEMM: packing, transposition and the tensor-core kernel (sm_80+).
pub const GEMM_I8: KernelProgram = KernelProgram {
    path: "gemm/gemm_i8.cu",
    source: kernel_file!("gemm/gemm_i8.cu"),
    entry_points: &[GEMM_I8_MMA, GEMM_I8_PACK_A, GEMM_I8_TRANSPOSE_B],
};

pub(crate) const GEMM_I8_MMA: &str = "gemm_i8_mma";
pub(crate) const GEMM_I8_PACK_A: &str = "pack_a_rows";
pub(crate) const GEMM_I8_TRANSPOSE_B: &str = "transpose_b";

/// Every program under `kernels/`. The static checks compile each one for sm_80 and
/// sm_90 and fail if a `.cu` file in the folder is missing from this list.
pub const PROGRAMS: &[KernelProgram] = &[GEMM_I8, MSM];

/// Pippenger MSM over BN254 G1 and G2: digit recoding, bucket sort, accumulation,
/// reduction (see `kernels/msm/msm.cuh`).
pub const MSM: KernelProgram = KernelProgram {
    path: "msm/msm.cu",
    source: kernel_file!("msm/msm.cu"),
    entry_points: &[
        "msm_count_digits",
        "msm_scatter_entries",
        "msm_scan_blocks",
        "msm_scan_add_block_offsets",
        "msm_count_chunks",
        "msm_accumulate_bases_g1",
        "msm_accumulate_bases_g2",
        "msm_accumulate_partials_g1",
        "msm_accumulate_partials_g2",
        "msm_gather_buckets_g1",
        "msm_gather_buckets_g2",
        "msm_suffix_sums_g1",
        "msm_suffix_sums_g2",
        "msm_weight_segments_g1",
        "msm_weight_segments_g2",
        "msm_sum_groups_g1",
        "msm_sum_groups_g2",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_point_is_defined_extern_c_in_its_program() {
        for program in PROGRAMS {
            for entry in program.entry_points {
                let needle = format!("{entry}(");
                let defined = program.source.lines().any(|line| {
                    line.contains(&needle) && (line.contains("extern \"C\"") || line.trim_start().starts_with(entry))
                });
                assert!(defined, "{} does not define extern \"C\" kernel {entry}", program.path);
            }
        }
    }

    #[test]
    fn every_include_resolves_to_an_embedded_header() {
        let sources = PROGRAMS.iter().map(|p| (p.path, p.source)).chain(HEADERS.iter().map(|h| (h.path, h.source)));
        for (path, source) in sources {
            for line in source.lines().map(str::trim).filter(|l| l.starts_with("#include")) {
                let included =
                    line.split('"').nth(1).unwrap_or_else(|| panic!("{path}: only \"quoted\" includes: {line}"));
                assert!(
                    HEADERS.iter().any(|h| h.path == included),
                    "{path} includes {included}, which is not in HEADERS"
                );
            }
        }
    }
}
