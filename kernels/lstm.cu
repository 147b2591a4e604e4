// lstm.cu: fused LSTM cell, forward and backward, one time step per launch (Engine.lstmForward,
// Engine.lstmBackward). Gate order i, f, g, o as in PyTorch. The recurrent products h_{t-1} W^T
// (forward) and dGates W (backward) are GEMMs launched between the cells.
// Build: kernels/build.sh.
#include "common.cuh"

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
