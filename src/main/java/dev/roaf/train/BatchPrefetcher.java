package dev.roaf.train;

import dev.roaf.data.Batch;
import dev.roaf.data.Task;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Draws the next training batch on a background thread while the current step computes, so that
 * making batches (a synthetic adding or copy batch of T = 10,000 steps and 128 sequences takes tens
 * of milliseconds on the host) overlaps the step instead of adding to it.
 *
 * <p>The batches are the task's, in the same order: batch {@code k} is {@code task.trainBatch(seed,
 * k, batchSize)} whichever thread draws it (a pure function, and tasks are safe to share between
 * threads), so results do not change. It draws ahead only for engines that compute beside the host
 * (a GPU); {@code -Droaf.prefetch=false} turns it off there too (for measurements).
 */
final class BatchPrefetcher implements AutoCloseable {
    private final Task task;
    private final long seed;
    private final int batchSize;
    private final long end;
    private final ExecutorService thread;
    private Future<Batch> next;
    private long nextIndex = -1;

    /**
     * @param end       one past the last batch index the run will take (no batch is drawn ahead beyond it)
     * @param drawAhead whether to draw ahead at all ({@code Engine.overlapsHostWork()}: on the CPU engine,
     *                  whose threads take every core, a batch thread would only get in their way)
     */
    BatchPrefetcher(Task task, long seed, int batchSize, long end, boolean drawAhead) {
        this.task = task;
        this.seed = seed;
        this.batchSize = batchSize;
        this.end = end;
        this.thread = !drawAhead || "false".equalsIgnoreCase(System.getProperty("roaf.prefetch")) ? null
                : Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "roaf-batch-prefetch");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Batch {@code index}: the one drawn ahead when it is that one; then starts drawing {@code index + 1}. */
    Batch take(long index) {
        Batch b = next != null && nextIndex == index ? await(next) : task.trainBatch(seed, index, batchSize);
        next = null;
        if (thread != null && index + 1 < end) {
            long k = index + 1;
            nextIndex = k;
            next = thread.submit(() -> task.trainBatch(seed, k, batchSize));
        }
        return b;
    }

    private static Batch await(Future<Batch> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("drawing a training batch failed", c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the next training batch", e);
        }
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
