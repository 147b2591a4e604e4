package dev.roaf.engine.cuda;

import java.util.function.Supplier;

/**
 * The outcome of opening a CUDA library the engine can do without (cuBLAS, cuRAND): the opened
 * library, or null and a one-line reason for the engine's log.
 */
record OptionalLibrary<T>(T library, String reason) {

    /** Runs {@code open}; a library that does not link or does not work becomes a reason, not an error. */
    static <T> OptionalLibrary<T> open(String name, Supplier<T> open) {
        try {
            return new OptionalLibrary<>(open.get(), "");
        } catch (LinkageError e) {
            return new OptionalLibrary<>(null, name + " not loaded: " + CudaProbe.shortReason(e));
        } catch (jcuda.CudaException e) {
            return new OptionalLibrary<>(null, name + " not usable: " + CudaProbe.firstLine(e.getMessage()));
        }
    }

    /** No library, for the given reason (turned off by a setting). */
    static <T> OptionalLibrary<T> absent(String reason) {
        return new OptionalLibrary<>(null, reason);
    }
}
