// int8 x int8 -> int32 GEMM, C (m x n) = A (m x k) * B (k x n), all row major: the tile
// geometry and every per-thread / per-warp step of the kernels in gemm_i8.cu. The
// kernels are thin loops over these functions; the host tests run the same functions
// over every block, warp and lane and compare the result with the Rust reference.
//
// Why tensor cores (mma.sync.m16n8k32.s8) and not dp4a: one mma.sync does 16*8*32 = 4096
// multiply-adds per warp instruction against 32*4 = 128 for a warp of dp4a, so dp4a
// tops out around a tenth of the int8 tensor-core peak, far below the goal of half of
// cuBLASLt. mma.sync (sm_80+) is also exact: int8 products accumulated in int32.
// (Hopper's wgmma would be faster still, but is sm_90a-only and asynchronous; mma.sync
// runs unchanged on sm_80, sm_86, sm_89 and sm_90.)
//
// Data layout (all of it chosen so every global and shared access is 16 bytes wide):
// - A: row major, row pitch `k_pitch` bytes, a multiple of 16 (K_ALIGN). The host uses
//   A in place when k is a multiple of 16, else packs it with pack_a_rows (zero padding).
// - B: transposed once into Bt (n x k_pitch, row major, zero padded) by transpose_b,
//   because the mma B operand wants k contiguous per column n, and ldmatrix cannot
//   transpose 8-bit elements.
// - A block computes a BLOCK_M x BLOCK_N tile of C, stepping over k in BLOCK_K slices
//   staged through a STAGES-deep cp.async ring in shared memory. Each of its 8 warps
//   (2 x 4) owns a 64x64 sub-tile: 4 x 8 mma tiles of 16x8, 128 int32 accumulators per
//   lane. Why 128x256: int8 tiles carry little arithmetic per byte, and every block
//   re-reads its A and B slices from L2. A 128x256 block does 175 operations per byte
//   staged (128x128: 128), which keeps the L2 traffic at half of cuBLASLt's H100 int8
//   throughput near 3.7 TB/s instead of 5 TB/s, inside what Hopper's L2 delivers. It
//   costs occupancy (one block of 8 warps per SM), which the 4-stage pipeline and 32
//   independent mma per warp and step make up for.
// - Edges: rows past m or n and k past k_pitch are zero-filled on the way into shared
//   memory (zeros add nothing), and the epilogue stores only elements inside C. So any
//   m, n, k works without padding C or A's rows.
#ifndef TERAPROOF_GEMM_GEMM_I8_CUH
#define TERAPROOF_GEMM_GEMM_I8_CUH

#include "common/portable.cuh"
#include "common/warp_mma.cuh"

namespace tp {
namespace gemm_i8 {

// Tile geometry. The Rust launcher mirrors the values it needs (checked by a test).
constexpr int BLOCK_M = 128;
constexpr int BLOCK_N = 256;
constexpr int BLOCK_K = 64;
constexpr int WARPS_M = 2;
constexpr int WARPS_N = 4;
constexpr int THREADS = 256;
constexpr int STAGES = 4;
constexpr int K_ALIGN = 16;

constexpr int WARP_TILE_M = BLOCK_M / WARPS_M;  // 64
constexpr int WARP_TILE_N = BLOCK_N / WARPS_N;  // 64
constexpr int MMA_M = 16, MMA_N = 8, MMA_K = 32;
constexpr int M_TILES = WARP_TILE_M / MMA_M;  // 4 mma tiles down a warp tile
constexpr int N_TILES = WARP_TILE_N / MMA_N;  // 8 mma tiles across a warp tile
constexpr int K_STEPS = BLOCK_K / MMA_K;      // 2 mma steps per k slice

constexpr int CHUNK = 16;                          // bytes per cp.async / ldmatrix row
constexpr int CHUNKS_PER_ROW = BLOCK_K / CHUNK;    // 4
constexpr int TILE_A_BYTES = BLOCK_M * BLOCK_K;    // 8 KiB
constexpr int TILE_B_BYTES = BLOCK_N * BLOCK_K;    // 16 KiB
constexpr int STAGE_BYTES = TILE_A_BYTES + TILE_B_BYTES;
constexpr int SHARED_BYTES = STAGES * STAGE_BYTES;  // 96 KiB of dynamic shared memory
constexpr int COPIES_A = BLOCK_M * CHUNKS_PER_ROW / THREADS;  // 16-byte copies per thread
constexpr int COPIES_B = BLOCK_N * CHUNKS_PER_ROW / THREADS;

static_assert(THREADS == WARPS_M * WARPS_N * WARP_SIZE, "one warp per warp tile");
static_assert(K_ALIGN == CHUNK, "rows are copied in whole 16-byte chunks");
static_assert(BLOCK_M * CHUNKS_PER_ROW % THREADS == 0 && BLOCK_N * CHUNKS_PER_ROW % THREADS == 0,
              "copies divide evenly among threads");
static_assert(CHUNKS_PER_ROW == 4, "the swizzle below permutes exactly 4 chunks per row");
static_assert(N_TILES % 2 == 0, "B fragments are loaded two mma tiles at a time");

// Accumulators of one lane: [m tile][n tile][mma accumulator element].
typedef i32 Accumulators[M_TILES][N_TILES][4];

// ---------------------------------------------------------------------------------
// Shared-memory layout of one operand tile: rows of BLOCK_K bytes (four 16-byte chunks).
// ldmatrix reads one chunk from each of 8 consecutive rows at once; unswizzled, rows r
// and r+2 would hit the same banks (64-byte rows, 128-byte bank cycle). XOR-ing the
// chunk index with (row / 2) % 4 spreads those 8 chunks over all 32 banks. The copies
// into shared memory use the same function, so reads find what writes stored.
TP_HOST_DEVICE int swizzled_offset(int row, int chunk) {
    return row * BLOCK_K + ((chunk ^ ((row >> 1) & 3)) * CHUNK);
}

// Which row and chunk of a tile thread `tid` copies in its `copy`-th copy: consecutive
// threads take consecutive chunks, so four threads read one row's 64 bytes together.
TP_HOST_DEVICE void copy_position(int tid, int copy, int& row, int& chunk) {
    const int index = tid + copy * THREADS;
    row = index / CHUNKS_PER_ROW;
    chunk = index % CHUNKS_PER_ROW;
}

// Thread `tid`'s share of staging k slice `k_slice` (columns [k_slice*BLOCK_K, +BLOCK_K))
// of A's rows [row0, row0+BLOCK_M) and Bt's rows [col0, col0+BLOCK_N) into `stage`.
// Chunks outside the matrices are zero-filled. Asynchronous on the GPU.
TP_HOST_DEVICE void load_k_slice(u8* stage, const i8* a, const i8* bt, int m, int n, int k_pitch, int row0,
                                 int col0, int k_slice, int tid) {
    u8* tile_a = stage;
    u8* tile_b = stage + TILE_A_BYTES;
    TP_UNROLL
    for (int copy = 0; copy < COPIES_A; ++copy) {
        int row, chunk;
        copy_position(tid, copy, row, chunk);
        const int k = k_slice * BLOCK_K + chunk * CHUNK;
        const bool valid = row0 + row < m && k < k_pitch;
        const i8* src = valid ? a + (i64)(row0 + row) * k_pitch + k : a;
        copy_16_or_zero(tile_a + swizzled_offset(row, chunk), src, valid);
    }
    TP_UNROLL
    for (int copy = 0; copy < COPIES_B; ++copy) {
        int row, chunk;
        copy_position(tid, copy, row, chunk);
        const int k = k_slice * BLOCK_K + chunk * CHUNK;
        const bool valid = col0 + row < n && k < k_pitch;
        const i8* src = valid ? bt + (i64)(col0 + row) * k_pitch + k : bt;
        copy_16_or_zero(tile_b + swizzled_offset(row, chunk), src, valid);
    }
}

// ---------------------------------------------------------------------------------
// ldmatrix addressing. One ldmatrix.x4 fills a whole A fragment (16 rows x 32 bytes),
// or the B fragments of two adjacent n tiles (16 Bt rows x 32 bytes). Lane l names row
// (l % 8) of matrix (l / 8); the matrices must land in the registers the mma layout
// expects (see warp_mma.cuh):
//   A: matrix 0 = rows 0-7, k 0-15; 1 = rows 8-15, k 0-15; 2 = rows 0-7, k 16-31; 3 = rows 8-15, k 16-31
//   B: matrix 0 = n 0-7, k 0-15; 1 = n 0-7, k 16-31 (tile 0); 2, 3 = the same for n 8-15 (tile 1)

// Byte offset in the A tile of the row lane `lane` names for m tile `m_tile` of warp row
// `warp_m` at mma step `k_step`.
TP_HOST_DEVICE int ldmatrix_a_offset(int warp_m, int m_tile, int k_step, int lane) {
    const int row = warp_m * WARP_TILE_M + m_tile * MMA_M + (lane & 7) + ((lane >> 3) & 1) * 8;
    const int chunk = k_step * 2 + (lane >> 4);
    return swizzled_offset(row, chunk);
}

// Byte offset in the Bt tile of the row lane `lane` names for n tiles 2*n_pair and
// 2*n_pair+1 of warp column `warp_n` at mma step `k_step`.
TP_HOST_DEVICE int ldmatrix_b_offset(int warp_n, int n_pair, int k_step, int lane) {
    const int row = warp_n * WARP_TILE_N + n_pair * 2 * MMA_N + (lane & 7) + (lane >> 4) * 8;
    const int chunk = k_step * 2 + ((lane >> 3) & 1);
    return swizzled_offset(row, chunk);
}

TP_HOST_DEVICE int warp_row(int warp) { return warp / WARPS_N; }
TP_HOST_DEVICE int warp_col(int warp) { return warp % WARPS_N; }

#ifdef __CUDA_ARCH__
// One warp's work on one staged k slice: K_STEPS x (4 A fragments, 8 B fragments,
// 32 mma). Fragments of a step are loaded before its mma so the loads overlap.
__device__ __forceinline__ void warp_mma_k_slice(const u8* stage, int warp, int lane, Accumulators& acc) {
    const u8* tile_a = stage;
    const u8* tile_b = stage + TILE_A_BYTES;
    TP_UNROLL
    for (int k_step = 0; k_step < K_STEPS; ++k_step) {
        u32 a[M_TILES][4];
        u32 b[N_TILES][2];
        TP_UNROLL
        for (int mt = 0; mt < M_TILES; ++mt) {
            ldmatrix_x4(a[mt], tile_a + ldmatrix_a_offset(warp_row(warp), mt, k_step, lane));
        }
        TP_UNROLL
        for (int pair = 0; pair < N_TILES / 2; ++pair) {
            u32 both[4];
            ldmatrix_x4(both, tile_b + ldmatrix_b_offset(warp_col(warp), pair, k_step, lane));
            b[2 * pair][0] = both[0];
            b[2 * pair][1] = both[1];
            b[2 * pair + 1][0] = both[2];
            b[2 * pair + 1][1] = both[3];
        }
        TP_UNROLL
        for (int mt = 0; mt < M_TILES; ++mt) {
            TP_UNROLL
            for (int nt = 0; nt < N_TILES; ++nt) mma_m16n8k32_s8(acc[mt][nt], a[mt], b[nt]);
        }
    }
}
#else
// Host model of warp_mma_k_slice for all 32 lanes of warp `warp` at once: the same
// addressing, with the warp-collective instructions replaced by their models.
// `acc[lane]` holds lane `lane`'s accumulators.
inline void warp_mma_k_slice_host(const u8* stage, int warp, Accumulators* acc) {
    const u8* tile_a = stage;
    const u8* tile_b = stage + TILE_A_BYTES;
    for (int k_step = 0; k_step < K_STEPS; ++k_step) {
        u32 a[M_TILES][WARP_SIZE][4];
        u32 b[N_TILES][WARP_SIZE][2];
        for (int mt = 0; mt < M_TILES; ++mt) {
            i64 rows[WARP_SIZE];
            for (int lane = 0; lane < WARP_SIZE; ++lane) rows[lane] = ldmatrix_a_offset(warp_row(warp), mt, k_step, lane);
            ldmatrix_x4_warp(a[mt], tile_a, rows);
        }
        for (int pair = 0; pair < N_TILES / 2; ++pair) {
            i64 rows[WARP_SIZE];
            for (int lane = 0; lane < WARP_SIZE; ++lane) rows[lane] = ldmatrix_b_offset(warp_col(warp), pair, k_step, lane);
            u32 both[WARP_SIZE][4];
            ldmatrix_x4_warp(both, tile_b, rows);
            for (int lane = 0; lane < WARP_SIZE; ++lane) {
                b[2 * pair][lane][0] = both[lane][0];
                b[2 * pair][lane][1] = both[lane][1];
                b[2 * pair + 1][lane][0] = both[lane][2];
                b[2 * pair + 1][lane][1] = both[lane][3];
            }
        }
        for (int mt = 0; mt < M_TILES; ++mt) {
            for (int nt = 0; nt < N_TILES; ++nt) {
                i32 lanes_acc[WARP_SIZE][4];
                for (int lane = 0; lane < WARP_SIZE; ++lane)
                    for (int e = 0; e < 4; ++e) lanes_acc[lane][e] = acc[lane][mt][nt][e];
                mma_m16n8k32_s8_warp(lanes_acc, a[mt], b[nt]);
                for (int lane = 0; lane < WARP_SIZE; ++lane)
                    for (int e = 0; e < 4; ++e) acc[lane][mt][nt][e] = lanes_acc[lane][e];
            }
        }
    }
}
#endif  // __CUDA_ARCH__

// Writes lane `lane`'s accumulators of warp `warp` into C (m x n, row major), skipping
// elements outside C. Adjacent column pairs go out as one 8-byte store when aligned.
TP_HOST_DEVICE void store_accumulators(i32* c, int m, int n, int row0, int col0, int warp, int lane,
                                       const Accumulators& acc) {
    const int warp_row0 = row0 + warp_row(warp) * WARP_TILE_M;
    const int warp_col0 = col0 + warp_col(warp) * WARP_TILE_N;
    TP_UNROLL
    for (int mt = 0; mt < M_TILES; ++mt) {
        TP_UNROLL
        for (int nt = 0; nt < N_TILES; ++nt) {
            TP_UNROLL
            for (int half = 0; half < 2; ++half) {
                // Accumulators 2*half and 2*half+1 sit side by side in one row.
                const int e = 2 * half;
                const int row = warp_row0 + mt * MMA_M + mma_c_row(lane, e);
                const int col = warp_col0 + nt * MMA_N + mma_c_col(lane, e);
                if (row >= m) continue;
                i32* out = c + (i64)row * n + col;
                const i32 first = acc[mt][nt][e], second = acc[mt][nt][e + 1];
#ifdef __CUDA_ARCH__
                // col is even; with n even the pair is 8-byte aligned.
                if ((n & 1) == 0 && col + 1 < n) {
                    *reinterpret_cast<int2*>(out) = make_int2(first, second);
                    continue;
                }
#endif
                if (col < n) out[0] = first;
                if (col + 1 < n) out[1] = second;
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Packing kernels' per-thread steps.

// Element `index` of the packed A (m x k_pitch): A's element, or 0 in the padding.
TP_HOST_DEVICE void pack_a_element(i8* packed, const i8* a, int k, int k_pitch, i64 index) {
    const i64 row = index / k_pitch;
    const int col = (int)(index % k_pitch);
    packed[index] = col < k ? a[row * k + col] : (i8)0;
}

// Bt = transpose(B) through a TRANSPOSE_TILE^2 shared tile, so both the reads of B and
// the writes of Bt are row-contiguous across a warp. A block of TRANSPOSE_TILE x
// TRANSPOSE_ROWS threads handles one tile; each thread moves TILE/ROWS elements.
constexpr int TRANSPOSE_TILE = 32;
constexpr int TRANSPOSE_ROWS = 8;
// +1 byte per row of the shared tile so that walking down a column does not keep
// hitting the same bank.
constexpr int TRANSPOSE_PITCH = TRANSPOSE_TILE + 1;

// Phase 1 (before the barrier): thread (tx, ty) of the block for tile (n_tile, k_tile)
// reads B rows k, columns n into the shared tile; outside B it stores zeros.
TP_HOST_DEVICE void transpose_b_read(u8* tile, const i8* b, int k, int n, int n_tile, int k_tile, int tx, int ty) {
    TP_UNROLL
    for (int r = ty; r < TRANSPOSE_TILE; r += TRANSPOSE_ROWS) {
        const int kk = k_tile * TRANSPOSE_TILE + r;
        const int nn = n_tile * TRANSPOSE_TILE + tx;
        tile[r * TRANSPOSE_PITCH + tx] = (kk < k && nn < n) ? (u8)b[(i64)kk * n + nn] : (u8)0;
    }
}

// Phase 2 (after the barrier): writes Bt rows n, columns k (k < k_pitch) from the tile.
TP_HOST_DEVICE void transpose_b_write(i8* bt, const u8* tile, int n, int k_pitch, int n_tile, int k_tile, int tx,
                                      int ty) {
    TP_UNROLL
    for (int r = ty; r < TRANSPOSE_TILE; r += TRANSPOSE_ROWS) {
        const int nn = n_tile * TRANSPOSE_TILE + r;
        const int kk = k_tile * TRANSPOSE_TILE + tx;
        if (nn < n && kk < k_pitch) bt[(i64)nn * k_pitch + kk] = (i8)tile[tx * TRANSPOSE_PITCH + r];
    }
}

}  // namespace gemm_i8
}  // namespace tp

#endif  // TERAPROOF_GEMM_GEMM_I8_CUH
