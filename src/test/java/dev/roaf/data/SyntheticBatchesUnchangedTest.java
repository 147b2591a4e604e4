package dev.roaf.data;

import dev.roaf.engine.SeedMix;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The adding and copy batches, written time-major in one pass since the seventh session, are exactly
 * what the earlier per-example writer produced (kept here as the reference): recorded runs still
 * reproduce bit for bit.
 */
class SyntheticBatchesUnchangedTest {
    private static Batch addingReference(int length, long seed, long index, int batch) {
        float[] inputs = new float[2 * length * batch];
        float[] targets = new float[batch];
        SplittableRandom rng = new SplittableRandom(SeedMix.mix(SeedMix.mix(seed, Seeds.TRAIN_STREAM), index));
        for (int b = 0; b < batch; b++) {
            int half = length / 2;
            float[] u = new float[length];
            for (int t = 0; t < length; t++) {
                u[t] = rng.nextFloat();
                inputs[(t * batch + b) * 2] = u[t];
            }
            int i = rng.nextInt(half);
            int j = half + rng.nextInt(length - half);
            inputs[(i * batch + b) * 2 + 1] = 1f;
            inputs[(j * batch + b) * 2 + 1] = 1f;
            targets[b] = u[i] + u[j];
        }
        return new Batch(batch, length, 2, inputs, Batch.Target.REGRESSION, null, targets, 1);
    }

    private static Batch copyReference(int delay, SplittableRandom[] rngs, int batch) {
        int steps = delay + 20;
        float[] inputs = new float[steps * batch * 10];
        int[] labels = new int[steps * batch];
        for (int b = 0; b < batch; b++) {
            SplittableRandom rng = rngs[b];
            int[] symbols = new int[10];
            for (int k = 0; k < 10; k++) {
                symbols[k] = 1 + rng.nextInt(8);
            }
            for (int t = 0; t < steps; t++) {
                int symbol = t < 10 ? symbols[t] : t == delay + 9 ? 9 : 0;
                inputs[(t * batch + b) * 10 + symbol] = 1f;
                if (t >= steps - 10) {
                    labels[t * batch + b] = symbols[t - (steps - 10)];
                }
            }
        }
        return new Batch(batch, steps, 10, inputs, Batch.Target.CLASS_PER_STEP, labels, null, 9);
    }

    @Test
    void addingBatchesAreUnchanged() {
        for (int length : new int[]{2, 3, 50, 1001}) {
            for (int batch : new int[]{1, 7, 32}) {
                AddingTask task = new AddingTask(length, 40, 9);
                for (long index : new long[]{0, 1, 12345}) {
                    Batch ref = addingReference(length, 3, index, batch), b = task.trainBatch(3, index, batch);
                    assertArrayEquals(ref.inputs, b.inputs, "T=" + length + " B=" + batch + " index " + index);
                    assertArrayEquals(ref.targets, b.targets, "T=" + length + " B=" + batch + " index " + index);
                }
            }
        }
    }

    @Test
    void addingTestBatchesAreUnchanged() {
        AddingTask task = new AddingTask(100, 40, 9);
        Batch b = task.testBatch(5, 11);
        for (int k = 0; k < 11; k++) {
            SplittableRandom rng = new SplittableRandom(SeedMix.mix(SeedMix.mix(9, Seeds.TEST_STREAM), 5 + k));
            Batch one = task.testBatch(5 + k, 1);
            float[] u = new float[100];
            for (int t = 0; t < 100; t++) {
                u[t] = rng.nextFloat();
                assertArrayEquals(new float[]{u[t]}, new float[]{b.inputs[(t * 11 + k) * 2]}, "u of example " + k);
                assertArrayEquals(new float[]{one.inputs[t * 2]}, new float[]{u[t]});
            }
            int i = rng.nextInt(50), j = 50 + rng.nextInt(50);
            assertArrayEquals(new float[]{u[i] + u[j]}, new float[]{b.targets[k]}, "target of example " + k);
        }
    }

    @Test
    void copyBatchesAreUnchanged() {
        for (int delay : new int[]{1, 20, 333}) {
            for (int batch : new int[]{1, 5, 16}) {
                CopyTask task = new CopyTask(delay, 30, 9);
                SplittableRandom shared = new SplittableRandom(SeedMix.mix(SeedMix.mix(4, Seeds.TRAIN_STREAM), 77));
                SplittableRandom[] rngs = new SplittableRandom[batch];
                java.util.Arrays.fill(rngs, shared);
                Batch ref = copyReference(delay, rngs, batch), b = task.trainBatch(4, 77, batch);
                assertArrayEquals(ref.inputs, b.inputs, "delay " + delay + " B=" + batch);
                assertArrayEquals(ref.labels, b.labels, "delay " + delay + " B=" + batch);
                SplittableRandom[] tests = new SplittableRandom[batch];
                for (int k = 0; k < batch; k++) {
                    tests[k] = new SplittableRandom(SeedMix.mix(SeedMix.mix(9, Seeds.TEST_STREAM), 3 + k));
                }
                Batch tref = copyReference(delay, tests, batch), tb = task.testBatch(3, batch);
                assertArrayEquals(tref.inputs, tb.inputs, "test, delay " + delay + " B=" + batch);
                assertArrayEquals(tref.labels, tb.labels, "test, delay " + delay + " B=" + batch);
            }
        }
    }
}
