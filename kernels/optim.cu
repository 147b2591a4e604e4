// optim.cu: optimizer steps over the whole flat parameter tensor in one launch
// (Engine.sgdStep, Engine.adamStep). Arithmetic as torch.optim (non-fused) and CpuEngine.
// Build: kernels/build.sh.
#include "common.cuh"

// With velocity: v = mu v + g'; p -= lr v. Without (velocity == nullptr): p -= lr g'. g' = g + l2 p
// (torch.optim.SGD's weight_decay; exactly g when l2 = 0).
extern "C" __global__ void roaf_sgd_step(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ v,
                                         long long n, float lr, float momentum, float l2) {
    if (v == nullptr) {
        ROAF_FOR(i, n) {
            float pi = p[i];
            p[i] = pi - lr * fmaf(l2, pi, g[i]);
        }
    } else {
        ROAF_FOR(i, n) {
            float pi = p[i];
            float vv = momentum * v[i] + fmaf(l2, pi, g[i]);
            v[i] = vv;
            p[i] = pi - lr * vv;
        }
    }
}

// g' = g + l2 p; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2; p = p shrink - stepSize * m / (sqrt(v) / sqrtBc2 + eps),
// stepSize = lr / (1 - b1^t) and sqrtBc2 = sqrt(1 - b2^t) computed on the host (in double, as the CPU).
// l2 is torch.optim.Adam's weight_decay, shrink = 1 - lr wd torch.optim.AdamW's; l2 = 0 and shrink = 1
// give plain Adam bit for bit.
extern "C" __global__ void roaf_adam_step(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                          float* __restrict__ v, long long n, float beta1, float beta2, float stepSize,
                                          float sqrtBc2, float eps, float l2, float shrink) {
    ROAF_FOR(i, n) {
        float pi = p[i];
        float gi = fmaf(l2, pi, g[i]);
        float mv = beta1 * m[i] + (1.0f - beta1) * gi;
        float vv = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mv;
        v[i] = vv;
        p[i] = pi * shrink - stepSize * mv / (sqrtf(vv) / sqrtBc2 + eps);
    }
}
