package dev.roaf;

import java.util.List;

/**
 * Receives a training run's events on the thread that calls {@link Trainer#fit()}: for each step
 * {@link #onStep}, then, when an evaluation is due, {@link #onEvaluation}; once at the end
 * {@link #onFinish}. Listeners are called in the order they were added. Every method has an empty
 * default; an exception thrown by a listener stops training and propagates out of {@code fit()}.
 */
public interface TrainingListener {
    /**
     * Called once, before the first step, when {@link Trainer#fit()} resumes from a checkpoint
     * ({@link Trainer.Builder#optResumeFrom}): the run's history before the checkpoint.
     *
     * @param pastSteps       the steps before the checkpoint (gradient norm and wall time are NaN when the
     *                        checkpoint predates their being stored)
     * @param pastEvaluations the evaluations before the checkpoint, in order
     */
    default void onResume(List<StepEvent> pastSteps, List<EvaluationEvent> pastEvaluations) {
    }

    /**
     * Called after each optimizer step.
     *
     * @param step what the step measured
     */
    default void onStep(StepEvent step) {
    }

    /**
     * Called after a step that was skipped, without an update, because its loss or gradient was not
     * finite (only when the trainer was built with {@link Trainer.Builder#optSkipNonFiniteSteps(boolean)});
     * {@link #onStep} is not called for it.
     *
     * @param step         the step number, counted from 1
     * @param loss         the step's mean loss (may be NaN or infinite)
     * @param gradientNorm the L2 norm of the step's gradient (may be NaN or infinite)
     * @param skippedSoFar steps skipped so far in the run, this one included (resumed runs count from
     *                     the start of the run)
     */
    default void onSkippedStep(long step, double loss, double gradientNorm, long skippedSoFar) {
    }

    /**
     * Called after each evaluation on the test set (after the {@link #onStep} of the same step).
     *
     * @param evaluation what the evaluation measured
     */
    default void onEvaluation(EvaluationEvent evaluation) {
    }

    /**
     * Called once, after the last step and the final evaluation.
     *
     * @param result the result {@link Trainer#fit()} returns
     */
    default void onFinish(TrainingResult result) {
    }
}
