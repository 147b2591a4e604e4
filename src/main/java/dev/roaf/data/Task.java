package dev.roaf.data;

import java.util.Map;

/**
 * A learning task: a deterministic source of training batches plus a fixed test set.
 *
 * <p>Determinism is what makes resumed training exact: {@link #trainBatch} is a pure function of
 * {@code (seed, index, batchSize)}, so a run restarted at batch {@code k} sees exactly the batches it would have seen.
 * Implementations are immutable apart from private caches and are safe to share between threads.
 */
public interface Task {
    /** The task's name as given to {@link Tasks#create}, e.g. {@code "psmnist"}. */
    String name();

    /** T, the number of steps per sequence; 0 for vector tasks. */
    int steps();

    /** D, the input size per step (or the vector length). */
    int inputSize();

    /** The number of classes, or the regression width. */
    int outputSize();

    /** The kind of target the batches carry. */
    Batch.Target target();

    /** Training examples per epoch, or -1 for an endless synthetic stream. */
    long trainSize();

    /**
     * Batch number {@code index} (0-based, counting from the start of training) for a run seeded with {@code seed}.
     * A pure function of {@code (seed, index, batchSize)}: datasets shuffle each epoch with a permutation drawn from
     * {@code (seed, epoch)} and drop the last partial batch (batches per epoch = {@code trainSize / batchSize});
     * synthetic tasks draw batch {@code index} from a generator seeded by mixing {@code (seed, index)}.
     *
     * @throws IllegalArgumentException if {@code index < 0}, {@code batchSize < 1}, or a dataset has fewer than
     *                                  {@code batchSize} examples
     */
    Batch trainBatch(long seed, long index, int batchSize);

    /** The number of examples in the fixed test set. */
    int testSize();

    /**
     * Test examples {@code [from, from+count)} as one batch; the batch is smaller than {@code count} when the range
     * runs past the end of the test set.
     *
     * @throws IllegalArgumentException if {@code from} is outside {@code [0, testSize())} or {@code count < 1}
     */
    Batch testBatch(int from, int count);

    /**
     * What a run record must keep to reproduce the data: task name, T, permutation (psmnist/psfashion: the 784
     * ints), files used with SHA-256, sample note, generator seeds. An unmodifiable map of strings, numbers, booleans,
     * lists and maps (JSON-ready).
     */
    Map<String, Object> describe();
}
