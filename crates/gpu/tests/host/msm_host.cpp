// Runs the MSM kernels' __host__ __device__ code on the CPU: the BN254 field and curve
// functions (kernels/field, kernels/curve) one operation at a time, and the whole MSM
// pipeline (kernels/msm/msm.cuh) with every launch of kernels/msm/msm.cu emulated as a
// loop over its threads. tests/msm_host.rs feeds it random inputs and compares every
// answer with arkworks and with the Rust reference.
//
// Protocol: one request per line on stdin, one answer line per request on stdout
// (`msm_*` answer several lines). A field element is 64 hex digits, big-endian, of its
// Montgomery representation (arkworks' internal value); an Fq2 element is c0 then c1;
// an XYZZ point is X Y ZZ ZZZ; an affine point x y (the identity is 0 0).
//   fq_add a b | fq_sub a b | fq_mul a b | fq_sqr a | fq_neg a      (same for fr_)
//   fr_from_mont a                                       -> canonical integer, hex
//   fq2_add a b | fq2_sub a b | fq2_mul a b | fq2_sqr a
//   g1_add_mixed P q | g1_add P Q | g1_dbl P | g1_mul_small P k   (same for g2_)
//   msm_g1 c n, then n lines "scalar x y"             (msm_g2: "scalar x y" in Fq2)
//     -> "offsets o_0 .. o_B", "entries e_0 ..", B bucket sums, W window sums
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "msm/msm.cuh"

using namespace tp;
using namespace tp::field;
using namespace tp::curve;

namespace {

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "msm_host: %s\n", what.c_str());
    std::exit(2);
}

template <typename P>
Fp<P> parse_fp(const std::string& hex) {
    if (hex.size() != 64) fail("field element is not 64 hex digits: " + hex);
    Fp<P> r;
    for (int i = 0; i < LIMBS; ++i) {
        const std::string word = hex.substr(64 - 8 * (i + 1), 8);
        r.limb[i] = (u32)std::strtoul(word.c_str(), nullptr, 16);
    }
    return r;
}

template <typename P>
std::string format_fp(const Fp<P>& a) {
    char buffer[65];
    for (int i = 0; i < LIMBS; ++i) std::snprintf(buffer + 8 * i, 9, "%08x", a.limb[LIMBS - 1 - i]);
    return std::string(buffer, 64);
}

struct Reader {
    std::istringstream line;
    std::string next() {
        std::string token;
        if (!(line >> token)) fail("missing operand");
        return token;
    }
};

template <typename F>
struct Io;

template <>
struct Io<Fq> {
    static Fq read(Reader& r) { return parse_fp<FqParams>(r.next()); }
    static std::string write(const Fq& a) { return format_fp(a); }
};

template <>
struct Io<Fr> {
    static Fr read(Reader& r) { return parse_fp<FrParams>(r.next()); }
    static std::string write(const Fr& a) { return format_fp(a); }
};

template <>
struct Io<Fq2> {
    static Fq2 read(Reader& r) {
        const Fq c0 = Io<Fq>::read(r);
        return Fq2{c0, Io<Fq>::read(r)};
    }
    static std::string write(const Fq2& a) { return format_fp(a.c0) + " " + format_fp(a.c1); }
};

template <typename F>
Affine<F> read_affine(Reader& r) {
    const F x = Io<F>::read(r);
    return Affine<F>{x, Io<F>::read(r)};
}

template <typename F>
Xyzz<F> read_xyzz(Reader& r) {
    Xyzz<F> p;
    p.x = Io<F>::read(r), p.y = Io<F>::read(r), p.zz = Io<F>::read(r), p.zzz = Io<F>::read(r);
    return p;
}

template <typename F>
std::string write_xyzz(const Xyzz<F>& p) {
    return Io<F>::write(p.x) + " " + Io<F>::write(p.y) + " " + Io<F>::write(p.zz) + " " + Io<F>::write(p.zzz);
}

template <typename F>
bool field_op(const std::string& op, Reader& r) {
    if (op == "add") {
        const F a = Io<F>::read(r);
        std::cout << Io<F>::write(a + Io<F>::read(r)) << '\n';
    } else if (op == "sub") {
        const F a = Io<F>::read(r);
        std::cout << Io<F>::write(a - Io<F>::read(r)) << '\n';
    } else if (op == "mul") {
        const F a = Io<F>::read(r);
        std::cout << Io<F>::write(a * Io<F>::read(r)) << '\n';
    } else if (op == "sqr") {
        std::cout << Io<F>::write(sqr(Io<F>::read(r))) << '\n';
    } else if (op == "neg") {
        std::cout << Io<F>::write(-Io<F>::read(r)) << '\n';
    } else {
        return false;
    }
    return true;
}

template <typename F>
bool curve_op(const std::string& op, Reader& r) {
    if (op == "add_mixed") {
        const Xyzz<F> p = read_xyzz<F>(r);
        std::cout << write_xyzz(add_mixed(p, read_affine<F>(r))) << '\n';
    } else if (op == "add") {
        const Xyzz<F> p = read_xyzz<F>(r);
        std::cout << write_xyzz(add(p, read_xyzz<F>(r))) << '\n';
    } else if (op == "dbl") {
        std::cout << write_xyzz(double_xyzz(read_xyzz<F>(r))) << '\n';
    } else if (op == "mul_small") {
        const Xyzz<F> p = read_xyzz<F>(r);
        std::cout << write_xyzz(mul_small(p, (u32)std::stoul(r.next()))) << '\n';
    } else {
        return false;
    }
    return true;
}

// Exclusive scan of `values` (the last slot is the total's place), as the scan kernels do.
void exclusive_scan(std::vector<u32>& values) {
    u32 running = 0;
    for (u32& v : values) {
        const u32 count = v;
        v = running;
        running += count;
    }
}

// The launch sequence of msm.cu for one MSM, every thread of every launch in turn.
template <typename F>
void run_msm(u32 window_bits, u32 n) {
    std::vector<Fr> scalars(n);
    std::vector<Affine<F>> bases(n);
    for (u32 i = 0; i < n; ++i) {
        std::string line;
        if (!std::getline(std::cin, line)) fail("truncated MSM input");
        Reader r{std::istringstream(line)};
        scalars[i] = Io<Fr>::read(r);
        bases[i] = read_affine<F>(r);
    }
    const u32 windows = msm::window_count(window_bits);
    const u32 buckets = windows * msm::buckets_per_window(window_bits);

    std::vector<Fr> canonical(n);
    std::vector<u32> offsets(buckets + 1, 0);
    for (u32 i = 0; i < n; ++i) msm::count_digits(scalars.data(), canonical.data(), offsets.data(), i, window_bits);
    exclusive_scan(offsets);
    std::vector<u32> cursors = offsets;
    std::vector<u32> entries(offsets[buckets], 0xffffffffu);
    for (u32 i = 0; i < n; ++i) msm::scatter_entries(canonical.data(), cursors.data(), entries.data(), i, window_bits);

    // Level 0 sums bases; later levels sum partials, until every bucket has at most one.
    std::vector<u32> level_offsets = offsets;
    std::vector<Xyzz<F>> partials;
    for (u32 level = 0, largest = n; level == 0 || largest > 1; ++level, largest = (largest + msm::CHUNK - 1) / msm::CHUNK) {
        std::vector<u32> chunk_offsets(buckets + 1, 0);
        for (u32 b = 0; b < buckets; ++b) msm::count_chunks(level_offsets.data(), chunk_offsets.data(), b);
        exclusive_scan(chunk_offsets);
        // The GPU launches a bound on the chunk count; threads past the total return.
        const u32 launched = chunk_offsets[buckets] + 3;
        std::vector<Xyzz<F>> next(launched, Xyzz<F>::identity());
        for (u32 t = 0; t < launched; ++t) {
            if (level == 0) {
                msm::accumulate_bases(bases.data(), entries.data(), level_offsets.data(), chunk_offsets.data(),
                                      next.data(), buckets, t);
            } else {
                msm::accumulate_partials(partials.data(), level_offsets.data(), chunk_offsets.data(), next.data(),
                                         buckets, t);
            }
        }
        partials.swap(next);
        level_offsets.swap(chunk_offsets);
    }
    std::vector<Xyzz<F>> bucket_sums(buckets);
    for (u32 b = 0; b < buckets; ++b) msm::gather_bucket_sum(partials.data(), level_offsets.data(), bucket_sums.data(), b);

    const u32 segments = msm::segments_per_window(window_bits);
    std::vector<Xyzz<F>> suffix_sums = bucket_sums;
    for (u32 t = 0; t < windows * segments; ++t) msm::suffix_sums_segment(suffix_sums.data(), window_bits, t);
    std::vector<Xyzz<F>> shares(windows * segments);
    const u32 per_window = msm::buckets_per_window(window_bits);
    for (u32 t = 0; t < windows * segments; ++t) msm::sum_group(suffix_sums.data(), shares.data(), per_window, t);
    for (u32 t = 0; t < windows * segments; ++t) msm::weight_segment(suffix_sums.data(), shares.data(), window_bits, t);
    for (u32 count = segments; count > 1;) {
        const u32 groups = (count + msm::GROUP - 1) / msm::GROUP;
        std::vector<Xyzz<F>> sums(windows * groups);
        for (u32 t = 0; t < windows * groups; ++t) msm::sum_group(shares.data(), sums.data(), count, t);
        shares.swap(sums);
        count = groups;
    }

    std::cout << "offsets";
    for (u32 o : offsets) std::cout << ' ' << o;
    std::cout << "\nentries";
    for (u32 e : entries) std::cout << ' ' << e;
    std::cout << '\n';
    for (const auto& s : bucket_sums) std::cout << write_xyzz(s) << '\n';
    for (const auto& s : shares) std::cout << write_xyzz(s) << '\n';
}

}  // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        Reader r{std::istringstream(line)};
        const std::string op = r.next();
        const size_t underscore = op.find('_');
        const std::string group = op.substr(0, underscore), rest = op.substr(underscore + 1);
        bool done = false;
        if (group == "fq") done = field_op<Fq>(rest, r);
        if (group == "fr") {
            if (rest == "from_mont") {
                std::cout << Io<Fr>::write(from_montgomery(Io<Fr>::read(r))) << '\n';
                done = true;
            } else {
                done = field_op<Fr>(rest, r);
            }
        }
        if (group == "fq2") done = field_op<Fq2>(rest, r);
        if (group == "g1") done = curve_op<Fq>(rest, r);
        if (group == "g2") done = curve_op<Fq2>(rest, r);
        if (group == "msm") {
            const u32 window_bits = (u32)std::stoul(r.next());
            const u32 n = (u32)std::stoul(r.next());
            if (window_bits < 2 || window_bits > msm::MAX_WINDOW_BITS) fail("window bits out of range");
            if (rest == "g1") run_msm<Fq>(window_bits, n), done = true;
            if (rest == "g2") run_msm<Fq2>(window_bits, n), done = true;
        }
        if (!done) fail("unknown request: " + line);
    }
    std::cout.flush();
    return 0;
}
