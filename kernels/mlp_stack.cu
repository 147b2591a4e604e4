// mlp_stack.cu: fused deep ROAF-MLP stacks (Engine.roafStackForward / roafStackInfer / roafStackBackward):
// ONE launch runs all L layers of the forward (or inference) pass, ONE launch the whole backward sweep,
// and one launch computes the weight gradients of all layers (another the bias gradients).
//
//   forward:   a_l = W_l x_l + b_l,  z_l = tanh(a_l),  x_{l+1} = flush(alpha O_l x_l + beta z_l)
//   backward:  d_l = flush(beta (1 - z_l^2) g_{l+1})  (written over z_l),
//              g_l = flush(W_l^T d_l + alpha O_l^T g_{l+1})
//   gradients: dW_l = d_l^T x_l (roaf_stack_weight_grads, or cuBLAS strided-batched),
//              db_l = sum_b d_l (roaf_stack_bias_grads, summed in double like the CPU engine)
// O_l is dense ([L,N,N] per layer or [N,N] shared), a signed permutation ((O x)_j = sign_j x_{index_j},
// [L,N] or [N]), the identity (alpha = beta = 1: the residual MLP) or absent (NONE: the plain tanh MLP).
// Semantics, flushes (|x| < 1e-30 to 0) and operation order follow CpuEngine.roafStack*.
//
// Why fused: a per-layer path pays 3-5 launches per layer (GEMMs + epilogue); at L = 50,000 that is
// 200,000+ launches per step, launch-bound. Here a "team" of blocks keeps its slice of the batch on chip
// for all layers while the weights stream through registers.
//
// Layout (chosen on the host by dev.roaf.engine.cuda.MlpStackLayout, which documents the limits):
// - A team of CLUSTER blocks (1, or a thread-block cluster of 2, 4 or 8 on sm_90+) owns `rows` batch
//   rows for all layers; teams never talk to each other (no grid-wide barrier).
// - Block `rank` of a team owns output units [rank*units, rank*units + units). For each layer, thread
//   (m = tid / segments, s = tid % segments) holds in registers its slice of one weight row (forward:
//   W_l's row of the unit, then O_l's row for DENSE; backward: column i of W_l followed, DENSE, by column
//   i of O_l, against [d ; alpha g]): columns 4*(q*segments + s) + {0..3}, q < chunks, at most 32 floats.
//   The slice of layer l+1 is loaded while layer l is computed (two register sets), and the block's slice
//   of layer l+ROAF_MLP_L2_AHEAD is prefetched into L2, so the weight stream is off the critical path.
// - The layer's vector (x_l forward, [d ; alpha g] backward) is replicated in every block of the team's
//   shared memory (distributed shared memory across a cluster), double-buffered by layer parity so one
//   team barrier per layer suffices; reading it as float4 at those columns is conflict-free.
// The per-layer path (GEMMs + roaf_layer.cu) remains the fallback for shapes the layout does not cover.
//
// Check: kernels/build.sh (compiles, kernels/PTXAS.md: registers, 0 spills); without a GPU:
// bash kernels/emulation/run_mlp.sh (runs this device code on the host, one std::thread per CUDA thread,
// under AddressSanitizer, against the CPU engine's equations); on a GPU: native-tests/gpu-check.sh
// (KernelParityTest.fusedMlpStack*, ModelParityTest, GpuBench's 50,000-layer step).
// The team machinery (Team, store_to_team, the entry-point macro, dynamicShared) is team.cuh's, shared with the
// persistent recurrences; the weight slices here are per layer, so this file has its own loaders and product.
#include "team.cuh"

// Limits shared with MlpStackLayout.java (keep in step).
#define ROAF_MLP_THREADS 512   // threads per block at most (x <= 128 registers: one block per SM)
#define ROAF_MLP_CHUNKS 8      // float4 chunks of one weight row per thread: 32 floats, twice (layer l and l+1)
#define ROAF_MLP_ROWS 8        // batch rows per team at most
#define ROAF_MLP_ITEMS 2       // elementwise items (batch row, unit) per thread at most
#define ROAF_MLP_L2_AHEAD 4    // layers ahead whose weight slice is prefetched into L2

#if !defined(ROAF_EMULATION)
// Hint only: brings the line holding p into L2 (no register, no fault on the caller's valid addresses).
__device__ __forceinline__ void roaf_prefetch_l2(const void* p) {
    asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
}
#endif

// This thread's slice of a contiguous weight row (forward): w[4q+e] = row[4*(q*segments+s)+e], 0 outside
// [0, n) or when !ok. Float4 loads when the row is 16-byte aligned and n % 4 == 0 (then a chunk is either
// wholly inside the row or wholly outside).
__device__ __forceinline__ void mlp_load_row(float (&w)[4 * ROAF_MLP_CHUNKS], const float* __restrict__ row, bool ok, int s,
                                             int segments, int chunks, int n) {
    bool vec = ok && (n & 3) == 0 && (reinterpret_cast<unsigned long long>(row) & 15) == 0;
#pragma unroll
    for (int q = 0; q < ROAF_MLP_CHUNKS; q++) {
        int col = 4 * (q * segments + s);
        if (vec) {
            float4 v = (q < chunks && col < n) ? __ldg(reinterpret_cast<const float4*>(row + col)) : float4{0.0f, 0.0f, 0.0f, 0.0f};
            w[4 * q] = v.x;
            w[4 * q + 1] = v.y;
            w[4 * q + 2] = v.z;
            w[4 * q + 3] = v.w;
        } else {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                w[4 * q + e] = (ok && q < chunks && col + e < n) ? __ldg(row + col + e) : 0.0f;
            }
        }
    }
}

// This thread's slice of "column i of W, then column i of O" (backward), length n or 2n (DENSE).
__device__ __forceinline__ void mlp_load_column(float (&w)[4 * ROAF_MLP_CHUNKS], const float* __restrict__ wl,
                                                const float* __restrict__ ol, int i, bool ok, int s, int segments, int chunks,
                                                int n, int length) {
#pragma unroll
    for (int q = 0; q < ROAF_MLP_CHUNKS; q++) {
#pragma unroll
        for (int e = 0; e < 4; e++) {
            int k = 4 * (q * segments + s) + e;
            w[4 * q + e] = (ok && q < chunks && k < length)
                               ? (k < n ? __ldg(wl + (long long)k * n + i) : __ldg(ol + (long long)(k - n) * n + i))
                               : 0.0f;
        }
    }
}

// out[r * outStride + m] = (this thread's weight row m) . v[r] for r < rows, reduced over the `segments`
// lanes of the row (every lane of every warp takes part in the shuffles). The rows go in groups of
// ROAF_MLP_ROW_GROUP whose dot products are formed first and then reduced together: independent chains, so
// the shuffle latency is paid once per group rather than once per batch row (a group of 8 would spill
// beside the two 32-float weight slices at 128 registers).
#define ROAF_MLP_ROW_GROUP 4
__device__ __forceinline__ void mlp_matvec(const float (&w)[4 * ROAF_MLP_CHUNKS], const float* v, int stride, int rows, int m,
                                           int matRows, int s, int segments, int chunks, float* out, int outStride) {
    for (int r0 = 0; r0 < rows; r0 += ROAF_MLP_ROW_GROUP) {
        float acc[ROAF_MLP_ROW_GROUP];
#pragma unroll
        for (int i = 0; i < ROAF_MLP_ROW_GROUP; i++) {
            acc[i] = 0.0f;
            if (r0 + i < rows) {
                const float* vr = v + (r0 + i) * stride + 4 * s;
#pragma unroll
                for (int q = 0; q < ROAF_MLP_CHUNKS; q++) {
                    if (q < chunks) {
                        float4 x = *reinterpret_cast<const float4*>(vr + 4 * q * segments);
                        acc[i] = fmaf(w[4 * q], x.x, acc[i]);
                        acc[i] = fmaf(w[4 * q + 1], x.y, acc[i]);
                        acc[i] = fmaf(w[4 * q + 2], x.z, acc[i]);
                        acc[i] = fmaf(w[4 * q + 3], x.w, acc[i]);
                    }
                }
            }
        }
#pragma unroll
        for (int o = 8; o > 0; o >>= 1) {
            if (o < segments) {
#pragma unroll
                for (int i = 0; i < ROAF_MLP_ROW_GROUP; i++) {
                    acc[i] += __shfl_xor_sync(0xffffffffu, acc[i], o);
                }
            }
        }
        if (s == 0 && m < matRows) {
#pragma unroll
            for (int i = 0; i < ROAF_MLP_ROW_GROUP; i++) {
                if (r0 + i < rows) {
                    out[(r0 + i) * outStride + m] = acc[i];
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------ forward

// Shared memory (floats): xbuf [2][rows][stride] (x_l replicated, by layer parity; zero padding beyond N),
// pre [rows][matRows] (W_l x_l, then O_l x_l for DENSE). stride = 4 * segments * chunks >= N.
// store != 0 (training): x is [L+1,B,N], x_{l+1} and z_l are written for every layer.
// store == 0 (inference): x is [B,N]; x_0 is read and x_L written over it (z unused).
template <int CLUSTER>
__device__ __forceinline__ void mlp_stack_forward(float* smem, float* x, const float* __restrict__ w,
                                                  const float* __restrict__ b, const float* __restrict__ o,
                                                  const int* __restrict__ index, const float* __restrict__ sign,
                                                  int filterPerLayer, float* __restrict__ z, int store, int layers, int batch,
                                                  int n, int kind, float alpha, float beta, int units, int rows, int segments,
                                                  int chunks) {
    const int stride = 4 * segments * chunks;
    const bool dense = kind == ROAF_FILTER_DENSE;
    const int matRows = dense ? 2 * units : units;
    float* xbuf = smem;
    float* pre = xbuf + 2 * rows * stride;
    const unsigned self = Team<CLUSTER>::rank();
    const int b0 = (blockIdx.x / CLUSTER) * rows;
    const int tid = threadIdx.x;
    const int m = tid / segments, s = tid % segments;
    const long long plane = (long long)batch * n;
    const long long matrix = (long long)n * n;
    const long long oStep = filterPerLayer ? matrix : 0, pStep = filterPerLayer ? n : 0;

    // This thread's weight row: unit j, W's row (m < units) or O's (DENSE, m >= units).
    const bool isO = m >= units;
    const int rowUnit = (int)self * units + (isO ? m - units : m);
    const bool rowOk = m < matRows && rowUnit < n;
    auto rowOf = [&](int l) -> const float* {
        // (O is read only for DENSE: no arithmetic on a null pointer for the other kinds.)
        return (isO && dense ? o + l * oStep : w + l * matrix) + (long long)(rowOk ? rowUnit : 0) * n;
    };
    // The block's slice of layer l (rows of its units: contiguous units*n floats of W, and of O) into L2.
    const int firstUnit = (int)self * units;
    const int ownedUnits = max(0, min(units, n - firstUnit));
    auto prefetchLayer = [&](int l) {
        long long floats = (long long)ownedUnits * n;
        for (long long f = (long long)tid * 32; f < floats; f += (long long)blockDim.x * 32) {
            roaf_prefetch_l2(w + l * matrix + (long long)firstUnit * n + f);
            if (dense && (filterPerLayer || l == 0)) {
                roaf_prefetch_l2(o + l * oStep + (long long)firstUnit * n + f);
            }
        }
    };

    float wcur[4 * ROAF_MLP_CHUNKS], wnext[4 * ROAF_MLP_CHUNKS];
    if (layers > 0) {
        mlp_load_row(wcur, rowOf(0), rowOk, s, segments, chunks, n);
    }
    for (int l = 1; l < ROAF_MLP_L2_AHEAD && l < layers; l++) {
        prefetchLayer(l);
    }

    // x_0 into buffer 0, zeros elsewhere (the padding must be 0: 0 * NaN would not be).
    for (int i = tid; i < 2 * rows * stride; i += blockDim.x) {
        int col = i % stride, r = (i / stride) % rows;
        bool first = i < rows * stride;
        xbuf[i] = (first && col < n && b0 + r < batch) ? x[(long long)(b0 + r) * n + col] : 0.0f;
    }
    // Items of this thread: (batch row r, owned unit u) packed as r * 65536 + u (-1: none).
    int itemRowUnit[ROAF_MLP_ITEMS];
#pragma unroll
    for (int k = 0; k < ROAF_MLP_ITEMS; k++) {
        int item = tid + k * blockDim.x;
        int r = item / units, u = item % units;
        itemRowUnit[k] = (item < rows * units && (int)self * units + u < n) ? r * 65536 + u : -1;
    }
    // Every block of the team has initialised its buffers (and read x_0) before any block stores into them.
    Team<CLUSTER>::sync();

    for (int l = 0; l < layers; l++) {
        const float* xcur = xbuf + (l & 1) * rows * stride;
        float* xnext = xbuf + ((l + 1) & 1) * rows * stride;
        if (l + 1 < layers) {
            mlp_load_row(wnext, rowOf(l + 1), rowOk, s, segments, chunks, n);
        }
        if (l + ROAF_MLP_L2_AHEAD < layers) {
            prefetchLayer(l + ROAF_MLP_L2_AHEAD);
        }
        // Bias and permutation of this layer for the items: issued now, used after the products.
        float itemBias[ROAF_MLP_ITEMS], itemSign[ROAF_MLP_ITEMS];
        int itemIndex[ROAF_MLP_ITEMS];
#pragma unroll
        for (int k = 0; k < ROAF_MLP_ITEMS; k++) {
            int j = (int)self * units + (itemRowUnit[k] & 0xffff);
            bool live = itemRowUnit[k] >= 0;
            itemBias[k] = live ? __ldg(b + (long long)l * n + j) : 0.0f;
            itemIndex[k] = live && kind == ROAF_FILTER_PERM ? __ldg(index + l * pStep + j) : 0;
            itemSign[k] = live && kind == ROAF_FILTER_PERM ? __ldg(sign + l * pStep + j) : 0.0f;
        }
        mlp_matvec(wcur, xcur, stride, rows, m, matRows, s, segments, chunks, pre, matRows);
        __syncthreads();
#pragma unroll
        for (int k = 0; k < ROAF_MLP_ITEMS; k++) {
            if (itemRowUnit[k] >= 0) {
                int r = itemRowUnit[k] >> 16, u = itemRowUnit[k] & 0xffff;
                int j = (int)self * units + u;
                float zv = tanhf(pre[r * matRows + u] + itemBias[k]);
                float out;
                switch (kind) {
                    case ROAF_FILTER_DENSE: out = alpha * pre[r * matRows + units + u] + beta * zv; break;
                    case ROAF_FILTER_PERM: out = alpha * itemSign[k] * xcur[r * stride + itemIndex[k]] + beta * zv; break;
                    case ROAF_FILTER_IDENTITY: out = alpha * xcur[r * stride + j] + beta * zv; break;
                    default: out = beta * zv; break;
                }
                out = roaf_flush(out);
                store_to_team<CLUSTER>(xnext, r * stride + j, out, self);
                if (b0 + r < batch) {
                    long long at = (long long)(b0 + r) * n + j;
                    if (store) {
                        x[(long long)(l + 1) * plane + at] = out;
                        z[(long long)l * plane + at] = zv;
                    } else if (l + 1 == layers) {
                        x[at] = out;
                    }
                }
            }
        }
#pragma unroll
        for (int q = 0; q < 4 * ROAF_MLP_CHUNKS; q++) {
            wcur[q] = wnext[q];
        }
        Team<CLUSTER>::sync();
    }
}

// ----------------------------------------------------------------------------------------- backward

// Shared memory (floats): vbuf [2][rows][stride] ([d ; alpha g] replicated, by layer parity; padding 0),
// filterTerm [2][rows][units] (alpha O_l^T g for the owned units: PERM scattered by the owner of g_j,
// IDENTITY written locally), pre [rows][units] (W_l^T d + alpha O_l^T g for DENSE). stride >= N (2N DENSE).
// g: [B,N], on entry dLoss/dx_L, on return dLoss/dx_0. z: [L,B,N], tanh(a_l) on entry, d_l on return.
template <int CLUSTER>
__device__ __forceinline__ void mlp_stack_backward(float* smem, const float* __restrict__ w, const float* __restrict__ o,
                                                   const int* __restrict__ index, const float* __restrict__ sign,
                                                   int filterPerLayer, float* __restrict__ z, float* __restrict__ g,
                                                   int layers, int batch, int n, int kind, float alpha, float beta, int units,
                                                   int rows, int segments, int chunks) {
    const int stride = 4 * segments * chunks;
    const bool dense = kind == ROAF_FILTER_DENSE;
    const bool scattered = kind == ROAF_FILTER_PERM || kind == ROAF_FILTER_IDENTITY;
    const int length = dense ? 2 * n : n;
    float* vbuf = smem;
    float* filterTerm = vbuf + 2 * rows * stride;
    float* pre = filterTerm + 2 * rows * units;
    const unsigned self = Team<CLUSTER>::rank();
    const int b0 = (blockIdx.x / CLUSTER) * rows;
    const int tid = threadIdx.x;
    const int m = tid / segments, s = tid % segments;
    const long long plane = (long long)batch * n;
    const long long matrix = (long long)n * n;
    const long long oStep = filterPerLayer ? matrix : 0, pStep = filterPerLayer ? n : 0;

    const int column = (int)self * units + m;
    const bool colOk = m < units && column < n;
    const int col0 = colOk ? column : 0;
    // The block's columns of layer l: in every row of W_l (and O_l) the owned units' run, into L2.
    const int firstUnit = (int)self * units;
    const int ownedUnits = max(0, min(units, n - firstUnit));
    auto prefetchLayer = [&](int l) {
        if (ownedUnits == 0) {
            return;
        }
        int linesPerRow = (ownedUnits + 31) / 32 + 1;  // +1: the run may straddle a 128-byte line
        int perMatrix = n * linesPerRow;
        int total = dense && (filterPerLayer || l == 0) ? 2 * perMatrix : perMatrix;
        for (int t = tid; t < total; t += blockDim.x) {
            int which = t / perMatrix, rest = t % perMatrix;
            int k = rest / linesPerRow, line = rest % linesPerRow;
            int unit = min(firstUnit + 32 * line, firstUnit + ownedUnits - 1);
            const float* base = which == 0 ? w + l * matrix : o + l * oStep;
            roaf_prefetch_l2(base + (long long)k * n + unit);
        }
    };

    float wcur[4 * ROAF_MLP_CHUNKS], wnext[4 * ROAF_MLP_CHUNKS];
    if (layers > 0) {
        int l = layers - 1;
        mlp_load_column(wcur, w + l * matrix, dense ? o + l * oStep : nullptr, col0, colOk, s, segments, chunks, n, length);
    }
    for (int a = 1; a < ROAF_MLP_L2_AHEAD && layers - 1 - a >= 0; a++) {
        prefetchLayer(layers - 1 - a);
    }
    for (int i = tid; i < 2 * rows * stride; i += blockDim.x) {
        vbuf[i] = 0.0f;
    }

    // Items (r * 65536 + u, -1: none); the carried gradient (g_{l+1} of the next layer down); z_l and the
    // permutation target of the current layer, loaded one layer ahead.
    int itemRowUnit[ROAF_MLP_ITEMS], itemTarget[ROAF_MLP_ITEMS];
    float itemSign[ROAF_MLP_ITEMS], carry[ROAF_MLP_ITEMS], zNext[ROAF_MLP_ITEMS];
    auto permTarget = [&](int l, int j, int& target, float& sg) {
        int t = kind == ROAF_FILTER_PERM ? __ldg(index + l * pStep + j) : j;
        target = (t / units) * 65536 + t % units;
        sg = kind == ROAF_FILTER_PERM ? __ldg(sign + l * pStep + j) : 1.0f;
    };
#pragma unroll
    for (int k = 0; k < ROAF_MLP_ITEMS; k++) {
        int item = tid + k * blockDim.x;
        int r = item / units, u = item % units;
        int j = (int)self * units + u;
        bool live = item < rows * units && j < n;
        bool loads = live && b0 + r < batch && layers > 0;
        itemRowUnit[k] = live ? r * 65536 + u : -1;
        itemTarget[k] = 0;
        itemSign[k] = 1.0f;
        if (live && layers > 0) {
            permTarget(layers - 1, j, itemTarget[k], itemSign[k]);
        }
        long long at = (long long)(b0 + r) * n + j;
        carry[k] = loads ? g[at] : 0.0f;
        zNext[k] = loads ? z[(long long)(layers - 1) * plane + at] : 0.0f;
    }
    Team<CLUSTER>::sync();

    for (int l = layers - 1; l >= 0; l--) {
        float* vcur = vbuf + (l & 1) * rows * stride;
        float* termCur = filterTerm + (l & 1) * rows * units;
        if (l > 0) {
            mlp_load_column(wnext, w + (l - 1) * matrix, dense ? o + (l - 1) * oStep : nullptr, col0, colOk, s, segments, chunks, n, length);
        }
        if (l - ROAF_MLP_L2_AHEAD >= 0) {
            prefetchLayer(l - ROAF_MLP_L2_AHEAD);
        }
        // Phase A: d_l for the owned units; d (and alpha g) to every block of the team; d_l over z_l.
#pragma unroll
        for (int k = 0; k < ROAF_MLP_ITEMS; k++) {
            if (itemRowUnit[k] >= 0) {
                int r = itemRowUnit[k] >> 16;
                int j = (int)self * units + (itemRowUnit[k] & 0xffff);
                float gv = carry[k];
                float zv = zNext[k];
                float d = roaf_flush(beta * (1.0f - zv * zv) * gv);
                store_to_team<CLUSTER>(vcur, r * stride + j, d, self);
                if (dense) {
                    store_to_team<CLUSTER>(vcur, r * stride + n + j, alpha * gv, self);
                } else if (scattered) {
                    int owner = itemTarget[k] >> 16, slot = itemTarget[k] & 0xffff;
                    float* dst = owner == (int)self ? termCur : Team<CLUSTER>::at(termCur, owner);
                    dst[r * units + slot] = alpha * itemSign[k] * gv;
                }
                if (l > 0) {
                    permTarget(l - 1, j, itemTarget[k], itemSign[k]);
                }
                if (b0 + r < batch) {
                    long long at = (long long)(b0 + r) * n + j;
                    z[(long long)l * plane + at] = d;
                    if (l > 0) {
                        zNext[k] = z[(long long)(l - 1) * plane + at];
                    }
                }
            }
        }
        Team<CLUSTER>::sync();
        // Phase B: W_l^T d (+ alpha O_l^T g) for the owned units.
        mlp_matvec(wcur, vcur, stride, rows, m, units, s, segments, chunks, pre, units);
        __syncthreads();
        // Phase C: g_l for the owned units (same thread and item as phase A: kept in registers).
#pragma unroll
        for (int k = 0; k < ROAF_MLP_ITEMS; k++) {
            if (itemRowUnit[k] >= 0) {
                int r = itemRowUnit[k] >> 16, u = itemRowUnit[k] & 0xffff;
                float v = pre[r * units + u];
                if (scattered) {
                    v += termCur[r * units + u];
                }
                carry[k] = roaf_flush(v);
            }
        }
#pragma unroll
        for (int q = 0; q < 4 * ROAF_MLP_CHUNKS; q++) {
            wcur[q] = wnext[q];
        }
        // No barrier here: phase A of layer l-1 writes the other parity's buffers, and `pre` is next written
        // after the team barrier that follows that phase A.
    }
#pragma unroll
    for (int k = 0; k < ROAF_MLP_ITEMS; k++) {
        int r = itemRowUnit[k] >> 16;
        if (itemRowUnit[k] >= 0 && b0 + r < batch) {
            g[(long long)(b0 + r) * n + (int)self * units + (itemRowUnit[k] & 0xffff)] = carry[k];
        }
    }
    // Remote stores into a block's shared memory all precede the team's last barrier: blocks may exit.
}

// ------------------------------------------------------------------------------- weight gradients

#define ROAF_MLP_GRAD_TILE 64  // dW tile (64 x 64 outputs per block, 4 x 4 per thread, 256 threads)
#define ROAF_MLP_GRAD_K 16     // batch rows per shared-memory stage

// dW_l[i][k] = sum_b d_l[b][i] x_l[b][k] for every layer l; grid (tiles^2, min(L, 65535)), layers strided
// over grid.y. d: [L,B,N] (z after the backward sweep), x: [L(+1),B,N] (the first L planes are read).
__device__ __forceinline__ void mlp_weight_grads(const float* __restrict__ d, const float* __restrict__ x,
                                                 float* __restrict__ dw, int layers, int batch, int n,
                                                 float (&dTile)[ROAF_MLP_GRAD_K][ROAF_MLP_GRAD_TILE],
                                                 float (&xTile)[ROAF_MLP_GRAD_K][ROAF_MLP_GRAD_TILE]) {
    const int tiles = (n + ROAF_MLP_GRAD_TILE - 1) / ROAF_MLP_GRAD_TILE;
    const int i0 = (blockIdx.x / tiles) * ROAF_MLP_GRAD_TILE, k0 = (blockIdx.x % tiles) * ROAF_MLP_GRAD_TILE;
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const long long plane = (long long)batch * n;
    for (int l = blockIdx.y; l < layers; l += gridDim.y) {
        const float* dl = d + (long long)l * plane;
        const float* xl = x + (long long)l * plane;
        float acc[4][4] = {};
        for (int bb = 0; bb < batch; bb += ROAF_MLP_GRAD_K) {
            for (int e = tid; e < ROAF_MLP_GRAD_K * ROAF_MLP_GRAD_TILE; e += blockDim.x) {
                int r = e / ROAF_MLP_GRAD_TILE, c = e % ROAF_MLP_GRAD_TILE;
                bool rowOk = bb + r < batch;
                dTile[r][c] = rowOk && i0 + c < n ? dl[(long long)(bb + r) * n + i0 + c] : 0.0f;
                xTile[r][c] = rowOk && k0 + c < n ? xl[(long long)(bb + r) * n + k0 + c] : 0.0f;
            }
            __syncthreads();
#pragma unroll
            for (int r = 0; r < ROAF_MLP_GRAD_K; r++) {
                float4 dv = *reinterpret_cast<const float4*>(&dTile[r][4 * ty]);
                float4 xv = *reinterpret_cast<const float4*>(&xTile[r][4 * tx]);
                float da[4] = {dv.x, dv.y, dv.z, dv.w}, xa[4] = {xv.x, xv.y, xv.z, xv.w};
#pragma unroll
                for (int a = 0; a < 4; a++) {
#pragma unroll
                    for (int c = 0; c < 4; c++) {
                        acc[a][c] = fmaf(da[a], xa[c], acc[a][c]);
                    }
                }
            }
            __syncthreads();
        }
#pragma unroll
        for (int a = 0; a < 4; a++) {
            int i = i0 + 4 * ty + a;
#pragma unroll
            for (int c = 0; c < 4; c++) {
                int k = k0 + 4 * tx + c;
                if (i < n && k < n) {
                    dw[(long long)l * n * n + (long long)i * n + k] = acc[a][c];
                }
            }
        }
    }
}

// db_l[j] = sum_b d_l[b][j] in double (as CpuEngine's column sums), one thread per (layer, unit).
__device__ __forceinline__ void mlp_bias_grads(const float* __restrict__ d, float* __restrict__ db, int layers, int batch,
                                               int n) {
    long long total = (long long)layers * n;
    ROAF_FOR(i, total) {
        long long l = i / n;
        int j = (int)(i - l * n);
        const float* col = d + l * batch * (long long)n + j;
        double sum = 0.0;
        for (int r = 0; r < batch; r++) {
            sum += col[(long long)r * n];
        }
        db[i] = (float)sum;
    }
}

// ------------------------------------------------------------------------------------- entry points
#ifndef ROAF_EMULATION

#define ROAF_MLP_FORWARD_PARAMS                                                                                 \
    float *x, const float *__restrict__ w, const float *__restrict__ b, const float *__restrict__ o,             \
        const int *__restrict__ index, const float *__restrict__ sign, int filterPerLayer, float *__restrict__ z, \
        int store, int layers, int batch, int n, int kind, float alpha, float beta, int units, int rows,         \
        int segments, int chunks
#define ROAF_MLP_FORWARD_ARGS \
    dynamicShared(), x, w, b, o, index, sign, filterPerLayer, z, store, layers, batch, n, kind, alpha, beta, units, rows, segments, chunks
#define ROAF_MLP_BACKWARD_PARAMS                                                                                \
    const float *__restrict__ w, const float *__restrict__ o, const int *__restrict__ index,                    \
        const float *__restrict__ sign, int filterPerLayer, float *__restrict__ z, float *__restrict__ g,         \
        int layers, int batch, int n, int kind, float alpha, float beta, int units, int rows, int segments,      \
        int chunks
#define ROAF_MLP_BACKWARD_ARGS \
    dynamicShared(), w, o, index, sign, filterPerLayer, z, g, layers, batch, n, kind, alpha, beta, units, rows, segments, chunks

// One block per team (every architecture) and, on sm_90+, teams of 2, 4 or 8 blocks as thread-block clusters (the
// layer's weights spread over more SMs). store = 1: training forward; store = 0: inference.
static_assert(ROAF_MLP_THREADS == ROAF_REC_THREADS, "ROAF_TEAM_KERNELS launches at most ROAF_REC_THREADS threads");
ROAF_TEAM_KERNELS(roaf_mlp_stack_forward, ROAF_MLP_FORWARD_PARAMS, mlp_stack_forward, ROAF_MLP_FORWARD_ARGS)
ROAF_TEAM_KERNELS(roaf_mlp_stack_backward, ROAF_MLP_BACKWARD_PARAMS, mlp_stack_backward, ROAF_MLP_BACKWARD_ARGS)

#if ROAF_HAS_CLUSTERS
// The cluster-of-8 kernels with the 50,000-layer benchmark's layout fixed at compile time (N = 128, B = 128 on an
// H100/H200: 8 batch rows per team, 16 lanes per weight row, 2 float4 chunks per lane; MlpStackLayout's choice at
// N = 128 for both sweeps with a permutation, identity or no filter, and for the dense forward). Constant rows, segments and
// chunks let the compiler drop the loops over the 8 possible chunks (6 of them dead at this shape, each a compare
// and a branch per batch row), the runtime shuffle bounds and the index arithmetic; the arithmetic is the same, so
// are the results (bit for bit). By Nsight Compute's figures at this shape (8,000 cycles per layer at 1.5 GHz, an
// instruction every 3.7 cycles per scheduler, 2 warps per scheduler), the generic forward issues about 1,000
// instructions per warp per layer. Opt-in (-Droaf.cuda.fixedStack=true)
// until a GPU check has timed them. The launch passes rows, segments and chunks all the same.
extern "C" __global__ void __cluster_dims__(8, 1, 1) __launch_bounds__(ROAF_MLP_THREADS, 1)
    roaf_mlp_stack_forward_fixed_x8(ROAF_MLP_FORWARD_PARAMS) {
    mlp_stack_forward<8>(dynamicShared(), x, w, b, o, index, sign, filterPerLayer, z, store, layers, batch, n, kind, alpha,
                         beta, units, 8, 16, 2);
}
extern "C" __global__ void __cluster_dims__(8, 1, 1) __launch_bounds__(ROAF_MLP_THREADS, 1)
    roaf_mlp_stack_backward_fixed_x8(ROAF_MLP_BACKWARD_PARAMS) {
    mlp_stack_backward<8>(dynamicShared(), w, o, index, sign, filterPerLayer, z, g, layers, batch, n, kind, alpha, beta,
                          units, 8, 16, 2);
}
#endif

// 256 threads; grid (ceil(N/64)^2, min(L, 65535)).
extern "C" __global__ void __launch_bounds__(256) roaf_stack_weight_grads(const float* __restrict__ d,
                                                                          const float* __restrict__ x,
                                                                          float* __restrict__ dw, int layers, int batch,
                                                                          int n) {
    __shared__ __align__(16) float dTile[ROAF_MLP_GRAD_K][ROAF_MLP_GRAD_TILE];
    __shared__ __align__(16) float xTile[ROAF_MLP_GRAD_K][ROAF_MLP_GRAD_TILE];
    mlp_weight_grads(d, x, dw, layers, batch, n, dTile, xTile);
}

// Grid-stride over L * N (ROAF_BLOCK threads).
extern "C" __global__ void roaf_stack_bias_grads(const float* __restrict__ d, float* __restrict__ db, int layers, int batch,
                                                 int n) {
    mlp_bias_grads(d, db, layers, batch, n);
}
#endif  // ROAF_EMULATION
