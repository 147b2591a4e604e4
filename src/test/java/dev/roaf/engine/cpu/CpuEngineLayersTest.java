package dev.roaf.engine.cpu;

import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;
import dev.roaf.model.Init;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU engine's fused layer operations (ROAF stacks, ROAF/Elman recurrences, LSTM) called
 * directly, against plain double loops of the equations, for every filter kind (dense per-layer
 * and shared, signed permutation per-layer and shared, identity, none), 1 and 3 threads and batch
 * sizes that leave row-block tails. Every operand is a view inside sentinel padding. Bound:
 * relative error on norms {@code <= 1e-4}. Also the Jacobian property of a ROAF layer with
 * {@code W = 0, b = 0}.
 */
class CpuEngineLayersTest {
    static final double TOL = 1e-4;
    private static double worstStack;
    private static double worstRec;
    private static double worstLstm;

    @AfterAll
    static void report() {
        System.out.printf("CpuEngineLayersTest: max relative error: stack %.3g, recurrence %.3g, lstm %.3g%n", worstStack,
                worstRec, worstLstm);
    }

    enum FilterCase { DENSE_PER_LAYER, DENSE_SHARED, PERMUTATION_PER_LAYER, PERMUTATION_SHARED, IDENTITY, NONE }

    /** A filter with its host copy: dense matrices [L',N,N], or index/sign [L',N], L' = layers or 1. */
    static final class HostFilter {
        final FilterCase kind;
        final int n;
        final int count;
        final float[] dense;
        final int[] index;
        final float[] sign;

        HostFilter(FilterCase kind, int n, int layers, SplittableRandom rng) {
            this.kind = kind;
            this.n = n;
            this.count = kind == FilterCase.DENSE_PER_LAYER || kind == FilterCase.PERMUTATION_PER_LAYER ? layers : 1;
            switch (kind) {
                case DENSE_PER_LAYER, DENSE_SHARED -> {
                    dense = new float[count * n * n];
                    for (int l = 0; l < count; l++) {
                        Init.haar(rng.split(), n, dense, l * n * n);
                    }
                    index = null;
                    sign = null;
                }
                case PERMUTATION_PER_LAYER, PERMUTATION_SHARED -> {
                    index = new int[count * n];
                    sign = new float[count * n];
                    for (int l = 0; l < count; l++) {
                        Init.signedPermutation(rng.split(), n, index, sign, l * n);
                    }
                    dense = null;
                }
                default -> {
                    dense = null;
                    index = null;
                    sign = null;
                }
            }
        }

        Filter operand(Arena arena) {
            boolean perLayer = kind == FilterCase.DENSE_PER_LAYER || kind == FilterCase.PERMUTATION_PER_LAYER;
            return switch (kind) {
                case DENSE_PER_LAYER, DENSE_SHARED -> Filter.dense(perLayer ? arena.f32("O", dense, count, n, n)
                        : arena.f32("O", dense, n, n));
                case PERMUTATION_PER_LAYER, PERMUTATION_SHARED -> Filter.signedPermutation(
                        perLayer ? arena.i32("O_index", index, count, n) : arena.i32("O_index", index, n),
                        perLayer ? arena.f32("O_sign", sign, count, n) : arena.f32("O_sign", sign, n));
                case IDENTITY -> Filter.identity();
                case NONE -> Filter.none();
            };
        }

        /** (O_l x), 0 for NONE. */
        double[] apply(int l, double[] x) {
            double[] y = new double[n];
            int q = count == 1 ? 0 : l;
            switch (kind) {
                case DENSE_PER_LAYER, DENSE_SHARED -> {
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            y[i] += dense[q * n * n + i * n + j] * x[j];
                        }
                    }
                }
                case PERMUTATION_PER_LAYER, PERMUTATION_SHARED -> {
                    for (int i = 0; i < n; i++) {
                        y[i] = sign[q * n + i] * x[index[q * n + i]];
                    }
                }
                case IDENTITY -> System.arraycopy(x, 0, y, 0, n);
                case NONE -> {
                }
            }
            return y;
        }

        /** (O_l^T g), 0 for NONE. */
        double[] applyT(int l, double[] g) {
            double[] y = new double[n];
            int q = count == 1 ? 0 : l;
            switch (kind) {
                case DENSE_PER_LAYER, DENSE_SHARED -> {
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            y[j] += dense[q * n * n + i * n + j] * g[i];
                        }
                    }
                }
                case PERMUTATION_PER_LAYER, PERMUTATION_SHARED -> {
                    for (int i = 0; i < n; i++) {
                        y[index[q * n + i]] += sign[q * n + i] * g[i];
                    }
                }
                case IDENTITY -> System.arraycopy(g, 0, y, 0, n);
                case NONE -> {
                }
            }
            return y;
        }
    }

    private static double[] row(float[] a, int off, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = a[off + i];
        }
        return r;
    }

    // ----------------------------------------------------------------------- ROAF layer stacks

    static List<Arguments> stackCases() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{1, 1, 1}, {7, 5, 3}, {7, 13, 1}, {33, 7, 3}, {16, 9, 4}, {5, 2, 6}};
        for (FilterCase f : FilterCase.values()) {
            for (int[] s : shapes) {
                for (int threads : new int[]{1, 3}) {
                    out.add(Arguments.of(f, s[0], s[1], s[2], threads));
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} N={1} B={2} L={3} threads={4}")
    @MethodSource("stackCases")
    void roafStackForwardInferBackward(FilterCase fc, int n, int batch, int layers, int threads) {
        SplittableRandom rng = new SplittableRandom(n * 1000L + batch * 10L + layers + fc.ordinal() * 100_000L);
        float alpha = fc == FilterCase.NONE ? 0f : (float) (0.1 + 0.85 * rng.nextDouble());
        float beta = (float) (0.2 + rng.nextDouble());
        String what = fc + " N=" + n + " B=" + batch + " L=" + layers + " threads=" + threads + " alpha=" + alpha + " beta=" + beta;
        HostFilter hf = new HostFilter(fc, n, layers, rng);
        float[] x0 = uniform(rng, batch * n, 1), w = gaussian(rng, layers * n * n, 1 / Math.sqrt(n)),
                b = gaussian(rng, layers * n, 0.5), gTop = gaussian(rng, batch * n, 1);
        // Reference forward and backward.
        double[][][] xs = new double[layers + 1][batch][];
        double[][][] zs = new double[layers][batch][];
        double[] refDw = new double[layers * n * n], refDb = new double[layers * n];
        double[][][] refD = new double[layers][batch][];
        double[][] gIn = new double[batch][];
        for (int r = 0; r < batch; r++) {
            xs[0][r] = row(x0, r * n, n);
            for (int l = 0; l < layers; l++) {
                double[] ox = hf.apply(l, xs[l][r]);
                double[] next = new double[n], z = new double[n];
                for (int i = 0; i < n; i++) {
                    double a = b[l * n + i];
                    for (int j = 0; j < n; j++) {
                        a += w[l * n * n + i * n + j] * xs[l][r][j];
                    }
                    z[i] = Math.tanh(a);
                    next[i] = alpha * ox[i] + beta * z[i];
                }
                zs[l][r] = z;
                xs[l + 1][r] = next;
            }
            double[] g = row(gTop, r * n, n);
            for (int l = layers - 1; l >= 0; l--) {
                double[] dl = new double[n];
                for (int i = 0; i < n; i++) {
                    dl[i] = beta * (1 - zs[l][r][i] * zs[l][r][i]) * g[i];
                    refDb[l * n + i] += dl[i];
                    for (int j = 0; j < n; j++) {
                        refDw[l * n * n + i * n + j] += dl[i] * xs[l][r][j];
                    }
                }
                refD[l][r] = dl;
                double[] next = hf.applyT(l, g);
                for (int j = 0; j < n; j++) {
                    next[j] *= alpha;
                    for (int i = 0; i < n; i++) {
                        next[j] += w[l * n * n + i * n + j] * dl[i];
                    }
                }
                g = next;
            }
            gIn[r] = g;
        }
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            Filter o = hf.operand(arena);
            float[] xInit = new float[(layers + 1) * batch * n];
            Arrays.fill(xInit, Float.NaN);
            System.arraycopy(x0, 0, xInit, 0, x0.length);
            Tensor tx = arena.f32("x", xInit, layers + 1, batch, n);
            Tensor tw = arena.f32("w", w, layers, n, n), tb = arena.f32("b", b, layers, n);
            Tensor tz = arena.nan("z", layers, batch, n);
            e.roafStackForward(tx, tw, tb, o, alpha, beta, tz);
            float[] gx = arena.get(tx), gz = arena.get(tz);
            assertArrayEquals(x0, Arrays.copyOf(gx, batch * n), what + ": x[0] must not change");
            for (int l = 0; l < layers; l++) {
                double[] refX = new double[batch * n], refZ = new double[batch * n];
                for (int r = 0; r < batch; r++) {
                    System.arraycopy(xs[l + 1][r], 0, refX, r * n, n);
                    System.arraycopy(zs[l][r], 0, refZ, r * n, n);
                }
                int off = (l + 1) * batch * n;
                double ex = relNorm(Arrays.copyOfRange(gx, off, off + batch * n), refX);
                double ez = relNorm(Arrays.copyOfRange(gz, l * batch * n, (l + 1) * batch * n), refZ);
                worstStack = Math.max(worstStack, Math.max(ex, ez));
                assertTrue(ex <= TOL, what + ": forward x[" + (l + 1) + "] relative error " + ex);
                assertTrue(ez <= TOL, what + ": forward z[" + l + "] relative error " + ez);
            }
            // Infer: same last state, bit for bit.
            Tensor tInfer = arena.f32("x infer", x0, batch, n);
            e.roafStackInfer(tInfer, tw, tb, o, alpha, beta);
            assertArrayEquals(Arrays.copyOfRange(gx, layers * batch * n, (layers + 1) * batch * n), arena.get(tInfer),
                    what + ": roafStackInfer must equal the last state of roafStackForward");
            // Backward.
            Tensor tg = arena.f32("g", gTop, batch, n);
            Tensor tdw = arena.nan("dw", layers, n, n), tdb = arena.nan("db", layers, n);
            e.roafStackBackward(tx, tw, o, alpha, beta, tz, tg, tdw, tdb);
            double[] refG = new double[batch * n];
            for (int r = 0; r < batch; r++) {
                System.arraycopy(gIn[r], 0, refG, r * n, n);
            }
            double eg = relNorm(arena.get(tg), refG), ew = relNorm(arena.get(tdw), refDw), eb = relNorm(arena.get(tdb), refDb);
            worstStack = Math.max(worstStack, Math.max(eg, Math.max(ew, eb)));
            assertTrue(eg <= TOL, what + ": dLoss/dx_0 relative error " + eg);
            assertTrue(ew <= TOL, what + ": dW relative error " + ew);
            assertTrue(eb <= TOL, what + ": db relative error " + eb);
            float[] dz = arena.get(tz);
            for (int l = 0; l < layers; l++) {
                double[] refDl = new double[batch * n];
                for (int r = 0; r < batch; r++) {
                    System.arraycopy(refD[l][r], 0, refDl, r * n, n);
                }
                double ed = relNorm(Arrays.copyOfRange(dz, l * batch * n, (l + 1) * batch * n), refDl);
                assertTrue(ed <= TOL, what + ": z must hold d_" + l + " after backward, relative error " + ed);
            }
            assertArrayEquals(gx, arena.get(tx), what + ": backward must not modify x");
            arena.assertPaddingIntact(what);
        }
    }

    // ----------------------------------------------------------------------------- recurrences

    static List<Arguments> recurrenceCases() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{1, 1, 1}, {7, 5, 6}, {33, 7, 17}, {8, 13, 3}, {5, 1, 9}};
        for (FilterCase f : new FilterCase[]{FilterCase.DENSE_SHARED, FilterCase.PERMUTATION_SHARED, FilterCase.IDENTITY,
                FilterCase.NONE}) {
            for (int[] s : shapes) {
                for (boolean perStep : new boolean[]{true, false}) {
                    for (int threads : new int[]{1, 3}) {
                        out.add(Arguments.of(f, s[0], s[1], s[2], perStep, threads));
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} N={1} B={2} T={3} perStepGrad={4} threads={5}")
    @MethodSource("recurrenceCases")
    void recurrenceForwardBackward(FilterCase fc, int n, int batch, int steps, boolean perStep, int threads) {
        SplittableRandom rng = new SplittableRandom(n * 1000L + batch * 10L + steps + fc.ordinal() * 100_000L + (perStep ? 7 : 0));
        float alpha = fc == FilterCase.NONE ? 0f : (float) (0.1 + 0.85 * rng.nextDouble());
        float beta = fc == FilterCase.NONE ? 1f : (float) (0.2 + rng.nextDouble());
        String what = fc + " N=" + n + " B=" + batch + " T=" + steps + " perStep=" + perStep + " threads=" + threads;
        HostFilter hf = new HostFilter(fc, n, 1, rng);
        float[] p = uniform(rng, steps * batch * n, 1), w = gaussian(rng, n * n, 1 / Math.sqrt(n)),
                h0 = uniform(rng, batch * n, 1), gOut = gaussian(rng, (perStep ? steps : 1) * batch * n, 1);
        int plane = batch * n;
        double[] refH = new double[(steps + 1) * plane], refZ = new double[steps * plane], refD = new double[steps * plane];
        double[] refGh0 = new double[plane];
        for (int r = 0; r < batch; r++) {
            for (int i = 0; i < n; i++) {
                refH[r * n + i] = h0[r * n + i];
            }
            for (int t = 0; t < steps; t++) {
                double[] hp = Arrays.copyOfRange(refH, t * plane + r * n, t * plane + r * n + n);
                double[] oh = hf.apply(0, hp);
                for (int i = 0; i < n; i++) {
                    double a = p[t * plane + r * n + i];
                    for (int j = 0; j < n; j++) {
                        a += w[i * n + j] * hp[j];
                    }
                    double z = Math.tanh(a);
                    refZ[t * plane + r * n + i] = z;
                    refH[(t + 1) * plane + r * n + i] = alpha * oh[i] + beta * z;
                }
            }
            double[] carry = new double[n];
            for (int t = steps - 1; t >= 0; t--) {
                double[] g = carry.clone();
                if (perStep) {
                    for (int i = 0; i < n; i++) {
                        g[i] += gOut[t * plane + r * n + i];
                    }
                } else if (t == steps - 1) {
                    for (int i = 0; i < n; i++) {
                        g[i] += gOut[r * n + i];
                    }
                }
                double[] dt = new double[n];
                for (int i = 0; i < n; i++) {
                    double z = refZ[t * plane + r * n + i];
                    dt[i] = beta * (1 - z * z) * g[i];
                    refD[t * plane + r * n + i] = dt[i];
                }
                double[] next = hf.applyT(0, g);
                for (int j = 0; j < n; j++) {
                    next[j] *= alpha;
                    for (int i = 0; i < n; i++) {
                        next[j] += w[i * n + j] * dt[i];
                    }
                }
                carry = next;
            }
            System.arraycopy(carry, 0, refGh0, r * n, n);
        }
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            Filter o = hf.operand(arena);
            float[] hInit = new float[(steps + 1) * plane];
            Arrays.fill(hInit, Float.NaN);
            System.arraycopy(h0, 0, hInit, 0, plane);
            Tensor tp = arena.f32("p", p, steps, batch, n), tw = arena.f32("w", w, n, n);
            Tensor th = arena.f32("h", hInit, steps + 1, batch, n), tz = arena.nan("z", steps, batch, n);
            e.recurrenceForward(tp, tw, o, alpha, beta, th, tz);
            float[] gh = arena.get(th), gz = arena.get(tz);
            assertArrayEquals(h0, Arrays.copyOf(gh, plane), what + ": h[0] must not change");
            double eh = relNorm(gh, refH, plane, (steps + 1) * plane), ez = relNorm(gz, refZ);
            worstRec = Math.max(worstRec, Math.max(eh, ez));
            assertTrue(eh <= TOL, what + ": h relative error " + eh);
            assertTrue(ez <= TOL, what + ": z relative error " + ez);
            // Without z: same states, bit for bit.
            Tensor th2 = arena.f32("h (no z)", hInit, steps + 1, batch, n);
            e.recurrenceForward(tp, tw, o, alpha, beta, th2, null);
            assertArrayEquals(gh, arena.get(th2), what + ": recurrenceForward without z");
            // Backward.
            Tensor tg = perStep ? arena.f32("gOut", gOut, steps, batch, n) : arena.f32("gOut", gOut, batch, n);
            Tensor tgh0 = arena.nan("gH0", batch, n);
            e.recurrenceBackward(tw, o, alpha, beta, tz, tg, tgh0);
            double ed = relNorm(arena.get(tz), refD), eg = relNorm(arena.get(tgh0), refGh0);
            worstRec = Math.max(worstRec, Math.max(ed, eg));
            assertTrue(ed <= TOL, what + ": d_t (written over z) relative error " + ed);
            assertTrue(eg <= TOL, what + ": dLoss/dh_0 relative error " + eg);
            assertArrayEquals(gOut, arena.get(tg), what + ": gOut must be read only");
            // gH0 may be null; the d_t are the same.
            Tensor tz2 = arena.nan("z2", steps, batch, n);
            e.recurrenceForward(tp, tw, o, alpha, beta, th2, tz2);
            e.recurrenceBackward(tw, o, alpha, beta, tz2, tg, null);
            assertArrayEquals(arena.get(tz), arena.get(tz2), what + ": recurrenceBackward with gH0 = null");
            arena.assertPaddingIntact(what);
        }
    }

    // ------------------------------------------------------------------------------------ LSTM

    static List<Arguments> lstmCases() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{1, 1, 1}, {7, 5, 6}, {9, 7, 13}, {16, 13, 3}, {3, 1, 8}};
        for (int[] s : shapes) {
            for (boolean perStep : new boolean[]{true, false}) {
                for (int threads : new int[]{1, 3}) {
                    out.add(Arguments.of(s[0], s[1], s[2], perStep, threads));
                }
            }
        }
        return out;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @ParameterizedTest(name = "N={0} B={1} T={2} perStepGrad={3} threads={4}")
    @MethodSource("lstmCases")
    void lstmForwardBackward(int n, int batch, int steps, boolean perStep, int threads) {
        SplittableRandom rng = new SplittableRandom(n * 1000L + batch * 10L + steps + (perStep ? 7 : 0));
        String what = "lstm N=" + n + " B=" + batch + " T=" + steps + " perStep=" + perStep + " threads=" + threads;
        int n4 = 4 * n, plane = batch * n, plane4 = batch * n4;
        float[] p = uniform(rng, steps * plane4, 1.5), w = gaussian(rng, n4 * n, 1 / Math.sqrt(n)),
                h0 = uniform(rng, plane, 1), c0 = uniform(rng, plane, 1),
                gOut = gaussian(rng, (perStep ? steps : 1) * plane, 1);
        double[] refH = new double[(steps + 1) * plane], refC = new double[(steps + 1) * plane];
        double[] refGates = new double[steps * plane4], refDGates = new double[steps * plane4];
        for (int r = 0; r < batch; r++) {
            for (int i = 0; i < n; i++) {
                refH[r * n + i] = h0[r * n + i];
                refC[r * n + i] = c0[r * n + i];
            }
            for (int t = 0; t < steps; t++) {
                double[] hp = Arrays.copyOfRange(refH, t * plane + r * n, t * plane + r * n + n);
                double[] pre = new double[n4];
                for (int k = 0; k < n4; k++) {
                    double s = p[t * plane4 + r * n4 + k];
                    for (int j = 0; j < n; j++) {
                        s += w[k * n + j] * hp[j];
                    }
                    pre[k] = s;
                }
                int gb = t * plane4 + r * n4;
                for (int i = 0; i < n; i++) {
                    double iv = sigmoid(pre[i]), fv = sigmoid(pre[n + i]), gv = Math.tanh(pre[2 * n + i]), ov = sigmoid(pre[3 * n + i]);
                    refGates[gb + i] = iv;
                    refGates[gb + n + i] = fv;
                    refGates[gb + 2 * n + i] = gv;
                    refGates[gb + 3 * n + i] = ov;
                    double c = fv * refC[t * plane + r * n + i] + iv * gv;
                    refC[(t + 1) * plane + r * n + i] = c;
                    refH[(t + 1) * plane + r * n + i] = ov * Math.tanh(c);
                }
            }
            double[] dhNext = new double[n], dcNext = new double[n];
            for (int t = steps - 1; t >= 0; t--) {
                int gb = t * plane4 + r * n4;
                double[] dpre = new double[n4];
                for (int i = 0; i < n; i++) {
                    double dh = dhNext[i] + (perStep ? gOut[t * plane + r * n + i] : t == steps - 1 ? gOut[r * n + i] : 0);
                    double iv = refGates[gb + i], fv = refGates[gb + n + i], gv = refGates[gb + 2 * n + i], ov = refGates[gb + 3 * n + i];
                    double c = refC[(t + 1) * plane + r * n + i], tc = Math.tanh(c);
                    double dc = dcNext[i] + dh * ov * (1 - tc * tc);
                    dpre[i] = dc * gv * iv * (1 - iv);
                    dpre[n + i] = dc * refC[t * plane + r * n + i] * fv * (1 - fv);
                    dpre[2 * n + i] = dc * iv * (1 - gv * gv);
                    dpre[3 * n + i] = dh * tc * ov * (1 - ov);
                    dcNext[i] = dc * fv;
                }
                System.arraycopy(dpre, 0, refDGates, gb, n4);
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int k = 0; k < n4; k++) {
                        s += w[k * n + j] * dpre[k];
                    }
                    dhNext[j] = s;
                }
            }
        }
        try (CpuEngine e = new CpuEngine(threads); Arena arena = new Arena(e)) {
            float[] hInit = new float[(steps + 1) * plane], cInit = new float[(steps + 1) * plane];
            Arrays.fill(hInit, Float.NaN);
            Arrays.fill(cInit, Float.NaN);
            System.arraycopy(h0, 0, hInit, 0, plane);
            System.arraycopy(c0, 0, cInit, 0, plane);
            Tensor tp = arena.f32("p", p, steps, batch, n4), tw = arena.f32("w", w, n4, n);
            Tensor th = arena.f32("h", hInit, steps + 1, batch, n), tc = arena.f32("c", cInit, steps + 1, batch, n);
            Tensor tgates = arena.nan("gates", steps, batch, n4);
            e.lstmForward(tp, tw, th, tc, tgates);
            float[] gh = arena.get(th), gc = arena.get(tc);
            double eh = relNorm(gh, refH, plane, (steps + 1) * plane), ec = relNorm(gc, refC, plane, (steps + 1) * plane);
            double eg = relNorm(arena.get(tgates), refGates);
            worstLstm = Math.max(worstLstm, Math.max(eh, Math.max(ec, eg)));
            assertTrue(eh <= TOL, what + ": h relative error " + eh);
            assertTrue(ec <= TOL, what + ": c relative error " + ec);
            assertTrue(eg <= TOL, what + ": activated gates relative error " + eg);
            assertArrayEquals(h0, Arrays.copyOf(gh, plane), what + ": h[0] must not change");
            assertArrayEquals(c0, Arrays.copyOf(gc, plane), what + ": c[0] must not change");
            Tensor th2 = arena.f32("h (no gates)", hInit, steps + 1, batch, n), tc2 = arena.f32("c (no gates)", cInit, steps + 1, batch, n);
            e.lstmForward(tp, tw, th2, tc2, null);
            assertArrayEquals(gh, arena.get(th2), what + ": lstmForward without gates, h");
            assertArrayEquals(gc, arena.get(tc2), what + ": lstmForward without gates, c");
            Tensor tg = perStep ? arena.f32("gOut", gOut, steps, batch, n) : arena.f32("gOut", gOut, batch, n);
            e.lstmBackward(tw, th, tc, tgates, tg);
            double ed = relNorm(arena.get(tgates), refDGates);
            worstLstm = Math.max(worstLstm, ed);
            assertTrue(ed <= TOL, what + ": gate pre-activation gradients relative error " + ed);
            assertArrayEquals(gOut, arena.get(tg), what + ": gOut must be read only");
            arena.assertPaddingIntact(what);
        }
    }

    // ------------------------------------------------------------------ Jacobian of a ROAF layer

    static List<Arguments> jacobianCases() {
        List<Arguments> out = new ArrayList<>();
        for (FilterCase f : new FilterCase[]{FilterCase.DENSE_PER_LAYER, FilterCase.DENSE_SHARED, FilterCase.PERMUTATION_PER_LAYER}) {
            for (int[] s : new int[][]{{1, 1}, {7, 1}, {33, 1}, {12, 4}}) {
                out.add(Arguments.of(f, s[0], s[1]));
            }
        }
        return out;
    }

    /**
     * With W = 0 and b = 0, tanh(W x + b) = 0, so each layer maps x to alpha O_l x: pushing the
     * identity basis through the stack gives the Jacobian J = alpha^L O_{L-1} ... O_0, whose singular
     * values are all alpha^L, i.e. J^T J = alpha^{2L} I.
     */
    @ParameterizedTest(name = "{0} N={1} L={2}")
    @MethodSource("jacobianCases")
    void zeroWeightLayerIsAlphaTimesAnOrthogonalMap(FilterCase fc, int n, int layers) {
        SplittableRandom rng = new SplittableRandom(n * 17L + layers + fc.ordinal());
        HostFilter hf = new HostFilter(fc, n, layers, rng);
        for (float alpha : new float[]{0.5f, 0.9f, 1f}) {
            String what = fc + " N=" + n + " L=" + layers + " alpha=" + alpha;
            try (CpuEngine e = new CpuEngine(2); Arena arena = new Arena(e)) {
                float[] x = new float[(layers + 1) * n * n];
                for (int i = 0; i < n; i++) {
                    x[i * n + i] = 1f;    // row i of x[0] = e_i
                }
                Tensor tx = arena.f32("x", x, layers + 1, n, n);
                Tensor tw = arena.f32("w", new float[layers * n * n], layers, n, n);
                Tensor tb = arena.f32("b", new float[layers * n], layers, n);
                Tensor tz = arena.nan("z", layers, n, n);
                e.roafStackForward(tx, tw, tb, hf.operand(arena), alpha, 0.7f, tz);
                float[] all = arena.get(tx);
                // Row i of x_L is J e_i, i.e. column i of J: jac[r][i] = all[L n n + i n + r].
                int off = layers * n * n;
                double scale = Math.pow(alpha, 2 * layers);
                double worst = 0;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int r = 0; r < n; r++) {
                            s += (double) all[off + i * n + r] * all[off + j * n + r];
                        }
                        worst = Math.max(worst, Math.abs(s / scale - (i == j ? 1 : 0)));
                    }
                }
                assertTrue(worst <= 1e-5, what + ": max |J^T J / alpha^(2L) - I| = " + worst);
                // And J is exactly the product of the filters times alpha^L.
                double[] ref = new double[n * n];
                for (int i = 0; i < n; i++) {
                    double[] v = new double[n];
                    v[i] = 1;
                    for (int l = 0; l < layers; l++) {
                        v = hf.apply(l, v);
                        for (int r = 0; r < n; r++) {
                            v[r] *= alpha;
                        }
                    }
                    System.arraycopy(v, 0, ref, i * n, n);
                }
                double err = relNorm(Arrays.copyOfRange(all, off, off + n * n), ref);
                assertTrue(err <= 1e-6, what + ": J vs alpha^L O_{L-1}...O_0, relative error " + err);
                float[] z = arena.get(tz);
                for (float v : z) {
                    assertEquals(0f, v, what + ": tanh(0) must be 0");
                }
            }
        }
    }
}
