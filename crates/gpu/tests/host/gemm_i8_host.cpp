// Runs the int8 GEMM kernels of kernels/gemm/gemm_i8.cu on the CPU: every block,
// thread, warp and lane of the three launches calls the same __host__ __device__ step
// functions the GPU runs, with the warp-collective instructions (ldmatrix, mma.sync)
// replaced by their host models (kernels/common/warp_mma.cuh). Barriers become phase
// boundaries: all threads finish one phase before any starts the next.
//
// Usage: gemm_i8_host INPUT OUTPUT
//        gemm_i8_host --check-bank-conflicts   (exit status 1 and a list if any)
//   INPUT:  m, k, n as little-endian u32, then A (m*k int8), then B (k*n int8), row major
//   OUTPUT: C (m*n int32, little-endian), row major
// The Rust test (tests/host_kernels.rs) writes random inputs, runs this, and compares C
// with its own reference.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm/gemm_i8.cuh"

using namespace tp;
using namespace tp::gemm_i8;

namespace {

// Bytes no correct run leaves behind: shared stages and Bt are filled with them first,
// so a chunk the kernels forget to write shows up as a wrong product.
constexpr u8 POISON = 0xA5;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "gemm_i8_host: %s\n", what);
    std::exit(2);
}

u32 read_u32(std::FILE* f) {
    u8 bytes[4];
    if (std::fread(bytes, 1, 4, f) != 4) fail("truncated header");
    return (u32)bytes[0] | ((u32)bytes[1] << 8) | ((u32)bytes[2] << 16) | ((u32)bytes[3] << 24);
}

// Launch 1 (when k is not a multiple of K_ALIGN): pack_a_rows.
std::vector<i8> pack_a(const std::vector<i8>& a, int m, int k, int k_pitch) {
    std::vector<i8> packed((size_t)m * k_pitch, (i8)POISON);
    for (i64 index = 0; index < (i64)m * k_pitch; ++index) pack_a_element(packed.data(), a.data(), k, k_pitch, index);
    return packed;
}

// Launch 2: transpose_b, block by block, with the barrier between its two phases.
std::vector<i8> transpose(const std::vector<i8>& b, int k, int n, int k_pitch) {
    std::vector<i8> bt((size_t)n * k_pitch, (i8)POISON);
    u8 tile[TRANSPOSE_TILE * TRANSPOSE_PITCH];
    for (int n_tile = 0; n_tile < div_ceil(n, TRANSPOSE_TILE); ++n_tile) {
        for (int k_tile = 0; k_tile < div_ceil(k_pitch, TRANSPOSE_TILE); ++k_tile) {
            std::memset(tile, POISON, sizeof tile);
            for (int ty = 0; ty < TRANSPOSE_ROWS; ++ty)
                for (int tx = 0; tx < TRANSPOSE_TILE; ++tx) transpose_b_read(tile, b.data(), k, n, n_tile, k_tile, tx, ty);
            for (int ty = 0; ty < TRANSPOSE_ROWS; ++ty)
                for (int tx = 0; tx < TRANSPOSE_TILE; ++tx)
                    transpose_b_write(bt.data(), tile, n, k_pitch, n_tile, k_tile, tx, ty);
        }
    }
    return bt;
}

// Launch 3: gemm_i8_mma. Stages rotate through the same ring of shared memory as on
// the GPU; the host copies are synchronous, so one slice is staged and consumed at a time.
std::vector<i32> gemm(const i8* a, const i8* bt, int m, int n, int k_pitch) {
    std::vector<i32> c((size_t)m * n, (i32)0x7EADBEEF);
    std::vector<u8> shared(SHARED_BYTES);
    std::vector<Accumulators> acc((size_t)THREADS);  // [warp * WARP_SIZE + lane]
    const int k_slices = (int)div_ceil(k_pitch, BLOCK_K);
    for (int block_y = 0; block_y < div_ceil(m, BLOCK_M); ++block_y) {
        for (int block_x = 0; block_x < div_ceil(n, BLOCK_N); ++block_x) {
            const int row0 = block_y * BLOCK_M, col0 = block_x * BLOCK_N;
            std::memset(acc.data(), 0, acc.size() * sizeof(Accumulators));
            for (int slice = 0; slice < k_slices; ++slice) {
                u8* stage = shared.data() + (slice % STAGES) * STAGE_BYTES;
                std::memset(stage, POISON, STAGE_BYTES);
                for (int tid = 0; tid < THREADS; ++tid) load_k_slice(stage, a, bt, m, n, k_pitch, row0, col0, slice, tid);
                for (int warp = 0; warp < THREADS / WARP_SIZE; ++warp)
                    warp_mma_k_slice_host(stage, warp, &acc[(size_t)warp * WARP_SIZE]);
            }
            for (int tid = 0; tid < THREADS; ++tid)
                store_accumulators(c.data(), m, n, row0, col0, tid / WARP_SIZE, tid % WARP_SIZE, acc[(size_t)tid]);
        }
    }
    return c;
}

// The swizzle is invisible to the products (reads and writes share it), so its purpose
// is checked on its own: shared memory serves a 16-byte-per-lane access in phases of 8
// lanes, and such a phase is conflict-free when its 8 chunks fall in 8 different
// 16-byte bank groups (address / 16 mod 8). Checks every ldmatrix and every staging
// copy of a k slice; returns the number of conflicting phases.
int count_bank_conflicts() {
    int conflicts = 0;
    auto check_phase = [&](const i64 (&offsets)[8], const char* what, int a, int b, int c) {
        unsigned groups = 0;
        for (i64 offset : offsets) groups |= 1u << ((offset / CHUNK) % 8);
        if (groups != 0xffu) {
            std::fprintf(stderr, "bank conflict: %s (%d, %d, %d)\n", what, a, b, c);
            ++conflicts;
        }
    };
    for (int warp = 0; warp < THREADS / WARP_SIZE; ++warp) {
        for (int k_step = 0; k_step < K_STEPS; ++k_step) {
            for (int tile = 0; tile < M_TILES; ++tile) {
                for (int matrix = 0; matrix < 4; ++matrix) {
                    i64 offsets[8];
                    for (int r = 0; r < 8; ++r) offsets[r] = ldmatrix_a_offset(warp_row(warp), tile, k_step, matrix * 8 + r);
                    check_phase(offsets, "ldmatrix A (warp, m tile, matrix)", warp, tile, matrix);
                }
            }
            for (int pair = 0; pair < N_TILES / 2; ++pair) {
                for (int matrix = 0; matrix < 4; ++matrix) {
                    i64 offsets[8];
                    for (int r = 0; r < 8; ++r) offsets[r] = ldmatrix_b_offset(warp_col(warp), pair, k_step, matrix * 8 + r);
                    check_phase(offsets, "ldmatrix B (warp, n pair, matrix)", warp, pair, matrix);
                }
            }
        }
    }
    for (int copy = 0; copy < COPIES_A; ++copy) {
        for (int phase = 0; phase < THREADS / 8; ++phase) {
            i64 offsets[8];
            for (int t = 0; t < 8; ++t) {
                int row, chunk;
                copy_position(phase * 8 + t, copy, row, chunk);
                offsets[t] = swizzled_offset(row, chunk);
            }
            check_phase(offsets, "staging copy (copy, phase, -)", copy, phase, 0);
        }
    }
    return conflicts;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--check-bank-conflicts") == 0) return count_bank_conflicts() == 0 ? 0 : 1;
    if (argc != 3) fail("usage: gemm_i8_host INPUT OUTPUT | gemm_i8_host --check-bank-conflicts");
    std::FILE* in = std::fopen(argv[1], "rb");
    if (!in) fail("cannot open input");
    const int m = (int)read_u32(in), k = (int)read_u32(in), n = (int)read_u32(in);
    if (m < 1 || k < 1 || n < 1) fail("every dimension must be at least 1");
    std::vector<i8> a((size_t)m * k), b((size_t)k * n);
    if (std::fread(a.data(), 1, a.size(), in) != a.size() || std::fread(b.data(), 1, b.size(), in) != b.size())
        fail("truncated matrices");
    std::fclose(in);

    const int k_pitch = (int)round_up(k, K_ALIGN);
    std::vector<i8> a_packed;
    const i8* a_used = a.data();
    if (k != k_pitch) {
        a_packed = pack_a(a, m, k, k_pitch);
        a_used = a_packed.data();
    }
    const std::vector<i8> bt = transpose(b, k, n, k_pitch);
    const std::vector<i32> c = gemm(a_used, bt.data(), m, n, k_pitch);

    std::FILE* out = std::fopen(argv[2], "wb");
    if (!out) fail("cannot open output");
    for (i32 value : c) {
        const u32 bits = (u32)value;
        const u8 bytes[4] = {(u8)bits, (u8)(bits >> 8), (u8)(bits >> 16), (u8)(bits >> 24)};
        if (std::fwrite(bytes, 1, 4, out) != 4) fail("write failed");
    }
    std::fclose(out);
    return 0;
}
