package dev.roaf;

import dev.roaf.data.Batch;

/** What a {@link Dataset}'s targets are, and so which loss a model trained on it minimises. */
public enum TargetType {
    /** One class per example ({@code int} label in {@code [0, classes)}); softmax cross-entropy. */
    CLASS(Batch.Target.CLASS),
    /**
     * One class per example and step (sequences only); a negative label means "ignored"; softmax
     * cross-entropy over the labelled steps. Needs a model with a per-step head.
     */
    CLASS_PER_STEP(Batch.Target.CLASS_PER_STEP),
    /** Real-valued targets ({@code float[outputs]} per example); mean squared error. */
    REGRESSION(Batch.Target.REGRESSION);

    private final Batch.Target target;

    TargetType(Batch.Target target) {
        this.target = target;
    }

    Batch.Target internal() {
        return target;
    }

    static TargetType of(Batch.Target target) {
        for (TargetType t : values()) {
            if (t.target == target) {
                return t;
            }
        }
        throw new AssertionError(target);
    }
}
