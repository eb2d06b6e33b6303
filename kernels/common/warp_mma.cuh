// Warp-level int8 tensor-core primitives (sm_80+) and exact host models of them.
//
// On the GPU these are single PTX instructions: `cp.async` (global -> shared copies that
// bypass registers), `ldmatrix` (a warp loads 8x8 b16 matrices from shared memory, each
// lane receiving a fixed fragment) and `mma.sync.m16n8k32` (a warp multiplies a 16x32
// int8 tile by a 32x8 int8 tile into a 16x8 int32 tile). `ldmatrix` and `mma.sync` are
// warp-collective: one lane's result depends on the other lanes' registers, so the
// host cannot run them lane by lane. The `#else` branches model a whole warp at once,
// written straight from the fragment tables of the PTX ISA (section "Matrix Fragments
// for mma.m16n8k32"), so the host tests check the kernel's addressing against the
// documented hardware layout rather than against itself.
#ifndef TERAPROOF_COMMON_WARP_MMA_CUH
#define TERAPROOF_COMMON_WARP_MMA_CUH

#include "common/portable.cuh"

namespace tp {

constexpr int WARP_SIZE = 32;

// ---------------------------------------------------------------------------------
// Fragment layouts of mma.m16n8k32 with .s8 inputs and .s32 accumulators (PTX ISA).
// groupID = lane / 4, threadID_in_group = lane % 4. Element `e` of a fragment lives in
// register e / 4 (inputs, four int8 per 32-bit register, lowest byte first) or register
// e (accumulators).

// A (16x32, row major): 16 int8 per lane in 4 registers.
TP_HOST_DEVICE int mma_a_row(int lane, int e) { return (lane >> 2) + (((e >> 2) & 1) ? 8 : 0); }
TP_HOST_DEVICE int mma_a_col(int lane, int e) { return (lane & 3) * 4 + (e & 3) + (e >= 8 ? 16 : 0); }

// B (32x8, "col": each lane holds 4 consecutive k of one column n): 8 int8 in 2 registers.
TP_HOST_DEVICE int mma_b_k(int lane, int e) { return (lane & 3) * 4 + (e & 3) + (e >= 4 ? 16 : 0); }
TP_HOST_DEVICE int mma_b_n(int lane, int /*e*/) { return lane >> 2; }

// C/D (16x8 int32): 4 accumulators per lane.
TP_HOST_DEVICE int mma_c_row(int lane, int e) { return (lane >> 2) + (e >= 2 ? 8 : 0); }
TP_HOST_DEVICE int mma_c_col(int lane, int e) { return (lane & 3) * 2 + (e & 1); }

// The signed byte `byte` (0 = least significant) of a packed register.
TP_HOST_DEVICE i32 packed_s8(u32 reg, int byte) { return (i32)(i8)(u8)((reg >> (8 * byte)) & 0xffu); }

// ---------------------------------------------------------------------------------
// Global -> shared copies.

#ifdef __CUDA_ARCH__
// The 32-bit shared-window address PTX wants for a generic pointer into shared memory.
__device__ __forceinline__ u32 shared_address(const void* pointer) {
    u32 address;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(address) : "l"(pointer));
    return address;
}
#endif

// Copies 16 bytes from global `src` to shared `dst`, or writes 16 zero bytes when
// `valid` is false (then `src` is not read, but must still be a valid global address).
// On the GPU this is asynchronous (cp.async with a zero-fill source size); complete it
// with cp_async_commit / cp_async_wait. Both addresses must be 16-byte aligned.
TP_HOST_DEVICE void copy_16_or_zero(u8* dst, const i8* src, bool valid) {
#ifdef __CUDA_ARCH__
    const int src_bytes = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(shared_address(dst)), "l"(src),
                 "r"(src_bytes)
                 : "memory");
#else
    for (int b = 0; b < 16; ++b) dst[b] = valid ? (u8)src[b] : (u8)0;
#endif
}

// Closes the group of cp.async copies issued so far by this thread.
TP_HOST_DEVICE void cp_async_commit() {
#ifdef __CUDA_ARCH__
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}

// Waits until at most `PENDING` committed groups of this thread are still in flight.
// (Host copies are synchronous, so there is nothing to wait for.)
template <int PENDING>
TP_HOST_DEVICE void cp_async_wait() {
#ifdef __CUDA_ARCH__
    asm volatile("cp.async.wait_group %0;\n" ::"n"(PENDING) : "memory");
#endif
}

#ifdef __CUDA_ARCH__
// ---------------------------------------------------------------------------------
// Warp-collective instructions (device only; host models below).

// ldmatrix.x4: lane l names the start of row (l % 8) of 8x8 b16 matrix (l / 8); every
// lane receives, in register j, bytes [4*(l%4), 4*(l%4)+4) of row l/4 of matrix j.
__device__ __forceinline__ void ldmatrix_x4(u32 (&fragment)[4], const u8* row_start) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(fragment[0]), "=r"(fragment[1]), "=r"(fragment[2]), "=r"(fragment[3])
                 : "r"(shared_address(row_start))
                 // It reads shared memory that cp.async filled behind the compiler's back.
                 : "memory");
}

// acc (16x8 int32) += a (16x32 int8, row major) * b (32x8 int8, column major), exact.
// No .satfinite: the caller's k bound keeps every sum within int32. Not volatile: a
// pure function of registers, which the compiler may schedule freely.
__device__ __forceinline__ void mma_m16n8k32_s8(i32 (&acc)[4], const u32 (&a)[4], const u32 (&b)[2]) {
    asm(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
        : "+r"(acc[0]), "+r"(acc[1]), "+r"(acc[2]), "+r"(acc[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

#else
// ---------------------------------------------------------------------------------
// Host models of the warp-collective instructions: one call stands for all 32 lanes.

// ldmatrix.x4 over a whole warp: `row_offset[l]` is the byte offset (from `shared`)
// that lane l passes as its row address.
inline void ldmatrix_x4_warp(u32 (&fragment)[WARP_SIZE][4], const u8* shared, const i64 (&row_offset)[WARP_SIZE]) {
    for (int lane = 0; lane < WARP_SIZE; ++lane) {
        for (int matrix = 0; matrix < 4; ++matrix) {
            const u8* row = shared + row_offset[matrix * 8 + lane / 4];
            const u8* bytes = row + 4 * (lane % 4);
            fragment[lane][matrix] =
                (u32)bytes[0] | ((u32)bytes[1] << 8) | ((u32)bytes[2] << 16) | ((u32)bytes[3] << 24);
        }
    }
}

// mma.sync.m16n8k32.row.col.s32.s8.s8.s32 over a whole warp: gathers the 16x32 and
// 32x8 operands from the lanes' fragments, multiplies exactly, and scatters the 16x8
// sum back into the lanes' accumulators.
inline void mma_m16n8k32_s8_warp(i32 (&acc)[WARP_SIZE][4], const u32 (&a)[WARP_SIZE][4],
                                 const u32 (&b)[WARP_SIZE][2]) {
    i32 a_tile[16][32];
    i32 b_tile[32][8];
    for (int lane = 0; lane < WARP_SIZE; ++lane) {
        for (int e = 0; e < 16; ++e) a_tile[mma_a_row(lane, e)][mma_a_col(lane, e)] = packed_s8(a[lane][e / 4], e % 4);
        for (int e = 0; e < 8; ++e) b_tile[mma_b_k(lane, e)][mma_b_n(lane, e)] = packed_s8(b[lane][e / 4], e % 4);
    }
    for (int lane = 0; lane < WARP_SIZE; ++lane) {
        for (int e = 0; e < 4; ++e) {
            const int row = mma_c_row(lane, e), col = mma_c_col(lane, e);
            i64 sum = acc[lane][e];
            for (int k = 0; k < 32; ++k) sum += (i64)a_tile[row][k] * b_tile[k][col];
            // The hardware wraps modulo 2^32; so does this conversion.
            acc[lane][e] = (i32)(u32)(u64)sum;
        }
    }
}
#endif  // __CUDA_ARCH__

}  // namespace tp

#endif  // TERAPROOF_COMMON_WARP_MMA_CUH
