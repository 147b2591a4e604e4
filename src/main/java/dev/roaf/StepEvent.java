package dev.roaf;

/**
 * One optimizer step, as a {@link TrainingListener} receives it.
 *
 * @param step         the 1-based step number
 * @param epoch        fractional epochs completed (NaN for an endless synthetic dataset)
 * @param examples     training examples seen so far
 * @param loss         mean loss of this step's batch (cross-entropy in nats, or squared error)
 * @param accuracy     accuracy of this step's batch in [0, 1] (NaN for real-valued targets)
 * @param gradientNorm L2 norm of the gradient of all parameters, before clipping
 * @param wallSeconds  seconds since {@link Trainer#fit()} started
 */
public record StepEvent(long step, double epoch, long examples, double loss, double accuracy, double gradientNorm,
                        double wallSeconds) {
}
