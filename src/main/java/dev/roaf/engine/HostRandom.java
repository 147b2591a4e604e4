package dev.roaf.engine;

import java.util.SplittableRandom;

/**
 * The random draws of {@link Engine#randomNormal} and {@link Engine#randomUniform} as the CPU
 * computes them: the CPU engine's implementation, and the CUDA engine's fallback when cuRAND does
 * not load.
 *
 * <p>Element {@code i} belongs to chunk {@code i / CHUNK}; chunk {@code c} is drawn from its own
 * {@code SplittableRandom} seeded with {@code SeedMix.mix(seed, c)}. So any number of threads can fill
 * chunks in any order and the result is the same, bit for bit, for a given seed.
 */
public final class HostRandom {
    /** Elements per independent stream. */
    public static final int CHUNK = 1 << 16;

    private HostRandom() {
    }

    /** The number of chunks of an {@code n}-element tensor. */
    public static int chunks(long n) {
        return Math.toIntExact((n + CHUNK - 1) / CHUNK);
    }

    /**
     * Draws chunk {@code c} of an {@code n}-element tensor into {@code a}, its first element at
     * {@code a[at]}: N(mean, std^2) when {@code normal}, else U[lo, lo + width) (then {@code mean}
     * is lo and {@code std} the width).
     */
    public static void fillChunk(float[] a, int at, long n, int c, boolean normal, float mean, float std, long seed) {
        SplittableRandom rng = new SplittableRandom(SeedMix.mix(seed, c));
        int count = (int) Math.min(CHUNK, n - (long) c * CHUNK);
        if (normal) {
            for (int i = 0; i < count; i++) {
                a[at + i] = (float) (mean + std * rng.nextGaussian());
            }
        } else {
            float hi = mean + std;
            for (int i = 0; i < count; i++) {
                float v = (float) (mean + std * rng.nextDouble());
                // float rounding may reach the excluded upper end; keep the interval half-open
                a[at + i] = v < hi ? v : Math.nextDown(hi);
            }
        }
    }
}
