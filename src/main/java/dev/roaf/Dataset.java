package dev.roaf;

import dev.roaf.data.Task;

import java.util.Map;
import java.util.Objects;

/**
 * Training and test examples for a {@link Trainer}: either the caller's own arrays (built with
 * {@link #builder()}) or one of roaf's built-in tasks ({@link Datasets#builtIn}).
 *
 * <p>Examples are sequences ({@code steps() > 0}, each {@code float[steps][features]}, read by
 * recurrent models) or vectors ({@code steps() == 0}, each {@code float[features]}, read by MLPs),
 * with class labels or real-valued targets ({@link #targetType()}). Training batches are a pure
 * function of the trainer's seed and the step: a dataset shuffles its examples once per epoch with a
 * permutation drawn from {@code (seed, epoch)} and drops the last partial batch; synthetic built-in
 * tasks generate an endless stream instead ({@link #trainSize()} is -1).
 *
 * <p>A dataset holds host (Java heap) memory only, is immutable and may be shared between threads
 * and trainers; it needs no closing.
 */
public final class Dataset {
    private final Task task;

    Dataset(Task task) {
        this.task = Objects.requireNonNull(task, "task");
    }

    /**
     * A builder for a dataset made of the caller's arrays.
     *
     * @return a new, empty builder
     */
    public static DatasetBuilder builder() {
        return new DatasetBuilder();
    }

    Task task() {
        return task;
    }

    /**
     * The dataset's name: a built-in task's name (e.g. {@code psmnist}) or the one given to
     * {@link DatasetBuilder#optName}.
     *
     * @return the name
     */
    public String name() {
        return task.name();
    }

    /**
     * T, the number of steps per sequence.
     *
     * @return T, or 0 for a dataset of vectors
     */
    public int steps() {
        return task.steps();
    }

    /**
     * Whether the examples are sequences (otherwise they are vectors).
     *
     * @return {@code steps() > 0}
     */
    public boolean isSequence() {
        return task.steps() > 0;
    }

    /**
     * D, the number of features per step (sequences) or the vector length (vectors).
     *
     * @return D, at least 1
     */
    public int inputSize() {
        return task.inputSize();
    }

    /**
     * C, the number of classes (class targets) or the regression width (real-valued targets).
     *
     * @return C, at least 1
     */
    public int outputs() {
        return task.outputSize();
    }

    /**
     * What the targets are.
     *
     * @return the target type
     */
    public TargetType targetType() {
        return TargetType.of(task.target());
    }

    /**
     * The number of training examples per epoch.
     *
     * @return the count, or -1 for an endless synthetic stream (then train by steps, not epochs)
     */
    public long trainSize() {
        return task.trainSize();
    }

    /**
     * The number of examples in the fixed test set that evaluations use.
     *
     * @return the count, at least 1
     */
    public int testSize() {
        return task.testSize();
    }

    /**
     * What a run record keeps to reproduce the data: name, shapes, sizes, and for built-in tasks the
     * generator seeds, the psMNIST permutation and the data files used with their SHA-256 (and
     * {@code "sample": true} under {@code "data"} when the MNIST sample bundled in the jar was used).
     *
     * @return an unmodifiable, JSON-ready map of strings, numbers, booleans, lists and maps
     */
    public Map<String, Object> describe() {
        return task.describe();
    }

    /**
     * A one-line description, e.g. {@code Dataset[adding: T=100, D=2, REGRESSION 1]}.
     *
     * @return the description
     */
    @Override
    public String toString() {
        return "Dataset[" + name() + ": " + (isSequence() ? "T=" + steps() + ", " : "") + "D=" + inputSize() + ", "
                + targetType() + " " + outputs() + "]";
    }
}
