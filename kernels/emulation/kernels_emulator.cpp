// kernels_emulator.cpp: runs the device code of the per-step kernels (gemm.cu, roaf_layer.cu, lstm.cu,
// loss.cu, optim.cu, elementwise.cu) on the host, without a GPU, and compares every kernel with a
// float64 implementation of the equation it serves (the operations of CpuEngine).
//
// Why: those kernels are what every operation falls back to where the persistent and fused kernels do
// not cover a shape, and the own GEMM is what every product uses on a machine where libcublas.so.12
// does not load (the lent H100s have CUDA 13 only). A wrong tile index, a missed bounds check, a
// grid-stride loop that skips the tail or a block reduction that drops a warp would otherwise show up
// first on a GPU. Same approach as recurrence_emulator.cpp (cuda_host.h): one std::thread per CUDA
// thread, __syncthreads as a barrier, warp shuffles through a per-warp exchange. Blocks run one after
// the other, so a function-static array stands for a block's static __shared__ memory. Grids and blocks
// are those CudaEngine launches (launch1d's blocks(work, cap), ownGemm's tile choice, sumRowsRaw's
// chunks), plus grids capped far below the work so that every grid-stride loop wraps. Outputs are
// poisoned with NaN first; memory just past every output holds a sentinel that must survive.
//
// Run: bash kernels/emulation/run_kernels.sh [--quick]   (g++ with C++20, AddressSanitizer and UBSan)
#include <algorithm>
#include <cstring>
#include "cuda_host.h"

// Blocks run one at a time (emu::run_blocks, cuda_host.h), so one static array per kernel is exactly one block's
// static shared memory. The persistent kernels' emulators keep cuda_host.h's own definition.
#undef __shared__
#define __shared__ static

inline int atomicExch(int* p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
using std::isnan;

#define ROAF_EMULATION 1
#include "../elementwise.cu"
#include "../gemm.cu"
#include "../loss.cu"
#include "../lstm.cu"
#include "../optim.cu"
#include "../roaf_layer.cu"

// -------------------------------------------------------------------------------------- grids

static const unsigned BLOCK = ROAF_BLOCK;

// CudaEngine.blocks(work, max): enough blocks of 256 for the work, at most `cap`.
static unsigned blocks(long long work, long long cap) {
    return (unsigned)std::max(1LL, std::min(cap, (work + BLOCK - 1) / BLOCK));
}

// The grids a one-dimensional kernel is checked with: CudaEngine's (cap 4096 or 1024) and a cap of 2,
// which makes every thread of a larger problem go round the grid-stride loop.
static std::vector<unsigned> grids(long long work, long long cap) {
    std::vector<unsigned> g{blocks(work, cap)};
    if (blocks(work, 2) != g[0]) g.push_back(blocks(work, 2));
    return g;
}

// --------------------------------------------------------------------------------- checking

static int checks = 0, failures = 0;
static const float SENTINEL = 12345.5f;

// A float buffer of `n` values followed by 8 sentinels (an output must not write past its end).
struct Buffer {
    std::vector<float> v;
    size_t n;
    explicit Buffer(size_t count, float fill = NAN) : v(count + 8, SENTINEL), n(count) {
        std::fill(v.begin(), v.begin() + count, fill);
    }
    float* data() { return v.data(); }
    float& operator[](size_t i) { return v[i]; }
    bool tailIntact() const {
        for (size_t i = n; i < v.size(); i++)
            if (v[i] != SENTINEL) return false;
        return true;
    }
};

// got against ref: ||got - ref|| / max(||ref||, 1e-30) <= tol, every value finite where ref is, and
// every |got_i - ref_i| <= tol * (|ref_i| + scale) with scale the largest |ref| (no element hides in the norm).
static void compare(const std::string& what, const float* got, const std::vector<double>& ref, double tol) {
    checks++;
    double num = 0, den = 0, scale = 0;
    for (double r : ref)
        if (std::isfinite(r)) scale = std::max(scale, std::fabs(r));
    size_t bad = ref.size();
    for (size_t i = 0; i < ref.size(); i++) {
        if (!std::isfinite(ref[i])) {  // a NaN reference (a NaN input row) must give NaN, and counts nowhere else
            if (std::isnan(ref[i]) != std::isnan(got[i]) && bad == ref.size()) bad = i;
            continue;
        }
        double d = (double)got[i] - ref[i];
        num += d * d;
        den += ref[i] * ref[i];
        if (!std::isfinite(got[i]) || std::fabs(d) > tol * (std::fabs(ref[i]) + scale)) {
            if (bad == ref.size()) bad = i;
        }
    }
    double rel = std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
    if (bad != ref.size() || !(rel <= tol || (den == 0 && num == 0))) {
        failures++;
        if (bad != ref.size()) {
            std::printf("FAIL %s: element %zu is %.9g, expected %.9g (relative error %.3g)\n", what.c_str(), bad,
                        (double)got[bad], ref[bad], rel);
        } else {
            std::printf("FAIL %s: relative error %.3g > %.1g\n", what.c_str(), rel, tol);
        }
    }
}

static void expect(const std::string& what, bool ok) {
    checks++;
    if (!ok) {
        failures++;
        std::printf("FAIL %s\n", what.c_str());
    }
}

static std::mt19937 rng(20261128u);

static std::vector<float> randoms(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return v;
}

static double flushd(double v) { return std::fabs(v) < 1e-30 ? 0.0 : v; }
static double sigmoidd(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// -------------------------------------------------------------------------------------- GEMM

// C's starting value for a GEMM check: c0 (NaN where beta == 0, so that reading C shows), and -7 in the padding
// columns past N of each row (they must survive).
static void fill_gemm_c(Buffer& c, const std::vector<float>& c0, int m, int n, int ldc, float beta) {
    for (size_t i = 0; i < c.n; i++) c[i] = beta == 0.0f ? NAN : c0[i];
    for (int r = 0; r < m; r++)
        for (int j = n; j < ldc; j++) c[(size_t)r * ldc + j] = -7.0f;
}

// alpha op(A) op(B) + beta c0 in float64, M x N packed.
static std::vector<double> gemm_reference(int m, int n, int k, bool tA, bool tB, const float* a, int lda, const float* b,
                                          int ldb, float alpha, float beta, const std::vector<float>& c0, int ldc) {
    std::vector<double> ref((size_t)m * n);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int q = 0; q < k; q++) {
                double av = tA ? a[(size_t)q * lda + i] : a[(size_t)i * lda + q];
                double bv = tB ? b[(size_t)j * ldb + q] : b[(size_t)q * ldb + j];
                s += av * bv;
            }
            ref[(size_t)i * n + j] = alpha * s + (beta == 0.0f ? 0.0 : (double)beta * c0[(size_t)i * ldc + j]);
        }
    }
    return ref;
}

// One GEMM check's inputs: A and B with row strides longer than their rows, C's starting values (C itself is
// `c`, filled by fill_gemm_c) and the float64 reference of alpha op(A) op(B) + beta C.
struct GemmCase {
    int lda, ldb, ldc;
    std::vector<float> a, b, c0;
    Buffer c;
    float alpha = 0.75f;
    std::vector<double> ref;
    GemmCase(int m, int n, int k, bool tA, bool tB, float beta)
        : lda((tA ? m : k) + 3), ldb((tB ? k : n) + 1), ldc(n + 2), a(randoms((size_t)(tA ? k : m) * lda)),
          b(randoms((size_t)(tB ? n : k) * ldb)), c((size_t)m * ldc) {
        c0 = randoms((size_t)m * ldc);
        fill_gemm_c(c, c0, m, n, ldc, beta);
        ref = gemm_reference(m, n, k, tA, tB, a.data(), lda, b.data(), ldb, alpha, beta, c0, ldc);
    }
};

// The checks every GEMM kernel's output gets: C against the reference, C's padding columns and the memory after C
// untouched, and (split products) nothing written past the partial sums.
static void check_gemm_output(const char* what, GemmCase& g, int m, int n, bool partialIntact) {
    std::vector<float> packed((size_t)m * n);
    bool padding = g.c.tailIntact();
    for (int r = 0; r < m; r++) {
        for (int j = 0; j < g.ldc; j++) {
            float v = g.c[(size_t)r * g.ldc + j];
            if (j < n) packed[(size_t)r * n + j] = v;
            else padding &= v == -7.0f;
        }
    }
    compare(what, packed.data(), g.ref, 2e-6);
    expect(std::string(what) + ": C's padding and the memory after C untouched", padding);
    expect(std::string(what) + ": nothing written past the partial sums", partialIntact);
}

// C = alpha op(A) op(B) + beta C for every transpose, both tile shapes, ragged shapes, row strides
// longer than the rows, and beta = 0 with NaN in C (which must not be read). Elements of C's padding
// columns must keep their value.
// With kSlice > 0 the product is split along K (roaf_splitk_gemm_*: slices of kSlice, the last one
// ragged, into a partial buffer) and summed by roaf_splitk_reduce, as CudaEngine.ownGemm does.
static void check_gemm(int m, int n, int k, bool tA, bool tB, bool big, float beta, int kSlice = 0) {
    GemmCase g(m, n, k, tA, tB, beta);
    const float* a = g.a.data();
    const float* b = g.b.data();
    float* c = g.c.data();
    int lda = g.lda, ldb = g.ldb, ldc = g.ldc;
    float alpha = g.alpha;
    int tile = big ? 128 : 32;
    Dim grid{(unsigned)((n + tile - 1) / tile), (unsigned)((m + tile - 1) / tile), 1};
    auto kernel = big ? (tA ? (tB ? roaf_gemm_tt : roaf_gemm_tn) : (tB ? roaf_gemm_nt : roaf_gemm_nn))
                      : (tA ? (tB ? roaf_gemm_small_tt : roaf_gemm_small_tn) : (tB ? roaf_gemm_small_nt : roaf_gemm_small_nn));
    int splits = kSlice > 0 ? (k + kSlice - 1) / kSlice : 0;
    bool partialIntact = true;
    if (kSlice == 0) {
        emu::run_blocks(grid, Dim{256, 1, 1}, [&] { kernel(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); });
    } else {
        // split kernels exist for an untransposed B only (kernels/gemm.cu)
        auto split = big ? (tA ? roaf_splitk_gemm_tn : roaf_splitk_gemm_nn) : (tA ? roaf_splitk_gemm_small_tn : roaf_splitk_gemm_small_nn);
        Buffer partial((size_t)splits * m * n);
        for (size_t i = 0; i < partial.n; i++) partial[i] = NAN;  // every element must be written before the sum
        grid.y *= (unsigned)splits;
        emu::run_blocks(grid, Dim{256, 1, 1}, [&] { split(m, n, k, kSlice, a, lda, b, ldb, partial.data()); });
        partialIntact = partial.tailIntact();
        unsigned reduceGrid = (unsigned)std::min<long long>(3, ((long long)m * n + 255) / 256);
        emu::run_blocks(Dim{reduceGrid, 1, 1}, Dim{256, 1, 1},
                        [&] { roaf_splitk_reduce(partial.data(), splits, m, n, alpha, beta, c, ldc); });
    }
    char what[160];
    std::snprintf(what, sizeof what, "gemm%s%s_%c%c m=%d n=%d k=%d beta=%g kSlice=%d", kSlice > 0 ? "_splitk" : "",
                  big ? "" : "_small", tA ? 't' : 'n', tB ? 't' : 'n', m, n, k, beta, kSlice);
    check_gemm_output(what, g, m, n, partialIntact);
}

// The opt-in thin products (kernels/gemm.cu, roaf_thin_*), against the float64 reference. kSlice == 0: roaf_thin_k_gemm_*
// (K <= 16) over `grid` blocks of 256 (CudaEngine's launch1d grid, or a capped one whose threads wrap); kSlice > 0:
// roaf_thin_n_splitk_gemm_tn (A^T B, N <= 16) over slices of kSlice (the last one ragged) and roaf_splitk_reduce, as
// CudaEngine.ownGemm runs them. Row strides longer than the rows; C's padding and the memory after C must survive.
static void check_thin(int m, int n, int k, bool tA, bool tB, float beta, int kSlice, unsigned grid) {
    GemmCase g(m, n, k, tA, tB, beta);
    const float* a = g.a.data();
    const float* b = g.b.data();
    float* c = g.c.data();
    int lda = g.lda, ldb = g.ldb, ldc = g.ldc;
    float alpha = g.alpha;
    bool partialIntact = true;
    if (kSlice == 0) {
        auto kernel = tA ? (tB ? roaf_thin_k_gemm_tt : roaf_thin_k_gemm_tn) : (tB ? roaf_thin_k_gemm_nt : roaf_thin_k_gemm_nn);
        emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1},
                        [&] { kernel(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); });
    } else {
        int splits = (k + kSlice - 1) / kSlice;
        Buffer partial((size_t)splits * m * n);
        for (size_t i = 0; i < partial.n; i++) partial[i] = NAN;  // every element must be written before the sum
        emu::run_blocks(Dim{(unsigned)((m + ROAF_THIN_ROWS - 1) / ROAF_THIN_ROWS), (unsigned)splits, 1},
                        Dim{ROAF_THIN_ROWS * ROAF_THIN_STREAMS, 1, 1},
                        [&] { roaf_thin_n_splitk_gemm_tn(m, n, k, kSlice, a, lda, b, ldb, partial.data()); });
        partialIntact = partial.tailIntact();
        emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1},
                        [&] { roaf_splitk_reduce(partial.data(), splits, m, n, alpha, beta, c, ldc); });
    }
    char what[160];
    std::snprintf(what, sizeof what, "%s_%c%c m=%d n=%d k=%d beta=%g kSlice=%d grid=%u",
                  kSlice > 0 ? "roaf_thin_n_splitk_gemm" : "roaf_thin_k_gemm", tA ? 't' : 'n', tB ? 't' : 'n', m, n, k, beta,
                  kSlice, grid);
    check_gemm_output(what, g, m, n, partialIntact);
}

// roaf_gemm2_{nn,..} (the opt-in 128 x 128 tile with float4 reads and double buffering) against the float64 reference
// AND bit for bit against roaf_gemm_{nn,..}, whose every element it must reproduce exactly (same fmaf chain over k).
// `pad` lengthens the stored rows (0 with row lengths a multiple of 4: the float4 global loads), `offset` shifts A's
// and B's first element by that many floats (1: misaligned, so the scalar loads).
static void check_gemm2(int m, int n, int k, bool tA, bool tB, float beta, int pad, int offset) {
    int aRows = tA ? k : m, aCols = tA ? m : k, bRows = tB ? n : k, bCols = tB ? k : n;
    int lda = aCols + pad, ldb = bCols + pad, ldc = n + 2;
    std::vector<float> aStore = randoms((size_t)aRows * lda + offset + 4), bStore = randoms((size_t)bRows * ldb + offset + 4);
    const float* a = aStore.data() + offset;
    const float* b = bStore.data() + offset;
    std::vector<float> c0 = randoms((size_t)m * ldc);
    Buffer c1((size_t)m * ldc), c2((size_t)m * ldc);
    fill_gemm_c(c1, c0, m, n, ldc, beta);
    fill_gemm_c(c2, c0, m, n, ldc, beta);
    float alpha = 0.75f;
    std::vector<double> ref = gemm_reference(m, n, k, tA, tB, a, lda, b, ldb, alpha, beta, c0, ldc);
    Dim grid{(unsigned)((n + 127) / 128), (unsigned)((m + 127) / 128), 1};
    auto old = tA ? (tB ? roaf_gemm_tt : roaf_gemm_tn) : (tB ? roaf_gemm_nt : roaf_gemm_nn);
    auto fast = tA ? roaf_gemm2_tn : (tB ? roaf_gemm2_nt : roaf_gemm2_nn);  // no tt variant: the engine never asks for it
    emu::run_blocks(grid, Dim{256, 1, 1}, [&] { old(m, n, k, alpha, a, lda, b, ldb, beta, c1.data(), ldc); });
    emu::run_blocks(grid, Dim{256, 1, 1}, [&] { fast(m, n, k, alpha, a, lda, b, ldb, beta, c2.data(), ldc); });
    std::vector<float> packed((size_t)m * n);
    bool padding = c2.tailIntact(), same = true;
    for (int r = 0; r < m; r++) {
        for (int j = 0; j < ldc; j++) {
            size_t i = (size_t)r * ldc + j;
            same &= std::memcmp(&c1[i], &c2[i], sizeof(float)) == 0;
            if (j < n) packed[(size_t)r * n + j] = c2[i];
            else padding &= c2[i] == -7.0f;
        }
    }
    char what[160];
    std::snprintf(what, sizeof what, "gemm2_%c%c m=%d n=%d k=%d beta=%g pad=%d offset=%d", tA ? 't' : 'n', tB ? 't' : 'n', m, n,
                  k, beta, pad, offset);
    compare(what, packed.data(), ref, 2e-6);
    expect(std::string(what) + ": bit for bit the result of roaf_gemm_" + (tA ? "t" : "n") + (tB ? "t" : "n"), same);
    expect(std::string(what) + ": C's padding and the memory after C untouched", padding);
}

// ------------------------------------------------------------------------------- ROAF layer

struct Filter {
    int kind;
    std::vector<int> index;
    std::vector<float> sign;
};

static Filter make_filter(int kind, int n) {
    Filter f{kind, {}, {}};
    if (kind == ROAF_FILTER_PERM) {
        f.index.resize(n);
        for (int j = 0; j < n; j++) f.index[j] = j;
        std::shuffle(f.index.begin(), f.index.end(), rng);
        for (int j = 0; j < n; j++) f.sign.push_back(rng() % 2 ? 1.0f : -1.0f);
    }
    return f;
}

// roaf_forward_epilogue: out = flush(alpha O x + beta tanh(W x + add)), z = tanh(.), with add a bias row
// (stride 0) or per-row projections (stride N), z null, separate, or aliasing ox (what the engine does
// for dense filters when z is kept).
static void check_forward_epilogue(long long rows, int n, int kind, int addStride, int zMode, unsigned grid) {
    Filter f = make_filter(kind, n);
    size_t count = (size_t)rows * n;
    std::vector<float> wx = randoms(count, -2, 2), oxv = randoms(count), xin = randoms(count);
    std::vector<float> add = randoms(addStride == 0 ? n : count);
    float alpha = 0.9f, beta = 0.3f;
    std::vector<double> outRef(count), zRef(count);
    for (long long r = 0; r < rows; r++) {
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)r * n + j;
            double zv = std::tanh((double)wx[i] + add[(size_t)addStride * r + j]);
            double fv = kind == ROAF_FILTER_DENSE      ? (double)alpha * oxv[i]
                        : kind == ROAF_FILTER_PERM     ? (double)alpha * f.sign[j] * xin[(size_t)r * n + f.index[j]]
                        : kind == ROAF_FILTER_IDENTITY ? (double)alpha * xin[i]
                                                       : 0.0;
            zRef[i] = zv;
            outRef[i] = flushd(fv + beta * zv);
        }
    }
    Buffer out(count), ox(count), z(count);
    std::copy(wx.begin(), wx.end(), out.v.begin());
    std::copy(oxv.begin(), oxv.end(), ox.v.begin());
    float* zPtr = zMode == 0 ? nullptr : zMode == 1 ? z.data() : ox.data();
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] {
        roaf_forward_epilogue(out.data(), kind == ROAF_FILTER_DENSE ? ox.data() : nullptr, xin.data(), add.data(), addStride,
                              f.index.empty() ? nullptr : f.index.data(), f.sign.empty() ? nullptr : f.sign.data(), zPtr,
                              rows, n, kind, alpha, beta);
    });
    char what[160];
    std::snprintf(what, sizeof what, "roaf_forward_epilogue rows=%lld n=%d kind=%d addStride=%d z=%s grid=%u", rows, n, kind,
                  addStride, zMode == 0 ? "null" : zMode == 1 ? "own" : "aliases ox", grid);
    compare(std::string(what) + " out", out.data(), outRef, 1e-6);
    if (zMode != 0) compare(std::string(what) + " z", zPtr, zRef, 1e-6);
    expect(std::string(what) + ": nothing written past the outputs", out.tailIntact() && z.tailIntact() && ox.tailIntact());
}

// roaf_backward_prologue (d = flush(beta (1 - z^2)(g + gExtra)) over z, gSum = g + gExtra) and
// roaf_backward_finish (gin = flush(gin + alpha O^T g) for permutation / identity, flush otherwise).
static void check_backward(long long rows, int n, int kind, bool extra, bool sum, unsigned grid) {
    Filter f = make_filter(kind, n);
    size_t count = (size_t)rows * n;
    std::vector<float> z0 = randoms(count, -0.99f, 0.99f), g = randoms(count), gx = randoms(count);
    z0[0] = 1.0f;  // d = 0 exactly where tanh saturates
    float beta = 0.25f, alpha = 0.8f;
    std::vector<double> dRef(count), sRef(count);
    for (size_t i = 0; i < count; i++) {
        double gv = extra ? (double)(g[i] + gx[i]) : g[i];  // the kernel adds in float
        sRef[i] = gv;
        dRef[i] = flushd(beta * (1.0 - (double)z0[i] * z0[i]) * gv);
    }
    Buffer z(count), gSum(count);
    std::copy(z0.begin(), z0.end(), z.v.begin());
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] {
        roaf_backward_prologue(z.data(), g.data(), extra ? gx.data() : nullptr, sum ? gSum.data() : nullptr, (long long)count,
                               beta);
    });
    char what[160];
    std::snprintf(what, sizeof what, "roaf_backward_prologue count=%zu gExtra=%d gSum=%d grid=%u", count, extra, sum, grid);
    compare(std::string(what) + " d", z.data(), dRef, 1e-6);
    if (sum) compare(std::string(what) + " gSum", gSum.data(), sRef, 1e-7);
    expect(std::string(what) + ": nothing written past the outputs", z.tailIntact() && gSum.tailIntact());

    std::vector<float> gin0 = randoms(count);
    gin0[count - 1] = 1e-31f;  // flushed to zero unless the filter adds to it
    std::vector<double> ginRef(count);
    for (long long r = 0; r < rows; r++) {
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)r * n + j;
            ginRef[i] = gin0[i];
        }
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)r * n + j;
            if (kind == ROAF_FILTER_PERM) ginRef[(size_t)r * n + f.index[j]] += (double)alpha * f.sign[j] * g[i];
            if (kind == ROAF_FILTER_IDENTITY) ginRef[i] += (double)alpha * g[i];
        }
    }
    for (double& v : ginRef) v = flushd(v);
    Buffer gin(count);
    std::copy(gin0.begin(), gin0.end(), gin.v.begin());
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] {
        roaf_backward_finish(gin.data(), g.data(), f.index.empty() ? nullptr : f.index.data(),
                             f.sign.empty() ? nullptr : f.sign.data(), rows, n, kind, alpha);
    });
    std::snprintf(what, sizeof what, "roaf_backward_finish rows=%lld n=%d kind=%d grid=%u", rows, n, kind, grid);
    compare(what, gin.data(), ginRef, 1e-6);
    expect(std::string(what) + ": nothing written past gin", gin.tailIntact());
}

// ------------------------------------------------------------------------------------- LSTM

static void check_lstm(long long rows, int n, bool carry, bool out, unsigned grid) {
    size_t plane = (size_t)rows * n, plane4 = 4 * plane;
    std::vector<float> acc0 = randoms(plane4, -2, 2), p = randoms(plane4, -2, 2), cPrev = randoms(plane, -2, 2);
    std::vector<double> gRef(plane4), cRef(plane), hRef(plane);
    for (long long r = 0; r < rows; r++) {
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)r * n + j, g0 = (size_t)r * 4 * n + j;
            double ig = sigmoidd((double)acc0[g0] + p[g0]), fg = sigmoidd((double)acc0[g0 + n] + p[g0 + n]);
            double gg = std::tanh((double)acc0[g0 + 2 * n] + p[g0 + 2 * n]), og = sigmoidd((double)acc0[g0 + 3 * n] + p[g0 + 3 * n]);
            double cv = fg * cPrev[i] + ig * gg;
            cRef[i] = cv;
            hRef[i] = og * std::tanh(cv);
            gRef[g0] = ig;
            gRef[g0 + n] = fg;
            gRef[g0 + 2 * n] = gg;
            gRef[g0 + 3 * n] = og;
        }
    }
    Buffer gates(plane4), cNext(plane), hNext(plane);
    std::copy(acc0.begin(), acc0.end(), gates.v.begin());  // the engine passes acc == gates
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] {
        roaf_lstm_cell_forward(gates.data(), p.data(), cPrev.data(), cNext.data(), hNext.data(), gates.data(), rows, n);
    });
    char what[160];
    std::snprintf(what, sizeof what, "roaf_lstm_cell_forward rows=%lld n=%d grid=%u", rows, n, grid);
    compare(std::string(what) + " gates", gates.data(), gRef, 1e-6);
    compare(std::string(what) + " c", cNext.data(), cRef, 1e-6);
    compare(std::string(what) + " h", hNext.data(), hRef, 1e-6);
    expect(std::string(what) + ": nothing written past the outputs", gates.tailIntact() && cNext.tailIntact() && hNext.tailIntact());

    // Backward from the gates just computed (as the engine stores them).
    std::vector<float> act(gates.v.begin(), gates.v.begin() + plane4), c(cNext.v.begin(), cNext.v.begin() + plane);
    std::vector<float> dh = randoms(plane), gOut = randoms(plane), dc0 = randoms(plane);
    std::vector<double> dgRef(plane4), dcRef(plane);
    for (long long r = 0; r < rows; r++) {
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)r * n + j, g0 = (size_t)r * 4 * n + j;
            double h = (carry ? (double)dh[i] : 0.0) + (out ? (double)gOut[i] : 0.0);
            double iv = act[g0], fv = act[g0 + n], gv = act[g0 + 2 * n], ov = act[g0 + 3 * n];
            double tc = std::tanh((double)c[i]);
            double dcv = dc0[i] + h * ov * (1 - tc * tc);
            dgRef[g0] = dcv * gv * iv * (1 - iv);
            dgRef[g0 + n] = dcv * cPrev[i] * fv * (1 - fv);
            dgRef[g0 + 2 * n] = dcv * iv * (1 - gv * gv);
            dgRef[g0 + 3 * n] = h * tc * ov * (1 - ov);
            dcRef[i] = dcv * fv;
        }
    }
    Buffer dc(plane);
    std::copy(dc0.begin(), dc0.end(), dc.v.begin());
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] {
        roaf_lstm_cell_backward(gates.data(), c.data(), cPrev.data(), carry ? dh.data() : nullptr, out ? gOut.data() : nullptr,
                                dc.data(), rows, n);
    });
    std::snprintf(what, sizeof what, "roaf_lstm_cell_backward rows=%lld n=%d dhCarry=%d gOut=%d grid=%u", rows, n, carry, out,
                  grid);
    compare(std::string(what) + " gate gradients", gates.data(), dgRef, 2e-6);
    compare(std::string(what) + " dc carry", dc.data(), dcRef, 2e-6);
    expect(std::string(what) + ": nothing written past the outputs", gates.tailIntact() && dc.tailIntact());
}

// ------------------------------------------------------------------------------------- losses

// Sums the per-block partials in order, as CudaEngine.sumPartials does on the host.
static double sum_partials(const std::vector<double>& partial) {
    double s = 0;
    for (double v : partial) s += v;
    return s;
}

static void check_softmax(int rows, int classes, bool alias, bool withPredictions, bool badLabel) {
    std::vector<float> logits = randoms((size_t)rows * classes, -4, 4);
    std::vector<int> labels(rows);
    for (int r = 0; r < rows; r++) labels[r] = (int)(rng() % classes);
    if (rows > 2) labels[1] = -1;  // ignored row: no loss, zero gradient
    if (rows > 3) logits[3 * classes + classes - 1] = NAN;  // a NaN row: arg-max names the NaN, the loss is NaN
    if (badLabel) labels[rows - 1] = classes + 2;
    float scale = 1.0f / rows;
    double lossRef = 0;
    std::vector<double> dRef((size_t)rows * classes);
    std::vector<int> argRef(rows);
    for (int r = 0; r < rows; r++) {
        const float* row = &logits[(size_t)r * classes];
        int arg = 0;
        double mx = -INFINITY;
        for (int j = 0; j < classes; j++) {
            if (std::isnan(row[j])) { arg = j; mx = NAN; break; }
            if (row[j] > mx) { mx = row[j]; arg = j; }
        }
        argRef[r] = arg;
        double z = 0;
        for (int j = 0; j < classes; j++) z += std::exp((double)row[j] - mx);
        double logZ = std::log(z) + mx;
        bool valid = labels[r] >= 0 && labels[r] < classes;
        if (labels[r] >= classes) lossRef += NAN;
        else if (valid) lossRef += logZ - row[labels[r]];
        for (int j = 0; j < classes; j++)
            dRef[(size_t)r * classes + j] = valid ? scale * (std::exp(row[j] - logZ) - (j == labels[r] ? 1.0 : 0.0)) : 0.0;
    }
    Buffer d((size_t)rows * classes);
    std::vector<float> in = logits;
    float* dPtr = alias ? in.data() : d.data();
    std::vector<int> pred(rows + 1, -5);
    int flag = 0;
    unsigned grid = (unsigned)((rows + BLOCK - 1) / BLOCK);
    std::vector<double> partial(grid, NAN);
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] {
        roaf_softmax_xent(in.data(), labels.data(), rows, classes, scale, dPtr, withPredictions ? pred.data() : nullptr,
                          partial.data(), &flag);
    });
    double loss = sum_partials(partial);
    char what[160];
    std::snprintf(what, sizeof what, "roaf_softmax_xent rows=%d classes=%d alias=%d predictions=%d badLabel=%d", rows, classes,
                  alias, withPredictions, badLabel);
    bool nanExpected = std::isnan(lossRef);
    expect(std::string(what) + " loss", nanExpected ? std::isnan(loss) : std::fabs(loss - lossRef) <= 1e-5 * (std::fabs(lossRef) + 1));
    expect(std::string(what) + " bad-label flag", flag == (badLabel ? classes + 3 : 0));
    compare(std::string(what) + " dLogits", dPtr, dRef, 1e-5);
    if (withPredictions) {
        bool ok = pred[rows] == -5;
        for (int r = 0; r < rows; r++) ok &= pred[r] == argRef[r];
        expect(std::string(what) + " arg-max predictions", ok);
    }
    expect(std::string(what) + ": nothing written past dLogits", d.tailIntact());
}

static void check_squared_error(long long n, bool alias, bool withGrad, unsigned grid) {
    std::vector<float> pred = randoms(n), target = randoms(n);
    float scale = 0.5f;
    double sRef = 0;
    std::vector<double> dRef(n);
    for (long long i = 0; i < n; i++) {
        double e = (double)pred[i] - target[i];
        sRef += e * e;
        dRef[i] = scale * 2 * (float)(pred[i] - target[i]);
    }
    Buffer d(n);
    std::vector<float> p = pred;
    float* dPtr = !withGrad ? nullptr : alias ? p.data() : d.data();
    std::vector<double> partial(grid, NAN);
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] { roaf_squared_error(p.data(), target.data(), n, scale, dPtr, partial.data()); });
    char what[160];
    std::snprintf(what, sizeof what, "roaf_squared_error n=%lld alias=%d grad=%d grid=%u", n, alias, withGrad, grid);
    expect(std::string(what) + " sum", std::fabs(sum_partials(partial) - sRef) <= 1e-6 * (sRef + 1));
    if (withGrad) compare(std::string(what) + " dPred", dPtr, dRef, 1e-7);
    expect(std::string(what) + ": nothing written past dPred", d.tailIntact());
}

// ------------------------------------------------------------------------------------ optimizers

// l2: torch's coupled weight_decay (g + l2 p); decoupled: AdamW's p *= 1 - lr wd (Adam only).
static void check_optim(long long n, unsigned grid, float l2, bool decoupled) {
    std::vector<float> p0 = randoms(n), g = randoms(n), v0 = randoms(n), m0 = randoms(n);
    std::vector<float> vv0 = randoms(n, 0.0f, 0.01f);
    float lr = 0.01f, mu = 0.9f;
    char what[200];
    if (!decoupled) {
        for (bool momentum : {false, true}) {
            std::vector<double> pRef(n), vRef(n);
            for (long long i = 0; i < n; i++) {
                double gi = (double)g[i] + (double)l2 * p0[i];
                double vel = momentum ? mu * (double)v0[i] + gi : gi;
                vRef[i] = vel;
                pRef[i] = p0[i] - lr * vel;
            }
            Buffer p(n), v(n);
            std::copy(p0.begin(), p0.end(), p.v.begin());
            std::copy(v0.begin(), v0.end(), v.v.begin());
            emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1},
                   [&] { roaf_sgd_step(p.data(), g.data(), momentum ? v.data() : nullptr, n, lr, mu, l2); });
            std::snprintf(what, sizeof what, "roaf_sgd_step n=%lld momentum=%d l2=%g grid=%u", n, momentum, l2, grid);
            compare(std::string(what) + " p", p.data(), pRef, 1e-6);
            if (momentum) compare(std::string(what) + " velocity", v.data(), vRef, 1e-6);
            expect(std::string(what) + ": nothing written past the outputs", p.tailIntact() && v.tailIntact());
        }
    }
    // Adam at step 3 (bias corrections and the shrink factor computed on the host in double, as CudaEngine does).
    double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    int t = 3;
    float stepSize = (float)(lr / (1 - std::pow(b1, t))), sqrtBc2 = (float)std::sqrt(1 - std::pow(b2, t));
    float coupled = decoupled ? 0.0f : l2;
    float shrink = decoupled ? (float)(1.0 - (double)lr * l2) : 1.0f;
    std::vector<double> updateRef(n), mRef(n), vRef(n);
    for (long long i = 0; i < n; i++) {
        double gi = (double)g[i] + (double)coupled * p0[i];
        double mv = b1 * m0[i] + (1 - b1) * gi, vv = b2 * vv0[i] + (1 - b2) * gi * gi;
        mRef[i] = mv;
        vRef[i] = vv;
        // p - p0
        updateRef[i] = ((double)shrink - 1.0) * p0[i] - (double)stepSize * mv / (std::sqrt(vv) / sqrtBc2 + eps);
    }
    Buffer p(n), m(n), v(n);
    std::copy(p0.begin(), p0.end(), p.v.begin());
    std::copy(m0.begin(), m0.end(), m.v.begin());
    std::copy(vv0.begin(), vv0.end(), v.v.begin());
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] {
        roaf_adam_step(p.data(), g.data(), m.data(), v.data(), n, (float)b1, (float)b2, stepSize, sqrtBc2, (float)eps,
                       coupled, shrink);
    });
    std::snprintf(what, sizeof what, "roaf_adam_step n=%lld l2=%g decoupled=%d grid=%u", n, l2, decoupled, grid);
    // Compared as updates p - p0: where v is tiny the update is large, and float rounding of m and v
    // moves p by more than 1e-6 of its own size.
    std::vector<float> update(n);
    for (long long i = 0; i < n; i++) update[i] = (float)((double)p[i] - p0[i]);
    compare(std::string(what) + " update", update.data(), updateRef, 1e-5);
    compare(std::string(what) + " m", m.data(), mRef, 1e-6);
    compare(std::string(what) + " v", v.data(), vRef, 1e-5);
    expect(std::string(what) + ": nothing written past the outputs", p.tailIntact() && m.tailIntact() && v.tailIntact());
    if (l2 == 0.0f) {
        // No weight decay must be plain Adam bit for bit: the same float arithmetic without the decay terms.
        bool same = true;
        for (long long i = 0; i < n; i++) {
            float gi = g[i];
            float mv = (float)b1 * m0[i] + (1.0f - (float)b1) * gi;
            float vv = (float)b2 * vv0[i] + (1.0f - (float)b2) * gi * gi;
            float plain = p0[i] - stepSize * mv / (std::sqrt(vv) / sqrtBc2 + (float)eps);
            same = same && plain == p[i];
        }
        expect(std::string(what) + ": without weight decay, plain Adam bit for bit", same);
    }
}

// ------------------------------------------------------------------------------------ elementwise

static void check_elementwise(long long n, unsigned grid) {
    char what[160];
    Buffer a(n);
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] { roaf_fill(a.data(), n, 0.5f); });
    std::snprintf(what, sizeof what, "roaf_fill n=%lld grid=%u", n, grid);
    compare(what, a.data(), std::vector<double>(n, 0.5), 0);
    expect(std::string(what) + ": nothing written past the end", a.tailIntact());

    std::vector<float> x = randoms(n);
    std::copy(x.begin(), x.end(), a.v.begin());
    std::vector<double> ref(n);
    for (long long i = 0; i < n; i++) ref[i] = (double)x[i] * -1.5f;
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] { roaf_scale(a.data(), n, -1.5f); });
    std::snprintf(what, sizeof what, "roaf_scale n=%lld grid=%u", n, grid);
    compare(what, a.data(), ref, 1e-7);

    double sq = 0;
    for (float v : x) sq += (double)v * v;
    std::vector<double> partial(grid, NAN);
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] { roaf_sum_squares(x.data(), n, partial.data()); });
    std::snprintf(what, sizeof what, "roaf_sum_squares n=%lld grid=%u", n, grid);
    expect(what, std::fabs(sum_partials(partial) - sq) <= 1e-12 * (sq + 1));

    // cuRAND's uniforms lie in (0, 1]; 1 maps to lo, the smallest to just below lo + width.
    std::vector<float> u = randoms(n, 0.0f, 1.0f);
    u[0] = 1.0f;
    if (n > 1) u[1] = 1.0e-9f;
    Buffer out(n);
    float lo = -0.3f, width = 0.6f;
    emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] { roaf_uniform_to_range(u.data(), out.data(), n, lo, width); });
    bool inRange = out.tailIntact() && out[0] == lo;
    std::vector<double> uref(n);
    for (long long i = 0; i < n; i++) {
        inRange &= out[i] >= lo && out[i] < lo + width;
        uref[i] = std::min((double)lo + (double)width * (1.0 - u[i]), (double)std::nextafter(lo + width, -INFINITY));
    }
    std::snprintf(what, sizeof what, "roaf_uniform_to_range n=%lld grid=%u", n, grid);
    expect(std::string(what) + ": every value in [lo, lo + width), u = 1 gives lo", inRange);
    compare(what, out.data(), uref, 1e-6);
}

// roaf_add_row_vector and the two-pass column sums (sumRows), with CudaEngine.sumRowsRaw's chunking.
static void check_rows(long long rows, int cols, float beta) {
    char what[160];
    std::vector<float> src = randoms((size_t)rows * cols), bias = randoms(cols);
    std::vector<double> ref((size_t)rows * cols);
    for (long long r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) ref[(size_t)r * cols + j] = (double)src[(size_t)r * cols + j] + bias[j];
    for (unsigned grid : grids(rows * cols, 4096)) {
        Buffer c((size_t)rows * cols);
        std::copy(src.begin(), src.end(), c.v.begin());
        emu::run_blocks(Dim{grid, 1, 1}, Dim{BLOCK, 1, 1}, [&] { roaf_add_row_vector(c.data(), bias.data(), rows, cols); });
        std::snprintf(what, sizeof what, "roaf_add_row_vector rows=%lld cols=%d grid=%u", rows, cols, grid);
        compare(what, c.data(), ref, 1e-7);
        expect(std::string(what) + ": nothing written past the end", c.tailIntact());
    }

    int chunks = (int)std::max(1LL, std::min(64LL, (rows + 255) / 256));
    long long perChunk = (rows + chunks - 1) / chunks;
    std::vector<double> partial((size_t)chunks * cols, NAN);
    emu::run_blocks(Dim{(unsigned)((cols + 31) / 32), (unsigned)chunks, 1}, Dim{32, 8, 1},
           [&] { roaf_sum_rows_partial(src.data(), rows, cols, std::max(1LL, perChunk), partial.data()); });
    std::vector<float> old = randoms(cols);
    Buffer dst(cols);
    for (int j = 0; j < cols; j++) dst[j] = beta == 0.0f ? NAN : old[j];
    emu::run_blocks(Dim{(unsigned)((cols + BLOCK - 1) / BLOCK), 1, 1}, Dim{BLOCK, 1, 1},
           [&] { roaf_sum_rows_final(partial.data(), chunks, cols, beta, dst.data()); });
    std::vector<double> sums(cols);
    for (int j = 0; j < cols; j++) {
        double s = 0;
        for (long long r = 0; r < rows; r++) s += src[(size_t)r * cols + j];
        sums[j] = (beta == 0.0f ? 0.0 : (double)beta * old[j]) + s;
    }
    std::snprintf(what, sizeof what, "roaf_sum_rows rows=%lld cols=%d chunks=%d beta=%g", rows, cols, chunks, beta);
    compare(what, dst.data(), sums, 1e-6);
    expect(std::string(what) + ": nothing written past dst", dst.tailIntact());
}

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";

    // GEMM: both tile shapes, all transposes; shapes ragged against both tiles (and K against both slices).
    std::vector<std::array<int, 3>> shapes = quick ? std::vector<std::array<int, 3>>{{33, 17, 5}, {130, 129, 19}}
                                                   : std::vector<std::array<int, 3>>{{1, 1, 1},     {33, 17, 5},  {64, 32, 16},
                                                                                     {130, 129, 19}, {5, 200, 40}, {257, 3, 33}};
    for (auto s : shapes) {
        for (int t = 0; t < 4; t++) {
            for (bool big : {false, true}) {
                for (float beta : {0.0f, 0.5f}) check_gemm(s[0], s[1], s[2], t & 2, t & 1, big, beta);
            }
        }
    }
    // The opt-in gemm2 tile: ragged and whole tiles, K shorter than, equal to and longer than a slice, aligned rows
    // (float4 loads) and misaligned ones.
    std::vector<std::array<int, 3>> shapes2 =
        quick ? std::vector<std::array<int, 3>>{{130, 129, 19}, {128, 128, 16}}
              : std::vector<std::array<int, 3>>{{1, 1, 1}, {33, 17, 5}, {128, 128, 16}, {130, 129, 19}, {5, 200, 40},
                                                {257, 3, 33}, {64, 256, 8}};
    for (auto s : shapes2) {
        for (int t = 0; t < 3; t++) {
            for (float beta : {0.0f, 0.5f}) {
                check_gemm2(s[0], s[1], s[2], t & 2, t & 1, beta, 0, 0);
                check_gemm2(s[0], s[1], s[2], t & 2, t & 1, beta, 3, 1);
                if (!quick) check_gemm2(s[0], s[1], s[2], t & 2, t & 1, beta, 4, 2);
            }
        }
    }
    // Split K: slices that divide K, a ragged last slice, one slice, and a slice of 1.
    std::vector<std::array<int, 4>> splitShapes =
        quick ? std::vector<std::array<int, 4>>{{33, 17, 301, 48}, {130, 3, 97, 32}}
              : std::vector<std::array<int, 4>>{{33, 17, 301, 48}, {130, 3, 97, 32}, {1, 129, 64, 16},
                                                {40, 40, 50, 64}, {7, 5, 9, 1}, {129, 130, 256, 64}};
    for (auto s : splitShapes) {
        for (bool tA : {false, true}) {
            for (bool big : {false, true}) {
                for (float beta : {0.0f, 0.5f}) check_gemm(s[0], s[1], s[2], tA, false, big, beta, s[3]);
            }
        }
    }

    // Thin products (opt-in): K = 1 to 16 for every transpose, with CudaEngine's grid and one that wraps; A^T B with N = 1
    // to 16 over slices that divide K, a ragged last slice, one slice, rows of C past one block of 128 and a ragged block.
    std::vector<std::array<int, 3>> thinK = quick ? std::vector<std::array<int, 3>>{{300, 130, 1}, {37, 5, 16}}
                                                  : std::vector<std::array<int, 3>>{{1, 1, 1},   {300, 130, 1}, {257, 512, 2},
                                                                                    {37, 5, 16}, {64, 10, 10},  {3, 700, 7}};
    for (auto s : thinK) {
        for (int t = 0; t < 4; t++) {
            for (unsigned grid : grids((long long)s[0] * s[1], 4096)) {
                for (float beta : {0.0f, 0.5f}) check_thin(s[0], s[1], s[2], t & 2, t & 1, beta, 0, grid);
            }
        }
    }
    std::vector<std::array<int, 4>> thinN = quick ? std::vector<std::array<int, 4>>{{130, 1, 301, 64}, {128, 16, 256, 256}}
                                                  : std::vector<std::array<int, 4>>{{130, 1, 301, 64}, {128, 16, 256, 256},
                                                                                    {1, 2, 77, 12},    {257, 10, 1000, 100},
                                                                                    {512, 1, 515, 4},  {5, 3, 9, 16}};
    for (auto s : thinN) {
        for (float beta : {0.0f, 0.5f}) {
            for (unsigned grid : grids((long long)s[0] * s[1], 4096)) check_thin(s[0], s[1], s[2], true, false, beta, s[3], grid);
        }
    }

    // Per-step ROAF kernels: every filter kind, bias row or per-row input, z null / own / aliasing ox.
    std::vector<std::pair<long long, int>> sizes = quick ? std::vector<std::pair<long long, int>>{{3, 70}}
                                                         : std::vector<std::pair<long long, int>>{{1, 1}, {3, 70}, {7, 130}};
    for (auto [rows, n] : sizes) {
        for (int kind = 0; kind < 4; kind++) {
            for (unsigned grid : grids(rows * n, 4096)) {
                for (int addStride : {0, n}) {
                    for (int zMode = 0; zMode < (kind == ROAF_FILTER_DENSE ? 3 : 2); zMode++)
                        check_forward_epilogue(rows, n, kind, addStride, zMode, grid);
                }
                for (bool extra : {false, true})
                    for (bool sum : {false, true}) check_backward(rows, n, kind, extra, sum, grid);
            }
        }
        for (unsigned grid : grids(rows * n, 4096))
            for (bool carry : {false, true})
                for (bool out : {false, true}) check_lstm(rows, n, carry, out, grid);
    }

    // Losses: rows across several blocks of 256 (block sums of 8 warps), ignored rows, a NaN row, a bad label.
    for (int rows : quick ? std::vector<int>{5, 300} : std::vector<int>{1, 5, 300, 600}) {
        for (bool alias : {false, true}) {
            check_softmax(rows, 10, alias, !alias, false);
        }
        check_softmax(rows, 3, false, true, rows > 4);
    }
    for (long long n : quick ? std::vector<long long>{1000} : std::vector<long long>{1, 255, 1000, 5000}) {
        for (unsigned grid : grids(n, 1024)) {
            check_squared_error(n, false, true, grid);
            check_squared_error(n, true, true, grid);
            check_squared_error(n, false, false, grid);
        }
    }

    // Optimizers and elementwise kernels across the grid-stride tail.
    for (long long n : quick ? std::vector<long long>{1000} : std::vector<long long>{1, 257, 1000, 5000}) {
        for (unsigned grid : grids(n, 4096)) {
            check_optim(n, grid, 0.0f, false);
            check_optim(n, grid, 0.05f, false);
            check_optim(n, grid, 0.05f, true);
        }
        for (unsigned grid : grids(n, 1024)) check_elementwise(n, grid);
    }
    for (long long rows : quick ? std::vector<long long>{300} : std::vector<long long>{1, 7, 300, 1000}) {
        for (int cols : {1, 33, 70}) {
            for (float beta : {0.0f, 0.5f}) check_rows(rows, cols, beta);
        }
    }

    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
