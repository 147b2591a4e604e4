package dev.roaf.data;

import dev.roaf.engine.SeedMix;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The adding problem with sequences of T steps (roaf-math.md section 4): input {@code (u_t, m_t)} per step with
 * {@code u_t ~ U[0,1)} and the marker {@code m_t = 1} at exactly two steps, {@code i} uniform in {@code [0, T/2)}
 * and {@code j} uniform in {@code [T/2, T)}, else 0; the target is {@code u_i + u_j} (REGRESSION, width 1, MSE).
 *
 * <p>Batches: inputs time-major {@code [T, B, 2]} with {@code u} at feature 0 and {@code m} at feature 1; targets
 * {@code [B, 1]}. Training batch {@code index} comes from {@code SplittableRandom(mix(mix(seed, TRAIN), index))};
 * test example {@code k} from {@code SplittableRandom(mix(mix(testSeed, TEST), k))}, so any slice of the test set is
 * the same whatever the slicing. The stream is endless: {@link #trainSize()} is -1.
 */
public final class AddingTask implements Task {
    /** The default sequence length T. */
    public static final int DEFAULT_LENGTH = 1000;
    /** The MSE of always predicting 1, the mean target: the variance of a sum of two U[0,1] values, 1/6. */
    public static final double BASELINE_MSE = 1.0 / 6.0;

    private final int length;
    private final int testSize;
    private final long testSeed;

    /**
     * Creates the task.
     *
     * @param length   T, at least 2 (each half needs a marker)
     * @param testSize examples in the fixed test set, at least 1
     * @param testSeed seed of the test set
     */
    public AddingTask(int length, int testSize, long testSeed) {
        if (length < 2) {
            throw new IllegalArgumentException("adding: length T must be >= 2 (one marker in each half), got "
                    + length);
        }
        if (testSize < 1) {
            throw new IllegalArgumentException("adding: testSize must be >= 1, got " + testSize);
        }
        this.length = length;
        this.testSize = testSize;
        this.testSeed = testSeed;
    }

    /** The MSE of the constant prediction 1 (about 0.167): a model has learned something only well below it. */
    public static double baselineMse() {
        return BASELINE_MSE;
    }

    @Override
    public String name() {
        return "adding";
    }

    @Override
    public int steps() {
        return length;
    }

    @Override
    public int inputSize() {
        return 2;
    }

    @Override
    public int outputSize() {
        return 1;
    }

    @Override
    public Batch.Target target() {
        return Batch.Target.REGRESSION;
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
        Examples e = new Examples(batchSize);
        for (int b = 0; b < batchSize; b++) {
            e.draw(rng, b);
        }
        return e.batch();
    }

    @Override
    public int testSize() {
        return testSize;
    }

    @Override
    public Batch testBatch(int from, int count) {
        int n = Tasks.testRange(from, count, testSize);
        Examples e = new Examples(n);
        for (int b = 0; b < n; b++) {
            e.draw(new SplittableRandom(SeedMix.mix(SeedMix.mix(testSeed, Seeds.TEST_STREAM), from + b)), b);
        }
        return e.batch();
    }

    /**
     * The examples of one batch, drawn one after another (u_0..u_{T-1}, then i, then j, per example:
     * the order that fixes the data) into example-major rows, then written time-major in one
     * sequential pass; writing each example straight into the time-major array strides through all of
     * it once per example, which at T = 10,000 costs more than the draws.
     */
    private final class Examples {
        final int batch;
        final float[] u;
        final int[] first;
        final int[] second;

        Examples(int batch) {
            this.batch = batch;
            this.u = new float[Seeds.checkedSize((long) length * batch, "adding batch")];
            this.first = new int[batch];
            this.second = new int[batch];
        }

        void draw(SplittableRandom rng, int b) {
            int half = length / 2, row = b * length;
            for (int t = 0; t < length; t++) {
                u[row + t] = rng.nextFloat();
            }
            first[b] = rng.nextInt(half);
            second[b] = half + rng.nextInt(length - half);
        }

        Batch batch() {
            float[] inputs = new float[Seeds.checkedSize(2L * length * batch, "adding batch")];
            float[] targets = new float[batch];
            for (int t = 0; t < length; t++) {
                int o = t * batch * 2;
                for (int b = 0; b < batch; b++) {
                    inputs[o + 2 * b] = u[b * length + t];
                }
            }
            for (int b = 0; b < batch; b++) {
                inputs[(first[b] * batch + b) * 2 + 1] = 1f;
                inputs[(second[b] * batch + b) * 2 + 1] = 1f;
                targets[b] = u[b * length + first[b]] + u[b * length + second[b]];
            }
            return new Batch(batch, length, 2, inputs, Batch.Target.REGRESSION, null, targets, 1);
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("task", name());
        d.put("steps", length);
        d.put("inputSize", 2);
        d.put("outputSize", 1);
        d.put("target", Batch.Target.REGRESSION.name());
        d.put("trainSize", -1L);
        d.put("testSize", testSize);
        d.put("testSeed", testSeed);
        d.put("baselineMse", BASELINE_MSE);
        d.put("generator", "u_t ~ U[0,1) (SplittableRandom.nextFloat); markers i in [0,T/2), j in [T/2,T); "
                + "train batch k: SplittableRandom(mix(mix(seed,TRAIN),k)); test example k: "
                + "SplittableRandom(mix(mix(testSeed,TEST),k))");
        return Collections.unmodifiableMap(d);
    }
}
