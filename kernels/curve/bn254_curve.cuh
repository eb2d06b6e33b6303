// BN254 G1 (over Fq) and G2 (over Fq2) point arithmetic for MSM buckets.
//
// Both curves are y^2 = x^3 + b with a = 0 (b = 3 for G1, b = 3/(9+u) for G2's twist);
// b never enters addition or doubling, so one template serves both.
//
// Points:
// - `Affine<F>` {x, y}: the bases, as arkworks stores them. The identity is encoded as
//   x = y = 0, which is on neither curve (0 != b).
// - `Xyzz<F>` {X, Y, ZZ, ZZZ} for x = X/ZZ, y = Y/ZZZ with ZZ^3 = ZZZ^2: the bucket
//   accumulators. The identity is ZZ = ZZZ = 0. Formulas are the EFD's
//   "xyzz" ones for a = 0 (madd-2008-s, add-2008-s, dbl-2008-s-1 / mdbl-2008-s-1):
//   a mixed addition costs 8M + 2S in F, a general addition 12M + 2S.
//
// Every addition handles the cases the generic formula gets wrong: an identity operand,
// P + P (P = 0 and R = 0 in the formula's terms: double instead) and P + (-P)
// (P = 0, R != 0: the identity).
#ifndef TERAPROOF_CURVE_BN254_CURVE_CUH
#define TERAPROOF_CURVE_BN254_CURVE_CUH

#include "common/portable.cuh"
#include "field/bn254_field.cuh"

namespace tp {
namespace curve {

using field::Fq;
using field::Fq2;

template <typename F>
struct Affine {
    F x, y;
    TP_HOST_DEVICE bool is_identity() const { return x.is_zero() && y.is_zero(); }
};

template <typename F>
struct Xyzz {
    F x, y, zz, zzz;

    TP_HOST_DEVICE static Xyzz identity() { return Xyzz{F::zero(), F::zero(), F::zero(), F::zero()}; }
    TP_HOST_DEVICE bool is_identity() const { return zz.is_zero(); }
    TP_HOST_DEVICE static Xyzz from_affine(const Affine<F>& p) {
        if (p.is_identity()) return identity();
        return Xyzz{p.x, p.y, F::one(), F::one()};
    }
};

// -p (the identity stays the identity: -0 = 0).
template <typename F>
TP_HOST_DEVICE Affine<F> negate(const Affine<F>& p) {
    return Affine<F>{p.x, -p.y};
}

template <typename F>
TP_HOST_DEVICE Xyzz<F> negate(const Xyzz<F>& p) {
    return Xyzz<F>{p.x, -p.y, p.zz, p.zzz};
}

// 2p for an affine p (mdbl-2008-s-1 with a = 0). p must not be the identity.
template <typename F>
TP_HOST_DEVICE Xyzz<F> double_affine(const Affine<F>& p) {
    const F u = dbl(p.y);
    const F v = sqr(u);
    const F w = u * v;
    const F s = p.x * v;
    const F x_sq = sqr(p.x);
    const F m = dbl(x_sq) + x_sq;
    const F x3 = sqr(m) - dbl(s);
    const F y3 = m * (s - x3) - w * p.y;
    return Xyzz<F>{x3, y3, v, w};
}

// 2p (dbl-2008-s-1 with a = 0). The identity doubles to itself (ZZ stays 0); BN254 has
// no point of order 2, so y = 0 never occurs otherwise.
template <typename F>
TP_HOST_DEVICE Xyzz<F> double_xyzz(const Xyzz<F>& p) {
    const F u = dbl(p.y);
    const F v = sqr(u);
    const F w = u * v;
    const F s = p.x * v;
    const F x_sq = sqr(p.x);
    const F m = dbl(x_sq) + x_sq;
    const F x3 = sqr(m) - dbl(s);
    const F y3 = m * (s - x3) - w * p.y;
    return Xyzz<F>{x3, y3, v * p.zz, w * p.zzz};
}

// acc + q for an affine q (madd-2008-s): the bucket step.
//
// Register pressure matters here (G2 points are 64 words): every input is dead as
// soon as its last product is formed, and the rare P + P case doubles `acc` (live
// anyway) rather than keeping q alive until the check.
template <typename F>
TP_HOST_DEVICE Xyzz<F> add_mixed(const Xyzz<F>& acc, const Affine<F>& q) {
    if (q.is_identity()) return acc;
    if (acc.is_identity()) return Xyzz<F>::from_affine(q);
    const F p = q.x * acc.zz - acc.x;
    const F r = q.y * acc.zzz - acc.y;
    if (p.is_zero()) {
        // Same x: either the same point (double) or its negation (identity).
        if (r.is_zero()) return double_xyzz(acc);
        return Xyzz<F>::identity();
    }
    const F pp = sqr(p);
    const F ppp = p * pp;
    const F q_term = acc.x * pp;
    const F zz3 = acc.zz * pp;
    const F zzz3 = acc.zzz * ppp;
    const F x3 = sqr(r) - ppp - dbl(q_term);
    const F y3 = r * (q_term - x3) - acc.y * ppp;
    return Xyzz<F>{x3, y3, zz3, zzz3};
}

// a + b for two XYZZ points (add-2008-s).
//
// (U1, S1, ZZ1·ZZ2, ZZZ1·ZZZ2) is itself an XYZZ representation of a, so the P + P
// case doubles that and neither input has to stay alive past the first products.
template <typename F>
TP_HOST_DEVICE Xyzz<F> add(const Xyzz<F>& a, const Xyzz<F>& b) {
    if (b.is_identity()) return a;
    if (a.is_identity()) return b;
    const F u1 = a.x * b.zz;
    const F s1 = a.y * b.zzz;
    const F p = b.x * a.zz - u1;
    const F r = b.y * a.zzz - s1;
    const F zz12 = a.zz * b.zz;
    const F zzz12 = a.zzz * b.zzz;
    if (p.is_zero()) {
        if (r.is_zero()) return double_xyzz(Xyzz<F>{u1, s1, zz12, zzz12});
        return Xyzz<F>::identity();
    }
    const F pp = sqr(p);
    const F ppp = p * pp;
    const F q_term = u1 * pp;
    const F zz3 = zz12 * pp;
    const F zzz3 = zzz12 * ppp;
    const F x3 = sqr(r) - ppp - dbl(q_term);
    const F y3 = r * (q_term - x3) - s1 * ppp;
    return Xyzz<F>{x3, y3, zz3, zzz3};
}

// k · p for a small non-negative k, by double-and-add from the top bit.
template <typename F>
TP_HOST_DEVICE Xyzz<F> mul_small(const Xyzz<F>& p, u32 k) {
    Xyzz<F> acc = Xyzz<F>::identity();
    int top = 31;
    while (top >= 0 && ((k >> top) & 1) == 0) --top;
    for (int bit = top; bit >= 0; --bit) {
        acc = double_xyzz(acc);
        if ((k >> bit) & 1) acc = add(acc, p);
    }
    return acc;
}

typedef Affine<Fq> G1Affine;
typedef Xyzz<Fq> G1Xyzz;
typedef Affine<Fq2> G2Affine;
typedef Xyzz<Fq2> G2Xyzz;

}  // namespace curve
}  // namespace tp

#endif  // TERAPROOF_CURVE_BN254_CURVE_CUH
