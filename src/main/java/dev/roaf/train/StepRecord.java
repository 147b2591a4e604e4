package dev.roaf.train;

/**
 * One optimizer step as the trainer saw it.
 *
 * @param step     1-based step number
 * @param epoch    fractional epochs completed (NaN for endless synthetic tasks)
 * @param examples training examples seen so far
 * @param loss     mean loss of this step's batch
 * @param accuracy accuracy of this batch (NaN for regression)
 * @param gradNorm L2 norm of the gradient of all parameters
 * @param wallSeconds seconds since training started
 */
public record StepRecord(long step, double epoch, long examples, double loss, double accuracy, double gradNorm,
                         double wallSeconds) {
}
