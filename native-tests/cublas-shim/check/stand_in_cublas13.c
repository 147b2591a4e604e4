// stand_in_cublas13.c: a stand-in for CUDA 13's libcublas.so.13 (soname and version node libcublas.so.13) with
// the six functions roaf calls, for checking the shim (../cublas12_shim.c) on a machine without CUDA. Each one
// prints its arguments, so check.sh can see that they pass through the shim and JCublas untouched.
#include <stdio.h>

// Flushed at once: the Java side prints to the same pipe, and the order is part of the check.
#define SAY(...) (printf(__VA_ARGS__), fflush(stdout))

static int handle;

int cublasCreate_v2(void** h) {
    *h = &handle;
    SAY("stand-in: cublasCreate_v2\n");
    return 0;
}

int cublasDestroy_v2(void* h) {
    SAY("stand-in: cublasDestroy_v2 same handle=%d\n", h == &handle);
    return 0;
}

int cublasGetVersion_v2(void* h, int* v) {
    *v = 130001;
    return 0;
}

int cublasSetStream_v2(void* h, void* s) {
    SAY("stand-in: cublasSetStream_v2 same handle=%d\n", h == &handle);
    return 0;
}

int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* a, int lda, const float* b,
                   int ldb, const float* beta, float* c, int ldc) {
    SAY("stand-in: cublasSgemm_v2 ta=%d tb=%d m=%d n=%d k=%d alpha=%g lda=%d ldb=%d beta=%g ldc=%d\n", ta, tb, m, n, k,
           *alpha, lda, ldb, *beta, ldc);
    return 0;
}

int cublasSgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* a, int lda,
                              long long sa, const float* b, int ldb, long long sb, const float* beta, float* c, int ldc,
                              long long sc, int batch) {
    SAY("stand-in: cublasSgemmStridedBatched m=%d n=%d k=%d alpha=%g sa=%lld sb=%lld beta=%g sc=%lld batch=%d\n", m, n,
           k, *alpha, sa, sb, *beta, sc, batch);
    return 0;
}
