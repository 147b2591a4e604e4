package dev.roaf.engine.cpu;

import java.util.Arrays;

/**
 * The inner loops of the CPU engine: row-block times matrix products in "axpy" form, written so
 * that HotSpot's C2 compiler vectorises the innermost loop.
 *
 * <p>Every product here has the form {@code acc_q[j] += sum_k a[q,k] * b[k][j]}: the right-hand
 * matrix is held as an array of rows ({@code float[][]}, row k contiguous over j) and every
 * accumulator row is its own array. Why: C2 in JDK 17 vectorises a loop only when it can rule out
 * a loop-carried dependence between the arrays it stores to and loads from; two float[] references
 * may be the same object, so a load at {@code b[off + j]} next to a store at {@code acc[j]} blocks
 * vectorisation (measured: 2-3 GFLOP/s), while {@code b[k][j]} and {@code acc[j]} at the same index
 * {@code j} vectorise whatever the aliasing (15-19 GFLOP/s per core here, AVX-512). Callers
 * therefore pack operands into row arrays once per operation (or per layer), never per step.
 *
 * <p>The products take two k per pass through {@code j}, written with {@link Math#fma}: single-thread
 * microbenchmark on this project's 2-core VM (128 x K times K x K, 2026-11-27): 27-43 GFLOP/s for K = 128
 * to 512, against 17-23 for one k per pass; a psMNIST roaf-rnn training step about 20% faster, a
 * 1,000-layer roaf-mlp step about 15%. Keep the fma: the same two-k loop written
 * {@code acc[j] += x0 * u0 + x1 * u1} is not vectorised by C2 (3-7 GFLOP/s measured).
 *
 * <p>When the JVM runs with {@code --add-modules jdk.incubator.vector}, {@link #product} and the
 * activations of whole rows ({@link #tanhOfSum}, {@link #sigmoidOfSum}) go to {@link VectorKernels}
 * instead (about twice as fast with AVX-512), with the same bits; {@code -Droaf.cpu.vector=false}
 * keeps the loops here.
 */
final class MatKernels {
    /** Whether the products run in {@link VectorKernels}; decided once, when this class loads. */
    static final boolean VECTOR = vectorProductsUsable();

    private MatKernels() {
    }

    /**
     * True when the Vector API module is in the boot layer, not switched off with
     * {@code -Droaf.cpu.vector=false}, and has at least 4 float lanes (narrower vectors, or a
     * platform without the API's intrinsics, would run it far slower than the loops here).
     */
    private static boolean vectorProductsUsable() {
        if ("false".equals(System.getProperty("roaf.cpu.vector"))
                || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            return VectorKernels.lanes() >= 4;
        } catch (LinkageError e) {
            return false;
        }
    }

    /**
     * Float lanes of the vector products, or 0 when the scalar loops run ({@link #VECTOR} false):
     * how the engine describes itself.
     */
    static int vectorLanes() {
        return VECTOR ? VectorKernels.lanes() : 0;
    }

    /**
     * {@code rows} (1 to 4) rows of a product, assigned: {@code acc[q][j] = sum_{k<kDim} a[aOff + q*lda + k] *
     * b[bRow + k][j]} for q < rows, j < n. The vector kernels start their registers at zero instead of
     * loading zeroed accumulators (zeroing was 7% of a psMNIST roaf-rnn step); the same bits either way.
     */
    static void product(float[] a, int aOff, int lda, int kDim, float[][] b, int bRow, int n, int rows, float[][] acc) {
        if (VECTOR) {
            if (rows == 4) {
                VectorKernels.product4(a, aOff, lda, kDim, b, bRow, n, acc[0], acc[1], acc[2], acc[3], true);
            } else {
                for (int q = 0; q < rows; q++) {
                    VectorKernels.product1(a, aOff + q * lda, kDim, b, bRow, n, acc[q], true);
                }
            }
            return;
        }
        for (int q = 0; q < rows; q++) {
            Arrays.fill(acc[q], 0, n, 0f);
        }
        if (rows == 4) {
            scalarAccumulate4(a, aOff, lda, kDim, b, bRow, n, acc[0], acc[1], acc[2], acc[3]);
        } else {
            for (int q = 0; q < rows; q++) {
                scalarAccumulate1(a, aOff + q * lda, kDim, b, bRow, n, acc[q]);
            }
        }
    }

    /**
     * The plain loops, four rows at once: {@code acc_q[j] += sum_{k<kDim} a[aOff + q*lda + k] * b[bRow + k][j]} for
     * q = 0..3, j < n. Accumulates ({@link #product} zeroes acc first). Two k at a time, with
     * fused multiply-adds: each accumulator element is loaded and stored once per two products
     * instead of once per product (the loop is bound by loads and stores, not by arithmetic), and
     * {@link Math#fma} is one vector instruction where a separate multiply and add are two.
     */
    static void scalarAccumulate4(float[] a, int aOff, int lda, int kDim, float[][] b, int bRow, int n,
                                  float[] acc0, float[] acc1, float[] acc2, float[] acc3) {
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda;
        int k = 0;
        for (; k + 1 < kDim; k += 2) {
            float x00 = a[a0 + k], x01 = a[a0 + k + 1], x10 = a[a1 + k], x11 = a[a1 + k + 1];
            float x20 = a[a2 + k], x21 = a[a2 + k + 1], x30 = a[a3 + k], x31 = a[a3 + k + 1];
            float[] row0 = b[bRow + k], row1 = b[bRow + k + 1];
            for (int j = 0; j < n; j++) {
                float u0 = row0[j], u1 = row1[j];
                acc0[j] = Math.fma(x01, u1, Math.fma(x00, u0, acc0[j]));
                acc1[j] = Math.fma(x11, u1, Math.fma(x10, u0, acc1[j]));
                acc2[j] = Math.fma(x21, u1, Math.fma(x20, u0, acc2[j]));
                acc3[j] = Math.fma(x31, u1, Math.fma(x30, u0, acc3[j]));
            }
        }
        if (k < kDim) {
            float x0 = a[a0 + k], x1 = a[a1 + k], x2 = a[a2 + k], x3 = a[a3 + k];
            float[] row = b[bRow + k];
            for (int j = 0; j < n; j++) {
                float u = row[j];
                acc0[j] = Math.fma(x0, u, acc0[j]);
                acc1[j] = Math.fma(x1, u, acc1[j]);
                acc2[j] = Math.fma(x2, u, acc2[j]);
                acc3[j] = Math.fma(x3, u, acc3[j]);
            }
        }
    }

    /** One row: {@code acc[j] += sum_{k<kDim} a[aOff + k] * b[bRow + k][j]}, two k at a time as {@link #scalarAccumulate4}. */
    static void scalarAccumulate1(float[] a, int aOff, int kDim, float[][] b, int bRow, int n, float[] acc) {
        int k = 0;
        for (; k + 1 < kDim; k += 2) {
            float x0 = a[aOff + k], x1 = a[aOff + k + 1];
            float[] row0 = b[bRow + k], row1 = b[bRow + k + 1];
            for (int j = 0; j < n; j++) {
                acc[j] = Math.fma(x1, row1[j], Math.fma(x0, row0[j], acc[j]));
            }
        }
        if (k < kDim) {
            float x = a[aOff + k];
            float[] row = b[bRow + k];
            for (int j = 0; j < n; j++) {
                acc[j] = Math.fma(x, row[j], acc[j]);
            }
        }
    }

    /** Copies the {@code rows x cols} matrix at {@code src[srcOff]} into {@code dst[dstRow + r][0..cols)}. */
    static void copyRows(float[] src, int srcOff, int rows, int cols, float[][] dst, int dstRow) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, srcOff + r * cols, dst[dstRow + r], 0, cols);
        }
    }

    /** Transposes the {@code rows x cols} matrix at {@code src[srcOff]} into {@code dst[c][dstCol + r]}. */
    static void transposeRows(float[] src, int srcOff, int rows, int cols, float[][] dst, int dstCol) {
        for (int r = 0; r < rows; r++) {
            int s = srcOff + r * cols;
            for (int c = 0; c < cols; c++) {
                dst[c][dstCol + r] = src[s + c];
            }
        }
    }

    static final float LOG2E = 1.442695041f;
    // ln 2 split so that fn * LN2_HI is exact for |fn| < 2^11 (Cody-Waite reduction).
    static final float LN2_HI = 0.693145751953125f;
    static final float LN2_LO = 1.428606765330187e-06f;

    /**
     * e^x in float precision (relative error below 2e-7): x = n ln2 + f with |f| <= ln2/2, e^f by
     * its degree-7 Taylor polynomial, then scaled by 2^n through the exponent bits. Several times
     * faster than {@link Math#exp} (which works in double) in the recurrences' epilogues, where the
     * transcendental functions are a large part of the work.
     */
    static float exp(float x) {
        if (!(x < 88.7f)) {
            return x != x ? x : Float.POSITIVE_INFINITY;
        }
        if (x < -87.3f) {
            return 0f;
        }
        float fn = (float) Math.floor(x * LOG2E + 0.5f);
        float f = (x - fn * LN2_HI) - fn * LN2_LO;
        float p = 1f + f * (1f + f * (0.5f + f * (1f / 6 + f * (1f / 24 + f * (1f / 120 + f * (1f / 720 + f * (1f / 5040)))))));
        return p * Float.intBitsToFloat(((int) fn + 127) << 23);
    }

    /**
     * tanh in float precision (relative error below 1e-6): {@code (e^{2x} - 1) / (e^{2x} + 1)}, with
     * e^{2x} - 1 from its series for small |x| so that tiny arguments keep their relative accuracy.
     */
    static float tanh(float x) {
        float ax = Math.abs(x);
        if (ax < 0.17f) {
            float f = 2f * x;
            float em1 = f * (1f + f * (0.5f + f * (1f / 6 + f * (1f / 24 + f * (1f / 120 + f * (1f / 720))))));
            return em1 / (em1 + 2f);
        }
        if (ax > 9.1f) {
            // tanh(9.1) rounds to 1 in float.
            return x != x ? x : Math.copySign(1f, x);
        }
        float e = exp(2f * x);
        return (e - 1f) / (e + 1f);
    }

    /**
     * {@code out[outOff + j] = tanh(x[xOff + j] + add[addOff + j])} for j < n, in {@link VectorKernels}
     * when {@link #VECTOR}; {@code add} may be null (no sum) and {@code out} may be {@code x}.
     */
    static void tanhOfSum(float[] x, int xOff, float[] add, int addOff, float[] out, int outOff, int n) {
        if (VECTOR) {
            VectorKernels.tanhOfSum(x, xOff, add, addOff, out, outOff, n);
            return;
        }
        for (int j = 0; j < n; j++) {
            out[outOff + j] = tanh(add != null ? x[xOff + j] + add[addOff + j] : x[xOff + j]);
        }
    }

    /** {@code out[outOff + j] = sigmoid(x[xOff + j] + add[addOff + j])} for j < n, as {@link #tanhOfSum}; out may be x. */
    static void sigmoidOfSum(float[] x, int xOff, float[] add, int addOff, float[] out, int outOff, int n) {
        if (VECTOR) {
            VectorKernels.sigmoidOfSum(x, xOff, add, addOff, out, outOff, n);
            return;
        }
        for (int j = 0; j < n; j++) {
            out[outOff + j] = sigmoid(x[xOff + j] + add[addOff + j]);
        }
    }

    // The elementwise operations of a step: each runs its whole vectors in VectorKernels when VECTOR (which returns
    // where it stopped), and the rest of the row, or all of it, in its loop here.

    /**
     * The ROAF mix of one row, {@code out[outOff + j] = flush(alpha * filtered[fOff + j] + beta * z[zOff + j])} for
     * j < n, or {@code flush(beta * z[zOff + j])} when {@code filtered} is null (no filter: the Elman RNN).
     */
    static void mix(float alpha, float[] filtered, int fOff, float beta, float[] z, int zOff, float[] out, int outOff,
                    int n) {
        int j = VECTOR ? VectorKernels.mix(alpha, filtered, fOff, beta, z, zOff, out, outOff, n) : 0;
        for (; j < n; j++) {
            out[outOff + j] = flush(filtered == null ? beta * z[zOff + j] : alpha * filtered[fOff + j] + beta * z[zOff + j]);
        }
    }

    /**
     * The gradient through {@code beta tanh}, {@code d = flush(beta * (1 - z^2) * g)} for j < n, stored at
     * {@code d[dOff + j]} (which may be z's place) and, when {@code copy} is not null, at {@code copy[copyOff + j]}.
     */
    static void tanhGradient(float beta, float[] z, int zOff, float[] g, int gOff, float[] d, int dOff, float[] copy,
                             int copyOff, int n) {
        int j = VECTOR ? VectorKernels.tanhGradient(beta, z, zOff, g, gOff, d, dOff, copy, copyOff, n) : 0;
        for (; j < n; j++) {
            float zv = z[zOff + j];
            float dv = flush(beta * (1f - zv * zv) * g[gOff + j]);
            d[dOff + j] = dv;
            if (copy != null) {
                copy[copyOff + j] = dv;
            }
        }
    }

    /**
     * The LSTM cell state of one row from its gate activations {@code act = [i | f | g | o]} (each N wide):
     * {@code c = f * cPrev + i * g}, stored flushed at {@code c[cOff + j]} and unflushed at {@code raw[j]} (the
     * argument of the tanh that follows).
     */
    static void lstmCellState(float[] act, float[] cPrev, int cPrevOff, float[] c, int cOff, float[] raw, int n) {
        int j = VECTOR ? VectorKernels.lstmCellState(act, cPrev, cPrevOff, c, cOff, raw, n) : 0;
        for (; j < n; j++) {
            float cv = act[n + j] * cPrev[cPrevOff + j] + act[j] * act[2 * n + j];
            c[cOff + j] = flush(cv);
            raw[j] = cv;
        }
    }

    /** {@code out[outOff + j] = flush(x[xOff + j] * y[yOff + j])} for j < n. */
    static void productFlushed(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        int j = VECTOR ? VectorKernels.productFlushed(x, xOff, y, yOff, out, outOff, n) : 0;
        for (; j < n; j++) {
            out[outOff + j] = flush(x[xOff + j] * y[yOff + j]);
        }
    }

    /**
     * One row of the LSTM backward step: from the gates {@code [i | f | g | o]} at {@code gates[gOff..]}, the previous
     * cell state, {@code tanh(c_t)}, the carried {@code dh} and {@code dc} (at {@code carryOff}) and, unless
     * {@code gOut} is null, the loss gradient of h_t at {@code gOutOff}: overwrites the gates with their gradients
     * (before the nonlinearities) and {@code dcCarry} with the gradient of c_{t-1}.
     */
    static void lstmGateGradients(float[] gates, int gOff, float[] cPrev, int cPrevOff, float[] tanhC, float[] dhCarry,
                                  float[] dcCarry, int carryOff, float[] gOut, int gOutOff, int n) {
        int j = VECTOR
                ? VectorKernels.lstmGateGradients(gates, gOff, cPrev, cPrevOff, tanhC, dhCarry, dcCarry, carryOff, gOut, gOutOff, n)
                : 0;
        for (; j < n; j++) {
            float dh = dhCarry[carryOff + j] + (gOut != null ? gOut[gOutOff + j] : 0f);
            float iv = gates[gOff + j], fv = gates[gOff + n + j], gv = gates[gOff + 2 * n + j], ov = gates[gOff + 3 * n + j];
            float tcv = tanhC[j];
            float dc = dcCarry[carryOff + j] + dh * ov * (1f - tcv * tcv);
            gates[gOff + j] = flush(dc * gv * iv * (1f - iv));
            gates[gOff + n + j] = flush(dc * cPrev[cPrevOff + j] * fv * (1f - fv));
            gates[gOff + 2 * n + j] = flush(dc * iv * (1f - gv * gv));
            gates[gOff + 3 * n + j] = flush(dh * tcv * ov * (1f - ov));
            dcCarry[carryOff + j] = flush(dc * fv);
        }
    }

    /**
     * {@code out[outOff + j] = s * x[xOff + j]} for j < n (C2 leaves this loop scalar: it loads and stores two arrays
     * at different offsets, see the class comment).
     */
    static void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        int j = VECTOR ? VectorKernels.scale(s, x, xOff, out, outOff, n) : 0;
        for (; j < n; j++) {
            out[outOff + j] = s * x[xOff + j];
        }
    }

    /** {@code out[outOff + j] = flush(x[xOff + j])} for j < n. */
    static void flushRow(float[] x, int xOff, float[] out, int outOff, int n) {
        int j = VECTOR ? VectorKernels.flushRow(x, xOff, out, outOff, n) : 0;
        for (; j < n; j++) {
            out[outOff + j] = flush(x[xOff + j]);
        }
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
        return 1f / (1f + exp(-x));
    }
}
