// int8 x int8 -> int32 GEMM kernels (sm_80+). The steps live in gemm_i8.cuh, where the
// host tests can run them; this file holds only the launch structure: grids, shared
// memory, barriers and the cp.async pipeline.
//
// Launch sequence for C (m x n) = A (m x k) * B (k x n), k_pitch = round_up(k, 16):
//   1. pack_a_rows  (only when k % 16 != 0): A -> A' (m x k_pitch, zero padded)
//   2. transpose_b: B -> Bt (n x k_pitch, zero padded)
//   3. gemm_i8_mma: C = A' * Bt^T
#include "common/portable.cuh"
#include "common/warp_mma.cuh"
#include "gemm/gemm_i8.cuh"

using namespace tp;
using namespace tp::gemm_i8;

// Grid: ceil(n / BLOCK_N) x ceil(m / BLOCK_M) blocks of THREADS threads, SHARED_BYTES
// of dynamic shared memory. `a` and `bt` rows are k_pitch bytes (a multiple of 16) and
// 16-byte aligned.
extern "C" __global__ void __launch_bounds__(THREADS, 1)
    gemm_i8_mma(const i8* __restrict__ a, const i8* __restrict__ bt, i32* __restrict__ c, int m, int n, int k_pitch) {
    extern __shared__ __align__(128) u8 shared[];
    const int tid = threadIdx.x;
    const int warp = tid / WARP_SIZE;
    const int lane = tid % WARP_SIZE;
    const int row0 = blockIdx.y * BLOCK_M;
    const int col0 = blockIdx.x * BLOCK_N;
    const int k_slices = (int)div_ceil(k_pitch, BLOCK_K);

    Accumulators acc;
    TP_UNROLL
    for (int mt = 0; mt < M_TILES; ++mt) {
        TP_UNROLL
        for (int nt = 0; nt < N_TILES; ++nt) {
            TP_UNROLL
            for (int e = 0; e < 4; ++e) acc[mt][nt][e] = 0;
        }
    }

    // Prologue: put the first STAGES-1 slices in flight. Every iteration commits a
    // group, even an empty one, so the wait count below stays uniform.
    TP_UNROLL
    for (int slice = 0; slice < STAGES - 1; ++slice) {
        if (slice < k_slices) load_k_slice(shared + slice * STAGE_BYTES, a, bt, m, n, k_pitch, row0, col0, slice, tid);
        cp_async_commit();
    }

    for (int slice = 0; slice < k_slices; ++slice) {
        // This thread's copies of `slice` are done; the barrier makes everyone's visible
        // and guarantees every warp has finished with the stage refilled next (it held
        // slice - 1).
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        const int prefetch = slice + STAGES - 1;
        if (prefetch < k_slices) {
            load_k_slice(shared + (prefetch % STAGES) * STAGE_BYTES, a, bt, m, n, k_pitch, row0, col0, prefetch, tid);
        }
        cp_async_commit();
        warp_mma_k_slice(shared + (slice % STAGES) * STAGE_BYTES, warp, lane, acc);
    }
    // Nothing may still write shared memory when the block exits.
    cp_async_wait<0>();

    store_accumulators(c, m, n, row0, col0, warp, lane, acc);
}

// A (m x k) -> packed (m x k_pitch), zero padded. A grid-stride loop over the packed bytes.
extern "C" __global__ void pack_a_rows(i8* __restrict__ packed, const i8* __restrict__ a, int m, int k, int k_pitch) {
    const i64 total = (i64)m * k_pitch;
    const i64 stride = (i64)gridDim.x * blockDim.x;
    for (i64 index = (i64)blockIdx.x * blockDim.x + threadIdx.x; index < total; index += stride) {
        pack_a_element(packed, a, k, k_pitch, index);
    }
}

// B (k x n) -> Bt (n x k_pitch), zero padded. Grid: ceil(n / 32) x ceil(k_pitch / 32)
// blocks of 32 x 8 threads.
extern "C" __global__ void transpose_b(i8* __restrict__ bt, const i8* __restrict__ b, int k, int n, int k_pitch) {
    __shared__ u8 tile[TRANSPOSE_TILE * TRANSPOSE_PITCH];
    transpose_b_read(tile, b, k, n, blockIdx.x, blockIdx.y, threadIdx.x, threadIdx.y);
    __syncthreads();
    transpose_b_write(bt, tile, n, k_pitch, blockIdx.x, blockIdx.y, threadIdx.x, threadIdx.y);
}
