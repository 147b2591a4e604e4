package dev.roaf.model;

import dev.roaf.data.AddingTask;
import dev.roaf.data.Batch;
import dev.roaf.engine.Tensor;
import dev.roaf.engine.cpu.CpuEngine;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recomputation over time in roaf-rnn and rnn (states kept every K steps, segments rebuilt in the
 * backward pass) gives the loss and gradients of the path that stores every step, to float32
 * rounding: the weight gradients are summed segment by segment instead of in one product.
 */
class RecurrentRecomputeTest {
    /** Largest accepted ||recomputed - stored|| / ||stored|| per parameter tensor. */
    private static final double RELATIVE = 1e-5;

    private static Batch batch(int size, int steps, int d, int c, boolean perStep, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[steps * size * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        int[] y = new int[perStep ? steps * size : size];
        for (int i = 0; i < y.length; i++) {
            // Per-step labels include ignored (negative) positions, as the copy task's blanks do.
            y[i] = perStep && rng.nextInt(4) == 0 ? -1 : rng.nextInt(c);
        }
        return new Batch(size, steps, d, x, perStep ? Batch.Target.CLASS_PER_STEP : Batch.Target.CLASS, y, null, c);
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Float.isFinite(actual[i]), what + ": element " + i + " is " + actual[i]);
            diff += (expected[i] - (double) actual[i]) * (expected[i] - (double) actual[i]);
            norm += (double) expected[i] * expected[i];
        }
        assertTrue(norm > 0, what + ": the stored path's gradient is zero, so the comparison would be empty");
        assertTrue(Math.sqrt(diff) <= RELATIVE * Math.sqrt(norm),
                what + ": relative difference " + Math.sqrt(diff / norm));
    }

    /** Every trainable gradient tensor by name, as host arrays. */
    private static Map<String, float[]> gradients(CpuEngine e, Model m) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (String name : m.parameters().params().keySet()) {
            out.put(name, e.toHost(m.parameters().grad(name)));
        }
        return out;
    }

    private static void assertSameStep(StepStats expected, Map<String, float[]> expectedGrads, StepStats actual, CpuEngine e,
                                       Model m, String what) {
        assertEquals(expected.lossCount(), actual.lossCount(), what);
        assertEquals(expected.correct(), actual.correct(), what);
        assertEquals(expected.scored(), actual.scored(), what);
        assertEquals(expected.lossSum(), actual.lossSum(), RELATIVE * Math.abs(expected.lossSum()), what);
        Map<String, float[]> grads = gradients(e, m);
        expectedGrads.forEach((name, g) -> assertClose(g, grads.get(name), what + " " + name));
    }

    @Test
    void recomputedGradientsMatchTheFullStore() {
        int steps = 23, n = 7, d = 3, c = 4, size = 5;
        int[] ks = {1, 2, 5, 7, 22, 23, 40};
        for (boolean perStep : new boolean[]{false, true}) {
            Batch b = batch(size, steps, d, c, perStep, 11);
            ModelConfig[] configs = {
                    new ModelConfig(ModelKind.ROAF_RNN, d, n, c, 1, 0.9f, 0.3f, FilterKind.HAAR, perStep),
                    new ModelConfig(ModelKind.ROAF_RNN, d, n, c, 1, 0.9f, 0.3f, FilterKind.HAAR_SHARED, perStep),
                    new ModelConfig(ModelKind.ROAF_RNN, d, n, c, 1, 0.9f, 0.3f, FilterKind.PERMUTATION, perStep),
                    new ModelConfig(ModelKind.RNN, d, n, c, 1, 0f, 1f, null, perStep)};
            for (int threads : new int[]{1, 2}) {
                try (CpuEngine e = new CpuEngine(threads)) {
                    for (ModelConfig cfg : configs) {
                        String name = cfg.kind() + " " + cfg.filter() + (perStep ? " per-step head" : " last-step head")
                                + " threads=" + threads;
                        try (Model m = Model.create(e, cfg, 4)) {
                            MemoryPlan.configure(m, steps, Long.MAX_VALUE);
                            assertEquals(steps, MemoryPlan.segmentLengthOf(m, steps, size));
                            StepStats full = m.forwardBackward(b);
                            Map<String, float[]> fullGrads = gradients(e, m);
                            for (int k : ks) {
                                MemoryPlan.configure(m, k, Long.MAX_VALUE);
                                assertEquals(Math.min(k, steps), MemoryPlan.segmentLengthOf(m, steps, size));
                                // NaN in every gradient: a gradient the recomputed step forgot to write fails the check.
                                e.fill(m.parameters().grads(), Float.NaN);
                                assertSameStep(full, fullGrads, m.forwardBackward(b), e, m, name + " k=" + k);
                            }
                            // Automatic: a budget below the full store picks recomputation.
                            MemoryPlan.configure(m, 0, 1000);
                            int k = MemoryPlan.segmentLengthOf(m, steps, size);
                            assertTrue(k >= 1 && k < steps, "automatic k " + k);
                            e.fill(m.parameters().grads(), Float.NaN);
                            assertSameStep(full, fullGrads, m.forwardBackward(b), e, m, name + " automatic k=" + k);
                        }
                    }
                }
            }
        }
    }

    @Test
    void inferenceRunsInSegmentsWithTheSameResults() {
        int steps = 17, n = 6, d = 2, c = 5, size = 3;
        for (boolean perStep : new boolean[]{false, true}) {
            Batch b = batch(size, steps, d, c, perStep, 21);
            ModelConfig cfg = new ModelConfig(ModelKind.ROAF_RNN, d, n, c, 1, 0.9f, 0.3f, FilterKind.HAAR, perStep);
            try (CpuEngine e = new CpuEngine(2); Model m = Model.create(e, cfg, 3)) {
                MemoryPlan.configure(m, steps, Long.MAX_VALUE);
                int rows = perStep ? steps * size : size;
                int[] fullPredictions = new int[rows];
                StepStats full = m.evaluate(b, fullPredictions);
                float[] fullOutputs = m.predict(b);
                MemoryPlan.configure(m, 4, Long.MAX_VALUE);
                int[] predictions = new int[rows];
                StepStats seg = m.evaluate(b, predictions);
                String what = perStep ? "per-step head" : "last-step head";
                assertEquals(full.lossCount(), seg.lossCount(), what);
                assertEquals(full.correct(), seg.correct(), what);
                assertEquals(full.lossSum(), seg.lossSum(), RELATIVE * Math.abs(full.lossSum()), what);
                org.junit.jupiter.api.Assertions.assertArrayEquals(fullPredictions, predictions, what);
                assertClose(fullOutputs, m.predict(b), what + " outputs");
            }
        }
    }

    @Test
    void theLastStepHeadForwardIsUnchangedBitForBit() {
        // The kept states come from the same fused recurrence on the same inputs; with a last-step head
        // the loss, which reads only h_T, is the full store's exactly.
        int steps = 31, n = 9, d = 2, c = 3, size = 4;
        Batch b = batch(size, steps, d, c, false, 5);
        ModelConfig cfg = new ModelConfig(ModelKind.ROAF_RNN, d, n, c, 1, 0.95f, 0.2f, FilterKind.HAAR, false);
        try (CpuEngine e = new CpuEngine(2); Model m = Model.create(e, cfg, 8)) {
            MemoryPlan.configure(m, steps, Long.MAX_VALUE);
            double loss = m.forwardBackward(b).lossSum();
            Tensor headGrad = m.parameters().grad("head.weight");
            float[] expected = e.toHost(headGrad);
            MemoryPlan.configure(m, 4, Long.MAX_VALUE);
            assertEquals(loss, m.forwardBackward(b).lossSum(), 0);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, e.toHost(headGrad));
        }
    }

    @Test
    void tenThousandStepsTrainWithRecomputation() {
        // The adding task at T = 10,000, B = 2, N = 8: one step with the automatic K and with K = 137
        // (which does not divide T) against the full store; then an update changes the loss.
        int steps = 10_000, size = 2;
        AddingTask task = new AddingTask(steps, 4, 3);
        Batch b = task.trainBatch(1, 0, size);
        ModelConfig cfg = new ModelConfig(ModelKind.ROAF_RNN, task.inputSize(), 8, task.outputSize(), 1, 1 - 3e-3f, 3e-3f,
                FilterKind.HAAR, false);
        try (CpuEngine e = new CpuEngine(2); Model m = Model.create(e, cfg, 2)) {
            MemoryPlan.configure(m, steps, Long.MAX_VALUE);
            StepStats full = m.forwardBackward(b);
            Map<String, float[]> fullGrads = gradients(e, m);
            // A budget of 100 KB is below the full store's 1.9 MB, so the automatic choice recomputes.
            MemoryPlan.configure(m, 0, 100_000);
            int auto = MemoryPlan.segmentLengthOf(m, steps, size);
            assertEquals(58, auto); // round(sqrt(10,000 / 3))
            for (int k : new int[]{auto, 137}) {
                MemoryPlan.configure(m, k, Long.MAX_VALUE);
                e.fill(m.parameters().grads(), Float.NaN);
                StepStats recomputed = m.forwardBackward(b);
                // The adding task's loss reads only h_T: the forward pass is the same, so the loss is equal.
                assertEquals(full.lossSum(), recomputed.lossSum(), 0, "k=" + k);
                assertSameStep(full, fullGrads, recomputed, e, m, "T=10,000 k=" + k);
            }
            e.sgdStep(m.parameters().values(), m.parameters().grads(), null, 0.05f, 0f);
            StepStats after = m.forwardBackward(b);
            assertTrue(after.lossSum() < full.lossSum(), "an SGD step on the recomputed gradient lowers the loss: "
                    + full.lossSum() + " -> " + after.lossSum());
        }
    }
}
