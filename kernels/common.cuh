// common.cuh: helpers shared by every roaf kernel (included, never compiled alone).
//
// Semantics follow the CPU reference (src/main/java/dev/roaf/engine/cpu/CpuEngine.java,
// MatKernels.java): float32 storage, row-major, tanh derivative taken from the stored value,
// values below 1e-30 in magnitude flushed to zero where states or gradients are carried
// (MatKernels.flush). No fast-math: the build uses IEEE division and square root.
// Build: see kernels/build.sh (this header is part of the source hash in the manifest).
#pragma once

#define ROAF_TINY 1e-30f

// Filter kinds, same order as dev.roaf.engine.Filter.Kind.
#define ROAF_FILTER_NONE 0
#define ROAF_FILTER_IDENTITY 1
#define ROAF_FILTER_DENSE 2
#define ROAF_FILTER_PERM 3

// Threads per block of every one-dimensional kernel (the Java launchers use the same number).
#define ROAF_BLOCK 256

__device__ __forceinline__ float roaf_flush(float v) {
    return fabsf(v) < ROAF_TINY ? 0.0f : v;
}

__device__ __forceinline__ float roaf_sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}

// Grid-stride loop over [0, n) with 64-bit indices.
#define ROAF_FOR(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long)gridDim.x * blockDim.x)

// Sum of one double per thread over the block (blockDim.x == ROAF_BLOCK); thread 0 gets the result.
__device__ __forceinline__ double roaf_block_sum(double v) {
    __shared__ double warpSums[ROAF_BLOCK / 32];
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, o);
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) {
        warpSums[warp] = v;
    }
    __syncthreads();
    double s = 0.0;
    if (warp == 0) {
        s = lane < ROAF_BLOCK / 32 ? warpSums[lane] : 0.0;
        for (int o = 16; o > 0; o >>= 1) {
            s += __shfl_down_sync(0xffffffffu, s, o);
        }
    }
    return s;
}
