// recurrence_emulator.cpp: runs the device code of the persistent sweeps (kernels/recurrence.cu and the persistent
// LSTM of kernels/lstm.cu) on the host, without a GPU, and compares it with a direct implementation of the equations
// of CpuEngine.recurrenceForward/Backward and CpuEngine.lstmForward/Backward.
//
// Why: the machines that write these kernels have no GPU. This executes the kernels' own index math,
// buffer parities, cluster scatter and barriers: every CUDA thread is a std::thread, __syncthreads and
// the cluster barrier are std::barrier, warp shuffles go through a per-warp exchange with a barrier,
// and distributed shared memory is each block's own heap allocation of exactly the bytes the engine
// would pass at launch (RecurrenceLayout's formula), so AddressSanitizer catches any access outside it.
// It does not model timing, memory ordering beyond the barriers, or register limits (ptxas reports
// those: kernels/PTXAS.md); the real check is native-tests/gpu-check.sh on a GPU.
//
// Layouts: every cluster size 1, 2, 4, 8 (also where one block would do, and with blocks that own no
// unit), 1-3 batch rows per team, lanes per row (1 to 8) and float4 chunks as RecurrenceLayout computes them.
//
// Run: bash kernels/emulation/run.sh   (g++ with C++20 and -fsanitize=address,undefined)
#include <algorithm>
#include "cuda_host.h"

#define ROAF_EMULATION 1
#include "../recurrence.cu"
#include "../lstm.cu"

// ------------------------------------------------------------------------------------ layouts

struct Layout {
    int cluster, units, rows, segments, chunks, threads, teams, sharedBytes;
};

// RecurrenceLayout.choose's rules with the cluster size and rows forced (and, with `forcedSegments` > 0, the lanes per
// weight row: RecurrenceLayout.of); false when they rule the layout out. Weight rows of `length` floats, `rowsPerUnit`
// of them per unit; `unitFloats` shared floats per (row, unit) beside the vectors.
static bool layout_of(int n, int batch, int length, int rowsPerUnit, int unitFloats, int cluster, int rows, Layout& l,
                      int forcedSegments = 0) {
    int segments = 1;
    while (segments <= 8 && 4 * ROAF_REC_CHUNKS * segments < length) segments *= 2;
    if (segments > 8) return false;
    if (forcedSegments > 0) segments = forcedSegments;
    int chunks = (length + 4 * segments - 1) / (4 * segments);
    if (chunks > ROAF_REC_CHUNKS) return false;
    int stride = 4 * segments * chunks;
    int units = (n + cluster - 1) / cluster;
    int threads = (units * rowsPerUnit * segments + 31) / 32 * 32;
    if (threads > ROAF_REC_THREADS || rows > ROAF_REC_ROWS) return false;
    if ((rows * units + threads - 1) / threads > ROAF_REC_ITEMS) return false;
    long floats = 2L * rows * stride + (long)rows * units * unitFloats;
    l = Layout{cluster, units, rows, segments, chunks, threads, (batch + rows - 1) / rows, (int)(4 * floats)};
    return true;
}

// The recurrence: forward rows W's (and O's, DENSE) of length N; backward [W^T | O^T] (DENSE, 2N) or W^T.
static bool make_layout(bool forward, int n, int batch, bool dense, int cluster, int rows, Layout& l, int segments = 0) {
    int rowsPerUnit = forward && dense ? 2 : 1;
    return layout_of(n, batch, forward || !dense ? n : 2 * n, rowsPerUnit, forward ? rowsPerUnit : 3, cluster, rows, l, segments);
}

// The LSTM (RecurrenceLayout.lstmForward/lstmBackward): forward the 4 gate rows of each unit (length N), backward
// column j of W (length 4N).
static bool make_lstm_layout(bool forward, int n, int batch, int cluster, int rows, Layout& l) {
    return layout_of(n, batch, forward ? n : 4 * n, forward ? 4 : 1, forward ? 4 : 1, cluster, rows, l);
}

// Runs `body(rank)` as the threads of every block of every team, team after team (teams are independent).
static void run_grid(const Layout& l, const std::function<void()>& body) {
    for (int team = 0; team < l.teams; team++) {
        std::barrier<> cluster(l.cluster * l.threads);
        std::vector<std::unique_ptr<std::barrier<>>> blocks;
        std::vector<std::unique_ptr<emu::Warp>> warps;
        std::vector<float*> shared;
        for (int b = 0; b < l.cluster; b++) {
            blocks.emplace_back(new std::barrier<>(l.threads));
            for (int w = 0; w < l.threads / 32; w++) warps.emplace_back(new emu::Warp(32));
            // Exactly the launch's dynamic shared memory, filled with NaN (the kernels must not read it unset).
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

#define EMU_DISPATCH(C, call)                          \
    switch (C) {                                      \
        case 1: call(1); break;                       \
        case 2: call(2); break;                       \
        case 4: call(4); break;                       \
        case 8: call(8); break;                       \
        default: std::abort();                        \
    }

// --------------------------------------------------------------------------- the reference

static float flush(float v) { return std::fabs(v) < 1e-30f ? 0.0f : v; }

struct Problem {
    int steps, batch, n, kind;
    float alpha, beta;
    std::vector<float> p, w, o, sign, h0, gOutLast, gOutSteps;
    std::vector<int> index;
};

static void reference_forward(const Problem& q, std::vector<float>& h, std::vector<float>& z) {
    int n = q.n, B = q.batch;
    h.assign((size_t)(q.steps + 1) * B * n, 0.0f);
    z.assign((size_t)q.steps * B * n, 0.0f);
    std::copy(q.h0.begin(), q.h0.end(), h.begin());
    for (int t = 0; t < q.steps; t++) {
        for (int b = 0; b < B; b++) {
            const float* hp = &h[((size_t)t * B + b) * n];
            for (int j = 0; j < n; j++) {
                double a = q.p[((size_t)t * B + b) * n + j], f = 0;
                for (int k = 0; k < n; k++) a += (double)q.w[(size_t)j * n + k] * hp[k];
                if (q.kind == ROAF_FILTER_DENSE) {
                    for (int k = 0; k < n; k++) f += (double)q.o[(size_t)j * n + k] * hp[k];
                    f *= q.alpha;
                } else if (q.kind == ROAF_FILTER_PERM) {
                    f = (double)q.alpha * q.sign[j] * hp[q.index[j]];
                } else if (q.kind == ROAF_FILTER_IDENTITY) {
                    f = (double)q.alpha * hp[j];
                }
                float zv = (float)std::tanh(a);
                z[((size_t)t * B + b) * n + j] = zv;
                h[((size_t)(t + 1) * B + b) * n + j] = flush((float)(f + (double)q.beta * zv));
            }
        }
    }
}

static void reference_backward(const Problem& q, std::vector<float>& z, bool perStep, std::vector<float>& gH0) {
    int n = q.n, B = q.batch;
    std::vector<float> carry((size_t)B * n, 0.0f), g((size_t)B * n), next((size_t)B * n);
    for (int t = q.steps - 1; t >= 0; t--) {
        for (size_t i = 0; i < carry.size(); i++) {
            float extra = perStep ? q.gOutSteps[(size_t)t * B * n + i] : (t == q.steps - 1 ? q.gOutLast[i] : 0.0f);
            g[i] = carry[i] + extra;
            float zv = z[(size_t)t * B * n + i];
            z[(size_t)t * B * n + i] = flush(q.beta * (1.0f - zv * zv) * g[i]);
        }
        for (int b = 0; b < B; b++) {
            const float* d = &z[((size_t)t * B + b) * n];
            const float* gb = &g[(size_t)b * n];
            std::vector<double> acc(n, 0.0);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    acc[i] += (double)d[j] * q.w[(size_t)j * n + i];
                    if (q.kind == ROAF_FILTER_DENSE) acc[i] += (double)q.alpha * gb[j] * q.o[(size_t)j * n + i];
                }
            }
            if (q.kind == ROAF_FILTER_PERM) {
                for (int j = 0; j < n; j++) acc[q.index[j]] += (double)q.alpha * q.sign[j] * gb[j];
            } else if (q.kind == ROAF_FILTER_IDENTITY) {
                for (int i = 0; i < n; i++) acc[i] += (double)q.alpha * gb[i];
            }
            for (int i = 0; i < n; i++) next[(size_t)b * n + i] = flush((float)acc[i]);
        }
        carry.swap(next);
    }
    gH0 = carry;
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

static void check(int steps, int batch, int n, int kind, int cluster, int rows, std::mt19937& rng, int segments = 0) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto fill = [&](std::vector<float>& v, size_t count, float scale) {
        v.resize(count);
        for (float& x : v) x = u(rng) * scale;
    };
    Problem q;
    q.steps = steps;
    q.batch = batch;
    q.n = n;
    q.kind = kind;
    q.alpha = kind == ROAF_FILTER_NONE ? 0.0f : 0.9f;
    q.beta = kind == ROAF_FILTER_NONE ? 1.0f : 0.3f;
    size_t plane = (size_t)batch * n;
    fill(q.p, steps * plane, 1.0f);
    fill(q.w, (size_t)n * n, 1.2f / std::sqrt((float)n));
    fill(q.o, (size_t)n * n, 1.0f / std::sqrt((float)n));
    fill(q.h0, plane, 0.5f);
    fill(q.gOutLast, plane, 1.0f);
    fill(q.gOutSteps, steps * plane, 1.0f);
    q.index.resize(n);
    q.sign.resize(n);
    for (int i = 0; i < n; i++) q.index[i] = i;
    std::shuffle(q.index.begin(), q.index.end(), rng);
    for (int i = 0; i < n; i++) q.sign[i] = (rng() & 1) ? 1.0f : -1.0f;
    bool dense = kind == ROAF_FILTER_DENSE;
    const float* oPtr = dense ? q.o.data() : nullptr;
    const int* idxPtr = kind == ROAF_FILTER_PERM ? q.index.data() : nullptr;
    const float* sgnPtr = kind == ROAF_FILTER_PERM ? q.sign.data() : nullptr;
    char label[160];
    std::snprintf(label, sizeof label, "T=%d B=%d N=%d filter=%s cluster=%d rows=%d segments=%s", steps, batch, n,
                  KIND_NAMES[kind], cluster, rows, segments > 0 ? std::to_string(segments).c_str() : "chosen");

    std::vector<float> hRef, zRef;
    reference_forward(q, hRef, zRef);
    Layout lf;
    if (make_layout(true, n, batch, dense, cluster, rows, lf, segments)) {
        for (bool withZ : {true, false}) {
            std::vector<float> h((steps + 1) * plane, NAN), z(steps * plane, NAN);
            std::copy(q.h0.begin(), q.h0.end(), h.begin());
            float* zPtr = withZ ? z.data() : nullptr;
#define EMU_FORWARD(C)                                                                                           \
    run_grid(lf, [&] {                                                                                             \
        recurrence_forward<C>((*emu::ctx.shared)[emu::ctx.rank], q.p.data(), q.w.data(), oPtr, idxPtr, sgnPtr,   \
                              h.data(), zPtr, steps, batch, n, kind, q.alpha, q.beta, lf.units, lf.rows,         \
                              lf.segments, lf.chunks);                                                           \
    })
            EMU_DISPATCH(cluster, EMU_FORWARD)
            compare(std::string(label) + " forward h" + (withZ ? "" : " (z null)"), hRef, h);
            if (withZ) compare(std::string(label) + " forward z", zRef, z);
        }
    }
    Layout lb;
    if (make_layout(false, n, batch, dense, cluster, rows, lb, segments)) {
        for (bool perStep : {false, true}) {
            std::vector<float> zr = zRef, gRef;
            reference_backward(q, zr, perStep, gRef);
            for (bool withH0 : {true, false}) {
                std::vector<float> z = zRef, g(plane, NAN);
                const float* gOut = perStep ? q.gOutSteps.data() : q.gOutLast.data();
                float* gPtr = withH0 ? g.data() : nullptr;
#define EMU_BACKWARD(C)                                                                                          \
    run_grid(lb, [&] {                                                                                             \
        recurrence_backward<C>((*emu::ctx.shared)[emu::ctx.rank], q.w.data(), oPtr, idxPtr, sgnPtr, z.data(),   \
                               gOut, perStep ? 1 : 0, gPtr, steps, batch, n, kind, q.alpha, q.beta, lb.units,   \
                               lb.rows, lb.segments, lb.chunks);                                                 \
    })
                EMU_DISPATCH(cluster, EMU_BACKWARD)
                std::string how = std::string(label) + (perStep ? " per-step gOut" : " last-step gOut");
                compare(how + " backward d (in z)" + (withH0 ? "" : ", gH0 null"), zr, z);
                if (withH0) compare(how + " backward gH0", gRef, g);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------- LSTM

static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// CpuEngine.lstmForward: gates = act(p_t + W h_{t-1}), c_t = f c_{t-1} + i g, h_t = o tanh(c_t) (c and h flushed).
static void lstm_reference_forward(int steps, int B, int n, const std::vector<float>& p, const std::vector<float>& w,
                                   std::vector<float>& h, std::vector<float>& c, std::vector<float>& gates) {
    size_t plane = (size_t)B * n, plane4 = 4 * plane;
    gates.assign(steps * plane4, 0.0f);
    for (int t = 0; t < steps; t++) {
        for (int b = 0; b < B; b++) {
            const float* hp = &h[t * plane + (size_t)b * n];
            float* g = &gates[t * plane4 + (size_t)b * 4 * n];
            for (int k = 0; k < 4 * n; k++) {
                double a = p[t * plane4 + (size_t)b * 4 * n + k];
                for (int i = 0; i < n; i++) a += (double)w[(size_t)k * n + i] * hp[i];
                g[k] = (float)(k / n == 2 ? std::tanh(a) : sigmoid(a));
            }
            for (int j = 0; j < n; j++) {
                float cv = g[n + j] * c[t * plane + (size_t)b * n + j] + g[j] * g[2 * n + j];
                c[(t + 1) * plane + (size_t)b * n + j] = flush(cv);
                h[(t + 1) * plane + (size_t)b * n + j] = flush(g[3 * n + j] * std::tanh(cv));
            }
        }
    }
}

// CpuEngine.lstmBackward: gates (activated on entry) become dL/d(pre-activations).
static void lstm_reference_backward(int steps, int B, int n, const std::vector<float>& w, const std::vector<float>& c,
                                    std::vector<float>& gates, const std::vector<float>& gOut, bool perStep) {
    size_t plane = (size_t)B * n, plane4 = 4 * plane;
    std::vector<float> dh(plane, 0.0f), dc(plane, 0.0f);
    for (int t = steps - 1; t >= 0; t--) {
        for (int b = 0; b < B; b++) {
            float* g = &gates[t * plane4 + (size_t)b * 4 * n];
            for (int j = 0; j < n; j++) {
                size_t i = (size_t)b * n + j;
                float extra = perStep ? gOut[t * plane + i] : (t == steps - 1 ? gOut[i] : 0.0f);
                float d = dh[i] + extra;
                float iv = g[j], fv = g[n + j], gv = g[2 * n + j], ov = g[3 * n + j];
                float tcv = std::tanh(c[(t + 1) * plane + i]);
                float dcv = dc[i] + d * ov * (1.0f - tcv * tcv);
                g[j] = flush(dcv * gv * iv * (1.0f - iv));
                g[n + j] = flush(dcv * c[t * plane + i] * fv * (1.0f - fv));
                g[2 * n + j] = flush(dcv * iv * (1.0f - gv * gv));
                g[3 * n + j] = flush(d * tcv * ov * (1.0f - ov));
                dc[i] = flush(dcv * fv);
            }
            for (int j = 0; j < n; j++) {
                double a = 0;
                for (int k = 0; k < 4 * n; k++) a += (double)g[k] * w[(size_t)k * n + j];
                dh[(size_t)b * n + j] = flush((float)a);
            }
        }
    }
}

static void check_lstm(int steps, int batch, int n, int cluster, int rows, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto fill = [&](std::vector<float>& v, size_t count, float scale) {
        v.resize(count);
        for (float& x : v) x = u(rng) * scale;
    };
    size_t plane = (size_t)batch * n, plane4 = 4 * plane;
    std::vector<float> p, w, h0, c0, gOutLast, gOutSteps;
    fill(p, steps * plane4, 1.0f);
    fill(w, 4 * (size_t)n * n, 1.5f / std::sqrt((float)n));
    fill(h0, plane, 0.5f);
    fill(c0, plane, 0.5f);
    fill(gOutLast, plane, 1.0f);
    fill(gOutSteps, steps * plane, 1.0f);
    char label[160];
    std::snprintf(label, sizeof label, "lstm T=%d B=%d N=%d cluster=%d rows=%d", steps, batch, n, cluster, rows);

    std::vector<float> hRef((steps + 1) * plane, 0.0f), cRef((steps + 1) * plane, 0.0f), gRef;
    std::copy(h0.begin(), h0.end(), hRef.begin());
    std::copy(c0.begin(), c0.end(), cRef.begin());
    lstm_reference_forward(steps, batch, n, p, w, hRef, cRef, gRef);
    Layout lf;
    if (make_lstm_layout(true, n, batch, cluster, rows, lf)) {
        for (bool withGates : {true, false}) {
            std::vector<float> h((steps + 1) * plane, NAN), c((steps + 1) * plane, NAN), g(steps * plane4, NAN);
            std::copy(h0.begin(), h0.end(), h.begin());
            std::copy(c0.begin(), c0.end(), c.begin());
            float* gPtr = withGates ? g.data() : nullptr;
#define EMU_LSTM_FORWARD(C)                                                                                       \
    run_grid(lf, [&] {                                                                                             \
        lstm_forward<C>((*emu::ctx.shared)[emu::ctx.rank], p.data(), w.data(), h.data(), c.data(), gPtr, steps,  \
                        batch, n, lf.units, lf.rows, lf.segments, lf.chunks);                                     \
    })
            EMU_DISPATCH(cluster, EMU_LSTM_FORWARD)
            std::string how = std::string(label) + " forward" + (withGates ? "" : " (gates null)");
            compare(how + " h", hRef, h);
            compare(how + " c", cRef, c);
            if (withGates) compare(how + " gates", gRef, g);
        }
    }
    Layout lb;
    if (make_lstm_layout(false, n, batch, cluster, rows, lb)) {
        for (bool perStep : {false, true}) {
            const std::vector<float>& gOut = perStep ? gOutSteps : gOutLast;
            std::vector<float> dRef = gRef, d = gRef;
            lstm_reference_backward(steps, batch, n, w, cRef, dRef, gOut, perStep);
#define EMU_LSTM_BACKWARD(C)                                                                                      \
    run_grid(lb, [&] {                                                                                             \
        lstm_backward<C>((*emu::ctx.shared)[emu::ctx.rank], w.data(), cRef.data(), d.data(), gOut.data(),        \
                         perStep ? 1 : 0, steps, batch, n, lb.units, lb.rows, lb.segments, lb.chunks);            \
    })
            EMU_DISPATCH(cluster, EMU_LSTM_BACKWARD)
            compare(std::string(label) + (perStep ? " per-step gOut" : " last-step gOut") + " backward dGates", dRef, d);
        }
    }
}

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    std::mt19937 rng(20260127u);
    // Widths: one lane per row (N <= 64), two (65..128) and, for the dense backward's [W^T | O^T] rows, four;
    // ragged everywhere. Batch sizes not multiples of the rows per team.
    std::vector<int> widths = quick ? std::vector<int>{5, 70} : std::vector<int>{1, 5, 13, 33, 70};
    std::vector<int> batches = quick ? std::vector<int>{3} : std::vector<int>{1, 3, 7};
    for (int n : widths) {
        for (int batch : batches) {
            for (int kind = 0; kind < 4; kind++) {
                for (int cluster : {1, 2, 4, 8}) {
                    for (int rows : {1, 3}) {
                        check(n == 1 ? 1 : 4, batch, n, kind, cluster, rows, rng);
                    }
                }
            }
        }
    }
    // Wider rows: four and eight lanes per row (dense backward rows of 2N = 260 and 400 floats).
    // Forced layouts (CudaEngine.forceRecurrenceShape, GpuBench's sweep): every lane count per weight row that leaves at
    // most 16 float4 per lane, at psMNIST's width and a ragged one; a layout may suit one sweep only.
    for (int n : quick ? std::vector<int>{128} : std::vector<int>{70, 128}) {
        for (int kind : quick ? std::vector<int>{ROAF_FILTER_DENSE} : std::vector<int>{ROAF_FILTER_DENSE, ROAF_FILTER_PERM}) {
            for (int cluster : {1, 2, 4, 8}) {
                for (int rows : quick ? std::vector<int>{1} : std::vector<int>{1, 2}) {
                    for (int segments : {1, 2, 4, 8}) check(3, 3, n, kind, cluster, rows, rng, segments);
                }
            }
        }
    }
    for (int n : {130, 200}) {
        for (int kind : {ROAF_FILTER_DENSE, ROAF_FILTER_PERM}) {
            for (int cluster : {4, 8}) {
                check(3, 2, n, kind, cluster, quick ? 1 : 2, rng);
            }
        }
    }
    // The persistent LSTM: one lane per row (N <= 64 forward, <= 16 backward) up to eight (the backward's 4N = 512
    // at N = 128, psMNIST's width); every cluster size, 1-3 rows per team, ragged widths and batches.
    std::vector<int> lstmWidths = quick ? std::vector<int>{5, 37} : std::vector<int>{1, 5, 17, 37, 70};
    for (int n : lstmWidths) {
        for (int batch : batches) {
            for (int cluster : {1, 2, 4, 8}) {
                for (int rows : {1, 3}) {
                    check_lstm(n == 1 ? 1 : 4, batch, n, cluster, rows, rng);
                }
            }
        }
    }
    for (int cluster : {2, 4}) {
        check_lstm(3, 2, 128, cluster, quick ? 1 : 2, rng);
    }
    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
