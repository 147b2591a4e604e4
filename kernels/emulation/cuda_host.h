// cuda_host.h: CUDA stand-ins for running roaf's device code on the host (kernels/emulation/).
//
// Every CUDA thread is a std::thread; __syncthreads and the cluster barrier are std::barrier; warp
// shuffles go through a per-warp exchange with a barrier; distributed shared memory maps an offset in
// one block's allocation to the same offset in another's. Shared by recurrence_emulator.cpp and
// mlp_stack_emulator.cpp; include it, then define ROAF_EMULATION and include the .cu file.
#pragma once
#include <barrier>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

// ------------------------------------------------------------------------------ CUDA stand-ins

#define __device__
#define __global__
#define __forceinline__ inline
#define __shared__
#define __launch_bounds__(...)

struct alignas(16) float4 {
    float x, y, z, w;
};

inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

struct Dim {
    unsigned x = 0, y = 0, z = 0;
};

thread_local Dim threadIdx, blockIdx, blockDim, gridDim;

namespace emu {
// What one emulated CUDA thread sees: its block's barrier, its cluster's barrier, its warp's exchange,
// and every block's shared memory in the cluster.
struct Warp {
    explicit Warp(int lanes) : barrier(lanes) {}
    double values[32] = {};
    std::barrier<> barrier;
};

struct Context {
    std::barrier<>* block = nullptr;
    std::barrier<>* cluster = nullptr;
    Warp* warp = nullptr;
    std::vector<float*>* shared = nullptr;
    unsigned rank = 0;
};

thread_local Context ctx;

template <typename T>
T exchange(T v, int source) {
    unsigned lane = threadIdx.x % 32;
    ctx.warp->values[lane] = (double)v;
    ctx.warp->barrier.arrive_and_wait();
    T out = (T)ctx.warp->values[source];
    ctx.warp->barrier.arrive_and_wait();
    return out;
}
}  // namespace emu

inline void __syncthreads() { emu::ctx.block->arrive_and_wait(); }

template <typename T>
T __shfl_xor_sync(unsigned, T v, int offset) {
    return emu::exchange(v, (int)(threadIdx.x % 32) ^ offset);
}

template <typename T>
T __shfl_down_sync(unsigned, T v, int offset) {
    int src = (int)(threadIdx.x % 32) + offset;
    return emu::exchange(v, src < 32 ? src : (int)(threadIdx.x % 32));
}

namespace cg {
struct Cluster {
    unsigned block_rank() const { return emu::ctx.rank; }
    template <typename T>
    T* map_shared_rank(T* local, unsigned r) const {
        std::vector<float*>& s = *emu::ctx.shared;
        std::ptrdiff_t offset = reinterpret_cast<char*>(local) - reinterpret_cast<char*>(s[emu::ctx.rank]);
        return reinterpret_cast<T*>(reinterpret_cast<char*>(s.at(r)) + offset);
    }
    void sync() const { emu::ctx.cluster->arrive_and_wait(); }
};
inline Cluster this_cluster() { return Cluster(); }
}  // namespace cg


namespace emu {
// Runs a plain (non-cluster) kernel body as every thread of every block of grid x block, one block after the
// other (so blocks never run concurrently: a function-static array can stand for a block's __shared__ memory).
// The cluster barrier is the block's own.
inline void run_blocks(Dim grid, Dim block, const std::function<void()>& body) {
    unsigned threads = block.x * block.y;
    for (unsigned by = 0; by < grid.y; by++) {
        for (unsigned bx = 0; bx < grid.x; bx++) {
            std::barrier<> barrier(threads);
            std::vector<std::unique_ptr<Warp>> warps;
            for (unsigned w = 0; w < (threads + 31) / 32; w++) warps.emplace_back(new Warp(32));
            std::vector<std::thread> pool;
            for (unsigned t = 0; t < threads; t++) {
                pool.emplace_back([&, t] {
                    threadIdx = Dim{t % block.x, t / block.x, 0};
                    blockIdx = Dim{bx, by, 0};
                    blockDim = Dim{block.x, block.y, 1};
                    gridDim = Dim{grid.x, grid.y, 1};
                    ctx = Context{&barrier, &barrier, warps[t / 32].get(), nullptr, 0};
                    body();
                });
            }
            for (auto& th : pool) th.join();
        }
    }
}
}  // namespace emu

#define __align__(n) __attribute__((aligned(n)))

template <typename T>
inline T __ldg(const T* p) { return *p; }

inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }

// The GPU's L2 prefetch is a hint; here it reads one byte so that AddressSanitizer checks the address.
inline void roaf_prefetch_l2(const void* p) {
    volatile char c = *static_cast<const volatile char*>(p);
    (void)c;
}
