package dev.roaf.train;

import java.util.List;

/**
 * The outcome of {@link Trainer#fit()}.
 *
 * @param steps       optimizer steps taken
 * @param evaluations every evaluation, in order; the last one is on the full test set
 * @param wallSeconds total training time including evaluations
 */
public record TrainResult(long steps, List<EvalRecord> evaluations, double wallSeconds) {
    /** The final evaluation. */
    public EvalRecord last() {
        return evaluations.get(evaluations.size() - 1);
    }
}
