//! The CUDA sources under `kernels/`, embedded in the binary.
//!
//! A built binary carries its kernels as text and compiles them with NVRTC on the
//! machine that runs them, for that machine's GPU, so one x86-64 build serves every
//! NVIDIA architecture the kernels support.

pub(crate) mod entry;
pub mod msm_args;

pub use entry::{EntryPoint, Param, ParamKind};

use msm_args as args;

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
    pub entry_points: &'static [EntryPoint],
    /// The build variants that make different code of it (default first); building
    /// others would only repeat the default.
    pub variants: &'static [KernelVariant],
}

/// A pointer parameter called `name`.
const fn p(name: &'static str) -> Param {
    Param { name, kind: ParamKind::Pointer }
}

/// A 32-bit integer parameter called `name`.
const fn w(name: &'static str) -> Param {
    Param { name, kind: ParamKind::Word32 }
}

const fn entry(name: &'static str, params: &'static [Param], block_threads: u32) -> EntryPoint {
    EntryPoint { name, params, block: (block_threads, 1, 1), dynamic_shared_bytes: 0 }
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
    variants: &[KernelVariant::Default],
};

/// `gemm_i8_mma(const i8* a, const i8* bt, i32* c, int m, int n, int k_pitch)`: 256
/// threads, 96 KiB of dynamic shared memory (crates/gpu/src/gemm/mod.rs).
pub(crate) const GEMM_I8_MMA: EntryPoint = EntryPoint {
    name: "gemm_i8_mma",
    params: &[p("a"), p("bt"), p("c"), w("m"), w("n"), w("k_pitch")],
    block: (256, 1, 1),
    dynamic_shared_bytes: 98304,
};
/// `pack_a_rows(i8* packed, const i8* a, int m, int k, int k_pitch)`.
pub(crate) const GEMM_I8_PACK_A: EntryPoint =
    entry("pack_a_rows", &[p("packed"), p("a"), w("m"), w("k"), w("k_pitch")], 256);
/// `transpose_b(i8* bt, const i8* b, int k, int n, int k_pitch)`: 32 x 8 threads.
pub(crate) const GEMM_I8_TRANSPOSE_B: EntryPoint = EntryPoint {
    name: "transpose_b",
    params: &[p("bt"), p("b"), w("k"), w("n"), w("k_pitch")],
    block: (32, 8, 1),
    dynamic_shared_bytes: 0,
};

/// Every program under `kernels/`. The static checks compile each one for sm_80 and
/// sm_90 and fail if a `.cu` file in the folder is missing from this list.
pub const PROGRAMS: &[KernelProgram] = &[GEMM_I8, MSM];

/// Pippenger MSM over BN254 G1 and G2: digit recoding, bucket sort, accumulation,
/// reduction (see `kernels/msm/msm.cuh`).
pub const MSM: KernelProgram = KernelProgram {
    path: "msm/msm.cu",
    source: kernel_file!("msm/msm.cu"),
    entry_points: &[
        entry("msm_count_digits", args::CountDigitsArgs::PARAMS, MSM_INDEX_THREADS),
        entry("msm_scatter_entries", args::ScatterEntriesArgs::PARAMS, MSM_INDEX_THREADS),
        entry("msm_scan_blocks", args::ScanBlocksArgs::PARAMS, MSM_SCAN_THREADS),
        entry("msm_scan_add_block_offsets", args::ScanAddBlockOffsetsArgs::PARAMS, MSM_INDEX_THREADS),
        entry("msm_count_chunks", args::CountChunksArgs::PARAMS, MSM_INDEX_THREADS),
        entry("msm_accumulate_bases_g1", args::AccumulateBasesArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_accumulate_bases_g2", args::AccumulateBasesArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_accumulate_partials_g1", args::AccumulatePartialsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_accumulate_partials_g2", args::AccumulatePartialsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_gather_buckets_g1", args::GatherBucketsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_gather_buckets_g2", args::GatherBucketsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_suffix_sums_g1", args::SuffixSumsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_suffix_sums_g2", args::SuffixSumsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_weight_segments_g1", args::WeightSegmentsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_weight_segments_g2", args::WeightSegmentsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_sum_groups_g1", args::SumGroupsArgs::PARAMS, MSM_POINT_THREADS),
        entry("msm_sum_groups_g2", args::SumGroupsArgs::PARAMS, MSM_POINT_THREADS),
    ],
    variants: &KernelVariant::ALL,
};

/// Threads per block of the MSM's per-index kernels (digits, scatter, chunk counts).
pub(crate) const MSM_INDEX_THREADS: u32 = 256;
/// Threads per block of the MSM scan (`SCAN_THREADS` in msm.cuh; the kernel needs
/// exactly this many).
pub(crate) const MSM_SCAN_THREADS: u32 = 256;
/// Threads per block of the MSM's point kernels (`MSM_POINT_THREADS` in msm.cu, which
/// bounds their registers with `__launch_bounds__`).
pub(crate) const MSM_POINT_THREADS: u32 = 128;

/// A build variant of the kernels: preprocessor definitions given to NVRTC. Each
/// variant is its own cache entry and its own loaded module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum KernelVariant {
    /// The kernels as written: every field operation inlined.
    #[default]
    Default,
    /// Montgomery multiplication as a `__noinline__` function (`TP_MONT_NOINLINE`): much
    /// less machine code in the G2 kernels (0.5–1.5 MB each when inlined, at 254–255
    /// registers), for a call per multiplication. An experiment the MSM bench measures
    /// beside the default; results are identical by construction (same arithmetic).
    NoinlineMontgomery,
}

impl KernelVariant {
    /// Every variant, default first.
    pub const ALL: [KernelVariant; 2] = [KernelVariant::Default, KernelVariant::NoinlineMontgomery];

    /// The name used in cache files, logs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            KernelVariant::Default => "default",
            KernelVariant::NoinlineMontgomery => "noinline-mont",
        }
    }

    /// The NVRTC options (`-D...`) that make this variant.
    pub fn defines(self) -> &'static [&'static str] {
        match self {
            KernelVariant::Default => &[],
            KernelVariant::NoinlineMontgomery => &["-DTP_MONT_NOINLINE=1"],
        }
    }
}

impl std::fmt::Display for KernelVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for KernelVariant {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        KernelVariant::ALL.into_iter().find(|v| v.name() == text).ok_or_else(|| {
            let known: Vec<&str> = KernelVariant::ALL.iter().map(|v| v.name()).collect();
            format!("unknown kernel variant `{text}` (known: {})", known.join(", "))
        })
    }
}

impl KernelProgram {
    /// The entry point called `name`, if this program defines it.
    pub fn entry_point(&self, name: &str) -> Option<&'static EntryPoint> {
        self.entry_points.iter().find(|e| e.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_point_is_defined_extern_c_in_its_program() {
        for program in PROGRAMS {
            for entry in program.entry_points.iter().map(|e| e.name) {
                assert!(
                    defines_kernel(program.source, entry),
                    "{} does not define extern \"C\" kernel {entry}",
                    program.path
                );
            }
        }
    }

    /// Whether `source` defines kernel `name`: directly, or (for `stem_g1` / `stem_g2`)
    /// through the `TP_MSM_POINT_KERNELS(suffix, ...)` macro that defines `stem_##suffix`.
    fn defines_kernel(source: &str, name: &str) -> bool {
        let needle = format!("{name}(");
        let direct = source.lines().any(|line| {
            line.contains(&needle) && (line.contains("extern \"C\"") || line.trim_start().starts_with(name))
        });
        let by_macro = name.rsplit_once('_').is_some_and(|(stem, suffix)| {
            source.contains(&format!("{stem}_##suffix(")) && source.contains(&format!("TP_MSM_POINT_KERNELS({suffix},"))
        });
        direct || by_macro
    }

    /// The parameter names of kernel `name`'s definition in `source` (directly, or
    /// through `TP_MSM_POINT_KERNELS` for `stem_g1` / `stem_g2`).
    fn source_param_names(source: &str, name: &str) -> Option<Vec<String>> {
        let mut needles = vec![format!("{name}(")];
        if let Some((stem, _)) = name.rsplit_once('_') {
            needles.push(format!("{stem}_##suffix("));
        }
        for needle in needles {
            for (at, _) in source.match_indices(&needle) {
                // A definition: `__global__` shortly before, no statement end in between.
                let before = &source[at.saturating_sub(160)..at];
                let Some(global) = before.rfind("__global__") else { continue };
                if before[global..].contains(';') || before[global..].contains('}') {
                    continue;
                }
                let list = &source[at + needle.len()..];
                let list = &list[..list.find(')')?];
                let names = list
                    .split(',')
                    .map(|param| {
                        let param = param.replace('\\', " ");
                        param.split_whitespace().last().unwrap_or("").trim_start_matches('*').to_string()
                    })
                    .collect();
                return Some(names);
            }
        }
        None
    }

    #[test]
    fn every_entry_point_record_names_the_sources_parameters() {
        for program in PROGRAMS {
            for entry in program.entry_points {
                let names = source_param_names(program.source, entry.name)
                    .unwrap_or_else(|| panic!("no definition of {} in {}", entry.name, program.path));
                let recorded: Vec<&str> = entry.params.iter().map(|p| p.name).collect();
                assert_eq!(recorded, names, "{}: the record's parameters differ from the source", entry.name);
            }
        }
        // The check itself sees a difference.
        let renamed = MSM.source.replace("u32 buckets, u32 launched", "u32 launched, u32 buckets");
        let names = source_param_names(&renamed, "msm_accumulate_bases_g1").unwrap();
        assert_eq!(names[5..], ["launched", "buckets"]);
    }

    #[test]
    fn the_launchers_block_sizes_match_the_kernel_sources() {
        assert!(MSM.source.contains(&format!("#define MSM_POINT_THREADS {MSM_POINT_THREADS}")));
        let header = HEADERS.iter().find(|h| h.path == "msm/msm.cuh").unwrap().source;
        assert!(header.contains(&format!("constexpr u32 SCAN_THREADS = {MSM_SCAN_THREADS};")));
        for entry in MSM.entry_points {
            assert!(entry.params.len() <= 8 && entry.block_threads() > 0 && entry.block_threads() <= 1024, "{entry:?}");
        }
    }

    #[test]
    fn only_programs_that_use_the_field_list_the_montgomery_variant() {
        // Whether `source` includes `wanted`, directly or through other headers.
        fn includes(source: &str, wanted: &str) -> bool {
            source.lines().filter_map(|l| l.trim().strip_prefix("#include \"")?.split('"').next()).any(|included| {
                included == wanted
                    || HEADERS.iter().any(|h| h.path == included && h.path != wanted && includes(h.source, wanted))
            })
        }
        let field = |program: &KernelProgram| includes(program.source, "field/bn254_field.cuh");
        for program in PROGRAMS {
            assert_eq!(program.variants[0], KernelVariant::Default, "{}", program.path);
            let listed = program.variants.contains(&KernelVariant::NoinlineMontgomery);
            assert_eq!(listed, field(program), "{}", program.path);
        }
    }

    #[test]
    fn variants_round_trip_through_their_names() {
        for variant in KernelVariant::ALL {
            assert_eq!(variant.name().parse::<KernelVariant>(), Ok(variant));
        }
        let err = "fast".parse::<KernelVariant>().unwrap_err();
        assert!(err.contains("default, noinline-mont"), "{err}");
        let field = HEADERS.iter().find(|h| h.path == "field/bn254_field.cuh").unwrap().source;
        assert!(field.contains("defined(TP_MONT_NOINLINE)"), "the field header reads the variant's define");
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
