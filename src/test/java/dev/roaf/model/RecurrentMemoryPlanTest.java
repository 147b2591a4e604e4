package dev.roaf.model;

import dev.roaf.engine.Engine;
import dev.roaf.engine.cpu.CpuEngine;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory plan of recurrent models (numbers worked out by hand for the main job's shapes) and the
 * device pre-flight message (both numbers and the advice), all on the CPU.
 */
class RecurrentMemoryPlanTest {

    @Test
    void roafRnnOfTheMainJob() {
        // roaf-rnn, D=1, N=128, C=10, T=784, B=100, Adam, last-step head, Haar filter.
        ModelConfig cfg = new ModelConfig(ModelKind.ROAF_RNN, 1, 128, 10, 1, 0.99f, 0.01f, FilterKind.HAAR, false);
        MemoryPlan.Estimate e = MemoryPlan.recurrentEstimate(cfg, 784, 100, 2);
        long params = 128 + 128 * 128 + 128 + 10 * 128 + 10; // U, W, b, head
        assertEquals(17_930, params);
        assertEquals(4 * params, e.parameterBytes());
        assertEquals(4 * params, e.gradientBytes());
        assertEquals(8 * params, e.optimizerBytes());
        assertEquals(4L * 128 * 128, e.filterBytes());
        // h (T+1)BN + p TBN + z/d TBN = 12,800 * (785 + 784 + 784)
        assertEquals(4L * 30_118_400, e.activationBytes());
        // x TBD + gOut BN + logits/targets 2BC + labels/predictions 2B + carries 3BN + row sums 128N + reductions 128
        assertEquals(4L * (78_400 + 12_800 + 2_000 + 200 + 38_400 + 16_384 + 128), e.workspaceBytes());
        assertEquals(784, e.steps());
        assertEquals(0, e.recomputeEvery());
        assertTrue(e.describe().contains("all 784 steps stored"), e.describe());
        assertEquals(e.parameterBytes() + e.gradientBytes() + e.optimizerBytes() + e.filterBytes() + e.activationBytes()
                + e.workspaceBytes(), e.totalBytes());
    }

    @Test
    void lstmAndElmanAndPermutation() {
        ModelConfig lstm = new ModelConfig(ModelKind.LSTM, 1, 128, 10, 1, 0f, 1f, null, false);
        MemoryPlan.Estimate l = MemoryPlan.recurrentEstimate(lstm, 784, 100, 1);
        long params = 512 + 512 * 128 + 512 + 10 * 128 + 10;
        assertEquals(4 * params, l.parameterBytes());
        assertEquals(4 * params, l.optimizerBytes()); // SGD with momentum: one copy
        assertEquals(0, l.filterBytes());
        // h and c (T+1)BN each, p and gates T B 4N each
        assertEquals(4L * (2 * 785 * 12_800 + 2 * 784 * 100 * 512), l.activationBytes());
        assertEquals(4L * (78_400 + 12_800 + 2_000 + 200 + 2 * 12_800 + 128 * 512 + 128), l.workspaceBytes());

        // Elman with a per-step head: M = T B rows at the head.
        ModelConfig rnn = new ModelConfig(ModelKind.RNN, 10, 21, 9, 1, 0f, 1f, null, true);
        MemoryPlan.Estimate r = MemoryPlan.recurrentEstimate(rnn, 12, 5, 0);
        assertEquals(4L * (210 + 441 + 21 + 189 + 9), r.parameterBytes());
        assertEquals(0, r.optimizerBytes());
        assertEquals(0, r.filterBytes());
        assertEquals(4L * (13 * 5 * 21 + 2 * 12 * 5 * 21), r.activationBytes());
        assertEquals(4L * (600 + 60 * 21 + 2 * 60 * 9 + 120 + 3 * 5 * 21 + 128 * 21 + 128), r.workspaceBytes());

        ModelConfig perm = new ModelConfig(ModelKind.ROAF_RNN, 1, 128, 10, 1, 0.9f, 0.1f, FilterKind.PERMUTATION, false);
        assertEquals(4L * 2 * 128, MemoryPlan.recurrentEstimate(perm, 10, 4, 2).filterBytes());

        // Linear in T and B for the per-step storage.
        MemoryPlan.Estimate twice = MemoryPlan.recurrentEstimate(lstm, 1568, 100, 1);
        assertTrue(twice.activationBytes() > 1.99 * l.activationBytes());

        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.recurrentEstimate(
                new ModelConfig(ModelKind.ROAF_MLP, 784, 16, 10, 3, 0.9f, 0.1f, FilterKind.HAAR, false), 1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.recurrentEstimate(lstm, 0, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> MemoryPlan.recurrentEstimate(lstm, 1, 0, 2));
    }

    @Test
    void tenThousandStepsAtLargeWidthDoesNotOverflow() {
        ModelConfig cfg = new ModelConfig(ModelKind.LSTM, 1, 4096, 10, 1, 0f, 1f, null, true);
        MemoryPlan.Estimate e = MemoryPlan.recurrentEstimate(cfg, 10_000, 1_000, 2);
        // gates alone: 10,000 * 1,000 * 16,384 floats = 655 GB, far beyond int range
        assertTrue(e.activationBytes() > 4L * 10_000 * 1_000 * 16_384, e.describe());
        assertTrue(e.totalBytes() > 0);
    }

    @Test
    void tenThousandStepsAtBatch128Width256() {
        // roaf-rnn on the adding task (D=2, C=1), T=10,000, B=128, N=256, Adam, last-step head.
        int t = 10_000, b = 128, n = 256;
        ModelConfig cfg = new ModelConfig(ModelKind.ROAF_RNN, 2, n, 1, 1, 0.997f, 0.003f, FilterKind.HAAR, false);
        long params = 256 * 2 + 256 * 256 + 256 + 256 + 1; // U, W, b, head
        assertEquals(66_561, params);
        long bn = (long) b * n; // 32,768
        long work = 2_560_000 + bn + 2 * 128 + 2 * 128 + 3 * bn + 128 * 256 + 128; // x TBD, gOut, logits, labels, carries, sums
        assertEquals(2_724_480, work);

        MemoryPlan.Estimate full = MemoryPlan.recurrentEstimate(cfg, t, b, 2);
        assertEquals(4 * 983_072_768L, full.activationBytes()); // h 10,001 BN + p 10,000 BN + z 10,000 BN
        assertEquals(4 * work, full.workspaceBytes());
        assertEquals(4 * params * 4 + 4L * n * n + 4 * 983_072_768L + 4 * work, full.totalBytes());
        assertEquals(0, full.recomputeEvery());

        // A budget below the full store's 3.66 GiB: K = round(sqrt(10,000 / 3)) = 58, 173 segments.
        assertEquals(t, MemoryPlan.recurrentSegmentLength(0, full.activationBytes(), cfg, t, b));
        assertEquals(58, MemoryPlan.recurrentSegmentLength(0, full.activationBytes() - 1, cfg, t, b));
        MemoryPlan.Estimate seg = MemoryPlan.recurrentEstimate(cfg, t, b, 2, 0, 1L << 30);
        assertEquals(58, seg.recomputeEvery());
        // kept states 174 BN + segment projections 58 BN, states 59 BN, z 58 BN + carried gradients 2 BN
        assertEquals(4 * (174 + 58 + 59 + 58 + 2) * bn, seg.activationBytes());
        assertEquals(46_006_272L, seg.activationBytes());
        assertEquals(full.workspaceBytes(), seg.workspaceBytes());
        assertEquals(full.totalBytes() - full.activationBytes() + seg.activationBytes(), seg.totalBytes());
        assertTrue(seg.describe().contains("states stored every 58 of 10000 steps"), seg.describe());
        assertEquals(seg, MemoryPlan.recurrentEstimate(cfg, t, b, 2, 58, Long.MAX_VALUE));

        // Both fit an 80 GB GPU with room to spare; the recomputed step needs 58 MB.
        long gpu = 80_000_000_000L;
        assertNull(MemoryPlan.deviceShortfall("cuda:0 H100", cfg, full, b, 0, gpu, gpu));
        assertNull(MemoryPlan.deviceShortfall("cuda:0 H100", cfg, seg, b, 0, gpu, gpu));
        assertTrue(seg.totalBytes() < 60_000_000L, seg.describe());

        // The copy task (per-step head, C=10, T+20 steps): the head reads one segment at a time.
        ModelConfig copy = new ModelConfig(ModelKind.ROAF_RNN, 10, n, 10, 1, 0.997f, 0.003f, FilterKind.PERMUTATION, true);
        int tc = 10_020;
        MemoryPlan.Estimate copyFull = MemoryPlan.recurrentEstimate(copy, tc, b, 2);
        int k = MemoryPlan.recurrentSegmentLength(0, 1L << 30, copy, tc, b);
        assertEquals(50, k); // round(sqrt(10,020 * 256 / (256 + 512 + 256 + 20 + 2))) = round(49.5)
        MemoryPlan.Estimate copySeg = MemoryPlan.recurrentEstimate(copy, tc, b, 2, k, Long.MAX_VALUE);
        long rows = 50L * b;
        assertEquals(4 * ((long) tc * b * 10 + rows * n + 2 * rows * 10 + 2 * rows + 3 * bn + 128 * 256 + 128),
                copySeg.workspaceBytes());
        assertTrue(copySeg.totalBytes() * 20 < copyFull.totalBytes(), copySeg.describe() + " vs " + copyFull.describe());
    }

    @Test
    void shortfallMessagesGiveBothNumbersAndAdvice() {
        ModelConfig rnn = new ModelConfig(ModelKind.ROAF_RNN, 1, 128, 10, 1, 0.99f, 0.01f, FilterKind.HAAR, false);
        MemoryPlan.Estimate e = MemoryPlan.recurrentEstimate(rnn, 784, 100, 2);
        long total = e.totalBytes();
        assertNull(MemoryPlan.deviceShortfall("cuda:0 X", rnn, e, 100, 0, total, 80L << 30));
        // What the engine already holds counts as part of the estimate.
        assertNull(MemoryPlan.deviceShortfall("cuda:0 X", rnn, e, 100, 1L << 20, total - (1L << 20), 80L << 30));
        String m = MemoryPlan.deviceShortfall("cuda:0 X", rnn, e, 100, 0, total / 2, 80L << 30);
        assertNotNull(m);
        assertTrue(m.startsWith("cuda:0 X: not enough device memory for this run"), m);
        assertTrue(m.contains(MemoryPlan.gib(total)), m);
        assertTrue(m.contains("only " + MemoryPlan.gib(total / 2) + " is free of 80.0 GiB"), m);
        assertTrue(m.contains("--batch (now 100)"), m);
        assertTrue(m.contains("shorter sequences (T=784)"), m);
        // round(sqrt(784 / 3)) = 16, with what that K stores
        MemoryPlan.Estimate seg16 = MemoryPlan.recurrentEstimate(rnn, 784, 100, 2, 16, Long.MAX_VALUE);
        assertTrue(m.contains("--recompute-every 16 (stores " + MemoryPlan.gib(seg16.activationBytes()) + " of activations instead of "
                + MemoryPlan.gib(e.activationBytes()) + ")"), m);
        String again = MemoryPlan.deviceShortfall("cuda:0 X", rnn, seg16, 100, 0, 1L << 20, 80L << 30);
        assertTrue(again.contains("a smaller --recompute-every (now 16)"), again);
        ModelConfig lstm = new ModelConfig(ModelKind.LSTM, 1, 128, 10, 1, 0f, 1f, null, false);
        String ml = MemoryPlan.deviceShortfall("cuda:0 X", lstm, MemoryPlan.recurrentEstimate(lstm, 784, 100, 2), 100, 0, 1L << 20,
                80L << 30);
        assertTrue(!ml.contains("--recompute-every"), ml); // the LSTM stores every step

        ModelConfig mlp = new ModelConfig(ModelKind.ROAF_MLP, 784, 1024, 10, 5_000, 0.9f, 0.1f, FilterKind.PERMUTATION, false);
        MemoryPlan.Estimate full = MemoryPlan.estimate(mlp, 512, 2, 5_000, Long.MAX_VALUE);
        String mm = MemoryPlan.deviceShortfall("cuda:0 X", mlp, full, 512, 0, 1L << 30, 80L << 30);
        assertNotNull(mm);
        assertTrue(mm.contains("--batch (now 512)"), mm);
        assertTrue(mm.contains("--recompute-every 50"), mm); // round(sqrt(5000 / 2))
        assertTrue(mm.contains("only 1.00 GiB is free of 80.0 GiB"), mm);
        MemoryPlan.Estimate seg = MemoryPlan.estimate(mlp, 512, 2, 10, Long.MAX_VALUE);
        String ms = MemoryPlan.deviceShortfall("cuda:0 X", mlp, seg, 512, 0, 1L << 20, 80L << 30);
        assertTrue(ms.contains("a smaller --recompute-every (now 10)"), ms);
    }

    @Test
    void estimateForFollowsTheModelAndTheCheckIgnoresTheCpu() {
        try (CpuEngine e = new CpuEngine(1)) {
            ModelConfig rc = new ModelConfig(ModelKind.ROAF_RNN, 2, 8, 3, 1, 0.9f, 0.1f, FilterKind.HAAR, false);
            try (Model rnn = Model.create(e, rc, 1)) {
                assertEquals(MemoryPlan.recurrentEstimate(rc, 20, 4, 2), MemoryPlan.estimateFor(rnn, 20, 4, 2));
                MemoryPlan.checkDeviceMemory(rnn, 1_000_000, 1_000_000, 2); // CPU: no device check, no exception
                // The pre-flight estimate follows the model's recomputation setting.
                MemoryPlan.configure(rnn, 6, Long.MAX_VALUE);
                MemoryPlan.Estimate est = MemoryPlan.estimateFor(rnn, 20, 4, 2);
                assertEquals(6, est.recomputeEvery());
                assertEquals(MemoryPlan.recurrentEstimate(rc, 20, 4, 2, 6, Long.MAX_VALUE), est);
                assertTrue(est.activationBytes() < MemoryPlan.recurrentEstimate(rc, 20, 4, 2).activationBytes());
                MemoryPlan.configure(rnn, 0, 100);
                assertEquals(3, MemoryPlan.estimateFor(rnn, 20, 4, 2).recomputeEvery()); // round(sqrt(20 / 3))
            }
            ModelConfig mc = new ModelConfig(ModelKind.ROAF_MLP, 5, 8, 3, 40, 0.9f, 0.1f, FilterKind.HAAR, false);
            try (Model mlp = Model.create(e, mc, 1)) {
                MemoryPlan.configure(mlp, 4, Long.MAX_VALUE);
                MemoryPlan.Estimate est = MemoryPlan.estimateFor(mlp, 0, 6, 2);
                assertEquals(4, est.recomputeEvery());
                assertEquals(MemoryPlan.estimate(mc, 6, 2, 4, Long.MAX_VALUE), est);
            }
        }
    }

    /**
     * The engine's scratch for weight-gradient products (the CUDA engine's split-K partials) joins the
     * workspace: the largest over the products the model runs, with K the rows of a stored segment. An
     * engine that reports the product's size as its scratch stands in for the CUDA engine here.
     */
    @Test
    void estimateForAddsTheEnginesProductScratch() {
        try (CpuEngine cpu = new CpuEngine(1)) {
            Engine e = (Engine) Proxy.newProxyInstance(Engine.class.getClassLoader(), new Class<?>[]{Engine.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("productScratchBytes")) {
                            return 4L * (int) args[0] * (int) args[1] * (int) args[2];
                        }
                        try {
                            return method.invoke(cpu, args);
                        } catch (InvocationTargetException x) {
                            throw x.getCause();
                        }
                    });
            // roaf-rnn N = 8, D = 2, C = 3, T = 20, B = 4: dW = d^T h is the largest, 8 x 8 over 80 rows
            ModelConfig rc = new ModelConfig(ModelKind.ROAF_RNN, 2, 8, 3, 1, 0.9f, 0.1f, FilterKind.HAAR, false);
            try (Model rnn = Model.create(e, rc, 1)) {
                MemoryPlan.Estimate plain = MemoryPlan.recurrentEstimate(rc, 20, 4, 2);
                MemoryPlan.Estimate est = MemoryPlan.estimateFor(rnn, 20, 4, 2);
                assertEquals(plain.workspaceBytes() + 4L * 8 * 8 * 80, est.workspaceBytes());
                assertEquals(plain.totalBytes() + 4L * 8 * 8 * 80, est.totalBytes());
                // recomputed every 5 steps: the products sum over one segment, 5 x 4 rows
                MemoryPlan.configure(rnn, 5, Long.MAX_VALUE);
                MemoryPlan.Estimate seg = MemoryPlan.estimateFor(rnn, 20, 4, 2);
                assertEquals(MemoryPlan.recurrentEstimate(rc, 20, 4, 2, 5, Long.MAX_VALUE).workspaceBytes() + 4L * 8 * 8 * 20,
                        seg.workspaceBytes());
            }
            // a per-step head over many classes: its product (C x N over T B rows) is the largest
            ModelConfig wide = new ModelConfig(ModelKind.RNN, 2, 8, 30, 1, 0f, 1f, null, true);
            try (Model rnn = Model.create(e, wide, 1)) {
                assertEquals(MemoryPlan.recurrentEstimate(wide, 20, 4, 2).workspaceBytes() + 4L * 30 * 8 * 80,
                        MemoryPlan.estimateFor(rnn, 20, 4, 2).workspaceBytes());
            }
            // roaf-mlp D = 50 > N = 8: the input layer's product (N x D over B rows) is the largest
            ModelConfig mc = new ModelConfig(ModelKind.ROAF_MLP, 50, 8, 3, 6, 0.9f, 0.1f, FilterKind.HAAR, false);
            try (Model mlp = Model.create(e, mc, 1)) {
                assertEquals(MemoryPlan.estimate(mc, 6, 2, 0, Long.MAX_VALUE).workspaceBytes() + 4L * 8 * 50 * 6,
                        MemoryPlan.estimateFor(mlp, 0, 6, 2).workspaceBytes());
            }
        }
    }
}
