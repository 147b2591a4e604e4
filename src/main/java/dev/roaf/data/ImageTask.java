package dev.roaf.data;

import dev.roaf.engine.SeedMix;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classification of MNIST-layout images (roaf-math.md section 4), in one of three layouts: as a pixel sequence
 * (sMNIST: T = 784 steps of input size 1, classify after the last step), as a permuted pixel sequence (psMNIST: step
 * {@code t} shows pixel {@code perm[t]} of the row-major image, one fixed permutation for the whole run), or as a
 * vector (input {@code [B, 784]}, steps 0). Pixel values are {@code byte / 255} in [0, 1]; labels are CLASS over 10.
 *
 * <p>Training order: epoch {@code e} visits the training set in the order of a Fisher-Yates permutation drawn from
 * {@code SplittableRandom(mix(mix(seed, EPOCH), e))}; batch {@code k} of the run is batch {@code k mod (N / B)} of
 * epoch {@code k / (N / B)}; the last partial batch of each epoch is dropped.
 */
public final class ImageTask implements Task {
    /** How an image is presented to the model. */
    public enum Layout {
        /** One pixel per step, row-major (sMNIST). */
        SEQUENCE,
        /** One pixel per step in a fixed random order (psMNIST). */
        PERMUTED_SEQUENCE,
        /** The whole image as one vector (MLP). */
        VECTOR
    }

    private final String name;
    private final Layout layout;
    private final MnistData data;
    private final long permSeed;
    private final int[] perm;
    /** The last epoch order computed, reused by the batches of the same epoch; replaced atomically. */
    private volatile EpochOrder lastOrder;

    private record EpochOrder(long seed, long epoch, int[] order) {
    }

    /**
     * Creates the task over loaded data.
     *
     * @param name     the task name recorded in {@link #describe()}
     * @param layout   how images are presented
     * @param data     the dataset
     * @param permSeed the seed of the pixel permutation ({@link Tasks#permutation}); used by PERMUTED_SEQUENCE only
     */
    public ImageTask(String name, Layout layout, MnistData data, long permSeed) {
        this.name = name;
        this.layout = layout;
        this.data = data;
        this.permSeed = permSeed;
        this.perm = layout == Layout.PERMUTED_SEQUENCE ? Tasks.permutation(permSeed, data.pixels()) : null;
    }

    /** The pixel permutation (step t shows pixel {@code perm[t]}), a copy; null unless PERMUTED_SEQUENCE. */
    public int[] permutation() {
        return perm == null ? null : perm.clone();
    }

    /** The layout. */
    public Layout layout() {
        return layout;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int steps() {
        return layout == Layout.VECTOR ? 0 : data.pixels();
    }

    @Override
    public int inputSize() {
        return layout == Layout.VECTOR ? data.pixels() : 1;
    }

    @Override
    public int outputSize() {
        return MnistData.CLASSES;
    }

    @Override
    public Batch.Target target() {
        return Batch.Target.CLASS;
    }

    @Override
    public long trainSize() {
        return data.trainCount();
    }

    @Override
    public Batch trainBatch(long seed, long index, int batchSize) {
        if (index < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + index);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        int n = data.trainCount();
        if (batchSize > n) {
            throw new IllegalArgumentException(name + ": batch size " + batchSize + " exceeds the " + n
                    + " training examples");
        }
        long perEpoch = n / batchSize;
        long epoch = index / perEpoch;
        int first = (int) (index % perEpoch) * batchSize;
        int[] order = epochOrder(seed, epoch);
        int[] rows = new int[batchSize];
        System.arraycopy(order, first, rows, 0, batchSize);
        return gather(data.trainImages, data.trainLabels, rows);
    }

    private int[] epochOrder(long seed, long epoch) {
        EpochOrder o = lastOrder;
        if (o == null || o.seed != seed || o.epoch != epoch) {
            o = new EpochOrder(seed, epoch,
                    Seeds.permutation(SeedMix.mix(SeedMix.mix(seed, Seeds.EPOCH_SHUFFLE), epoch), data.trainCount()));
            lastOrder = o;
        }
        return o.order;
    }

    @Override
    public int testSize() {
        return data.testCount();
    }

    @Override
    public Batch testBatch(int from, int count) {
        int n = Tasks.testRange(from, count, data.testCount());
        int[] rows = new int[n];
        for (int b = 0; b < n; b++) {
            rows[b] = from + b;
        }
        return gather(data.testImages, data.testLabels, rows);
    }

    /** Builds a batch of the given example rows. */
    private Batch gather(IdxArray images, IdxArray labelArray, int[] rows) {
        int batch = rows.length;
        int pixels = data.pixels();
        float[] inputs = new float[Seeds.checkedSize((long) batch * pixels, name + " batch")];
        int[] labels = new int[batch];
        byte[] px = images.data;
        for (int b = 0; b < batch; b++) {
            int base = rows[b] * pixels;
            labels[b] = labelArray.unsigned(rows[b]);
            if (layout == Layout.VECTOR) {
                for (int p = 0; p < pixels; p++) {
                    inputs[b * pixels + p] = (px[base + p] & 0xff) / 255f;
                }
            } else {
                // time-major [T, B, 1]: step t of example b at t*B + b
                for (int t = 0; t < pixels; t++) {
                    int p = perm == null ? t : perm[t];
                    inputs[t * batch + b] = (px[base + p] & 0xff) / 255f;
                }
            }
        }
        return layout == Layout.VECTOR
                ? new Batch(batch, 0, pixels, inputs, Batch.Target.CLASS, labels, null, MnistData.CLASSES)
                : new Batch(batch, pixels, 1, inputs, Batch.Target.CLASS, labels, null, MnistData.CLASSES);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("task", name);
        d.put("layout", layout.name());
        d.put("steps", steps());
        d.put("inputSize", inputSize());
        d.put("outputSize", outputSize());
        d.put("target", Batch.Target.CLASS.name());
        d.put("trainSize", trainSize());
        d.put("testSize", testSize());
        d.put("pixelScale", "byte / 255");
        if (perm != null) {
            d.put("permSeed", permSeed);
            d.put("permutationRule", "Fisher-Yates over 0.." + (perm.length - 1)
                    + ": for i = n-1 down to 1 swap p[i], p[r.nextInt(i+1)], r = new java.util.SplittableRandom(permSeed);"
                    + " step t shows pixel p[t]");
            d.put("permutation", List.of(Arrays.stream(perm).boxed().toArray(Integer[]::new)));
        }
        d.put("shuffle", "per epoch e: Fisher-Yates with SplittableRandom(mix(mix(seed, EPOCH), e)); "
                + "last partial batch dropped");
        d.putAll(data.provenance());
        return Collections.unmodifiableMap(d);
    }
}
