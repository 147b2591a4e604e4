// recurrence.cu: persistent whole-sequence ROAF / Elman recurrences (Engine.recurrenceForward and
// Engine.recurrenceBackward): ONE launch runs all T forward steps, ONE launch the whole BPTT sweep.
//
//   forward:   a_t = W h_{t-1} + p_t,  z_t = tanh(a_t),  h_t = flush(alpha O h_{t-1} + beta z_t)
//   backward:  g_t = carry_t (+ gOut_t),  d_t = flush(beta (1 - z_t^2) g_t)  (written over z_t),
//              carry_{t-1} = flush(W^T d_t + alpha O^T g_t),  gH0 = carry_0
// O is dense [N,N] (kind DENSE), a signed permutation (PERM: (O x)_j = sign_j x_{index_j}), the
// identity, or absent (NONE: the Elman RNN with alpha = 0, beta = 1). Semantics, flushes (|x| < 1e-30
// to 0) and operation order follow CpuEngine.recurrenceForward/Backward.
//
// Why persistent: a step-by-step recurrence pays several launches per step (5-10 us of overhead
// alone); here the weights are loaded ONCE into registers and the only per-step costs are the
// arithmetic, shared-memory traffic and one or two barriers.
//
// Layout (chosen on the host by dev.roaf.engine.cuda.RecurrenceLayout, which documents the limits):
// - A "team" of CLUSTER thread blocks (1, or a thread-block cluster of 2, 4 or 8 on sm_90+) owns
//   `rows` batch rows for the whole sequence. Teams never talk to each other: batch rows are
//   independent, so any number of teams may run in any order (no grid-wide barrier, no deadlock).
// - Block `rank` of a team owns the output units [rank*units, rank*units + units) of the matrix-vector
//   product of each step. Its slice of the weight matrix stays in registers: each matrix row is split
//   over `segments` consecutive lanes (a power of two <= 8), and lane s holds the columns
//   4*(q*segments + s) + {0..3} for q < chunks (at most 64 floats per thread). Reading the vector as
//   float4 at those columns makes every shared-memory access of a warp conflict-free (broadcast).
//   Forward rows: W's rows of the owned units, then (DENSE) O's rows. Backward rows: for owned unit i,
//   column i of W followed (DENSE) by column i of O, against the vector [d ; alpha g].
// - The full vector of the step (h for the forward, [d ; alpha g] for the backward) is replicated in
//   every block of the team: each block computes its own units and stores them into every block's
//   shared memory (distributed shared memory across a cluster), double-buffered by step parity so
//   that one team barrier per step suffices.
// - p_t, z_t and gOut_t are prefetched into registers one step ahead, so global-memory latency is
//   off the critical path.
// The kernels with a cluster suffix exist only in the sm_90+ code of the fatbin; the engine launches
// them only on such devices.
//
// Check: kernels/build.sh (compiles, writes kernels/PTXAS.md: registers, shared memory, 0 spills);
// without a GPU: bash kernels/emulation/run.sh (runs this device code on the host, one std::thread per
// CUDA thread, against a reference of the CPU engine's equations, under AddressSanitizer); on a GPU: native-tests/gpu-check.sh (KernelParityTest.persistentRecurrence* against the CPU engine,
// GpuBench for the per-step timings).
#include "team.cuh"

// ------------------------------------------------------------------------------------------ forward

// Shared memory (floats): hbuf [2][rows][stride] (h_{t-1} replicated, by step parity; zero padding
// beyond N), pre [rows][matRows] (W h, then O h for DENSE). stride = 4 * segments * chunks >= N.
template <int CLUSTER>
__device__ __forceinline__ void recurrence_forward(float* smem, const float* __restrict__ p, const float* __restrict__ w,
                                                   const float* __restrict__ o, const int* __restrict__ index,
                                                   const float* __restrict__ sign, float* __restrict__ h,
                                                   float* __restrict__ z, int steps, int batch, int n, int kind,
                                                   float alpha, float beta, int units, int rows, int segments, int chunks) {
    const int stride = 4 * segments * chunks;
    const bool dense = kind == ROAF_FILTER_DENSE;
    const int matRows = dense ? 2 * units : units;
    float* hbuf = smem;
    float* pre = hbuf + 2 * rows * stride;
    const unsigned self = Team<CLUSTER>::rank();
    const int b0 = (blockIdx.x / CLUSTER) * rows;
    const int tid = threadIdx.x;
    const int m = tid / segments, s = tid % segments;
    const long long plane = (long long)batch * n;

    float wr[4 * ROAF_REC_CHUNKS];
    {
        bool isO = m >= units;
        int j = (int)self * units + (isO ? m - units : m);
        bool rowOk = m < matRows && j < n;
        const float* row = (isO ? o : w) + (long long)(rowOk ? j : 0) * n;
        load_weights(wr, rowOk, s, segments, chunks, n, [&](int col) { return row[col]; });
    }

    team_init_vectors(hbuf, rows, stride, n, b0, batch, h);  // h_0 into buffer 0, zeros elsewhere

    // Elementwise items of this thread: (batch row r, owned unit u), packed as r * 65536 + u (-1: none,
    // rows <= 8 and units <= 512 fit); the permutation entry of the unit; p of the next step (prefetch).
    int itemRowUnit[ROAF_REC_ITEMS], itemIndex[ROAF_REC_ITEMS];
    float itemSign[ROAF_REC_ITEMS], pNext[ROAF_REC_ITEMS];
#pragma unroll
    for (int k = 0; k < ROAF_REC_ITEMS; k++) {
        int r, u, j;
        bool live = team_item(k, units, rows, self, n, r, u, j);
        itemRowUnit[k] = live ? r * 65536 + u : -1;
        itemIndex[k] = (live && kind == ROAF_FILTER_PERM) ? index[j] : 0;
        itemSign[k] = (live && kind == ROAF_FILTER_PERM) ? sign[j] : 0.0f;
        pNext[k] = (live && b0 + r < batch && steps > 0) ? p[(long long)(b0 + r) * n + j] : 0.0f;
    }
    // Every block of the team has initialised its buffers before any block stores into them.
    Team<CLUSTER>::sync();

    for (int t = 0; t < steps; t++) {
        const float* hcur = hbuf + (t & 1) * rows * stride;
        float* hnext = hbuf + ((t + 1) & 1) * rows * stride;
        team_matvec(wr, hcur, stride, rows, m, matRows, s, segments, chunks, pre, matRows);
        __syncthreads();
#pragma unroll
        for (int k = 0; k < ROAF_REC_ITEMS; k++) {
            if (itemRowUnit[k] >= 0) {
                int r = itemRowUnit[k] >> 16, u = itemRowUnit[k] & 0xffff;
                int j = (int)self * units + u;
                float zv = tanhf(pre[r * matRows + u] + pNext[k]);
                float out;
                switch (kind) {
                    case ROAF_FILTER_DENSE: out = alpha * pre[r * matRows + units + u] + beta * zv; break;
                    case ROAF_FILTER_PERM: out = alpha * itemSign[k] * hcur[r * stride + itemIndex[k]] + beta * zv; break;
                    case ROAF_FILTER_IDENTITY: out = alpha * hcur[r * stride + j] + beta * zv; break;
                    default: out = beta * zv; break;
                }
                out = roaf_flush(out);
                store_to_team<CLUSTER>(hnext, r * stride + j, out, self);
                if (b0 + r < batch) {
                    long long at = (long long)(b0 + r) * n + j;
                    h[(long long)(t + 1) * plane + at] = out;
                    if (z != nullptr) {
                        z[(long long)t * plane + at] = zv;
                    }
                    if (t + 1 < steps) {
                        pNext[k] = p[(long long)(t + 1) * plane + at];
                    }
                }
            }
        }
        Team<CLUSTER>::sync();
    }
}

// ----------------------------------------------------------------------------------------- backward

// Shared memory (floats): vbuf [2][rows][stride] ([d ; alpha g] replicated, by step parity; padding 0),
// filterTerm [2][rows][units] (alpha O^T g for the owned units: PERM scattered by the owner of g_j,
// IDENTITY written locally), pre [rows][units] (W^T d + alpha O^T g for DENSE). stride >= N (2N DENSE).
template <int CLUSTER>
__device__ __forceinline__ void recurrence_backward(float* smem, const float* __restrict__ w, const float* __restrict__ o,
                                                    const int* __restrict__ index, const float* __restrict__ sign,
                                                    float* __restrict__ z, const float* __restrict__ gOut, int perStep,
                                                    float* __restrict__ gH0, int steps, int batch, int n, int kind,
                                                    float alpha, float beta, int units, int rows, int segments, int chunks) {
    const int stride = 4 * segments * chunks;
    const bool dense = kind == ROAF_FILTER_DENSE;
    const bool scattered = kind == ROAF_FILTER_PERM || kind == ROAF_FILTER_IDENTITY;
    float* vbuf = smem;
    float* filterTerm = vbuf + 2 * rows * stride;
    float* pre = filterTerm + 2 * rows * units;
    const unsigned self = Team<CLUSTER>::rank();
    const int b0 = (blockIdx.x / CLUSTER) * rows;
    const int tid = threadIdx.x;
    const int m = tid / segments, s = tid % segments;
    const long long plane = (long long)batch * n;

    float wr[4 * ROAF_REC_CHUNKS];
    {
        int i = (int)self * units + m;
        bool rowOk = m < units && i < n;
        int col0 = rowOk ? i : 0;
        // Row of unit i: column i of W, then column i of O (DENSE); against [d ; alpha g].
        load_weights(wr, rowOk, s, segments, chunks, dense ? 2 * n : n, [&](int k) {
            return k < n ? w[(long long)k * n + col0] : o[(long long)(k - n) * n + col0];
        });
    }
    team_zero_vectors(vbuf, rows, stride);

    // Items as in the forward (r * 65536 + u, -1: none); where alpha O^T g gets g_j's share, packed as
    // owner block * 65536 + slot ((O^T g)_{index_j} += sign_j g_j, owned by block index_j / units);
    // the carried gradient; z and gOut of the next step (prefetch).
    int itemRowUnit[ROAF_REC_ITEMS], itemTarget[ROAF_REC_ITEMS];
    float itemSign[ROAF_REC_ITEMS], carry[ROAF_REC_ITEMS], zNext[ROAF_REC_ITEMS], gNext[ROAF_REC_ITEMS];
#pragma unroll
    for (int k = 0; k < ROAF_REC_ITEMS; k++) {
        int r, u, j;
        bool live = team_item(k, units, rows, self, n, r, u, j);
        bool loads = live && b0 + r < batch && steps > 0;
        itemRowUnit[k] = live ? r * 65536 + u : -1;
        int target = kind == ROAF_FILTER_PERM && live ? index[j] : j;
        itemTarget[k] = (target / units) * 65536 + target % units;
        itemSign[k] = kind == ROAF_FILTER_PERM && live ? sign[j] : 1.0f;
        carry[k] = 0.0f;
        long long at = (long long)(b0 + r) * n + j;
        zNext[k] = loads ? z[(long long)(steps - 1) * plane + at] : 0.0f;
        gNext[k] = loads ? gOut[(perStep ? (long long)(steps - 1) * plane : 0) + at] : 0.0f;
    }
    Team<CLUSTER>::sync();

    for (int t = steps - 1; t >= 0; t--) {
        float* vcur = vbuf + (t & 1) * rows * stride;
        float* termCur = filterTerm + (t & 1) * rows * units;
        // Phase A: g_t, d_t for the owned units; d (and alpha g) to every block of the team.
#pragma unroll
        for (int k = 0; k < ROAF_REC_ITEMS; k++) {
            if (itemRowUnit[k] >= 0) {
                int r = itemRowUnit[k] >> 16;
                int j = (int)self * units + (itemRowUnit[k] & 0xffff);
                float g = carry[k] + gNext[k];
                float zv = zNext[k];
                float d = roaf_flush(beta * (1.0f - zv * zv) * g);
                store_to_team<CLUSTER>(vcur, r * stride + j, d, self);
                if (dense) {
                    store_to_team<CLUSTER>(vcur, r * stride + n + j, alpha * g, self);
                } else if (scattered) {
                    int owner = itemTarget[k] >> 16, slot = itemTarget[k] & 0xffff;
                    float* dst = owner == (int)self ? termCur : Team<CLUSTER>::at(termCur, owner);
                    dst[r * units + slot] = alpha * itemSign[k] * g;
                }
                if (b0 + r < batch) {
                    long long at = (long long)(b0 + r) * n + j;
                    z[(long long)t * plane + at] = d;
                    if (t > 0) {
                        zNext[k] = z[(long long)(t - 1) * plane + at];
                        gNext[k] = perStep ? gOut[(long long)(t - 1) * plane + at] : 0.0f;
                    }
                }
            }
        }
        Team<CLUSTER>::sync();
        // Phase B: W^T d (+ alpha O^T g) for the owned units.
        team_matvec(wr, vcur, stride, rows, m, units, s, segments, chunks, pre, units);
        __syncthreads();
        // Phase C: the carried gradient of step t-1 (same thread and item as phase A: kept in registers).
#pragma unroll
        for (int k = 0; k < ROAF_REC_ITEMS; k++) {
            if (itemRowUnit[k] >= 0) {
                int r = itemRowUnit[k] >> 16, u = itemRowUnit[k] & 0xffff;
                float v = pre[r * units + u];
                if (scattered) {
                    v += termCur[r * units + u];
                }
                carry[k] = roaf_flush(v);
            }
        }
        // No barrier here: phase A of step t-1 writes the other parity's buffers, and `pre` is next
        // written after the team barrier that follows that phase A.
    }
    if (gH0 != nullptr) {
#pragma unroll
        for (int k = 0; k < ROAF_REC_ITEMS; k++) {
            int r = itemRowUnit[k] >> 16;
            if (itemRowUnit[k] >= 0 && b0 + r < batch) {
                gH0[(long long)(b0 + r) * n + (int)self * units + (itemRowUnit[k] & 0xffff)] = carry[k];
            }
        }
    }
    // A block's shared memory must outlive the remote stores into it: the last stores of the loop
    // precede its last team barrier, so blocks may now exit.
}

// ------------------------------------------------------------------------------------- entry points
#ifndef ROAF_EMULATION

#define ROAF_REC_FORWARD_PARAMS                                                                               \
    const float* __restrict__ p, const float* __restrict__ w, const float* __restrict__ o,                   \
        const int* __restrict__ index, const float* __restrict__ sign, float* __restrict__ h,                 \
        float* __restrict__ z, int steps, int batch, int n, int kind, float alpha, float beta, int units,     \
        int rows, int segments, int chunks
#define ROAF_REC_FORWARD_ARGS dynamicShared(), p, w, o, index, sign, h, z, steps, batch, n, kind, alpha, beta, units, rows, segments, chunks
#define ROAF_REC_BACKWARD_PARAMS                                                                              \
    const float* __restrict__ w, const float* __restrict__ o, const int* __restrict__ index,                 \
        const float* __restrict__ sign, float* __restrict__ z, const float* __restrict__ gOut, int perStep,   \
        float* __restrict__ gH0, int steps, int batch, int n, int kind, float alpha, float beta, int units,   \
        int rows, int segments, int chunks
#define ROAF_REC_BACKWARD_ARGS dynamicShared(), w, o, index, sign, z, gOut, perStep, gH0, steps, batch, n, kind, alpha, beta, units, rows, \
    segments, chunks

// One block per team (every architecture) and, on sm_90+, teams of 2, 4 or 8 blocks as thread-block clusters (for N
// too wide for one block's registers): roaf_recurrence_{forward,backward}[_x2|_x4|_x8].
ROAF_TEAM_KERNELS(roaf_recurrence_forward, ROAF_REC_FORWARD_PARAMS, recurrence_forward, ROAF_REC_FORWARD_ARGS)
ROAF_TEAM_KERNELS(roaf_recurrence_backward, ROAF_REC_BACKWARD_PARAMS, recurrence_backward, ROAF_REC_BACKWARD_ARGS)

// The one-block kernels with the layout's shape fixed at compile time, for the widths up to 128 that psMNIST-sized
// models use (RecurrenceLayout gives one batch row per team, 16 float4 chunks per lane, and 2 lanes per weight row
// for the forward, 2 or 4 for the backward). Constant rows, segments and chunks let the compiler drop the runtime
// loop bounds, branches and index arithmetic of the generic kernels; the arithmetic is the same, so are the results
// (bit for bit). Opt-in (-Droaf.cuda.fixedRecurrence=true) until a GPU check has timed them: Nsight Compute found the
// generic forward issuing an instruction only every 2.2 cycles per scheduler, mostly waiting on shared memory.
// Named roaf_recurrence_{forward,backward}_fixed_<segments>. The launch passes rows, segments and chunks all the same
// (one argument list for every recurrence kernel).
#define ROAF_REC_FIXED_FORWARD(S)                                                                             \
    extern "C" __global__ void __launch_bounds__(ROAF_REC_THREADS, 1)                                         \
        roaf_recurrence_forward_fixed_##S(ROAF_REC_FORWARD_PARAMS) {                                         \
        recurrence_forward<1>(dynamicShared(), p, w, o, index, sign, h, z, steps, batch, n, kind, alpha, beta, \
                              units, 1, S, ROAF_REC_CHUNKS);                                                  \
    }
#define ROAF_REC_FIXED_BACKWARD(S)                                                                            \
    extern "C" __global__ void __launch_bounds__(ROAF_REC_THREADS, 1)                                         \
        roaf_recurrence_backward_fixed_##S(ROAF_REC_BACKWARD_PARAMS) {                                       \
        recurrence_backward<1>(dynamicShared(), w, o, index, sign, z, gOut, perStep, gH0, steps, batch, n, kind, \
                               alpha, beta, units, 1, S, ROAF_REC_CHUNKS);                                    \
    }
ROAF_REC_FIXED_FORWARD(2)
ROAF_REC_FIXED_BACKWARD(2)
ROAF_REC_FIXED_BACKWARD(4)

#endif  // ROAF_EMULATION
