package dev.roaf.data;

import dev.roaf.engine.SeedMix;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The copy task with delay T (roaf-math.md section 4): sequences of T + 20 steps over 10 symbols (0 blank, 1..8
 * data, 9 delimiter), one-hot. Input: 10 random data symbols (steps 0..9), T - 1 blanks (steps 10..T+8), the
 * delimiter (step T+9), 10 blanks (steps T+10..T+19). Labels, per step over 9 classes (0..8): 0 (blank) everywhere
 * except the last 10 steps, which are the 10 data symbols in order.
 *
 * <p>Batches: inputs time-major {@code [T+20, B, 10]}; labels CLASS_PER_STEP time-major {@code [T+20, B]}. Training
 * batch {@code index} comes from {@code SplittableRandom(mix(mix(seed, TRAIN), index))}; test example {@code k} from
 * {@code SplittableRandom(mix(mix(testSeed, TEST), k))}. The stream is endless: {@link #trainSize()} is -1.
 */
public final class CopyTask implements Task {
    /** The default delay T. */
    public static final int DEFAULT_DELAY = 100;
    /** Symbols to remember. */
    public static final int SYMBOLS = 10;
    /** Input alphabet: blank, 8 data symbols, delimiter. */
    public static final int ALPHABET = 10;
    /** Output classes: blank and the 8 data symbols. */
    public static final int CLASSES = 9;
    /** The delimiter symbol. */
    public static final int DELIMITER = 9;

    private final int delay;
    private final int testSize;
    private final long testSeed;

    /**
     * Creates the task.
     *
     * @param delay    T, at least 1
     * @param testSize examples in the fixed test set, at least 1
     * @param testSeed seed of the test set
     */
    public CopyTask(int delay, int testSize, long testSeed) {
        if (delay < 1) {
            throw new IllegalArgumentException("copy: delay T must be >= 1, got " + delay);
        }
        if (delay > Integer.MAX_VALUE - 2 * SYMBOLS) {
            throw new IllegalArgumentException("copy: delay T too large: " + delay);
        }
        if (testSize < 1) {
            throw new IllegalArgumentException("copy: testSize must be >= 1, got " + testSize);
        }
        this.delay = delay;
        this.testSize = testSize;
        this.testSeed = testSeed;
    }

    /**
     * The cross-entropy (nats per step, averaged over all T + 20 steps) of the best memoryless strategy: blank until
     * the delimiter, then a uniform guess over the 8 symbols, i.e. {@code 10 ln 8 / (T + 20)}.
     */
    public static double memorylessCrossEntropy(int delay) {
        return SYMBOLS * Math.log(8) / (delay + 2.0 * SYMBOLS);
    }

    /** The delay T. */
    public int delay() {
        return delay;
    }

    @Override
    public String name() {
        return "copy";
    }

    @Override
    public int steps() {
        return delay + 2 * SYMBOLS;
    }

    @Override
    public int inputSize() {
        return ALPHABET;
    }

    @Override
    public int outputSize() {
        return CLASSES;
    }

    @Override
    public Batch.Target target() {
        return Batch.Target.CLASS_PER_STEP;
    }

    @Override
    public long trainSize() {
        return -1;
    }

    @Override
    public Batch trainBatch(long seed, long index, int batchSize) {
        if (index < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + index);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        SplittableRandom rng = new SplittableRandom(SeedMix.mix(SeedMix.mix(seed, Seeds.TRAIN_STREAM), index));
        int[][] symbols = new int[batchSize][];
        for (int b = 0; b < batchSize; b++) {
            symbols[b] = draw(rng);
        }
        return batch(symbols);
    }

    @Override
    public int testSize() {
        return testSize;
    }

    @Override
    public Batch testBatch(int from, int count) {
        int n = Tasks.testRange(from, count, testSize);
        int[][] symbols = new int[n][];
        for (int b = 0; b < n; b++) {
            symbols[b] = draw(new SplittableRandom(SeedMix.mix(SeedMix.mix(testSeed, Seeds.TEST_STREAM), from + b)));
        }
        return batch(symbols);
    }

    /** The 10 symbols of one example (the only random part of it). */
    private static int[] draw(SplittableRandom rng) {
        int[] symbols = new int[SYMBOLS];
        for (int k = 0; k < SYMBOLS; k++) {
            symbols[k] = 1 + rng.nextInt(8);
        }
        return symbols;
    }

    /**
     * The batch of these examples, written time-major in one sequential pass (labels stay 0, blank,
     * where not set).
     */
    private Batch batch(int[][] symbols) {
        int batch = symbols.length, steps = steps();
        float[] inputs = new float[Seeds.checkedSize((long) steps * batch * ALPHABET, "copy batch")];
        int[] labels = new int[Seeds.checkedSize((long) steps * batch, "copy batch")];
        int delimiterStep = delay + SYMBOLS - 1;
        for (int t = 0; t < steps; t++) {
            int row = t * batch;
            for (int b = 0; b < batch; b++) {
                int symbol = t < SYMBOLS ? symbols[b][t] : t == delimiterStep ? DELIMITER : 0;
                inputs[(row + b) * ALPHABET + symbol] = 1f;
                if (t >= steps - SYMBOLS) {
                    labels[row + b] = symbols[b][t - (steps - SYMBOLS)];
                }
            }
        }
        return new Batch(batch, steps, ALPHABET, inputs, Batch.Target.CLASS_PER_STEP, labels, null, CLASSES);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("task", name());
        d.put("delay", delay);
        d.put("steps", steps());
        d.put("inputSize", ALPHABET);
        d.put("outputSize", CLASSES);
        d.put("target", Batch.Target.CLASS_PER_STEP.name());
        d.put("trainSize", -1L);
        d.put("testSize", testSize);
        d.put("testSeed", testSeed);
        d.put("memorylessCrossEntropy", memorylessCrossEntropy(delay));
        d.put("generator", "symbols 1 + SplittableRandom.nextInt(8); train batch k: "
                + "SplittableRandom(mix(mix(seed,TRAIN),k)); test example k: SplittableRandom(mix(mix(testSeed,TEST),k))");
        return Collections.unmodifiableMap(d);
    }
}
