package dev.roaf.engine.cuda;

/**
 * A CUDA operation failed. The message names the engine operation, the CUDA error and what to do;
 * it never carries JCuda's multi-page native-library diagnostics.
 */
public class CudaEngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaEngineException(String message) {
        super(message);
    }

    public CudaEngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
