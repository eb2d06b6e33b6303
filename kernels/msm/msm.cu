// Pippenger MSM over BN254 G1 and G2: the launch structure. Every thread's work is a
// __host__ __device__ step in msm.cuh (which documents the algorithm and the phases);
// only the grids and the block-level scan live here.
//
// Launch sequence for n points with c-bit windows, B = W·2^(c-1) buckets:
//   msm_count_digits (n threads) -> bucket counts (B + 1, zeroed first)
//   msm_scan_blocks [+ msm_scan_blocks on the block totals + msm_scan_add_block_offsets]
//     -> bucket offsets
//   msm_scatter_entries (n threads, cursors = a copy of the offsets) -> entries
//   per level: msm_count_chunks (B threads), scan -> chunk offsets;
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
    const u32 point = global_thread();
    if (point < n) count_digits(scalars, canonical, bucket_counts, point, window_bits);
}

extern "C" __global__ void msm_scatter_entries(const Fr* __restrict__ canonical, u32* __restrict__ cursors,
                                               u32* __restrict__ entries, u32 n, u32 window_bits) {
    const u32 point = global_thread();
    if (point < n) scatter_entries(canonical, cursors, entries, point, window_bits);
}

// Exclusive scan of each SCAN_BLOCK_ELEMENTS-long block of data[0..n), in place; the
// block's total goes to block_totals[blockIdx.x]. Blocks of SCAN_THREADS threads, each
// scanning SCAN_ITEMS consecutive elements, then a Hillis-Steele scan of the threads'
// sums in shared memory.
extern "C" __global__ void __launch_bounds__(SCAN_THREADS)
    msm_scan_blocks(u32* __restrict__ data, u32* __restrict__ block_totals, u32 n) {
    __shared__ u32 sums[SCAN_THREADS];
    const u32 tid = threadIdx.x;
    const u32 base = blockIdx.x * SCAN_BLOCK_ELEMENTS + tid * SCAN_ITEMS;
    u32 items[SCAN_ITEMS];
    u32 local = 0;
    TP_UNROLL
    for (u32 k = 0; k < SCAN_ITEMS; ++k) {
        items[k] = base + k < n ? data[base + k] : 0;
        local += items[k];
    }
    sums[tid] = local;
    __syncthreads();
    for (u32 offset = 1; offset < SCAN_THREADS; offset <<= 1) {
        const u32 below = tid >= offset ? sums[tid - offset] : 0;
        __syncthreads();
        sums[tid] += below;
        __syncthreads();
    }
    u32 running = sums[tid] - local;
    TP_UNROLL
    for (u32 k = 0; k < SCAN_ITEMS; ++k) {
        if (base + k < n) data[base + k] = running;
        running += items[k];
    }
    if (tid == SCAN_THREADS - 1) block_totals[blockIdx.x] = sums[tid];
}

// Adds each block's scanned offset to its elements (after the block totals were scanned).
extern "C" __global__ void msm_scan_add_block_offsets(u32* __restrict__ data, const u32* __restrict__ block_offsets,
                                                      u32 n) {
    const u32 index = global_thread();
    if (index < n) data[index] += block_offsets[index / SCAN_BLOCK_ELEMENTS];
}

extern "C" __global__ void msm_count_chunks(const u32* __restrict__ offsets, u32* __restrict__ chunk_counts,
                                            u32 buckets) {
    const u32 bucket = global_thread();
    if (bucket < buckets) count_chunks(offsets, chunk_counts, bucket);
    if (bucket == buckets) chunk_counts[buckets] = 0;
}

// The point kernels' bodies, one template for both groups; the extern "C" entry points
// below instantiate them for G1 (over Fq) and G2 (over Fq2).
template <typename F>
__device__ __forceinline__ void accumulate_bases_kernel(const Affine<F>* bases, const u32* entries, const u32* offsets,
                                                        const u32* chunk_offsets, Xyzz<F>* partials, u32 buckets,
                                                        u32 launched) {
    const u32 chunk = global_thread();
    if (chunk < launched) accumulate_bases(bases, entries, offsets, chunk_offsets, partials, buckets, chunk);
}

template <typename F>
__device__ __forceinline__ void accumulate_partials_kernel(const Xyzz<F>* previous, const u32* offsets,
                                                           const u32* chunk_offsets, Xyzz<F>* partials, u32 buckets,
                                                           u32 launched) {
    const u32 chunk = global_thread();
    if (chunk < launched) accumulate_partials(previous, offsets, chunk_offsets, partials, buckets, chunk);
}

template <typename F>
__device__ __forceinline__ void gather_buckets_kernel(const Xyzz<F>* partials, const u32* offsets,
                                                      Xyzz<F>* bucket_sums, u32 buckets) {
    const u32 bucket = global_thread();
    if (bucket < buckets) gather_bucket_sum(partials, offsets, bucket_sums, bucket);
}

template <typename F>
__device__ __forceinline__ void suffix_sums_kernel(Xyzz<F>* bucket_sums, u32 window_bits, u32 total) {
    const u32 index = global_thread();
    if (index < total) suffix_sums_segment(bucket_sums, window_bits, index);
}

template <typename F>
__device__ __forceinline__ void weight_segments_kernel(const Xyzz<F>* suffix_sums, Xyzz<F>* shares, u32 window_bits,
                                                       u32 total) {
    const u32 index = global_thread();
    if (index < total) weight_segment(suffix_sums, shares, window_bits, index);
}

template <typename F>
__device__ __forceinline__ void sum_groups_kernel(const Xyzz<F>* points, Xyzz<F>* sums, u32 count, u32 total) {
    const u32 index = global_thread();
    if (index < total) sum_group(points, sums, count, index);
}

// Launch: ceil(launched / MSM_POINT_THREADS) blocks; `launched` bounds the chunk count,
// whose exact value (chunk_offsets[buckets]) only the device knows.
extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_accumulate_bases_g1(const G1Affine* __restrict__ bases, const u32* __restrict__ entries,
                            const u32* __restrict__ offsets, const u32* __restrict__ chunk_offsets,
                            G1Xyzz* __restrict__ partials, u32 buckets, u32 launched) {
    accumulate_bases_kernel(bases, entries, offsets, chunk_offsets, partials, buckets, launched);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_accumulate_bases_g2(const G2Affine* __restrict__ bases, const u32* __restrict__ entries,
                            const u32* __restrict__ offsets, const u32* __restrict__ chunk_offsets,
                            G2Xyzz* __restrict__ partials, u32 buckets, u32 launched) {
    accumulate_bases_kernel(bases, entries, offsets, chunk_offsets, partials, buckets, launched);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_accumulate_partials_g1(const G1Xyzz* __restrict__ previous, const u32* __restrict__ offsets,
                               const u32* __restrict__ chunk_offsets, G1Xyzz* __restrict__ partials, u32 buckets,
                               u32 launched) {
    accumulate_partials_kernel(previous, offsets, chunk_offsets, partials, buckets, launched);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_accumulate_partials_g2(const G2Xyzz* __restrict__ previous, const u32* __restrict__ offsets,
                               const u32* __restrict__ chunk_offsets, G2Xyzz* __restrict__ partials, u32 buckets,
                               u32 launched) {
    accumulate_partials_kernel(previous, offsets, chunk_offsets, partials, buckets, launched);
}

extern "C" __global__ void msm_gather_buckets_g1(const G1Xyzz* __restrict__ partials, const u32* __restrict__ offsets,
                                                 G1Xyzz* __restrict__ bucket_sums, u32 buckets) {
    gather_buckets_kernel(partials, offsets, bucket_sums, buckets);
}

extern "C" __global__ void msm_gather_buckets_g2(const G2Xyzz* __restrict__ partials, const u32* __restrict__ offsets,
                                                 G2Xyzz* __restrict__ bucket_sums, u32 buckets) {
    gather_buckets_kernel(partials, offsets, bucket_sums, buckets);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_suffix_sums_g1(G1Xyzz* __restrict__ bucket_sums, u32 window_bits, u32 total) {
    suffix_sums_kernel(bucket_sums, window_bits, total);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_weight_segments_g1(const G1Xyzz* __restrict__ suffix_sums, G1Xyzz* __restrict__ shares,
                            u32 window_bits, u32 total) {
    weight_segments_kernel(suffix_sums, shares, window_bits, total);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_suffix_sums_g2(G2Xyzz* __restrict__ bucket_sums, u32 window_bits, u32 total) {
    suffix_sums_kernel(bucket_sums, window_bits, total);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_weight_segments_g2(const G2Xyzz* __restrict__ suffix_sums, G2Xyzz* __restrict__ shares,
                            u32 window_bits, u32 total) {
    weight_segments_kernel(suffix_sums, shares, window_bits, total);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_sum_groups_g1(const G1Xyzz* __restrict__ points, G1Xyzz* __restrict__ sums, u32 count, u32 total) {
    sum_groups_kernel(points, sums, count, total);
}

extern "C" __global__ void __launch_bounds__(MSM_POINT_THREADS)
    msm_sum_groups_g2(const G2Xyzz* __restrict__ points, G2Xyzz* __restrict__ sums, u32 count, u32 total) {
    sum_groups_kernel(points, sums, count, total);
}
