package dev.roaf.data;

import java.util.SplittableRandom;

/** Seed domains (mixed in with {@link dev.roaf.engine.SeedMix}) and shuffling shared by the tasks: pure functions, no state. */
final class Seeds {
    /** Domain tags, so that streams for different purposes never share a seed by accident. */
    static final long EPOCH_SHUFFLE = 0x45504f4348L;   // "EPOCH"
    static final long TRAIN_STREAM = 0x545241494eL;    // "TRAIN"
    static final long TEST_STREAM = 0x54455354L;       // "TEST"

    private Seeds() {
    }

    /**
     * A uniformly random permutation of {@code 0..n-1}: Fisher-Yates from the top,
     * {@code for i = n-1 down to 1: swap(p[i], p[rng.nextInt(i + 1)])}, with {@code new SplittableRandom(seed)}.
     */
    static int[] permutation(long seed, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    /** Throws unless {@code elements} fits a Java array. */
    static int checkedSize(long elements, String what) {
        if (elements > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + " would need " + elements
                    + " elements, more than a Java array holds; use a smaller batch");
        }
        return (int) elements;
    }
}
