// loss.cu: softmax cross-entropy with its gradient and arg-max, and squared error
// (Engine.softmaxCrossEntropy, Engine.squaredError). One thread per row for the softmax (class
// counts are small: 10 for every task of this project); losses are summed per block in double
// and the Java launcher adds the block partials on the host.
// Build: kernels/build.sh.
#include "common.cuh"

// logits [rows, classes]; labels I32 [rows] (negative = ignored row); dLogits may alias logits or be
// null; predictions may be null. partial[blockIdx.x] = sum of this block's row losses. A label
// >= classes sets *badLabel to (label + 1) and the row contributes NaN.
extern "C" __global__ void roaf_softmax_xent(const float* logits, const int* __restrict__ labels, int rows, int classes,
                                             float gradScale, float* dLogits, int* __restrict__ predictions,
                                             double* __restrict__ partial, int* __restrict__ badLabel) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    double loss = 0.0;
    if (r < rows) {
        const float* row = logits + (long long)r * classes;
        int label = labels[r];
        float mx = -INFINITY;
        int arg = 0;
        for (int j = 0; j < classes; j++) {
            float v = row[j];
            if (v > mx || isnan(v)) {
                mx = v;
                arg = j;
                if (isnan(v)) {
                    break;
                }
            }
        }
        if (predictions != nullptr) {
            predictions[r] = arg;
        }
        double z = 0.0;
        for (int j = 0; j < classes; j++) {
            z += exp((double)(row[j] - mx));
        }
        double logZ = log(z) + mx;
        if (label >= classes) {
            atomicExch(badLabel, label + 1);
            loss = nan("");
        } else if (label >= 0) {
            loss = logZ - row[label];
        }
        if (dLogits != nullptr) {
            float* d = dLogits + (long long)r * classes;
            for (int j = 0; j < classes; j++) {
                float prob = (float)exp(row[j] - logZ);
                d[j] = label < 0 || label >= classes ? 0.0f : gradScale * (prob - (j == label ? 1.0f : 0.0f));
            }
        }
    }
    loss = roaf_block_sum(loss);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = loss;
    }
}

// sum (pred - target)^2 per block into partial; dPred = gradScale * 2 (pred - target) (may alias pred, or be null).
extern "C" __global__ void roaf_squared_error(const float* pred, const float* __restrict__ target, long long n,
                                              float gradScale, float* dPred, double* __restrict__ partial) {
    double s = 0.0;
    ROAF_FOR(i, n) {
        float e = pred[i] - target[i];
        s += (double)e * e;
        if (dPred != nullptr) {
            dPred[i] = gradScale * 2.0f * e;
        }
    }
    s = roaf_block_sum(s);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = s;
    }
}
