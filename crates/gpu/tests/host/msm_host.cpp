// Runs the MSM kernels' __host__ __device__ code on the CPU: the BN254 field and curve
// functions (kernels/field, kernels/curve) one operation at a time, and whole MSM launch
// schedules (crates/gpu/src/msm/schedule.rs, the sequence the CUDA backend launches):
// every buffer allocated at exactly the schedule's length, every thread of every launch
// run through the kernel's body in kernels/msm/msm.cuh, guards included.
// tests/msm_host.rs feeds it random inputs and compares every answer with arkworks and
// with the Rust reference.
//
// Protocol: one request per line on stdin, one answer line per request on stdout
// (`schedule` answers one line per read). A field element is 64 hex digits, big-endian,
// of its Montgomery representation (arkworks' internal value); an Fq2 element is c0
// then c1; an XYZZ point is X Y ZZ ZZZ; an affine point x y (the identity is 0 0).
//   fq_add a b | fq_sub a b | fq_mul a b | fq_sqr a | fq_neg a      (same for fr_)
//   fr_from_mont a                                       -> canonical integer, hex
//   fq2_add a b | fq2_sub a b | fq2_mul a b | fq2_sqr a
//   g1_add_mixed P q | g1_add P Q | g1_dbl P | g1_mul_small P k   (same for g2_)
//   sanitizers                                -> "address" (built with ASan) or "none"
//   schedule g1|g2 BUFFERS STEPS READS, then
//     BUFFERS lines "buffer WORDS zero|poisoned|bases|scalars|duplicate" (poisoned:
//     every byte 0xff, as the CUDA executor fills it),
//     one line "data ID w..." (hex words) per bases or scalars buffer,
//     STEPS lines "launch KERNEL BLOCKS THREADS ARG..." (ARG: bID or uVALUE),
//       "duplicate FROM TO" or "free ID" (the CUDA executor frees a buffer after its
//       last use; a later use is then reported),
//     READS lines "read ID"                              -> "words w..." (hex) each
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
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

// One schedule's buffers: exactly `words` words each, so AddressSanitizer reports any
// access past the length the schedule gave.
struct Buffers {
    std::vector<std::unique_ptr<u32[]>> data;
    std::vector<size_t> words;
    std::vector<bool> freed;

    u32* get(size_t id) {
        if (id >= data.size()) fail("no buffer " + std::to_string(id));
        if (freed[id]) fail("buffer " + std::to_string(id) + " is used after it was freed");
        if (!data[id]) fail("buffer " + std::to_string(id) + " is used before it is made");
        return data[id].get();
    }
};

std::vector<std::string> tokens_of(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> tokens;
    for (std::string t; in >> t;) tokens.push_back(t);
    return tokens;
}

std::string next_line(const char* what) {
    std::string line;
    if (!std::getline(std::cin, line)) fail(std::string("truncated schedule: expected ") + what);
    return line;
}

// One launch: its argument list, checked against the kernel's parameter kinds.
struct LaunchArgs {
    std::string kernel;
    std::vector<std::string> args;
    Buffers* buffers;

    void expect(const char* kinds) const {
        const std::string want(kinds);
        bool ok = want.size() == args.size();
        for (size_t i = 0; ok && i < args.size(); ++i) ok = !args[i].empty() && args[i][0] == want[i];
        if (!ok) fail(kernel + ": arguments do not match the parameter kinds " + want);
    }
    template <typename T>
    T* ptr(size_t i) const {
        return reinterpret_cast<T*>(buffers->get(std::stoul(args[i].substr(1))));
    }
    u32 word(size_t i) const { return (u32)std::stoul(args[i].substr(1)); }
};

// msm_scan_blocks on the host: the kernel's load and store phases (msm.cuh) for every
// thread, with its shared-memory Hillis-Steele scan in between; each barrier becomes
// the end of a loop over the block's threads.
void scan_blocks_host(const LaunchArgs& a, u32 blocks, u32 threads) {
    a.expect("bbu");
    if (threads != msm::SCAN_THREADS) fail("msm_scan_blocks needs exactly SCAN_THREADS threads per block");
    u32* data = a.ptr<u32>(0);
    u32* totals = a.ptr<u32>(1);
    const u32 n = a.word(2);
    std::vector<u32> items(msm::SCAN_THREADS * msm::SCAN_ITEMS), local(msm::SCAN_THREADS), sums(msm::SCAN_THREADS),
        below(msm::SCAN_THREADS);
    for (u32 block = 0; block < blocks; ++block) {
        for (u32 tid = 0; tid < threads; ++tid) {
            local[tid] = msm::scan_load(data, n, block, tid, &items[tid * msm::SCAN_ITEMS]);
            sums[tid] = local[tid];
        }
        for (u32 offset = 1; offset < threads; offset <<= 1) {
            for (u32 tid = 0; tid < threads; ++tid) below[tid] = tid >= offset ? sums[tid - offset] : 0;
            for (u32 tid = 0; tid < threads; ++tid) sums[tid] += below[tid];
        }
        for (u32 tid = 0; tid < threads; ++tid) {
            msm::scan_store(data, totals, n, block, tid, &items[tid * msm::SCAN_ITEMS], sums[tid], local[tid]);
        }
    }
}

// Runs the point kernels of group F; false if `stem` is none of them.
template <typename F>
bool point_kernel_host(const std::string& stem, const LaunchArgs& a, u32 grid_threads) {
    if (stem == "msm_accumulate_bases") {
        a.expect("bbbbbuu");
        for (u32 t = 0; t < grid_threads; ++t)
            msm::accumulate_bases_thread(t, a.ptr<const Affine<F>>(0), a.ptr<const u32>(1), a.ptr<const u32>(2),
                                         a.ptr<const u32>(3), a.ptr<Xyzz<F>>(4), a.word(5), a.word(6));
    } else if (stem == "msm_accumulate_partials") {
        a.expect("bbbbuu");
        for (u32 t = 0; t < grid_threads; ++t)
            msm::accumulate_partials_thread(t, a.ptr<const Xyzz<F>>(0), a.ptr<const u32>(1), a.ptr<const u32>(2),
                                            a.ptr<Xyzz<F>>(3), a.word(4), a.word(5));
    } else if (stem == "msm_gather_buckets") {
        a.expect("bbbu");
        for (u32 t = 0; t < grid_threads; ++t)
            msm::gather_buckets_thread(t, a.ptr<const Xyzz<F>>(0), a.ptr<const u32>(1), a.ptr<Xyzz<F>>(2), a.word(3));
    } else if (stem == "msm_suffix_sums") {
        a.expect("buu");
        for (u32 t = 0; t < grid_threads; ++t) msm::suffix_sums_thread(t, a.ptr<Xyzz<F>>(0), a.word(1), a.word(2));
    } else if (stem == "msm_weight_segments") {
        a.expect("bbuu");
        for (u32 t = 0; t < grid_threads; ++t)
            msm::weight_segments_thread(t, a.ptr<const Xyzz<F>>(0), a.ptr<Xyzz<F>>(1), a.word(2), a.word(3));
    } else if (stem == "msm_sum_groups") {
        a.expect("bbuu");
        for (u32 t = 0; t < grid_threads; ++t)
            msm::sum_groups_thread(t, a.ptr<const Xyzz<F>>(0), a.ptr<Xyzz<F>>(1), a.word(2), a.word(3));
    } else {
        return false;
    }
    return true;
}

// One launch of the schedule, every thread of the grid in turn.
void launch_host(const std::string& curve, const std::vector<std::string>& tokens, Buffers& buffers) {
    if (tokens.size() < 4) fail("launch needs KERNEL BLOCKS THREADS");
    LaunchArgs a{tokens[1], std::vector<std::string>(tokens.begin() + 4, tokens.end()), &buffers};
    const u32 blocks = (u32)std::stoul(tokens[2]), threads = (u32)std::stoul(tokens[3]);
    const u64 grid = (u64)blocks * threads;
    if (grid > 0xffffffffull) fail("grid too large for the host");
    const u32 grid_threads = (u32)grid;
    const std::string& kernel = a.kernel;
    if (kernel == "msm_count_digits") {
        a.expect("bbbuu");
        for (u32 t = 0; t < grid_threads; ++t)
            msm::count_digits_thread(t, a.ptr<const Fr>(0), a.ptr<Fr>(1), a.ptr<u32>(2), a.word(3), a.word(4));
    } else if (kernel == "msm_scatter_entries") {
        a.expect("bbbuu");
        for (u32 t = 0; t < grid_threads; ++t)
            msm::scatter_entries_thread(t, a.ptr<const Fr>(0), a.ptr<u32>(1), a.ptr<u32>(2), a.word(3), a.word(4));
    } else if (kernel == "msm_scan_blocks") {
        scan_blocks_host(a, blocks, threads);
    } else if (kernel == "msm_scan_add_block_offsets") {
        a.expect("bbu");
        for (u32 t = 0; t < grid_threads; ++t)
            msm::scan_add_block_offsets_thread(t, a.ptr<u32>(0), a.ptr<const u32>(1), a.word(2));
    } else if (kernel == "msm_count_chunks") {
        a.expect("bbu");
        for (u32 t = 0; t < grid_threads; ++t) msm::count_chunks_thread(t, a.ptr<const u32>(0), a.ptr<u32>(1), a.word(2));
    } else {
        const size_t underscore = kernel.rfind('_');
        const std::string stem = kernel.substr(0, underscore), suffix = kernel.substr(underscore + 1);
        if (suffix != curve) fail(kernel + " in a " + curve + " schedule");
        const bool done = curve == "g1" ? point_kernel_host<Fq>(stem, a, grid_threads)
                                        : point_kernel_host<Fq2>(stem, a, grid_threads);
        if (!done) fail("unknown kernel " + kernel);
    }
}

// A whole schedule: buffers, input data, steps, then the reads.
void run_schedule(const std::string& curve, size_t buffer_count, size_t step_count, size_t read_count) {
    if (curve != "g1" && curve != "g2") fail("unknown curve " + curve);
    Buffers buffers;
    std::vector<std::string> sources;
    for (size_t i = 0; i < buffer_count; ++i) {
        const auto t = tokens_of(next_line("buffer"));
        if (t.size() != 3 || t[0] != "buffer") fail("expected: buffer WORDS SOURCE");
        const size_t words = std::stoul(t[1]);
        buffers.words.push_back(words);
        buffers.freed.push_back(false);
        sources.push_back(t[2]);
        // Zeroed or poisoned like the CUDA executor's memsets; inputs are filled below;
        // duplicates are made by their step.
        buffers.data.emplace_back(t[2] == "duplicate" ? nullptr : new u32[words]());
        if (t[2] == "poisoned") std::memset(buffers.data.back().get(), 0xff, words * sizeof(u32));
    }
    for (size_t i = 0; i < buffer_count; ++i) {
        if (sources[i] != "bases" && sources[i] != "scalars") continue;
        const auto t = tokens_of(next_line("data"));
        if (t.size() < 2 || t[0] != "data" || std::stoul(t[1]) != i) fail("expected: data " + std::to_string(i));
        if (t.size() - 2 != buffers.words[i]) fail("buffer " + std::to_string(i) + ": wrong number of data words");
        for (size_t w = 0; w + 2 < t.size(); ++w) buffers.data[i][w] = (u32)std::stoul(t[w + 2], nullptr, 16);
    }
    for (size_t s = 0; s < step_count; ++s) {
        const auto t = tokens_of(next_line("step"));
        if (!t.empty() && t[0] == "launch") {
            launch_host(curve, t, buffers);
        } else if (t.size() == 3 && t[0] == "duplicate") {
            const size_t from = std::stoul(t[1]), to = std::stoul(t[2]);
            const u32* source = buffers.get(from);
            if (to >= buffer_count || buffers.data[to]) fail("duplicate into an existing buffer");
            if (buffers.words[to] != buffers.words[from]) fail("duplicate between buffers of different lengths");
            buffers.data[to].reset(new u32[buffers.words[to]]);
            std::memcpy(buffers.data[to].get(), source, buffers.words[to] * sizeof(u32));
        } else if (t.size() == 2 && t[0] == "free") {
            const size_t id = std::stoul(t[1]);
            buffers.get(id);  // fails if it was never made or is already freed
            buffers.data[id].reset();
            buffers.freed.at(id) = true;
        } else {
            fail("unknown step: " + (t.empty() ? std::string() : t[0]));
        }
    }
    for (size_t r = 0; r < read_count; ++r) {
        const auto t = tokens_of(next_line("read"));
        if (t.size() != 2 || t[0] != "read") fail("expected: read ID");
        const size_t id = std::stoul(t[1]);
        const u32* data = buffers.get(id);
        std::cout << "words";
        char hex[10];
        for (size_t w = 0; w < buffers.words[id]; ++w) {
            std::snprintf(hex, sizeof hex, " %x", data[w]);
            std::cout << hex;
        }
        std::cout << '\n';
    }
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
        if (op == "sanitizers") {
            // Whether out-of-bounds accesses abort this harness (tests rely on it).
#if defined(__SANITIZE_ADDRESS__)
            std::cout << "address\n";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
            std::cout << "address\n";
#else
            std::cout << "none\n";
#endif
#else
            std::cout << "none\n";
#endif
            done = true;
        }
        if (group == "schedule") {
            const std::string curve = r.next();
            const size_t buffers = std::stoul(r.next()), steps = std::stoul(r.next()), reads = std::stoul(r.next());
            run_schedule(curve, buffers, steps, reads);
            done = true;
        }
        if (!done) fail("unknown request: " + line);
    }
    std::cout.flush();
    return 0;
}
