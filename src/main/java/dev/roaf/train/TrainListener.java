package dev.roaf.train;

/** Receives a training run's events, in order, on the training thread. Every method has an empty default. */
public interface TrainListener {
    /** After each optimizer step. */
    default void onStep(StepRecord step) {
    }

    /** After each evaluation on the test set. */
    default void onEvaluation(EvalRecord eval) {
    }

    /** Once, after the last step and the final evaluation. */
    default void onFinish(TrainResult result) {
    }
}
