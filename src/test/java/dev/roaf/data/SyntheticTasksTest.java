package dev.roaf.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SyntheticTasksTest {
    /** Checks adding's definition on every example of a batch. */
    private static void checkAdding(Batch batch, int length) {
        assertEquals(Batch.Target.REGRESSION, batch.target);
        assertEquals(length, batch.steps);
        assertEquals(2, batch.features);
        int b0 = batch.size;
        for (int b = 0; b < b0; b++) {
            int first = 0;
            int second = 0;
            float sum = 0;
            for (int t = 0; t < length; t++) {
                float u = batch.inputs[(t * b0 + b) * 2];
                float m = batch.inputs[(t * b0 + b) * 2 + 1];
                assertTrue(u >= 0f && u <= 1f, "u in [0,1]");
                assertTrue(m == 0f || m == 1f, "marker is 0 or 1");
                if (m == 1f) {
                    if (t < length / 2) {
                        first++;
                    } else {
                        second++;
                    }
                    sum += u;
                }
            }
            assertEquals(1, first, "exactly one marker in [0, T/2)");
            assertEquals(1, second, "exactly one marker in [T/2, T)");
            assertEquals(sum, batch.targets[b], 0f, "target = sum of the marked values");
        }
    }

    @Test
    void addingFollowsTheDefinition() {
        for (int length : new int[] {2, 3, 7, 50}) {
            AddingTask task = new AddingTask(length, 20, 5);
            checkAdding(task.trainBatch(1, 0, 16), length);
            checkAdding(task.trainBatch(1, 123_456_789_012L, 3), length);
            checkAdding(task.testBatch(0, 20), length);
        }
        AddingTask task = new AddingTask(1000, 10, 5);
        assertEquals(1000, task.steps());
        assertEquals(-1, task.trainSize());
        assertThrows(IllegalArgumentException.class, () -> new AddingTask(1, 10, 0));
    }

    @Test
    void addingBaselineIsAboutOneSixth() {
        AddingTask task = new AddingTask(20, 10, 5);
        double se = 0;
        int n = 0;
        for (int k = 0; k < 20; k++) {
            Batch b = task.trainBatch(9, k, 500);
            for (float y : b.targets) {
                se += (y - 1.0) * (y - 1.0);
                n++;
            }
        }
        assertEquals(AddingTask.baselineMse(), se / n, 0.01);
        assertEquals(1.0 / 6.0, AddingTask.BASELINE_MSE, 1e-15);
    }

    /** Checks copy's layout on every example of a batch. */
    private static void checkCopy(Batch batch, int delay) {
        int steps = delay + 20;
        assertEquals(Batch.Target.CLASS_PER_STEP, batch.target);
        assertEquals(steps, batch.steps);
        assertEquals(10, batch.features);
        assertEquals(9, batch.outputs);
        int n = batch.size;
        for (int b = 0; b < n; b++) {
            int[] symbol = new int[steps];
            for (int t = 0; t < steps; t++) {
                int hot = -1;
                for (int d = 0; d < 10; d++) {
                    float v = batch.inputs[(t * n + b) * 10 + d];
                    assertTrue(v == 0f || v == 1f);
                    if (v == 1f) {
                        assertEquals(-1, hot, "one-hot");
                        hot = d;
                    }
                }
                assertTrue(hot >= 0, "one-hot");
                symbol[t] = hot;
            }
            for (int t = 0; t < steps; t++) {
                int label = batch.labels[t * n + b];
                if (t <= 9) {
                    assertTrue(symbol[t] >= 1 && symbol[t] <= 8, "data symbol at step " + t);
                } else if (t == delay + 9) {
                    assertEquals(9, symbol[t], "delimiter at T+9");
                } else {
                    assertEquals(0, symbol[t], "blank at step " + t);
                }
                if (t >= delay + 10) {
                    assertEquals(symbol[t - delay - 10], label, "label repeats the symbols");
                } else {
                    assertEquals(0, label, "blank label at step " + t);
                }
            }
        }
    }

    @Test
    void copyFollowsTheLayout() {
        for (int delay : new int[] {1, 2, 30}) {
            CopyTask task = new CopyTask(delay, 8, 3);
            checkCopy(task.trainBatch(4, 0, 5), delay);
            checkCopy(task.trainBatch(4, 77, 1), delay);
            checkCopy(task.testBatch(2, 100), delay);
        }
        assertThrows(IllegalArgumentException.class, () -> new CopyTask(0, 8, 3));
        assertEquals(10 * Math.log(8) / 120, CopyTask.memorylessCrossEntropy(100), 1e-15);
    }

    @Test
    void copyHandlesLongDelays() {
        CopyTask task = new CopyTask(10_000, 4, 3);
        Batch b = task.trainBatch(1, 2, 128);
        assertEquals(10_020 * 128 * 10, b.inputs.length);
        int n = b.size;
        for (int bb = 0; bb < n; bb += 31) {
            assertEquals(1f, b.inputs[((10_009) * n + bb) * 10 + 9], "delimiter at T+9");
            int s = b.labels[10_010 * n + bb];
            assertEquals(1f, b.inputs[(0 * n + bb) * 10 + s], "first label = first symbol");
        }
    }

    @Test
    void syntheticBatchesArePureFunctions() {
        Task[] tasks = {new AddingTask(12, 10, 1), new CopyTask(5, 10, 1)};
        for (Task task : tasks) {
            Batch a = task.trainBatch(42, 7, 4);
            Batch again = task.trainBatch(42, 7, 4);
            assertArrayEquals(a.inputs, again.inputs);
            assertFalse(java.util.Arrays.equals(a.inputs, task.trainBatch(42, 8, 4).inputs), "index matters");
            assertFalse(java.util.Arrays.equals(a.inputs, task.trainBatch(43, 7, 4).inputs), "seed matters");
            // The test set is the same whatever the slicing.
            Batch all = task.testBatch(0, 10);
            Batch tail = task.testBatch(6, 10);
            assertEquals(4, tail.size, "clipped at the end");
            Batch head = task.testBatch(0, 6);
            int d = task.inputSize();
            for (int t = 0; t < task.steps(); t++) {
                for (int b = 0; b < 10; b++) {
                    for (int k = 0; k < d; k++) {
                        float expect = all.inputs[(t * 10 + b) * d + k];
                        float got = b < 6 ? head.inputs[(t * 6 + b) * d + k] : tail.inputs[(t * 4 + b - 6) * d + k];
                        assertEquals(expect, got);
                    }
                }
            }
            assertThrows(IllegalArgumentException.class, () -> task.testBatch(10, 1));
            assertThrows(IllegalArgumentException.class, () -> task.trainBatch(1, -1, 4));
        }
    }

    @Test
    void testSetDependsOnTestSeedOnly() {
        Batch a = new AddingTask(10, 5, 1).testBatch(0, 5);
        Batch b = new AddingTask(10, 5, 1).testBatch(0, 5);
        assertArrayEquals(a.inputs, b.inputs);
        assertFalse(java.util.Arrays.equals(a.inputs, new AddingTask(10, 5, 2).testBatch(0, 5).inputs));
    }
}
