package dev.roaf.data;

/**
 * One minibatch of host data: inputs plus class labels or regression targets, as plain arrays.
 *
 * <p>Shapes: for sequences ({@code steps > 0}) {@code inputs} is time-major {@code [T, B, D]}, element
 * {@code inputs[(t*B + b)*D + d]}; for vectors ({@code steps == 0}) it is {@code [B, D]}. Targets depend on
 * {@link Target}: {@code CLASS} has {@code labels[B]} (one class per example, read after the last step);
 * {@code CLASS_PER_STEP} has time-major {@code labels[T, B]}, element {@code labels[t*B + b]}; a negative label means
 * "ignored" (no loss, no accuracy); {@code REGRESSION} has {@code targets[B, outputs]}. The arrays are not copied:
 * treat them as read-only once the batch is built.
 */
public final class Batch {
    /** What the batch's targets are. */
    public enum Target {
        /** One class per example: {@code labels[B]}. */
        CLASS,
        /** One class per example and step, time-major: {@code labels[T*B]}. */
        CLASS_PER_STEP,
        /** Real-valued targets: {@code targets[B*outputs]}. */
        REGRESSION
    }

    /** B: rows (examples) in this batch. */
    public final int size;
    /** T: steps for sequences, 0 for vector inputs. */
    public final int steps;
    /** D: input size per step (or vector length). */
    public final int features;
    /** Inputs: sequences time-major {@code [T, B, D]}; vectors {@code [B, D]}. */
    public final float[] inputs;
    /** The kind of target. */
    public final Target target;
    /** Class labels: {@code [B]} for CLASS, time-major {@code [T, B]} for CLASS_PER_STEP; negative = ignored; null
     *  for REGRESSION. */
    public final int[] labels;
    /** Regression targets {@code [B, outputs]}; null unless REGRESSION. */
    public final float[] targets;
    /** The number of classes (CLASS, CLASS_PER_STEP) or the regression width (REGRESSION). */
    public final int outputs;

    /**
     * Builds a batch, checking that every array has the length its shape requires and that labels are below
     * {@code outputs}.
     *
     * @throws IllegalArgumentException naming the field, the expected and the actual length
     */
    public Batch(int size, int steps, int features, float[] inputs, Target target, int[] labels, float[] targets,
                 int outputs) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + size);
        }
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0 (0 for vector inputs), got " + steps);
        }
        if (features < 1) {
            throw new IllegalArgumentException("features must be >= 1, got " + features);
        }
        if (outputs < 1) {
            throw new IllegalArgumentException("outputs must be >= 1, got " + outputs);
        }
        if (target == null) {
            throw new IllegalArgumentException("target must not be null");
        }
        long rows = steps == 0 ? size : (long) steps * size;
        expectLength("inputs", inputs, rows * features,
                steps == 0 ? "[B=" + size + ", D=" + features + "]"
                        : "[T=" + steps + ", B=" + size + ", D=" + features + "]");
        switch (target) {
            case CLASS -> {
                expectLength("labels", labels, size, "[B=" + size + "]");
                expectNull("targets", targets, target);
                checkLabels(labels, outputs);
            }
            case CLASS_PER_STEP -> {
                if (steps == 0) {
                    throw new IllegalArgumentException("CLASS_PER_STEP needs a sequence batch (steps > 0)");
                }
                expectLength("labels", labels, (long) steps * size, "[T=" + steps + ", B=" + size + "]");
                expectNull("targets", targets, target);
                checkLabels(labels, outputs);
            }
            case REGRESSION -> {
                expectLength("targets", targets, (long) size * outputs, "[B=" + size + ", outputs=" + outputs + "]");
                expectNull("labels", labels, target);
            }
            default -> throw new IllegalArgumentException("unknown target " + target);
        }
        this.size = size;
        this.steps = steps;
        this.features = features;
        this.inputs = inputs;
        this.target = target;
        this.labels = labels;
        this.targets = targets;
        this.outputs = outputs;
    }

    /** Whether this is a sequence batch ({@code steps > 0}). */
    public boolean isSequence() {
        return steps > 0;
    }

    private static void expectLength(String field, Object array, long expected, String shape) {
        if (array == null) {
            throw new IllegalArgumentException(field + " must not be null: expected length " + expected + " " + shape);
        }
        int actual = array instanceof float[] f ? f.length : ((int[]) array).length;
        if (actual != expected) {
            throw new IllegalArgumentException(field + " has length " + actual + ", expected " + expected + " " + shape);
        }
    }

    private static void expectNull(String field, Object array, Target target) {
        if (array != null) {
            throw new IllegalArgumentException(field + " must be null for target " + target);
        }
    }

    private static void checkLabels(int[] labels, int classes) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= classes) {
                throw new IllegalArgumentException("labels[" + i + "] = " + labels[i] + " is not below the "
                        + classes + " classes (negative means ignored)");
            }
        }
    }

    @Override
    public String toString() {
        return "Batch[B=" + size + ", T=" + steps + ", D=" + features + ", " + target + ", outputs=" + outputs + "]";
    }
}
