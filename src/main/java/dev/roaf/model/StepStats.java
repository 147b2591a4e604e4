package dev.roaf.model;

/**
 * What one forward pass over a batch measured.
 *
 * @param lossSum sum of the per-item losses (cross-entropy per labelled row, or squared error per example)
 * @param lossCount number of items the loss is averaged over (the batch mean divides by this)
 * @param correct   correctly classified items among {@code scored} (0 for regression)
 * @param scored    items that count for accuracy: examples (CLASS), or positions with a positive,
 *                  non-blank label (CLASS_PER_STEP, e.g. the recalled symbols of the copy task)
 */
public record StepStats(double lossSum, long lossCount, long correct, long scored) {

    /** Mean loss over the batch. */
    public double meanLoss() {
        return lossCount == 0 ? Double.NaN : lossSum / lossCount;
    }

    /** Accuracy, or NaN when nothing is scored. */
    public double accuracy() {
        return scored == 0 ? Double.NaN : (double) correct / scored;
    }

    /** Element-wise sum, for accumulating over batches. */
    public StepStats plus(StepStats o) {
        return new StepStats(lossSum + o.lossSum, lossCount + o.lossCount, correct + o.correct, scored + o.scored);
    }

    /** Nothing measured yet. */
    public static StepStats zero() {
        return new StepStats(0, 0, 0, 0);
    }
}
