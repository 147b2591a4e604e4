package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.cpu.CpuEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The models on the CPU engine (float32) against the float64 reference ({@link Reference64}, itself
 * checked by {@link GradientCheckTest}) on the same float32 parameter values: loss, every
 * parameter's gradient, predict() outputs, evaluate() loss and predictions, for every model kind x
 * filter kind x head kind, with 1 and 3 engine threads and batch sizes 5 and 7 (row-block tails),
 * on the model's own initialisation and on random parameters (non-zero biases).
 *
 * <p>Bounds: gradients {@code ||g32 - g64|| / ||g64|| <= 1e-4} per parameter tensor; loss within
 * 1e-5 relative; outputs {@code ||y32 - y64|| / ||y64|| <= 1e-5}.
 */
class EngineVsReferenceTest {
    private static double worstGrad;
    private static String worstGradWhere = "";
    private static double worstLoss;
    private static double worstOut;

    @AfterAll
    static void report() {
        System.out.printf("EngineVsReferenceTest: max gradient error %.3g (%s), max loss error %.3g, max output error %.3g%n",
                worstGrad, worstGradWhere, worstLoss, worstOut);
    }

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        List<ModelCase> cs = ModelCase.all(777L, 2, new int[]{1, 3, 10}, new int[]{7, 13, 33}, new int[]{3, 10},
                new int[]{1, 9, 23}, new int[]{1, 3, 6}, new int[]{5, 7});
        for (int i = 0; i < cs.size(); i++) {
            // Threads alternate 1, 3; parameters alternate between the model's own initialisation and random values.
            out.add(Arguments.of(cs.get(i), i % 2 == 0 ? 1 : 3, i % 4 < 2));
        }
        // Longer sequences and a wide state, on both thread counts.
        out.add(Arguments.of(new ModelCase(ModelKind.ROAF_RNN, FilterKind.HAAR, ModelCase.HeadKind.EVERY, 2, 40, 5, 60, 1, 9,
                0.9f, 0.1f, 5), 3, true));
        out.add(Arguments.of(new ModelCase(ModelKind.LSTM, null, ModelCase.HeadKind.LAST, 2, 21, 5, 60, 1, 11, 0f, 0f, 6), 3, true));
        out.add(Arguments.of(new ModelCase(ModelKind.ROAF_RNN, FilterKind.PERMUTATION, ModelCase.HeadKind.REGRESSION, 2, 32, 1,
                200, 1, 6, 0.99f, 0.01f, 9), 3, true));
        out.add(Arguments.of(new ModelCase(ModelKind.RNN, null, ModelCase.HeadKind.EVERY, 3, 16, 4, 100, 1, 6, 0f, 1f, 10), 1, true));
        out.add(Arguments.of(new ModelCase(ModelKind.ROAF_MLP, FilterKind.PERMUTATION, ModelCase.HeadKind.LAST, 30, 70, 10, 1,
                12, 13, 0.95f, 0.3f, 7), 3, false));
        out.add(Arguments.of(new ModelCase(ModelKind.ROAF_MLP, FilterKind.HAAR, ModelCase.HeadKind.LAST, 30, 70, 10, 1,
                2, 13, 0.95f, 0.3f, 8), 3, true));
        return out;
    }

    static double relNorm(float[] a, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double e = a[i] - ref[i];
            num += e * e;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    @ParameterizedTest(name = "{0} threads={1} randomParameters={2}")
    @MethodSource("cases")
    void engineMatchesFloat64Reference(ModelCase mc, int threads, boolean randomParameters) {
        ModelConfig cfg = mc.config();
        Batch batch = mc.batch(2);
        try (CpuEngine engine = new CpuEngine(threads); Model model = Model.create(engine, cfg, mc.seed())) {
            if (randomParameters) {
                mc.randomizeParameters(model);
            }
            Map<String, double[]> p = Reference64.toDoubles(model.toTensorData());
            Reference64.Result ref = Reference64.run(cfg, p, batch, true);

            StepStats stats = model.forwardBackward(batch);
            double loss = stats.meanLoss();
            double lossErr = Math.abs(loss - ref.loss()) / Math.abs(ref.loss());
            worstLoss = Math.max(worstLoss, lossErr);
            assertTrue(lossErr <= 1e-5, mc + ": engine loss " + loss + ", reference " + ref.loss() + ", relative error " + lossErr);
            long expectedCount = batch.target == Batch.Target.REGRESSION ? batch.size
                    : java.util.Arrays.stream(batch.labels).filter(l -> l >= 0).count();
            assertEquals(expectedCount, stats.lossCount(), mc + ": loss count");

            Map<String, float[]> grads = new java.util.LinkedHashMap<>();
            for (String name : model.parameters().params().keySet()) {
                float[] g32 = engine.toHost(model.parameters().grad(name));
                double[] g64 = ref.grads().get(name);
                assertEquals(g64.length, g32.length, mc + ": size of gradient " + name);
                double err = relNorm(g32, g64);
                if (err > worstGrad) {
                    worstGrad = err;
                    worstGradWhere = mc + " " + name;
                }
                assertTrue(err <= 1e-4, String.format("%s threads=%d: gradient of %s: ||g32-g64||/||g64|| = %.3g > 1e-4",
                        mc, threads, name, err));
                grads.put(name, g32);
            }

            // A second pass overwrites the gradients (no accumulation) and is deterministic.
            StepStats again = model.forwardBackward(batch);
            assertEquals(stats.lossSum(), again.lossSum(), 0.0, mc + ": second forwardBackward loss");
            for (String name : grads.keySet()) {
                assertArrayEquals(grads.get(name), engine.toHost(model.parameters().grad(name)),
                        mc + ": gradient of " + name + " changed on a second identical forwardBackward");
            }

            // evaluate() computes the same loss without gradients.
            int rows = batch.target == Batch.Target.CLASS_PER_STEP ? batch.steps * batch.size : batch.size;
            int[] predictions = new int[rows];
            StepStats eval = model.evaluate(batch, predictions);
            assertEquals(stats.lossSum(), eval.lossSum(), 0.0, mc + ": evaluate() loss differs from forwardBackward()");
            assertEquals(stats.lossCount(), eval.lossCount(), mc + ": evaluate() loss count");

            // predict() gives the reference's head outputs.
            float[] out = model.predict(batch);
            assertEquals(ref.outputs().length, out.length, mc + ": predict() length");
            double outErr = relNorm(out, ref.outputs());
            worstOut = Math.max(worstOut, outErr);
            assertTrue(outErr <= 1e-5, mc + ": predict() vs reference outputs, relative error " + outErr);
            if (batch.target != Batch.Target.REGRESSION) {
                int c = cfg.outputs();
                long correct = 0, scored = 0;
                for (int r = 0; r < rows; r++) {
                    int arg = 0;
                    for (int j = 1; j < c; j++) {
                        if (out[r * c + j] > out[r * c + arg]) {
                            arg = j;
                        }
                    }
                    assertEquals(arg, predictions[r], mc + ": evaluate() prediction of row " + r);
                    int label = batch.labels[r];
                    boolean counts = batch.target == Batch.Target.CLASS_PER_STEP ? label > 0 : label >= 0;
                    if (counts) {
                        scored++;
                        correct += arg == label ? 1 : 0;
                    }
                }
                assertEquals(scored, eval.scored(), mc + ": scored rows");
                assertEquals(correct, eval.correct(), mc + ": correct rows");
            }
        }
    }
}
