package dev.roaf.engine.cpu;

import dev.roaf.engine.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.roaf.engine.cpu.Arena.d;
import static dev.roaf.engine.cpu.Arena.gaussian;
import static dev.roaf.engine.cpu.Arena.relNorm;
import static dev.roaf.engine.cpu.Arena.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU engine's products, row operations, losses and optimizers against naive double loops on
 * random inputs, at ragged shapes and shapes that cross the blocking of {@link CpuEngine#gemm}
 * (K > 256, N > 512, narrow N with M >= 4N for the transposed-output path), with 1 and 3 threads.
 * Every operand is a view inside sentinel padding ({@link Arena}), which is checked afterwards.
 * Bound: relative error on norms {@code ||x32 - x64|| / ||x64|| <= 1e-5}.
 */
class CpuEngineOpsTest {
    static final double TOL = 1e-5;
    private static double worstGemm;

    @AfterAll
    static void report() {
        System.out.printf("CpuEngineOpsTest: max gemm relative error %.3g%n", worstGemm);
    }

    // ----------------------------------------------------------------------------------- gemm

    static List<Arguments> gemmShapes() {
        int[][] shapes = {
                {1, 1, 1}, {3, 5, 7}, {5, 17, 33}, {4, 16, 256}, {13, 9, 300}, {6, 600, 5}, {70, 3, 20},
                {100, 7, 300}, {33, 1, 1}, {17, 520, 260}, {9, 1030, 2}, {2, 2, 600}, {64, 15, 4}, {60, 16, 3}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : shapes) {
            for (int threads : new int[]{1, 3}) {
                out.add(Arguments.of(s[0], s[1], s[2], threads));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "M={0} N={1} K={2} threads={3}")
    @MethodSource("gemmShapes")
    void gemmMatchesNaiveProduct(int m, int n, int k, int threads) {
        SplittableRandom rng = new SplittableRandom(m * 1_000_003L + n * 1009L + k);
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            for (boolean tA : new boolean[]{false, true}) {
                for (boolean tB : new boolean[]{false, true}) {
                    for (float beta : new float[]{0f, 1f, 0.5f}) {
                        float alpha = rng.nextBoolean() ? 1f : 0.75f;
                        float[] a = uniform(rng, m * k, 1), b = uniform(rng, k * n, 1), c0 = uniform(rng, m * n, 1);
                        Tensor ta = arena.f32("A", a, tA ? new int[]{k, m} : new int[]{m, k});
                        Tensor tb = arena.f32("B", b, tB ? new int[]{n, k} : new int[]{k, n});
                        Tensor tc = beta == 0f ? arena.nan("C", m, n) : arena.f32("C", c0, m, n);
                        e.gemm(tA, tB, alpha, ta, tb, beta, tc);
                        double[] ref = new double[m * n], mag = new double[m * n];
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double s = 0, sa = 0;
                                for (int q = 0; q < k; q++) {
                                    double av = tA ? a[q * m + i] : a[i * k + q];
                                    double bv = tB ? b[j * k + q] : b[q * n + j];
                                    s += av * bv;
                                    sa += Math.abs(av * bv);
                                }
                                double cTerm = beta == 0f ? 0 : beta * (double) c0[i * n + j];
                                ref[i * n + j] = alpha * s + cTerm;
                                mag[i * n + j] = alpha * sa + Math.abs(cTerm);
                            }
                        }
                        String what = String.format("gemm M=%d N=%d K=%d transA=%b transB=%b alpha=%s beta=%s threads=%d", m, n, k,
                                tA, tB, alpha, beta, threads);
                        float[] got = arena.get(tc);
                        // Element-wise too: a wrong element of a large C would hide in the norm.
                        for (int i = 0; i < m * n; i++) {
                            if (!(Math.abs(got[i] - ref[i]) <= 1e-5 * mag[i] + 1e-30)) {
                                throw new AssertionError(what + ": C[" + i / n + "," + i % n + "] = " + got[i] + ", expected " + ref[i]);
                            }
                        }
                        double err = relNorm(got, ref);
                        worstGemm = Math.max(worstGemm, err);
                        assertTrue(err <= TOL, what + ": relative error " + err);
                        assertArrayEquals(a, arena.get(ta), what + ": A was modified");
                        assertArrayEquals(b, arena.get(tb), what + ": B was modified");
                        arena.assertPaddingIntact(what);
                    }
                }
            }
        }
    }

    @Test
    void gemmOnSlicesOfLargerTensorsAndZeroAlpha() {
        try (CpuEngine e = new CpuEngine(3)) {
            SplittableRandom rng = new SplittableRandom(3);
            int m = 9, n = 6, k = 5;
            // A is the middle one of three [m,k] blocks, B a reshape, C the middle rows of a bigger matrix.
            float[] aAll = uniform(rng, 3 * m * k, 1), bAll = uniform(rng, k * n, 1);
            Tensor a3 = e.fromHost(aAll, 3, m, k);
            Tensor b = e.fromHost(bAll, k * n).reshape(k, n);
            Tensor cAll = e.zeros(m + 4, n);
            e.fill(cAll, 42f);
            Tensor c = cAll.slice(2, 2 + m);
            e.gemm(false, false, 1f, a3.slice(1), b, 0f, c);
            float[] got = e.toHost(cAll);
            for (int r = 0; r < m + 4; r++) {
                for (int j = 0; j < n; j++) {
                    if (r < 2 || r >= 2 + m) {
                        assertEquals(42f, got[r * n + j], "row " + r + " outside the C slice was written");
                    } else {
                        double s = 0;
                        for (int q = 0; q < k; q++) {
                            s += (double) aAll[m * k + (r - 2) * k + q] * bAll[q * n + j];
                        }
                        assertEquals(s, got[r * n + j], 1e-5, "C[" + (r - 2) + "," + j + "] from the middle slice of A");
                    }
                }
            }
            // alpha = 0: C = beta C without reading A and B.
            e.fill(c, 2f);
            e.gemm(false, false, 0f, a3.slice(0), b, 0.5f, c);
            float[] half = e.toHost(c);
            for (float v : half) {
                assertEquals(1f, v, "alpha = 0, beta = 0.5 must give C = 0.5 C");
            }
            // Shape mismatch is an IllegalArgumentException naming gemm.
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> e.gemm(false, false, 1f, a3.slice(0), b.reshape(n, k), 0f, c));
            assertTrue(ex.getMessage().contains("gemm"), ex.getMessage());
            a3.close();
            b.close();
            cAll.close();
        }
    }

    /** K = 0: op(A) op(B) is the zero matrix, so C = beta C (and C = 0 for beta = 0, NaN ignored). */
    @Test
    void gemmWithEmptyInnerDimension() {
        int m = 5, n = 3;
        try (CpuEngine e = new CpuEngine(2); Arena arena = new Arena(e)) {
            for (boolean tA : new boolean[]{false, true}) {
                for (boolean tB : new boolean[]{false, true}) {
                    for (float beta : new float[]{0f, 0.5f}) {
                        Tensor a = arena.f32("A", new float[0], tA ? new int[]{0, m} : new int[]{m, 0});
                        Tensor b = arena.f32("B", new float[0], tB ? new int[]{n, 0} : new int[]{0, n});
                        float[] c0 = new float[m * n];
                        Arrays.fill(c0, 4f);
                        Tensor c = beta == 0f ? arena.nan("C", m, n) : arena.f32("C", c0, m, n);
                        e.gemm(tA, tB, 1f, a, b, beta, c);
                        float[] got = arena.get(c);
                        for (float v : got) {
                            assertEquals(beta * 4f, v, "K=0 transA=" + tA + " transB=" + tB + " beta=" + beta);
                        }
                    }
                }
            }
            arena.assertPaddingIntact("gemm K=0");
        }
    }

    // ------------------------------------------------------------------------ row operations

    static List<Arguments> rowShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int[] s : new int[][]{{1, 1}, {5, 7}, {200, 33}, {1000, 3}, {129, 16}}) {
            for (int threads : new int[]{1, 3}) {
                out.add(Arguments.of(s[0], s[1], threads));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "rows={0} cols={1} threads={2}")
    @MethodSource("rowShapes")
    void addRowVectorAndSumRows(int rows, int cols, int threads) {
        SplittableRandom rng = new SplittableRandom(rows * 31L + cols);
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            float[] c = uniform(rng, rows * cols, 2), bias = uniform(rng, cols, 2);
            Tensor tc = arena.f32("c", c, rows, cols);
            Tensor tb = arena.f32("bias", bias, cols);
            e.addRowVector(tc, tb);
            float[] got = arena.get(tc);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    assertEquals(c[i * cols + j] + bias[j], got[i * cols + j], 0f, "addRowVector [" + i + "," + j + "]");
                }
            }
            for (float beta : new float[]{0f, 1f, 0.5f}) {
                float[] dst0 = uniform(rng, cols, 1);
                Tensor td = beta == 0f ? arena.nan("dst", cols) : arena.f32("dst", dst0, cols);
                e.sumRows(tc, beta, td);
                double[] ref = new double[cols];
                for (int j = 0; j < cols; j++) {
                    double s = 0;
                    for (int i = 0; i < rows; i++) {
                        s += got[i * cols + j];
                    }
                    ref[j] = s + (beta == 0f ? 0 : beta * (double) dst0[j]);
                }
                double err = relNorm(arena.get(td), ref);
                assertTrue(err <= TOL, "sumRows rows=" + rows + " cols=" + cols + " beta=" + beta + ": relative error " + err);
            }
            // Rank-3 tensors are matrices of their collapsed leading dimensions.
            if (rows % 5 == 0) {
                Tensor t3 = tc.reshape(5, rows / 5, cols);
                Tensor sum3 = arena.nan("sum3", cols);
                e.sumRows(t3, 0f, sum3);
                Tensor sum2 = arena.nan("sum2", cols);
                e.sumRows(tc, 0f, sum2);
                assertArrayEquals(arena.get(sum2), arena.get(sum3), "sumRows of a [5,R/5,C] reshape");
            }
            arena.assertPaddingIntact("addRowVector/sumRows rows=" + rows + " cols=" + cols);
        }
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 3})
    void fillCopyScaleSumOfSquaresStayInTheirViews(int threads) {
        SplittableRandom rng = new SplittableRandom(11);
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            int n = 40_000;
            float[] v = uniform(rng, n, 3);
            Tensor a = arena.f32("a", v, 200, 200);
            Tensor b = arena.nan("b", 200, 200);
            e.copy(a, b);
            assertArrayEquals(v, arena.get(b), "copy");
            e.scale(b, -0.5f);
            float[] s = arena.get(b);
            double ss = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(v[i] * -0.5f, s[i], 0f, "scale element " + i);
                ss += (double) s[i] * s[i];
            }
            assertEquals(ss, e.sumOfSquares(b), 1e-9 * ss, "sumOfSquares");
            e.fill(a.slice(7), 3f);
            float[] f = arena.get(a);
            for (int i = 0; i < n; i++) {
                assertEquals(i / 200 == 7 ? 3f : v[i], f[i], 0f, "fill of row 7 at element " + i);
            }
            float[] nanned = arena.get(b).clone();
            nanned[123] = Float.NaN;
            e.upload(nanned, b);
            assertTrue(Double.isNaN(e.sumOfSquares(b)), "sumOfSquares must be NaN when an element is");
            arena.assertPaddingIntact("fill/copy/scale");
        }
    }

    // ----------------------------------------------------------------------------------- losses

    static List<Arguments> lossShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int[] s : new int[][]{{1, 1}, {1, 3}, {5, 2}, {7, 10}, {600, 37}, {300, 4}}) {
            for (int threads : new int[]{1, 3}) {
                out.add(Arguments.of(s[0], s[1], threads));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "M={0} C={1} threads={2}")
    @MethodSource("lossShapes")
    void softmaxCrossEntropyMatchesDefinition(int m, int c, int threads) {
        SplittableRandom rng = new SplittableRandom(m * 7L + c);
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            for (double scale : new double[]{3, 200}) {
                float[] logits = uniform(rng, m * c, scale);
                int[] labels = new int[m];
                for (int i = 0; i < m; i++) {
                    labels[i] = rng.nextInt(5) == 0 ? -1 - rng.nextInt(3) : rng.nextInt(c);
                }
                float gradScale = 0.37f;
                double refLoss = 0;
                double[] refGrad = new double[m * c];
                int[] refPred = new int[m];
                for (int i = 0; i < m; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < c; j++) {
                        if (logits[i * c + j] > max) {
                            max = logits[i * c + j];
                            refPred[i] = j;
                        }
                    }
                    double z = 0;
                    for (int j = 0; j < c; j++) {
                        z += Math.exp(logits[i * c + j] - max);
                    }
                    double logZ = max + Math.log(z);
                    if (labels[i] >= 0) {
                        refLoss += logZ - logits[i * c + labels[i]];
                        for (int j = 0; j < c; j++) {
                            refGrad[i * c + j] = gradScale * (Math.exp(logits[i * c + j] - logZ) - (j == labels[i] ? 1 : 0));
                        }
                    }
                }
                String what = "softmaxCrossEntropy M=" + m + " C=" + c + " scale=" + scale + " threads=" + threads;
                Tensor tl = arena.f32("logits", logits, m, c);
                Tensor ty = arena.i32("labels", labels, m);
                Tensor td = arena.nan("dLogits", m, c);
                Tensor tp = arena.i32("predictions", new int[m], m);
                double loss = e.softmaxCrossEntropy(tl, ty, gradScale, td, tp);
                assertEquals(refLoss, loss, 1e-6 * Math.max(1, Math.abs(refLoss)), what + ": loss");
                float[] grad = arena.get(td);
                assertTrue(relNorm(grad, refGrad) <= TOL, what + ": dLogits relative error " + relNorm(grad, refGrad));
                for (int i = 0; i < m; i++) {
                    if (labels[i] < 0) {
                        for (int j = 0; j < c; j++) {
                            assertEquals(0f, grad[i * c + j], what + ": ignored row " + i + " must have zero gradient");
                        }
                    }
                }
                assertArrayEquals(refPred, arena.getInts(tp), what + ": predictions (arg-max, ignored rows included)");
                assertArrayEquals(logits, arena.get(tl), what + ": logits modified");
                // In place (dLogits = logits), and without outputs.
                assertEquals(loss, e.softmaxCrossEntropy(tl, ty, gradScale, null, null), 0.0, what + ": loss without outputs");
                e.softmaxCrossEntropy(tl, ty, gradScale, tl, null);
                assertArrayEquals(grad, arena.get(tl), what + ": in-place gradient");
                arena.assertPaddingIntact(what);
            }
            Tensor bad = arena.i32("bad labels", new int[]{c}, 1);
            Tensor one = arena.f32("one row", new float[c], 1, c);
            assertThrows(IllegalArgumentException.class, () -> e.softmaxCrossEntropy(one, bad, 1f, null, null),
                    "a label equal to the class count must be rejected");
        }
    }

    @ParameterizedTest(name = "M={0} C={1} threads={2}")
    @MethodSource("lossShapes")
    void squaredErrorMatchesDefinition(int m, int c, int threads) {
        SplittableRandom rng = new SplittableRandom(m * 13L + c);
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            float[] pred = gaussian(rng, m * c, 1), target = gaussian(rng, m * c, 1);
            float gradScale = 1f / m;
            double ref = 0;
            double[] refGrad = new double[m * c];
            for (int i = 0; i < m * c; i++) {
                double err = (double) pred[i] - target[i];
                ref += err * err;
                refGrad[i] = gradScale * 2 * err;
            }
            Tensor tp = arena.f32("pred", pred, m, c), tt = arena.f32("target", target, m, c), td = arena.nan("dPred", m, c);
            String what = "squaredError M=" + m + " C=" + c;
            assertEquals(ref, e.squaredError(tp, tt, gradScale, td), 1e-6 * ref, what);
            assertTrue(relNorm(arena.get(td), refGrad) <= TOL, what + ": gradient");
            e.squaredError(tp, tt, gradScale, tp);
            assertArrayEquals(arena.get(td), arena.get(tp), what + ": in-place gradient");
            arena.assertPaddingIntact(what);
        }
    }

    // ------------------------------------------------------------------------------- optimizers

    @ParameterizedTest(name = "size={0} threads={1}")
    @MethodSource("optimizerSizes")
    void sgdMatchesPyTorch(int size, int threads) {
        SplittableRandom rng = new SplittableRandom(size);
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            for (float momentum : new float[]{0f, 0.9f}) {
                for (float wd : new float[]{0f, 0.05f}) {
                    float lr = 0.1f;
                    float[] p0 = uniform(rng, size, 1);
                    Tensor tp = arena.f32("params", p0, size);
                    Tensor tv = arena.f32("velocity", new float[size], size);
                    Tensor tg = arena.f32("grads", new float[size], size);
                    double[] p = d(p0), buf = null;
                    for (int step = 1; step <= 4; step++) {
                        float[] g = gaussian(rng, size, 1);
                        e.upload(g, tg);
                        if (wd == 0f) {
                            e.sgdStep(tp, tg, momentum == 0f ? null : tv, lr, momentum);
                        } else {
                            e.sgdStep(tp, tg, momentum == 0f ? null : tv, lr, momentum, wd);
                        }
                        // torch.optim.SGD (dampening 0, no nesterov): d = g + wd p; buf = d at the first step,
                        // then mu buf + d; p -= lr buf.
                        double[] dp = new double[size];
                        for (int i = 0; i < size; i++) {
                            dp[i] = g[i] + wd * p[i];
                        }
                        if (momentum != 0f) {
                            if (buf == null) {
                                buf = dp.clone();
                            } else {
                                for (int i = 0; i < size; i++) {
                                    buf[i] = momentum * buf[i] + dp[i];
                                }
                            }
                        }
                        for (int i = 0; i < size; i++) {
                            p[i] -= lr * (momentum != 0f ? buf[i] : dp[i]);
                        }
                    }
                    String what = "sgd size=" + size + " momentum=" + momentum + " weight decay=" + wd;
                    assertTrue(updateError(arena.get(tp), p, p0) <= TOL, what + ": parameter update error " + updateError(arena.get(tp), p, p0));
                    if (momentum != 0f) {
                        assertTrue(relNorm(arena.get(tv), buf) <= TOL, what + ": momentum buffer");
                    }
                    arena.assertPaddingIntact(what);
                }
            }
        }
    }

    static List<Arguments> optimizerSizes() {
        List<Arguments> out = new ArrayList<>();
        for (int size : new int[]{1, 7, 50_001}) {
            for (int threads : new int[]{1, 3}) {
                out.add(Arguments.of(size, threads));
            }
        }
        return out;
    }

    /** Error of the total update: {@code ||(p32 - p0) - (p64 - p0)|| / ||p64 - p0||}. */
    private static double updateError(float[] p32, double[] p64, float[] p0) {
        double[] delta = new double[p0.length];
        float[] got = new float[p0.length];
        for (int i = 0; i < p0.length; i++) {
            delta[i] = p64[i] - p0[i];
            got[i] = (float) ((double) p32[i] - p0[i]);
        }
        return relNorm(got, delta);
    }

    @ParameterizedTest(name = "size={0} threads={1}")
    @MethodSource("optimizerSizes")
    void adamMatchesPyTorch(int size, int threads) {
        // (weight decay, decoupled): plain Adam, torch.optim.Adam's L2 weight_decay, torch.optim.AdamW.
        float[][] decays = {{0f, 0f}, {0.05f, 0f}, {0.05f, 1f}};
        for (float[] decay : decays) {
            float wd = decay[0];
            boolean decoupled = decay[1] != 0f;
            SplittableRandom rng = new SplittableRandom(size + 99);
            float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
            try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
                float[] p0 = uniform(rng, size, 0.1);
                Tensor tp = arena.f32("params", p0, size);
                Tensor tm = arena.f32("m", new float[size], size);
                Tensor tv = arena.f32("v", new float[size], size);
                Tensor tg = arena.f32("grads", new float[size], size);
                double[] p = d(p0), m = new double[size], v = new double[size];
                for (int t = 1; t <= 6; t++) {
                    float[] g = gaussian(rng, size, t == 3 ? 1e-4 : 1);
                    e.upload(g, tg);
                    if (wd == 0f) {
                        e.adamStep(tp, tg, tm, tv, lr, b1, b2, eps, t);
                    } else {
                        e.adamStep(tp, tg, tm, tv, lr, b1, b2, eps, t, wd, decoupled);
                    }
                    // torch.optim.Adam: g += wd p (L2); torch.optim.AdamW: p *= 1 - lr wd. Then
                    // m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr / (1-b1^t) * m / (sqrt(v) / sqrt(1-b2^t) + eps)
                    double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
                    for (int i = 0; i < size; i++) {
                        double gi = decoupled ? g[i] : g[i] + wd * p[i];
                        if (decoupled) {
                            p[i] *= 1 - (double) lr * wd;
                        }
                        m[i] = b1 * m[i] + (1 - b1) * gi;
                        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                        p[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
                    }
                    String what = "adam size=" + size + " weight decay=" + wd + (decoupled ? " (AdamW)" : "") + " step " + t;
                    assertTrue(relNorm(arena.get(tm), m) <= TOL, what + ": m");
                    assertTrue(relNorm(arena.get(tv), v) <= TOL, what + ": v");
                    double err = updateError(arena.get(tp), p, p0);
                    assertTrue(err <= TOL, what + ": parameter update error " + err);
                }
                assertThrows(IllegalArgumentException.class, () -> e.adamStep(tp, tg, tm, tv, lr, b1, b2, eps, 0), "step 0");
                assertThrows(IllegalArgumentException.class, () -> e.adamStep(tp, tg, tm, tv, lr, b1, b2, eps, 7, -0.1f, true),
                        "negative weight decay");
                assertThrows(IllegalArgumentException.class, () -> e.sgdStep(tp, tg, null, lr, 0f, Float.POSITIVE_INFINITY),
                        "infinite weight decay");
                arena.assertPaddingIntact("adam size=" + size);
            }
        }
    }

    @Test
    void adamwWithoutGradientsShrinksTheParametersByOneMinusLrTimesDecayPerStep() {
        // m = v = 0 and g = 0 make the Adam term 0 / eps = 0: only the decoupled decay acts, p_t = p_0 (1 - lr wd)^t,
        // and L2 decay (torch.optim.Adam's) moves every parameter against its sign by about lr.
        try (CpuEngine e = new CpuEngine(1)) {
            float[] p0 = {1f, -2f, 0.5f, 0f};
            Tensor p = e.fromHost(p0, 4), g = e.zeros(4), m = e.zeros(4), v = e.zeros(4);
            float lr = 0.1f, wd = 0.2f, shrink = (float) (1.0 - (double) lr * wd);
            float[] want = p0.clone();
            for (int t = 1; t <= 5; t++) {
                e.adamStep(p, g, m, v, lr, 0.9f, 0.999f, 1e-8f, t, wd, true);
                for (int i = 0; i < 4; i++) {
                    want[i] *= shrink;
                }
            }
            assertArrayEquals(want, e.toHost(p), "AdamW with zero gradients");
            assertEquals(1.0 * Math.pow(0.98, 5), e.toHost(p)[0], 1e-6);

            Tensor q = e.fromHost(p0, 4), m2 = e.zeros(4), v2 = e.zeros(4);
            e.adamStep(q, g, m2, v2, lr, 0.9f, 0.999f, 1e-8f, 1, wd, false);
            float[] got = e.toHost(q);
            for (int i = 0; i < 4; i++) {
                assertEquals(p0[i] - lr * Math.signum(p0[i]), got[i], 1e-5, "first L2-decayed Adam step of element " + i);
            }
        }
    }

    @Test
    void firstAdamStepMovesEveryParameterByAboutLr() {
        // With m = v = 0, step 1 moves each parameter by lr * g / (|g| + eps'), i.e. lr * sign(g).
        try (CpuEngine e = new CpuEngine(1)) {
            float[] g = {3f, -0.5f, 1e-3f, -200f};
            Tensor p = e.zeros(4), tg = e.fromHost(g, 4), m = e.zeros(4), v = e.zeros(4);
            e.adamStep(p, tg, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 1);
            float[] got = e.toHost(p);
            for (int i = 0; i < 4; i++) {
                assertEquals(-0.01 * Math.signum(g[i]), got[i], 1e-6, "first Adam step of element " + i + " " + Arrays.toString(got));
            }
        }
    }
}
