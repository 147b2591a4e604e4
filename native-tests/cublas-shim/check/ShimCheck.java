import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;

/** Calls, through JCublas2, the cuBLAS functions roaf's CublasGemm uses, plus one the stand-in lacks (see check.sh). */
public class ShimCheck {
    public static void main(String[] args) {
        JCublas2.setExceptionsEnabled(true);
        cublasHandle h = new cublasHandle();
        JCublas2.cublasCreate(h);
        int[] version = new int[1];
        JCublas2.cublasGetVersion(h, version);
        System.out.println("version " + version[0]);
        JCublas2.cublasSetStream(h, new cudaStream_t(new CUstream()));
        JCublas2.cublasSgemm(h, cublasOperation.CUBLAS_OP_T, cublasOperation.CUBLAS_OP_N, 2, 3, 4, Pointer.to(new float[]{1.5f}),
                new CUdeviceptr(), 5, new CUdeviceptr(), 6, Pointer.to(new float[]{0.25f}), new CUdeviceptr(), 7);
        JCublas2.cublasSgemmStridedBatched(h, cublasOperation.CUBLAS_OP_N, cublasOperation.CUBLAS_OP_T, 8, 9, 16,
                Pointer.to(new float[]{1f}), new CUdeviceptr(), 8, 1L << 33, new CUdeviceptr(), 9, 144, Pointer.to(new float[]{0f}),
                new CUdeviceptr(), 8, 72, 50_000);
        try {
            JCublas2.cublasSscal(h, 1, Pointer.to(new float[]{1f}), new CUdeviceptr(), 1);
            System.out.println("cublasSscal: no error");
        } catch (CudaException e) {
            System.out.println("cublasSscal: " + e.getMessage());
        }
        JCublas2.cublasDestroy(h);
    }
}
