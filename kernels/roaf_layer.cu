// roaf_layer.cu: the fused elementwise parts of a ROAF layer and of one ROAF recurrence step
// (Engine.roafStackForward/Infer/Backward, Engine.recurrenceForward/Backward).
//
// Forward, per layer or step (the products come from GEMMs launched just before):
//     out = W x            (GEMM, written into the output state)
//     ox  = O x            (GEMM, dense filters only; written into z, which the epilogue overwrites)
//     z   = tanh(out + add)          add = bias row (stride 0) or p_t rows (stride N)
//     out = flush(alpha * O x + beta * z)
// Backward, per layer or step:
//     prologue:  gsum = g + gExtra (recurrence: carried gradient + readout gradient),
//                d = flush(beta (1 - z^2) gsum) written over z
//     products:  gin = d W (+ alpha gsum O for dense filters)    (GEMMs)
//     finish:    gin = flush(gin + alpha O^T gsum) for permutation / identity filters, flush only otherwise
// Signed permutation filters ((O x)_j = sign_j x_{index_j}) are applied inside the epilogue and the
// finish kernel; they never need a product. A recurrence takes this per-step path only where the
// persistent kernels of recurrence.cu do not cover the shape (RecurrenceLayout decides) or when
// -Droaf.cuda.persistent=false.
// Build: kernels/build.sh.
#include "common.cuh"

// out [rows, n]: on entry W x, on return the new state. ox: O x (dense) or unused. xin: the input
// state (permutation / identity). z: receives tanh(a); may be null; may alias ox (same index only).
extern "C" __global__ void roaf_forward_epilogue(float* out, const float* ox, const float* __restrict__ xin,
                                                 const float* __restrict__ add, int addStride,
                                                 const int* __restrict__ index, const float* __restrict__ sign,
                                                 float* z, long long rows, int n, int kind, float alpha, float beta) {
    long long total = rows * n;
    ROAF_FOR(i, total) {
        long long r = i / n;
        int j = (int)(i - r * n);
        float zv = tanhf(out[i] + add[(long long)addStride * r + j]);
        float f;
        switch (kind) {
            case ROAF_FILTER_DENSE: f = alpha * ox[i]; break;
            case ROAF_FILTER_PERM: f = alpha * sign[j] * xin[r * n + index[j]]; break;
            case ROAF_FILTER_IDENTITY: f = alpha * xin[i]; break;
            default: f = 0.0f; break;
        }
        if (z != nullptr) {
            z[i] = zv;
        }
        out[i] = roaf_flush(kind == ROAF_FILTER_NONE ? beta * zv : f + beta * zv);
    }
}

// z [count]: on entry tanh(a), on return d = flush(beta (1 - z^2) (g + gExtra)). gExtra may be null;
// gSum, when not null, receives g + gExtra (the total gradient the filter term needs).
extern "C" __global__ void roaf_backward_prologue(float* __restrict__ z, const float* __restrict__ g,
                                                  const float* __restrict__ gExtra, float* __restrict__ gSum,
                                                  long long count, float beta) {
    ROAF_FOR(i, count) {
        float gv = gExtra == nullptr ? g[i] : g[i] + gExtra[i];
        if (gSum != nullptr) {
            gSum[i] = gv;
        }
        float zv = z[i];
        z[i] = roaf_flush(beta * (1.0f - zv * zv) * gv);
    }
}

// gin [rows, n] holds d W (+ alpha g O for dense); adds alpha O^T g for permutation / identity
// filters ((O^T g)_{index_j} = sign_j g_j: thread (r, j) owns element (r, index_j), so every element
// is written by exactly one thread), then flushes.
extern "C" __global__ void roaf_backward_finish(float* __restrict__ gin, const float* __restrict__ g,
                                                const int* __restrict__ index, const float* __restrict__ sign,
                                                long long rows, int n, int kind, float alpha) {
    long long total = rows * n;
    ROAF_FOR(i, total) {
        long long r = i / n;
        int j = (int)(i - r * n);
        if (kind == ROAF_FILTER_PERM) {
            long long t = r * n + index[j];
            gin[t] = roaf_flush(gin[t] + alpha * sign[j] * g[i]);
        } else if (kind == ROAF_FILTER_IDENTITY) {
            gin[i] = roaf_flush(gin[i] + alpha * g[i]);
        } else {
            gin[i] = roaf_flush(gin[i]);
        }
    }
}
