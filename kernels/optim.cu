// optim.cu: optimizer steps over the whole flat parameter tensor in one launch
// (Engine.sgdStep, Engine.adamStep). Arithmetic as torch.optim (non-fused) and CpuEngine.
// Build: kernels/build.sh.
#include "common.cuh"

// With velocity: v = mu v + g; p -= lr v. Without (velocity == nullptr): p -= lr g.
extern "C" __global__ void roaf_sgd_step(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ v,
                                         long long n, float lr, float momentum) {
    if (v == nullptr) {
        ROAF_FOR(i, n) { p[i] -= lr * g[i]; }
    } else {
        ROAF_FOR(i, n) {
            float vv = momentum * v[i] + g[i];
            v[i] = vv;
            p[i] -= lr * vv;
        }
    }
}

// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= stepSize * m / (sqrt(v) / sqrtBc2 + eps),
// stepSize = lr / (1 - b1^t) and sqrtBc2 = sqrt(1 - b2^t) computed on the host (in double, as the CPU).
extern "C" __global__ void roaf_adam_step(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                          float* __restrict__ v, long long n, float beta1, float beta2, float stepSize,
                                          float sqrtBc2, float eps) {
    ROAF_FOR(i, n) {
        float gi = g[i];
        float mv = beta1 * m[i] + (1.0f - beta1) * gi;
        float vv = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mv;
        v[i] = vv;
        p[i] -= stepSize * mv / (sqrtf(vv) / sqrtBc2 + eps);
    }
}
