// gemm.cu: the project's own single-precision GEMM, used when cuBLAS (libcublas.so.12) does not load.
//     C = alpha op(A) op(B) + beta C, row-major; op(A) is [M,K], op(B) is [K,N], C is [M,N];
//     lda/ldb/ldc are the row lengths of A, B, C as stored. With beta == 0, C is not read (NaN ignored).
// Tiled in shared memory: a block of 256 threads computes a BM x BN tile of C, each thread a
// TM x TN micro-tile in registers, stepping through K in slices of BK. Two tile shapes:
//     roaf_gemm_{nn,nt,tn,tt}        128 x 128 x 8, 8 x 8 per thread (large products)
//     roaf_gemm_small_{nn,nt,tn,tt}  32 x 32 x 16, 2 x 2 per thread (per-step recurrence products)
// Split K, for products whose C has too few tiles to fill the GPU but whose K is long (the weight
// gradients of a recurrence, dW = d^T h over all T*B rows: C is 128 x 128, K is 78,400 for psMNIST,
// which unsplit is one block walking all of K alone):
//     roaf_splitk_gemm_{nn,tn}, roaf_splitk_gemm_small_{nn,tn}: the blocks of slice z compute
//         op(A) op(B) over K's [z*kSlice, (z+1)*kSlice) into partial[z] (an M x N matrix, no alpha/beta);
//         grid.y is (tiles along M) x (slices), so no third grid dimension is needed. Only B untransposed:
//         the products that need a split (weight gradients, d^T x) are all "tn", and every variant
//         adds about 0.3 MB to the shipped fatbin; a transposed B takes the unsplit kernels.
//     roaf_splitk_reduce: C = alpha sum_z partial[z] + beta C, summed in double in z order, so the
//         result does not depend on timing (GemmPlan, used by CudaEngine.ownGemm, picks the split).
// Every load is bounds-checked, so any M, N, K works (ragged shapes included). No tensor cores.
// Build: kernels/build.sh.
#include "common.cuh"

template <int BM, int BN, int BK, int TM, int TN, bool TA, bool TB>
__device__ __forceinline__ void roaf_gemm_tile(int tileM, int tileN, int m, int n, int k, float alpha, const float* __restrict__ a, int lda,
                                               const float* __restrict__ b, int ldb, float beta, float* __restrict__ c,
                                               int ldc) {
    static_assert((BM / TM) * (BN / TN) == 256, "256 threads per block");
    __shared__ float as[BK][BM];
    __shared__ float bs[BK][BN];
    const int tid = threadIdx.x;
    const int tx = tid % (BN / TN), ty = tid / (BN / TN);
    const int m0 = tileM * BM, n0 = tileN * BN;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++) {
#pragma unroll
        for (int j = 0; j < TN; j++) {
            acc[i][j] = 0.0f;
        }
    }
    for (int k0 = 0; k0 < k; k0 += BK) {
        // op(A)[m0 .. m0+BM, k0 .. k0+BK] -> as[kk][mm]; consecutive threads walk the stored rows.
#pragma unroll
        for (int e = tid; e < BM * BK; e += 256) {
            int mm, kk;
            if (!TA) { mm = e / BK; kk = e % BK; } else { kk = e / BM; mm = e % BM; }
            int gm = m0 + mm, gk = k0 + kk;
            float v = 0.0f;
            if (gm < m && gk < k) {
                v = TA ? a[(long long)gk * lda + gm] : a[(long long)gm * lda + gk];
            }
            as[kk][mm] = v;
        }
        // op(B)[k0 .. k0+BK, n0 .. n0+BN] -> bs[kk][nn].
#pragma unroll
        for (int e = tid; e < BN * BK; e += 256) {
            int nn, kk;
            if (!TB) { kk = e / BN; nn = e % BN; } else { nn = e / BK; kk = e % BK; }
            int gn = n0 + nn, gk = k0 + kk;
            float v = 0.0f;
            if (gn < n && gk < k) {
                v = TB ? b[(long long)gn * ldb + gk] : b[(long long)gk * ldb + gn];
            }
            bs[kk][nn] = v;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float ra[TM], rb[TN];
#pragma unroll
            for (int i = 0; i < TM; i++) {
                ra[i] = as[kk][ty + i * (BM / TM)];
            }
#pragma unroll
            for (int j = 0; j < TN; j++) {
                rb[j] = bs[kk][tx + j * (BN / TN)];
            }
#pragma unroll
            for (int i = 0; i < TM; i++) {
#pragma unroll
                for (int j = 0; j < TN; j++) {
                    acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; i++) {
        int gm = m0 + ty + i * (BM / TM);
        if (gm >= m) {
            continue;
        }
#pragma unroll
        for (int j = 0; j < TN; j++) {
            int gn = n0 + tx + j * (BN / TN);
            if (gn < n) {
                float* dst = c + (long long)gm * ldc + gn;
                *dst = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *dst;
            }
        }
    }
}

#define ROAF_GEMM(name, BM, BN, BK, TM, TN, TA, TB)                                                                   \
    extern "C" __global__ void __launch_bounds__(256) name(int m, int n, int k, float alpha, const float* a, int lda, \
                                                           const float* b, int ldb, float beta, float* c, int ldc) { \
        roaf_gemm_tile<BM, BN, BK, TM, TN, TA, TB>(blockIdx.y, blockIdx.x, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); \
    }

// Block (x, y): tile (y % tilesM, x) of C over K's slice y / tilesM, written to partial + slice*m*n (row length n).
#define ROAF_SPLITK_GEMM(name, BM, BN, BK, TM, TN, TA, TB)                                                              \
    extern "C" __global__ void __launch_bounds__(256) name(int m, int n, int k, int kSlice, const float* a, int lda,    \
                                                           const float* b, int ldb, float* partial) {                  \
        const int tilesM = (m + BM - 1) / BM;                                                                           \
        const int slice = blockIdx.y / tilesM;                                                                          \
        long long k0 = (long long)slice * kSlice;                                                                       \
        int len = (int)(k - k0 < kSlice ? k - k0 : kSlice);                                                            \
        const float* as = TA ? a + k0 * lda : a + k0;                                                                   \
        const float* bs = TB ? b + k0 : b + k0 * ldb;                                                                   \
        roaf_gemm_tile<BM, BN, BK, TM, TN, TA, TB>(blockIdx.y % tilesM, blockIdx.x, m, n, len, 1.0f, as, lda, bs, ldb,   \
                                                   0.0f, partial + (long long)slice * m * n, n);                        \
    }

ROAF_GEMM(roaf_gemm_nn, 128, 128, 8, 8, 8, false, false)
ROAF_GEMM(roaf_gemm_nt, 128, 128, 8, 8, 8, false, true)
ROAF_GEMM(roaf_gemm_tn, 128, 128, 8, 8, 8, true, false)
ROAF_GEMM(roaf_gemm_tt, 128, 128, 8, 8, 8, true, true)
ROAF_GEMM(roaf_gemm_small_nn, 32, 32, 16, 2, 2, false, false)
ROAF_GEMM(roaf_gemm_small_nt, 32, 32, 16, 2, 2, false, true)
ROAF_GEMM(roaf_gemm_small_tn, 32, 32, 16, 2, 2, true, false)
ROAF_GEMM(roaf_gemm_small_tt, 32, 32, 16, 2, 2, true, true)
ROAF_SPLITK_GEMM(roaf_splitk_gemm_nn, 128, 128, 8, 8, 8, false, false)
ROAF_SPLITK_GEMM(roaf_splitk_gemm_tn, 128, 128, 8, 8, 8, true, false)
ROAF_SPLITK_GEMM(roaf_splitk_gemm_small_nn, 32, 32, 16, 2, 2, false, false)
ROAF_SPLITK_GEMM(roaf_splitk_gemm_small_tn, 32, 32, 16, 2, 2, true, false)

// C[i, j] = alpha sum_z partial[z, i, j] + beta C[i, j] (row length ldc); with beta == 0 C is not read.
extern "C" __global__ void roaf_splitk_reduce(const float* __restrict__ partial, int splits, int m, int n,
                                                   float alpha, float beta, float* __restrict__ c, int ldc) {
    long long count = (long long)m * n;
    ROAF_FOR(i, count) {
        double s = 0.0;
        for (int z = 0; z < splits; z++) {
            s += partial[(long long)z * count + i];
        }
        float* dst = c + (i / n) * ldc + i % n;
        *dst = beta == 0.0f ? (float)(alpha * s) : (float)(alpha * s) + beta * *dst;
    }
}
