package dev.roaf.engine.cpu;

import dev.roaf.engine.DType;
import dev.roaf.engine.HostRandom;
import dev.roaf.engine.RandomDrawStats;
import dev.roaf.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The CPU engine's random draws (HostRandom): their distribution, reproducibility, and that they touch only their tensor. */
class CpuEngineRandomTest {
    /** Odd, and three chunks and a bit, so the last chunk is ragged. */
    private static final int N = 3 * HostRandom.CHUNK + 12_345;

    private static float[] normal(int threads, int n, float mean, float std, long seed) {
        try (CpuEngine e = new CpuEngine(threads); Tensor t = e.zeros(n)) {
            e.randomNormal(t, mean, std, seed);
            return e.toHost(t);
        }
    }

    private static float[] uniform(int threads, int n, float lo, float hi, long seed) {
        try (CpuEngine e = new CpuEngine(threads); Tensor t = e.zeros(n)) {
            e.randomUniform(t, lo, hi, seed);
            return e.toHost(t);
        }
    }

    @Test
    void normalDrawsHaveTheAskedMeanAndSpread() {
        RandomDrawStats.assertNormal("N(0.5, 2^2)", normal(2, N, 0.5f, 2f, 7), 0.5, 2);
        RandomDrawStats.assertNormal("N(0, 1/128)", normal(3, N, 0f, (float) (1 / Math.sqrt(128)), 8), 0, 1 / Math.sqrt(128));
    }

    @Test
    void uniformDrawsFillTheHalfOpenInterval() {
        RandomDrawStats.assertUniform("U[-3, 5)", uniform(2, N, -3f, 5f, 7), -3f, 5f);
        RandomDrawStats.assertUniform("U[-0.1, 0.1)", uniform(1, N, -0.1f, 0.1f, 9), -0.1f, 0.1f);
        // a width of a few ulps: rounding must never reach hi
        float lo = 1f, hi = Math.nextUp(Math.nextUp(1f));
        for (float v : uniform(2, 10_000, lo, hi, 3)) {
            assertFalse(v < lo || v >= hi, v + " outside [" + lo + ", " + hi + ")");
        }
    }

    @Test
    void theSameSeedGivesTheSameValuesWhateverTheThreadCount() {
        assertArrayEquals(normal(1, N, 0f, 1f, 42), normal(3, N, 0f, 1f, 42));
        assertArrayEquals(uniform(1, N, 0f, 1f, 42), uniform(2, N, 0f, 1f, 42));
        float[] a = normal(2, N, 0f, 1f, 42), b = normal(2, N, 0f, 1f, 43);
        int same = 0;
        for (int i = 0; i < N; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        assertEquals(0, same, "seeds 42 and 43 share values");
        // chunk c depends only on (seed, c): a longer tensor starts with the shorter one's values
        float[] shortOne = normal(2, HostRandom.CHUNK + 5, 0f, 1f, 42);
        float[] prefix = java.util.Arrays.copyOf(a, HostRandom.CHUNK);
        assertArrayEquals(prefix, java.util.Arrays.copyOf(shortOne, HostRandom.CHUNK));
    }

    @Test
    void aViewIsFilledAndNothingAroundIt() {
        try (CpuEngine e = new CpuEngine(2); Tensor whole = e.zeros(3, 70_000)) {
            e.fill(whole, 123f);
            try (Tensor middle = whole.slice(1)) {
                e.randomNormal(middle, 0f, 1f, 5);
                float[] v = e.toHost(whole);
                for (int i = 0; i < 70_000; i++) {
                    assertEquals(123f, v[i], "before the view");
                    assertEquals(123f, v[140_000 + i], "after the view");
                }
                float[] mid = e.toHost(middle);
                assertArrayEquals(normal(1, 70_000, 0f, 1f, 5), mid, "a view draws what a tensor of its size draws");
            }
        }
    }

    @Test
    void badArgumentsAreRejected() {
        try (CpuEngine e = new CpuEngine(1); Tensor t = e.zeros(10); Tensor i = e.zeros(DType.I32, 10)) {
            assertThrows(IllegalArgumentException.class, () -> e.randomNormal(t, 0f, -1f, 1));
            assertThrows(IllegalArgumentException.class, () -> e.randomNormal(t, Float.NaN, 1f, 1));
            assertThrows(IllegalArgumentException.class, () -> e.randomUniform(t, 1f, 1f, 1));
            assertThrows(IllegalArgumentException.class, () -> e.randomUniform(t, 0f, Float.POSITIVE_INFINITY, 1));
            assertThrows(IllegalArgumentException.class, () -> e.randomNormal(i, 0f, 1f, 1));
        }
    }
}
