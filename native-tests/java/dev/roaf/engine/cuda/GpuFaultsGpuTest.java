package dev.roaf.engine.cuda;

import dev.roaf.Dataset;
import dev.roaf.Device;
import dev.roaf.FilterType;
import dev.roaf.Trainer;
import dev.roaf.data.Batch;
import dev.roaf.engine.Tensor;
import dev.roaf.model.FilterKind;
import dev.roaf.model.MemoryPlan;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import dev.roaf.train.Optimizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPU faults become clear exceptions: allocations that cannot succeed (more than the device, more
 * than is free) throw {@link CudaOutOfMemoryException} naming the request and the free memory; a
 * training run whose memory plan exceeds the free memory is refused before anything is allocated,
 * with both numbers and the advice; a launch the driver rejects throws {@link CudaEngineException}
 * naming the operation and the kernel; the engine stays usable after each. The memory plan is also
 * checked against what a training step really allocates. Skipped without a GPU.
 */
@Tag("gpu")
class GpuFaultsGpuTest {
    private static final long MIB = 1L << 20;

    @BeforeEach
    void setUp() {
        GpuTests.assumeGpu();
    }

    private static void assertStillUsable(CudaEngine e) {
        try (Tensor t = e.zeros(1000)) {
            e.fill(t, 2f);
            float[] expect = new float[1000];
            Arrays.fill(expect, 2f);
            assertArrayEquals(expect, e.toHost(t), "the engine works after the fault");
        }
    }

    @Test
    void allocationBeyondTheDevice() {
        try (CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null)) {
            long held = e.liveBytes();
            // 2^38 floats = 1 TiB, more than any current GPU
            CudaOutOfMemoryException x = assertThrows(CudaOutOfMemoryException.class, () -> e.zeros(1 << 19, 1 << 19));
            System.out.println("[gpu-faults] " + x.getMessage());
            assertEquals(1L << 40, x.requested());
            assertTrue(x.getMessage().contains("asked for 1.00 TiB (1099511627776 bytes)"), x.getMessage());
            assertTrue(x.getMessage().contains("more than the device's"), x.getMessage());
            assertTrue(x.getMessage().contains("--batch"), x.getMessage());
            assertEquals(held, e.liveBytes(), "a failed allocation is not counted");
            assertStillUsable(e);
        }
    }

    @Test
    void allocationBeyondTheFreeMemory() {
        try (CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null)) {
            CudaEngine.MemoryInfo info = e.memoryInfo();
            long rows = (info.freeBytes() + 256 * MIB) / (4 * MIB) + 1; // rows of 1M floats: more than is free
            Assumptions.assumeTrue(rows * 4 * MIB <= info.totalBytes() && rows <= Integer.MAX_VALUE,
                    "the device is too full to ask for more than is free but less than it has: " + info);
            CudaOutOfMemoryException x = assertThrows(CudaOutOfMemoryException.class, () -> e.zeros((int) rows, 1 << 20));
            System.out.println("[gpu-faults] " + x.getMessage());
            assertEquals(rows * 4 * MIB, x.requested());
            assertTrue(x.free() >= 0 && x.free() < x.requested(), "free " + x.free() + " of the exception");
            assertTrue(x.getMessage().contains("asked for " + CudaEngine.bytes(rows * 4 * MIB)), x.getMessage());
            assertTrue(x.getMessage().contains("only ") && x.getMessage().contains(" free of "), x.getMessage());
            assertTrue(x.getMessage().contains("this engine holds"), x.getMessage());
            assertStillUsable(e);
        }
    }

    @Test
    void recurrentRunBeyondTheFreeMemoryIsRefusedBeforeAllocating() {
        try (CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null);
             Model m = Model.create(e, new ModelConfig(ModelKind.ROAF_RNN, 1, 256, 10, 1, 0.99f, 0.01f, FilterKind.HAAR, false),
                     1)) {
            // Every step stored: left to itself the model would recompute within half the JVM's heap, which on a
            // card of 139 GiB (the H200 of the first GPU run) fits this run, and nothing would be refused.
            MemoryPlan.configure(m, 1_000_000, Long.MAX_VALUE);
            long held = e.liveBytes();
            // T = 1,000,000 steps of B = 1,000: about 3 TB of per-step storage
            CudaOutOfMemoryException x = assertThrows(CudaOutOfMemoryException.class,
                    () -> MemoryPlan.checkDeviceMemory(m, 1_000_000, 1_000, 2));
            System.out.println("[gpu-faults] " + x.getMessage());
            CudaEngine.MemoryInfo info = e.memoryInfo();
            assertTrue(x.getMessage().contains("not enough device memory"), x.getMessage());
            assertTrue(x.getMessage().contains("is free of " + MemoryPlan.gib(info.totalBytes())), x.getMessage());
            assertTrue(x.getMessage().contains(MemoryPlan.gib(MemoryPlan.recurrentEstimate(m.config(), 1_000_000, 1_000, 2)
                    .totalBytes())), x.getMessage());
            assertTrue(x.getMessage().contains("--batch (now 1000)"), x.getMessage());
            assertTrue(x.free() >= 0 && x.requested() > x.free());
            assertEquals(held, e.liveBytes(), "nothing was allocated for the refused run");
            MemoryPlan.checkDeviceMemory(m, 100, 32, 2); // a small run passes
        }
    }

    @Test
    void mlpRunBeyondTheFreeMemorySuggestsRecomputation() {
        try (CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null);
             Model m = Model.create(e, new ModelConfig(ModelKind.ROAF_MLP, 16, 64, 10, 1000, 0.999f, 0.001f,
                     FilterKind.PERMUTATION, false), 1)) {
            MemoryPlan.configure(m, 1000, Long.MAX_VALUE); // every layer stored
            int batch = (int) Math.min(Integer.MAX_VALUE / 64, 2 * e.totalMemory() / (4L * 2001 * 64) + 1);
            CudaOutOfMemoryException x = assertThrows(CudaOutOfMemoryException.class,
                    () -> MemoryPlan.checkDeviceMemory(m, 0, batch, 2));
            System.out.println("[gpu-faults] " + x.getMessage());
            assertTrue(x.getMessage().contains("--recompute-every 22"), x.getMessage()); // round(sqrt(1000 / 2))
            assertTrue(x.getMessage().contains("--batch (now " + batch + ")"), x.getMessage());
        }
    }

    /**
     * A model on the GPU chooses recomputation from the device's free memory (half of it), not from the JVM
     * heap: a batch whose stored activations lie between half the heap and half the free device memory is
     * stored whole, one whose activations exceed half the free memory is recomputed. Nothing is allocated.
     */
    @Test
    void automaticRecomputationFollowsTheGpusFreeMemory() {
        try (CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null);
             Model m = Model.create(e, new ModelConfig(ModelKind.ROAF_MLP, 16, 64, 10, 1000, 0.999f, 0.001f,
                     FilterKind.PERMUTATION, false), 1)) {
            long free = e.memoryInfo().freeBytes(), heapBudget = MemoryPlan.defaultBudgetBytes();
            long budget = MemoryPlan.defaultBudgetBytes(e);
            assertTrue(Math.abs(budget - free / 2) <= free / 20, "budget " + budget + " vs half of " + free + " free");
            long perRow = 4L * MemoryPlan.fullActivationFloats(1000, 1, 64);
            Assumptions.assumeTrue(budget > 2 * heapBudget, "the GPU's free memory (" + free + " bytes) is not well above the"
                    + " JVM heap (" + Runtime.getRuntime().maxMemory() + "): nothing tells the two budgets apart");
            int between = (int) Math.min(Integer.MAX_VALUE, (heapBudget + budget) / 2 / perRow);
            assertEquals(1000, MemoryPlan.segmentLengthOf(m, between), "B=" + between + ": stored whole on the GPU");
            int beyond = (int) Math.min(Integer.MAX_VALUE, 3 * budget / 2 / perRow);
            assertTrue(MemoryPlan.segmentLengthOf(m, beyond) < 1000, "B=" + beyond + ": recomputed");
        }
    }

    @Test
    void publicTrainerRefusesARunThatCannotFit() {
        long total;
        try (CudaEngine probe = new CudaEngine(0, CudaEngine.GemmPath.OWN, null)) {
            total = probe.totalMemory();
        }
        int steps = 1000, n = 2048;
        // h, p and z: 3 T B N floats; twice the device's memory
        int batch = (int) (2 * total / (12L * steps * n)) + 1;
        float[][][] x = new float[batch][steps][1];
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) {
            y[i] = i % 2;
            x[i][0][0] = i % 2;
        }
        Dataset data = Dataset.builder().setTrain(x, y).optName("too-big").build();
        try (dev.roaf.Model m = dev.roaf.Model.roafRnn().setShapeFrom(data).setHiddenSize(n).optFilter(FilterType.PERMUTATION)
                .optDevice(Device.gpu(0)).optRecomputeEvery(steps).build()) { // every step stored: no recomputation to fall back on
            Trainer t = Trainer.builder(m, data).setSteps(1).optBatchSize(batch).optEvaluateEvery(0).build();
            CudaOutOfMemoryException ex = assertThrows(CudaOutOfMemoryException.class, t::fit);
            System.out.println("[gpu-faults] " + ex.getMessage());
            assertTrue(ex.getMessage().contains("not enough device memory"), ex.getMessage());
            assertTrue(ex.getMessage().contains("--batch (now " + batch + ")"), ex.getMessage());
            assertTrue(ex.getMessage().contains(" is free of "), ex.getMessage());
            float[][] out = m.predict(new float[2][steps][1]); // the model is intact and usable
            assertEquals(2, out.length);
        }
    }

    @Test
    void planCoversWhatATrainingStepAllocates() {
        SplittableRandom rnd = new SplittableRandom(3);
        ModelConfig[] configs = {
            new ModelConfig(ModelKind.ROAF_RNN, 3, 128, 10, 1, 0.9f, 0.1f, FilterKind.HAAR, false),
            new ModelConfig(ModelKind.RNN, 3, 96, 10, 1, 0f, 1f, null, true),
            new ModelConfig(ModelKind.LSTM, 3, 64, 10, 1, 0f, 1f, null, false),
            new ModelConfig(ModelKind.ROAF_MLP, 30, 128, 10, 12, 0.9f, 0.1f, FilterKind.PERMUTATION, false),
        };
        int steps = 200, batch = 32;
        try (CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null)) {
            for (ModelConfig c : configs) {
                long base = e.liveBytes();
                boolean rec = c.kind().recurrent();
                int t = rec ? steps : 0;
                float[] in = GpuTests.random(rnd, (long) Math.max(1, t) * batch * c.inputSize(), 1);
                int[] labels = new int[c.headEveryStep() ? t * batch : batch];
                Batch b = new Batch(batch, t, c.inputSize(), in, c.headEveryStep() ? Batch.Target.CLASS_PER_STEP
                        : Batch.Target.CLASS, labels, null, c.outputs());
                try (Model m = Model.create(e, c, 1);
                     Optimizer opt = Optimizer.create(Optimizer.Kind.ADAM, e, m.parameters(), 0f)) {
                    m.forwardBackward(b);
                    opt.step(1e-3f);
                    long used = e.liveBytes() - base;
                    MemoryPlan.Estimate est = MemoryPlan.estimateFor(m, t, batch, 2);
                    System.out.println("[gpu-faults] " + c.kind() + ": step allocated " + CudaEngine.bytes(used)
                            + ", plan " + CudaEngine.bytes(est.totalBytes()));
                    assertTrue(est.totalBytes() >= used, c.kind() + ": the plan (" + est.totalBytes()
                            + " bytes) is below what the step allocated (" + used + " bytes)");
                    assertTrue(est.totalBytes() <= 1.5 * used + (1 << 20), c.kind() + ": the plan (" + est.totalBytes()
                            + " bytes) is far above what the step allocated (" + used + " bytes)");
                }
            }
        }
    }

    @Test
    void rejectedLaunchNamesTheOperationAndTheKernel() {
        try (CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null);
             Tensor t = e.zeros(16)) {
            // 4096 threads per block: more than any GPU allows (1024), so the driver rejects the launch.
            CudaEngineException x = assertThrows(CudaEngineException.class,
                    () -> e.launchForTest("fill", "roaf_fill", 1, 4096, t, 16L, 1f));
            System.out.println("[gpu-faults] " + x.getMessage());
            assertTrue(x.getMessage().contains("fill: launching kernel roaf_fill"), x.getMessage());
            assertTrue(x.getMessage().contains("block 4096x1"), x.getMessage());
            assertTrue(x.getMessage().startsWith("cuda:0 "), x.getMessage());
            CudaEngineException missing = assertThrows(CudaEngineException.class,
                    () -> e.launchForTest("fill", "roaf_no_such_kernel", 1, 256, t, 16L, 1f));
            assertTrue(missing.getMessage().contains("roaf_no_such_kernel"), missing.getMessage());
            assertStillUsable(e);
        }
    }
}
