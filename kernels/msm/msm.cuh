// Pippenger MSM over BN254, one thread's step of every phase, written __host__
// __device__ so the host tests run the very code the GPU does (kernels: msm/msm.cu).
//
// Σ s_i·P_i with c-bit signed windows. Each canonical scalar s < r < 2^254 is split
// into W = floor(254 / c) + 1 digits d_w in (-2^(c-1), 2^(c-1)], s = Σ d_w·2^(c·w):
// a window value v (plus the carry from below) above 2^(c-1) becomes v - 2^c and
// carries 1 upward. The top window holds 254 mod c < c bits plus a carry, so it never
// carries out. A digit d != 0 puts ±P_i into bucket |d| - 1 of window w; the global
// bucket id is w·2^(c-1) + |d| - 1, and an entry is (i << 1) | (d < 0).
//
// Phases (the Rust reference in crates/gpu/src/msm/reference.rs has the same layout):
//   1. digits: Montgomery scalar -> canonical; count entries per bucket (histogram);
//   2. exclusive scan of the counts -> bucket offsets (B + 1 values, the last the total);
//   3. scatter: every entry to its bucket's next free slot (a counting sort);
//   4. accumulation: each bucket's entries in chunks of at most CHUNK, one thread per
//      chunk, each chunk summed into an XYZZ partial; partials are chunked and summed
//      again, level after level, until one per bucket is left. Skewed buckets (all
//      scalars equal) thus take log_CHUNK(n) levels instead of one n-long thread;
//   5. bucket reduction: window sum Σ_k (k+1)·B_k, split into segments [s, e) of
//      SEGMENT buckets: with S = Σ B_k and T = Σ (k-s+1)·B_k over the segment (from
//      suffix sums), the segment's share is T + s·S (see below for the three launches);
//   6. segment shares summed in groups, level after level, to one point per window;
//   7. windows combined on the host: Σ_w 2^(c·w)·window_w (Horner).
#ifndef TERAPROOF_MSM_MSM_CUH
#define TERAPROOF_MSM_MSM_CUH

#include "common/portable.cuh"
#include "curve/bn254_curve.cuh"
#include "field/bn254_field.cuh"

namespace tp {
namespace msm {

using curve::Affine;
using curve::Xyzz;
using field::Fr;

// Bits in a scalar (r < 2^254).
constexpr u32 SCALAR_BITS = 254;
// Largest window the kernels accept (a window value must fit the digit arithmetic).
constexpr u32 MAX_WINDOW_BITS = 16;
// Entries (or partials) one accumulation thread sums.
constexpr u32 CHUNK = 32;
// Buckets one reduction thread walks.
constexpr u32 SEGMENT = 32;
// Points one group-sum thread adds.
constexpr u32 GROUP = 32;
static_assert(GROUP == SEGMENT, "phase 5b sums one segment of suffix sums per group");
// Threads per block of the scan kernels, and the elements each scans.
constexpr u32 SCAN_THREADS = 256;
constexpr u32 SCAN_ITEMS = 4;
constexpr u32 SCAN_BLOCK_ELEMENTS = SCAN_THREADS * SCAN_ITEMS;

TP_HOST_DEVICE u32 window_count(u32 window_bits) { return SCALAR_BITS / window_bits + 1; }
TP_HOST_DEVICE u32 buckets_per_window(u32 window_bits) { return 1u << (window_bits - 1); }

// Adds to a counter; on the GPU atomically. Returns the previous value.
TP_HOST_DEVICE u32 fetch_add(u32* counter, u32 value) {
#ifdef __CUDA_ARCH__
    return atomicAdd(counter, value);
#else
    const u32 old = *counter;
    *counter = old + value;
    return old;
#endif
}

// Bits [offset, offset + width) of a canonical scalar (zero past bit 255).
TP_HOST_DEVICE u32 scalar_bits(const Fr& scalar, u32 offset, u32 width) {
    const u32 word = offset / 32, shift = offset % 32;
    if (word >= field::LIMBS) return 0;
    u64 bits = scalar.limb[word] >> shift;
    if (shift + width > 32 && word + 1 < (u32)field::LIMBS) bits |= (u64)scalar.limb[word + 1] << (32 - shift);
    return (u32)bits & ((1u << width) - 1);
}

// Walks a canonical scalar's signed digits from the lowest window up.
struct DigitWalker {
    u32 carry = 0;

    // The digit of window `window`; must be called for windows 0, 1, 2, ... in order.
    TP_HOST_DEVICE i32 next(const Fr& scalar, u32 window, u32 window_bits) {
        const u32 value = scalar_bits(scalar, window * window_bits, window_bits) + carry;
        const u32 half = 1u << (window_bits - 1);
        if (value > half) {
            carry = 1;
            return (i32)value - (i32)(1u << window_bits);
        }
        carry = 0;
        return (i32)value;
    }
};

TP_HOST_DEVICE u32 bucket_id(u32 window, i32 digit, u32 window_bits) {
    const u32 magnitude = digit < 0 ? (u32)(-digit) : (u32)digit;
    return window * buckets_per_window(window_bits) + magnitude - 1;
}

TP_HOST_DEVICE u32 bucket_entry(u32 point, i32 digit) { return (point << 1) | (digit < 0 ? 1u : 0u); }

// Phase 1, thread `point`: the scalar to canonical form (stored for phase 3) and one
// count per non-zero digit.
TP_HOST_DEVICE void count_digits(const Fr* scalars_montgomery, Fr* scalars_canonical, u32* bucket_counts, u32 point,
                                 u32 window_bits) {
    const Fr scalar = field::from_montgomery(scalars_montgomery[point]);
    scalars_canonical[point] = scalar;
    DigitWalker digits;
    const u32 windows = window_count(window_bits);
    for (u32 w = 0; w < windows; ++w) {
        const i32 digit = digits.next(scalar, w, window_bits);
        if (digit != 0) fetch_add(&bucket_counts[bucket_id(w, digit, window_bits)], 1);
    }
}

// Phase 3, thread `point`: each entry to the next free slot of its bucket. `cursors`
// starts as a copy of the bucket offsets. The order inside a bucket depends on thread
// timing on the GPU; bucket sums do not.
TP_HOST_DEVICE void scatter_entries(const Fr* scalars_canonical, u32* cursors, u32* entries, u32 point,
                                    u32 window_bits) {
    const Fr scalar = scalars_canonical[point];
    DigitWalker digits;
    const u32 windows = window_count(window_bits);
    for (u32 w = 0; w < windows; ++w) {
        const i32 digit = digits.next(scalar, w, window_bits);
        if (digit != 0) entries[fetch_add(&cursors[bucket_id(w, digit, window_bits)], 1)] = bucket_entry(point, digit);
    }
}

// Phase 4 bookkeeping, thread `bucket`: how many chunks the bucket's current items
// take. `chunk_counts` has one more slot (left 0), so its exclusive scan ends in the total.
TP_HOST_DEVICE void count_chunks(const u32* offsets, u32* chunk_counts, u32 bucket) {
    chunk_counts[bucket] = (offsets[bucket + 1] - offsets[bucket] + CHUNK - 1) / CHUNK;
}

// The bucket whose chunk range [chunk_offsets[b], chunk_offsets[b + 1]) holds `chunk`
// (binary search over the B + 1 non-decreasing offsets; empty buckets are skipped).
TP_HOST_DEVICE u32 bucket_of_chunk(const u32* chunk_offsets, u32 buckets, u32 chunk) {
    u32 low = 0, high = buckets;  // invariant: chunk_offsets[low] <= chunk < chunk_offsets[high]
    while (high - low > 1) {
        const u32 mid = low + (high - low) / 2;
        if (chunk_offsets[mid] <= chunk) {
            low = mid;
        } else {
            high = mid;
        }
    }
    return low;
}

// The item range [begin, end) of chunk `chunk` of `bucket`.
struct ChunkRange {
    u32 begin, end;
};

TP_HOST_DEVICE ChunkRange chunk_range(const u32* offsets, const u32* chunk_offsets, u32 bucket, u32 chunk) {
    const u32 begin = offsets[bucket] + (chunk - chunk_offsets[bucket]) * CHUNK;
    const u32 end = begin + CHUNK < offsets[bucket + 1] ? begin + CHUNK : offsets[bucket + 1];
    return ChunkRange{begin, end};
}

// Phase 4, level 0, thread `chunk`: the sum of a chunk of signed bases.
template <typename F>
TP_HOST_DEVICE void accumulate_bases(const Affine<F>* bases, const u32* entries, const u32* offsets,
                                     const u32* chunk_offsets, Xyzz<F>* partials, u32 buckets, u32 chunk) {
    if (chunk >= chunk_offsets[buckets]) return;
    const u32 bucket = bucket_of_chunk(chunk_offsets, buckets, chunk);
    const ChunkRange range = chunk_range(offsets, chunk_offsets, bucket, chunk);
    Xyzz<F> sum = Xyzz<F>::identity();
    for (u32 i = range.begin; i < range.end; ++i) {
        const u32 entry = entries[i];
        const Affine<F> base = bases[entry >> 1];
        sum = curve::add_mixed(sum, (entry & 1) ? curve::negate(base) : base);
    }
    partials[chunk] = sum;
}

// Phase 4, later levels, thread `chunk`: the sum of a chunk of the previous level's
// partials (`offsets` are that level's per-bucket ranges).
template <typename F>
TP_HOST_DEVICE void accumulate_partials(const Xyzz<F>* previous, const u32* offsets, const u32* chunk_offsets,
                                        Xyzz<F>* partials, u32 buckets, u32 chunk) {
    if (chunk >= chunk_offsets[buckets]) return;
    const u32 bucket = bucket_of_chunk(chunk_offsets, buckets, chunk);
    const ChunkRange range = chunk_range(offsets, chunk_offsets, bucket, chunk);
    Xyzz<F> sum = previous[range.begin];
    for (u32 i = range.begin + 1; i < range.end; ++i) sum = curve::add(sum, previous[i]);
    partials[chunk] = sum;
}

// Phase 4, end, thread `bucket`: the bucket's sum, once it has at most one partial.
template <typename F>
TP_HOST_DEVICE void gather_bucket_sum(const Xyzz<F>* partials, const u32* offsets, Xyzz<F>* bucket_sums, u32 bucket) {
    bucket_sums[bucket] = offsets[bucket + 1] > offsets[bucket] ? partials[offsets[bucket]] : Xyzz<F>::identity();
}

TP_HOST_DEVICE u32 segments_per_window(u32 window_bits) {
    return (buckets_per_window(window_bits) + SEGMENT - 1) / SEGMENT;
}

// Phase 5 runs in three launches so that no thread holds more than two points and a
// product's temporaries (G2 points are 64 words each; more would spill):
//   a. suffix_sums_segment: within each segment [s, e) of a window, in place,
//      B_k <- Σ_{j=k}^{e-1} B_j (so the segment's first slot holds S = Σ B_k);
//   b. sum_group over each window's suffix sums with GROUP = SEGMENT: one T per segment,
//      T = Σ_k Σ_{j>=k} B_j = Σ_k (k - s + 1)·B_k;
//   c. weight_segment: share = T + s·S.
// Σ over a window's segments of T + s·S is Σ_k (k+1)·B_k.

// Phase 5a, thread `window · segments_per_window + segment`.
template <typename F>
TP_HOST_DEVICE void suffix_sums_segment(Xyzz<F>* bucket_sums, u32 window_bits, u32 index) {
    const u32 per_window = buckets_per_window(window_bits);
    const u32 segments = segments_per_window(window_bits);
    const u32 window = index / segments, segment = index % segments;
    const u32 start = segment * SEGMENT;
    const u32 end = start + SEGMENT < per_window ? start + SEGMENT : per_window;
    Xyzz<F>* window_buckets = bucket_sums + (u64)window * per_window;
    Xyzz<F> running = Xyzz<F>::identity();
    for (u32 k = end; k-- > start;) {
        running = curve::add(running, window_buckets[k]);
        window_buckets[k] = running;
    }
}

// Phase 5c, thread `window · segments_per_window + segment`: `shares` holds T per
// segment on entry and T + s·S on exit.
template <typename F>
TP_HOST_DEVICE void weight_segment(const Xyzz<F>* suffix_sums, Xyzz<F>* shares, u32 window_bits, u32 index) {
    const u32 per_window = buckets_per_window(window_bits);
    const u32 segments = segments_per_window(window_bits);
    const u32 window = index / segments, segment = index % segments;
    const u32 start = segment * SEGMENT;
    const Xyzz<F> weighted = curve::mul_small(suffix_sums[(u64)window * per_window + start], start);
    shares[index] = curve::add(shares[index], weighted);
}

// Phase 6, thread `row · groups + group`: the sum of points [group·GROUP, ...) of row
// `row`, where each row holds `count` points and yields `groups` = ceil(count / GROUP).
template <typename F>
TP_HOST_DEVICE void sum_group(const Xyzz<F>* points, Xyzz<F>* sums, u32 count, u32 index) {
    const u32 groups = (count + GROUP - 1) / GROUP;
    const u32 row = index / groups, group = index % groups;
    const Xyzz<F>* row_points = points + (u64)row * count;
    const u32 begin = group * GROUP;
    const u32 end = begin + GROUP < count ? begin + GROUP : count;
    Xyzz<F> sum = Xyzz<F>::identity();
    for (u32 i = begin; i < end; ++i) sum = curve::add(sum, row_points[i]);
    sums[index] = sum;
}

// ---------------------------------------------------------------------------------
// The kernels' bodies: what the thread with global index `thread` of each launch in
// msm.cu does, bounds guard included. msm.cu's entry points only pass their global
// index; the host harness (crates/gpu/tests/host/msm_host.cpp) calls these same
// functions for every thread of every launch of the Rust launch schedule
// (crates/gpu/src/msm/schedule.rs), so the guards are tested with the schedule's grids.

TP_HOST_DEVICE void count_digits_thread(u32 thread, const Fr* scalars, Fr* canonical, u32* bucket_counts, u32 n,
                                        u32 window_bits) {
    if (thread < n) count_digits(scalars, canonical, bucket_counts, thread, window_bits);
}

TP_HOST_DEVICE void scatter_entries_thread(u32 thread, const Fr* canonical, u32* cursors, u32* entries, u32 n,
                                           u32 window_bits) {
    if (thread < n) scatter_entries(canonical, cursors, entries, thread, window_bits);
}

// Adds each scan block's offset to its elements (after the block totals were scanned).
TP_HOST_DEVICE void scan_add_block_offsets_thread(u32 thread, u32* data, const u32* block_offsets, u32 n) {
    if (thread < n) data[thread] += block_offsets[thread / SCAN_BLOCK_ELEMENTS];
}

// B threads count chunks; thread B clears the extra slot the scan turns into the total.
TP_HOST_DEVICE void count_chunks_thread(u32 thread, const u32* offsets, u32* chunk_counts, u32 buckets) {
    if (thread < buckets) count_chunks(offsets, chunk_counts, thread);
    if (thread == buckets) chunk_counts[buckets] = 0;
}

// `launched` bounds the chunk count, whose exact value (chunk_offsets[buckets]) only
// the device knows; accumulate_* return for chunks past it.
template <typename F>
TP_HOST_DEVICE void accumulate_bases_thread(u32 thread, const Affine<F>* bases, const u32* entries, const u32* offsets,
                                            const u32* chunk_offsets, Xyzz<F>* partials, u32 buckets, u32 launched) {
    if (thread < launched) accumulate_bases(bases, entries, offsets, chunk_offsets, partials, buckets, thread);
}

template <typename F>
TP_HOST_DEVICE void accumulate_partials_thread(u32 thread, const Xyzz<F>* previous, const u32* offsets,
                                               const u32* chunk_offsets, Xyzz<F>* partials, u32 buckets,
                                               u32 launched) {
    if (thread < launched) accumulate_partials(previous, offsets, chunk_offsets, partials, buckets, thread);
}

template <typename F>
TP_HOST_DEVICE void gather_buckets_thread(u32 thread, const Xyzz<F>* partials, const u32* offsets,
                                          Xyzz<F>* bucket_sums, u32 buckets) {
    if (thread < buckets) gather_bucket_sum(partials, offsets, bucket_sums, thread);
}

template <typename F>
TP_HOST_DEVICE void suffix_sums_thread(u32 thread, Xyzz<F>* bucket_sums, u32 window_bits, u32 total) {
    if (thread < total) suffix_sums_segment(bucket_sums, window_bits, thread);
}

template <typename F>
TP_HOST_DEVICE void weight_segments_thread(u32 thread, const Xyzz<F>* suffix_sums, Xyzz<F>* shares, u32 window_bits,
                                           u32 total) {
    if (thread < total) weight_segment(suffix_sums, shares, window_bits, thread);
}

template <typename F>
TP_HOST_DEVICE void sum_groups_thread(u32 thread, const Xyzz<F>* points, Xyzz<F>* sums, u32 count, u32 total) {
    if (thread < total) sum_group(points, sums, count, thread);
}

// The block scan (msm_scan_blocks) in three phases separated by barriers: each of the
// SCAN_THREADS threads loads SCAN_ITEMS consecutive elements and their sum, the block
// scans the threads' sums (Hillis-Steele in shared memory, the kernel's own loop), and
// each thread writes its exclusive prefixes. Block `block` covers elements
// [block·SCAN_BLOCK_ELEMENTS, +SCAN_BLOCK_ELEMENTS) of data[0..n); its total goes to
// block_totals[block].
TP_HOST_DEVICE u32 scan_load(const u32* data, u32 n, u32 block, u32 tid, u32 items[SCAN_ITEMS]) {
    const u32 base = block * SCAN_BLOCK_ELEMENTS + tid * SCAN_ITEMS;
    u32 local = 0;
    TP_UNROLL
    for (u32 k = 0; k < SCAN_ITEMS; ++k) {
        items[k] = base + k < n ? data[base + k] : 0;
        local += items[k];
    }
    return local;
}

// `inclusive`: the scanned sum of threads 0..=tid; `local`: this thread's own sum.
TP_HOST_DEVICE void scan_store(u32* data, u32* block_totals, u32 n, u32 block, u32 tid, const u32 items[SCAN_ITEMS],
                               u32 inclusive, u32 local) {
    const u32 base = block * SCAN_BLOCK_ELEMENTS + tid * SCAN_ITEMS;
    u32 running = inclusive - local;
    TP_UNROLL
    for (u32 k = 0; k < SCAN_ITEMS; ++k) {
        if (base + k < n) data[base + k] = running;
        running += items[k];
    }
    if (tid == SCAN_THREADS - 1) block_totals[block] = inclusive;
}

}  // namespace msm
}  // namespace tp

#endif  // TERAPROOF_MSM_MSM_CUH
