// One source, three compilers: NVRTC (the runtime path), nvcc, and a plain host C++
// compiler (the tests compile the device functions on the CPU and compare them with
// the Rust references). This header papers over the differences.
//
// Conventions for every header under kernels/:
// - no standard-library includes (NVRTC ships none), only the fixed-width aliases below;
// - functions that hold index math or arithmetic are TP_HOST_DEVICE so the host tests
//   run exactly the code the GPU runs;
// - anything that only exists on the GPU (inline PTX, warp-collective instructions) sits
//   under `#ifdef __CUDA_ARCH__`, with a host model of the same semantics in the
//   `#else` branch where the tests need one.
#ifndef TERAPROOF_COMMON_PORTABLE_CUH
#define TERAPROOF_COMMON_PORTABLE_CUH

#if defined(__CUDACC__)
#define TP_HOST_DEVICE __host__ __device__ __forceinline__
#define TP_UNROLL _Pragma("unroll")
#else
#define TP_HOST_DEVICE inline
#define TP_UNROLL
#endif

namespace tp {

typedef signed char i8;
typedef unsigned char u8;
typedef int i32;
typedef unsigned int u32;
typedef long long i64;
typedef unsigned long long u64;

static_assert(sizeof(i8) == 1 && sizeof(i32) == 4 && sizeof(u32) == 4, "unexpected integer widths");
static_assert(sizeof(i64) == 8 && sizeof(u64) == 8, "unexpected integer widths");

// ceil(a / b) for positive operands.
TP_HOST_DEVICE i64 div_ceil(i64 a, i64 b) { return (a + b - 1) / b; }

// The smallest multiple of `b` that is at least `a`.
TP_HOST_DEVICE i64 round_up(i64 a, i64 b) { return div_ceil(a, b) * b; }

}  // namespace tp

#endif  // TERAPROOF_COMMON_PORTABLE_CUH
