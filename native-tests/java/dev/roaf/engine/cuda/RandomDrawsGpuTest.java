package dev.roaf.engine.cuda;

import dev.roaf.Device;
import dev.roaf.Model;
import dev.roaf.engine.RandomDrawStats;
import dev.roaf.engine.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static dev.roaf.engine.cuda.GpuTests.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engine.randomNormal / randomUniform on the GPU (cuRAND Philox, roaf_uniform_to_range), against the
 * distributions asked for (statistics, not bits: the CPU engine uses another generator), and the
 * host fallback against the CPU engine bit for bit. Skipped (not failed) without a GPU.
 */
@Tag("gpu")
class RandomDrawsGpuTest {
    @Test
    void drawsHaveTheAskedDistributionAtRaggedSizes() {
        CudaEngine g = gpus().get(0);
        // odd sizes (cuRAND draws normals in pairs) and more than one 2^24-float piece
        for (int n : new int[]{1, 3, 100_003, (1 << 24) + 3}) {
            try (Tensor t = g.zeros(n)) {
                poison(g, t);
                g.randomNormal(t, 0.5f, 2f, 11);
                float[] v = g.toHost(t);
                if (n > 1000) {
                    RandomDrawStats.assertNormal("gpu N(0.5, 4) n=" + n, v, 0.5, 2);
                } else {
                    for (float x : v) {
                        assertTrue(Float.isFinite(x), "n=" + n + ": " + x);
                    }
                }
                poison(g, t);
                g.randomUniform(t, -3f, 5f, 12);
                float[] u = g.toHost(t);
                if (n > 1000) {
                    RandomDrawStats.assertUniform("gpu U[-3, 5) n=" + n, u, -3f, 5f);
                } else {
                    for (float x : u) {
                        assertTrue(x >= -3f && x < 5f, "n=" + n + ": " + x);
                    }
                }
                g.randomNormal(t, 0.5f, 2f, 11);
                assertArrayEquals(v, g.toHost(t), "same seed, same values (n=" + n + ")");
            }
        }
        assertTrue(g.randomDrawsDescription() != null, "the engine says where it draws");
        System.out.println("[gpu-tests] random draws on " + g.randomDrawsDescription());
    }

    @Test
    void aViewIsFilledAndNothingAroundIt() {
        CudaEngine g = gpus().get(0);
        int row = 70_001;   // odd: the view starts at an odd element offset
        try (Tensor whole = g.zeros(3, row); Tensor middle = whole.slice(1)) {
            g.fill(whole, 123f);
            g.randomNormal(middle, 0f, 1f, 5);
            float[] v = g.toHost(whole);
            for (int i = 0; i < row; i++) {
                assertEquals(123f, v[i], "before the view");
                assertEquals(123f, v[2 * row + i], "after the view");
            }
            RandomDrawStats.assertNormal("view", g.toHost(middle), 0, 1);
        }
    }

    @Test
    void withoutCurandTheDrawsAreTheCpuEnginesBitForBit() {
        assumeGpu();
        // restored after: gpu-check runs this class again with -Droaf.cuda.curand=true for the shared engine's draws
        String before = System.getProperty("roaf.cuda.curand");
        System.setProperty("roaf.cuda.curand", "false");
        try (CudaEngine g = new CudaEngine(0, CudaEngine.GemmPath.AUTO, null)) {
            int n = 5 * 65_536 + 77;
            try (Tensor t = g.zeros(n); Tensor c = cpu().zeros(n)) {
                g.randomNormal(t, 0f, 1f, 3);
                cpu().randomNormal(c, 0f, 1f, 3);
                assertArrayEquals(cpu().toHost(c), g.toHost(t), "normal");
                g.randomUniform(t, -1f, 2f, 4);
                cpu().randomUniform(c, -1f, 2f, 4);
                assertArrayEquals(cpu().toHost(c), g.toHost(t), "uniform");
            }
            assertTrue(g.randomDrawsDescription().contains("host"), g.randomDrawsDescription());
        } finally {
            if (before == null) {
                System.clearProperty("roaf.cuda.curand");
            } else {
                System.setProperty("roaf.cuda.curand", before);
            }
        }
    }

    @Test
    void aLargeRoafMlpDrawsItsWeightsOnTheGpu() {
        assumeGpu();
        try (Model m = Model.roafMlp().setInputSize(784).setHiddenSize(128).setDepth(5_000).setOutputs(10)
                .optFilter(dev.roaf.FilterType.PERMUTATION).optInitOnDevice(true).optDevice(Device.gpu(0)).build()) {
            float[][] out = m.predict(new float[2][784]);
            for (float[] row : out) {
                for (float x : row) {
                    assertTrue(Float.isFinite(x), "prediction " + x);
                }
            }
        }
    }
}
