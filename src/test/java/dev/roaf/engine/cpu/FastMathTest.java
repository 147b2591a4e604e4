package dev.roaf.engine.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's float exp, tanh and sigmoid against java.lang.Math in double, over the whole float range that matters. */
class FastMathTest {

    @Test
    void expTanhSigmoidAreFloatAccurate() {
        SplittableRandom rng = new SplittableRandom(11);
        double maxExp = 0, maxTanh = 0, maxSig = 0;
        for (int i = 0; i < 2_000_000; i++) {
            double scale = switch (i % 4) {
                case 0 -> 1e-4;
                case 1 -> 0.3;
                case 2 -> 5;
                default -> 80;
            };
            float x = (float) ((rng.nextDouble() * 2 - 1) * scale);
            double e = Math.exp(x);
            if (e > 1e-37 && e < 1e37) {
                maxExp = Math.max(maxExp, Math.abs(MatKernels.exp(x) - e) / e);
            }
            double t = Math.tanh(x);
            if (t != 0) {
                maxTanh = Math.max(maxTanh, Math.abs(MatKernels.tanh(x) - t) / Math.abs(t));
            }
            double s = 1 / (1 + Math.exp(-x));
            if (s > 1e-30) {
                maxSig = Math.max(maxSig, Math.abs(MatKernels.sigmoid(x) - s) / s);
            }
        }
        assertTrue(maxExp < 3e-7, "exp max relative error " + maxExp);
        assertTrue(maxTanh < 1.5e-6, "tanh max relative error " + maxTanh);
        assertTrue(maxSig < 3e-7, "sigmoid max relative error " + maxSig);
    }

    @Test
    void specialValues() {
        assertEquals(0f, MatKernels.tanh(0f));
        assertEquals(1e-20f, MatKernels.tanh(1e-20f));
        assertEquals(1f, MatKernels.tanh(100f));
        assertEquals(-1f, MatKernels.tanh(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(MatKernels.tanh(Float.NaN)));
        assertTrue(Float.isNaN(MatKernels.exp(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, MatKernels.exp(100f));
        assertEquals(0f, MatKernels.exp(-100f));
        assertEquals(0f, MatKernels.sigmoid(-200f));
        assertEquals(1f, MatKernels.sigmoid(200f));
        assertEquals(0f, MatKernels.flush(1e-31f));
        assertEquals(1e-29f, MatKernels.flush(1e-29f));
    }
}
