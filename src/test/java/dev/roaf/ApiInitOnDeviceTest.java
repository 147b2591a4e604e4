package dev.roaf;

import dev.roaf.engine.RandomDrawStats;
import dev.roaf.io.Safetensors;
import dev.roaf.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ModelBuilder#optInitOnDevice}: the same distributions as the host draws, reproducible, filters unchanged. */
class ApiInitOnDeviceTest {
    private static SafetensorsFile build(Path dir, String name, boolean onDevice, long seed) throws IOException {
        Path f = dir.resolve(name + ".safetensors");
        try (Model m = Model.roafMlp().setInputSize(10).setHiddenSize(64).setDepth(4).setOutputs(3).optSeed(seed)
                .optInitOnDevice(onDevice).optDevice(Device.cpu(2)).build()) {
            m.save(f);
        }
        return Safetensors.read(f);
    }

    @Test
    void deviceDrawsFollowTheInitialisationRules(@TempDir Path dir) throws IOException {
        SafetensorsFile device = build(dir, "device", true, 5);
        SafetensorsFile again = build(dir, "again", true, 5);
        SafetensorsFile host = build(dir, "host", false, 5);
        // W_l ~ N(0, 1/N), input and head weights ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as the host draws
        RandomDrawStats.assertNormal("layers.W", device.tensor("layers.W").floats(), 0, 1 / Math.sqrt(64));
        float in = (float) (1 / Math.sqrt(10));
        float[] inputWeight = device.tensor("input.weight").floats();
        for (float v : inputWeight) {
            assertTrue(v >= -in && v < in, "input.weight " + v);
        }
        for (String name : device.tensors().keySet()) {
            assertArrayEquals(device.tensor(name).floats(), again.tensor(name).floats(), name + ": same seed, same values");
        }
        assertFalse(java.util.Arrays.equals(device.tensor("layers.W").floats(), host.tensor("layers.W").floats()),
                "device draws are not the host's");
        assertArrayEquals(host.tensor("layers.O").floats(), device.tensor("layers.O").floats(), "filters are drawn on the host either way");
        assertEquals(0f, max(device.tensor("layers.b").floats()), "biases of the layers start at zero");
    }

    private static float max(float[] v) {
        float m = 0f;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
