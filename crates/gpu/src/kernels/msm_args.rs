//! Each MSM kernel's arguments as one named struct.
//!
//! A struct here is the single statement of its kernel's signature. The schedule
//! builder (`msm/schedule/mod.rs`) fills its fields by name; the contract and
//! provenance checks (`msm/schedule/validate.rs`) read them by name; the entry-point record in
//! [`crate::kernels::MSM`] takes its parameter list from the struct's `PARAMS`; and the
//! executors get the positional form from [`KernelArgs::to_args`], in declaration
//! order. The field names are the `.cu` parameter names: a unit test in
//! `kernels/mod.rs` compares every record with the kernel source, and the static kernel
//! test compares the kinds with the `.param` list in NVRTC's PTX.
//!
//! It lives beside the records (not with the schedule) and depends on the record's
//! types alone, so the records can be built from it and the schedule can use both.

use super::entry::{Param, ParamKind};

/// Index of a buffer in [`Schedule::buffers`](crate::msm::schedule::Schedule::buffers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BufferId(pub usize);

/// A kernel argument, positional: what an executor passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A device pointer to the start of a buffer.
    Buffer(BufferId),
    /// A 32-bit unsigned integer.
    U32(u32),
}

/// The Rust type of a field of kind `buffer` (a device buffer) or `word` (a `u32`).
macro_rules! field_type {
    (buffer) => {
        BufferId
    };
    (word) => {
        u32
    };
}

macro_rules! param_kind {
    (buffer) => {
        ParamKind::Pointer
    };
    (word) => {
        ParamKind::Word32
    };
}

macro_rules! to_arg {
    (buffer, $value:expr) => {
        Arg::Buffer($value)
    };
    (word, $value:expr) => {
        Arg::U32($value)
    };
}

macro_rules! buffer_of {
    (buffer, $value:expr) => {
        Some($value)
    };
    (word, $value:expr) => {
        None
    };
}

/// Declares the [`Kernel`] enum, one argument struct per kernel with its `PARAMS`, and
/// the [`KernelArgs`] enum over them. `per_curve` kernels exist as `STEM_g1` and `STEM_g2`.
macro_rules! kernel_args {
    ($(
        $(#[doc = $doc:literal])*
        $kernel:ident($name:ident) = $stem:literal $(, $per_curve:ident)? { $($field:ident: $kind:ident),* $(,)? }
    )*) => {
        /// The kernels of `kernels/msm/msm.cu`; each one's arguments are its struct here.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Kernel {
            $(
                $(#[doc = $doc])*
                $kernel,
            )*
        }

        impl Kernel {
            /// Every kernel, in the order of the source.
            pub const ALL: &'static [Kernel] = &[$(Kernel::$kernel),*];

            /// The symbol name, without the `_g1` / `_g2` of a per-curve kernel.
            pub fn stem(self) -> &'static str {
                match self { $(Kernel::$kernel => $stem),* }
            }

            /// Whether the kernel exists once per curve (it touches points).
            pub fn is_per_curve(self) -> bool {
                match self { $(Kernel::$kernel => kernel_args!(@per_curve $($per_curve)?)),* }
            }

            /// The kernel's parameters, in order (its argument struct's `PARAMS`).
            pub fn params(self) -> &'static [Param] {
                match self { $(Kernel::$kernel => $name::PARAMS),* }
            }
        }

        $(
            $(#[doc = $doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            #[allow(missing_docs)] // the fields are the kernel's parameters, named as in the .cu source
            pub struct $name { $(pub $field: field_type!($kind)),* }

            impl $name {
                /// The kernel's parameters, in order, named as in its source.
                pub const PARAMS: &'static [Param] =
                    &[$(Param { name: stringify!($field), kind: param_kind!($kind) }),*];

                fn to_args(self) -> Vec<Arg> {
                    vec![$(to_arg!($kind, self.$field)),*]
                }

                fn buffers(&self) -> Vec<BufferId> {
                    [$(buffer_of!($kind, self.$field)),*].into_iter().flatten().collect()
                }
            }

            impl From<$name> for KernelArgs {
                fn from(args: $name) -> KernelArgs {
                    KernelArgs::$kernel(args)
                }
            }
        )*

        /// The arguments of one launch: which kernel it is follows from the variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum KernelArgs {
            $(
                #[allow(missing_docs)] // documented on the struct
                $kernel($name),
            )*
        }

        impl KernelArgs {
            /// The kernel these arguments are for.
            pub fn kernel(&self) -> Kernel {
                match self { $(KernelArgs::$kernel(_) => Kernel::$kernel),* }
            }

            /// The arguments in the kernel's order, as the executors pass them.
            pub fn to_args(self) -> Vec<Arg> {
                match self { $(KernelArgs::$kernel(a) => a.to_args()),* }
            }

            /// The buffers passed, in parameter order.
            pub fn buffers(&self) -> Vec<BufferId> {
                match self { $(KernelArgs::$kernel(a) => a.buffers()),* }
            }

            /// The name of the parameter holding `buffer`, for messages.
            pub fn param_of(&self, buffer: BufferId) -> &'static str {
                let params = self.kernel().params();
                self.to_args()
                    .iter()
                    .zip(params)
                    .find(|(arg, _)| **arg == Arg::Buffer(buffer))
                    .map_or("?", |(_, p)| p.name)
            }
        }
    };
    (@per_curve per_curve) => { true };
    (@per_curve) => { false };
}

kernel_args! {
    /// `msm_count_digits`: recodes each scalar into signed digits and counts each bucket's entries.
    CountDigits(CountDigitsArgs) = "msm_count_digits" { scalars: buffer, canonical: buffer, bucket_counts: buffer, n: word, window_bits: word }
    /// `msm_scatter_entries`: the counting sort's scatter of (point, sign) entries by bucket.
    ScatterEntries(ScatterEntriesArgs) = "msm_scatter_entries" { canonical: buffer, cursors: buffer, entries: buffer, n: word, window_bits: word }
    /// `msm_scan_blocks`: in-place exclusive scan of each block of `data`, block totals out.
    ScanBlocks(ScanBlocksArgs) = "msm_scan_blocks" { data: buffer, block_totals: buffer, n: word }
    /// `msm_scan_add_block_offsets`: adds each block's scanned offset back into `data`.
    ScanAddBlockOffsets(ScanAddBlockOffsetsArgs) = "msm_scan_add_block_offsets" { data: buffer, block_offsets: buffer, n: word }
    /// `msm_count_chunks`: the chunks of `CHUNK` items each bucket's range splits into.
    CountChunks(CountChunksArgs) = "msm_count_chunks" { offsets: buffer, chunk_counts: buffer, buckets: word }
    /// `msm_accumulate_bases_*`: level 0, each chunk of a bucket's entries summed from the bases.
    AccumulateBases(AccumulateBasesArgs) = "msm_accumulate_bases", per_curve {
        bases: buffer, entries: buffer, offsets: buffer, chunk_offsets: buffer, partials: buffer,
        buckets: word, launched: word,
    }
    /// `msm_accumulate_partials_*`: a later level, each chunk of the previous level's partials summed.
    AccumulatePartials(AccumulatePartialsArgs) = "msm_accumulate_partials", per_curve {
        previous: buffer, offsets: buffer, chunk_offsets: buffer, partials: buffer, buckets: word, launched: word,
    }
    /// `msm_gather_buckets_*`: each bucket's one remaining partial (or the identity) into place.
    GatherBuckets(GatherBucketsArgs) = "msm_gather_buckets", per_curve { partials: buffer, offsets: buffer, bucket_sums: buffer, buckets: word }
    /// `msm_suffix_sums_*`: in-place suffix sums of each `SEGMENT` of bucket sums.
    SuffixSums(SuffixSumsArgs) = "msm_suffix_sums", per_curve { bucket_sums: buffer, window_bits: word, total: word }
    /// `msm_weight_segments_*`: each segment's share of its window's weighted sum.
    WeightSegments(WeightSegmentsArgs) = "msm_weight_segments", per_curve { suffix_sums: buffer, shares: buffer, window_bits: word, total: word }
    /// `msm_sum_groups_*`: sums of `GROUP` consecutive points of each row.
    SumGroups(SumGroupsArgs) = "msm_sum_groups", per_curve { points: buffer, sums: buffer, count: word, total: word }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msm::schedule::Curve;

    #[test]
    fn every_entry_point_record_is_its_argument_struct() {
        for kernel in Kernel::ALL {
            for curve in [Curve::G1, Curve::G2] {
                let entry = kernel.entry_point(curve).unwrap();
                assert_eq!(entry.params, kernel.params(), "{} lists another struct's params", entry.name);
            }
        }
    }

    #[test]
    fn positional_arguments_follow_the_declaration_order() {
        let (a, b, c) = (BufferId(4), BufferId(7), BufferId(9));
        let args =
            KernelArgs::from(CountDigitsArgs { scalars: a, canonical: b, bucket_counts: c, n: 5, window_bits: 3 });
        assert_eq!(args.kernel(), Kernel::CountDigits);
        assert_eq!(args.to_args(), [Arg::Buffer(a), Arg::Buffer(b), Arg::Buffer(c), Arg::U32(5), Arg::U32(3)]);
        assert_eq!(args.buffers(), [a, b, c]);
        assert_eq!(args.param_of(c), "bucket_counts");
        let kinds: Vec<ParamKind> = Kernel::CountDigits.params().iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [ParamKind::Pointer, ParamKind::Pointer, ParamKind::Pointer, ParamKind::Word32, ParamKind::Word32]
        );
    }
}
