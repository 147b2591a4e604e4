package dev.roaf.engine.cpu;

/**
 * The inner loops of the CPU engine: row-block times matrix products in "axpy" form, written so
 * that HotSpot's C2 compiler vectorises the innermost loop (contiguous j, one array per
 * accumulator row so it can prove there is no aliasing between rows).
 *
 * <p>Every product here has the form {@code acc_r[j] += sum_k a[r,k] * b[k,j]} with b stored
 * k-major (row k contiguous over j). Callers arrange their operands that way (a transposed weight
 * for forward passes, the weight itself for backward passes) so no kernel ever reduces along a
 * strided dimension.
 */
final class MatKernels {
    private MatKernels() {
    }

    /**
     * Four rows at once: {@code acc_q[j] += sum_{k<kDim} a[aOff + q*lda + k] * b[bOff + k*ldb + j]}
     * for q = 0..3, j < n. Accumulates (callers zero acc when they want an assignment).
     */
    static void accumulate4(float[] a, int aOff, int lda, int kDim, float[] b, int bOff, int ldb, int n,
                            float[] acc0, float[] acc1, float[] acc2, float[] acc3) {
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda;
        int k = 0;
        // Two k per pass halves the loads and stores of the accumulators.
        for (; k + 1 < kDim; k += 2) {
            float x0 = a[a0 + k], x1 = a[a1 + k], x2 = a[a2 + k], x3 = a[a3 + k];
            float y0 = a[a0 + k + 1], y1 = a[a1 + k + 1], y2 = a[a2 + k + 1], y3 = a[a3 + k + 1];
            int bk = bOff + k * ldb;
            int bk1 = bk + ldb;
            for (int j = 0; j < n; j++) {
                float u = b[bk + j];
                float v = b[bk1 + j];
                acc0[j] += x0 * u + y0 * v;
                acc1[j] += x1 * u + y1 * v;
                acc2[j] += x2 * u + y2 * v;
                acc3[j] += x3 * u + y3 * v;
            }
        }
        if (k < kDim) {
            float x0 = a[a0 + k], x1 = a[a1 + k], x2 = a[a2 + k], x3 = a[a3 + k];
            int bk = bOff + k * ldb;
            for (int j = 0; j < n; j++) {
                float u = b[bk + j];
                acc0[j] += x0 * u;
                acc1[j] += x1 * u;
                acc2[j] += x2 * u;
                acc3[j] += x3 * u;
            }
        }
    }

    /** One row: {@code acc[j] += sum_{k<kDim} a[aOff + k] * b[bOff + k*ldb + j]}. */
    static void accumulate1(float[] a, int aOff, int kDim, float[] b, int bOff, int ldb, int n, float[] acc) {
        int k = 0;
        for (; k + 1 < kDim; k += 2) {
            float x = a[aOff + k], y = a[aOff + k + 1];
            int bk = bOff + k * ldb;
            int bk1 = bk + ldb;
            for (int j = 0; j < n; j++) {
                acc[j] += x * b[bk + j] + y * b[bk1 + j];
            }
        }
        if (k < kDim) {
            float x = a[aOff + k];
            int bk = bOff + k * ldb;
            for (int j = 0; j < n; j++) {
                acc[j] += x * b[bk + j];
            }
        }
    }

    /** Transposes the {@code rows x cols} matrix at {@code src[srcOff]} into {@code dst[dstOff + c*ldd + r]}. */
    static void transpose(float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff, int ldd) {
        final int tile = 32;
        for (int r0 = 0; r0 < rows; r0 += tile) {
            int r1 = Math.min(rows, r0 + tile);
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int c1 = Math.min(cols, c0 + tile);
                for (int r = r0; r < r1; r++) {
                    int s = srcOff + r * cols;
                    for (int c = c0; c < c1; c++) {
                        dst[dstOff + c * ldd + r] = src[s + c];
                    }
                }
            }
        }
    }

    /**
     * tanh in float precision from one exponential, computed in double so small arguments keep
     * their relative accuracy; several times faster than {@link Math#tanh} on HotSpot.
     */
    static float tanh(float x) {
        return (float) (1.0 - 2.0 / (Math.exp(2.0 * x) + 1.0));
    }

    /**
     * Values smaller than this in magnitude are flushed to zero where the engine carries gradients
     * or states from step to step. Why: a gradient that decays geometrically through hundreds of
     * steps (alpha^t, tanh' near 0, an LSTM forget gate) ends up subnormal, and x86 arithmetic on
     * subnormal floats is 10-100x slower (measured here: a psMNIST step went from 2 s to 30-80 s
     * at alpha = 0.62). Java cannot set the CPU's flush-to-zero mode, so the engine does it where
     * such values are produced. 1e-30 is far below any gradient that can move a float32 weight.
     */
    static final float TINY = 1e-30f;

    /** {@code v}, or 0 when {@code |v| < TINY} (see {@link #TINY}). */
    static float flush(float v) {
        return Math.abs(v) < TINY ? 0f : v;
    }

    /** The logistic function in float precision. */
    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }
}
