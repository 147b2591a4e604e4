package dev.roaf.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BatchTest {
    @Test
    void acceptsConsistentShapes() {
        Batch seq = new Batch(2, 3, 4, new float[24], Batch.Target.CLASS, new int[] {1, -1}, null, 10);
        assertTrue(seq.isSequence());
        Batch per = new Batch(2, 3, 1, new float[6], Batch.Target.CLASS_PER_STEP, new int[6], null, 9);
        assertEquals(9, per.outputs);
        Batch vec = new Batch(2, 0, 5, new float[10], Batch.Target.REGRESSION, null, new float[6], 3);
        assertEquals(0, vec.steps);
    }

    private static void assertRejected(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    @Test
    void rejectsWrongLengths() {
        assertRejected("inputs has length 23, expected 24 [T=3, B=2, D=4]",
                () -> new Batch(2, 3, 4, new float[23], Batch.Target.CLASS, new int[2], null, 10));
        assertRejected("inputs has length 9, expected 10 [B=2, D=5]",
                () -> new Batch(2, 0, 5, new float[9], Batch.Target.CLASS, new int[2], null, 10));
        assertRejected("labels has length 2, expected 6",
                () -> new Batch(2, 3, 1, new float[6], Batch.Target.CLASS_PER_STEP, new int[2], null, 9));
        assertRejected("targets has length 5, expected 6",
                () -> new Batch(2, 0, 5, new float[10], Batch.Target.REGRESSION, null, new float[5], 3));
        assertRejected("labels must not be null",
                () -> new Batch(2, 0, 5, new float[10], Batch.Target.CLASS, null, null, 3));
        assertRejected("targets must be null",
                () -> new Batch(2, 0, 5, new float[10], Batch.Target.CLASS, new int[2], new float[2], 3));
        assertRejected("labels must be null",
                () -> new Batch(2, 0, 5, new float[10], Batch.Target.REGRESSION, new int[2], new float[6], 3));
        assertRejected("needs a sequence",
                () -> new Batch(2, 0, 5, new float[10], Batch.Target.CLASS_PER_STEP, new int[2], null, 3));
        assertRejected("labels[1] = 10",
                () -> new Batch(2, 0, 5, new float[10], Batch.Target.CLASS, new int[] {0, 10}, null, 10));
        assertRejected("batch size must be >= 1",
                () -> new Batch(0, 0, 5, new float[0], Batch.Target.CLASS, new int[0], null, 10));
    }
}
