// Pippenger MSM over BN254 G1 and G2: the kernels' entry points. Every thread's work is
// a __host__ __device__ function in msm.cuh (which documents the algorithm and the
// phases); only the block-level scan's barriers live here. The launch sequence (grids,
// buffers, arguments) is data built in Rust, crates/gpu/src/msm/schedule.rs, which the
// CUDA backend runs and the host tests run through the same functions on the CPU:
//   msm_count_digits (n threads) -> bucket counts (B + 1, zeroed first)
//   msm_scan_blocks [+ msm_scan_blocks on the block totals + msm_scan_add_block_offsets]
//     -> bucket offsets
//   msm_scatter_entries (n threads, cursors = a copy of the offsets) -> entries
//   per level: msm_count_chunks (B + 1 threads), scan -> chunk offsets;
//     msm_accumulate_bases_* (level 0) / msm_accumulate_partials_* -> partials
//   msm_gather_buckets_* (B threads) -> bucket sums
//   msm_suffix_sums_*, msm_sum_groups_* (rows of 2^(c-1) buckets), msm_weight_segments_*
//     (W·segments threads each); msm_sum_groups_* until one point per window.
#include "common/portable.cuh"
#include "curve/bn254_curve.cuh"
#include "field/bn254_field.cuh"
#include "msm/msm.cuh"

using namespace tp;
using namespace tp::msm;
using tp::curve::G1Affine;
using tp::curve::G1Xyzz;
using tp::curve::G2Affine;
using tp::curve::G2Xyzz;
using tp::curve::Affine;
using tp::curve::Xyzz;
using tp::field::Fr;

// Threads per block of the point kernels. G2's Fq2 arithmetic needs about twice the
// registers of G1's; 128 threads keeps a block's registers within one SM's file.
#define MSM_POINT_THREADS 128

__device__ __forceinline__ u32 global_thread() { return blockIdx.x * blockDim.x + threadIdx.x; }

extern "C" __global__ void msm_count_digits(const Fr* __restrict__ scalars, Fr* __restrict__ canonical,
                                            u32* __restrict__ bucket_counts, u32 n, u32 window_bits) {
    count_digits_thread(global_thread(), scalars, canonical, bucket_counts, n, window_bits);
}

extern "C" __global__ void msm_scatter_entries(const Fr* __restrict__ canonical, u32* __restrict__ cursors,
                                               u32* __restrict__ entries, u32 n, u32 window_bits) {
    scatter_entries_thread(global_thread(), canonical, cursors, entries, n, window_bits);
}

// Exclusive scan of each SCAN_BLOCK_ELEMENTS-long block of data[0..n), in place; the
// block's total goes to block_totals[blockIdx.x]. Must run with SCAN_THREADS threads.
extern "C" __global__ void __launch_bounds__(SCAN_THREADS)
    msm_scan_blocks(u32* __restrict__ data, u32* __restrict__ block_totals, u32 n) {
    __shared__ u32 sums[SCAN_THREADS];
    const u32 tid = threadIdx.x;
    u32 items[SCAN_ITEMS];
    const u32 local = scan_load(data, n, blockIdx.x, tid, items);
    sums[tid] = local;
    __syncthreads();
    for (u32 offset = 1; offset < SCAN_THREADS; offset <<= 1) {
        const u32 below = tid >= offset ? sums[tid - offset] : 0;
        __syncthreads();
        sums[tid] += below;
        __syncthreads();
    }
    scan_store(data, block_totals, n, blockIdx.x, tid, items, sums[tid], local);
}

extern "C" __global__ void msm_scan_add_block_offsets(u32* __restrict__ data, const u32* __restrict__ block_offsets,
                                                      u32 n) {
    scan_add_block_offsets_thread(global_thread(), data, block_offsets, n);
}

extern "C" __global__ void msm_count_chunks(const u32* __restrict__ offsets, u32* __restrict__ chunk_counts,
                                            u32 buckets) {
    count_chunks_thread(global_thread(), offsets, chunk_counts, buckets);
}

// The point kernels, one extern "C" entry point per group: G1 (over Fq) and G2 (over
// Fq2). Each launches ceil(threads / MSM_POINT_THREADS) blocks of MSM_POINT_THREADS.
#define TP_MSM_POINT_KERNELS(suffix, AffineT, XyzzT)                                                                  \
    extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS) msm_accumulate_bases_##suffix(                    \
        const AffineT* __restrict__ bases, const u32* __restrict__ entries, const u32* __restrict__ offsets,         \
        const u32* __restrict__ chunk_offsets, XyzzT* __restrict__ partials, u32 buckets, u32 launched) {           \
        accumulate_bases_thread(global_thread(), bases, entries, offsets, chunk_offsets, partials, buckets, launched); \
    }                                                                                                                 \
    extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS) msm_accumulate_partials_##suffix(                 \
        const XyzzT* __restrict__ previous, const u32* __restrict__ offsets, const u32* __restrict__ chunk_offsets,  \
        XyzzT* __restrict__ partials, u32 buckets, u32 launched) {                                                   \
        accumulate_partials_thread(global_thread(), previous, offsets, chunk_offsets, partials, buckets, launched);   \
    }                                                                                                                 \
    extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS) msm_gather_buckets_##suffix(                      \
        const XyzzT* __restrict__ partials, const u32* __restrict__ offsets, XyzzT* __restrict__ bucket_sums,        \
        u32 buckets) {                                                                                                \
        gather_buckets_thread(global_thread(), partials, offsets, bucket_sums, buckets);                              \
    }                                                                                                                 \
    extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)                                                   \
        msm_suffix_sums_##suffix(XyzzT* __restrict__ bucket_sums, u32 window_bits, u32 total) {                      \
        suffix_sums_thread(global_thread(), bucket_sums, window_bits, total);                                         \
    }                                                                                                                 \
    extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS) msm_weight_segments_##suffix(                     \
        const XyzzT* __restrict__ suffix_sums, XyzzT* __restrict__ shares, u32 window_bits, u32 total) {             \
        weight_segments_thread(global_thread(), suffix_sums, shares, window_bits, total);                             \
    }                                                                                                                 \
    extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)                                                   \
        msm_sum_groups_##suffix(const XyzzT* __restrict__ points, XyzzT* __restrict__ sums, u32 count, u32 total) {  \
        sum_groups_thread(global_thread(), points, sums, count, total);                                               \
    }

TP_MSM_POINT_KERNELS(g1, G1Affine, G1Xyzz)
TP_MSM_POINT_KERNELS(g2, G2Affine, G2Xyzz)
