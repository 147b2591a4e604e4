package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.cpu.CpuEngine;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Activation recomputation gives the full store's gradients bit for bit; the memory plan's numbers. */
class RecomputeTest {

    private static Batch batch(int size, int d, int c) {
        SplittableRandom rng = new SplittableRandom(9);
        float[] x = new float[size * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        int[] y = new int[size];
        for (int i = 0; i < size; i++) {
            y[i] = rng.nextInt(c);
        }
        return new Batch(size, 0, d, x, Batch.Target.CLASS, y, null, c);
    }

    @Test
    void recomputedGradientsAreBitIdentical() {
        int layers = 23, n = 10, d = 9, c = 4;
        Batch b = batch(7, d, c);
        ModelConfig[] configs = {
                new ModelConfig(ModelKind.ROAF_MLP, d, n, c, layers, 0.9f, 0.3f, FilterKind.HAAR, false),
                new ModelConfig(ModelKind.ROAF_MLP, d, n, c, layers, 0.9f, 0.3f, FilterKind.HAAR_SHARED, false),
                new ModelConfig(ModelKind.ROAF_MLP, d, n, c, layers, 0.9f, 0.3f, FilterKind.PERMUTATION, false),
                new ModelConfig(ModelKind.MLP, d, n, c, layers, 0, 1, null, false),
                new ModelConfig(ModelKind.RESMLP, d, n, c, layers, 1, 1, null, false)};
        for (int threads : new int[]{1, 2}) {
            try (CpuEngine e = new CpuEngine(threads)) {
                for (ModelConfig cfg : configs) {
                    try (Model m = Model.create(e, cfg, 4)) {
                        MemoryPlan.configure(m, layers, Long.MAX_VALUE);
                        assertEquals(layers, MemoryPlan.segmentLengthOf(m, b.size));
                        double loss = m.forwardBackward(b).lossSum();
                        float[] full = e.toHost(m.parameters().grads());
                        for (int k : new int[]{1, 2, 4, 5, 22}) {
                            MemoryPlan.configure(m, k, Long.MAX_VALUE);
                            e.fill(m.parameters().grads(), Float.NaN);
                            assertEquals(loss, m.forwardBackward(b).lossSum(), 0, cfg.kind() + " k=" + k);
                            assertArrayEquals(full, e.toHost(m.parameters().grads()), cfg.kind() + " " + cfg.filter() + " k=" + k);
                        }
                        // Automatic: a budget below the full store picks recomputation.
                        MemoryPlan.configure(m, 0, 1000);
                        int k = MemoryPlan.segmentLengthOf(m, b.size);
                        assertTrue(k >= 1 && k < layers, "automatic k " + k);
                        e.fill(m.parameters().grads(), Float.NaN);
                        m.forwardBackward(b);
                        assertArrayEquals(full, e.toHost(m.parameters().grads()), cfg.kind() + " automatic k=" + k);
                    }
                }
            }
        }
    }

    @Test
    void onTheCpuTheAutomaticBudgetIsHalfTheHeap() {
        try (CpuEngine e = new CpuEngine(1);
             Model m = Model.create(e, new ModelConfig(ModelKind.ROAF_MLP, 4, 8, 3, 10, 0.9f, 0.1f, FilterKind.PERMUTATION, false), 1)) {
            assertEquals(Runtime.getRuntime().maxMemory() / 2, MemoryPlan.defaultBudgetBytes(e));
            long perRow = 4L * MemoryPlan.fullActivationFloats(10, 1, 8);
            int fits = (int) Math.min(Integer.MAX_VALUE, MemoryPlan.defaultBudgetBytes() / perRow / 2);
            assertEquals(10, MemoryPlan.segmentLengthOf(m, fits), "B=" + fits + " is within the heap budget: every layer stored");
            int beyond = (int) Math.min(Integer.MAX_VALUE, 2 * MemoryPlan.defaultBudgetBytes() / perRow);
            assertTrue(MemoryPlan.segmentLengthOf(m, beyond) < 10, "B=" + beyond + " exceeds it: recomputed");
        }
    }

    @Test
    void memoryPlanNumbers() {
        int layers = 50_000, n = 16, b = 8;
        assertEquals((2L * layers + 1) * b * n, MemoryPlan.fullActivationFloats(layers, b, n));
        assertEquals(layers, MemoryPlan.segmentLength(0, Long.MAX_VALUE, layers, b, n));
        int k = MemoryPlan.segmentLength(0, 1, layers, b, n);
        assertEquals(158, k);
        assertTrue(MemoryPlan.segmentedActivationFloats(layers, b, n, k) < MemoryPlan.fullActivationFloats(layers, b, n) / 100);
        assertEquals(7, MemoryPlan.segmentLength(7, 1, layers, b, n));
        ModelConfig cfg = new ModelConfig(ModelKind.ROAF_MLP, 784, n, 10, layers, 0.99998f, 2e-5f, FilterKind.HAAR, false);
        MemoryPlan.Estimate est = MemoryPlan.estimate(cfg, b, 2, 0, Long.MAX_VALUE);
        long params = 784L * n + n + (long) layers * n * n + (long) layers * n + 10L * n + 10;
        assertEquals(4 * params, est.parameterBytes());
        assertEquals(8 * params, est.optimizerBytes());
        assertEquals(4L * layers * n * n, est.filterBytes());
        assertEquals(4 * MemoryPlan.fullActivationFloats(layers, b, n), est.activationBytes());
        assertEquals(0, est.recomputeEvery());
        assertTrue(est.describe().startsWith("memory: "), est.describe());
        MemoryPlan.Estimate seg = MemoryPlan.estimate(cfg, b, 2, 100, Long.MAX_VALUE);
        assertEquals(100, seg.recomputeEvery());
        assertTrue(seg.describe().contains("every 100 layers"), seg.describe());
        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.estimate(
                new ModelConfig(ModelKind.ROAF_RNN, 1, n, 10, 1, 0.9f, 0.1f, FilterKind.HAAR, false), b, 2, 0, 1));
        try (CpuEngine e = new CpuEngine(1);
             Model rnn = Model.create(e, new ModelConfig(ModelKind.RNN, 1, 4, 2, 1, 0, 1, null, false), 1);
             Model lstm = Model.create(e, new ModelConfig(ModelKind.LSTM, 1, 4, 2, 1, 0, 1, null, false), 1)) {
            assertTrue(MemoryPlan.configure(rnn, 3, 100)); // recomputation over time (RecurrentRecomputeTest)
            assertFalse(MemoryPlan.configure(lstm, 3, 100));
        }
    }
}
