package dev.roaf.train;

import dev.roaf.data.AddingTask;
import dev.roaf.data.Batch;
import dev.roaf.data.Task;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchPrefetcherTest {
    /** The adding task, recording which thread drew which batch, failing at one index. */
    private static final class Recording implements Task {
        final AddingTask inner = new AddingTask(20, 10, 1);
        final List<String> drawnBy = new CopyOnWriteArrayList<>();
        final long failAt;

        Recording(long failAt) {
            this.failAt = failAt;
        }

        @Override
        public Batch trainBatch(long seed, long index, int batchSize) {
            drawnBy.add(index + ":" + Thread.currentThread().getName());
            if (index == failAt) {
                throw new IllegalArgumentException("no batch " + index);
            }
            return inner.trainBatch(seed, index, batchSize);
        }

        @Override public String name() { return inner.name(); }
        @Override public int steps() { return inner.steps(); }
        @Override public int inputSize() { return inner.inputSize(); }
        @Override public int outputSize() { return inner.outputSize(); }
        @Override public Batch.Target target() { return inner.target(); }
        @Override public long trainSize() { return inner.trainSize(); }
        @Override public int testSize() { return inner.testSize(); }
        @Override public Batch testBatch(int from, int count) { return inner.testBatch(from, count); }
        @Override public Map<String, Object> describe() { return inner.describe(); }
    }

    @Test
    void givesTheTasksBatchesInOrderDrawnAhead() {
        Recording task = new Recording(-1);
        try (BatchPrefetcher p = new BatchPrefetcher(task, 7, 4, 6, true)) {
            for (long k = 2; k < 6; k++) {   // a resumed run starts past 0
                Batch b = p.take(k), ref = task.inner.trainBatch(7, k, 4);
                assertArrayEquals(ref.inputs, b.inputs, "batch " + k);
                assertArrayEquals(ref.targets, b.targets, "batch " + k);
            }
        }
        assertEquals("2:" + Thread.currentThread().getName(), task.drawnBy.get(0), "the first batch is drawn on the caller");
        for (String s : task.drawnBy.subList(1, task.drawnBy.size())) {
            assertTrue(s.endsWith(":roaf-batch-prefetch"), s);
        }
        assertEquals(4, task.drawnBy.size(), "nothing is drawn past the last index: " + task.drawnBy);
    }

    @Test
    void aFailureSurfacesAtTheStepThatNeedsTheBatch() {
        Recording task = new Recording(3);
        try (BatchPrefetcher p = new BatchPrefetcher(task, 7, 4, 10, true)) {
            p.take(1);
            p.take(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.take(3));
            assertEquals("no batch 3", e.getMessage());
        }
    }

    @Test
    void anUnexpectedIndexIsDrawnDirectly() {
        Recording task = new Recording(-1);
        try (BatchPrefetcher p = new BatchPrefetcher(task, 7, 4, 10, true)) {
            p.take(0);
            Batch b = p.take(5);
            assertArrayEquals(task.inner.trainBatch(7, 5, 4).inputs, b.inputs);
        }
    }

    @Test
    void withoutDrawingAheadEveryBatchIsDrawnOnTheCaller() {
        Recording task = new Recording(-1);
        try (BatchPrefetcher p = new BatchPrefetcher(task, 7, 4, 10, false)) {
            for (long k = 0; k < 4; k++) {
                p.take(k);
            }
        }
        assertEquals(4, task.drawnBy.size());
        for (String s : task.drawnBy) {
            assertTrue(s.endsWith(":" + Thread.currentThread().getName()), s);
        }
    }
}
