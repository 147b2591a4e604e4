package dev.roaf.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One evaluation, as written to a line of {@code metrics.jsonl}.
 *
 * @param step         optimizer steps taken
 * @param epoch        fractional epochs (NaN for endless tasks)
 * @param examples     training examples seen
 * @param trainLoss    mean training loss over the steps since the previous evaluation
 * @param trainAcc     mean training accuracy over the same steps (NaN for regression)
 * @param testLoss     mean loss on the evaluated test examples
 * @param testAcc      test accuracy (NaN for regression); for per-step tasks, over the positive labels
 * @param testExamples test examples evaluated
 * @param wallSeconds  seconds since training started
 * @param skippedSteps steps skipped so far for a non-finite loss or gradient ({@code --on-nan skip}), or -1
 *                     when the run does not skip (then {@code metrics.jsonl} has no {@code skipped_steps})
 */
public record EvalRecord(long step, double epoch, long examples, double trainLoss, double trainAcc, double testLoss,
                         double testAcc, long testExamples, double wallSeconds, long skippedSteps) {

    /** A record of a run that does not skip steps. */
    public EvalRecord(long step, double epoch, long examples, double trainLoss, double trainAcc, double testLoss,
                      double testAcc, long testExamples, double wallSeconds) {
        this(step, epoch, examples, trainLoss, trainAcc, testLoss, testAcc, testExamples, wallSeconds, -1);
    }

    /** The record as a JSON-ready map ({@code null} for NaN values). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("epoch", finite(epoch));
        m.put("examples", examples);
        m.put("train_loss", finite(trainLoss));
        m.put("train_acc", finite(trainAcc));
        m.put("test_loss", finite(testLoss));
        m.put("test_acc", finite(testAcc));
        m.put("test_examples", testExamples);
        m.put("wall_s", Math.round(wallSeconds * 1000) / 1000.0);
        if (skippedSteps >= 0) {
            m.put("skipped_steps", skippedSteps);
        }
        return m;
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
