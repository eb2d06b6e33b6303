// BN254 prime fields in Montgomery form: the base field Fq (coordinates of G1 and G2)
// and the scalar field Fr, plus the quadratic extension Fq2 = Fq[u] / (u^2 + 1) that
// G2's coordinates live in.
//
// Representation: eight 32-bit limbs, least significant first, of a·R mod m with
// R = 2^256, always fully reduced (0 <= value < m). This is bit for bit the layout of
// arkworks' `Fp256` (four 64-bit limbs of the same Montgomery value), so field
// elements cross between Rust and the GPU without conversion.
//
// Arithmetic is written once over a carry chain (`CarryChain`): on the GPU each step is
// one PTX instruction that reads and writes the hardware carry flag (add.cc, addc.cc,
// mad.lo.cc, madc.hi.cc, ...); on the host the same steps run on a software carry, so
// the host tests execute the exact instruction sequence the GPU does.
//
// Montgomery multiplication is CIOS with 32-bit words: for each word b_i of b,
// t += a·b_i, then t += m·modulus with m = t_0·(-modulus^-1) mod 2^32, then t >>= 32.
// With a, b < modulus < 2^254 the running value stays below 2·modulus, so nine words
// hold it and one conditional subtraction at the end reduces it fully.
#ifndef TERAPROOF_FIELD_BN254_FIELD_CUH
#define TERAPROOF_FIELD_BN254_FIELD_CUH

#include "common/portable.cuh"

namespace tp {
namespace field {

constexpr int LIMBS = 8;

// One carry chain. Every `*_cc` step sets the carry; every `*c*` step consumes it.
// A chain must not be interleaved with another chain's steps.
struct CarryChain {
#ifndef __CUDA_ARCH__
    u32 carry = 0;
#endif

#ifdef __CUDA_ARCH__
    __device__ __forceinline__ u32 add_cc(u32 a, u32 b) {
        u32 r;
        asm volatile("add.cc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
        return r;
    }
    __device__ __forceinline__ u32 addc_cc(u32 a, u32 b) {
        u32 r;
        asm volatile("addc.cc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
        return r;
    }
    __device__ __forceinline__ u32 addc(u32 a, u32 b) {
        u32 r;
        asm volatile("addc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
        return r;
    }
    __device__ __forceinline__ u32 sub_cc(u32 a, u32 b) {
        u32 r;
        asm volatile("sub.cc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
        return r;
    }
    __device__ __forceinline__ u32 subc_cc(u32 a, u32 b) {
        u32 r;
        asm volatile("subc.cc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
        return r;
    }
    __device__ __forceinline__ u32 subc(u32 a, u32 b) {
        u32 r;
        asm volatile("subc.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
        return r;
    }
    __device__ __forceinline__ u32 mad_lo_cc(u32 a, u32 b, u32 c) {
        u32 r;
        asm volatile("mad.lo.cc.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
        return r;
    }
    __device__ __forceinline__ u32 madc_lo_cc(u32 a, u32 b, u32 c) {
        u32 r;
        asm volatile("madc.lo.cc.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
        return r;
    }
    __device__ __forceinline__ u32 mad_hi_cc(u32 a, u32 b, u32 c) {
        u32 r;
        asm volatile("mad.hi.cc.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
        return r;
    }
    __device__ __forceinline__ u32 madc_hi_cc(u32 a, u32 b, u32 c) {
        u32 r;
        asm volatile("madc.hi.cc.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
        return r;
    }
    __device__ __forceinline__ u32 madc_hi(u32 a, u32 b, u32 c) {
        u32 r;
        asm volatile("madc.hi.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
        return r;
    }
#else
    // Host model: the PTX ISA's definitions, with the carry flag in `carry`.
    u32 add_cc(u32 a, u32 b) { return addc_cc_from(a, b, 0); }
    u32 addc_cc(u32 a, u32 b) { return addc_cc_from(a, b, carry); }
    u32 addc(u32 a, u32 b) { return a + b + carry; }
    u32 sub_cc(u32 a, u32 b) { return subc_cc_from(a, b, 0); }
    u32 subc_cc(u32 a, u32 b) { return subc_cc_from(a, b, carry); }
    u32 subc(u32 a, u32 b) { return a - b - carry; }
    u32 mad_lo_cc(u32 a, u32 b, u32 c) { return addc_cc_from((u32)((u64)a * b), c, 0); }
    u32 madc_lo_cc(u32 a, u32 b, u32 c) { return addc_cc_from((u32)((u64)a * b), c, carry); }
    u32 mad_hi_cc(u32 a, u32 b, u32 c) { return addc_cc_from((u32)(((u64)a * b) >> 32), c, 0); }
    u32 madc_hi_cc(u32 a, u32 b, u32 c) { return addc_cc_from((u32)(((u64)a * b) >> 32), c, carry); }
    u32 madc_hi(u32 a, u32 b, u32 c) { return (u32)(((u64)a * b) >> 32) + c + carry; }

   private:
    u32 addc_cc_from(u32 a, u32 b, u32 carry_in) {
        const u64 sum = (u64)a + b + carry_in;
        carry = (u32)(sum >> 32);
        return (u32)sum;
    }
    u32 subc_cc_from(u32 a, u32 b, u32 borrow_in) {
        const u64 diff = (u64)a - b - borrow_in;
        carry = (u32)(diff >> 63);  // 1 when the subtraction wrapped
        return (u32)diff;
    }
#endif
};

// The constants of one prime field. `M0..M7`: the modulus, least significant word
// first; `INV`: -modulus^-1 mod 2^32; `R0..R7`: R mod modulus (one, in Montgomery form).
struct FqParams {
    static constexpr u32 M0 = 0xd87cfd47, M1 = 0x3c208c16, M2 = 0x6871ca8d, M3 = 0x97816a91;
    static constexpr u32 M4 = 0x8181585d, M5 = 0xb85045b6, M6 = 0xe131a029, M7 = 0x30644e72;
    static constexpr u32 INV = 0xe4866389;
    static constexpr u32 R0 = 0xc58f0d9d, R1 = 0xd35d438d, R2 = 0xf5c70b3d, R3 = 0x0a78eb28;
    static constexpr u32 R4 = 0x7879462c, R5 = 0x666ea36f, R6 = 0x9a07df2f, R7 = 0x0e0a77c1;
};

struct FrParams {
    static constexpr u32 M0 = 0xf0000001, M1 = 0x43e1f593, M2 = 0x79b97091, M3 = 0x2833e848;
    static constexpr u32 M4 = 0x8181585d, M5 = 0xb85045b6, M6 = 0xe131a029, M7 = 0x30644e72;
    static constexpr u32 INV = 0xefffffff;
    static constexpr u32 R0 = 0x4ffffffb, R1 = 0xac96341c, R2 = 0x9f60cd29, R3 = 0x36fc7695;
    static constexpr u32 R4 = 0x7879462e, R5 = 0x666ea36f, R6 = 0x9a07df2f, R7 = 0x0e0a77c1;
};

// An element of the prime field described by `P`, in Montgomery form.
template <typename P>
struct Fp {
    u32 limb[LIMBS];

    TP_HOST_DEVICE static Fp zero() {
        Fp r;
        TP_UNROLL
        for (int i = 0; i < LIMBS; ++i) r.limb[i] = 0;
        return r;
    }

    TP_HOST_DEVICE static Fp one() {
        Fp r;
        r.limb[0] = P::R0, r.limb[1] = P::R1, r.limb[2] = P::R2, r.limb[3] = P::R3;
        r.limb[4] = P::R4, r.limb[5] = P::R5, r.limb[6] = P::R6, r.limb[7] = P::R7;
        return r;
    }

    TP_HOST_DEVICE static Fp modulus() {
        Fp r;
        r.limb[0] = P::M0, r.limb[1] = P::M1, r.limb[2] = P::M2, r.limb[3] = P::M3;
        r.limb[4] = P::M4, r.limb[5] = P::M5, r.limb[6] = P::M6, r.limb[7] = P::M7;
        return r;
    }

    TP_HOST_DEVICE bool is_zero() const {
        u32 any = 0;
        TP_UNROLL
        for (int i = 0; i < LIMBS; ++i) any |= limb[i];
        return any == 0;
    }

    TP_HOST_DEVICE bool operator==(const Fp& o) const {
        u32 diff = 0;
        TP_UNROLL
        for (int i = 0; i < LIMBS; ++i) diff |= limb[i] ^ o.limb[i];
        return diff == 0;
    }
    TP_HOST_DEVICE bool operator!=(const Fp& o) const { return !(*this == o); }
};

// r = value - modulus if that does not borrow, else value; `high` is a ninth word of
// the value (0 or 1) that the subtraction may consume.
template <typename P>
TP_HOST_DEVICE Fp<P> reduce_once(const Fp<P>& value, u32 high) {
    const Fp<P> m = Fp<P>::modulus();
    Fp<P> diff;
    CarryChain chain;
    diff.limb[0] = chain.sub_cc(value.limb[0], m.limb[0]);
    TP_UNROLL
    for (int i = 1; i < LIMBS; ++i) diff.limb[i] = chain.subc_cc(value.limb[i], m.limb[i]);
    const u32 borrow = chain.subc(high, 0);  // all ones when value < modulus
    Fp<P> r;
    TP_UNROLL
    for (int i = 0; i < LIMBS; ++i) r.limb[i] = borrow ? value.limb[i] : diff.limb[i];
    return r;
}

template <typename P>
TP_HOST_DEVICE Fp<P> operator+(const Fp<P>& a, const Fp<P>& b) {
    Fp<P> sum;
    CarryChain chain;
    sum.limb[0] = chain.add_cc(a.limb[0], b.limb[0]);
    TP_UNROLL
    for (int i = 1; i < LIMBS; ++i) sum.limb[i] = chain.addc_cc(a.limb[i], b.limb[i]);
    // Both moduli are below 2^254, so the sum fits 255 bits: no ninth word.
    return reduce_once(sum, 0);
}

template <typename P>
TP_HOST_DEVICE Fp<P> operator-(const Fp<P>& a, const Fp<P>& b) {
    const Fp<P> m = Fp<P>::modulus();
    Fp<P> diff;
    CarryChain chain;
    diff.limb[0] = chain.sub_cc(a.limb[0], b.limb[0]);
    TP_UNROLL
    for (int i = 1; i < LIMBS; ++i) diff.limb[i] = chain.subc_cc(a.limb[i], b.limb[i]);
    const u32 mask = chain.subc(0, 0);  // all ones when a < b: add the modulus back
    Fp<P> r;
    r.limb[0] = chain.add_cc(diff.limb[0], m.limb[0] & mask);
    TP_UNROLL
    for (int i = 1; i < LIMBS; ++i) r.limb[i] = chain.addc_cc(diff.limb[i], m.limb[i] & mask);
    return r;
}

template <typename P>
TP_HOST_DEVICE Fp<P> operator-(const Fp<P>& a) {
    return Fp<P>::zero() - a;
}

template <typename P>
TP_HOST_DEVICE Fp<P> dbl(const Fp<P>& a) {
    return a + a;
}

// t[0..8] += a · word, as two chains: low halves of the products into t[0..7], then
// high halves into t[1..8]. The caller guarantees the total fits nine words.
template <typename P>
TP_HOST_DEVICE void mul_add_word(u32 (&t)[LIMBS + 1], const u32 (&a)[LIMBS], u32 word) {
    CarryChain lo;
    t[0] = lo.mad_lo_cc(a[0], word, t[0]);
    TP_UNROLL
    for (int j = 1; j < LIMBS; ++j) t[j] = lo.madc_lo_cc(a[j], word, t[j]);
    t[LIMBS] = lo.addc(t[LIMBS], 0);
    CarryChain hi;
    t[1] = hi.mad_hi_cc(a[0], word, t[1]);
    TP_UNROLL
    for (int j = 1; j < LIMBS - 1; ++j) t[j + 1] = hi.madc_hi_cc(a[j], word, t[j + 1]);
    t[LIMBS] = hi.madc_hi(a[LIMBS - 1], word, t[LIMBS]);
}

// The Montgomery multiply is inlined by default. With TP_MONT_NOINLINE (the
// `noinline-mont` kernel variant) it is one out-of-line function per field on the GPU:
// far less machine code in the G2 kernels, for a call per multiplication. Each carry
// chain stays inside the function, so no chain spans the call.
#if defined(__CUDA_ARCH__) && defined(TP_MONT_NOINLINE)
#define TP_MONT_MUL __device__ __noinline__
#else
#define TP_MONT_MUL TP_HOST_DEVICE
#endif

// a · b · R^-1 mod modulus (CIOS; see the file comment for the bound).
template <typename P>
TP_MONT_MUL Fp<P> operator*(const Fp<P>& a, const Fp<P>& b) {
    const Fp<P> m = Fp<P>::modulus();
    u32 t[LIMBS + 1];
    TP_UNROLL
    for (int i = 0; i <= LIMBS; ++i) t[i] = 0;
    TP_UNROLL
    for (int i = 0; i < LIMBS; ++i) {
        mul_add_word<P>(t, a.limb, b.limb[i]);
        const u32 q = t[0] * P::INV;
        mul_add_word<P>(t, m.limb, q);
        // t[0] is now zero by the choice of q: divide by 2^32.
        TP_UNROLL
        for (int j = 0; j < LIMBS; ++j) t[j] = t[j + 1];
        t[LIMBS] = 0;
    }
    Fp<P> r;
    TP_UNROLL
    for (int i = 0; i < LIMBS; ++i) r.limb[i] = t[i];
    return reduce_once(r, 0);
}

template <typename P>
TP_HOST_DEVICE Fp<P> sqr(const Fp<P>& a) {
    return a * a;
}

// Montgomery form -> the canonical integer (a · R^-1): a Montgomery product with the
// plain integer 1.
template <typename P>
TP_HOST_DEVICE Fp<P> from_montgomery(const Fp<P>& a) {
    Fp<P> plain_one = Fp<P>::zero();
    plain_one.limb[0] = 1;
    return a * plain_one;
}

typedef Fp<FqParams> Fq;
typedef Fp<FrParams> Fr;

// Fq2 = Fq[u] / (u^2 + 1): c0 + c1·u.
struct Fq2 {
    Fq c0, c1;

    TP_HOST_DEVICE static Fq2 zero() { return Fq2{Fq::zero(), Fq::zero()}; }
    TP_HOST_DEVICE static Fq2 one() { return Fq2{Fq::one(), Fq::zero()}; }
    TP_HOST_DEVICE bool is_zero() const { return c0.is_zero() && c1.is_zero(); }
    TP_HOST_DEVICE bool operator==(const Fq2& o) const { return c0 == o.c0 && c1 == o.c1; }
    TP_HOST_DEVICE bool operator!=(const Fq2& o) const { return !(*this == o); }
};

TP_HOST_DEVICE Fq2 operator+(const Fq2& a, const Fq2& b) { return Fq2{a.c0 + b.c0, a.c1 + b.c1}; }
TP_HOST_DEVICE Fq2 operator-(const Fq2& a, const Fq2& b) { return Fq2{a.c0 - b.c0, a.c1 - b.c1}; }
TP_HOST_DEVICE Fq2 operator-(const Fq2& a) { return Fq2{-a.c0, -a.c1}; }
TP_HOST_DEVICE Fq2 dbl(const Fq2& a) { return a + a; }

// Karatsuba: three Fq products. (a0 + a1 u)(b0 + b1 u) = (a0 b0 - a1 b1)
// + ((a0 + a1)(b0 + b1) - a0 b0 - a1 b1) u.
TP_HOST_DEVICE Fq2 operator*(const Fq2& a, const Fq2& b) {
    const Fq v0 = a.c0 * b.c0;
    const Fq v1 = a.c1 * b.c1;
    const Fq cross = (a.c0 + a.c1) * (b.c0 + b.c1);
    return Fq2{v0 - v1, cross - v0 - v1};
}

// (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u: two Fq products.
TP_HOST_DEVICE Fq2 sqr(const Fq2& a) {
    const Fq c0 = (a.c0 + a.c1) * (a.c0 - a.c1);
    const Fq c1 = a.c0 * a.c1;
    return Fq2{c0, c1 + c1};
}

}  // namespace field
}  // namespace tp

#endif  // TERAPROOF_FIELD_BN254_FIELD_CUH
