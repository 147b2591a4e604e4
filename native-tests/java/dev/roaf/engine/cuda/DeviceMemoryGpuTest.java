package dev.roaf.engine.cuda;

import dev.roaf.Dataset;
import dev.roaf.Device;
import dev.roaf.FilterType;
import dev.roaf.ModelBuilder;
import dev.roaf.Trainer;
import dev.roaf.data.Batch;
import dev.roaf.engine.Tensor;
import dev.roaf.model.FilterKind;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import dev.roaf.train.Optimizer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device memory comes back: over many create/train/close cycles (a CUDA engine with models and loose
 * tensors, and the public API on {@code Device.gpu(0)}) the engine's own live bytes return to 0 at
 * close and the device's free memory (cuMemGetInfo) returns to within {@link #TOLERANCE} of where
 * it was after a warm-up cycle. A sentinel engine (own GEMM, no cuBLAS) stays open throughout so
 * that the primary context, and with it cuMemGetInfo, lives between cycles. Also: tensors and
 * engines used after close throw {@link IllegalStateException}. Skipped without a GPU.
 */
@Tag("gpu")
class DeviceMemoryGpuTest {
    static final int CYCLES = 50;
    /** Allowed drift of free memory over all cycles: a leak of 340 KiB per cycle or more fails. */
    static final long TOLERANCE = 16L << 20;

    @BeforeEach
    void setUp() {
        GpuTests.assumeGpu();
    }

    private static Batch batch(SplittableRandom rnd, int size, int steps, int features, int classes) {
        float[] inputs = GpuTests.random(rnd, (long) Math.max(1, steps) * size * features, 1);
        int[] labels = new int[size];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rnd.nextInt(classes);
        }
        return new Batch(size, steps, features, inputs, Batch.Target.CLASS, labels, null, classes);
    }

    /** One cycle on the engine level: open, two models trained one Adam step each, loose tensors, close. */
    private static void engineCycle(int i) {
        SplittableRandom rnd = new SplittableRandom(i);
        CudaEngine e = new CudaEngine(0, i % 2 == 0 ? CudaEngine.GemmPath.AUTO : CudaEngine.GemmPath.OWN, null);
        Tensor leaked;
        try {
            assertEquals(0, e.liveBytes(), "a fresh engine holds nothing");
            ModelConfig rnn = new ModelConfig(ModelKind.ROAF_RNN, 3, 256, 10, 1, 0.9f, 0.1f,
                    i % 3 == 0 ? FilterKind.PERMUTATION : FilterKind.HAAR, false);
            ModelConfig mlp = new ModelConfig(ModelKind.ROAF_MLP, 40, 128, 10, 8, 0.8f, 0.2f, FilterKind.HAAR, false);
            try (Model r = Model.create(e, rnn, i); Optimizer opt = Optimizer.create(Optimizer.Kind.ADAM, e, r.parameters(), 0f)) {
                assertTrue(Double.isFinite(r.forwardBackward(batch(rnd, 64, 100, 3, 10)).meanLoss()));
                opt.step(1e-3f);
                r.evaluate(batch(rnd, 100, 100, 3, 10), null);
            }
            try (Model m = Model.create(e, mlp, i); Optimizer opt = Optimizer.create(Optimizer.Kind.ADAM, e, m.parameters(), 0f)) {
                assertTrue(Double.isFinite(m.forwardBackward(batch(rnd, 50, 0, 40, 10)).meanLoss()));
                opt.step(1e-3f);
            }
            Tensor kept = e.zeros(1024, 1024);
            e.fill(kept, 1f);
            CudaEngine.MemoryInfo info = e.memoryInfo();
            assertTrue(info.liveBytes() >= 4L << 20, info.toString());
            assertTrue(info.liveAllocations() >= 1, info.toString());
            kept.close();
            leaked = e.zeros(512, 1024); // deliberately not closed: close() of the engine must free it
        } finally {
            e.close();
        }
        assertEquals(0, e.liveBytes(), "live bytes after close, cycle " + i);
        assertEquals(0, e.liveAllocations(), "live allocations after close, cycle " + i);
        assertTrue(!leaked.isOpen(), "a tensor left open is closed with its engine");
        leaked.close(); // harmless after the engine's close
    }

    @Test
    void engineAndTensorsGiveBackTheirMemory() {
        try (CudaEngine sentinel = new CudaEngine(0, CudaEngine.GemmPath.OWN, null)) {
            engineCycle(-1); // warm-up: library loads, first cuBLAS handle, module caches
            CudaEngine.MemoryInfo before = sentinel.memoryInfo();
            for (int i = 0; i < CYCLES; i++) {
                engineCycle(i);
            }
            CudaEngine.MemoryInfo after = sentinel.memoryInfo();
            System.out.println("[device-memory] engine cycles: before " + before + "; after " + CYCLES + " cycles " + after);
            assertTrue(before.freeBytes() - after.freeBytes() <= TOLERANCE, "free device memory fell by "
                    + CudaEngine.bytes(before.freeBytes() - after.freeBytes()) + " over " + CYCLES + " cycles (before: " + before
                    + "; after: " + after + ")");
            assertEquals(0, sentinel.liveBytes());
        }
    }

    private static Dataset sequences(int n, int steps, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][][] x = new float[n][steps][2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (float[] s : x[i]) {
                s[0] = (float) (rng.nextDouble() * 2 - 1);
                s[1] = (float) (rng.nextDouble() * 2 - 1);
            }
            y[i] = x[i][steps - 1][0] > 0 ? 1 : 0;
        }
        return Dataset.builder().setTrain(x, y).optName("mem-seq").build();
    }

    private static Dataset vectors(int n, int d, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) (rng.nextDouble() * 2 - 1);
            }
            y[i] = x[i][0] > 0 ? 1 : 0;
        }
        return Dataset.builder().setTrain(x, y).optName("mem-vec").build();
    }

    /** One cycle through the public API: build on the GPU, fit 2 steps, predict, close. */
    private static void apiCycle(int i, Dataset seq, Dataset vec) {
        boolean rnn = i % 2 == 0;
        ModelBuilder b = rnn
                ? dev.roaf.Model.roafRnn().setShapeFrom(seq).setHiddenSize(192).optFilter(i % 4 == 0 ? FilterType.PERMUTATION
                : FilterType.HAAR)
                : dev.roaf.Model.roafMlp().setShapeFrom(vec).setHiddenSize(160).setDepth(6);
        try (dev.roaf.Model m = b.optSeed(i).optDevice(Device.gpu(0)).build()) {
            Trainer.builder(m, rnn ? seq : vec).setSteps(2).optBatchSize(32).optEvaluateEvery(0).build().fit();
            if (rnn) {
                m.predict(new float[8][50][2]);
            } else {
                m.predict(new float[8][30]);
            }
        }
    }

    @Test
    void publicApiModelsGiveBackTheirMemory() {
        Dataset seq = sequences(64, 50, 1);
        Dataset vec = vectors(64, 30, 2);
        try (CudaEngine sentinel = new CudaEngine(0, CudaEngine.GemmPath.OWN, null)) {
            apiCycle(0, seq, vec);
            apiCycle(1, seq, vec);
            CudaEngine.MemoryInfo before = sentinel.memoryInfo();
            for (int i = 0; i < CYCLES; i++) {
                apiCycle(i, seq, vec);
            }
            CudaEngine.MemoryInfo after = sentinel.memoryInfo();
            System.out.println("[device-memory] API cycles: before " + before + "; after " + CYCLES + " cycles " + after);
            assertTrue(before.freeBytes() - after.freeBytes() <= TOLERANCE, "free device memory fell by "
                    + CudaEngine.bytes(before.freeBytes() - after.freeBytes()) + " over " + CYCLES + " public-API cycles (before: "
                    + before + "; after: " + after + ")");
        }
    }

    @Test
    void useAfterCloseIsRefused() {
        CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null);
        Tensor t = e.zeros(8, 8);
        Tensor closedEarly = e.zeros(4);
        closedEarly.close();
        IllegalStateException early = assertThrows(IllegalStateException.class, () -> e.fill(closedEarly, 1f));
        assertTrue(early.getMessage().contains("after its storage was closed"), early.getMessage());
        assertEquals(4L * 64, e.liveBytes());
        e.close();
        assertEquals(0, e.liveBytes());
        IllegalStateException engine = assertThrows(IllegalStateException.class, () -> e.zeros(4));
        assertTrue(engine.getMessage().contains("used after close()"), engine.getMessage());
        assertThrows(IllegalStateException.class, e::memoryInfo);
        assertThrows(IllegalStateException.class, () -> e.toHost(t));
        IllegalStateException view = assertThrows(IllegalStateException.class, () -> t.slice(0));
        assertTrue(view.getMessage().contains("after its storage was closed"), view.getMessage());
        t.close(); // idempotent after the engine closed it
        e.close(); // idempotent

        // Through the public API: a closed model refuses use.
        dev.roaf.Model m = dev.roaf.Model.roafRnn().setInputSize(1).setHiddenSize(8).setOutputs(2).optBeta(0.1)
                .optDevice(Device.gpu(0)).build();
        m.close();
        assertThrows(IllegalStateException.class, () -> m.predict(new float[1][2][1]));
    }
}
