package dev.roaf.data;

import java.util.List;
import java.util.Locale;

/** Factory of the tasks by name, and helpers shared by them. */
public final class Tasks {
    /** The task names {@link #create} accepts. */
    public static final List<String> NAMES = List.of("psmnist", "smnist", "psfashion", "sfashion", "mnist",
            "fashion", "adding", "copy");

    private Tasks() {
    }

    /**
     * Creates the task {@code name}; image tasks load their data now (through {@link MnistFiles} with the options'
     * data folder and environment), so a missing dataset fails here.
     * <ul>
     *   <li>{@code smnist}, {@code sfashion}: 784 steps of 1 pixel (byte/255), classify at the end (10 classes);</li>
     *   <li>{@code psmnist}, {@code psfashion}: the same with the fixed permutation {@code permutation(permSeed, 784)};</li>
     *   <li>{@code mnist}, {@code fashion}: vectors of 784 pixels, {@code steps() == 0};</li>
     *   <li>{@code adding}: {@link AddingTask} with T = {@code length} (default 1000);</li>
     *   <li>{@code copy}: {@link CopyTask} with delay T = {@code length} (default 100).</li>
     * </ul>
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones) or a bad length
     * @throws DataException            if a dataset is missing or malformed
     */
    public static Task create(String name, TaskOptions options) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (key) {
            case "adding":
                return new AddingTask(options.length() == 0 ? AddingTask.DEFAULT_LENGTH : options.length(),
                        options.testSize(), options.testSeed());
            case "copy":
                return new CopyTask(options.length() == 0 ? CopyTask.DEFAULT_DELAY : options.length(),
                        options.testSize(), options.testSeed());
            case "smnist", "psmnist", "mnist", "sfashion", "psfashion", "fashion": {
                MnistFiles.Dataset dataset = key.endsWith("fashion") ? MnistFiles.Dataset.FASHION
                        : MnistFiles.Dataset.MNIST;
                ImageTask.Layout layout = key.startsWith("ps") ? ImageTask.Layout.PERMUTED_SEQUENCE
                        : key.startsWith("s") ? ImageTask.Layout.SEQUENCE : ImageTask.Layout.VECTOR;
                MnistData data = new MnistFiles(options.dataDir(), options.env()).load(dataset);
                return new ImageTask(key, layout, data, options.permSeed());
            }
            default:
                throw new IllegalArgumentException("unknown task '" + name + "': valid tasks are "
                        + String.join(", ", NAMES));
        }
    }

    /**
     * The fixed pixel permutation of psMNIST / psFashion: {@code 0..n-1} shuffled by Fisher-Yates from the top
     * ({@code for i = n-1 down to 1: swap(p[i], p[r.nextInt(i + 1)])}) with {@code r = new SplittableRandom(seed)}.
     * Step {@code t} of a permuted sequence shows pixel {@code p[t]}.
     */
    public static int[] permutation(long seed, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("permutation size must be >= 1, got " + n);
        }
        return Seeds.permutation(seed, n);
    }

    /** Checks a test range and returns its clipped length {@code min(count, size - from)}. */
    static int testRange(int from, int count, int size) {
        if (from < 0 || from >= size) {
            throw new IllegalArgumentException("test range start " + from + " is outside [0, " + size + ")");
        }
        if (count < 1) {
            throw new IllegalArgumentException("test batch count must be >= 1, got " + count);
        }
        return Math.min(count, size - from);
    }
}
