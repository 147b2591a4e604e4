// elementwise.cu: fill, scale, sum of squares, bias add, bias-gradient reductions and the range of
// uniform draws (Engine.fill, scale, sumOfSquares, addRowVector, sumRows, randomUniform).
// Reductions write one double partial per block (or per row chunk); the Java launcher sums the
// partials on the host in a fixed order, so results are deterministic.
// Build: kernels/build.sh (nvcc -fatbin, SASS sm_75..sm_90 + compute_90 PTX).
#include "common.cuh"

extern "C" __global__ void roaf_fill(float* p, long long n, float value) {
    ROAF_FOR(i, n) { p[i] = value; }
}

extern "C" __global__ void roaf_scale(float* p, long long n, float factor) {
    ROAF_FOR(i, n) { p[i] *= factor; }
}

// partial[blockIdx.x] = sum over this block's grid-stride share of p[i]^2 (in double).
extern "C" __global__ void roaf_sum_squares(const float* __restrict__ p, long long n, double* __restrict__ partial) {
    double s = 0.0;
    ROAF_FOR(i, n) {
        double v = p[i];
        s += v * v;
    }
    s = roaf_block_sum(s);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = s;
    }
}

// c[r, j] += bias[j] for a [rows, cols] matrix.
extern "C" __global__ void roaf_add_row_vector(float* __restrict__ c, const float* __restrict__ bias, long long rows, int cols) {
    long long n = rows * cols;
    ROAF_FOR(i, n) { c[i] += bias[i % cols]; }
}

// Column sums of src [rows, cols], pass 1: block (x, y) sums columns [32x, 32x+32) over the rows of
// chunk y (rowsPerChunk rows) into partial[y * cols + j] (double). blockDim = (32, 8).
extern "C" __global__ void roaf_sum_rows_partial(const float* __restrict__ src, long long rows, int cols,
                                                 long long rowsPerChunk, double* __restrict__ partial) {
    __shared__ double acc[8][33];
    int j = blockIdx.x * 32 + threadIdx.x;
    long long r0 = (long long)blockIdx.y * rowsPerChunk;
    long long r1 = r0 + rowsPerChunk < rows ? r0 + rowsPerChunk : rows;
    double s = 0.0;
    if (j < cols) {
        for (long long r = r0 + threadIdx.y; r < r1; r += 8) {
            s += src[r * cols + j];
        }
    }
    acc[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && j < cols) {
        double t = 0.0;
        for (int q = 0; q < 8; q++) {
            t += acc[q][threadIdx.x];
        }
        partial[(long long)blockIdx.y * cols + j] = t;
    }
}

// Pass 2: dst[j] = beta * dst[j] + sum_c partial[c, j]; with beta == 0 the old dst is not read.
extern "C" __global__ void roaf_sum_rows_final(const double* __restrict__ partial, int chunks, int cols, float beta,
                                               float* __restrict__ dst) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols) {
        return;
    }
    double s = 0.0;
    for (int c = 0; c < chunks; c++) {
        s += partial[(long long)c * cols + j];
    }
    dst[j] = beta == 0.0f ? (float)s : (float)(beta * dst[j] + s);
}

// out[i] = lo + width (1 - u[i]) for cuRAND's uniform floats u in (0, 1]: U[lo, lo + width) (Engine.randomUniform).
// Float rounding that would reach lo + width is kept below it, as HostRandom does on the CPU.
extern "C" __global__ void roaf_uniform_to_range(const float* __restrict__ u, float* __restrict__ out, long long n, float lo,
                                                 float width) {
    float hi = lo + width;
    ROAF_FOR(i, n) {
        float v = lo + width * (1.0f - u[i]);
        out[i] = v < hi ? v : nextafterf(hi, -INFINITY);
    }
}
