package dev.roaf.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageTaskTest {
    private static final MnistData DATA = TestData.data(23, 7, 3, 4);

    @Test
    void permutationIsAFixedPermutationOfItsSeed() {
        int[] p = Tasks.permutation(0, 784);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 784; i++) {
            assertEquals(i, sorted[i]);
        }
        assertArrayEquals(p, Tasks.permutation(0, 784), "deterministic");
        assertFalse(Arrays.equals(p, Tasks.permutation(1, 784)), "seeds differ");
        // Pinned: the rule Fisher-Yates + SplittableRandom(seed) is part of the benchmark's record.
        int[] q = new int[784];
        for (int i = 0; i < 784; i++) {
            q[i] = i;
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(0);
        for (int i = 783; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = q[i];
            q[i] = q[j];
            q[j] = t;
        }
        assertArrayEquals(q, p);
    }

    @Test
    void permutedSequenceIsTheSequencePermuted() {
        ImageTask s = new ImageTask("smnist", ImageTask.Layout.SEQUENCE, DATA, 0);
        ImageTask ps = new ImageTask("psmnist", ImageTask.Layout.PERMUTED_SEQUENCE, DATA, 5);
        int[] perm = ps.permutation();
        assertArrayEquals(Tasks.permutation(5, 12), perm);
        assertEquals(12, s.steps());
        assertEquals(1, s.inputSize());
        for (Batch[] pair : new Batch[][] {{s.trainBatch(3, 4, 5), ps.trainBatch(3, 4, 5)},
                                           {s.testBatch(2, 4), ps.testBatch(2, 4)}}) {
            Batch a = pair[0];
            Batch b = pair[1];
            assertArrayEquals(a.labels, b.labels, "same examples");
            for (int t = 0; t < 12; t++) {
                for (int i = 0; i < a.size; i++) {
                    assertEquals(a.inputs[perm[t] * a.size + i], b.inputs[t * b.size + i]);
                }
            }
        }
        List<?> recorded = (List<?>) ps.describe().get("permutation");
        assertEquals(12, recorded.size());
        assertEquals(perm[3], recorded.get(3));
        assertEquals(5L, ps.describe().get("permSeed"));
    }

    @Test
    void sequenceAndVectorCarryPixelsOver255() {
        ImageTask s = new ImageTask("smnist", ImageTask.Layout.SEQUENCE, DATA, 0);
        ImageTask v = new ImageTask("mnist", ImageTask.Layout.VECTOR, DATA, 0);
        assertEquals(0, v.steps());
        assertEquals(12, v.inputSize());
        Batch bs = s.testBatch(0, 7);
        Batch bv = v.testBatch(0, 7);
        assertEquals(0, bv.steps);
        for (int i = 0; i < 7; i++) {
            assertEquals(i % 10, bs.labels[i]);
            for (int p = 0; p < 12; p++) {
                float expect = DATA.testImages.unsigned(i * 12 + p) / 255f;
                assertEquals(expect, bs.inputs[p * 7 + i]);
                assertEquals(expect, bv.inputs[i * 12 + p]);
                assertTrue(expect >= 0f && expect <= 1f);
            }
        }
    }

    /** Identifies a training example by its first pixel, 7*i for example i < 37. */
    private static int exampleOf(Batch b, int row) {
        return Math.round(b.inputs[row * b.features] * 255f) / 7;
    }

    @Test
    void trainBatchesCoverEachEpochOnceAndArePure() {
        ImageTask v = new ImageTask("mnist", ImageTask.Layout.VECTOR, DATA, 0);
        int batch = 5;
        int perEpoch = 23 / batch; // 4: the last 3 examples of each epoch are dropped
        int[][] epochs = new int[3][];
        for (int e = 0; e < 3; e++) {
            int[] seen = new int[23];
            for (int k = 0; k < perEpoch; k++) {
                Batch b = v.trainBatch(11, (long) e * perEpoch + k, batch);
                for (int r = 0; r < batch; r++) {
                    int ex = exampleOf(b, r);
                    assertEquals(ex % 10, b.labels[r], "label follows its image");
                    seen[ex]++;
                }
            }
            assertEquals(20, Arrays.stream(seen).sum());
            assertTrue(Arrays.stream(seen).allMatch(c -> c <= 1), "no example twice in an epoch");
            epochs[e] = seen;
        }
        assertFalse(Arrays.equals(epochs[0], epochs[1]) && Arrays.equals(epochs[1], epochs[2]),
                "epochs drop different examples");
        // With a batch size dividing N every example is seen exactly once per epoch.
        int[] seen = new int[23];
        for (int k = 0; k < 23; k++) {
            seen[exampleOf(v.trainBatch(2, 23 + k, 1), 0)]++;
        }
        assertTrue(Arrays.stream(seen).allMatch(c -> c == 1));
        // Pure: the same arguments give the same batch, in any order and on a fresh instance.
        Batch late = v.trainBatch(11, 9, batch);
        v.trainBatch(11, 0, batch);
        ImageTask fresh = new ImageTask("mnist", ImageTask.Layout.VECTOR, DATA, 0);
        assertArrayEquals(late.inputs, fresh.trainBatch(11, 9, batch).inputs);
        assertArrayEquals(late.labels, v.trainBatch(11, 9, batch).labels);
        assertFalse(Arrays.equals(late.inputs, v.trainBatch(12, 9, batch).inputs), "seed matters");
        assertThrows(IllegalArgumentException.class, () -> v.trainBatch(1, 0, 24));
    }

    @Test
    void testBatchesCoverTheTestSet() {
        ImageTask v = new ImageTask("mnist", ImageTask.Layout.VECTOR, DATA, 0);
        int seen = 0;
        for (int from = 0; from < v.testSize(); from += 3) {
            Batch b = v.testBatch(from, 3);
            for (int r = 0; r < b.size; r++) {
                assertEquals((from + r) % 10, b.labels[r]);
            }
            seen += b.size;
        }
        assertEquals(7, seen);
        assertEquals(1, v.testBatch(6, 3).size);
    }

    @Test
    void describeIsARecord() {
        Map<String, Object> d = new ImageTask("smnist", ImageTask.Layout.SEQUENCE, DATA, 0).describe();
        assertEquals("smnist", d.get("task"));
        assertEquals(12, d.get("steps"));
        assertEquals("test", d.get("source"));
        assertFalse(d.containsKey("permutation"));
    }
}
