// gemm.cu: the project's own single-precision GEMM, used when cuBLAS (libcublas.so.12) does not load.
//     C = alpha op(A) op(B) + beta C, row-major; op(A) is [M,K], op(B) is [K,N], C is [M,N];
//     lda/ldb/ldc are the row lengths of A, B, C as stored. With beta == 0, C is not read (NaN ignored).
// Tiled in shared memory: a block of 256 threads computes a BM x BN tile of C, each thread a
// TM x TN micro-tile in registers, stepping through K in slices of BK. Two tile shapes:
//     roaf_gemm_{nn,nt,tn,tt}        128 x 128 x 8, 8 x 8 per thread (large products)
//     roaf_gemm_small_{nn,nt,tn,tt}  32 x 32 x 16, 2 x 2 per thread (per-step recurrence products)
//     roaf_gemm2_{nn,nt,tn}          the 128 x 128 x 8 tile with float4 shared-memory reads and double buffering
//                                    (opt-in: -Droaf.cuda.gemm2=true; same results bit for bit; see roaf_gemm2_tile;
//                                    no tt: no model multiplies two transposed operands, and each variant adds
//                                    0.6 MB to the fatbin that travels to the GPU machine)
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
// Thin products (K or N at most 16: a recurrence's input projection and its gradient), bound by memory traffic:
//     roaf_thin_k_gemm_{nn,nt,tn,tt}   K <= 16, one C element per thread (opt-in: -Droaf.cuda.thinGemm=true)
//     roaf_thin_n_splitk_gemm_tn       N <= 16, A^T B over a long K, split into slices summed by roaf_splitk_reduce
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

// The 128 x 128 x 8 tile with the usual SGEMM refinements, behind CudaEngine's switch roaf.cuda.gemm2 (off by default
// until a GPU check has timed and passed it): kernels roaf_gemm2_{nn,nt,tn}.
// - Each thread's 8 x 8 micro-tile is two 4 x 4 quarters (rows ty*4 and 64 + ty*4, columns tx*4 and 64 + tx*4), so a
//   step of k reads its 8 values of op(A) and 8 of op(B) from shared memory as four float4 (16 scalar loads before).
// - The next K-slice is loaded from global memory into registers while the current one is multiplied, then stored
//   into the other half of double-buffered shared memory: one barrier per slice (two before).
// - Global loads are float4 wherever the four floats lie inside the matrix and are 16-byte aligned, else bounds-
//   checked scalars (any M, N, K, stride and offset works).
// Every element of C is the same chain fmaf(a_k, b_k, acc) over k = 0, 1, .. as in roaf_gemm_tile, with the same
// zero padding, so the results are bit for bit those of roaf_gemm_{nn,..} (kernels/emulation checks this).
__device__ __forceinline__ float4 roaf_gemm2_load4(const float* __restrict__ base, int ld, int row, int rows, int col,
                                                   int cols, bool vec) {
    // The four floats of stored row `row`, columns col..col+3, zero outside rows x cols; one float4 when allowed.
    float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (row < rows) {
        const float* p = base + (long long)row * ld + col;
        if (vec && col + 3 < cols) {
            v = *reinterpret_cast<const float4*>(p);
        } else {
            if (col < cols) v.x = p[0];
            if (col + 1 < cols) v.y = p[1];
            if (col + 2 < cols) v.z = p[2];
            if (col + 3 < cols) v.w = p[3];
        }
    }
    return v;
}

template <bool TA, bool TB>
__device__ __forceinline__ void roaf_gemm2_tile(int m, int n, int k, float alpha, const float* __restrict__ a, int lda,
                                                const float* __restrict__ b, int ldb, float beta, float* __restrict__ c,
                                                int ldc) {
    constexpr int BM = 128, BN = 128, BK = 8;
    __shared__ __align__(16) float as[2][BK][BM];
    __shared__ __align__(16) float bs[2][BK][BN];
    const int tid = threadIdx.x;
    const int tx = tid % 16, ty = tid / 16;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    // float4 loads need every row start 16-byte aligned: the base and the row length.
    const bool vecA = ((reinterpret_cast<unsigned long long>(a) & 15) == 0) && (lda & 3) == 0;
    const bool vecB = ((reinterpret_cast<unsigned long long>(b) & 15) == 0) && (ldb & 3) == 0;
    // What each thread loads per K-slice, four consecutive floats of one stored row:
    //   op(A) untransposed: row m0 + tid/2, columns k0 + (tid%2)*4 ..   -> as[kk][mm], four scalar stores
    //   op(A) transposed:   row k0 + tid/32, columns m0 + (tid%32)*4 .. -> as[kk][mm..mm+3], one float4 store
    //   op(B) untransposed: row k0 + tid/32, columns n0 + (tid%32)*4 .. -> bs[kk][nn..nn+3], one float4 store
    //   op(B) transposed:   row n0 + tid/2, columns k0 + (tid%2)*4 ..   -> bs[kk][nn], four scalar stores
    const int aRow = TA ? tid / 32 : tid / 2, aCol = TA ? (tid % 32) * 4 : (tid % 2) * 4;
    const int bRow = TB ? tid / 2 : tid / 32, bCol = TB ? (tid % 2) * 4 : (tid % 32) * 4;
    float4 ra, rb;
    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++) {
#pragma unroll
        for (int j = 0; j < 8; j++) {
            acc[i][j] = 0.0f;
        }
    }
    // This thread's four floats of op(A) and of op(B) for the K-slice starting at k0.
    auto fetch = [&](int k0) {
        ra = TA ? roaf_gemm2_load4(a, lda, k0 + aRow, k, m0 + aCol, m, vecA)
                : roaf_gemm2_load4(a, lda, m0 + aRow, m, k0 + aCol, k, vecA);
        rb = TB ? roaf_gemm2_load4(b, ldb, n0 + bRow, n, k0 + bCol, k, vecB)
                : roaf_gemm2_load4(b, ldb, k0 + bRow, k, n0 + bCol, n, vecB);
    };
    fetch(0);
    int buf = 0;
    for (int k0 = 0; k0 < k || k0 == 0; k0 += BK) {  // one pass when K is 0: C = beta C, as roaf_gemm_*
        // ra, rb hold slice k0: into this half.
        if (TA) {
            *reinterpret_cast<float4*>(&as[buf][aRow][aCol]) = ra;
        } else {
            as[buf][aCol][aRow] = ra.x;
            as[buf][aCol + 1][aRow] = ra.y;
            as[buf][aCol + 2][aRow] = ra.z;
            as[buf][aCol + 3][aRow] = ra.w;
        }
        if (TB) {
            bs[buf][bCol][bRow] = rb.x;
            bs[buf][bCol + 1][bRow] = rb.y;
            bs[buf][bCol + 2][bRow] = rb.z;
            bs[buf][bCol + 3][bRow] = rb.w;
        } else {
            *reinterpret_cast<float4*>(&bs[buf][bRow][bCol]) = rb;
        }
        // This half is complete for everyone; the half written one slice ago is read by nobody any more.
        __syncthreads();
        if (k0 + BK < k) {
            fetch(k0 + BK);  // the next slice is in flight while this one is multiplied
        }
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float4 a0 = *reinterpret_cast<const float4*>(&as[buf][kk][ty * 4]);
            float4 a1 = *reinterpret_cast<const float4*>(&as[buf][kk][64 + ty * 4]);
            float4 b0 = *reinterpret_cast<const float4*>(&bs[buf][kk][tx * 4]);
            float4 b1 = *reinterpret_cast<const float4*>(&bs[buf][kk][64 + tx * 4]);
            const float av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++) {
#pragma unroll
                for (int j = 0; j < 8; j++) {
                    acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
                }
            }
        }
        buf ^= 1;
    }
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int gm = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (gm >= m) {
            continue;
        }
#pragma unroll
        for (int j = 0; j < 8; j++) {
            int gn = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
            if (gn < n) {
                float* dst = c + (long long)gm * ldc + gn;
                *dst = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *dst;
            }
        }
    }
}

#define ROAF_GEMM2(name, TA, TB)                                                                                        \
    extern "C" __global__ void __launch_bounds__(256) name(int m, int n, int k, float alpha, const float* a, int lda,   \
                                                           const float* b, int ldb, float beta, float* c, int ldc) {   \
        roaf_gemm2_tile<TA, TB>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);                                         \
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
ROAF_GEMM2(roaf_gemm2_nn, false, false)
ROAF_GEMM2(roaf_gemm2_nt, false, true)
ROAF_GEMM2(roaf_gemm2_tn, true, false)
ROAF_SPLITK_GEMM(roaf_splitk_gemm_nn, 128, 128, 8, 8, 8, false, false)
ROAF_SPLITK_GEMM(roaf_splitk_gemm_tn, 128, 128, 8, 8, 8, true, false)
ROAF_SPLITK_GEMM(roaf_splitk_gemm_small_nn, 32, 32, 16, 2, 2, false, false)
ROAF_SPLITK_GEMM(roaf_splitk_gemm_small_tn, 32, 32, 16, 2, 2, true, false)

// Thin products: the tiles would compute mostly padding and wait on memory (kernels roaf_thin_*, behind CudaEngine's
// switch roaf.cuda.thinGemm until a GPU check has timed them; GemmPlan.thinK / thinN say which products take them).
// A recurrence with a few inputs per step has two: its input projection U x_t for all steps at once ([T*B, I] x [I, N],
// K = I is 1 for psMNIST, 2 for adding, 10 for copy) and that weight's gradient dU = d^T x ([N, T*B] x [T*B, I], N = I).
// Both are bound by memory traffic (C's T*B*N elements written, or d's read), which the kernels below stream once.
#define ROAF_THIN 16            // longest K of roaf_thin_k_gemm_*, widest N of roaf_thin_n_splitk_gemm_tn (GemmPlan.THIN)
#define ROAF_THIN_ROWS 128      // rows of C per block of roaf_thin_n_splitk_gemm_tn (GemmPlan.THIN_ROWS)
#define ROAF_THIN_STREAMS 4     // interleaved k-streams per block of it (512 threads)

// C = alpha op(A) op(B) + beta C with K <= ROAF_THIN: grid-stride over C's M*N elements, each one dot product of K terms
// (the same fmaf chain over k as roaf_gemm_tile). Consecutive threads take consecutive elements of a row of C: the
// writes coalesce and op(A)'s element is one broadcast per warp; op(B) (at most ROAF_THIN x N) stays in L1/L2.
template <bool TA, bool TB>
__device__ __forceinline__ void roaf_thin_k_gemm(int m, int n, int k, float alpha, const float* __restrict__ a, int lda,
                                                 const float* __restrict__ b, int ldb, float beta, float* __restrict__ c,
                                                 int ldc) {
    const long long count = (long long)m * n;
    ROAF_FOR(e, count) {
        const int i = (int)(e / n), j = (int)(e % n);
        float s = 0.0f;
#pragma unroll
        for (int q = 0; q < ROAF_THIN; q++) {
            if (q < k) {
                float av = TA ? __ldg(a + (long long)q * lda + i) : __ldg(a + (long long)i * lda + q);
                float bv = TB ? __ldg(b + (long long)j * ldb + q) : __ldg(b + (long long)q * ldb + j);
                s = fmaf(av, bv, s);
            }
        }
        float* dst = c + (long long)i * ldc + j;
        *dst = beta == 0.0f ? alpha * s : alpha * s + beta * *dst;
    }
}

#define ROAF_THIN_K_GEMM(name, TA, TB)                                                                                 \
    extern "C" __global__ void name(int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, \
                                    float beta, float* c, int ldc) {                                                  \
        roaf_thin_k_gemm<TA, TB>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);                                       \
    }
ROAF_THIN_K_GEMM(roaf_thin_k_gemm_nn, false, false)
ROAF_THIN_K_GEMM(roaf_thin_k_gemm_nt, false, true)
ROAF_THIN_K_GEMM(roaf_thin_k_gemm_tn, true, false)
ROAF_THIN_K_GEMM(roaf_thin_k_gemm_tt, true, true)

// partial[y] = A^T B over K's slice y (rows [y*kSlice, (y+1)*kSlice) of A [K, M] and B [K, N], N <= ROAF_THIN), rows
// [x*ROAF_THIN_ROWS, ...) of the M x N result; summed by roaf_splitk_reduce. Thread (stream, r) walks the slice's rows
// stream, stream + 4, ... for column i = x*128 + r of A: a warp reads 32 consecutive floats of one row of A (coalesced)
// and that row's N values of B (one broadcast each), four rows in flight per thread. The four streams' sums are added
// in stream order through shared memory, so the result does not depend on timing.
extern "C" __global__ void __launch_bounds__(ROAF_THIN_ROWS * ROAF_THIN_STREAMS)
    roaf_thin_n_splitk_gemm_tn(int m, int n, int k, int kSlice, const float* __restrict__ a, int lda,
                               const float* __restrict__ b, int ldb, float* __restrict__ partial) {
    __shared__ float sums[ROAF_THIN_STREAMS - 1][ROAF_THIN][ROAF_THIN_ROWS];
    const int r = threadIdx.x % ROAF_THIN_ROWS, stream = threadIdx.x / ROAF_THIN_ROWS;
    const int i = blockIdx.x * ROAF_THIN_ROWS + r;
    const long long k0 = (long long)blockIdx.y * kSlice;
    const long long k1 = k - k0 < kSlice ? (long long)k : k0 + kSlice;
    float acc[ROAF_THIN];
#pragma unroll
    for (int j = 0; j < ROAF_THIN; j++) {
        acc[j] = 0.0f;
    }
    if (i < m) {
        long long q = k0 + stream;
        // Four rows per pass, their loads issued before the arithmetic (memory-level parallelism); then the tail.
        for (; q + 3 * ROAF_THIN_STREAMS < k1; q += 4 * ROAF_THIN_STREAMS) {
            float av[4];
#pragma unroll
            for (int u = 0; u < 4; u++) {
                av[u] = __ldg(a + (q + u * ROAF_THIN_STREAMS) * lda + i);
            }
#pragma unroll
            for (int u = 0; u < 4; u++) {
                const float* br = b + (q + u * ROAF_THIN_STREAMS) * ldb;
#pragma unroll
                for (int j = 0; j < ROAF_THIN; j++) {
                    if (j < n) {
                        acc[j] = fmaf(av[u], __ldg(br + j), acc[j]);
                    }
                }
            }
        }
        for (; q < k1; q += ROAF_THIN_STREAMS) {
            float av = __ldg(a + q * lda + i);
            const float* br = b + q * ldb;
#pragma unroll
            for (int j = 0; j < ROAF_THIN; j++) {
                if (j < n) {
                    acc[j] = fmaf(av, __ldg(br + j), acc[j]);
                }
            }
        }
    }
    if (stream > 0) {
#pragma unroll
        for (int j = 0; j < ROAF_THIN; j++) {
            if (j < n) {
                sums[stream - 1][j][r] = acc[j];
            }
        }
    }
    __syncthreads();
    if (stream == 0 && i < m) {
        float* out = partial + ((long long)blockIdx.y * m + i) * n;
#pragma unroll
        for (int j = 0; j < ROAF_THIN; j++) {
            if (j < n) {
                float v = acc[j];
#pragma unroll
                for (int t = 0; t < ROAF_THIN_STREAMS - 1; t++) {
                    v += sums[t][j][r];
                }
                out[j] = v;
            }
        }
    }
}

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
