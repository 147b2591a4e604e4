package dev.roaf;

/**
 * The metrics of a model on test examples, from {@link Model#evaluate} or {@link Trainer#evaluate}.
 *
 * @param loss     mean loss (cross-entropy in nats per labelled item, or squared error per example)
 * @param accuracy accuracy in [0, 1] (NaN for real-valued targets)
 * @param examples test examples evaluated
 */
public record Evaluation(double loss, double accuracy, long examples) {
}
