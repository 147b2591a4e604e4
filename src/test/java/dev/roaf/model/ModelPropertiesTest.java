package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.cpu.CpuEngine;
import dev.roaf.io.InvalidFileException;
import dev.roaf.io.Safetensors;
import dev.roaf.io.TensorData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties that follow from the math and the file format: Haar draws are orthogonal and
 * Haar-distributed (crudely), signed permutations are permutations with signs +-1, models save and
 * load bit-exactly, malformed files are rejected naming the tensor, and closed models refuse use.
 */
class ModelPropertiesTest {
    private static CpuEngine engine;

    @BeforeAll
    static void start() {
        engine = new CpuEngine(2);
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    // ---------------------------------------------------------------------------- Haar draws

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 7, 64, 128})
    void haarDrawsAreOrthogonal(int n) {
        for (int draw = 0; draw < 3; draw++) {
            float[] out = new float[n * n + 7];
            Arrays.fill(out, 99f);
            Init.haar(Init.stream(42, "test.O", draw), n, out, 3);
            for (int i = 0; i < 3; i++) {
                assertEquals(99f, out[i], "N=" + n + ": Init.haar wrote before its offset");
            }
            for (int i = 3 + n * n; i < out.length; i++) {
                assertEquals(99f, out[i], "N=" + n + ": Init.haar wrote past its matrix");
            }
            double worst = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int r = 0; r < n; r++) {
                        s += (double) out[3 + r * n + i] * out[3 + r * n + j];
                    }
                    worst = Math.max(worst, Math.abs(s - (i == j ? 1 : 0)));
                }
            }
            assertTrue(worst <= 1e-5, "N=" + n + " draw " + draw + ": max |O^T O - I| = " + worst);
        }
    }

    /** Determinant by Gaussian elimination with partial pivoting, in double. */
    private static double det(float[] m, int n) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = m[i * n + j];
            }
        }
        double det = 1;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[p][c])) {
                    p = r;
                }
            }
            if (p != c) {
                double[] t = a[p];
                a[p] = a[c];
                a[c] = t;
                det = -det;
            }
            det *= a[c][c];
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                for (int k = c; k < n; k++) {
                    a[r][k] -= f * a[c][k];
                }
            }
        }
        return det;
    }

    /**
     * For Haar O on O(N): E[O_00] = 0, E[O_00^2] = 1/N, E[tr O] = 0, E[(tr O)^2] = 1 (N >= 2), and
     * det O = +1 and -1 equally often. Missing the sign fix of a Householder QR would make O_00 of
     * one sign; a biased generator shows in the trace moments. Bounds are 5 standard errors.
     */
    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 5})
    void haarDrawsLookHaarDistributed(int n) {
        int draws = 4000;
        double sum = 0, sumSq = 0, tr = 0, trSq = 0;
        int positive = 0;
        float[] o = new float[n * n];
        for (int i = 0; i < draws; i++) {
            Init.haar(Init.stream(7, "haar-stats", i), n, o, 0);
            sum += o[0];
            sumSq += (double) o[0] * o[0];
            double t = 0;
            for (int k = 0; k < n; k++) {
                t += o[k * n + k];
            }
            tr += t;
            trSq += t * t;
            double dt = det(o, n);
            assertEquals(1.0, Math.abs(dt), 1e-5, "N=" + n + ": |det O| of draw " + i);
            if (dt > 0) {
                positive++;
            }
        }
        double mean = sum / draws, var = sumSq / draws;
        // O_00^2 ~ Beta(1/2, (N-1)/2): variance 2(N-1)/(N^2 (N+2)).
        double se = Math.sqrt(1.0 / n / draws);
        double seVar = Math.sqrt(2.0 * (n - 1) / (n * n * (n + 2.0)) / draws) + 1e-12;
        assertEquals(0, mean, 5 * se, "N=" + n + ": mean of O[0][0]");
        assertEquals(1.0 / n, var, 5 * seVar, "N=" + n + ": mean of O[0][0]^2");
        assertEquals(0.5, positive / (double) draws, 5 * Math.sqrt(0.25 / draws), "N=" + n + ": fraction of det O = +1");
        if (n >= 2) {
            assertEquals(0, tr / draws, 5 * Math.sqrt(1.0 / draws), "N=" + n + ": mean trace");
            assertEquals(1, trSq / draws, 0.15, "N=" + n + ": mean squared trace");
        }
    }

    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 10, 100})
    void signedPermutationsArePermutationsWithUnitSigns(int n) {
        int draws = n == 3 ? 6000 : 50;
        int[] index = new int[n + 4];
        float[] sign = new float[n + 4];
        Map<String, Integer> counts = new LinkedHashMap<>();
        long plus = 0, total = 0;
        for (int d = 0; d < draws; d++) {
            Arrays.fill(index, -5);
            Arrays.fill(sign, 5f);
            Init.signedPermutation(Init.stream(3, "perm", d), n, index, sign, 2);
            boolean[] seen = new boolean[n];
            for (int i = 0; i < n; i++) {
                int v = index[2 + i];
                assertTrue(v >= 0 && v < n && !seen[v], "N=" + n + " draw " + d + ": not a permutation " + Arrays.toString(index));
                seen[v] = true;
                assertTrue(sign[2 + i] == 1f || sign[2 + i] == -1f, "N=" + n + ": sign " + sign[2 + i]);
                plus += sign[2 + i] > 0 ? 1 : 0;
                total++;
            }
            assertEquals(-5, index[0], "wrote before offset");
            assertEquals(-5, index[n + 2], "wrote past the end");
            assertEquals(5f, sign[1], "wrote before offset");
            assertEquals(5f, sign[n + 3], "wrote past the end");
            counts.merge(Arrays.toString(Arrays.copyOfRange(index, 2, 2 + n)), 1, Integer::sum);
        }
        assertEquals(0.5, plus / (double) total, 5 * Math.sqrt(0.25 / total), "N=" + n + ": fraction of + signs");
        if (n == 3) {
            assertEquals(6, counts.size(), "all 6 permutations of 3 must occur: " + counts);
            double se = Math.sqrt(draws * (1 / 6.0) * (5 / 6.0));
            for (Map.Entry<String, Integer> c : counts.entrySet()) {
                assertEquals(draws / 6.0, c.getValue(), 5 * se, "frequency of permutation " + c.getKey());
            }
        }
    }

    // --------------------------------------------------------------------- models: save / load

    static List<Arguments> everyModel() {
        List<Arguments> out = new ArrayList<>();
        long seed = 100;
        for (Object[] kf : ModelCase.kindsAndFilters()) {
            ModelKind k = (ModelKind) kf[0];
            FilterKind f = (FilterKind) kf[1];
            for (ModelCase.HeadKind h : ModelCase.heads(k)) {
                out.add(Arguments.of(new ModelCase(k, f, h, 3, 6, h == ModelCase.HeadKind.REGRESSION ? 2 : 4, 5, 3, 5,
                        0.8f, 0.35f, seed++)));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyModel")
    void saveThenLoadIsBitExact(ModelCase mc, @TempDir Path dir) throws IOException {
        Batch batch = mc.batch(3);
        Path file = dir.resolve("model.safetensors");
        try (Model model = Model.create(engine, mc.config(), mc.seed())) {
            model.forwardBackward(batch);   // workspace state must not leak into the file
            model.save(file, Map.of("note", "test"));
            Map<String, TensorData> before = model.toTensorData();
            float[] out = model.predict(batch);
            StepStats stats = model.evaluate(batch, null);
            try (CpuEngine other = new CpuEngine(3); Model loaded = Model.load(other, file)) {
                assertEquals(mc.config(), loaded.config(), mc + ": configuration after load");
                Map<String, TensorData> after = loaded.toTensorData();
                assertEquals(before.keySet(), after.keySet(), mc + ": tensor names after load");
                for (String name : before.keySet()) {
                    assertEquals(before.get(name), after.get(name), mc + ": tensor " + name + " after load (bitwise)");
                }
                assertArrayEquals(out, loaded.predict(batch), mc + ": predict() after load");
                assertEquals(stats.lossSum(), loaded.evaluate(batch, null).lossSum(), 0.0, mc + ": evaluate() after load");
            }
            assertEquals("test", Safetensors.read(file).metadata().get("note"), mc + ": extra metadata");
        }
    }

    @Test
    void sameSeedSameModelOtherSeedOtherModel() {
        ModelConfig cfg = new ModelConfig(ModelKind.ROAF_MLP, 3, 8, 2, 4, 0.9f, 0.1f, FilterKind.HAAR, false);
        try (CpuEngine one = new CpuEngine(1); Model a = Model.create(engine, cfg, 5); Model b = Model.create(one, cfg, 5);
             Model c = Model.create(engine, cfg, 6)) {
            Map<String, TensorData> ta = a.toTensorData(), tb = b.toTensorData(), tc = c.toTensorData();
            for (String name : ta.keySet()) {
                assertEquals(ta.get(name), tb.get(name), "seed 5 twice (2 vs 1 threads): " + name);
                if (!name.equals("layers.b")) {   // zero for every seed
                    assertNotEquals(ta.get(name), tc.get(name), "seeds 5 and 6 give the same " + name);
                }
            }
            // Per-layer filters are independent draws, not copies.
            float[] o = ta.get("layers.O").floats();
            assertTrue(!Arrays.equals(Arrays.copyOfRange(o, 0, 64), Arrays.copyOfRange(o, 64, 128)), "layers 0 and 1 share O");
        }
    }

    /** Every tensor of every model kind: a file missing it, or holding it with another shape, is rejected naming it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("everyModel")
    void malformedFilesAreRejectedNamingTheTensor(ModelCase mc, @TempDir Path dir) throws IOException {
        try (Model model = Model.create(engine, mc.config(), mc.seed())) {
            Map<String, TensorData> good = model.toTensorData();
            Map<String, String> meta = model.metadata(null);
            for (String name : good.keySet()) {
                Map<String, TensorData> missing = new LinkedHashMap<>(good);
                missing.remove(name);
                Path f1 = dir.resolve("missing.safetensors");
                Safetensors.write(f1, missing, meta);
                InvalidFileException e1 = assertThrows(InvalidFileException.class, () -> Model.load(engine, f1).close(),
                        mc + ": loading without " + name);
                assertTrue(e1.getMessage().contains(name), mc + ": message must name " + name + ": " + e1.getMessage());

                Map<String, TensorData> reshaped = new LinkedHashMap<>(good);
                TensorData t = good.get(name);
                long[] shape = t.shape();
                shape[0] += 1;
                int size = (int) Arrays.stream(shape).reduce(1, (x, y) -> x * y);
                reshaped.put(name, TensorData.I64.equals(t.dtype()) ? TensorData.i64(new long[size], shape)
                        : TensorData.f32(new float[size], shape));
                Path f2 = dir.resolve("reshaped.safetensors");
                Safetensors.write(f2, reshaped, meta);
                InvalidFileException e2 = assertThrows(InvalidFileException.class, () -> Model.load(engine, f2).close(),
                        mc + ": loading " + name + " with shape " + Arrays.toString(shape));
                assertTrue(e2.getMessage().contains(name), mc + ": message must name " + name + ": " + e2.getMessage());
            }
        }
    }

    @Test
    void invalidFilterBuffersAreRejected(@TempDir Path dir) throws IOException {
        ModelConfig cfg = new ModelConfig(ModelKind.ROAF_RNN, 2, 5, 3, 1, 0.5f, 0.5f, FilterKind.PERMUTATION, false);
        try (Model model = Model.create(engine, cfg, 1)) {
            Map<String, TensorData> good = model.toTensorData();
            Map<String, TensorData> bad = new LinkedHashMap<>(good);
            bad.put("rnn.O_index", TensorData.i64(new long[]{0, 1, 2, 3, 3}, 5));
            Path f = dir.resolve("dup.safetensors");
            Safetensors.write(f, bad, model.metadata(null));
            InvalidFileException e = assertThrows(InvalidFileException.class, () -> Model.load(engine, f).close());
            assertTrue(e.getMessage().contains("rnn.O_index"), e.getMessage());
            bad = new LinkedHashMap<>(good);
            bad.put("rnn.O_sign", TensorData.f32(new float[]{1, -1, 0.5f, 1, 1}, 5));
            Safetensors.write(f, bad, model.metadata(null));
            e = assertThrows(InvalidFileException.class, () -> Model.load(engine, f).close());
            assertTrue(e.getMessage().contains("rnn.O_sign"), e.getMessage());
            bad = new LinkedHashMap<>(good);
            bad.put("rnn.extra", TensorData.f32(new float[]{1}, 1));
            Safetensors.write(f, bad, model.metadata(null));
            e = assertThrows(InvalidFileException.class, () -> Model.load(engine, f).close());
            assertTrue(e.getMessage().contains("rnn.extra"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------ closing

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyModel")
    void aClosedModelThrowsIllegalState(ModelCase mc, @TempDir Path dir) {
        Batch batch = mc.batch(4);
        Model model = Model.create(engine, mc.config(), mc.seed());
        model.forwardBackward(batch);
        model.close();
        model.close();   // idempotent
        assertThrows(IllegalStateException.class, () -> model.forwardBackward(batch), mc + ": forwardBackward after close");
        assertThrows(IllegalStateException.class, () -> model.evaluate(batch, null), mc + ": evaluate after close");
        assertThrows(IllegalStateException.class, () -> model.predict(batch), mc + ": predict after close");
        assertThrows(IllegalStateException.class, model::toTensorData, mc + ": toTensorData after close");
        assertThrows(IllegalStateException.class, () -> model.save(dir.resolve("x.safetensors"), null), mc + ": save after close");
        assertThrows(IllegalStateException.class, () -> engine.toHost(model.parameters().values()),
                mc + ": parameter storage after close");
    }

    // -------------------------------------------------------------------- workspace reuse

    /** Alternating batch shapes reallocates the workspace; results for a shape must not change. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("everyModel")
    void changingBatchShapesDoesNotChangeResults(ModelCase mc) {
        ModelCase other = new ModelCase(mc.kind(), mc.filter(), mc.head(), mc.d(), mc.n(), mc.c(), mc.t() + 2, mc.layers(),
                mc.b() + 3, mc.alpha(), mc.beta(), mc.seed());
        Batch a = mc.batch(5), b = other.batch(6);
        try (Model model = Model.create(engine, mc.config(), mc.seed())) {
            StepStats first = model.forwardBackward(a);
            float[] g = engine.toHost(model.parameters().grads());
            float[] out = model.predict(a);
            model.forwardBackward(b);
            model.predict(b);
            model.evaluate(b, null);
            assertEquals(first.lossSum(), model.forwardBackward(a).lossSum(), 0.0, mc + ": loss after another batch shape");
            assertArrayEquals(g, engine.toHost(model.parameters().grads()), mc + ": gradients after another batch shape");
            assertArrayEquals(out, model.predict(a), mc + ": predict after another batch shape");
            model.trimWorkspace();
            assertEquals(first.lossSum(), model.forwardBackward(a).lossSum(), 0.0, mc + ": loss after trimWorkspace");
        }
    }

    @Test
    void documentedInitialisation() {
        try (Model lstm = Model.create(engine, new ModelConfig(ModelKind.LSTM, 2, 6, 3, 1, 0, 0, null, false), 9);
             Model rnn = Model.create(engine, new ModelConfig(ModelKind.ROAF_RNN, 2, 64, 3, 1, 0.9f, 0.1f, FilterKind.HAAR, false), 9)) {
            float[] bias = lstm.toTensorData().get("lstm.bias").floats();
            for (int j = 6; j < 12; j++) {
                assertEquals(1f, bias[j], "LSTM forget-gate bias " + (j - 6) + " must start at 1");
            }
            Map<String, TensorData> t = rnn.toTensorData();
            for (float v : t.get("rnn.b").floats()) {
                assertEquals(0f, v, "roaf-rnn bias starts at 0");
            }
            float[] w = t.get("rnn.W").floats();
            double ss = 0;
            for (float v : w) {
                ss += (double) v * v;
            }
            assertEquals(1.0 / 64, ss / w.length, 0.1 / 64, "roaf-rnn W ~ N(0, 1/N): mean square");
            float[] o = t.get("rnn.O").floats();
            double worst = 0;
            for (int i = 0; i < 64; i++) {
                for (int j = 0; j < 64; j++) {
                    double s = 0;
                    for (int r = 0; r < 64; r++) {
                        s += (double) o[r * 64 + i] * o[r * 64 + j];
                    }
                    worst = Math.max(worst, Math.abs(s - (i == j ? 1 : 0)));
                }
            }
            assertTrue(worst <= 1e-5, "the model's filter is orthogonal: " + worst);
        }
    }

    @Test
    void checkBatchRejectsMismatchedBatches() {
        ModelConfig cfg = new ModelConfig(ModelKind.ROAF_RNN, 2, 5, 3, 1, 0.5f, 0.5f, FilterKind.HAAR, false);
        try (Model model = Model.create(engine, cfg, 1)) {
            SplittableRandom rng = new SplittableRandom(1);
            Batch wrongFeatures = new Batch(2, 3, 4, new float[24], Batch.Target.CLASS, new int[]{0, 1}, null, 3);
            Batch perStep = new Batch(2, 3, 2, new float[12], Batch.Target.CLASS_PER_STEP, new int[6], null, 3);
            Batch vectors = new Batch(2, 0, 2, new float[4], Batch.Target.CLASS, new int[]{0, rng.nextInt(3)}, null, 3);
            assertThrows(IllegalArgumentException.class, () -> model.forwardBackward(wrongFeatures), "input width");
            assertThrows(IllegalArgumentException.class, () -> model.forwardBackward(perStep), "per-step labels, last-step head");
            assertThrows(IllegalArgumentException.class, () -> model.forwardBackward(vectors), "vector batch for an RNN");
        }
    }
}
