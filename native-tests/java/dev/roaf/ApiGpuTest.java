package dev.roaf;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The public API on a GPU, through public types only: build on {@code Device.gpu(0)}, train a few
 * steps on a custom dataset, save, reload on the GPU and on the CPU, and compare predictions; and a
 * model trained on the CPU reloaded on the GPU. Skips without a usable GPU (fails instead with
 * {@code -Droaf.requireGpu=true}).
 */
@Tag("gpu")
class ApiGpuTest {
    private static final Device GPU = Device.gpu(0);
    private static final Device CPU = Device.cpu(4);

    private static Model buildOnGpu(ModelBuilder b) {
        try {
            return b.optDevice(GPU).build();
        } catch (IllegalArgumentException e) {
            if (Boolean.getBoolean("roaf.requireGpu")) {
                fail("a GPU is required here (-Droaf.requireGpu=true) but: " + e.getMessage(), e);
            }
            Assumptions.abort("no usable GPU: " + e.getMessage());
            throw e;
        }
    }

    private static Dataset data(int n, int steps, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][][] x = new float[n][steps][3];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            float s = 0;
            for (int t = 0; t < steps; t++) {
                for (int d = 0; d < 3; d++) {
                    x[i][t][d] = (float) (rng.nextDouble() * 2 - 1);
                }
                s += x[i][t][0];
            }
            y[i] = s > 0 ? 1 : 0;
        }
        return Dataset.builder().setTrain(x, y).optName("gpu-sign").build();
    }

    private static void assertClose(float[][] expected, float[][] actual, double tol) {
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                double d = expected[i][j] - actual[i][j];
                num += d * d;
                den += (double) expected[i][j] * expected[i][j];
            }
        }
        double rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
        assertTrue(rel < tol, "relative difference " + rel + " >= " + tol);
    }

    @Test
    void saveLoadRoundTripOnGpuAndAcrossDevices(@TempDir Path dir) throws Exception {
        Dataset data = data(256, 30, 5);
        float[][][] batch = new float[64][][];
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < batch.length; i++) {
            batch[i] = new float[30][3];
            for (float[] step : batch[i]) {
                for (int d = 0; d < 3; d++) {
                    step[d] = (float) (rng.nextDouble() * 2 - 1);
                }
            }
        }
        List<ModelBuilder> builders = List.of(
                Model.roafRnn().setShapeFrom(data).setHiddenSize(64),
                Model.roafRnn().setShapeFrom(data).setHiddenSize(64).optFilter(FilterType.PERMUTATION),
                Model.lstm().setShapeFrom(data).setHiddenSize(32));
        int k = 0;
        for (ModelBuilder b : builders) {
            Path file = dir.resolve("gpu" + (k++) + ".safetensors");
            float[][] before;
            try (Model m = buildOnGpu(b.optSeed(3))) {
                TrainingResult r = Trainer.builder(m, data).setSteps(5).optBatchSize(32).optEvaluateEvery(0).build().fit();
                assertTrue(Double.isFinite(r.last().testLoss()));
                m.save(file);
                before = m.predict(batch);
            }
            try (Model g = Model.load(file, GPU)) {
                assertClose(before, g.predict(batch), 1e-6);
            }
            try (Model c = Model.load(file, CPU)) {
                assertClose(before, c.predict(batch), 1e-4);
            }
        }
        // CPU-trained, reloaded on the GPU.
        Path file = dir.resolve("cpu.safetensors");
        float[][] cpuOut;
        try (Model c = Model.roafRnn().setShapeFrom(data).setHiddenSize(48).optDevice(CPU).build()) {
            Trainer.builder(c, data).setSteps(3).optBatchSize(32).build().fit();
            c.save(file);
            cpuOut = c.predict(batch);
        }
        try (Model g = buildOnGpu(Model.roafRnn().setShapeFrom(data).setHiddenSize(48))) {
            g.loadParameters(file);
            assertClose(cpuOut, g.predict(batch), 1e-4);
            assertEquals(file.getFileName().toString(), "cpu.safetensors");
        }
    }

    @Test
    void closedGpuModelRefusesUse() {
        Model m = buildOnGpu(Model.roafRnn().setInputSize(1).setHiddenSize(8).setOutputs(2).optBeta(0.1));
        m.close();
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> m.predict(new float[1][2][1]));
        assertTrue(e.getMessage().contains("cannot be used after close()"));
    }
}
