package dev.roaf.engine.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Vector API products against the auto-vectorised loops: the same bits at every width around
 * the tile and vector boundaries, on odd depths and offsets, accumulating into non-zero values.
 * The build runs its tests with {@code --add-modules jdk.incubator.vector} (pom.xml), so the whole
 * suite exercises the vector path and this test pins it to the scalar one; the CPU engine's tests
 * then run once more with {@code -Droaf.cpu.vector=false} (the plain loops).
 */
class VectorKernelsTest {
    private static final int[] WIDTHS = {1, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 63, 64, 65, 80, 100, 127,
        128, 129, 192, 200, 256, 257, 384, 512, 513};
    private static final int[] DEPTHS = {1, 2, 3, 8, 31, 128, 129, 256};

    private static boolean moduleLoaded() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static boolean switchedOff() {
        return "false".equals(System.getProperty("roaf.cpu.vector"));
    }

    @Test
    void theSwitchKeepsThePlainLoops() {
        assumeTrue(switchedOff(), "runs in the build's second pass over these tests (pom.xml: cpu-engine-plain-loops)");
        assertFalse(MatKernels.VECTOR);
        assertFalse(CpuEngine.vectorProducts());
        assertEquals(0, MatKernels.vectorLanes());
        try (CpuEngine e = new CpuEngine(2)) {
            assertEquals("cpu (2 threads)", e.deviceName());
        }
    }

    @Test
    void theTestJvmRunsTheVectorPath() {
        assumeTrue(moduleLoaded(), "jdk.incubator.vector is not in the boot layer (run through mvn, see pom.xml)");
        assumeTrue(!switchedOff());
        assertTrue(MatKernels.VECTOR, "the module is loaded but the engine kept the scalar loops");
        assertTrue(CpuEngine.vectorProducts());
        assertTrue(MatKernels.vectorLanes() >= 4);
        try (CpuEngine e = new CpuEngine(1)) {
            assertEquals("cpu (1 thread, " + VectorKernels.lanes() + "-lane vector products)", e.deviceName());
        }
    }

    @Test
    void fourRowsGiveTheScalarBits() {
        assumeTrue(moduleLoaded());
        SplittableRandom rnd = new SplittableRandom(7);
        for (int n : WIDTHS) {
            for (int kDim : DEPTHS) {
                int lda = kDim + 5, aOff = 3, bRow = 2;
                float[] a = random(rnd, aOff + 4 * lda);
                float[][] b = new float[bRow + kDim][];
                for (int k = 0; k < b.length; k++) {
                    b[k] = random(rnd, n + 3);
                }
                float[][] want = new float[4][], got = new float[4][];
                for (int q = 0; q < 4; q++) {
                    want[q] = random(rnd, n + 2);
                    got[q] = want[q].clone();
                }
                MatKernels.scalarAccumulate4(a, aOff, lda, kDim, b, bRow, n, want[0], want[1], want[2], want[3]);
                VectorKernels.product4(a, aOff, lda, kDim, b, bRow, n, got[0], got[1], got[2], got[3], false);
                for (int q = 0; q < 4; q++) {
                    assertArrayEquals(want[q], got[q], "row " + q + ", n = " + n + ", k = " + kDim);
                }
                assertFalse(Arrays.equals(got[0], got[1]), "rows must differ (the test would not see a row mix-up)");
            }
        }
    }

    @Test
    void oneRowGivesTheScalarBits() {
        assumeTrue(moduleLoaded());
        SplittableRandom rnd = new SplittableRandom(8);
        for (int n : WIDTHS) {
            for (int kDim : DEPTHS) {
                int aOff = 5, bRow = 1;
                float[] a = random(rnd, aOff + kDim);
                float[][] b = new float[bRow + kDim][];
                for (int k = 0; k < b.length; k++) {
                    b[k] = random(rnd, n);
                }
                float[] want = random(rnd, n + 4), got = want.clone();
                float[] untouched = Arrays.copyOfRange(want, n, n + 4);
                MatKernels.scalarAccumulate1(a, aOff, kDim, b, bRow, n, want);
                VectorKernels.product1(a, aOff, kDim, b, bRow, n, got, false);
                assertArrayEquals(want, got, "n = " + n + ", k = " + kDim);
                assertArrayEquals(untouched, Arrays.copyOfRange(got, n, n + 4), "wrote past n = " + n);
            }
        }
    }

    @Test
    void productsAssignWhateverTheAccumulatorsHeld() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int rows = 1; rows <= 4; rows++) {
            for (int n : new int[] {5, 16, 64, 70, 256, 259}) {
                int kDim = 37, lda = 41, aOff = 2;
                float[] a = random(rnd, aOff + 4 * lda);
                float[][] b = new float[kDim][];
                for (int k = 0; k < kDim; k++) {
                    b[k] = random(rnd, n);
                }
                float[][] want = new float[4][n + 3], got = new float[4][];
                for (int q = 0; q < 4; q++) {
                    got[q] = random(rnd, n + 3);
                    System.arraycopy(got[q], n, want[q], n, 3);
                    if (q >= rows) {
                        want[q] = got[q].clone();
                    }
                }
                for (int q = 0; q < rows; q++) {
                    MatKernels.scalarAccumulate1(a, aOff + q * lda, kDim, b, 0, n, want[q]);
                }
                MatKernels.product(a, aOff, lda, kDim, b, 0, n, rows, got);
                for (int q = 0; q < 4; q++) {
                    assertArrayEquals(want[q], got[q], "rows " + rows + ", n " + n + ", row " + q);
                }
            }
        }
    }

    @Test
    void theProductIsRight() {
        // Both paths agreeing is not enough: check one against a product in double.
        assumeTrue(moduleLoaded());
        SplittableRandom rnd = new SplittableRandom(9);
        int n = 77, kDim = 45;
        float[] a = random(rnd, 4 * kDim);
        float[][] b = new float[kDim][];
        for (int k = 0; k < kDim; k++) {
            b[k] = random(rnd, n);
        }
        float[][] acc = new float[4][n];
        VectorKernels.product4(a, 0, kDim, kDim, b, 0, n, acc[0], acc[1], acc[2], acc[3], false);
        for (int q = 0; q < 4; q++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < kDim; k++) {
                    s += (double) a[q * kDim + k] * b[k][j];
                }
                assertEquals(s, acc[q][j], 1e-5, "q = " + q + ", j = " + j);
            }
        }
    }

    @Test
    void activationsGiveTheScalarBits() {
        assumeTrue(moduleLoaded());
        SplittableRandom rnd = new SplittableRandom(10);
        float[] special = {0f, -0f, 0.17f, -0.17f, Math.nextDown(0.17f), Math.nextUp(-0.17f), 9.1f, -9.1f,
            Math.nextUp(9.1f), 4.55f, -4.55f, 44.35f, -43.65f, 88.7f, Math.nextDown(88.7f), -87.3f,
            Math.nextUp(-87.3f), Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-30f, -1e-30f, 1e-8f, 0.5f, -0.5f,
            1f, -1f, 2.5f, -2.5f, 100f, -100f, 1e10f, -1e10f};
        int size = 20_000;
        float[] x = new float[size + special.length], add = new float[x.length];
        for (int i = 0; i < size; i++) {
            // Magnitudes from 1e-12 to 1e3, both signs, so every branch and both ends of exp's range occur.
            x[i] = (float) ((rnd.nextBoolean() ? 1 : -1) * Math.pow(10, rnd.nextDouble() * 15 - 12));
            add[i] = rnd.nextInt(4) == 0 ? 0f : (float) (rnd.nextGaussian() * 0.1);
        }
        System.arraycopy(special, 0, x, size, special.length);
        for (int len : new int[] {x.length, 1, 15, 17, 33}) {
            float[] tanhPlain = new float[len], tanhSum = new float[len], sigmoidSum = new float[len], expPlain = new float[len];
            VectorKernels.tanhOfSum(x, 0, null, 0, tanhPlain, 0, len);
            VectorKernels.tanhOfSum(x, 0, add, 0, tanhSum, 0, len);
            VectorKernels.sigmoidOfSum(x, 0, add, 0, sigmoidSum, 0, len);
            for (int j = 0; j + VectorKernels.lanes() <= len; j += VectorKernels.lanes()) {
                VectorKernels.exp(jdk.incubator.vector.FloatVector.fromArray(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED, x, j))
                        .intoArray(expPlain, j);
            }
            for (int j = 0; j < len; j++) {
                String at = "x = " + x[j] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(x[j])) + "), add = " + add[j];
                assertSameBits(MatKernels.tanh(x[j]), tanhPlain[j], "tanh, " + at);
                assertSameBits(MatKernels.tanh(x[j] + add[j]), tanhSum[j], "tanh of sum, " + at);
                assertSameBits(MatKernels.sigmoid(x[j] + add[j]), sigmoidSum[j], "sigmoid of sum, " + at);
                if (j + VectorKernels.lanes() <= len - len % VectorKernels.lanes()) {
                    assertSameBits(MatKernels.exp(x[j]), expPlain[j], "exp, " + at);
                }
            }
        }
    }

    @Test
    void activationsInPlace() {
        assumeTrue(moduleLoaded());
        float[] x = {0.3f, -2f, 5f, 0.01f, -0.2f, 9.5f, -12f, 0.9f, 1.1f, -0.05f, 3f, -3f, 0.25f, 7f, -7f, 0.6f, 2f, 0.7f};
        float[] add = new float[x.length];
        Arrays.fill(add, 0.125f);
        float[] want = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            want[j] = MatKernels.tanh(x[j] + add[j]);
        }
        VectorKernels.tanhOfSum(x, 0, add, 0, x, 0, x.length);
        assertArrayEquals(want, x);
    }

    @Test
    void rowOperationsGiveTheScalarBits() {
        // Through MatKernels, which runs whole vectors in VectorKernels and the rest of a row in its loop: both paths
        // in the build's first pass, the loop alone in its second (-Droaf.cpu.vector=false).
        SplittableRandom rnd = new SplittableRandom(11);
        // Around the flush threshold, both zeros, subnormals, NaN and infinities, then ordinary values.
        float[] special = {0f, -0f, MatKernels.TINY, -MatKernels.TINY, Math.nextDown(MatKernels.TINY),
            Math.nextUp(-MatKernels.TINY), 1e-31f, -1e-31f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.NaN,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f, Math.nextDown(1f), 0.5f};
        int size = 3_000;
        int offset = 5;
        float[] x = new float[offset + size], y = new float[offset + size];
        for (int i = 0; i < size; i++) {
            x[offset + i] = i < special.length ? special[i] : (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-35, 2)));
            y[offset + i] = i < special.length ? special[special.length - 1 - i] : (float) (rnd.nextDouble() * 2 - 1);
        }
        float alpha = 0.99872446f, beta = 0.03f;
        for (int len : new int[] {size, 1, 15, 16, 17, 33}) {
            float[] mixed = new float[len + 3], grad = new float[len + 3], gradCopy = new float[len], flushed = new float[len];
            float[] gradInPlace = Arrays.copyOf(y, y.length);
            float[] unfiltered = new float[len];
            MatKernels.mix(alpha, x, offset, beta, y, offset, mixed, 3, len);
            MatKernels.mix(alpha, null, 0, beta, y, offset, unfiltered, 0, len);
            MatKernels.tanhGradient(beta, y, offset, x, offset, grad, 3, gradCopy, 0, len);
            MatKernels.tanhGradient(beta, gradInPlace, offset, x, offset, gradInPlace, offset, null, 0, len);
            MatKernels.flushRow(x, offset, flushed, 0, len);
            float[] scaled = new float[len + 1];
            MatKernels.scale(alpha, x, offset, scaled, 1, len);
            for (int j = 0; j < len; j++) {
                float xv = x[offset + j], yv = y[offset + j];
                String at = "x = " + xv + ", y = " + yv + " at " + j + " of " + len;
                assertSameBits(MatKernels.flush(alpha * xv + beta * yv), mixed[3 + j], "mix, " + at);
                assertSameBits(MatKernels.flush(beta * yv), unfiltered[j], "mix without a filter, " + at);
                float want = MatKernels.flush(beta * (1f - yv * yv) * xv);
                assertSameBits(want, grad[3 + j], "tanh gradient, " + at);
                assertSameBits(want, gradCopy[j], "tanh gradient's copy, " + at);
                assertSameBits(want, gradInPlace[offset + j], "tanh gradient in place, " + at);
                assertSameBits(MatKernels.flush(xv), flushed[j], "flush, " + at);
                assertSameBits(alpha * xv, scaled[1 + j], "scale, " + at);
            }
        }
    }

    @Test
    void lstmCellOperationsGiveTheScalarBits() {
        // Through MatKernels, as rowOperationsGiveTheScalarBits.
        SplittableRandom rnd = new SplittableRandom(12);
        for (int n : new int[] {1, 15, 16, 17, 40, 128, 129}) {
            float[] act = new float[4 * n], cPrev = new float[n + 2], gOut = new float[n + 1], tanhC = new float[n];
            float[] dh = new float[n + 3], dc = new float[n + 3];
            for (int j = 0; j < 4 * n; j++) {
                act[j] = j / n == 2 ? (float) (rnd.nextDouble() * 2 - 1) : (float) rnd.nextDouble();
            }
            for (int j = 0; j < n; j++) {
                // Some values tiny enough for the flushes to act, one NaN to travel through.
                float scale = rnd.nextInt(5) == 0 ? 1e-16f : 1f;
                cPrev[2 + j] = scale * (float) rnd.nextGaussian();
                gOut[1 + j] = scale * (float) rnd.nextGaussian();
                tanhC[j] = (float) Math.tanh(rnd.nextGaussian());
                dh[3 + j] = scale * (float) rnd.nextGaussian();
                dc[3 + j] = (float) rnd.nextGaussian() * 1e-15f;
            }
            cPrev[2 + n / 2] = Float.NaN;
            float[] c = new float[n + 4], raw = new float[n], h = new float[n];
            MatKernels.lstmCellState(act, cPrev, 2, c, 4, raw, n);
            MatKernels.productFlushed(act, 3 * n, raw, 0, h, 0, n);
            for (int j = 0; j < n; j++) {
                float cv = act[n + j] * cPrev[2 + j] + act[j] * act[2 * n + j];
                assertSameBits(MatKernels.flush(cv), c[4 + j], "c at " + j + " of " + n);
                assertSameBits(cv, raw[j], "raw c at " + j + " of " + n);
                assertSameBits(MatKernels.flush(act[3 * n + j] * raw[j]), h[j], "o * c at " + j + " of " + n);
            }
            for (float[] g : new float[][] {gOut, null}) {
                float[] gates = act.clone(), dhGot = dh.clone(), dcGot = dc.clone();
                MatKernels.lstmGateGradients(gates, 0, cPrev, 2, tanhC, dhGot, dcGot, 3, g, 1, n);
                for (int j = 0; j < n; j++) {
                    float dhv = dh[3 + j] + (g != null ? g[1 + j] : 0f);
                    float iv = act[j], fv = act[n + j], gv = act[2 * n + j], ov = act[3 * n + j], tcv = tanhC[j];
                    float dcv = dc[3 + j] + dhv * ov * (1f - tcv * tcv);
                    String at = " at " + j + " of " + n + (g == null ? " without a loss gradient" : "");
                    assertSameBits(MatKernels.flush(dcv * gv * iv * (1f - iv)), gates[j], "di" + at);
                    assertSameBits(MatKernels.flush(dcv * cPrev[2 + j] * fv * (1f - fv)), gates[n + j], "df" + at);
                    assertSameBits(MatKernels.flush(dcv * iv * (1f - gv * gv)), gates[2 * n + j], "dg" + at);
                    assertSameBits(MatKernels.flush(dhv * tcv * ov * (1f - ov)), gates[3 * n + j], "do" + at);
                    assertSameBits(MatKernels.flush(dcv * fv), dcGot[3 + j], "dc carry" + at);
                    assertSameBits(dh[3 + j], dhGot[3 + j], "dh carry untouched" + at);
                }
            }
        }
    }

    /** Equal bits (any NaN equals any NaN; -0 differs from 0, unlike assertEquals with a delta). */
    private static void assertSameBits(float want, float got, String what) {
        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), () -> what + ": want " + want + ", got " + got);
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }
}
