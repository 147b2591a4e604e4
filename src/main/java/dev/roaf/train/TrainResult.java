package dev.roaf.train;

import java.util.List;

/**
 * The outcome of {@link Trainer#fit()}.
 *
 * @param steps        optimizer steps taken (skipped ones included)
 * @param evaluations  every evaluation, in order; the last one is on the full test set
 * @param wallSeconds  total training time including evaluations (and the time before a resume)
 * @param skippedSteps steps skipped for a non-finite loss or gradient ({@code --on-nan skip})
 */
public record TrainResult(long steps, List<EvalRecord> evaluations, double wallSeconds, long skippedSteps) {

    /** A result without skipped steps. */
    public TrainResult(long steps, List<EvalRecord> evaluations, double wallSeconds) {
        this(steps, evaluations, wallSeconds, 0);
    }

    /** The final evaluation. */
    public EvalRecord last() {
        return evaluations.get(evaluations.size() - 1);
    }
}
