// team.cuh: the building blocks of the persistent whole-sequence kernels (recurrence.cu, lstm.cu) and of the fused
// deep-MLP stack (mlp_stack.cu, which uses the team, store_to_team, ROAF_TEAM_KERNELS and dynamicShared), included,
// never compiled alone. A "team" of thread blocks (one block, or a thread-block cluster on sm_90+) owns a few batch
// rows for a whole sequence; each block keeps a slice of a weight matrix in registers and replicates each step's
// vector into every block's shared memory. recurrence.cu's header comment describes the layout in full; the host
// side is dev.roaf.engine.cuda.RecurrenceLayout (keep the limits below in step with it).
#pragma once
#include "common.cuh"

#if defined(ROAF_EMULATION)
// kernels/emulation/ runs the device code on the host; it provides `cg` and the CUDA built-ins.
#define ROAF_HAS_CLUSTERS 1
#elif !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
#define ROAF_HAS_CLUSTERS 1
#include <cooperative_groups.h>
namespace cg = cooperative_groups;
#else
#define ROAF_HAS_CLUSTERS 0
#endif

// Limits shared with RecurrenceLayout.java (keep in step).
#define ROAF_REC_THREADS 512   // threads per block at most (one block per SM: 512 x <= 128 registers)
#define ROAF_REC_CHUNKS 16     // float4 chunks of weights per thread: 64 weights in registers
#define ROAF_REC_ROWS 8        // batch rows per team at most
#define ROAF_REC_ITEMS 2       // elementwise items (batch row, unit) per thread at most

// The blocks that share one batch slice: a plain block (CLUSTER == 1) or a thread-block cluster.
template <int CLUSTER>
struct Team {
#if ROAF_HAS_CLUSTERS
    __device__ static unsigned rank() { return cg::this_cluster().block_rank(); }
    // `local` (an address in this block's shared memory) as seen in block `r` of the cluster.
    __device__ static float* at(float* local, unsigned r) { return cg::this_cluster().map_shared_rank(local, r); }
    // Barrier over the cluster; release/acquire, so the remote stores before it are visible after it.
    __device__ static void sync() { cg::this_cluster().sync(); }
#endif
};

template <>
struct Team<1> {
    __device__ static unsigned rank() { return 0; }
    __device__ static float* at(float* local, unsigned) { return local; }
    __device__ static void sync() { __syncthreads(); }
};

// Stores v at `offset` of the team-replicated buffer `local` in every block of the team.
template <int CLUSTER>
__device__ __forceinline__ void store_to_team(float* local, int offset, float v, unsigned self) {
#pragma unroll
    for (unsigned r = 0; r < CLUSTER; r++) {
        float* dst = r == self ? local : Team<CLUSTER>::at(local, r);
        dst[offset] = v;
    }
}

// This thread's slice of one matrix row into registers: w[4q+e] = row[4*(q*segments+s)+e], 0 outside
// [0, length) (rowOk false: all 0). `element(col)` reads the row's element `col` (length bounds it).
template <typename Element>
__device__ __forceinline__ void load_weights(float (&w)[4 * ROAF_REC_CHUNKS], bool rowOk, int s, int segments,
                                             int chunks, int length, Element element) {
#pragma unroll
    for (int q = 0; q < ROAF_REC_CHUNKS; q++) {
#pragma unroll
        for (int e = 0; e < 4; e++) {
            int col = 4 * (q * segments + s) + e;
            w[4 * q + e] = (rowOk && q < chunks && col < length) ? element(col) : 0.0f;
        }
    }
}

// out[r * outStride + m] = (this thread's row m of the weights) . v[r] for r < rows (v: `rows` vectors of
// `stride` floats in shared memory), reduced over the `segments` lanes of the row; all 32 lanes of
// every warp take part in the shuffles. One batch row at a time with four partial sums: few live
// registers beside the 64 weights, and four independent FMA chains.
__device__ __forceinline__ void team_matvec(const float (&w)[4 * ROAF_REC_CHUNKS], const float* v, int stride, int rows,
                                            int m, int matRows, int s, int segments, int chunks, float* out,
                                            int outStride) {
    for (int r = 0; r < rows; r++) {
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
        const float* vr = v + r * stride + 4 * s;
#pragma unroll
        for (int q = 0; q < ROAF_REC_CHUNKS; q++) {
            if (q < chunks) {
                float4 x = *reinterpret_cast<const float4*>(vr + 4 * q * segments);
                a0 = fmaf(w[4 * q], x.x, a0);
                a1 = fmaf(w[4 * q + 1], x.y, a1);
                a2 = fmaf(w[4 * q + 2], x.z, a2);
                a3 = fmaf(w[4 * q + 3], x.w, a3);
            }
        }
        float a = (a0 + a1) + (a2 + a3);
        for (int o = segments >> 1; o > 0; o >>= 1) {
            a += __shfl_xor_sync(0xffffffffu, a, o);
        }
        if (s == 0 && m < matRows) {
            out[r * outStride + m] = a;
        }
    }
}

// The team's replicated vector buffers [2][rows][stride] at the start of a forward sweep: buffer 0 holds the team's
// batch rows of `first` ([batch, n]); everything else (the other parity, rows past the batch, the padding columns
// past n) is 0, since 0 * NaN would not be.
__device__ __forceinline__ void team_init_vectors(float* buf, int rows, int stride, int n, int b0, int batch,
                                                  const float* first) {
    for (int i = threadIdx.x; i < 2 * rows * stride; i += blockDim.x) {
        int col = i % stride, r = (i / stride) % rows;
        bool inFirst = i < rows * stride;
        buf[i] = (inFirst && col < n && b0 + r < batch) ? first[(long long)(b0 + r) * n + col] : 0.0f;
    }
}

// The same buffers all 0 (a backward sweep: each step's vector is stored before it is read).
__device__ __forceinline__ void team_zero_vectors(float* buf, int rows, int stride) {
    for (int i = threadIdx.x; i < 2 * rows * stride; i += blockDim.x) {
        buf[i] = 0.0f;
    }
}

// This thread's elementwise item k of the block: batch row r of the team and owned unit u (the team's unit
// j = self * units + u). Returns whether it exists (inside rows x units and below n).
__device__ __forceinline__ bool team_item(int k, int units, int rows, unsigned self, int n, int& r, int& u, int& j) {
    int item = threadIdx.x + k * blockDim.x;
    r = item / units;
    u = item % units;
    j = (int)self * units + u;
    return item < rows * units && j < n;
}

// The entry points of a sweep template BODY<CLUSTER>: NAME (one block per team, every architecture) and, on sm_90+,
// NAME_x2, NAME_x4, NAME_x8 (teams as thread-block clusters). PARAMS and ARGS are the parameter and argument lists.
#if ROAF_HAS_CLUSTERS
#define ROAF_TEAM_KERNELS(NAME, PARAMS, BODY, ARGS)                                                                  \
    extern "C" __global__ void __launch_bounds__(ROAF_REC_THREADS, 1) NAME(PARAMS) { BODY<1>(ARGS); }              \
    extern "C" __global__ void __cluster_dims__(2, 1, 1) __launch_bounds__(ROAF_REC_THREADS, 1) NAME##_x2(PARAMS) { \
        BODY<2>(ARGS);                                                                                            \
    }                                                                                                             \
    extern "C" __global__ void __cluster_dims__(4, 1, 1) __launch_bounds__(ROAF_REC_THREADS, 1) NAME##_x4(PARAMS) { \
        BODY<4>(ARGS);                                                                                            \
    }                                                                                                             \
    extern "C" __global__ void __cluster_dims__(8, 1, 1) __launch_bounds__(ROAF_REC_THREADS, 1) NAME##_x8(PARAMS) { \
        BODY<8>(ARGS);                                                                                            \
    }
#else
#define ROAF_TEAM_KERNELS(NAME, PARAMS, BODY, ARGS) \
    extern "C" __global__ void __launch_bounds__(ROAF_REC_THREADS, 1) NAME(PARAMS) { BODY<1>(ARGS); }
#endif

#ifndef ROAF_EMULATION
// The block's dynamic shared memory (float4: 16-byte aligned for the float4 reads of the vectors).
__device__ __forceinline__ float* dynamicShared() {
    extern __shared__ float4 sharedRaw[];
    return reinterpret_cast<float*>(sharedRaw);
}
#endif
