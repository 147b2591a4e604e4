package dev.roaf;

import java.util.List;

/**
 * The outcome of {@link Trainer#fit()}.
 *
 * @param steps       optimizer steps taken
 * @param evaluations every evaluation, in order; the last one is on the whole test set
 * @param wallSeconds  total training time in seconds, evaluations included (and, after a resume,
 *                     the time before the checkpoint)
 * @param skippedSteps steps skipped for a non-finite loss or gradient
 *                     ({@link Trainer.Builder#optSkipNonFiniteSteps}); 0 otherwise
 */
public record TrainingResult(long steps, List<EvaluationEvent> evaluations, double wallSeconds, long skippedSteps) {

    /**
     * Makes the result, copying the list.
     *
     * @param steps       optimizer steps taken
     * @param evaluations every evaluation, in order
     * @param wallSeconds  total training time in seconds
     * @param skippedSteps steps skipped for a non-finite loss or gradient
     */
    public TrainingResult {
        evaluations = List.copyOf(evaluations);
    }

    /**
     * The final evaluation, on the whole test set.
     *
     * @return the last evaluation
     * @throws IllegalStateException if there is none
     */
    public EvaluationEvent last() {
        if (evaluations.isEmpty()) {
            throw new IllegalStateException("no evaluation was recorded");
        }
        return evaluations.get(evaluations.size() - 1);
    }
}
