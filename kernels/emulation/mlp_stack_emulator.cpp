// mlp_stack_emulator.cpp: runs the device code of kernels/mlp_stack.cu on the host, without a GPU, and
// compares it with a direct implementation of the equations of CpuEngine.roafStackForward/Infer/Backward
// (forward states and activations, inference in place, the backward sweep's d_l and dLoss/dx_0, and the
// all-layer weight and bias gradients).
//
// Same approach as recurrence_emulator.cpp (cuda_host.h): one std::thread per CUDA thread, barriers,
// warp exchange, each block's dynamic shared memory allocated with exactly the bytes MlpStackLayout
// gives (NaN-filled), under AddressSanitizer and UBSan; the L2 prefetches read their address, so a
// prefetch outside the weight tensors fails too. It checks index math, layer parities, the per-layer
// weight streaming (layer l+1 loaded during layer l), cluster scatter and barriers; not timing,
// memory ordering beyond the barriers, or registers (kernels/PTXAS.md). The real check is
// native-tests/gpu-check.sh on a GPU.
//
// Covered: widths 1-70 and 130/200 (1 to 16 lanes per weight row), ragged batches, every filter kind
// (dense and signed permutation both per layer and shared, identity with alpha = beta = 1, none),
// L in {1, 3, 50, 61}, clusters of 1, 2, 4, 8 (also blocks that own no unit), 1-3 batch rows per team.
//
// Run: bash kernels/emulation/run_mlp.sh [--quick]
#include <algorithm>
#include "cuda_host.h"

#define ROAF_EMULATION 1
#include "../mlp_stack.cu"

// ------------------------------------------------------------------------------------ layouts

struct Layout {
    int cluster, units, rows, segments, chunks, threads, teams, sharedBytes;
};

// MlpStackLayout's rules (keep in step) with the cluster size and rows forced; false when they rule it out.
static bool make_layout(bool forward, int n, int batch, bool dense, int cluster, int rows, Layout& l) {
    int length = forward || !dense ? n : 2 * n;
    int rowsPerUnit = forward && dense ? 2 : 1;
    int units = (n + cluster - 1) / cluster;
    int matRows = units * rowsPerUnit;
    int segments = 1;
    while (segments <= 16 && 4 * ROAF_MLP_CHUNKS * segments < length) segments *= 2;
    if (segments > 16) return false;
    while (segments < 16 && 8 * (2 * segments) <= length && matRows * 2 * segments <= ROAF_MLP_THREADS) segments *= 2;
    int chunks = (length + 4 * segments - 1) / (4 * segments);
    int stride = 4 * segments * chunks;
    int itemThreads = (rows * units + ROAF_MLP_ITEMS - 1) / ROAF_MLP_ITEMS;
    int threads = (std::max(matRows * segments, itemThreads) + 31) / 32 * 32;
    if (threads > ROAF_MLP_THREADS || rows > ROAF_MLP_ROWS) return false;
    long floats = forward ? 2L * rows * stride + (long)rows * matRows : 2L * rows * stride + 3L * rows * units;
    l = Layout{cluster, units, rows, segments, chunks, threads, (batch + rows - 1) / rows, (int)(4 * floats)};
    return true;
}

// Runs `body()` as the threads of every block of every team, team after team (teams are independent).
static void run_grid(const Layout& l, const std::function<void()>& body) {
    for (int team = 0; team < l.teams; team++) {
        std::barrier<> cluster(l.cluster * l.threads);
        std::vector<std::unique_ptr<std::barrier<>>> blocks;
        std::vector<std::unique_ptr<emu::Warp>> warps;
        std::vector<float*> shared;
        for (int b = 0; b < l.cluster; b++) {
            blocks.emplace_back(new std::barrier<>(l.threads));
            for (int w = 0; w < l.threads / 32; w++) warps.emplace_back(new emu::Warp(32));
            float* s = static_cast<float*>(std::aligned_alloc(16, ((size_t)l.sharedBytes + 15) / 16 * 16));
            for (int i = 0; i < l.sharedBytes / 4; i++) s[i] = NAN;
            shared.push_back(s);
        }
        std::vector<std::thread> threads;
        for (int b = 0; b < l.cluster; b++) {
            for (int t = 0; t < l.threads; t++) {
                threads.emplace_back([&, b, t] {
                    threadIdx = Dim{(unsigned)t, 0, 0};
                    blockIdx = Dim{(unsigned)(team * l.cluster + b), 0, 0};
                    blockDim = Dim{(unsigned)l.threads, 1, 1};
                    gridDim = Dim{(unsigned)(l.teams * l.cluster), 1, 1};
                    emu::ctx = emu::Context{blocks[b].get(), &cluster, warps[b * (l.threads / 32) + t / 32].get(), &shared,
                                            (unsigned)b};
                    body();
                });
            }
        }
        for (auto& th : threads) th.join();
        for (float* s : shared) std::free(s);
    }
}

#define EMU_DISPATCH(C, call)    \
    switch (C) {                 \
        case 1: call(1); break;  \
        case 2: call(2); break;  \
        case 4: call(4); break;  \
        case 8: call(8); break;  \
        default: std::abort();   \
    }

// --------------------------------------------------------------------------- the reference

static float flush(float v) { return std::fabs(v) < 1e-30f ? 0.0f : v; }

struct Problem {
    int layers, batch, n, kind;
    bool perLayer;
    float alpha, beta;
    std::vector<float> x0, w, b, o, sign, gL;
    std::vector<int> index;
    const float* oLayer(int l) const { return &o[perLayer ? (size_t)l * n * n : 0]; }
    const int* idxLayer(int l) const { return &index[perLayer ? (size_t)l * n : 0]; }
    const float* sgnLayer(int l) const { return &sign[perLayer ? (size_t)l * n : 0]; }
};

// CpuEngine.roafStackForward: x [L+1,B,N], z [L,B,N].
static void reference_forward(const Problem& q, std::vector<float>& x, std::vector<float>& z) {
    int n = q.n, B = q.batch;
    size_t plane = (size_t)B * n;
    x.assign((q.layers + 1) * plane, 0.0f);
    z.assign(q.layers * plane, 0.0f);
    std::copy(q.x0.begin(), q.x0.end(), x.begin());
    for (int l = 0; l < q.layers; l++) {
        const float* wl = &q.w[(size_t)l * n * n];
        for (int r = 0; r < B; r++) {
            const float* xp = &x[l * plane + (size_t)r * n];
            for (int j = 0; j < n; j++) {
                double a = q.b[(size_t)l * n + j], f = 0;
                for (int k = 0; k < n; k++) a += (double)wl[(size_t)j * n + k] * xp[k];
                if (q.kind == ROAF_FILTER_DENSE) {
                    for (int k = 0; k < n; k++) f += (double)q.oLayer(l)[(size_t)j * n + k] * xp[k];
                    f *= q.alpha;
                } else if (q.kind == ROAF_FILTER_PERM) {
                    f = (double)q.alpha * q.sgnLayer(l)[j] * xp[q.idxLayer(l)[j]];
                } else if (q.kind == ROAF_FILTER_IDENTITY) {
                    f = (double)q.alpha * xp[j];
                }
                float zv = (float)std::tanh(a);
                z[l * plane + (size_t)r * n + j] = zv;
                x[(l + 1) * plane + (size_t)r * n + j] = flush((float)(f + (double)q.beta * zv));
            }
        }
    }
}

// CpuEngine.roafStackBackward: z becomes d, g becomes dLoss/dx_0, dw and db from d and x.
static void reference_backward(const Problem& q, const std::vector<float>& x, std::vector<float>& z, std::vector<float>& g,
                               std::vector<float>& dw, std::vector<float>& db) {
    int n = q.n, B = q.batch;
    size_t plane = (size_t)B * n;
    g = q.gL;
    std::vector<float> next(plane);
    for (int l = q.layers - 1; l >= 0; l--) {
        const float* wl = &q.w[(size_t)l * n * n];
        for (size_t i = 0; i < plane; i++) {
            float zv = z[l * plane + i];
            z[l * plane + i] = flush(q.beta * (1.0f - zv * zv) * g[i]);
        }
        for (int r = 0; r < B; r++) {
            const float* d = &z[l * plane + (size_t)r * n];
            const float* gb = &g[(size_t)r * n];
            std::vector<double> acc(n, 0.0);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    acc[i] += (double)d[j] * wl[(size_t)j * n + i];
                    if (q.kind == ROAF_FILTER_DENSE) acc[i] += (double)q.alpha * gb[j] * q.oLayer(l)[(size_t)j * n + i];
                }
            }
            if (q.kind == ROAF_FILTER_PERM) {
                for (int j = 0; j < n; j++) acc[q.idxLayer(l)[j]] += (double)q.alpha * q.sgnLayer(l)[j] * gb[j];
            } else if (q.kind == ROAF_FILTER_IDENTITY) {
                for (int i = 0; i < n; i++) acc[i] += (double)q.alpha * gb[i];
            }
            for (int i = 0; i < n; i++) next[(size_t)r * n + i] = flush((float)acc[i]);
        }
        g.swap(next);
    }
    dw.assign((size_t)q.layers * n * n, 0.0f);
    db.assign((size_t)q.layers * n, 0.0f);
    for (int l = 0; l < q.layers; l++) {
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int r = 0; r < B; r++) s += z[l * plane + (size_t)r * n + i];
            db[(size_t)l * n + i] = (float)s;
            for (int k = 0; k < n; k++) {
                double a = 0;
                for (int r = 0; r < B; r++) a += (double)z[l * plane + (size_t)r * n + i] * x[l * plane + (size_t)r * n + k];
                dw[((size_t)l * n + i) * n + k] = (float)a;
            }
        }
    }
}

// ------------------------------------------------------------------------------------ the check

static int failures = 0, checks = 0;

static void compare(const std::string& what, const std::vector<float>& ref, const std::vector<float>& out) {
    checks++;
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size(); i++) {
        if (std::isnan(out[i]) || std::isinf(out[i])) {
            std::printf("FAIL %s: element %zu is %g (reference %g)\n", what.c_str(), i, out[i], ref[i]);
            failures++;
            return;
        }
        double d = (double)out[i] - ref[i];
        num += d * d;
        den += (double)ref[i] * ref[i];
    }
    double rel = den == 0 ? std::sqrt(num) : std::sqrt(num / den);
    if (!(rel < 1e-5)) {
        std::printf("FAIL %s: relative error %g\n", what.c_str(), rel);
        failures++;
    }
}

static const char* KIND_NAMES[] = {"none", "identity", "dense", "permutation"};

static void check(int layers, int batch, int n, int kind, bool perLayer, int cluster, int rows, bool gradients,
                  std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto fill = [&](std::vector<float>& v, size_t count, float scale) {
        v.resize(count);
        for (float& e : v) e = u(rng) * scale;
    };
    Problem q;
    q.layers = layers;
    q.batch = batch;
    q.n = n;
    q.kind = kind;
    q.perLayer = perLayer;
    // Residual MLP: identity with alpha = beta = 1 (small weights keep 50+ layers bounded); plain MLP: beta 1.
    q.alpha = kind == ROAF_FILTER_NONE ? 0.0f : kind == ROAF_FILTER_IDENTITY ? 1.0f : 0.9f;
    q.beta = kind == ROAF_FILTER_NONE || kind == ROAF_FILTER_IDENTITY ? 1.0f : 0.3f;
    float wScale = kind == ROAF_FILTER_IDENTITY ? 0.2f : 1.2f;
    size_t plane = (size_t)batch * n;
    int filters = perLayer ? layers : 1;
    fill(q.x0, plane, 1.0f);
    fill(q.w, (size_t)layers * n * n, wScale / std::sqrt((float)n));
    fill(q.b, (size_t)layers * n, 0.3f);
    fill(q.o, (size_t)filters * n * n, 1.0f / std::sqrt((float)n));
    fill(q.gL, plane, 1.0f);
    q.index.resize((size_t)filters * n);
    q.sign.resize((size_t)filters * n);
    for (int f = 0; f < filters; f++) {
        int* ix = &q.index[(size_t)f * n];
        for (int i = 0; i < n; i++) ix[i] = i;
        std::shuffle(ix, ix + n, rng);
        for (int i = 0; i < n; i++) q.sign[(size_t)f * n + i] = (rng() & 1) ? 1.0f : -1.0f;
    }
    bool dense = kind == ROAF_FILTER_DENSE;
    // Exactly-sized copies of the operands the kernel may read, so ASan catches a read past them.
    std::vector<float> oExact = dense ? q.o : std::vector<float>();
    std::vector<int> idxExact = kind == ROAF_FILTER_PERM ? q.index : std::vector<int>();
    std::vector<float> sgnExact = kind == ROAF_FILTER_PERM ? q.sign : std::vector<float>();
    const float* oPtr = dense ? oExact.data() : nullptr;
    const int* idxPtr = kind == ROAF_FILTER_PERM ? idxExact.data() : nullptr;
    const float* sgnPtr = kind == ROAF_FILTER_PERM ? sgnExact.data() : nullptr;
    int fpl = perLayer ? 1 : 0;
    char label[200];
    std::snprintf(label, sizeof label, "L=%d B=%d N=%d filter=%s%s cluster=%d rows=%d", layers, batch, n, KIND_NAMES[kind],
                  kind == ROAF_FILTER_DENSE || kind == ROAF_FILTER_PERM ? (perLayer ? " per-layer" : " shared") : "", cluster,
                  rows);

    std::vector<float> xRef, zRef;
    reference_forward(q, xRef, zRef);
    Layout lf;
    if (make_layout(true, n, batch, dense, cluster, rows, lf)) {
        std::vector<float> x((layers + 1) * plane, NAN), z(layers * plane, NAN);
        std::copy(q.x0.begin(), q.x0.end(), x.begin());
#define EMU_FORWARD(C)                                                                                            \
    run_grid(lf, [&] {                                                                                            \
        mlp_stack_forward<C>((*emu::ctx.shared)[emu::ctx.rank], x.data(), q.w.data(), q.b.data(), oPtr, idxPtr,  \
                             sgnPtr, fpl, z.data(), 1, layers, batch, n, kind, q.alpha, q.beta, lf.units, lf.rows, \
                             lf.segments, lf.chunks);                                                             \
    })
        EMU_DISPATCH(cluster, EMU_FORWARD)
        compare(std::string(label) + " forward x", xRef, x);
        compare(std::string(label) + " forward z", zRef, z);
        // Inference: x_0 in, x_L out, in place.
        std::vector<float> xi = q.x0;
#define EMU_INFER(C)                                                                                             \
    run_grid(lf, [&] {                                                                                           \
        mlp_stack_forward<C>((*emu::ctx.shared)[emu::ctx.rank], xi.data(), q.w.data(), q.b.data(), oPtr, idxPtr, \
                             sgnPtr, fpl, nullptr, 0, layers, batch, n, kind, q.alpha, q.beta, lf.units, lf.rows, \
                             lf.segments, lf.chunks);                                                            \
    })
        EMU_DISPATCH(cluster, EMU_INFER)
        std::vector<float> lastRef(xRef.end() - plane, xRef.end());
        compare(std::string(label) + " infer x_L", lastRef, xi);
    }
    Layout lb;
    if (make_layout(false, n, batch, dense, cluster, rows, lb)) {
        std::vector<float> zr = zRef, gRef, dwRef, dbRef;
        reference_backward(q, xRef, zr, gRef, dwRef, dbRef);
        std::vector<float> z = zRef, g = q.gL;
#define EMU_BACKWARD(C)                                                                                           \
    run_grid(lb, [&] {                                                                                            \
        mlp_stack_backward<C>((*emu::ctx.shared)[emu::ctx.rank], q.w.data(), oPtr, idxPtr, sgnPtr, fpl, z.data(), \
                              g.data(), layers, batch, n, kind, q.alpha, q.beta, lb.units, lb.rows, lb.segments,  \
                              lb.chunks);                                                                         \
    })
        EMU_DISPATCH(cluster, EMU_BACKWARD)
        compare(std::string(label) + " backward d (in z)", zr, z);
        compare(std::string(label) + " backward dLoss/dx_0", gRef, g);
        if (gradients) {
            // All layers' dW and db in one launch each; grid.y smaller than L exercises the layer stride.
            std::vector<float> dw((size_t)layers * n * n, NAN), db((size_t)layers * n, NAN);
            int tiles = (n + ROAF_MLP_GRAD_TILE - 1) / ROAF_MLP_GRAD_TILE;
            int gy = std::min(layers, 2);
            // The blocks run one after another, so one pair of static-shared-memory tiles (NaN-filled) serves all.
            struct Tiles {
                float d[ROAF_MLP_GRAD_K][ROAF_MLP_GRAD_TILE], x[ROAF_MLP_GRAD_K][ROAF_MLP_GRAD_TILE];
            };
            auto shared = std::make_unique<Tiles>();
            std::fill(&shared->d[0][0], &shared->d[0][0] + 2 * ROAF_MLP_GRAD_K * ROAF_MLP_GRAD_TILE, NAN);
            emu::run_blocks(Dim{(unsigned)(tiles * tiles), (unsigned)gy, 1}, Dim{256, 1, 1},
                       [&] { mlp_weight_grads(z.data(), xRef.data(), dw.data(), layers, batch, n, shared->d, shared->x); });
            emu::run_blocks(Dim{3, 1, 1}, Dim{ROAF_BLOCK, 1, 1}, [&] { mlp_bias_grads(z.data(), db.data(), layers, batch, n); });
            compare(std::string(label) + " dW (all layers)", dwRef, dw);
            compare(std::string(label) + " db (all layers)", dbRef, db);
        }
    }
}

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    std::mt19937 rng(20260301u);
    // Shallow stacks, all layouts: widths with 1-16 lanes per weight row (ragged), each with a ragged batch
    // (one batch per width keeps the run to a few minutes on 2 cores), every filter kind (dense and
    // permutation per layer and shared), clusters 1-8, 1 and 3 rows per team.
    std::vector<std::pair<int, int>> shapes = quick ? std::vector<std::pair<int, int>>{{5, 3}, {37, 3}}
                                                    : std::vector<std::pair<int, int>>{{1, 1}, {5, 7}, {13, 4}, {37, 3}, {70, 5}};
    for (auto [n, batch] : shapes) {
        for (int kind = 0; kind < 4; kind++) {
            for (bool perLayer : {true, false}) {
                if (!perLayer && (kind == ROAF_FILTER_NONE || kind == ROAF_FILTER_IDENTITY)) continue;
                for (int cluster : {1, 2, 4, 8}) {
                    for (int rows : {1, 3}) {
                        int layers = (cluster + rows + n) % 2 == 0 ? 3 : 1;
                        check(layers, batch, n, kind, perLayer, cluster, rows, cluster == 1 || cluster == 8, rng);
                    }
                }
            }
        }
    }
    // Deep stacks (50+ layers: the weight stream, L2 prefetch distance and parities over many layers).
    for (int kind = 0; kind < 4; kind++) {
        for (bool perLayer : {true, false}) {
            if (!perLayer && (kind == ROAF_FILTER_NONE || kind == ROAF_FILTER_IDENTITY)) continue;
            check(quick ? 50 : 61, 5, 19, kind, perLayer, 2, 3, true, rng);
            if (!quick) check(50, 3, 8, kind, perLayer, 1, 2, true, rng);
        }
    }
    // Wide rows: 8 and 16 lanes per row (N = 130: forward and permutation rows of 130, dense backward 260;
    // N = 200 dense backward rows of 400 floats over 16 lanes); dW tiles beyond the first 64 x 64.
    for (int n : {130, 200}) {
        for (int kind : {ROAF_FILTER_DENSE, ROAF_FILTER_PERM}) {
            check(2, 2, n, kind, true, 8, 1, !quick, rng);
        }
    }
    // The 50,000-layer benchmark's layout (N = 128: clusters of 8, 8 rows per team, 16 lanes of 2 float4 per row), the
    // one roaf_mlp_stack_*_fixed_x8 compiles in; a ragged second team (B = 11).
    for (int kind : {ROAF_FILTER_PERM, ROAF_FILTER_NONE}) {
        if (quick && kind == ROAF_FILTER_NONE) continue;
        check(3, 11, 128, kind, true, 8, 8, false, rng);
    }
    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
