package dev.roaf.engine.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;

/**
 * Row-major products through cuBLAS (JCublas2, {@code libcublas.so.12}). cuBLAS is column-major;
 * a row-major {@code C[M,N] = op(A) op(B)} is the column-major {@code C^T = op(B)^T op(A)^T}, so the
 * call swaps the operands and passes the stored row lengths as leading dimensions. FP32 math
 * (the default math mode: no TF32).
 */
final class CublasGemm implements AutoCloseable {
    private final cublasHandle handle;
    private final String version;

    private CublasGemm(cublasHandle handle, String version) {
        this.handle = handle;
        this.version = version;
    }

    /** Loads JCublas2 and creates a handle bound to {@code stream} on the current context. */
    static OptionalLibrary<CublasGemm> load(CUstream stream) {
        return OptionalLibrary.open("cuBLAS", () -> {
            JCublas2.setExceptionsEnabled(true);
            cublasHandle h = new cublasHandle();
            JCublas2.cublasCreate(h);
            int[] v = new int[1];
            JCublas2.cublasGetVersion(h, v);
            JCublas2.cublasSetStream(h, new cudaStream_t(stream));
            return new CublasGemm(h, "libcublas " + v[0] / 10000 + "." + v[0] % 10000 / 100 + "." + v[0] % 100);
        });
    }

    String version() {
        return version;
    }

    void sgemm(boolean tA, boolean tB, int m, int n, int k, float alpha, CUdeviceptr a, int lda, CUdeviceptr b, int ldb,
               float beta, CUdeviceptr c, int ldc) {
        JCublas2.cublasSgemm(handle, tB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                tA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N, n, m, k, Pointer.to(new float[]{alpha}), b,
                ldb, a, lda, Pointer.to(new float[]{beta}), c, ldc);
    }

    /**
     * {@code count} row-major products at fixed strides in one call (cublasSgemmStridedBatched):
     * {@code C_i = alpha op(A_i) op(B_i) + beta C_i} with {@code A_i = a + i * strideA} (floats), and so on.
     * The deep-stack weight gradients {@code dW_l = d_l^T x_l} of all layers use it.
     */
    void sgemmStridedBatched(boolean tA, boolean tB, int m, int n, int k, float alpha, CUdeviceptr a, int lda, long strideA,
                             CUdeviceptr b, int ldb, long strideB, float beta, CUdeviceptr c, int ldc, long strideC, int count) {
        JCublas2.cublasSgemmStridedBatched(handle, tB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                tA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N, n, m, k, Pointer.to(new float[]{alpha}), b,
                ldb, strideB, a, lda, strideA, Pointer.to(new float[]{beta}), c, ldc, strideC, count);
    }

    @Override
    public void close() {
        JCublas2.cublasDestroy(handle);
    }
}
