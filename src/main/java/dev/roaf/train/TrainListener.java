package dev.roaf.train;

import java.nio.file.Path;
import java.util.List;

/** Receives a training run's events, in order, on the training thread. Every method has an empty default. */
public interface TrainListener {
    /**
     * Once, before the first step of a run resumed from a {@link Checkpoint}: the steps and evaluations
     * of the run before the checkpoint (gradient norm and wall time NaN from older checkpoints).
     */
    default void onRestore(List<StepRecord> steps, List<EvalRecord> evaluations) {
    }

    /** After each optimizer step. */
    default void onStep(StepRecord step) {
    }

    /** After a step skipped because its loss or gradient was not finite ({@link Trainer.OnNonFinite#SKIP}). */
    default void onSkippedStep(long step, double loss, double gradNorm, long skippedSoFar) {
    }

    /** After each evaluation on the test set. */
    default void onEvaluation(EvalRecord eval) {
    }

    /** After each checkpoint write. */
    default void onCheckpoint(long step, Path file) {
    }

    /** Once, after the last step and the final evaluation. */
    default void onFinish(TrainResult result) {
    }
}
