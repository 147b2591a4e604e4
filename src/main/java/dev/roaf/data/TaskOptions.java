package dev.roaf.data;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Options for {@link Tasks#create}: every field has a default, so start from {@link #defaults()} and change what
 * you need with the {@code with...} methods.
 *
 * @param length   T for the synthetic tasks: the sequence length of {@code adding} (default
 *                 {@link AddingTask#DEFAULT_LENGTH} = 1000) and the delay of {@code copy} (default
 *                 {@link CopyTask#DEFAULT_DELAY} = 100, sequences of T + 20 steps); 0 means "the task's default";
 *                 ignored by the image tasks
 * @param permSeed the seed of the fixed pixel permutation of {@code psmnist}/{@code psfashion} (default 0)
 * @param dataDir  an explicit folder holding the MNIST / Fashion-MNIST files (or their {@code mnist/},
 *                 {@code fashion/} subfolders), searched first; null for none
 * @param testSize the size of the synthetic tasks' test set (default 1000); ignored by the image tasks
 * @param testSeed the seed of the synthetic tasks' test set; fixed by default ({@link #DEFAULT_TEST_SEED}) so that
 *                 every run is scored on the same examples
 * @param env      the environment read for {@code ROAF_DATA}, {@code XDG_DATA_HOME} and {@code HOME}; injectable so
 *                 that tests do not depend on the process environment
 */
public record TaskOptions(int length, long permSeed, Path dataDir, int testSize, long testSeed,
                          Map<String, String> env) {
    /** The default test-set seed: the ASCII bytes of "ROAF". */
    public static final long DEFAULT_TEST_SEED = 0x524f4146L;
    /** The default size of a synthetic test set. */
    public static final int DEFAULT_TEST_SIZE = 1000;

    /** Validates the options. */
    public TaskOptions {
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0 (0 = task default), got " + length);
        }
        if (testSize < 1) {
            throw new IllegalArgumentException("testSize must be >= 1, got " + testSize);
        }
        Objects.requireNonNull(env, "env");
    }

    /** The defaults, reading the process environment. */
    public static TaskOptions defaults() {
        return new TaskOptions(0, 0L, null, DEFAULT_TEST_SIZE, DEFAULT_TEST_SEED, System.getenv());
    }

    /** A copy with T (adding's length, copy's delay) set; 0 restores the task's default. */
    public TaskOptions withLength(int length) {
        return new TaskOptions(length, permSeed, dataDir, testSize, testSeed, env);
    }

    /** A copy with the pixel-permutation seed set. */
    public TaskOptions withPermSeed(long permSeed) {
        return new TaskOptions(length, permSeed, dataDir, testSize, testSeed, env);
    }

    /** A copy with the explicit data folder set (null for none). */
    public TaskOptions withDataDir(Path dataDir) {
        return new TaskOptions(length, permSeed, dataDir, testSize, testSeed, env);
    }

    /** A copy with the synthetic test-set size set. */
    public TaskOptions withTestSize(int testSize) {
        return new TaskOptions(length, permSeed, dataDir, testSize, testSeed, env);
    }

    /** A copy with the synthetic test-set seed set. */
    public TaskOptions withTestSeed(long testSeed) {
        return new TaskOptions(length, permSeed, dataDir, testSize, testSeed, env);
    }

    /** A copy reading {@code env} instead of the process environment. */
    public TaskOptions withEnv(Map<String, String> env) {
        return new TaskOptions(length, permSeed, dataDir, testSize, testSeed, env);
    }
}
