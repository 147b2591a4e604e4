// lstm.cu: the LSTM baseline's recurrences (Engine.lstmForward, Engine.lstmBackward), gate order i, f, g, o as in
// PyTorch, in two forms:
// - persistent (roaf_lstm_forward*, roaf_lstm_backward*): ONE launch runs all T steps of a sweep, with the recurrent
//   weight in registers, on the teams of team.cuh (the same machinery as recurrence.cu, whose header describes it);
// - per step (roaf_lstm_cell_*): one fused cell launch per step, with the recurrent products h_{t-1} W^T (forward)
//   and dGates W (backward) as GEMMs launched between them; the engine falls back to these where the persistent
//   layout does not cover the shape (RecurrenceLayout.lstmForward/lstmBackward).
// Semantics, flushes and operation order follow CpuEngine.lstmForward/lstmBackward.
// Build: kernels/build.sh. Without a GPU: bash kernels/emulation/run.sh (the persistent sweeps, on the host) and
// kernels/emulation/run_kernels.sh (the cells). On a GPU: native-tests/gpu-check.sh (KernelParityTest.*Lstm*).
#include "team.cuh"

// acc [rows, 4n]: h_{t-1} W^T. p [rows, 4n]: input projections of step t. gates [rows, 4n] receives the
// activated gates (may alias acc: each thread reads its four gates before writing them).
extern "C" __global__ void roaf_lstm_cell_forward(const float* acc, const float* __restrict__ p,
                                                  const float* __restrict__ cPrev, float* __restrict__ cNext,
                                                  float* __restrict__ hNext, float* gates, long long rows, int n) {
    long long total = rows * n;
    ROAF_FOR(i, total) {
        long long r = i / n;
        int j = (int)(i - r * n);
        long long g0 = r * 4 * n + j;
        float ig = roaf_sigmoid(acc[g0] + p[g0]);
        float fg = roaf_sigmoid(acc[g0 + n] + p[g0 + n]);
        float gg = tanhf(acc[g0 + 2 * n] + p[g0 + 2 * n]);
        float og = roaf_sigmoid(acc[g0 + 3 * n] + p[g0 + 3 * n]);
        float cv = fg * cPrev[i] + ig * gg;
        cNext[i] = roaf_flush(cv);
        hNext[i] = roaf_flush(og * tanhf(cv));
        gates[g0] = ig;
        gates[g0 + n] = fg;
        gates[g0 + 2 * n] = gg;
        gates[g0 + 3 * n] = og;
    }
}

// gates [rows, 4n]: on entry the activated gates of step t, on return the gradients of the gate
// pre-activations. c: c_t, cPrev: c_{t-1}. dh = flush(dhCarry) + gOut (either may be null).
// dcCarry: on entry dL/dc_t from step t+1, on return flush(dc * f) for step t-1.
extern "C" __global__ void roaf_lstm_cell_backward(float* __restrict__ gates, const float* __restrict__ c,
                                                   const float* __restrict__ cPrev, const float* __restrict__ dhCarry,
                                                   const float* __restrict__ gOut, float* __restrict__ dcCarry,
                                                   long long rows, int n) {
    long long total = rows * n;
    ROAF_FOR(i, total) {
        long long r = i / n;
        int j = (int)(i - r * n);
        long long g0 = r * 4 * n + j;
        float dh = (dhCarry == nullptr ? 0.0f : roaf_flush(dhCarry[i])) + (gOut == nullptr ? 0.0f : gOut[i]);
        float iv = gates[g0], fv = gates[g0 + n], gv = gates[g0 + 2 * n], ov = gates[g0 + 3 * n];
        float tcv = tanhf(c[i]);
        float dc = dcCarry[i] + dh * ov * (1.0f - tcv * tcv);
        gates[g0] = roaf_flush(dc * gv * iv * (1.0f - iv));
        gates[g0 + n] = roaf_flush(dc * cPrev[i] * fv * (1.0f - fv));
        gates[g0 + 2 * n] = roaf_flush(dc * iv * (1.0f - gv * gv));
        gates[g0 + 3 * n] = roaf_flush(dh * tcv * ov * (1.0f - ov));
        dcCarry[i] = roaf_flush(dc * fv);
    }
}

// ------------------------------------------------------------------------------- persistent forward

// Block `rank` of a team owns the units [rank*units, rank*units + units); its weight rows are the 4 gate rows of each
// owned unit (thread row m: gate m / units, unit m % units; W row (m / units) * n + rank * units + m % units).
// Shared memory (floats): hbuf [2][rows][stride] (h_{t-1} replicated, by step parity; zero padding beyond N),
// pre [rows][4 units] (the gate rows' products). Each (batch row, unit) item keeps c_{t-1} in a register, and
// prefetches its four p_t one step ahead.
template <int CLUSTER>
__device__ __forceinline__ void lstm_forward(float* smem, const float* __restrict__ p, const float* __restrict__ w,
                                             float* __restrict__ h, float* __restrict__ c, float* __restrict__ gates,
                                             int steps, int batch, int n, int units, int rows, int segments, int chunks) {
    const int stride = 4 * segments * chunks;
    const int matRows = 4 * units;
    float* hbuf = smem;
    float* pre = hbuf + 2 * rows * stride;
    const unsigned self = Team<CLUSTER>::rank();
    const int b0 = (blockIdx.x / CLUSTER) * rows;
    const int tid = threadIdx.x;
    const int m = tid / segments, s = tid % segments;
    const long long plane = (long long)batch * n, plane4 = 4 * plane;

    float wr[4 * ROAF_REC_CHUNKS];
    {
        int gate = m / units, j = (int)self * units + m % units;
        bool rowOk = m < matRows && j < n;
        const float* row = w + (long long)(rowOk ? gate * n + j : 0) * n;
        load_weights(wr, rowOk, s, segments, chunks, n, [&](int col) { return row[col]; });
    }
    team_init_vectors(hbuf, rows, stride, n, b0, batch, h);  // h_0 into buffer 0, zeros elsewhere

    // Items (r * 65536 + u, -1: none), as in recurrence.cu; c_{t-1} and the next step's p of each gate.
    int itemRowUnit[ROAF_REC_ITEMS];
    float cell[ROAF_REC_ITEMS], pNext[ROAF_REC_ITEMS][4];
#pragma unroll
    for (int k = 0; k < ROAF_REC_ITEMS; k++) {
        int r, u, j;
        bool live = team_item(k, units, rows, self, n, r, u, j);
        bool loads = live && b0 + r < batch;
        itemRowUnit[k] = live ? r * 65536 + u : -1;
        cell[k] = loads ? c[(long long)(b0 + r) * n + j] : 0.0f;
#pragma unroll
        for (int q = 0; q < 4; q++) {
            pNext[k][q] = (loads && steps > 0) ? p[(long long)(b0 + r) * 4 * n + q * n + j] : 0.0f;
        }
    }
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
                const float* acc = pre + r * matRows + u;
                float ig = roaf_sigmoid(acc[0] + pNext[k][0]);
                float fg = roaf_sigmoid(acc[units] + pNext[k][1]);
                float gg = tanhf(acc[2 * units] + pNext[k][2]);
                float og = roaf_sigmoid(acc[3 * units] + pNext[k][3]);
                float cv = fg * cell[k] + ig * gg;
                float hv = roaf_flush(og * tanhf(cv));
                cell[k] = roaf_flush(cv);
                store_to_team<CLUSTER>(hnext, r * stride + j, hv, self);
                if (b0 + r < batch) {
                    long long at = (long long)(b0 + r) * n + j;
                    h[(long long)(t + 1) * plane + at] = hv;
                    c[(long long)(t + 1) * plane + at] = cell[k];
                    long long at4 = (long long)(b0 + r) * 4 * n + j;
                    if (gates != nullptr) {
                        float* gt = gates + (long long)t * plane4 + at4;
                        gt[0] = ig;
                        gt[n] = fg;
                        gt[2 * n] = gg;
                        gt[3 * n] = og;
                    }
                    if (t + 1 < steps) {
#pragma unroll
                        for (int q = 0; q < 4; q++) {
                            pNext[k][q] = p[(long long)(t + 1) * plane4 + at4 + q * n];
                        }
                    }
                }
            }
        }
        Team<CLUSTER>::sync();
    }
}

// ------------------------------------------------------------------------------ persistent backward

// Block `rank` owns the units [rank*units, rank*units + units); thread row m = unit j = rank*units + m holds column j
// of W (4N floats: W[k][j] for k < 4N) against the vector dGates_t (4N), so dh_{t-1} = dGates_t W is a row product.
// Shared memory (floats): vbuf [2][rows][stride] (dGates_t replicated, by step parity; stride >= 4N, padding 0),
// pre [rows][units] (dh_{t-1} of the owned units). Each item keeps the carried dh and dc in registers and prefetches
// its four activated gates, c_{t-1} and gOut one step ahead (c_t is the last step's c_{t-1}).
// gates: on entry the activated gates, on return dL/d(gate pre-activations), as the per-step path leaves them.
template <int CLUSTER>
__device__ __forceinline__ void lstm_backward(float* smem, const float* __restrict__ w, const float* __restrict__ c,
                                              float* __restrict__ gates, const float* __restrict__ gOut, int perStep,
                                              int steps, int batch, int n, int units, int rows, int segments, int chunks) {
    const int stride = 4 * segments * chunks;
    float* vbuf = smem;
    float* pre = vbuf + 2 * rows * stride;
    const unsigned self = Team<CLUSTER>::rank();
    const int b0 = (blockIdx.x / CLUSTER) * rows;
    const int tid = threadIdx.x;
    const int m = tid / segments, s = tid % segments;
    const long long plane = (long long)batch * n, plane4 = 4 * plane;

    float wr[4 * ROAF_REC_CHUNKS];
    {
        int j = (int)self * units + m;
        bool rowOk = m < units && j < n;
        int col0 = rowOk ? j : 0;
        load_weights(wr, rowOk, s, segments, chunks, 4 * n, [&](int k) { return w[(long long)k * n + col0]; });
    }
    team_zero_vectors(vbuf, rows, stride);

    int itemRowUnit[ROAF_REC_ITEMS];
    float dhCarry[ROAF_REC_ITEMS], dcCarry[ROAF_REC_ITEMS], cNow[ROAF_REC_ITEMS], cPrev[ROAF_REC_ITEMS],
            gNext[ROAF_REC_ITEMS], act[ROAF_REC_ITEMS][4];
#pragma unroll
    for (int k = 0; k < ROAF_REC_ITEMS; k++) {
        int r, u, j;
        bool live = team_item(k, units, rows, self, n, r, u, j);
        bool loads = live && b0 + r < batch && steps > 0;
        itemRowUnit[k] = live ? r * 65536 + u : -1;
        dhCarry[k] = 0.0f;
        dcCarry[k] = 0.0f;
        long long at = (long long)(b0 + r) * n + j, at4 = (long long)(b0 + r) * 4 * n + j;
        cNow[k] = loads ? c[(long long)steps * plane + at] : 0.0f;
        cPrev[k] = loads ? c[(long long)(steps - 1) * plane + at] : 0.0f;
        gNext[k] = loads ? gOut[(perStep ? (long long)(steps - 1) * plane : 0) + at] : 0.0f;
#pragma unroll
        for (int q = 0; q < 4; q++) {
            act[k][q] = loads ? gates[(long long)(steps - 1) * plane4 + at4 + q * n] : 0.0f;
        }
    }
    Team<CLUSTER>::sync();

    for (int t = steps - 1; t >= 0; t--) {
        float* vcur = vbuf + (t & 1) * rows * stride;
        // Phase A: the gate gradients of the owned units, to every block of the team and over `gates`.
#pragma unroll
        for (int k = 0; k < ROAF_REC_ITEMS; k++) {
            if (itemRowUnit[k] >= 0) {
                int r = itemRowUnit[k] >> 16;
                int j = (int)self * units + (itemRowUnit[k] & 0xffff);
                float iv = act[k][0], fv = act[k][1], gv = act[k][2], ov = act[k][3];
                float dh = dhCarry[k] + gNext[k];
                float tcv = tanhf(cNow[k]);
                float dc = dcCarry[k] + dh * ov * (1.0f - tcv * tcv);
                float dGate[4];
                dGate[0] = roaf_flush(dc * gv * iv * (1.0f - iv));
                dGate[1] = roaf_flush(dc * cPrev[k] * fv * (1.0f - fv));
                dGate[2] = roaf_flush(dc * iv * (1.0f - gv * gv));
                dGate[3] = roaf_flush(dh * tcv * ov * (1.0f - ov));
                dcCarry[k] = roaf_flush(dc * fv);
#pragma unroll
                for (int q = 0; q < 4; q++) {
                    store_to_team<CLUSTER>(vcur, r * stride + q * n + j, dGate[q], self);
                }
                if (b0 + r < batch) {
                    long long at = (long long)(b0 + r) * n + j, at4 = (long long)(b0 + r) * 4 * n + j;
                    float* gt = gates + (long long)t * plane4 + at4;
#pragma unroll
                    for (int q = 0; q < 4; q++) {
                        gt[q * n] = dGate[q];
                    }
                    if (t > 0) {
                        cNow[k] = cPrev[k];
                        cPrev[k] = c[(long long)(t - 1) * plane + at];
                        gNext[k] = perStep ? gOut[(long long)(t - 1) * plane + at] : 0.0f;
#pragma unroll
                        for (int q = 0; q < 4; q++) {
                            act[k][q] = gates[(long long)(t - 1) * plane4 + at4 + q * n];
                        }
                    }
                }
            }
        }
        if (t == 0) {
            break;  // dh_{-1} is not needed: no product, no barrier (every block of the team leaves here)
        }
        Team<CLUSTER>::sync();
        // Phase B: dh_{t-1} = dGates_t W for the owned units.
        team_matvec(wr, vcur, stride, rows, m, units, s, segments, chunks, pre, units);
        __syncthreads();
        // Phase C: the carried dh of step t-1 (same thread and item as phase A: kept in registers).
#pragma unroll
        for (int k = 0; k < ROAF_REC_ITEMS; k++) {
            if (itemRowUnit[k] >= 0) {
                int r = itemRowUnit[k] >> 16, u = itemRowUnit[k] & 0xffff;
                dhCarry[k] = roaf_flush(pre[r * units + u]);
            }
        }
        // No barrier here: as in recurrence.cu, phase A of step t-1 writes the other parity's buffer, and `pre` is
        // next written after the team barrier that follows that phase A.
    }
    // A block's shared memory must outlive the remote stores into it. The last remote stores (phase A of step 0) go
    // to buffers no block reads again, but the block they target must still be running: a team barrier first.
    Team<CLUSTER>::sync();
}

// ------------------------------------------------------------------------------------- entry points
#ifndef ROAF_EMULATION

#define ROAF_LSTM_FORWARD_PARAMS                                                                              \
    const float* __restrict__ p, const float* __restrict__ w, float* __restrict__ h, float* __restrict__ c,    \
        float* __restrict__ gates, int steps, int batch, int n, int units, int rows, int segments, int chunks
#define ROAF_LSTM_FORWARD_ARGS dynamicShared(), p, w, h, c, gates, steps, batch, n, units, rows, segments, chunks
#define ROAF_LSTM_BACKWARD_PARAMS                                                                             \
    const float* __restrict__ w, const float* __restrict__ c, float* __restrict__ gates,                      \
        const float* __restrict__ gOut, int perStep, int steps, int batch, int n, int units, int rows,        \
        int segments, int chunks
#define ROAF_LSTM_BACKWARD_ARGS dynamicShared(), w, c, gates, gOut, perStep, steps, batch, n, units, rows, segments, chunks

// One block per team (every architecture; N up to 64) and, on sm_90+, teams of 2, 4 or 8 blocks as thread-block
// clusters (psMNIST's N = 128 needs 2): roaf_lstm_{forward,backward}[_x2|_x4|_x8] (RecurrenceLayout.lstmForward/lstmBackward).
ROAF_TEAM_KERNELS(roaf_lstm_forward, ROAF_LSTM_FORWARD_PARAMS, lstm_forward, ROAF_LSTM_FORWARD_ARGS)
ROAF_TEAM_KERNELS(roaf_lstm_backward, ROAF_LSTM_BACKWARD_PARAMS, lstm_backward, ROAF_LSTM_BACKWARD_ARGS)
#endif  // ROAF_EMULATION
