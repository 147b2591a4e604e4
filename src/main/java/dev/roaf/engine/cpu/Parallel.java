package dev.roaf.engine.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;

/** A fixed pool of worker threads owned by one CPU engine, with a static-partition parallel for. */
final class Parallel implements AutoCloseable {

    /** Work on the index range {@code [from, to)} by worker {@code part}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int part, int from, int to);
    }

    private final int threads;
    private final ForkJoinPool pool;

    Parallel(int threads) {
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads) : null;
    }

    int threads() {
        return threads;
    }

    /**
     * Splits {@code [0, n)} into at most {@code threads} contiguous parts, each a multiple of
     * {@code grain} long except the last, and runs them in parallel (inline when one part).
     * Static partitioning keeps each worker on its own rows for a whole sequence, which is what
     * lets the recurrences run T steps without synchronising.
     */
    void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int parts = Math.min(threads, Math.max(1, (n + grain - 1) / grain));
        if (parts == 1 || pool == null) {
            body.run(0, 0, n);
            return;
        }
        int units = (n + grain - 1) / grain;
        int[] bounds = new int[parts + 1];
        for (int p = 0; p < parts; p++) {
            int u = units / parts + (p < units % parts ? 1 : 0);
            bounds[p + 1] = Math.min(n, bounds[p] + u * grain);
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int p = 0; p < parts - 1; p++) {
            final int part = p, from = bounds[p], to = bounds[p + 1];
            futures.add(pool.submit(() -> body.run(part, from, to)));
        }
        // The calling thread does the last part itself instead of idling.
        int lastFrom = bounds[parts - 1];
        Throwable failure = null;
        try {
            body.run(parts - 1, lastFrom, n);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException("parallel operation interrupted", failure);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
