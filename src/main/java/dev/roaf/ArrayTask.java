package dev.roaf;

import dev.roaf.data.Batch;
import dev.roaf.data.Task;
import dev.roaf.data.Tasks;
import dev.roaf.engine.SeedMix;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The internal {@link Task} behind a {@link Dataset} built from arrays: epoch shuffles, time-major batches. */
final class ArrayTask implements Task {
    /** Domain tag of the epoch shuffle seeds ("ARRAY"). */
    private static final long SHUFFLE_TAG = 0x4152524159L;

    /**
     * One split, flattened per example.
     *
     * @param steps    T (0 for vectors)
     * @param features D
     * @param width    classes needed (largest label + 1) or regression width
     * @param inputs   per example {@code [T*D]} (step-major) or {@code [D]}
     * @param labels   per example {@code [1]} or {@code [T]}; null for regression
     * @param targets  per example {@code [C]}; null for classes
     */
    record Data(int steps, int features, int width, float[][] inputs, int[][] labels, float[][] targets) {
        int size() {
            return inputs.length;
        }

        String shape() {
            return size() + " x " + (steps > 0 ? steps + " steps x " : "") + features + " features";
        }
    }

    private record Order(long seed, long epoch, int[] rows) {
    }

    private final String name;
    private final TargetType target;
    private final int outputs;
    private final Data train;
    private final Data test;
    private volatile Order lastOrder;

    ArrayTask(String name, TargetType target, int outputs, Data train, Data test) {
        this.name = name;
        this.target = target;
        this.outputs = outputs;
        this.train = train;
        this.test = test;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int steps() {
        return train.steps();
    }

    @Override
    public int inputSize() {
        return train.features();
    }

    @Override
    public int outputSize() {
        return outputs;
    }

    @Override
    public Batch.Target target() {
        return target.internal();
    }

    @Override
    public long trainSize() {
        return train.size();
    }

    @Override
    public Batch trainBatch(long seed, long index, int batchSize) {
        if (index < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + index);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        int n = train.size();
        if (batchSize > n) {
            throw new IllegalArgumentException(name + ": batch size " + batchSize + " exceeds the " + n + " training examples");
        }
        long perEpoch = n / batchSize;
        long epoch = index / perEpoch;
        int first = (int) (index % perEpoch) * batchSize;
        Order o = lastOrder;
        if (o == null || o.seed != seed || o.epoch != epoch) {
            o = new Order(seed, epoch, Tasks.permutation(mix(mix(seed, SHUFFLE_TAG), epoch), n));
            lastOrder = o;
        }
        int[] rows = new int[batchSize];
        System.arraycopy(o.rows, first, rows, 0, batchSize);
        return gather(train, rows);
    }

    @Override
    public int testSize() {
        return test.size();
    }

    @Override
    public Batch testBatch(int from, int count) {
        if (from < 0 || from >= test.size()) {
            throw new IllegalArgumentException("test range start " + from + " is outside [0, " + test.size() + ")");
        }
        if (count < 1) {
            throw new IllegalArgumentException("test batch count must be >= 1, got " + count);
        }
        int m = Math.min(count, test.size() - from);
        int[] rows = new int[m];
        for (int i = 0; i < m; i++) {
            rows[i] = from + i;
        }
        return gather(test, rows);
    }

    /** A time-major batch of the given examples. */
    private Batch gather(Data d, int[] rows) {
        int b = rows.length, t = d.steps(), f = d.features();
        float[] x = new float[Math.multiplyExact(Math.multiplyExact(Math.max(t, 1), b), f)];
        for (int i = 0; i < b; i++) {
            float[] src = d.inputs()[rows[i]];
            if (t == 0) {
                System.arraycopy(src, 0, x, i * f, f);
            } else {
                for (int s = 0; s < t; s++) {
                    System.arraycopy(src, s * f, x, (s * b + i) * f, f);
                }
            }
        }
        switch (target) {
            case CLASS -> {
                int[] y = new int[b];
                for (int i = 0; i < b; i++) {
                    y[i] = d.labels()[rows[i]][0];
                }
                return new Batch(b, t, f, x, Batch.Target.CLASS, y, null, outputs);
            }
            case CLASS_PER_STEP -> {
                int[] y = new int[t * b];
                for (int i = 0; i < b; i++) {
                    int[] l = d.labels()[rows[i]];
                    for (int s = 0; s < t; s++) {
                        y[s * b + i] = l[s];
                    }
                }
                return new Batch(b, t, f, x, Batch.Target.CLASS_PER_STEP, y, null, outputs);
            }
            default -> {
                float[] z = new float[b * outputs];
                for (int i = 0; i < b; i++) {
                    System.arraycopy(d.targets()[rows[i]], 0, z, i * outputs, outputs);
                }
                return new Batch(b, t, f, x, Batch.Target.REGRESSION, null, z, outputs);
            }
        }
    }

    /** Mixes two values into an unrelated seed (unlike {@link SeedMix#mix}, {@code a} is not finalised first). */
    private static long mix(long a, long b) {
        return SeedMix.fmix(a + 0x9e3779b97f4a7c15L * (b + 1));
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", name);
        m.put("source", "in-memory arrays (dev.roaf.Dataset.builder())");
        m.put("steps", steps());
        m.put("inputSize", inputSize());
        m.put("outputSize", outputs);
        m.put("target", target.internal().name());
        m.put("trainSize", trainSize());
        m.put("testSize", testSize());
        m.put("testIsTrain", test == train);
        m.put("shuffle", "per epoch: Tasks.permutation(mix(mix(seed, ARRAY), epoch), trainSize)");
        return Collections.unmodifiableMap(m);
    }
}
